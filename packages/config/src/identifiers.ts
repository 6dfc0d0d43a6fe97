/**
 * Rules for names that become PostgreSQL identifiers (tenant roles and databases).
 * Names are emitted unquoted-safe: lowercase, no quoting needed, never a name that RDS or
 * PostgreSQL owns.
 */

/** Lowercase letter or underscore first, then lowercase letters, digits and underscores. */
export const IDENTIFIER_PATTERN = /^[a-z_][a-z0-9_]*$/;

/** PostgreSQL truncates identifiers to NAMEDATALEN-1 = 63 bytes. */
export const IDENTIFIER_MAX_BYTES = 63;

/**
 * Databases every RDS for PostgreSQL instance has: the initial database, the two templates
 * (PostgreSQL docs, 23.3 Template Databases) and RDS's own.
 */
export const SYSTEM_DATABASES = ["postgres", "template0", "template1", "rdsadmin"] as const;

/**
 * Roles owned by PostgreSQL or RDS: postgres and rdsadmin (RDS User Guide, "Understanding
 * PostgreSQL roles and permissions"), and RDS's internal login roles rdstopmgr and rdsrepladmin,
 * which RDS instances show in pg_roles (rdsadmin's database grants rdstopmgr TEMP/CONNECT) but
 * the guide does not list.
 */
export const SYSTEM_ROLES = ["postgres", "rdsadmin", "rdstopmgr", "rdsrepladmin"] as const;

/**
 * Names owned by PostgreSQL or RDS; a tenant may never take one: the system databases and roles,
 * and `public` and `none`, which PostgreSQL refuses as role names ("role name \"none\" is
 * reserved"), even quoted.
 */
export const RESERVED_NAMES: readonly string[] = [
  ...new Set<string>([...SYSTEM_DATABASES, ...SYSTEM_ROLES, "public", "none"]),
];

/** Prefixes owned by PostgreSQL (`pg_`) and RDS (`rds_`: rds_superuser, rds_iam, ...). */
export const RESERVED_PREFIXES = ["pg_", "rds_"] as const;

/**
 * Key words that PostgreSQL 16 reserves: "reserved" and "reserved (can be function or type)"
 * (PostgreSQL 16 docs, Appendix C, SQL Key Words; `pg_get_keywords()` catcode R and T, which a
 * test compares with a real server). As a role or database name they would need quoting
 * everywhere (`CREATE DATABASE join` is a syntax error), in the runbooks' SQL too.
 */
export const SQL_RESERVED_WORDS = new Set([
  "all",
  "analyse",
  "analyze",
  "and",
  "any",
  "array",
  "as",
  "asc",
  "asymmetric",
  "authorization",
  "binary",
  "both",
  "case",
  "cast",
  "check",
  "collate",
  "collation",
  "column",
  "concurrently",
  "constraint",
  "create",
  "cross",
  "current_catalog",
  "current_date",
  "current_role",
  "current_schema",
  "current_time",
  "current_timestamp",
  "current_user",
  "default",
  "deferrable",
  "desc",
  "distinct",
  "do",
  "else",
  "end",
  "except",
  "false",
  "fetch",
  "for",
  "foreign",
  "freeze",
  "from",
  "full",
  "grant",
  "group",
  "having",
  "ilike",
  "in",
  "initially",
  "inner",
  "intersect",
  "into",
  "is",
  "isnull",
  "join",
  "lateral",
  "leading",
  "left",
  "like",
  "limit",
  "localtime",
  "localtimestamp",
  "natural",
  "not",
  "notnull",
  "null",
  "offset",
  "on",
  "only",
  "or",
  "order",
  "outer",
  "overlaps",
  "placing",
  "primary",
  "references",
  "returning",
  "right",
  "select",
  "session_user",
  "similar",
  "some",
  "symmetric",
  "system_user",
  "table",
  "tablesample",
  "then",
  "to",
  "trailing",
  "true",
  "union",
  "unique",
  "user",
  "using",
  "variadic",
  "verbose",
  "when",
  "where",
  "window",
  "with",
]);

/** Why `name` cannot be a tenant identifier, or undefined when it can. */
export function identifierProblem(name: string): string | undefined {
  if (!IDENTIFIER_PATTERN.test(name)) {
    return "must start with a lowercase letter or underscore and contain only lowercase letters, digits and underscores (pattern ^[a-z_][a-z0-9_]*$)";
  }
  if (Buffer.byteLength(name, "utf8") > IDENTIFIER_MAX_BYTES) {
    return `must be at most ${IDENTIFIER_MAX_BYTES} bytes (PostgreSQL truncates longer identifiers)`;
  }
  if (RESERVED_NAMES.includes(name)) {
    return `is reserved by PostgreSQL/RDS (reserved: ${RESERVED_NAMES.join(", ")})`;
  }
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) {
    return `starts with "${prefix}", a prefix reserved by ${prefix === "pg_" ? "PostgreSQL" : "RDS"}`;
  }
  if (SQL_RESERVED_WORDS.has(name)) {
    return "is a reserved SQL key word in PostgreSQL";
  }
  return undefined;
}
