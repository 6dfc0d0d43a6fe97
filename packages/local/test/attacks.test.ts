// A tenant attacks the shared server, then the admin refreshes and applies as in CI: every
// attempt must be refused or harmless. Real Terraform, the real provider, PostgreSQL 16 like RDS.
import { tenantFixture, testWhen } from "@pgforks/testing";
import { realApplyUnavailable } from "../src/local-stack";
import { APPLY_TIMEOUT_MS, RealApplyWorld } from "./support";

const attack = testWhen(realApplyUnavailable());
const world = new RealApplyWorld();
const mallory = tenantFixture({
  name: "mallory",
  database: "mallory_db",
  connectionLimit: 3,
  extensions: ["citext"],
});
const victim = tenantFixture({
  name: "victim",
  database: "victim_db",
  connectionLimit: 3,
  readOnlyRole: true,
});
const tenants = [mallory, victim];

beforeAll(async () => {
  if (realApplyUnavailable() !== undefined) return;
  await world.open();
  await world.apply(tenants);
  await world.sqlAs(
    "victim",
    "victim_db",
    "CREATE TABLE secrets (value text); INSERT INTO secrets VALUES ('victim data')",
  );
}, APPLY_TIMEOUT_MS);
afterAll(() => world.close(), APPLY_TIMEOUT_MS);

/** The server's error message for `sql` run as mallory in `database`. */
async function refusal(sql: string, database = "mallory_db"): Promise<string> {
  try {
    await world.sqlAs("mallory", database, sql);
  } catch (error) {
    return (error as Error).message;
  }
  return "accepted";
}

attack(
  "shadowing catalog functions through the search path reaches no admin session",
  async () => {
    // The tenant owns neither the database nor schema public, and cannot create a schema named
    // like the admin: nothing it creates can sit on the admin's search path ("$user", public).
    expect(
      await refusal("ALTER DATABASE mallory_db SET search_path = mallory, pg_catalog"),
    ).toMatch(/must be owner of database/);
    expect(await refusal("CREATE SCHEMA pgforks_admin")).toMatch(/permission denied for database/);
    expect(await refusal("ALTER SCHEMA mallory RENAME TO pgforks_admin")).toMatch(
      /permission denied for database/,
    );
    expect(
      await refusal(
        "CREATE FUNCTION public.aclexplode(aclitem[]) RETURNS int LANGUAGE sql AS 'SELECT 1'",
      ),
    ).toMatch(/permission denied for schema public/);
    // What it may do, in its own schema, is harmless: the admin never searches it.
    expect(
      await refusal(
        "CREATE FUNCTION mallory.aclexplode(aclitem[]) RETURNS TABLE(grantor oid, grantee oid, privilege_type text, is_grantable boolean) LANGUAGE sql AS $$ SELECT 10::oid, 10::oid, 'CONNECT'::text, true $$; ALTER ROLE mallory SET search_path = mallory, pg_catalog",
      ),
    ).toBe("accepted");
    // A refresh and apply as the admin: no change planned, no privilege moved.
    await world.apply(tenants);
    expect(
      await world.sqlAsAdmin(
        "postgres",
        "SELECT count(*)::int AS n FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = 'mallory'",
      ),
    ).toEqual([{ n: 0 }]);
    expect(await refusal("SELECT value FROM victim.secrets", "victim_db")).toMatch(
      /permission denied for database "victim_db"/,
    );
  },
  APPLY_TIMEOUT_MS,
);

attack(
  "database settings that would block every plan are refused",
  async () => {
    expect(
      await refusal("ALTER DATABASE mallory_db SET default_transaction_read_only = on"),
    ).toMatch(/must be owner of database/);
    expect(await refusal("ALTER DATABASE mallory_db ALLOW_CONNECTIONS false")).toMatch(
      /must be owner of database/,
    );
    expect(await refusal("ALTER DATABASE mallory_db CONNECTION LIMIT 0")).toMatch(
      /must be owner of database/,
    );
    // Revoking its own CONNECT does nothing: the grant is the admin's, not the tenant's.
    await world.sqlAs(
      "mallory",
      "mallory_db",
      "REVOKE CONNECT ON DATABASE mallory_db FROM mallory",
    );
    expect(await world.sqlAs("mallory", "mallory_db", "SELECT 1 AS ok")).toEqual([{ ok: 1 }]);
    await world.apply(tenants);
  },
  APPLY_TIMEOUT_MS,
);

attack(
  "another tenant's database, the admin database and template1 refuse the connection",
  async () => {
    await expect(world.connectAs("mallory", "victim_db")).rejects.toThrow(
      /permission denied for database "victim_db"/,
    );
    await expect(world.connectAs("mallory", "postgres")).rejects.toThrow(
      /permission denied for database "postgres"/,
    );
    expect(await refusal("SELECT 1", "template1")).toMatch(
      /permission denied for database "template1"/,
    );
  },
  APPLY_TIMEOUT_MS,
);

attack(
  "creating roles or databases is refused",
  async () => {
    expect(await refusal("CREATE ROLE sidekick LOGIN PASSWORD 'x'")).toMatch(
      /permission denied to create role/,
    );
    expect(await refusal("CREATE DATABASE mallory_two")).toMatch(
      /permission denied to create database/,
    );
    expect(await refusal("GRANT victim TO mallory")).toMatch(
      /permission denied to grant role "victim"/,
    );
    expect(await refusal("GRANT victim_readonly TO mallory")).toMatch(
      /permission denied to grant role "victim_readonly"/,
    );
  },
  APPLY_TIMEOUT_MS,
);

attack(
  "holding every allowed connection blocks neither the admin's plan nor its apply",
  async () => {
    const held = await Promise.all(
      Array.from({ length: mallory.connectionLimit }, () =>
        world.connectAs("mallory", "mallory_db"),
      ),
    );
    try {
      await world.apply(
        [{ ...mallory, extensions: [] }, victim].map((t) =>
          t.name === "mallory" ? { ...t, extensions: ["citext" as const] } : t,
        ),
      );
      const plan = await world.plan();
      expect(plan.code).toBe(0);
    } finally {
      await Promise.all(held.map((c) => c.end()));
    }
  },
  APPLY_TIMEOUT_MS,
);

attack(
  "taking another role, raising its own limits, the server's files and programs, other sessions: refused",
  async () => {
    const refused: Array<[string, RegExp]> = [
      ["SET ROLE victim", /permission denied to set role "victim"/],
      ["SET ROLE pgforks_admin", /permission denied to set role "pgforks_admin"/],
      ["SET SESSION AUTHORIZATION victim", /permission denied to set session authorization/],
      ["ALTER ROLE mallory CONNECTION LIMIT -1", /permission denied to alter role/],
      ["ALTER ROLE mallory CREATEDB", /permission denied to alter role/],
      ["ALTER ROLE victim SET search_path = mallory", /permission denied to alter role/],
      ["ALTER ROLE pgforks_admin SET search_path = mallory", /permission denied to alter role/],
      ["ALTER ROLE ALL SET search_path = mallory", /permission denied to alter setting/],
      ["GRANT mallory TO victim", /permission denied to grant role "mallory"/],
      ["REASSIGN OWNED BY victim TO mallory", /permission denied to reassign objects/],
      ["DROP OWNED BY victim", /permission denied to drop objects/],
      [
        "ALTER DEFAULT PRIVILEGES FOR ROLE victim GRANT SELECT ON TABLES TO mallory",
        /permission denied to change default privileges/,
      ],
      ["CREATE EXTENSION pgcrypto", /permission denied to create extension/],
      ["CREATE EXTENSION dblink", /permission denied to create extension/],
      ["DROP EXTENSION citext", /must be owner of extension citext/],
      [
        "CREATE EVENT TRIGGER et ON ddl_command_start EXECUTE FUNCTION pg_catalog.now()",
        /permission denied to create event trigger/,
      ],
      ["CREATE PUBLICATION p FOR ALL TABLES", /permission denied for database/],
      ["SELECT pg_read_file('postgresql.conf')", /permission denied for function pg_read_file/],
      ["COPY (SELECT 1) TO PROGRAM 'id'", /permission denied to COPY to or from an external/],
      ["SELECT lo_import('/etc/passwd')", /permission denied for function lo_import/],
      ["SET temp_file_limit = -1", /permission denied to set parameter "temp_file_limit"/],
      [
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'victim'",
        /permission denied to terminate process/,
      ],
    ];
    const victimSession = await world.connectAs("victim", "victim_db");
    const running = victimSession.query("SELECT pg_sleep(2), 'victim query text' AS marker");
    try {
      for (const [sql, refusedWith] of refused)
        expect([sql, await refusal(sql)]).toEqual([sql, expect.stringMatching(refusedWith)]);
      // Another tenant's session shows, but not what it runs.
      expect(
        await world.sqlAs(
          "mallory",
          "mallory_db",
          "SELECT query, client_addr FROM pg_stat_activity WHERE usename = 'victim'",
        ),
      ).toEqual([{ query: "<insufficient privilege>", client_addr: null }]);
    } finally {
      await running;
      await victimSession.end();
    }
  },
  APPLY_TIMEOUT_MS,
);

// Last: it drops mallory.
attack(
  "what a tenant could leave outside its database: template1 refuses it; another tenant's grant is found by the audit, and the documented cleanup lets the drop finish",
  async () => {
    // With PUBLIC's CONNECT on template1 (PostgreSQL's default) any role could leave a large
    // object and default privileges there, no schema privilege needed. They outlived the tenant's
    // database, and DROP ROLE failed ("some objects depend on it") in the middle of the apply.
    const planted = await refusal(
      "SELECT lo_create(0); ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC",
      "template1",
    );
    // PostgreSQL lets an owner grant to any role, so nothing can refuse this one. Harmless to the
    // data (mallory still cannot connect to victim_db), but DROP ROLE mallory fails on it.
    await world.sqlAs("victim", "victim_db", "GRANT SELECT ON victim.secrets TO mallory");
    expect(await world.findings()).toEqual([
      expect.objectContaining({
        code: "held-elsewhere",
        tenant: "mallory",
        object: { kind: "database", name: "victim_db" },
      }),
    ]);
    const dropped = [{ ...mallory, state: "dropped" as const, confirmDrop: "mallory_db" }, victim];
    await expect(world.applyOnly(dropped)).rejects.toThrow(
      /role "mallory" cannot be dropped because some objects depend on it/,
    );
    // docs/operations.md, "Drop": as the admin holding both roles, in the database named.
    await world.sqlAsAdmin("postgres", "GRANT mallory, victim TO pgforks_admin WITH INHERIT TRUE");
    await world.sqlAsAdmin("victim_db", "DROP OWNED BY mallory");
    await world.sqlAsAdmin("postgres", "REVOKE mallory, victim FROM pgforks_admin");
    await world.apply(dropped);
    expect(planted).toMatch(/permission denied for database "template1"/);
    expect(
      await world.sqlAsAdmin("postgres", "SELECT rolname FROM pg_roles WHERE rolname = 'mallory'"),
    ).toEqual([]);
    expect(await world.sqlAs("victim", "victim_db", "SELECT value FROM victim.secrets")).toEqual([
      { value: "victim data" },
    ]);
  },
  APPLY_TIMEOUT_MS,
);
