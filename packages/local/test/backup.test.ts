// The tenant backup and restore runbook (docs/operations.md, what `tenant drop` prints), run for
// real: the exact commands of backupCommands/restoreCommands, through bash, with the PostgreSQL 16
// client programs (tools/pg-client), against a PostgreSQL 16 bootstrapped like RDS whose tenants
// were applied by real Terraform and the real provider.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { tenantDatabaseName } from "@pgforks/config";
import {
  type AdminConnection,
  type BackedUpTenant,
  backupCommands,
  restoreCommands,
} from "@pgforks/tenants";
import { tenantFixture, testWhen } from "@pgforks/testing";
import { realApplyUnavailable } from "../src/local-stack";
import { LOCAL_ADMIN_ROLE } from "../src/local-target";
import { APPLY_TIMEOUT_MS, RealApplyWorld } from "./support";

const pgClientBin = resolve(__dirname, "../../../.tools/pg-client/pgserver/pginstall/bin");
const pgClientMissing = existsSync(join(pgClientBin, "pg_dump"))
  ? undefined
  : "no PostgreSQL 16 client programs in .tools/pg-client: run bash tools/pg-client/install.sh";
const step = testWhen(realApplyUnavailable() ?? pgClientMissing);

const world = new RealApplyWorld();
const fintech = tenantFixture({
  name: "fintech",
  database: "fintech_db",
  connectionLimit: 5,
  extensions: ["citext"],
});
const tenant: BackedUpTenant = { name: fintech.name, database: tenantDatabaseName(fintech) };

let connection: AdminConnection;
let workDir: string;

/** Runs one runbook line through bash as an operator would, with the admin's password. */
function run(command: string): { code: number; output: string } {
  const result = spawnSync("bash", ["-c", command], {
    cwd: workDir,
    encoding: "utf8",
    env: {
      ...process.env,
      PATH: `${pgClientBin}:${process.env.PATH}`,
      PGPASSWORD: world.server.password ?? "",
      PGCONNECT_TIMEOUT: "15",
    },
    timeout: 120_000,
  });
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

/** Runs every line; each must succeed. */
function runAll(commands: readonly string[]): void {
  for (const command of commands) {
    expect({ command, ...run(command) }).toMatchObject({ command, code: 0 });
  }
}

const invoices = () =>
  world.sqlAs("fintech", "fintech_db", "SELECT note::text FROM invoices ORDER BY id");

beforeAll(async () => {
  if (realApplyUnavailable() !== undefined || pgClientMissing !== undefined) return;
  await world.open();
  workDir = join(world.dir, "backups");
  mkdirSync(workDir);
  connection = {
    host: world.server.host,
    port: world.server.port,
    user: LOCAL_ADMIN_ROLE,
    sslmode: "disable",
  };
  await world.apply([fintech]);
  await world.sqlAs(
    "fintech",
    "fintech_db",
    "CREATE TABLE invoices (id bigserial PRIMARY KEY, note citext); INSERT INTO invoices (note) VALUES ('first'), ('second')",
  );
}, APPLY_TIMEOUT_MS);
afterAll(() => world.close(), APPLY_TIMEOUT_MS);

step(
  "a plain pg_dump as the admin is refused: the tenant's schema is not the admin's",
  async () => {
    const dump = backupCommands(connection, tenant)[1] as string;
    const result = run(dump);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/permission denied for schema fintech/);
  },
  APPLY_TIMEOUT_MS,
);

step(
  "the backup commands dump the tenant's tables and leave no membership behind",
  async () => {
    runAll(backupCommands(connection, tenant));
    const list = run("pg_restore --list fintech_db-*.dump");
    expect(list.code).toBe(0);
    expect(list.output).toMatch(/TABLE DATA fintech invoices/);
    // The grant is gone again: the audit finds nothing and a plan changes nothing.
    expect(await world.findings()).toEqual([]);
    expect((await world.plan()).code).toBe(0);
  },
  APPLY_TIMEOUT_MS,
);

step(
  "the restore commands bring the tables back, owned by the tenant",
  async () => {
    await world.sqlAs("fintech", "fintech_db", "DELETE FROM invoices WHERE note = 'first'");
    expect(await invoices()).toEqual([{ note: "second" }]);
    const file = run("ls fintech_db-*.dump").output.trim();
    runAll(restoreCommands(connection, tenant, file));
    expect(await invoices()).toEqual([{ note: "first" }, { note: "second" }]);
    expect(
      await world.sqlAs(
        "fintech",
        "fintech_db",
        "SELECT tableowner FROM pg_tables WHERE tablename = 'invoices'",
      ),
    ).toEqual([{ tableowner: "fintech" }]);
    // The tenant writes to its restored table, and nothing is left for Terraform or the audit.
    await world.sqlAs("fintech", "fintech_db", "INSERT INTO invoices (note) VALUES ('third')");
    expect(await world.findings()).toEqual([]);
    expect((await world.plan()).code).toBe(0);
  },
  APPLY_TIMEOUT_MS,
);

// Moving a tenant's data elsewhere (docs/operations.md, "Lifecycle of a fork": renaming a
// database; "Graduating a fork"): the dump names the tenant's schema in every statement, so the
// restore works into a tenant of the same name only.
const ledger = tenantFixture({ name: "ledger", database: "ledger_db", connectionLimit: 3 });

step(
  "restoring into another tenant's database fails: the dump names the old tenant's schema",
  async () => {
    await world.apply([fintech, ledger]);
    const file = run("ls fintech_db-*.dump").output.trim();
    const commands = restoreCommands(connection, { name: "ledger", database: "ledger_db" }, file);
    runAll(commands.slice(0, 2));
    const restore = run(commands[2] as string);
    runAll(commands.slice(3));
    expect(restore.code).not.toBe(0);
    expect(restore.output).toMatch(/schema "fintech" does not exist/);
    expect(
      await world.sqlAs(
        "ledger",
        "ledger_db",
        "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
      ),
    ).toEqual([{ n: 0 }]);
    expect(await world.findings()).toEqual([]);
  },
  APPLY_TIMEOUT_MS,
);

step(
  "a database rename as the runbook does it: back up, drop, add the same tenant with the new database, restore",
  async () => {
    // The backup taken above (before the third row): the data to move.
    const file = run("ls fintech_db-*.dump").output.trim();
    await world.apply([{ ...fintech, state: "dropped", confirmDrop: "fintech_db" }, ledger]);
    const moved = { ...fintech, database: "fintech_moved", passwordVersion: 2 };
    await world.apply([moved, ledger]);
    runAll(restoreCommands(connection, { name: "fintech", database: "fintech_moved" }, file));
    expect(
      await world.sqlAs("fintech", "fintech_moved", "SELECT note::text FROM invoices ORDER BY id"),
    ).toEqual([{ note: "first" }, { note: "second" }]);
    expect(
      await world.sqlAs(
        "fintech",
        "fintech_moved",
        "SELECT tableowner FROM pg_tables WHERE tablename = 'invoices'",
      ),
    ).toEqual([{ tableowner: "fintech" }]);
    expect(await world.findings()).toEqual([]);
    expect((await world.plan()).code).toBe(0);
  },
  APPLY_TIMEOUT_MS,
);
