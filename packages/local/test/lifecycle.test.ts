// Tenant lifecycle on real applies: real Terraform, the real cyrilgdn/postgresql provider and a
// PostgreSQL 16 bootstrapped like RDS (non-superuser admin, log_statement = ddl, SCRAM). After
// every step a second plan is empty and the audit finds nothing (RealApplyWorld.apply).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { TenantConfig } from "@pgforks/config";
import { tenantFixture, testWhen } from "@pgforks/testing";
import type { Client } from "pg";
import { realApplyUnavailable } from "../src/local-stack";
import { refuseUnconfirmedDrops } from "../src/local-target";
import { APPLY_TIMEOUT_MS, RealApplyWorld } from "./support";

const step = testWhen(realApplyUnavailable());

/** Whether `role` may SELECT schema.table, asked by oid (the admin has no USAGE on tenant schemas). */
const tableReadable = (role: string, schema: string, table: string) =>
  `SELECT has_table_privilege('${role}', c.oid, 'SELECT') AS ok FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '${schema}' AND c.relname = '${table}'`;
const world = new RealApplyWorld();

/** The suspend runbook's line that ends a tenant's open sessions (docs/operations.md), for `tenant`. */
function documentedTerminateSql(tenant: string): string {
  const runbook = readFileSync(resolve(__dirname, "../../../docs/operations.md"), "utf8");
  const line = runbook.match(/`(SELECT pg_terminate_backend\(pid\) [^`]*'<tenant>';)`/)?.[1];
  if (!line)
    throw new Error("docs/operations.md: no pg_terminate_backend line in the suspend runbook");
  return line.replace("<tenant>", tenant);
}

/** A session that stays open across steps, as an app's pooled connection does. */
let lingering: Client | undefined;
const lingeringAlive = async () =>
  lingering
    ?.query("SELECT 1 AS ok")
    .then(() => true)
    .catch(() => false);
/** Whether the lingering session has ended within a few seconds (a terminated backend exits promptly). */
async function lingeringEnded(): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    if (!(await lingeringAlive())) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const alpha = tenantFixture({
  name: "alpha",
  database: "alpha_db",
  connectionLimit: 5,
  readOnlyRole: true,
  extensions: ["citext"],
});
const beta = tenantFixture({ name: "beta", database: "beta_db", connectionLimit: 5 });
const gamma = tenantFixture({ name: "gamma", database: "gamma_db", connectionLimit: 3 });
const delta = tenantFixture({
  name: "delta",
  database: "delta_db",
  connectionLimit: 4,
  extensions: ["citext"],
});
const base: TenantConfig[] = [alpha, beta, gamma];
const withDelta = (patch: Partial<TenantConfig>): TenantConfig[] => [
  ...base,
  { ...delta, ...patch },
];

beforeAll(async () => {
  if (realApplyUnavailable() === undefined) await world.open();
}, APPLY_TIMEOUT_MS);
afterAll(async () => {
  await lingering?.end().catch(() => undefined);
  await world.close();
}, APPLY_TIMEOUT_MS);

step(
  "creates every tenant; a Django-style migration works in the tenant's own database",
  async () => {
    await world.apply(base);
    await world.sqlAs(
      "alpha",
      "alpha_db",
      [
        "CREATE TABLE accounts (id bigserial PRIMARY KEY, email citext UNIQUE NOT NULL)",
        "CREATE INDEX accounts_email ON accounts (email)",
        "CREATE SEQUENCE invoice_numbers",
        "CREATE TABLE django_migrations (id serial PRIMARY KEY, app text, name text, applied timestamptz)",
        "INSERT INTO accounts (email) VALUES ('Ada@Example.com')",
      ].join(";"),
    );
    const rows = await world.sqlAs(
      "alpha",
      "alpha_db",
      "SELECT current_schema() AS schema, count(*)::int AS n FROM accounts WHERE email = 'ada@example.com'",
    );
    expect(rows).toEqual([{ schema: "alpha", n: 1 }]);
    // The read-only group reads tables created later (default privileges).
    expect(
      await world.sqlAsAdmin("alpha_db", tableReadable("alpha_readonly", "alpha", "accounts")),
    ).toEqual([{ ok: true }]);
  },
  APPLY_TIMEOUT_MS,
);

step(
  "adds a tenant, then suspends it: new logins refused, open sessions run until the runbook's SQL ends them, data kept",
  async () => {
    await world.apply(withDelta({}));
    await world.sqlAs(
      "delta",
      "delta_db",
      "CREATE TABLE notes (body citext); INSERT INTO notes VALUES ('kept')",
    );
    lingering = await world.connectAs("delta", "delta_db");
    lingering.on("error", () => undefined);
    await world.apply(withDelta({ state: "suspended" }));
    await expect(world.connectAs("delta", "delta_db")).rejects.toThrow(/not permitted to log in/);
    expect(await lingeringAlive()).toBe(true);
    // As the master user (rds_superuser may end any session), the runbook's line, word for word.
    expect(await world.sqlAsAdmin("postgres", documentedTerminateSql("delta"))).toEqual([
      { pg_terminate_backend: true },
    ]);
    expect(await lingeringEnded()).toBe(true);
    await lingering.end().catch(() => undefined);
    // Checked as the bootstrap superuser: the admin itself cannot read into a tenant's schema.
    expect(
      JSON.parse(
        await world.server.superuserSql("SELECT count(*)::int AS n FROM delta.notes", "delta_db"),
      ),
    ).toEqual([{ n: 1 }]);
  },
  APPLY_TIMEOUT_MS,
);

step(
  "activates it again (data there), then retires it (logins refused)",
  async () => {
    await world.apply(withDelta({ state: "active" }));
    expect(await world.sqlAs("delta", "delta_db", "SELECT body FROM notes")).toEqual([
      { body: "kept" },
    ]);
    // A session opened while active outlives the retirement, up to the drop below.
    lingering = await world.connectAs("delta", "delta_db");
    lingering.on("error", () => undefined);
    await world.apply(withDelta({ state: "retired" }));
    await expect(world.connectAs("delta", "delta_db")).rejects.toThrow(/not permitted to log in/);
    expect(await lingeringAlive()).toBe(true);
  },
  APPLY_TIMEOUT_MS,
);

/** npm start's check of the local tenants file before it applies a plan. */
const startsCheck = (tenants: readonly TenantConfig[]) =>
  refuseUnconfirmedDrops("environments/local/tenants.yaml", tenants);

step(
  "npm start refuses a plan that drops it because its entry was removed: nothing changed, data kept",
  async () => {
    const password = world.credentials.tenants.delta?.password;
    await expect(world.applyOnly(base, startsCheck(base))).rejects.toThrow(
      [
        "environments/local/tenants.yaml: no fork there drops database delta_db, but applying it would: an entry was removed or renamed. Nothing was changed.",
        "Fix: put the entry back to keep the data; to drop it, keep the entry with state: dropped and confirmDrop: <its database>; or npm run local -- reset to start over (deletes every fork's data).",
      ].join("\n"),
    );
    expect(
      JSON.parse(
        await world.server.superuserSql("SELECT count(*)::int AS n FROM delta.notes", "delta_db"),
      ),
    ).toEqual([{ n: 1 }]);
    expect(await lingeringAlive()).toBe(true);
    // The entry back: the same tenant, its password kept through the refused run.
    await world.apply(withDelta({ state: "retired" }));
    expect(world.credentials.tenants.delta?.password).toBe(password);
  },
  APPLY_TIMEOUT_MS,
);

step(
  "drops it with confirmDrop although a column uses its extension and a session is open: session ended, database and roles gone, nothing locked",
  async () => {
    const dropped = withDelta({ state: "dropped", confirmDrop: "delta_db" });
    await world.apply(dropped, startsCheck(dropped));
    expect(await lingeringEnded()).toBe(true);
    expect(
      await world.sqlAsAdmin(
        "postgres",
        "SELECT count(*)::int AS n FROM pg_database WHERE datname = 'delta_db'",
      ),
    ).toEqual([{ n: 0 }]);
    expect(
      await world.sqlAsAdmin(
        "postgres",
        "SELECT count(*)::int AS n FROM pg_roles WHERE rolname = 'delta'",
      ),
    ).toEqual([{ n: 0 }]);
  },
  APPLY_TIMEOUT_MS,
);

step(
  "re-adds the dropped name: a fresh, empty database",
  async () => {
    await world.apply(withDelta({ state: "active", passwordVersion: 2 }));
    expect(
      await world.sqlAs(
        "delta",
        "delta_db",
        "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'delta'",
      ),
    ).toEqual([{ n: 0 }]);
  },
  APPLY_TIMEOUT_MS,
);

step(
  "a database rename is refused at plan time, and nothing changes",
  async () => {
    const renamed = [alpha, { ...beta, database: "beta_renamed" }, gamma, delta];
    await expect(world.applyOnly(renamed)).rejects.toThrow(/Renaming a tenant database is refused/);
    expect(
      await world.sqlAsAdmin(
        "postgres",
        "SELECT datname FROM pg_database WHERE datname LIKE 'beta%' ORDER BY 1",
      ),
    ).toEqual([{ datname: "beta_db" }]);
    await world.apply([alpha, beta, gamma, delta]);
  },
  APPLY_TIMEOUT_MS,
);

step(
  "readOnlyRole on and off while the database has tables; off fails clearly while the tenant granted the group more than tables",
  async () => {
    await world.sqlAs(
      "beta",
      "beta_db",
      "CREATE TABLE orders (id int); CREATE TABLE audit_log (id int); CREATE SEQUENCE order_numbers",
    );
    const readOnly = [alpha, { ...beta, readOnlyRole: true }, gamma, delta];
    await world.apply(readOnly);
    expect(
      await world.sqlAsAdmin("beta_db", tableReadable("beta_readonly", "beta", "orders")),
    ).toEqual([{ ok: true }]);
    // The tenant owns its tables and may grant the group more than the stack does. On tables of
    // its schema that is harmless: the provider revokes ALL on them before dropping the group.
    await world.sqlAs("beta", "beta_db", "GRANT UPDATE ON audit_log TO beta_readonly");
    await world.apply([alpha, beta, gamma, delta]);
    expect(
      await world.sqlAsAdmin(
        "postgres",
        "SELECT count(*)::int AS n FROM pg_roles WHERE rolname = 'beta_readonly'",
      ),
    ).toEqual([{ n: 0 }]);
    // Anything else (a sequence here) keeps the group alive: the apply fails with PostgreSQL's reason.
    await world.apply(readOnly);
    await world.sqlAs("beta", "beta_db", "GRANT USAGE ON SEQUENCE order_numbers TO beta_readonly");
    await expect(world.applyOnly([alpha, beta, gamma, delta])).rejects.toThrow(
      /role "beta_readonly" cannot be dropped because some objects depend on it/,
    );
    // The documented way out: the tenant revokes what it granted; the same apply then succeeds.
    await world.sqlAs("beta", "beta_db", "REVOKE ALL ON SEQUENCE order_numbers FROM beta_readonly");
    await world.apply([alpha, beta, gamma, delta]);
    expect(
      await world.sqlAsAdmin(
        "postgres",
        "SELECT count(*)::int AS n FROM pg_roles WHERE rolname = 'beta_readonly'",
      ),
    ).toEqual([{ n: 0 }]);
  },
  APPLY_TIMEOUT_MS,
);

step(
  "an extension is added; its removal while a column uses it is refused and leaves everything as it was",
  async () => {
    const withTrgm = [alpha, { ...beta, extensions: ["pg_trgm" as const] }, gamma, delta];
    await world.apply(withTrgm);
    await world.sqlAs(
      "beta",
      "beta_db",
      "CREATE TABLE docs (body text); CREATE INDEX docs_trgm ON docs USING gin (body public.gin_trgm_ops)",
    );
    await expect(world.applyOnly([alpha, beta, gamma, delta])).rejects.toThrow(
      /cannot drop extension pg_trgm because other objects depend on it/,
    );
    expect(
      await world.sqlAsAdmin(
        "beta_db",
        "SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'pg_trgm'",
      ),
    ).toEqual([{ n: 1 }]);
    await world.apply(withTrgm);
  },
  APPLY_TIMEOUT_MS,
);

step(
  "bumping passwordVersion: the plan changes only gamma's password version and holds no password or verifier, nor does the state; the old password is refused, the new one works",
  async () => {
    const old = world.credentials.tenants.gamma?.password ?? "";
    const tenants = [
      alpha,
      { ...beta, extensions: ["pg_trgm" as const] },
      { ...gamma, passwordVersion: 2 },
      delta,
    ];
    let planJson = "";
    await world.applyOnly(tenants, (json) => {
      planJson = json;
    });
    const fresh = world.credentials.tenants.gamma?.password ?? "";
    expect(fresh).not.toBe(old);
    // "Where passwords live": neither the saved plan nor the state holds a password or a SCRAM
    // verifier (the verifiers get a fresh salt each run, so look for their prefix).
    const secrets = [old, fresh, "SCRAM-SHA-256$"];
    expect(old.length).toBe(40);
    const state = world.stateText();
    expect(secrets.filter((x) => planJson.includes(x) || state.includes(x))).toEqual([]);
    const changes = (
      JSON.parse(planJson) as {
        resource_changes: Array<{
          type: string;
          change: {
            actions: string[];
            before: Record<string, unknown>;
            after: Record<string, unknown>;
          };
        }>;
      }
    ).resource_changes.filter((c) => c.change.actions.join() !== "no-op");
    expect(
      changes.map((c) => ({
        type: c.type,
        actions: c.change.actions,
        name: c.change.after.name,
        changed: Object.keys(c.change.after).filter(
          (k) => JSON.stringify(c.change.after[k]) !== JSON.stringify(c.change.before[k]),
        ),
      })),
    ).toEqual([
      {
        type: "postgresql_role",
        actions: ["update"],
        name: "gamma",
        changed: ["password_wo_version"],
      },
    ]);
    expect(await world.plan()).toMatchObject({ code: 0 });
    expect(await world.findings()).toEqual([]);
    await expect(world.connectAs("gamma", "gamma_db", old)).rejects.toThrow(
      /password authentication failed/,
    );
    expect(await world.sqlAs("gamma", "gamma_db", "SELECT 1 AS ok")).toEqual([{ ok: 1 }]);
  },
  APPLY_TIMEOUT_MS,
);

step(
  "plan and apply while a tenant holds every connection it is allowed",
  async () => {
    const held = await Promise.all(
      Array.from({ length: gamma.connectionLimit }, () => world.connectAs("gamma", "gamma_db")),
    );
    try {
      await expect(world.connectAs("gamma", "gamma_db")).rejects.toThrow(/too many connections/);
      await world.apply([
        alpha,
        { ...beta, extensions: ["pg_trgm" as const] },
        { ...gamma, passwordVersion: 2, readOnlyRole: true },
        delta,
      ]);
    } finally {
      await Promise.all(held.map((c) => c.end()));
    }
  },
  APPLY_TIMEOUT_MS,
);

step("no generated password appears in the server log, which did log the role DDL", () => {
  const log = world.serverLog();
  expect(log).toMatch(/statement: CREATE ROLE "alpha"/);
  const passwords = [
    world.server.password ?? "",
    ...Object.values(world.credentials.tenants).map((c) => c.password),
  ];
  expect(passwords.filter((p) => p !== "" && log.includes(p))).toEqual([]);
});
