import type { EnvironmentConfig } from "@pgforks/config";

/**
 * Keys of a tenant secret's JSON value. engine/host/port/username/password/dbname is the shape of
 * RDS database secrets (Secrets Manager User Guide, "JSON structure of Amazon RDS PostgreSQL
 * secrets"), which RDS Proxy reads (it needs username and password); DATABASE_URL is for
 * applications that take a single connection string (Django's dj-database-url, Rails, Prisma).
 */
export const TENANT_SECRET_KEYS = [
  "engine",
  "host",
  "port",
  "username",
  "password",
  "dbname",
  "DATABASE_URL",
] as const;

export type TenantSecretKey = (typeof TENANT_SECRET_KEYS)[number];

/** The `engine` value of RDS PostgreSQL secrets. */
export const SECRET_ENGINE = "postgres";

/** TLS is required end to end (seed 004: "All connections use SSL/TLS"; the proxy requires TLS). */
export const DATABASE_URL_SSLMODE = "require";

export interface TenantSecretValueInput {
  /** Host applications connect to: the proxy endpoint when the proxy is on, else the instance address. */
  readonly host: string;
  /** Port applications connect to. */
  readonly port: number;
  /** The tenant role. */
  readonly username: string;
  /** The password (a Terraform reference to an ephemeral value in the tenants stack). */
  readonly password: string;
  /** The tenant database. */
  readonly dbname: string;
}

/**
 * The connection string of a tenant. The password must be URL-safe as is: the tenants stack
 * generates it without punctuation (letters and digits only), and role and database names are
 * lowercase identifiers, so nothing needs percent-encoding.
 */
export function databaseUrl(v: TenantSecretValueInput): string {
  return `postgresql://${v.username}:${v.password}@${v.host}:${v.port}/${v.dbname}?sslmode=${DATABASE_URL_SSLMODE}`;
}

/** The JSON object stored as a tenant secret's value (keys: TENANT_SECRET_KEYS). */
export function tenantSecretValue(
  v: TenantSecretValueInput,
): Record<TenantSecretKey, string | number> {
  return {
    engine: SECRET_ENGINE,
    host: v.host,
    port: v.port,
    username: v.username,
    password: v.password,
    dbname: v.dbname,
    DATABASE_URL: databaseUrl(v),
  };
}

/**
 * Write-only values are only sent when their version changes. The tenant secret's value (and the
 * role's password) are written with `passwordVersion` as version, so a later change of anything
 * else in the value (host, port) is NOT re-sent by itself: the secret keeps the old host until
 * `passwordVersion` is bumped, which also rotates the password.
 */
export const SECRET_REFRESH_NOTE =
  "Tenant secrets are write-only and only re-written when a tenant's passwordVersion changes: bump passwordVersion of every tenant (this also rotates their passwords) so their secrets carry the new host/port.";

/**
 * Why a change from `before` to `after` leaves the tenant secrets' host or port stale (so every
 * tenant's passwordVersion must be bumped, see SECRET_REFRESH_NOTE), or undefined when it does not:
 * turning the proxy on or off changes the host, and changing the database port changes the port.
 */
export function secretRefreshReason(
  before: Pick<EnvironmentConfig, "proxy" | "database">,
  after: Pick<EnvironmentConfig, "proxy" | "database">,
): string | undefined {
  const changes: string[] = [];
  if (before.proxy.enabled !== after.proxy.enabled) {
    changes.push(`proxy.enabled changed (${before.proxy.enabled} -> ${after.proxy.enabled})`);
  }
  if (before.database.port !== after.database.port) {
    changes.push(`database.port changed (${before.database.port} -> ${after.database.port})`);
  }
  return changes.length > 0 ? `${changes.join(" and ")}. ${SECRET_REFRESH_NOTE}` : undefined;
}
