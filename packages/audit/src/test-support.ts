/**
 * Test support (not exported from the package): applies, with plain SQL, the state the tenants
 * stack creates for a config, so the audit can be tested against a real server. Written from
 * the tenants stack's rules, not from the audit's expectations, so the two check each other.
 */
import type { TenantConfig } from "@pgforks/config";
import type { Client } from "pg";
import type { AuditedEnvironment } from "./audit";

/** A double-quoted SQL identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function exists(client: Client, catalog: "role" | "database", name: string) {
  const sql =
    catalog === "role"
      ? "SELECT 1 FROM pg_roles WHERE rolname = $1"
      : "SELECT 1 FROM pg_database WHERE datname = $1";
  return ((await client.query(sql, [name])).rowCount ?? 0) > 0;
}

/** Idempotently brings one tenant to its configured state (as the tenants stack would). */
export async function applyTenant(client: Client, tenant: TenantConfig): Promise<void> {
  const role = tenant.name;
  const readOnly = `${tenant.name}_readonly`;
  const db = tenant.database ?? tenant.name;
  if (tenant.state === "dropped") {
    await client.query(`DROP DATABASE IF EXISTS ${ident(db)}`);
    await client.query(`DROP ROLE IF EXISTS ${ident(readOnly)}`);
    await client.query(`DROP ROLE IF EXISTS ${ident(role)}`);
    return;
  }
  const active = tenant.state === "active";
  const limit = active ? tenant.connectionLimit : 0;
  const attributes = `NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT ${limit}`;
  const roles = tenant.readOnlyRole ? [role, readOnly] : [role];
  for (const name of roles) {
    if (!(await exists(client, "role", name))) await client.query(`CREATE ROLE ${ident(name)}`);
    await client.query(
      `ALTER ROLE ${ident(name)} WITH ${active ? "LOGIN" : "NOLOGIN"} ${attributes}`,
    );
  }
  // The master user inherits the tenant role, as the stack's postgresql_grant_role makes it (a
  // superuser holds every role's privileges anyway).
  const superuser = await client.query(
    "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
  );
  if (superuser.rows[0]?.rolsuper !== true) {
    await client.query(`GRANT ${ident(role)} TO CURRENT_USER`);
  }
  if (!(await exists(client, "database", db))) {
    await client.query(
      `CREATE DATABASE ${ident(db)} OWNER ${ident(role)} ENCODING 'UTF8' TEMPLATE template0 CONNECTION LIMIT ${limit}`,
    );
  } else {
    await client.query(`ALTER DATABASE ${ident(db)} OWNER TO ${ident(role)}`);
    await client.query(`ALTER DATABASE ${ident(db)} CONNECTION LIMIT ${limit}`);
  }
  await client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${ident(db)} FROM PUBLIC`);
  await client.query(`GRANT CONNECT, CREATE, TEMPORARY ON DATABASE ${ident(db)} TO ${ident(role)}`);
  if (tenant.readOnlyRole) {
    await client.query(`GRANT CONNECT ON DATABASE ${ident(db)} TO ${ident(readOnly)}`);
  }
}

/** Applies every tenant of the environment. */
export async function applyEnvironment(client: Client, loaded: AuditedEnvironment): Promise<void> {
  for (const tenant of loaded.tenants) await applyTenant(client, tenant);
}
