#!/usr/bin/env tsx
// `pgforks review [<plan.json>...]` and `pgforks review offline --env <env>` (npm run review,
// npm run plan:offline); run directly, this file is `review` on its own.
import type { Command } from "commander";

/** Exit code of a usage, input or setup error (EXIT_USAGE of run.ts). */
export const REVIEW_USAGE_EXIT = 2;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const APPROVALS_HELP = `
Approvals for the destroy guard: <stack>:<address>, one per line in --approve-file, or comma
separated in $PGFORKS_APPROVE_DESTROY. An approval that matches no stateful deletion or
replacement in its stack's plan fails the guard: remove it once its change is applied.
Exit codes: 0 ok, 1 the destroy guard fails, 2 usage, input or setup error.`;

/** Declares `review`'s options and help on `command` (action: runReviewCommand). */
export function describeReviewCommand(command: Command): Command {
  return command
    .description("render the Markdown review of saved plans and apply the destroy guard")
    .argument("[plans...]", "`terraform show -json` files named <stack>.json")
    .option("--outdir <dir>", "synthesized stacks; synthesized in memory if absent")
    .option("--env-dir <dir>", "configuration after the change (default: environments)")
    .option("--base-env-dir <dir>", "configuration before the change (a checkout of the base)")
    .option("--approve-file <file>", "approvals for the destroy guard, one per line")
    .option("--out <file>", "write the review to a file instead of stdout")
    .option("--max-chars <n>", "longest review (default 65536, GitHub's comment limit)")
    .option("--stack <stack=plan.json>", "a plan with its stack named explicitly", collect)
    .addHelpText("after", APPROVALS_HELP);
}

/** Declares `review offline`'s options and help on `command` (action: runPlanOfflineCommand). */
export function describePlanOfflineCommand(command: Command): Command {
  return command
    .description(
      "plan <env>-platform offline with real Terraform and print the pull request's review",
    )
    .option("--env <env>", "environment (required)")
    .option(
      "--base <git ref>",
      "configuration before the change: plan against a state made from it",
    )
    .option("--out <file>", "write the review to a file instead of stdout")
    .option("--plan-out <file>", "also write the plan JSON (input of `pgforks review`)")
    .option("--approve-file <file>", "approvals for the destroy guard, one per line")
    .option("--max-chars <n>", "longest review (default 65536)")
    .option("--work-dir <dir>", "scratch folder (default .harness/plan-offline)")
    .addHelpText("after", APPROVALS_HELP);
}

/** Runs `review ...` (argv after "review"); an unexpected error is one line, exit 2. */
export async function runReviewCommand(argv: readonly string[]): Promise<number> {
  const { runReviewCli } = await import("./run");
  try {
    return runReviewCli(argv);
  } catch (error) {
    console.error(`review: ${error instanceof Error ? error.message : String(error)}`);
    return REVIEW_USAGE_EXIT;
  }
}

/** Runs `review offline ...` (argv after "offline"); an unexpected error is one line, exit 2. */
export async function runPlanOfflineCommand(argv: readonly string[]): Promise<number> {
  const { runPlanOffline } = await import("./plan-offline");
  return runPlanOffline(argv).catch((error: unknown) => {
    console.error(`review offline: ${error instanceof Error ? error.message : String(error)}`);
    return REVIEW_USAGE_EXIT;
  });
}

if (require.main === module) {
  runReviewCommand(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
