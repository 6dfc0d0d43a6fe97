import { ADMIN_CONNECTION_HEADROOM } from "@pgforks/config";
import { generatePassword, startPostgres, type TemporaryPostgres } from "@pgforks/postgres-server";
import { environmentFixture, tenantFixture } from "@pgforks/testing";
import type { Client } from "pg";
import { type AuditedEnvironment, type AuditOptions, auditEnvironment } from "../src/audit";
import type { AuditConnection } from "../src/catalog";
import type { Finding, FindingCode } from "../src/findings";
import { renderReport, renderReportJson } from "../src/report";
import {
  adminConnections,
  adminSql,
  applyEnvironment as applyState,
  applyTenant,
  ident,
  TEST_SERVER_AUDIT_OPTIONS,
} from "./support";

const alpha = tenantFixture({
  name: "alpha",
  database: "alpha_db",
  readOnlyRole: true,
  extensions: ["citext"],
});
const beta = tenantFixture({ name: "beta", connectionLimit: 5 });
const gamma = tenantFixture({ name: "gamma", state: "suspended", connectionLimit: 7 });
const delta = tenantFixture({ name: "delta", state: "dropped", confirmDrop: "delta" });
// Suspended with a read-only role: the stack grants that role no CONNECT while not active.
const epsilon = tenantFixture({ name: "epsilon", state: "suspended", readOnlyRole: true });

const loaded: AuditedEnvironment = {
  name: "test",
  environment: environmentFixture(),
  tenants: [alpha, beta, gamma, delta, epsilon],
};
const master = loaded.environment.database.masterUsername;

let server: TemporaryPostgres;
let admin: Client;
let connect: ReturnType<typeof adminConnections>;

beforeAll(async () => {
  // Like RDS: the master user is CREATEROLE/CREATEDB, in rds_superuser, not a superuser.
  server = await startPostgres({ rds: { adminRole: master, adminPassword: generatePassword() } });
  connect = adminConnections(server);
  admin = await connect();
  await applyState(server, admin, loaded);
}, 120_000);

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

async function findings(options: AuditOptions = {}): Promise<readonly Finding[]> {
  return (await audit(options)).findings;
}

function audit(options: AuditOptions = {}) {
  return auditEnvironment(connect, loaded, {
    ...options,
    ignoreRoles: [...TEST_SERVER_AUDIT_OPTIONS.ignoreRoles, ...(options.ignoreRoles ?? [])],
  });
}

function codes(found: readonly Finding[]): FindingCode[] {
  return [...new Set(found.map((f) => f.code))].sort();
}

/** As the admin, on the admin database. */
async function sql(...statements: string[]): Promise<void> {
  for (const statement of statements) await admin.query(statement);
}

/** As the bootstrap superuser: what the admin may not do on RDS. */
async function asSuperuser(statement: string, database = "postgres"): Promise<void> {
  await server.superuserSql(statement, database);
}

// Every test reverts its violation; this proves it did, so tests never leak into each other.
afterEach(async () => {
  expect(await findings()).toEqual([]);
});

test("the state the tenants stack creates has no findings, audited by a non-superuser admin", async () => {
  const report = await audit();
  expect(report.findings).toEqual([]);
  expect(report.server.user).toBe(master);
  expect(report.server.version).toMatch(/^16\./);
  expect(report.checked.tenants).toBe(5);
  expect(renderReport(report)).toMatch(/\nno findings\n$/);
  expect(JSON.parse(renderReportJson(report))).toMatchObject({ ok: true, count: 0 });
  // The state really is the new model (so "no findings" means the audit accepts it).
  const facts = await admin.query(
    `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS "adminSuperuser",
       (SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = 'alpha_db') AS owner,
       (SELECT datconnlimit FROM pg_database WHERE datname = 'gamma') AS "gammaDbLimit",
       (SELECT rolconnlimit FROM pg_roles WHERE rolname = 'gamma') AS "gammaRoleLimit",
       has_database_privilege('beta', 'beta', 'CONNECT') AS "betaConnect",
       has_database_privilege('beta', 'beta', 'TEMPORARY') AS "betaTemp",
       has_database_privilege('beta', 'beta', 'CREATE') AS "betaCreate",
       has_database_privilege('beta', 'postgres', 'CONNECT') AS "betaConnectPostgres",
       has_database_privilege('alpha_readonly', 'alpha_db', 'CONNECT') AS "alphaReadOnlyConnect",
       has_database_privilege('epsilon_readonly', 'epsilon', 'CONNECT') AS "epsilonReadOnlyConnect",
       pg_has_role($1, 'beta', 'USAGE') AS "adminInheritsBeta"`,
    [master],
  );
  expect(facts.rows[0]).toEqual({
    adminSuperuser: false,
    owner: master,
    gammaDbLimit: 7 + ADMIN_CONNECTION_HEADROOM,
    gammaRoleLimit: 0,
    betaConnect: true,
    betaTemp: true,
    betaCreate: false,
    betaConnectPostgres: false,
    alphaReadOnlyConnect: true,
    epsilonReadOnlyConnect: false,
    adminInheritsBeta: false,
  });
  const inAlpha = await connect("alpha_db");
  try {
    const schema = await inAlpha.query(
      `SELECT pg_get_userbyid(nspowner)::text AS owner FROM pg_namespace WHERE nspname = 'alpha'`,
    );
    expect(schema.rows).toEqual([{ owner: "alpha" }]);
    const extension = await inAlpha.query(
      `SELECT n.nspname::text AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'citext'`,
    );
    expect(extension.rows).toEqual([{ schema: "public" }]);
  } finally {
    await inAlpha.end();
  }
});

test("reads in read-only sessions: the catalogs in one transaction, each tenant database's schemas on its own connection", async () => {
  const sessions: Array<{ database: string; statements: string[]; end?: unknown }> = [];
  await auditEnvironment(
    async (database) => {
      const client = await connect(database);
      const session = {
        database: database ?? "(default)",
        statements: [] as string[],
        end: undefined as unknown,
      };
      sessions.push(session);
      const recording: AuditConnection = {
        query: (text, values) => {
          session.statements.push(text.trim());
          return client.query(text, values);
        },
        end: async () => {
          session.end = (
            await client.query(
              "SELECT current_database()::text AS db, current_setting('default_transaction_read_only') AS ro, current_setting('search_path') AS path",
            )
          ).rows[0];
          await client.end();
        },
      };
      return recording;
    },
    loaded,
    TEST_SERVER_AUDIT_OPTIONS,
  );
  const [main, ...inside] = sessions;
  expect(main?.database).toBe("(default)");
  expect(main?.end).toMatchObject({ db: "postgres", ro: "on" });
  expect(main?.statements[0]).toBe("SET SESSION default_transaction_read_only = on");
  expect(main?.statements[1]).toMatch(/^BEGIN .*READ ONLY$/);
  expect(main?.statements.at(-1)).toBe("ROLLBACK");
  for (const statement of main?.statements.slice(2, -1) ?? [])
    expect(statement).toMatch(/^SELECT /);
  // Every tenant database that is present, once, in config order; the dropped one is not opened.
  expect(inside.map((s) => s.database)).toEqual(["alpha_db", "beta", "gamma", "epsilon"]);
  for (const session of inside) {
    expect(session.end).toEqual({ db: session.database, ro: "on", path: "pg_catalog" });
    // search_path is pinned before anything else runs there.
    expect(session.statements[0]).toBe("SET SESSION search_path = pg_catalog");
    for (const statement of session.statements.slice(1))
      expect(statement).toMatch(/^(SET SESSION|SELECT) /);
  }
});

test("missing database", async () => {
  await sql(`DROP DATABASE ${ident("beta")}`);
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "missing-database",
        tenant: "beta",
        object: { kind: "database", name: "beta" },
        expected: "exists",
        actual: "absent",
      }),
    ]);
  } finally {
    await applyTenant(server, admin, beta);
  }
});

test("missing read-only role", async () => {
  await asSuperuser("DROP OWNED BY alpha_readonly", "alpha_db");
  await sql("DROP ROLE alpha_readonly");
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "missing-role",
        tenant: "alpha",
        object: { kind: "role", name: "alpha_readonly" },
      }),
    ]);
  } finally {
    await applyTenant(server, admin, alpha);
  }
});

test("a tenant database owned by the tenant (the old model) is the wrong owner", async () => {
  // Only a superuser can: the admin cannot SET ROLE to the tenant on PostgreSQL 16.
  await asSuperuser("ALTER DATABASE beta OWNER TO beta");
  try {
    const found = await findings();
    expect(found).toContainEqual(
      expect.objectContaining({
        code: "wrong-owner",
        tenant: "beta",
        object: { kind: "database", name: "beta" },
        expected: master,
        actual: "beta",
      }),
    );
    // As the owner, beta can CREATE schemas (and the admin lost its owner's CONNECT: the audit
    // reports instead of failing to open the database).
    expect(codes(found)).toEqual(["tenant-create-database", "wrong-owner"]);
  } finally {
    await applyTenant(server, admin, beta);
  }
});

test("wrong connection limit on the role and on the database", async () => {
  await sql("ALTER ROLE beta CONNECTION LIMIT 50", "ALTER DATABASE beta CONNECTION LIMIT -1");
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "wrong-connection-limit",
        object: { kind: "role", name: "beta" },
        expected: beta.connectionLimit,
        actual: 50,
      }),
      expect.objectContaining({
        code: "wrong-connection-limit",
        object: { kind: "database", name: "beta" },
        expected: beta.connectionLimit + ADMIN_CONNECTION_HEADROOM,
        actual: -1,
      }),
    ]);
  } finally {
    await applyTenant(server, admin, beta);
  }
});

test("a database limit without the admin's headroom is wrong, also for a suspended tenant", async () => {
  await sql("ALTER DATABASE gamma CONNECTION LIMIT 7");
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "wrong-connection-limit",
        tenant: "gamma",
        object: { kind: "database", name: "gamma" },
        expected: 7 + ADMIN_CONNECTION_HEADROOM,
        actual: 7,
      }),
    ]);
  } finally {
    await applyTenant(server, admin, gamma);
  }
});

test("a suspended tenant's role that can still log in (and its limit must be 0)", async () => {
  await sql("ALTER ROLE gamma LOGIN CONNECTION LIMIT 7");
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "role-can-login",
        tenant: "gamma",
        expected: false,
        actual: true,
      }),
      expect.objectContaining({
        code: "wrong-connection-limit",
        tenant: "gamma",
        object: { kind: "role", name: "gamma" },
        expected: 0,
        actual: 7,
      }),
    ]);
  } finally {
    await applyTenant(server, admin, gamma);
  }
});

test("an active tenant's role that cannot log in", async () => {
  await sql("ALTER ROLE beta NOLOGIN");
  try {
    expect(codes(await findings())).toEqual(["role-cannot-login"]);
  } finally {
    await applyTenant(server, admin, beta);
  }
});

test.each([
  ["CREATEDB", "createdb"],
  ["CREATEROLE", "createrole"],
] as const)("a tenant role with %s (the admin can grant it)", async (attribute, code) => {
  await sql(`ALTER ROLE beta ${attribute}`);
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({ code, tenant: "beta", object: { kind: "role", name: "beta" } }),
    ]);
  } finally {
    await applyTenant(server, admin, beta);
  }
});

test.each([
  ["REPLICATION", "replication"],
  ["BYPASSRLS", "bypassrls"],
] as const)("a tenant role with %s (only a superuser can grant it)", async (attribute, code) => {
  await asSuperuser(`ALTER ROLE beta ${attribute}`);
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({ code, tenant: "beta", object: { kind: "role", name: "beta" } }),
    ]);
  } finally {
    await applyTenant(server, admin, beta);
  }
});

test("a tenant role with SUPERUSER: said once, not as cross-tenant findings", async () => {
  await asSuperuser("ALTER ROLE beta SUPERUSER");
  try {
    const found = await findings();
    expect(found).toContainEqual(
      expect.objectContaining({
        code: "superuser",
        tenant: "beta",
        object: { kind: "role", name: "beta" },
      }),
    );
    // A superuser holds every privilege: CREATE on its database and in schema public too.
    expect(codes(found)).toEqual(["public-schema-create", "superuser", "tenant-create-database"]);
    expect(found.every((f) => f.tenant === "beta")).toBe(true);
  } finally {
    await applyTenant(server, admin, beta);
  }
});

test("the read-only role is held to the same attributes", async () => {
  await sql("ALTER ROLE alpha_readonly CREATEDB");
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "createdb",
        tenant: "alpha",
        object: { kind: "role", name: "alpha_readonly" },
      }),
    ]);
  } finally {
    await applyTenant(server, admin, alpha);
  }
});

test("an active tenant's read-only role without CONNECT", async () => {
  await sql("REVOKE CONNECT ON DATABASE alpha_db FROM alpha_readonly");
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "missing-connect",
        tenant: "alpha",
        object: { kind: "database", name: "alpha_db" },
        expected: true,
        actual: false,
      }),
    ]);
  } finally {
    await applyTenant(server, admin, alpha);
  }
});

test("a tenant's own role without CONNECT, in any state", async () => {
  await sql("REVOKE CONNECT ON DATABASE gamma FROM gamma");
  try {
    const found = await findings();
    expect(found).toEqual([expect.objectContaining({ code: "missing-connect", tenant: "gamma" })]);
    expect(found[0]?.message).toContain(`role "gamma" cannot connect`);
  } finally {
    await applyTenant(server, admin, gamma);
  }
});

test("PUBLIC CONNECT re-granted: every other tenant can connect", async () => {
  await sql("GRANT CONNECT ON DATABASE alpha_db TO PUBLIC");
  try {
    const found = await findings();
    expect(found).toContainEqual(
      expect.objectContaining({
        code: "public-connect",
        tenant: "alpha",
        object: { kind: "database", name: "alpha_db" },
      }),
    );
    const crossing = found.filter((f) => f.code === "cross-tenant-connect");
    expect(crossing.map((f) => [f.tenant, f.object.name]).sort()).toEqual([
      ["beta", "alpha_db"],
      ["epsilon", "alpha_db"],
      ["epsilon", "alpha_db"],
      ["gamma", "alpha_db"],
    ]);
    expect(crossing[0]?.message).toContain("through PUBLIC");
    expect(codes(found)).toEqual(["cross-tenant-connect", "public-connect"]);
  } finally {
    await sql("REVOKE CONNECT ON DATABASE alpha_db FROM PUBLIC");
  }
});

test("PUBLIC CONNECT on template1 again: a finding, as on postgres", async () => {
  await sql("GRANT CONNECT ON DATABASE template1 TO PUBLIC");
  try {
    const found = await findings();
    expect(codes(found)).toEqual(["public-connect"]);
    expect(found[0]?.object).toEqual({ kind: "database", name: "template1" });
  } finally {
    await sql("REVOKE CONNECT ON DATABASE template1 FROM PUBLIC");
  }
});

test("another tenant grants a tenant's role privileges: held-elsewhere, as its DROP ROLE would fail", async () => {
  await asSuperuser(
    "SET ROLE beta; CREATE TABLE beta.shared (x int); GRANT SELECT ON beta.shared TO alpha",
    "beta",
  );
  try {
    const found = await findings();
    expect(codes(found)).toEqual(["held-elsewhere"]);
    expect(found[0]).toMatchObject({
      tenant: "alpha",
      object: { kind: "database", name: "beta" },
      expected: 0,
      actual: 1,
    });
    expect(found[0]?.message).toContain(
      'role "alpha" owns objects or holds privileges in database "beta"',
    );
  } finally {
    await asSuperuser("DROP TABLE beta.shared", "beta");
  }
});

test("PUBLIC TEMPORARY re-granted", async () => {
  await sql("GRANT TEMPORARY ON DATABASE alpha_db TO PUBLIC");
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "public-temp",
        tenant: "alpha",
        object: { kind: "database", name: "alpha_db" },
      }),
    ]);
  } finally {
    await sql("REVOKE TEMPORARY ON DATABASE alpha_db FROM PUBLIC");
  }
});

test("PUBLIC CREATE granted: every role, the tenant too, can create schemas", async () => {
  await sql("GRANT CREATE ON DATABASE alpha_db TO PUBLIC");
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "public-create",
        tenant: "alpha",
        object: { kind: "database", name: "alpha_db" },
      }),
      expect.objectContaining({
        code: "tenant-create-database",
        tenant: "alpha",
        object: { kind: "database", name: "alpha_db" },
      }),
    ]);
  } finally {
    await sql("REVOKE CREATE ON DATABASE alpha_db FROM PUBLIC");
  }
});

test("PUBLIC CONNECT on the admin database postgres", async () => {
  await sql("GRANT CONNECT ON DATABASE postgres TO PUBLIC");
  try {
    const found = await findings();
    expect(found).toEqual([
      expect.objectContaining({
        code: "public-connect",
        object: { kind: "database", name: "postgres" },
        expected: "revoked",
        actual: "granted",
      }),
    ]);
    expect(found[0]?.tenant).toBeUndefined();
  } finally {
    await sql("REVOKE CONNECT ON DATABASE postgres FROM PUBLIC");
  }
});

test("a database that never had PUBLIC revoked (default ACL) is reported", async () => {
  // Created by hand: no REVOKE, no grant, no schema, so datacl is NULL and PUBLIC holds the
  // built-in defaults.
  await sql(
    "DROP DATABASE beta",
    `CREATE DATABASE beta OWNER ${ident(master)} CONNECTION LIMIT ${beta.connectionLimit + ADMIN_CONNECTION_HEADROOM}`,
  );
  try {
    const found = await findings();
    expect(codes(found)).toEqual([
      "cross-tenant-connect",
      "missing-schema",
      "public-connect",
      "public-temp",
    ]);
    expect(found.find((f) => f.code === "missing-schema")).toMatchObject({
      tenant: "beta",
      expected: "beta",
      actual: null,
    });
  } finally {
    await applyTenant(server, admin, beta);
  }
});

test("the tenant can CREATE (schemas) on its own database", async () => {
  await sql("GRANT CREATE ON DATABASE beta TO beta");
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "tenant-create-database",
        tenant: "beta",
        object: { kind: "database", name: "beta" },
        expected: false,
        actual: true,
      }),
    ]);
  } finally {
    await applyTenant(server, admin, beta);
  }
});

test("the tenant's schema is missing", async () => {
  await asSuperuser("DROP SCHEMA beta", "beta");
  try {
    const found = await findings();
    expect(found).toEqual([
      expect.objectContaining({
        code: "missing-schema",
        tenant: "beta",
        object: { kind: "database", name: "beta" },
        expected: "beta",
        actual: null,
      }),
    ]);
    expect(found[0]?.message).toContain(`has no schema "beta"`);
  } finally {
    await applyTenant(server, admin, beta);
  }
});

test.each([
  ["the admin", master, ["missing-schema"]],
  // And alpha now owns an object in beta's database: its DROP ROLE would fail.
  ["another tenant", "alpha", ["held-elsewhere", "missing-schema"]],
])("the tenant's schema is owned by %s", async (_who, owner, expectedCodes) => {
  await asSuperuser(`ALTER SCHEMA beta OWNER TO ${ident(owner)}`, "beta");
  try {
    const found = await findings();
    expect(codes(found)).toEqual(expectedCodes);
    const missing = found.filter((f) => f.code === "missing-schema");
    expect(missing).toEqual([
      expect.objectContaining({
        tenant: "beta",
        object: { kind: "database", name: "beta" },
        expected: "beta",
        actual: owner,
      }),
    ]);
    expect(missing[0]?.message).toContain(`is owned by "${owner}"`);
  } finally {
    await applyTenant(server, admin, beta);
  }
});

test.each([
  ["the tenant", "beta", `role "beta"`],
  ["PUBLIC", "PUBLIC", "PUBLIC"],
])("CREATE on schema public granted to %s", async (_who, grantee, said) => {
  // The admin owns the database, so schema public through pg_database_owner: it can grant this.
  await adminSql(server, "beta", `GRANT CREATE ON SCHEMA public TO ${grantee}`);
  try {
    const found = await findings();
    expect(found).toEqual([
      expect.objectContaining({
        code: "public-schema-create",
        tenant: "beta",
        object: { kind: "database", name: "beta" },
        expected: false,
        actual: true,
      }),
    ]);
    expect(found[0]?.message).toMatch(new RegExp(`^${said} can CREATE in schema public of "beta"`));
  } finally {
    await adminSql(server, "beta", `REVOKE CREATE ON SCHEMA public FROM ${grantee}`);
  }
});

test("a database-level setting (ALTER DATABASE ... SET)", async () => {
  await sql("ALTER DATABASE beta SET search_path = public");
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "database-settings",
        tenant: "beta",
        object: { kind: "database", name: "beta" },
        expected: null,
        actual: "search_path=public",
      }),
    ]);
  } finally {
    await sql("ALTER DATABASE beta RESET search_path");
  }
});

test("ALLOW_CONNECTIONS false is reported (the audit does not try to open that database)", async () => {
  await sql("ALTER DATABASE beta WITH ALLOW_CONNECTIONS false");
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "connections-disallowed",
        tenant: "beta",
        object: { kind: "database", name: "beta" },
        expected: true,
        actual: false,
      }),
    ]);
  } finally {
    await applyTenant(server, admin, beta);
  }
});

test("tenant A granted CONNECT on tenant B's database", async () => {
  await sql("GRANT CONNECT ON DATABASE beta TO alpha");
  try {
    const found = await findings();
    expect(found).toEqual([
      expect.objectContaining({
        code: "cross-tenant-connect",
        tenant: "alpha",
        object: { kind: "database", name: "beta" },
        expected: false,
        actual: true,
      }),
    ]);
    expect(found[0]?.message).toContain("granted directly");
  } finally {
    await sql("REVOKE CONNECT ON DATABASE beta FROM alpha");
  }
});

test("the admin left holding a tenant's role (a backup's GRANT not revoked) is a finding", async () => {
  // The admin created the role, so it holds ADMIN OPTION on it (not reported) and may grant it.
  expect(await findings()).toEqual([]);
  await sql(`GRANT alpha TO ${master} WITH INHERIT TRUE`);
  try {
    const found = await findings();
    expect(found).toEqual([
      expect.objectContaining({
        code: "role-granted",
        tenant: "alpha",
        object: { kind: "role", name: "alpha" },
        actual: master,
      }),
    ]);
    expect(found[0]?.message).toContain(`REVOKE "alpha" FROM "${master}"`);
  } finally {
    await sql(`REVOKE alpha FROM ${master}`);
  }
  expect(await findings()).toEqual([]);
});

test("tenant A can reach tenant B's database through role membership", async () => {
  await sql("GRANT beta TO alpha");
  try {
    const found = await findings();
    expect(found).toContainEqual(
      expect.objectContaining({ code: "unexpected-membership", tenant: "alpha", actual: "beta" }),
    );
    const crossing = found.find((f) => f.code === "cross-tenant-connect");
    expect(crossing).toMatchObject({ tenant: "alpha", object: { kind: "database", name: "beta" } });
    expect(crossing?.message).toContain("membership");
    expect(found).toContainEqual(
      expect.objectContaining({ code: "role-granted", tenant: "beta", actual: "alpha" }),
    );
    expect(codes(found)).toEqual(["cross-tenant-connect", "role-granted", "unexpected-membership"]);
  } finally {
    await sql("REVOKE beta FROM alpha");
  }
});

test("unknown database is drift unless ignored", async () => {
  await sql("CREATE DATABASE stray_db");
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "unknown-database",
        object: { kind: "database", name: "stray_db" },
      }),
    ]);
    expect((await findings()).every((f) => f.tenant === undefined)).toBe(true);
    expect(await findings({ ignoreDatabases: ["stray_db"] })).toEqual([]);
  } finally {
    await sql("DROP DATABASE stray_db");
  }
});

test("unknown role is drift unless ignored; pg_/rds_ and RDS's own roles never are", async () => {
  await sql(
    "CREATE ROLE stray_role",
    "CREATE ROLE rds_iam",
    "CREATE ROLE postgres",
    "CREATE ROLE rdstopmgr",
  );
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "unknown-role",
        object: { kind: "role", name: "stray_role" },
      }),
    ]);
    expect(await findings({ ignoreRoles: ["stray_role"] })).toEqual([]);
  } finally {
    await sql(
      "DROP ROLE stray_role",
      "DROP ROLE rds_iam",
      "DROP ROLE postgres",
      "DROP ROLE rdstopmgr",
    );
  }
});

test("a read-only role without readOnlyRole in the config is drift", async () => {
  await sql("CREATE ROLE beta_readonly");
  try {
    expect(codes(await findings())).toEqual(["unknown-role"]);
  } finally {
    await sql("DROP ROLE beta_readonly");
  }
});

test("a dropped tenant whose database and role still exist", async () => {
  await sql("CREATE ROLE delta", `CREATE DATABASE delta OWNER ${ident(master)}`);
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "dropped-still-exists",
        tenant: "delta",
        object: { kind: "role", name: "delta" },
      }),
      expect.objectContaining({
        code: "dropped-still-exists",
        tenant: "delta",
        object: { kind: "database", name: "delta" },
        expected: "absent",
        actual: "exists",
      }),
    ]);
  } finally {
    await applyTenant(server, admin, delta);
  }
});

test("the text report groups findings by tenant, drift last, with a summary line", async () => {
  await sql("CREATE DATABASE stray_db", "ALTER ROLE gamma LOGIN", "ALTER ROLE beta CREATEROLE");
  try {
    const report = await audit();
    const text = renderReport(report);
    const order = [
      "\ntenant beta\n",
      "\ntenant gamma\n",
      "\nnot in the config\n",
      "\n3 findings\n",
    ];
    const positions = order.map((heading) => text.indexOf(heading));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text).toMatch(/^ {2}role-can-login +role "gamma" can log in/m);
    expect(JSON.parse(renderReportJson(report))).toMatchObject({
      ok: false,
      count: 3,
      environment: "test",
      findings: [{ code: "createrole" }, { code: "role-can-login" }, { code: "unknown-database" }],
    });
  } finally {
    await sql("DROP DATABASE stray_db");
    await applyTenant(server, admin, gamma);
    await applyTenant(server, admin, beta);
  }
});
