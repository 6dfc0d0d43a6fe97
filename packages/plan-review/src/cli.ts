// `pgforks review [<plan.json>...]` and `pgforks review offline --env <env>` (npm run review,
// npm run plan:offline).
import { isDecimalDigits, repeatedOptionMessage } from "@pgforks/config/src/visible";
import { APPROVALS_ENV_VAR } from "@pgforks/guard";
import { type Command, InvalidArgumentError } from "commander";
import type { PlanOfflineOptions } from "./plan-offline";
import type { ReviewOptions, StackPlanFile } from "./run";

/** Exit code of a usage, input or setup error (EXIT_USAGE of run.ts). */
export const REVIEW_USAGE_EXIT = 2;

/** The shortest review `--max-chars` accepts: room for the summary and the guard's verdict. */
export const MIN_REVIEW_CHARS = 1000;

/** `--max-chars <n>`: an integer of at least {@link MIN_REVIEW_CHARS}. */
export function parseMaxChars(value: string, previous?: number): number {
  // Given twice, refused as every value option is (commander kept the last one silently).
  if (previous !== undefined) {
    throw new InvalidArgumentError(repeatedOptionMessage("--max-chars", previous, value));
  }
  const n = Number(value);
  // Decimal digits only, as every number on the command line (" 2000" was trimmed and taken).
  if (!isDecimalDigits(value) || n < MIN_REVIEW_CHARS) {
    throw new InvalidArgumentError(
      `Must be an integer of at least ${MIN_REVIEW_CHARS}, in decimal digits.`,
    );
  }
  return n;
}

/** `--stack <stack>=<plan.json>` (repeatable). */
export function parseStackPlanFile(value: string, previous: StackPlanFile[] = []): StackPlanFile[] {
  const [stack, file] = value.split(/=(.*)/s);
  if (!stack || !file) throw new InvalidArgumentError("Expected <stack>=<plan.json>.");
  return [...previous, { stack, file }];
}

const APPROVALS_HELP = `
Approvals for the guard (stateful deletions and replacements, lowered protections in
production): <stack>:<address>, one per line in --approve-file (# comments), or comma
separated in $${APPROVALS_ENV_VAR}. The stack is required: the same address exists in
every environment's stack. An approval for a planned stack that matches nothing in its plan
fails the guard: remove it once its change is applied.
Exit codes: 0 ok, 1 the guard fails (the reasons go to stderr), 2 usage, input or setup error
(also a bare <address> approval).`;

/** Runs a review step on the process streams and sets the exit code; an unexpected error is one line. */
async function runStep(label: string, step: () => Promise<number> | number): Promise<void> {
  try {
    process.exitCode = await step();
  } catch (error) {
    console.error(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = REVIEW_USAGE_EXIT;
  }
}

/** Declares `review`'s options, help and action on `command`. */
export function describeReviewCommand(command: Command): Command {
  return command
    .description("render the Markdown review of saved plans and apply the guard")
    .argument(
      "[plans...]",
      "`terraform show -json` files named <stack>.json (also <stack>.plan.json, <stack>.tfplan.json)",
    )
    .option(
      "--outdir <dir>",
      "synthesized stacks (default cdktf.out; synthesized in memory if absent)",
    )
    .option(
      "--env-dir <dir>",
      "configuration after the change (default: $PGFORKS_ENVIRONMENTS_DIR, else environments)",
    )
    .option("--base-env-dir <dir>", "configuration before the change (a checkout of the base)")
    .option("--approve-file <file>", "approvals for the guard, one per line")
    .option("--out <file>", "write the review to a file instead of stdout")
    .option(
      "--max-chars <n>",
      "longest review (default 65536, GitHub's comment limit)",
      parseMaxChars,
    )
    .option(
      "--stack <stack=plan.json>",
      "a plan with its stack named explicitly (repeatable)",
      parseStackPlanFile,
    )
    .addHelpText("after", APPROVALS_HELP)
    .action((plans: string[], options: Omit<ReviewOptions, "plans">) =>
      runStep("review", async () => (await import("./run")).runReview({ ...options, plans })),
    );
}

/** Declares `review offline`'s options, help and action on `command`. */
export function describePlanOfflineCommand(command: Command): Command {
  return command
    .description(
      "plan <env>-platform offline with real Terraform and print the pull request's review",
    )
    .requiredOption("--env <env>", "environment (required)")
    .option(
      "--base <git ref>",
      "configuration before the change: plan against a state made from it (e.g. origin/main); without it, from an empty state",
    )
    .option("--out <file>", "write the review to a file instead of stdout")
    .option("--plan-out <file>", "also write the plan JSON (input of `pgforks review`)")
    .option("--approve-file <file>", "approvals for the guard, one per line")
    .option("--max-chars <n>", "longest review (default 65536)", parseMaxChars)
    .option("--work-dir <dir>", "scratch folder (default .harness/plan-offline/<env>)")
    .addHelpText(
      "after",
      `\nOffline: local state, fake credentials, providers from the mirror. The <env>-tenants stack is
not planned offline (it needs the applied platform and the database).${APPROVALS_HELP}`,
    )
    .action((options: PlanOfflineOptions) =>
      runStep("review offline", async () =>
        (await import("./plan-offline")).runPlanOffline(options),
      ),
    );
}
