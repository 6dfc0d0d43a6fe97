// CI helper of the workflows (.github/workflows): `pgforks ci <command>`, or run directly
// `npx tsx apps/bootstrap/src/ci-cli.ts <command>` (the same commander command).
// Every command prints `name=value` lines meant for $GITHUB_OUTPUT; explanations go to stderr.
import { readFileSync } from "node:fs";
import { loadEnvironment, onFile, repeatedOptionMessage } from "@pgforks/config";
import { Command, InvalidArgumentError } from "commander";
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

/** Exit code of a usage error. */
export const CI_USAGE_EXIT = 2;

/** Exit code of bad configuration or an unreadable input file. */
export const CI_INPUT_EXIT = 1;

/** What `changed` can say of a stack (the values of `--changes`). */
const STACK_CHANGES: readonly StackChange[] = ["added", "changed", "unchanged", "removed"];

/** One `ci` command with the options commander checked. */
export type CiRequest =
  | { readonly command: "env"; readonly env: string }
  | { readonly command: "changed"; readonly head: string; readonly base?: string }
  | {
      readonly command: "plan-targets";
      readonly env: string;
      readonly changes: Readonly<Record<string, StackChange>>;
    }
  | { readonly command: "tenants-ready"; readonly outputs: string; readonly stack: string };

/** A JSON file's content; an unreadable or malformed file is a FileSystemError or a one-line Error. */
function readJson(file: string): unknown {
  const text = onFile(file, "read", () => readFileSync(file, "utf8"));
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
}

/** Runs one command; returns the exit code (0 ok, 1 bad configuration or input file). */
export function runCi(request: CiRequest, io: CiCliIo): number {
  try {
    switch (request.command) {
      case "env": {
        io.out(formatGithubOutputs(ciEnvironmentOutputs(loadEnvironment(request.env))));
        return 0;
      }
      case "changed": {
        const changes = compareSynth(request.base, request.head);
        for (const [stack, change] of Object.entries(changes)) io.err(`${stack}: ${change}\n`);
        io.out(formatGithubOutputs({ changes: JSON.stringify(changes) }));
        return 0;
      }
      case "plan-targets": {
        const targets = stacksToPlan(request.changes, loadEnvironment(request.env));
        io.out(
          formatGithubOutputs({
            platform: String(targets.platform),
            tenants: String(targets.tenants),
          }),
        );
        return 0;
      }
      case "tenants-ready": {
        const outputs = readJson(request.outputs) as TerraformOutputs;
        const readiness = tenantsReadiness(outputs, readJson(request.stack));
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
    }
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n`);
    return CI_INPUT_EXIT;
  }
}

/** `--changes <json>`: the output of `changed`, a JSON object of stack -> change. */
export function parseChanges(
  value: string,
  previous?: Record<string, StackChange>,
): Record<string, StackChange> {
  // Given twice, refused as every value option is (commander kept the last one silently).
  if (previous !== undefined) {
    throw new InvalidArgumentError(
      repeatedOptionMessage("--changes", JSON.stringify(previous), value),
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('Expected JSON such as {"prod-platform":"changed"}.');
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError('Expected a JSON object such as {"prod-platform":"changed"}.');
  }
  for (const [stack, change] of Object.entries(parsed)) {
    if (!STACK_CHANGES.includes(change as StackChange)) {
      throw new InvalidArgumentError(
        `${stack}: found ${JSON.stringify(change)}, allowed ${STACK_CHANGES.join(", ")}.`,
      );
    }
  }
  return parsed as Record<string, StackChange>;
}

/** Runs one command on the process streams and sets the exit code. */
function runCiCommand(request: CiRequest): void {
  process.exitCode = runCi(request, {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
}

/** Declares `ci`'s subcommands, options, help and actions on `command`. */
export function describeCiCommand(command: Command): Command {
  command
    .description("helpers of the GitHub workflows: name=value lines for $GITHUB_OUTPUT")
    .addHelpText(
      "after",
      `\nExplanations go to stderr. Exit codes: 0 ok, ${CI_INPUT_EXIT} bad configuration or input file, ${CI_USAGE_EXIT} usage.`,
    );
  command
    .command("env")
    .description("account, region, roles, stacks, ports of an environment")
    .requiredOption("--env <name>", "environment (required)")
    .action((options: { env: string }) => runCiCommand({ command: "env", ...options }));
  command
    .command("changed")
    .description('changes={"<stack>":"added|changed|unchanged|removed"}')
    .requiredOption("--head <outdir>", "synthesized stacks of the head (required)")
    .option("--base <outdir>", "synthesized stacks of the base (default: none, all added)")
    .action((options: { head: string; base?: string }) =>
      runCiCommand({ command: "changed", ...options }),
    );
  command
    .command("plan-targets")
    .description("platform=true|false, tenants=true|false")
    .requiredOption("--env <name>", "environment (required)")
    .requiredOption("--changes <json>", "the output of `changed` (required)", parseChanges)
    .action((options: { env: string; changes: Record<string, StackChange> }) =>
      runCiCommand({ command: "plan-targets", ...options }),
    );
  command
    .command("tenants-ready")
    .description("ready, missing, bastion_instance_id, database_address")
    .requiredOption("--outputs <file>", "terraform output -json of the platform stack (required)")
    .requiredOption("--stack <file>", "the tenants stack's cdk.tf.json (required)")
    .action((options: { outputs: string; stack: string }) =>
      runCiCommand({ command: "tenants-ready", ...options }),
    );
  return command;
}

if (require.main === module) {
  // Usage errors exit CI_USAGE_EXIT; the subcommands inherit the override from "ci".
  describeCiCommand(
    new Command("ci").exitOverride((error) =>
      process.exit(error.exitCode === 0 ? 0 : CI_USAGE_EXIT),
    ),
  ).parse(process.argv);
}
