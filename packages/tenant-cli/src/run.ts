import { parseArgs } from "node:util";
import {
  addTenant,
  type CommandContext,
  checkTenants,
  consoleIo,
  dropTenant,
  listTenants,
  setTenantState,
  writeRegistries,
} from "./commands";

export const USAGE = `Usage: npm run tenant -- <command> [options]

Commands:
  add --env <env> <name> --owner <who> [--database <db>] [--connection-limit N]
      [--extensions a,b] [--read-only-role] [--description <text>]
                              add a tenant (refused, file untouched, if any rule fails)
  list [--env <env>]          tenants and the connection budget of each environment
  suspend --env <env> <name>  NOLOGIN, connection limit 0; data kept
  retire --env <env> <name>   as suspend, and removed from the RDS Proxy; data kept
  activate --env <env> <name> back to active
  drop --env <env> <name> --confirm <database>
                              state dropped: the database is DESTROYED at the next apply
  check --base <git ref>      fail when an entry disappeared or changed its database without
                              being dropped first (pull-request check)
  registry [--check]          write environments/<env>/DATABASE_REGISTRY.md; --check only
                              reports stale files (exit 1)

Every command accepts --root <dir>: the folder holding environments/ (default: this repository).`;

type Spec = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

const COMMON: Spec = {
  root: { type: "string" },
  help: { type: "boolean", short: "h" },
};

const SPECS: Record<string, Spec> = {
  add: {
    env: { type: "string" },
    owner: { type: "string" },
    database: { type: "string" },
    "connection-limit": { type: "string" },
    extensions: { type: "string" },
    "read-only-role": { type: "boolean" },
    description: { type: "string" },
  },
  list: { env: { type: "string" } },
  suspend: { env: { type: "string" } },
  retire: { env: { type: "string" } },
  activate: { env: { type: "string" } },
  drop: { env: { type: "string" }, confirm: { type: "string" } },
  check: { base: { type: "string" } },
  registry: { check: { type: "boolean" } },
};

/** The state each state command moves a tenant to. */
const STATE_OF = { suspend: "suspended", retire: "retired", activate: "active" } as const;

/** Commands that name one tenant as their single positional argument. */
const WITH_TENANT = new Set(["add", "suspend", "retire", "activate", "drop"]);

/** Parses `argv` (without node and the script) and runs the command; returns the exit code. */
export function runTenantCli(argv: readonly string[], context: CommandContext = {}): number {
  const io = context.io ?? consoleIo;
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    io.log(USAGE);
    return command ? 0 : 1;
  }
  const spec = SPECS[command];
  if (!spec) {
    io.error(`error: unknown command "${command}"\n\n${USAGE}`);
    return 1;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...COMMON, ...spec },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    io.error(`error: ${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    io.log(USAGE);
    return 0;
  }
  const positionals = parsed.positionals;
  const expected = WITH_TENANT.has(command) ? 1 : 0;
  if (positionals.length > expected) {
    io.error(`error: unexpected argument(s): ${positionals.slice(expected).join(" ")}\n\n${USAGE}`);
    return 1;
  }
  if (expected === 1 && positionals.length === 0) {
    io.error(`error: ${command} needs the tenant name: ${command} --env <env> <name>`);
    return 1;
  }
  const ctx: CommandContext = { ...context, io, root: (values.root as string) ?? context.root };
  const str = (key: string) => values[key] as string | undefined;
  const name = positionals[0] ?? "";
  switch (command) {
    case "add":
      return addTenant({
        ...ctx,
        env: str("env") ?? "",
        name,
        owner: str("owner") ?? "",
        database: str("database"),
        connectionLimit: str("connection-limit"),
        extensions: str("extensions")
          ?.split(",")
          .map((e) => e.trim())
          .filter((e) => e !== ""),
        readOnlyRole: values["read-only-role"] === true,
        description: str("description"),
      });
    case "list":
      return listTenants({ ...ctx, env: str("env") });
    case "suspend":
    case "retire":
    case "activate":
      return setTenantState({ ...ctx, env: str("env") ?? "", name, state: STATE_OF[command] });
    case "drop":
      return dropTenant({ ...ctx, env: str("env") ?? "", name, confirm: str("confirm") });
    case "check":
      return checkTenants({ ...ctx, base: str("base") ?? "" });
    default:
      return writeRegistries({ ...ctx, check: values.check === true });
  }
}
