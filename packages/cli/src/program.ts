import { CI_USAGE_EXIT, describeCiCommand } from "@pgforks/app-bootstrap/src/ci-cli";
import { describeAuditCommand, EXIT_ERROR } from "@pgforks/audit/src/cli";
import { repeatedOptionMessage } from "@pgforks/config/src/visible";
import { describeLocalCommand } from "@pgforks/local/src/cli";
import {
  describePlanOfflineCommand,
  describeReviewCommand,
  REVIEW_USAGE_EXIT,
} from "@pgforks/plan-review/src/cli";
import { describePolicyCommand, POLICY_USAGE_EXIT } from "@pgforks/policy/src/cli";
import { describeTenantCommand, TENANT_USAGE_EXIT } from "@pgforks/tenant-cli/src/cli";
import { refuseOptionsAsValues } from "@pgforks/tenant-cli/src/option-values";
import { describeCredentialsCommand } from "@pgforks/tenants/src/bin/credentials";
import {
  describePlanCommand,
  describeValidateCommand,
  HARNESS_USAGE_EXIT,
} from "@pgforks/terraform-harness/src/cli";
import { Command, type CommanderError, InvalidArgumentError } from "commander";

/**
 * A value option given twice is a usage error naming both values, in every subcommand: commander
 * keeps the last one silently (`audit --env dev --env prod` audited prod). Options that collect
 * (--ignore-role, --stack of review) or parse their value declare a parser of their own and keep it.
 */
export function refuseRepeatedValues(command: Command): Command {
  for (const option of command.options) {
    if (option.parseArg || option.variadic || !(option.required || option.optional)) continue;
    option.argParser((value: string, previous: unknown) => {
      // Repeated when this command line already gave it: comparing `previous` with the default
      // let `--x <default> --x other` through. Commander records the source before the next value.
      if (command.getOptionValueSource(option.attributeName()) === "cli") {
        throw new InvalidArgumentError(
          repeatedOptionMessage(option.long ?? option.flags, previous, value),
        );
      }
      return value;
    });
  }
  for (const sub of command.commands) refuseRepeatedValues(sub);
  return command;
}

/**
 * Usage errors (unknown option, missing argument, unknown command) print commander's one line and
 * exit with the tool's usage code; --help exits 0.
 */
function exitOnUsageError(command: Command, code: number): Command {
  command.exitOverride((error: CommanderError) => {
    process.exit(error.exitCode === 0 ? 0 : code);
  });
  for (const sub of command.commands) exitOnUsageError(sub, code);
  return command;
}

/**
 * The `pgforks` program: every subcommand, its options, help and action, declared by its package.
 * Commander parses the command line once; each action receives the checked, typed options.
 */
export function buildProgram(): Command {
  const program = new Command("pgforks").description(
    "Infrastructure as code for many forks of one web app on one shared PostgreSQL (AWS RDS)",
  );
  // Before the subcommands, which inherit it; each package's own exit code replaces it below.
  exitOnUsageError(program, 1);
  exitOnUsageError(describeTenantCommand(program.command("tenant")), TENANT_USAGE_EXIT);
  // Positional options, here and on review: `review offline` declares --out, --approve-file and
  // --max-chars as review does, and without them review took those from after `offline` (offline
  // never saw them: its review went to stdout, its approvals were not read).
  program.enablePositionalOptions();
  const review = describeReviewCommand(program.command("review")).enablePositionalOptions();
  describePlanOfflineCommand(review.command("offline"));
  exitOnUsageError(review, REVIEW_USAGE_EXIT);
  exitOnUsageError(describeAuditCommand(program.command("audit")), EXIT_ERROR);
  exitOnUsageError(describeValidateCommand(program.command("validate")), HARNESS_USAGE_EXIT);
  exitOnUsageError(describePlanCommand(program.command("plan")), HARNESS_USAGE_EXIT);
  exitOnUsageError(describePolicyCommand(program.command("policy")), POLICY_USAGE_EXIT);
  exitOnUsageError(describeLocalCommand(program.command("local")), 1);
  exitOnUsageError(describeCredentialsCommand(program.command("credentials")), 1);
  exitOnUsageError(describeCiCommand(program.command("ci")), CI_USAGE_EXIT);
  // After refuseRepeatedValues, which leaves options with a parser alone: this one wraps every parser.
  return refuseOptionsAsValues(refuseRepeatedValues(program));
}
