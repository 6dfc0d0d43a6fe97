// `pgforks validate` and `pgforks plan --stack <name>` (npm run validate, npm run plan).
import { repeatedOptionMessage } from "@pgforks/config/src/visible";
import { type Command, InvalidArgumentError } from "commander";
import type { PlanCommandOptions, ValidateOptions } from "./command";

/** Exit code of a usage or setup error (EXIT_SETUP_ERROR of command.ts). */
export const HARNESS_USAGE_EXIT = 2;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `plan --stack <name>`: one stack, so a second --stack is an error, not silently the winner. */
function onlyOnce(value: string, previous: string | undefined): string {
  // Worded as every other value option given twice (refuseRepeatedValues of @pgforks/cli).
  if (previous !== undefined) {
    throw new InvalidArgumentError(repeatedOptionMessage("--stack", previous, value));
  }
  return value;
}

const COMMON_HELP = `
Runs real Terraform offline (local backend, fake AWS credentials, providers from the filesystem
mirror only) on copies of the synthesized stacks. Synthesizes first (npm run synth) unless
--no-synth. Environment: PGFORKS_TF_MIRROR (provider mirror), TERRAFORM_BINARY (terraform binary).
Exit codes: 0 ok, 1 a stack failed, 2 usage or setup error.`;

function withCommonOptions(command: Command): Command {
  return command
    .option("--outdir <dir>", "synthesized stacks (default cdktf.out)")
    .option("--work-dir <dir>", "scratch copies (default .harness)")
    .option("--no-synth", "use the existing --outdir instead of synthesizing")
    .addHelpText("after", COMMON_HELP);
}

/** Runs a harness step on the process streams and sets the exit code; an unexpected error is one line. */
async function runStep(
  step: (harness: typeof import("./command")) => Promise<number>,
): Promise<void> {
  try {
    process.exitCode = await step(await import("./command"));
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = HARNESS_USAGE_EXIT;
  }
}

/** Declares `validate`'s options, help and action on `command`. */
export function describeValidateCommand(command: Command): Command {
  return withCommonOptions(
    command
      .description(
        "synth, then real terraform init + validate of every stack (and an offline plan of the AWS ones)",
      )
      .option("--stack <name>", "only this stack (repeatable)", collect),
  ).action((options: ValidateOptions) => runStep((harness) => harness.runValidate(options)));
}

/** Declares `plan`'s options, help and action on `command`. */
export function describePlanCommand(command: Command): Command {
  return withCommonOptions(
    command
      .description("one stack's offline plan, optionally as JSON")
      .requiredOption("--stack <name>", "the stack (required)", onlyOnce)
      .option("--json-out <file>", "write the plan JSON (`terraform show -json`)")
      .option("--prior-state <file>", "plan against this state instead of an empty one"),
  ).action((options: PlanCommandOptions) => runStep((harness) => harness.runPlan(options)));
}
