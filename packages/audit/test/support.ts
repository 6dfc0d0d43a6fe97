/**
 * Test support: applies, with plain SQL, the state the tenants stack (@pgforks/tenants,
 * TenantDatabases) creates for a config, on an RDS-like server from @pgforks/postgres-server, so
 * the audit can be tested against a real server. Written from the stack's rules, not from the
 * audit's expectations, so the two check each other.
 *
 * Who runs what: the admin (the RDS master stand-in: CREATEROLE, CREATEDB, member of
 * rds_superuser, not a superuser) runs everything it can, as the provider does on RDS. The
 * bootstrap superuser (server.superuserSql) runs only what PostgreSQL 16 refuses the admin: what
 * needs SET ROLE to a tenant role (CREATE SCHEMA ... AUTHORIZATION, ALTER SCHEMA/DATABASE ... OWNER
 * away from a tenant, ALTER DEFAULT PRIVILEGES FOR ROLE <tenant>), and taking back SUPERUSER,
 * REPLICATION or BYPASSRLS, which only a superuser (or a role holding them) may change.
 *
 * Not applied: the databases' locale (en_US.UTF-8, which the OS may lack; the audit does not
 * check locales).
 */
import {
  readOnlyRoleName,
  type TenantConfig,
  tenantDatabaseConnectionLimit,
  tenantDatabaseName,
  tenantRoleConnectionLimit,
} from "@pgforks/config";
import {
  BOOTSTRAP_SUPERUSER,
  adminConnections as serverAdminConnections,
  type TemporaryPostgres,
} from "@pgforks/postgres-server";
import type { Client } from "pg";
import type { AuditedEnvironment, AuditOptions } from "../src/audit";

/** The database the admin connects to (and that PUBLIC must not reach). */
export const ADMIN_DATABASE = "postgres";

/**
 * The bootstrap superuser exists only on the test server (on RDS its place is taken by rdsadmin,
 * a system role the audit knows): not drift.
 */
export const TEST_SERVER_AUDIT_OPTIONS = {
  ignoreRoles: [BOOTSTRAP_SUPERUSER],
} as const satisfies AuditOptions;

/** A double-quoted SQL identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** An RDS-like server: `user`/`password` are the admin's. */
export type RdsServer = Pick<
  TemporaryPostgres,
  "host" | "port" | "user" | "password" | "superuserSql"
>;

/** Connections as the admin, to `database` (default postgres): the audit's connection factory. */
export function adminConnections(server: RdsServer): (database?: string) => Promise<Client> {
  return serverAdminConnections(server, "pgforks-audit-test");
}

/** Runs statements as the admin in `database`, one by one, on a connection of its own. */
export async function adminSql(server: RdsServer, database: string, ...statements: string[]) {
  const client = await adminConnections(server)(database);
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

async function exists(admin: Client, catalog: "role" | "database", name: string) {
  const sql =
    catalog === "role"
      ? "SELECT 1 FROM pg_roles WHERE rolname = $1"
      : "SELECT 1 FROM pg_database WHERE datname = $1";
  return ((await admin.query(sql, [name])).rowCount ?? 0) > 0;
}

/**
 * Idempotently brings one tenant to the state the tenants stack creates, from the states the
 * tests leave it in. `admin` is the admin's connection to the admin database.
 */
export async function applyTenant(
  server: RdsServer,
  admin: Client,
  tenant: TenantConfig,
): Promise<void> {
  const adminRole = server.user;
  const role = tenant.name;
  const readOnly = tenant.readOnlyRole ? readOnlyRoleName(tenant) : undefined;
  const db = tenantDatabaseName(tenant);
  // Once per stack: PUBLIC loses CONNECT and TEMPORARY on the admin database and template1.
  await admin.query(`REVOKE ALL ON DATABASE ${ident(ADMIN_DATABASE)} FROM PUBLIC`);
  await admin.query("REVOKE ALL ON DATABASE template1 FROM PUBLIC");
  if (tenant.state === "dropped") {
    await admin.query(`DROP DATABASE IF EXISTS ${ident(db)} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${ident(readOnlyRoleName(tenant))}`);
    await admin.query(`DROP ROLE IF EXISTS ${ident(role)}`);
    return;
  }
  const active = tenant.state === "active";

  // Roles: LOGIN and the tenant's limit while active, NOLOGIN and 0 otherwise; no attributes.
  for (const [name, login, limit] of [
    [role, active, tenantRoleConnectionLimit(tenant)],
    ...(readOnly ? [[readOnly, false, -1] as const] : []),
  ] as const) {
    if (!(await exists(admin, "role", name))) await admin.query(`CREATE ROLE ${ident(name)}`);
    const superuserOnly = await admin.query(
      "SELECT rolsuper OR rolreplication OR rolbypassrls AS set FROM pg_roles WHERE rolname = $1",
      [name],
    );
    if (superuserOnly.rows[0]?.set === true) {
      await server.superuserSql(`ALTER ROLE ${ident(name)} NOSUPERUSER NOREPLICATION NOBYPASSRLS`);
    }
    await admin.query(
      `ALTER ROLE ${ident(name)} WITH ${login ? "LOGIN" : "NOLOGIN"} NOCREATEDB NOCREATEROLE CONNECTION LIMIT ${limit}`,
    );
  }

  // The database: owned by the admin, the tenant's limit plus the admin's headroom, no settings.
  const dbLimit = tenantDatabaseConnectionLimit(tenant);
  if (!(await exists(admin, "database", db))) {
    await admin.query(
      `CREATE DATABASE ${ident(db)} OWNER ${ident(adminRole)} ENCODING 'UTF8' TEMPLATE template0 CONNECTION LIMIT ${dbLimit} ALLOW_CONNECTIONS true IS_TEMPLATE false`,
    );
  } else {
    const owner = await admin.query(
      "SELECT pg_get_userbyid(datdba)::text AS owner FROM pg_database WHERE datname = $1",
      [db],
    );
    if (owner.rows[0]?.owner !== adminRole) {
      await server.superuserSql(`ALTER DATABASE ${ident(db)} OWNER TO ${ident(adminRole)}`);
    }
    await admin.query(
      `ALTER DATABASE ${ident(db)} WITH ALLOW_CONNECTIONS true CONNECTION LIMIT ${dbLimit}`,
    );
    await admin.query(`ALTER DATABASE ${ident(db)} RESET ALL`);
  }

  // Grants: the provider's postgresql_grant revokes everything, then grants the listed privileges.
  await admin.query(`REVOKE ALL ON DATABASE ${ident(db)} FROM PUBLIC`);
  await admin.query(`REVOKE ALL ON DATABASE ${ident(db)} FROM ${ident(role)}`);
  await admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${ident(db)} TO ${ident(role)}`);

  // Inside the database: the tenant's own schema, extensions, the read-only role's privileges.
  const schema = await server.superuserSql(
    `SELECT pg_get_userbyid(nspowner)::text AS owner FROM pg_namespace WHERE nspname = ${literal(role)}`,
    db,
  );
  const schemaOwner = (JSON.parse(schema) as Array<{ owner: string }>)[0]?.owner;
  if (schemaOwner === undefined) {
    await server.superuserSql(`CREATE SCHEMA ${ident(role)} AUTHORIZATION ${ident(role)}`, db);
  } else if (schemaOwner !== role) {
    await server.superuserSql(`ALTER SCHEMA ${ident(role)} OWNER TO ${ident(role)}`, db);
  }
  // Allow-listed extensions are trusted: the database owner creates them, in schema public.
  if (tenant.extensions.length > 0) {
    await adminSql(
      server,
      db,
      ...[...tenant.extensions]
        .sort()
        .map((e) => `CREATE EXTENSION IF NOT EXISTS ${ident(e)} SCHEMA public`),
    );
  }
  if (readOnly) {
    await admin.query(`REVOKE ALL ON DATABASE ${ident(db)} FROM ${ident(readOnly)}`);
    if (active) await admin.query(`GRANT CONNECT ON DATABASE ${ident(db)} TO ${ident(readOnly)}`);
    await server.superuserSql(
      [
        `GRANT USAGE ON SCHEMA ${ident(role)} TO ${ident(readOnly)}`,
        `GRANT SELECT ON ALL TABLES IN SCHEMA ${ident(role)} TO ${ident(readOnly)}`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(role)} IN SCHEMA ${ident(role)} GRANT SELECT ON TABLES TO ${ident(readOnly)}`,
      ].join(";\n"),
      db,
    );
  }
}

/** A SQL string literal. */
function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Applies every tenant of the environment. */
export async function applyEnvironment(
  server: RdsServer,
  admin: Client,
  loaded: Pick<AuditedEnvironment, "tenants">,
): Promise<void> {
  for (const tenant of loaded.tenants) await applyTenant(server, admin, tenant);
}
