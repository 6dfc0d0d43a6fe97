#!/usr/bin/env tsx
// `pgforks validate` and `pgforks plan --stack <name>` (npm run validate, npm run plan); run
// directly, this file takes the command as its first argument (cli.ts validate|plan ...).
import type { Command } from "commander";

/** Exit code of a usage or setup error (EXIT_SETUP_ERROR of command.ts). */
export const HARNESS_USAGE_EXIT = 2;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
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

/** Declares `validate`'s options and help on `command` (action: runHarnessCommand). */
export function describeValidateCommand(command: Command): Command {
  return withCommonOptions(
    command
      .description(
        "synth, then real terraform init + validate of every stack (and an offline plan of the AWS ones)",
      )
      .option("--stack <name>", "only this stack (repeatable)", collect),
  );
}

/** Declares `plan`'s options and help on `command` (action: runHarnessCommand). */
export function describePlanCommand(command: Command): Command {
  return withCommonOptions(
    command
      .description("one stack's offline plan, optionally as JSON")
      .option("--stack <name>", "the stack (required)", collect)
      .option("--json-out <file>", "write the plan JSON (`terraform show -json`)")
      .option("--prior-state <file>", "plan against this state instead of an empty one"),
  );
}

/** Runs `validate|plan ...`; an unexpected error is one line, exit 2. */
export async function runHarnessCommand(argv: readonly string[]): Promise<number> {
  const { runCli } = await import("./command");
  return runCli(argv).catch((error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    return HARNESS_USAGE_EXIT;
  });
}

if (require.main === module) {
  runHarnessCommand(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
