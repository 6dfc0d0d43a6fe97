// `pgforks tenant <command>` (npm run tenant -- <command>); run directly, this file is the same
// command on its own (tsx packages/tenant-cli/src/cli.ts <command>).
import type { Command } from "commander";

/** Declares `tenant`'s subcommands, options and help on `command` (actions: runTenantCommand). */
export function describeTenantCommand(command: Command): Command {
  command.description("edit tenants.yaml safely, check a pull request, write the registries");
  const sub = (name: string, description: string) =>
    command
      .command(name)
      .description(description)
      .option("--root <dir>", "the folder holding environments/ (default: this repository)");
  sub("add", "add a tenant (refused, file untouched, if any rule fails)")
    .argument("<name>", "tenant name")
    .option("--env <env>", "environment")
    .option("--owner <who>", "owner (required)")
    .option("--database <db>", "database name (default: <name>)")
    .option("--connection-limit <n>", "connection limit")
    .option("--extensions <a,b>", "allow-listed extensions, comma separated")
    .option("--read-only-role", "also create <name>_readonly")
    .option("--description <text>", "description");
  sub("list", "tenants and the connection budget of each environment").option(
    "--env <env>",
    "only this environment",
  );
  for (const [name, description] of [
    ["suspend", "NOLOGIN, connection limit 0; data kept"],
    ["retire", "as suspend, and removed from the RDS Proxy; data kept"],
    ["activate", "back to active"],
  ] as const) {
    sub(name, description).argument("<name>", "tenant name").option("--env <env>", "environment");
  }
  sub("drop", "state dropped: the database is DESTROYED at the next apply")
    .argument("<name>", "tenant name")
    .option("--env <env>", "environment")
    .option("--confirm <database>", "the tenant's database name, to confirm");
  sub(
    "check",
    "fail when an entry disappeared or changed its database without being dropped first",
  ).option("--base <git ref>", "the base of the pull request");
  sub("registry", "write environments/<env>/DATABASE_REGISTRY.md").option(
    "--check",
    "only report stale files (exit 1)",
  );
  return command;
}

/** Runs `tenant <command> ...` (argv after "tenant"); returns the exit code. */
export async function runTenantCommand(argv: readonly string[]): Promise<number> {
  const [{ deferSignals }, { runTenantCli }] = await Promise.all([
    import("@pgforks/config"),
    import("./run"),
  ]);
  deferSignals(
    (signal) =>
      `interrupted (${signal}) after the command had finished: every file it changes was written, or none`,
  );
  return runTenantCli(argv);
}

/** Usage errors exit 1, as every other tenant failure. */
export const TENANT_USAGE_EXIT = 1;

if (require.main === module) {
  runTenantCommand(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
