// CI helper of the workflows (.github/workflows): `pgforks ci <command>`, or run directly
// `npx tsx apps/bootstrap/src/ci-cli.ts <command>`.
// Every command prints `name=value` lines meant for $GITHUB_OUTPUT; explanations go to stderr.
import { readFileSync } from "node:fs";
import { ConfigError, loadEnvironment } from "@pgforks/config";
import type { Command } from "commander";
import {
  ciEnvironmentOutputs,
  compareSynth,
  formatGithubOutputs,
  type StackChange,
  stacksToPlan,
  type TerraformOutputs,
  tenantsReadiness,
} from "./ci";

/** Where the CLI writes. */
export interface CiCliIo {
  out(text: string): void;
  err(text: string): void;
}

const USAGE = `usage: ci-cli.ts <command>
  env --env <name>                          account, region, roles, stacks, ports of an environment
  changed --head <outdir> [--base <outdir>] changes={"<stack>":"added|changed|unchanged|removed"}
  plan-targets --env <name> --changes <json> platform=true|false, tenants=true|false
  tenants-ready --outputs <file> --stack <cdk.tf.json>
                                            ready, missing, bastion_instance_id, database_address`;

function options(argv: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key?.startsWith("--") || value === undefined)
      throw new UsageError(`bad arguments: ${argv.join(" ")}`);
    map.set(key.slice(2), value);
  }
  return map;
}

class UsageError extends Error {}

function required(opts: Map<string, string>, name: string): string {
  const value = opts.get(name);
  if (value === undefined || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

/** Runs one command; returns the exit code (0 ok, 1 config error, 2 usage). */
export function runCiCli(argv: readonly string[], io: CiCliIo): number {
  const [command, ...rest] = argv;
  try {
    const opts = options(rest);
    switch (command) {
      case "env": {
        io.out(formatGithubOutputs(ciEnvironmentOutputs(loadEnvironment(required(opts, "env")))));
        return 0;
      }
      case "changed": {
        const changes = compareSynth(opts.get("base"), required(opts, "head"));
        for (const [stack, change] of Object.entries(changes)) io.err(`${stack}: ${change}\n`);
        io.out(formatGithubOutputs({ changes: JSON.stringify(changes) }));
        return 0;
      }
      case "plan-targets": {
        const changes = JSON.parse(required(opts, "changes")) as Record<string, StackChange>;
        const targets = stacksToPlan(changes, loadEnvironment(required(opts, "env")));
        io.out(
          formatGithubOutputs({
            platform: String(targets.platform),
            tenants: String(targets.tenants),
          }),
        );
        return 0;
      }
      case "tenants-ready": {
        const outputs = JSON.parse(
          readFileSync(required(opts, "outputs"), "utf8"),
        ) as TerraformOutputs;
        const stack = JSON.parse(readFileSync(required(opts, "stack"), "utf8")) as unknown;
        const readiness = tenantsReadiness(outputs, stack);
        if (!readiness.ready) {
          io.err(
            `the tenants stack reads platform outputs that are not applied yet: ${readiness.missing.join(", ")}\n`,
          );
        }
        io.out(
          formatGithubOutputs({
            ready: String(readiness.ready),
            missing: readiness.missing.join(" "),
            bastion_instance_id: readiness.bastionInstanceId ?? "",
            database_address: readiness.databaseAddress ?? "",
          }),
        );
        return 0;
      }
      default:
        io.err(`${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.err(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** Exit code of a usage error. */
export const CI_USAGE_EXIT = 2;

/** Declares `ci`'s subcommands, options and help on `command` (actions: runCiCommand). */
export function describeCiCommand(command: Command): Command {
  command.description("helpers of the GitHub workflows: name=value lines for $GITHUB_OUTPUT");
  const subcommands: ReadonlyArray<[string, string, ReadonlyArray<[string, string]>]> = [
    [
      "env",
      "account, region, roles, stacks, ports of an environment",
      [["--env <name>", "environment (required)"]],
    ],
    [
      "changed",
      'changes={"<stack>":"added|changed|unchanged|removed"}',
      [
        ["--head <outdir>", "synthesized stacks of the head (required)"],
        ["--base <outdir>", "synthesized stacks of the base"],
      ],
    ],
    [
      "plan-targets",
      "platform=true|false, tenants=true|false",
      [
        ["--env <name>", "environment (required)"],
        ["--changes <json>", "the output of `changed` (required)"],
      ],
    ],
    [
      "tenants-ready",
      "ready, missing, bastion_instance_id, database_address",
      [
        ["--outputs <file>", "terraform output -json of the platform stack (required)"],
        ["--stack <file>", "the tenants stack's cdk.tf.json (required)"],
      ],
    ],
  ];
  for (const [name, description, options] of subcommands) {
    const sub = command.command(name).description(description);
    for (const [flags, help] of options) sub.option(flags, help);
  }
  return command;
}

/** Runs `ci <command> ...` (argv after "ci") on the process streams; returns the exit code. */
export function runCiCommand(argv: readonly string[]): number {
  return runCiCli(argv, {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
}

if (require.main === module) {
  process.exitCode = runCiCommand(process.argv.slice(2));
}
