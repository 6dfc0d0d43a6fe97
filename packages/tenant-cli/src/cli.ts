// `pgforks tenant <command>` (npm run tenant -- <command>); run directly, this file is the same
// command on its own (node --import tsx packages/tenant-cli/src/cli.ts <command>).
import { isDecimalDigits, repeatedOptionMessage, visibleJson } from "@pgforks/config/src/visible";
import { Command, InvalidArgumentError } from "commander";
import { refuseOptionsAsValues } from "./option-values";
import type { StateCommand, TenantRequest } from "./run";

/** Usage errors exit 1, as every other tenant failure. */
export const TENANT_USAGE_EXIT = 1;

/** `--extensions a, b` -> ["a", "b"]; given twice, both lists (a repeat is the schema's to name). */
function commaList(value: string, previous: readonly string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((e) => e.trim())
      .filter((e) => e !== ""),
  ];
}

/**
 * A value option given once: `--env dev --env prod` silently edited prod (commander keeps the
 * last), so a second one is a usage error naming both.
 */
function once(flag: string) {
  return <T>(value: string, previous: T | undefined): string => {
    if (previous !== undefined) {
      throw new InvalidArgumentError(repeatedOptionMessage(flag, previous, value));
    }
    return value;
  };
}

/**
 * `--connection-limit <n>`: decimal digits only, as PGFORKS_LOCAL_PORT. " 5", "5 ", "+5", "0x5" and
 * "5e0" are refused here rather than read by Number() (spaces were trimmed and accepted); "05" is
 * 5. Whether the number fits (1 to 1000, the connection budget) is the schema's to say.
 */
function connectionLimit(value: string, previous: number | undefined): number {
  once("--connection-limit")(value, previous);
  if (!isDecimalDigits(value)) {
    throw new InvalidArgumentError(
      `Must be a whole number written in decimal digits only, e.g. 20 (found ${visibleJson(value)}: no spaces, sign, exponent or 0x).`,
    );
  }
  return Number(value);
}

/** The options every tenant command takes. */
interface RootOption {
  readonly root?: string;
}

/** Declares `tenant`'s subcommands, options, help and actions on `command`. */
export function describeTenantCommand(command: Command): Command {
  command.description("edit tenants.yaml safely, check a pull request, write the registries");
  const sub = (name: string, description: string) =>
    command
      .command(name)
      .description(description)
      .option(
        "--root <dir>",
        "the folder holding environments/ (default: this repository; PGFORKS_ENVIRONMENTS_DIR names another environments folder)",
        once("--root"),
      );
  sub("add", "add a tenant (refused, file untouched, if any rule fails)")
    .argument("<name>", "tenant name")
    .requiredOption("--env <env>", "environment (required)", once("--env"))
    .requiredOption("--owner <who>", "who answers for this fork (required)", once("--owner"))
    .option("--database <db>", "database name (default: <name>)", once("--database"))
    .option(
      "--connection-limit <n>",
      "connection limit (decimal digits; checked with the other tenants.yaml rules)",
      connectionLimit,
    )
    .option("--extensions <a,b>", "allow-listed extensions, comma separated", commaList)
    .option("--read-only-role", "also create <name>_readonly")
    .option("--description <text>", "description", once("--description"))
    .action((name: string, options: AddCommandOptions) =>
      runTenantCommand({ command: "add", name, ...options }),
    );
  sub("list", "tenants and the connection budget of each environment")
    .option("--env <env>", "only this environment", once("--env"))
    .action((options: RootOption & { env?: string }) =>
      runTenantCommand({ command: "list", ...options }),
    );
  for (const [name, description] of [
    ["suspend", "NOLOGIN, connection limit 0; data kept"],
    ["retire", "as suspend, and removed from the RDS Proxy; data kept"],
    ["activate", "back to active"],
  ] as const satisfies ReadonlyArray<readonly [StateCommand, string]>) {
    sub(name, description)
      .argument("<name>", "tenant name")
      .requiredOption("--env <env>", "environment (required)", once("--env"))
      .action((tenant: string, options: RootOption & { env: string }) =>
        runTenantCommand({ command: name, name: tenant, ...options }),
      );
  }
  sub("drop", "state dropped: the database is DESTROYED at the next apply")
    .argument("<name>", "tenant name")
    .requiredOption("--env <env>", "environment (required)", once("--env"))
    .option("--confirm <database>", "the tenant's database name, to confirm", once("--confirm"))
    .action((name: string, options: RootOption & { env: string; confirm?: string }) =>
      runTenantCommand({ command: "drop", name, ...options }),
    );
  sub("check", "fail when an entry disappeared or changed its database without being dropped first")
    .requiredOption(
      "--base <git ref>",
      "the base of the pull request, e.g. origin/main (required)",
      once("--base"),
    )
    .action((options: RootOption & { base: string }) =>
      runTenantCommand({ command: "check", ...options }),
    );
  sub("registry", "write environments/<env>/DATABASE_REGISTRY.md")
    .option("--check", "only report stale files (exit 1)")
    .action((options: RootOption & { check?: boolean }) =>
      runTenantCommand({ command: "registry", ...options }),
    );
  command.addHelpText(
    "after",
    "\nExit codes: 0 done, 1 refused (file untouched), usage or failure.",
  );
  return command;
}

/** `tenant add`'s options as commander parses them (camel-cased). */
interface AddCommandOptions extends RootOption {
  readonly env: string;
  readonly owner: string;
  readonly database?: string;
  readonly connectionLimit?: number;
  readonly extensions?: string[];
  readonly readOnlyRole?: boolean;
  readonly description?: string;
}

/** Runs one tenant command on the console and sets the process's exit code. */
async function runTenantCommand(request: TenantRequest): Promise<void> {
  // Loaded here, not at start-up: `pgforks --help` should not load the tenant model.
  const [{ interruptibleUntilLocked }, { runTenant }] = await Promise.all([
    import("@pgforks/config"),
    import("./run"),
  ]);
  // Ctrl-C ends the command at once until it takes the environments/ lock (nothing changed),
  // then waits for its locked work (every file written, or none): one line either way.
  interruptibleUntilLocked();
  process.exitCode = await runTenant(request);
}

if (require.main === module) {
  refuseOptionsAsValues(describeTenantCommand(new Command("tenant")))
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = TENANT_USAGE_EXIT;
    });
}
