import {
  environmentFixture,
  startPostgres,
  type TemporaryPostgres,
  tenantFixture,
} from "@pgforks/testing";
import { Client } from "pg";
import { type AuditedEnvironment, type AuditOptions, auditEnvironment } from "./audit";
import type { AuditConnection } from "./catalog";
import type { Finding, FindingCode } from "./findings";
import { renderReport, renderReportJson } from "./report";
import { applyEnvironment as applyState, applyTenant, ident } from "./test-support";

const alpha = tenantFixture({ name: "alpha", database: "alpha_db", readOnlyRole: true });
const beta = tenantFixture({ name: "beta", connectionLimit: 5 });
const gamma = tenantFixture({ name: "gamma", state: "suspended", connectionLimit: 7 });
const delta = tenantFixture({ name: "delta", state: "dropped", confirmDrop: "delta" });

const loaded: AuditedEnvironment = {
  name: "test",
  environment: environmentFixture(),
  tenants: [alpha, beta, gamma, delta],
};
const master = loaded.environment.database.masterUsername;

let server: TemporaryPostgres;
let admin: Client;

beforeAll(async () => {
  // The bootstrap superuser plays the RDS master user, as in the real environments.
  server = await startPostgres({ user: master });
  admin = new Client({ connectionString: server.connectionString });
  await admin.connect();
  await applyState(admin, loaded);
}, 60_000);

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

async function connect(): Promise<Client> {
  const client = new Client({ connectionString: server.connectionString });
  await client.connect();
  return client;
}

async function findings(options?: AuditOptions): Promise<readonly Finding[]> {
  return (await auditEnvironment(connect, loaded, options)).findings;
}

function codes(found: readonly Finding[]): FindingCode[] {
  return [...new Set(found.map((f) => f.code))].sort();
}

async function sql(...statements: string[]): Promise<void> {
  for (const statement of statements) await admin.query(statement);
}

// Every test reverts its violation; this proves it did, so tests never leak into each other.
afterEach(async () => {
  expect(await findings()).toEqual([]);
});

test("the state the tenants stack creates has no findings", async () => {
  const report = await auditEnvironment(connect, loaded);
  expect(report.findings).toEqual([]);
  expect(report.server.user).toBe(master);
  expect(report.server.version).toMatch(/^\d+/);
  expect(report.checked.tenants).toBe(4);
  expect(renderReport(report)).toMatch(/\nno findings\n$/);
  expect(JSON.parse(renderReportJson(report))).toMatchObject({ ok: true, count: 0 });
});

test("reads in a read-only transaction on a read-only session", async () => {
  const statements: string[] = [];
  let sessionReadOnly: unknown;
  await auditEnvironment(async () => {
    const client = await connect();
    const recording: AuditConnection = {
      query: (text, values) => {
        statements.push(text.trim());
        return client.query(text, values);
      },
      end: async () => {
        sessionReadOnly = (await client.query("SHOW default_transaction_read_only")).rows[0];
        await client.end();
      },
    };
    return recording;
  }, loaded);
  expect(statements[0]).toBe("SET SESSION default_transaction_read_only = on");
  expect(statements[1]).toMatch(/^BEGIN .*READ ONLY$/);
  expect(statements.at(-1)).toBe("ROLLBACK");
  for (const statement of statements.slice(2, -1)) expect(statement).toMatch(/^SELECT /);
  expect(sessionReadOnly).toEqual({ default_transaction_read_only: "on" });
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
    await applyTenant(admin, beta);
  }
});

test("missing read-only role", async () => {
  await sql("REVOKE CONNECT ON DATABASE alpha_db FROM alpha_readonly", "DROP ROLE alpha_readonly");
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "missing-role",
        tenant: "alpha",
        object: { kind: "role", name: "alpha_readonly" },
      }),
    ]);
  } finally {
    await applyTenant(admin, alpha);
  }
});

test("wrong owner", async () => {
  await sql(`ALTER DATABASE beta OWNER TO ${ident(master)}`);
  try {
    const found = await findings();
    expect(found).toContainEqual(
      expect.objectContaining({
        code: "wrong-owner",
        tenant: "beta",
        object: { kind: "database", name: "beta" },
        expected: "beta",
        actual: master,
      }),
    );
    // The owner's implicit grants move to the new owner, so beta also loses CONNECT.
    expect(codes(found)).toEqual(["missing-connect", "missing-create", "wrong-owner"]);
  } finally {
    await applyTenant(admin, beta);
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
        expected: beta.connectionLimit,
        actual: -1,
      }),
    ]);
  } finally {
    await applyTenant(admin, beta);
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
        expected: 0,
        actual: 7,
      }),
    ]);
  } finally {
    await applyTenant(admin, gamma);
  }
});

test("an active tenant's role that cannot log in", async () => {
  await sql("ALTER ROLE beta NOLOGIN");
  try {
    expect(codes(await findings())).toEqual(["role-cannot-login"]);
  } finally {
    await applyTenant(admin, beta);
  }
});

test.each([
  ["SUPERUSER", "superuser"],
  ["CREATEDB", "createdb"],
  ["CREATEROLE", "createrole"],
  ["REPLICATION", "replication"],
  ["BYPASSRLS", "bypassrls"],
] as const)("a tenant role with %s", async (attribute, code) => {
  await sql(`ALTER ROLE beta ${attribute}`);
  try {
    // A superuser reaches every database; that is said once, not as cross-tenant findings.
    expect(await findings()).toEqual([
      expect.objectContaining({ code, tenant: "beta", object: { kind: "role", name: "beta" } }),
    ]);
  } finally {
    await applyTenant(admin, beta);
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
    await applyTenant(admin, alpha);
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
      ["gamma", "alpha_db"],
    ]);
    expect(crossing[0]?.message).toContain("through PUBLIC");
    expect(codes(found)).toEqual(["cross-tenant-connect", "public-connect"]);
  } finally {
    await sql("REVOKE CONNECT ON DATABASE alpha_db FROM PUBLIC");
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

test("a database that never had PUBLIC revoked (default ACL) is reported", async () => {
  // Created by hand: no REVOKE, so datacl is NULL and PUBLIC holds the built-in defaults.
  await sql("DROP DATABASE beta", "CREATE DATABASE beta OWNER beta CONNECTION LIMIT 5");
  try {
    expect(codes(await findings())).toEqual([
      "cross-tenant-connect",
      "public-connect",
      "public-temp",
    ]);
  } finally {
    await applyTenant(admin, beta);
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
    expect(codes(found)).toEqual(["cross-tenant-connect", "unexpected-membership"]);
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

test("unknown role is drift unless ignored; pg_/rds_ roles never are", async () => {
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
  await sql("CREATE ROLE delta", "CREATE DATABASE delta OWNER delta");
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
    await applyTenant(admin, delta);
  }
});

test("an owner without CREATE on its own database (the provider's REVOKE ALL took it)", async () => {
  await sql(`REVOKE CREATE ON DATABASE ${ident("beta")} FROM ${ident("beta")}`);
  try {
    expect(await findings()).toEqual([
      expect.objectContaining({
        code: "missing-create",
        tenant: "beta",
        object: { kind: "database", name: "beta" },
        expected: true,
        actual: false,
      }),
    ]);
  } finally {
    await applyTenant(admin, beta);
  }
});

test("a non-superuser master user must inherit every tenant role (not only be a member)", async () => {
  const ops = "ops_admin";
  const asOps: AuditedEnvironment = {
    ...loaded,
    environment: {
      ...loaded.environment,
      database: { ...loaded.environment.database, masterUsername: ops },
    },
  };
  // The bootstrap superuser is not this environment's master user: not drift here.
  const audit = async () =>
    (await auditEnvironment(connect, asOps, { ignoreRoles: [master] })).findings;
  await sql(`CREATE ROLE ${ident(ops)} LOGIN CREATEROLE CREATEDB`);
  try {
    const found = await audit();
    expect(codes(found)).toEqual(["admin-not-member"]);
    expect(found.map((f) => f.tenant).sort()).toEqual(["alpha", "beta", "gamma"]);
    expect(found[0]?.message).toMatch(/master user "ops_admin" does not inherit role "alpha"/);

    await sql(`GRANT alpha, beta, gamma TO ${ident(ops)}`);
    expect(await audit()).toEqual([]);

    // PostgreSQL 16's automatic membership of a CREATEROLE creator is INHERIT FALSE: not enough.
    await sql(`ALTER ROLE ${ident(ops)} NOINHERIT`);
    expect(codes(await audit())).toEqual(["admin-not-member"]);
  } finally {
    await sql(`DROP ROLE ${ident(ops)}`);
  }
});

test("the text report groups findings by tenant, drift last, with a summary line", async () => {
  await sql("CREATE DATABASE stray_db", "ALTER ROLE gamma LOGIN", "ALTER ROLE beta CREATEROLE");
  try {
    const report = await auditEnvironment(connect, loaded);
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
    await applyTenant(admin, gamma);
    await applyTenant(admin, beta);
  }
});
