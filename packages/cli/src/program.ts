import { CI_USAGE_EXIT, describeCiCommand, runCiCommand } from "@pgforks/app-bootstrap/src/ci-cli";
import { describeAuditCommand, EXIT_ERROR } from "@pgforks/audit/src/cli";
import { describeLocalCommand } from "@pgforks/local/src/cli";
import {
  describePlanOfflineCommand,
  describeReviewCommand,
  REVIEW_USAGE_EXIT,
  runPlanOfflineCommand,
  runReviewCommand,
} from "@pgforks/plan-review/src/cli";
import { describePolicyCommand, POLICY_USAGE_EXIT } from "@pgforks/policy/src/cli";
import {
  describeTenantCommand,
  runTenantCommand,
  TENANT_USAGE_EXIT,
} from "@pgforks/tenant-cli/src/cli";
import { describeCredentialsCommand } from "@pgforks/tenants/src/bin/credentials";
import {
  describePlanCommand,
  describeValidateCommand,
  HARNESS_USAGE_EXIT,
  runHarnessCommand,
} from "@pgforks/terraform-harness/src/cli";
import { Command, type CommanderError } from "commander";

type Run = (argv: readonly string[]) => Promise<number> | number;

/**
 * The command line a tool's own runner takes, rebuilt from what commander parsed and checked:
 * the options given on the command line (not defaults), then the arguments.
 */
export function argvOf(command: Command): string[] {
  const argv: string[] = [];
  for (const option of command.options) {
    const key = option.attributeName();
    if (command.getOptionValueSource(key) !== "cli") continue;
    const value: unknown = command.getOptionValue(key);
    const flag = option.long ?? option.short ?? "";
    if (typeof value === "boolean") argv.push(flag);
    else if (Array.isArray(value)) for (const item of value) argv.push(flag, String(item));
    else argv.push(flag, String(value));
  }
  for (const arg of command.args) argv.push(arg);
  return argv;
}

/** Command names from `root` (excluded) down to `command`. */
function pathBelow(root: Command, command: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = command; c && c !== root; c = c.parent) names.unshift(c.name());
  return names;
}

/**
 * Usage errors (unknown option, missing argument, unknown command) print commander's one line and
 * exit with the tool's usage code; --help exits 0.
 */
function exitOnUsageError(command: Command, code: number): void {
  command.exitOverride((error: CommanderError) => {
    process.exit(error.exitCode === 0 ? 0 : code);
  });
  for (const sub of command.commands) exitOnUsageError(sub, code);
}

/**
 * Gives `root` and each of its subcommands without an action the action of running `run` with
 * the subcommand path and the checked options (`tenant add --env prod x` -> run(["add", "--env",
 * "prod", "x"])).
 */
function forwardTo(root: Command, run: Run, usageExit: number): Command {
  const attach = (command: Command) => {
    command.action(async (...args: unknown[]) => {
      const self = args[args.length - 1] as Command;
      process.exitCode = await run([...pathBelow(root, self), ...argvOf(self)]);
    });
  };
  const leaves = (command: Command): Command[] =>
    command.commands.length === 0 ? [command] : command.commands.flatMap(leaves);
  for (const leaf of leaves(root)) attach(leaf);
  exitOnUsageError(root, usageExit);
  return root;
}

/** The `pgforks` program: every subcommand, its options and help, declared by its package. */
export function buildProgram(): Command {
  const program = new Command("pgforks").description(
    "Infrastructure as code for many forks of one web app on one shared PostgreSQL (AWS RDS)",
  );
  // Before the subcommands, which inherit it; each package's own exit code replaces it below.
  exitOnUsageError(program, 1);
  forwardTo(describeTenantCommand(program.command("tenant")), runTenantCommand, TENANT_USAGE_EXIT);
  const review = describeReviewCommand(program.command("review"));
  forwardTo(
    describePlanOfflineCommand(review.command("offline")),
    runPlanOfflineCommand,
    REVIEW_USAGE_EXIT,
  );
  review.action(async (_plans: string[], _options: unknown, self: Command) => {
    process.exitCode = await runReviewCommand(argvOf(self));
  });
  exitOnUsageError(review, REVIEW_USAGE_EXIT);
  exitOnUsageError(describeAuditCommand(program.command("audit")), EXIT_ERROR);
  for (const [name, describe] of [
    ["validate", describeValidateCommand],
    ["plan", describePlanCommand],
  ] as const) {
    forwardTo(
      describe(program.command(name)),
      (argv) => runHarnessCommand([name, ...argv]),
      HARNESS_USAGE_EXIT,
    );
  }
  exitOnUsageError(describePolicyCommand(program.command("policy")), POLICY_USAGE_EXIT);
  exitOnUsageError(describeLocalCommand(program.command("local")), 1);
  exitOnUsageError(describeCredentialsCommand(program.command("credentials")), 1);
  forwardTo(describeCiCommand(program.command("ci")), runCiCommand, CI_USAGE_EXIT);
  return program;
}
