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

/**
 * TLS is required end to end (seed 004: "All connections use SSL/TLS"; the proxy requires TLS),
 * and the client verifies the server: its certificate must chain to {@link RDS_CA_BUNDLE_PATH}
 * and name the host (libpq "SSL Support", sslmode verify-full). `require` would only encrypt.
 */
export const DATABASE_URL_SSLMODE = "verify-full";

/**
 * Where applications keep the RDS CA bundle, https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
 * (RDS User Guide, "Certificate bundles for all AWS Regions"); with the proxy on, Amazon Root CA 1
 * appended (the proxy presents an ACM certificate). docs/operations.md shows the Dockerfile line
 * and the Django settings.
 */
export const RDS_CA_BUNDLE_PATH = "/etc/ssl/certs/rds-global-bundle.pem";

/** The query of every DATABASE_URL: verify-full against the RDS CA bundle. */
export const DATABASE_URL_QUERY = `sslmode=${DATABASE_URL_SSLMODE}&sslrootcert=${RDS_CA_BUNDLE_PATH}`;

export interface TenantSecretValueInput {
  /** Host applications connect to: the proxy endpoint when the proxy is on, else the instance address. */
  readonly host: string;
  /** Port applications connect to. */
  readonly port: number;
  /**
   * The port as written inside DATABASE_URL. Default: `String(port)`. When the port is a Terraform
   * reference, pass it as a string token (cdktf `Token.asString`): cdktf renders a number token
   * inside a string without interpolation braces, so the reference's own text would land in the URL.
   */
  readonly portInUrl?: string;
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
  return `postgresql://${v.username}:${v.password}@${v.host}:${v.portInUrl ?? String(v.port)}/${v.dbname}?${DATABASE_URL_QUERY}`;
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
