/**
 * What the audit can find: every difference between the live server and what the tenants stack
 * should have created from the config. Any finding makes the audit fail.
 */
export const FINDING_CODES = {
  "missing-role": "a role the config expects does not exist",
  "missing-database": "a database the config expects does not exist",
  "dropped-still-exists": "a role or database of a dropped tenant still exists",
  "wrong-owner": "a tenant database is not owned by the admin (master user)",
  "wrong-connection-limit": "CONNECTION LIMIT differs from the config",
  "wrong-encoding": "a tenant database is not UTF8",
  "role-can-login": "the role of a suspended, retired tenant can still log in",
  "role-cannot-login": "the role of an active tenant cannot log in",
  superuser: "a tenant role is SUPERUSER",
  createdb: "a tenant role has CREATEDB",
  createrole: "a tenant role has CREATEROLE",
  replication: "a tenant role has REPLICATION",
  bypassrls: "a tenant role has BYPASSRLS",
  "unexpected-membership": "a tenant role is a member of another role",
  "role-granted":
    "another role can use a tenant role's privileges (a member with INHERIT or SET, e.g. left by a backup)",
  "public-connect":
    "PUBLIC has CONNECT on a tenant database, on the admin database postgres or on template1",
  "public-temp": "PUBLIC has TEMPORARY on a tenant database",
  "public-create": "PUBLIC has CREATE on a tenant database",
  "missing-connect":
    "a tenant's role (its read-only role: while active) cannot connect to the tenant's own database",
  "tenant-create-database":
    "a tenant's role can CREATE schemas in its database (it could shadow the admin's search path)",
  "missing-schema": "a tenant's own schema is missing or owned by another role",
  "public-schema-create": "a tenant or PUBLIC can CREATE in schema public of a tenant database",
  "database-settings":
    "a tenant database has settings (ALTER DATABASE ... SET) that the admin's sessions would run under",
  "connections-disallowed":
    "a tenant database does not allow connections (ALLOW_CONNECTIONS false)",
  "cross-tenant-connect": "a tenant's role can connect to another tenant's database",
  "held-elsewhere":
    "a tenant's role owns objects or holds privileges in a database other than its own (its DROP ROLE would fail)",
  "unknown-database": "a database the config does not know (drift)",
  "unknown-role": "a role the config does not know (drift)",
} as const;

export type FindingCode = keyof typeof FINDING_CODES;

/** The role or database a finding is about. */
export interface AuditObject {
  readonly kind: "role" | "database";
  readonly name: string;
}

/** A JSON-friendly value; null means "does not exist" / "none". */
export type FindingValue = string | number | boolean | null;

export interface Finding {
  readonly code: FindingCode;
  /** The tenant (config name) the finding belongs to; absent for unknown roles and databases. */
  readonly tenant?: string;
  readonly object: AuditObject;
  /** What the config implies. */
  readonly expected: FindingValue;
  /** What the server has. */
  readonly actual: FindingValue;
  /** One readable sentence. */
  readonly message: string;
}

export interface AuditReport {
  /** Environment name (environments/<name>). */
  readonly environment: string;
  /** The server as seen by the audit connection. */
  readonly server: { readonly version: string; readonly user: string; readonly database: string };
  /** How much was compared. */
  readonly checked: {
    readonly tenants: number;
    readonly roles: number;
    readonly databases: number;
  };
  readonly findings: readonly Finding[];
}
