import { isAbsolute, join, relative } from "node:path";
import {
  ADMIN_DATABASE,
  type LoadedEnvironment,
  RESERVED_PREFIXES,
  SYSTEM_DATABASES,
  SYSTEM_ROLES,
  TEMPLATE_DATABASE,
  TENANTS_FILE,
  type TenantConfig,
} from "@pgforks/config";
import {
  DATABASE_ENCODING,
  intentOf,
  intentsOf,
  tenantFootprint,
} from "@pgforks/tenants/footprint";
import {
  type AuditConnectionFactory,
  type CatalogSnapshot,
  type LiveDatabase,
  type LiveRole,
  readCatalog,
} from "./catalog";
import type { AuditObject, AuditReport, Finding, FindingCode, FindingValue } from "./findings";

/** Never drift: the databases and roles PostgreSQL and RDS own (one list, in @pgforks/config). */
export { SYSTEM_DATABASES, SYSTEM_ROLES };

/** Role prefixes owned by PostgreSQL (pg_*) and RDS (rds_*), as reserved in @pgforks/config. */
export const SYSTEM_ROLE_PREFIXES = RESERVED_PREFIXES;

/** Role attributes a tenant role must never have, with the finding each one raises. */
const FORBIDDEN_ATTRIBUTES = [
  { attribute: "superuser", code: "superuser", sql: "SUPERUSER", why: "bypasses every check" },
  { attribute: "createdb", code: "createdb", sql: "CREATEDB", why: "can create databases" },
  { attribute: "createrole", code: "createrole", sql: "CREATEROLE", why: "can create roles" },
  { attribute: "replication", code: "replication", sql: "REPLICATION", why: "can stream WAL" },
  { attribute: "bypassrls", code: "bypassrls", sql: "BYPASSRLS", why: "ignores row security" },
] as const satisfies ReadonlyArray<{
  attribute: keyof LiveRole;
  code: FindingCode;
  sql: string;
  why: string;
}>;

/** Database privileges PUBLIC must not hold on a tenant database. */
const PUBLIC_PRIVILEGE_CODES: Readonly<Record<string, FindingCode>> = {
  CONNECT: "public-connect",
  TEMPORARY: "public-temp",
  CREATE: "public-create",
};

export interface AuditOptions {
  /** Extra roles that are not drift (e.g. a monitoring user). Default none. */
  readonly ignoreRoles?: readonly string[];
  /** Extra databases that are not drift. Default none. */
  readonly ignoreDatabases?: readonly string[];
}

/** The environment to audit: a LoadedEnvironment, or just the parts the audit reads. */
export type AuditedEnvironment = Pick<LoadedEnvironment, "name" | "environment" | "tenants"> &
  /** The folder the tenants were read from, for the messages (default environments/<name>). */
  Partial<Pick<LoadedEnvironment, "dir">>;

/** The tenants.yaml of `loaded` as messages name it: relative to the working folder when inside it. */
function tenantsFileOf(loaded: AuditedEnvironment): string {
  if (loaded.dir === undefined) return `environments/${loaded.name}/${TENANTS_FILE}`;
  const file = join(loaded.dir, TENANTS_FILE);
  const rel = relative(process.cwd(), file);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? file : rel;
}

/** What the tenants stack should have created for one tenant: its footprint, as the audit reads it. */
export interface ExpectedTenant {
  readonly tenant: TenantConfig;
  readonly role: string;
  readonly database: string;
  /** <name>_readonly when readOnlyRole is set, and for every dropped tenant (it must be gone). */
  readonly readOnlyRole?: string;
  /** False for dropped tenants: role and database must be gone. */
  readonly present: boolean;
  /** The role's LOGIN. */
  readonly canLogin: boolean;
  /** The role's CONNECTION LIMIT. */
  readonly connectionLimit: number;
  /** The database's CONNECTION LIMIT. */
  readonly databaseConnectionLimit: number;
  /** The database's owner (the admin). */
  readonly owner: string;
  /** The database's encoding. */
  readonly encoding: string;
  /** Whether the read-only role is granted CONNECT on the database. */
  readonly readOnlyConnects: boolean;
}

/** The footprint of `tenant` (@pgforks/tenants) as the audit compares it; `admin` owns its database. */
export function expectedTenant(tenant: TenantConfig, admin: string): ExpectedTenant {
  const intents = tenantFootprint(tenant, { adminRole: admin });
  const role = intentOf(intents, "role");
  const readOnly = intentOf(intents, "read-only role");
  const database = intentOf(intents, "database");
  if (!role || !database)
    throw new Error(`the footprint of tenant ${tenant.name} has no role or database`);
  // Present: it must exist; absent (a dropped tenant's): it must be gone.
  const readOnlyName = readOnly?.args.name;
  return {
    tenant,
    role: role.args.name,
    database: database.args.name,
    ...(readOnlyName ? { readOnlyRole: readOnlyName } : {}),
    present: role.state === "present",
    canLogin: role.args.login === true,
    connectionLimit: role.args.connectionLimit ?? -1,
    databaseConnectionLimit: database.args.connectionLimit ?? -1,
    owner: database.args.owner ?? admin,
    encoding: database.args.encoding ?? DATABASE_ENCODING,
    readOnlyConnects: intentsOf(intents, "grant").some(
      (g) =>
        g.args.role === readOnlyName &&
        g.args.objectType === "database" &&
        g.args.privileges.includes("CONNECT"),
    ),
  };
}

function limit(value: number): string {
  return value < 0 ? "unlimited (-1)" : String(value);
}

function role(name: string): AuditObject {
  return { kind: "role", name };
}

function database(name: string): AuditObject {
  return { kind: "database", name };
}

/** Why `who` can connect to `db`, for the message (has_database_privilege says only yes/no). */
function connectReason(who: LiveRole, db: LiveDatabase): string {
  if (db.publicPrivileges.includes("CONNECT")) return "through PUBLIC";
  if (db.connectGrantees.includes(who.name)) return "granted directly";
  if (db.owner === who.name) return "as its owner";
  return `through membership (member of ${who.memberOf.join(", ") || "a granted role"})`;
}

/** Compares a catalog snapshot with the config; pure, so it is cheap to reason about. */
export function compareCatalog(
  snapshot: CatalogSnapshot,
  loaded: AuditedEnvironment,
  options: AuditOptions = {},
): Finding[] {
  const findings: Finding[] = [];
  const admin = loaded.environment.database.masterUsername;
  const expected = loaded.tenants.map((t) => expectedTenant(t, admin));
  const present = expected.filter((t) => t.present);
  // The file read: PGFORKS_ENVIRONMENTS_DIR or --environments-dir may name another folder.
  const file = tenantsFileOf(loaded);

  for (const t of expected) {
    const add = (
      code: FindingCode,
      object: AuditObject,
      exp: FindingValue,
      act: FindingValue,
      message: string,
    ) =>
      findings.push({ code, tenant: t.tenant.name, object, expected: exp, actual: act, message });

    if (!t.present) {
      for (const name of [t.role, t.readOnlyRole]) {
        if (name && snapshot.roles.has(name)) {
          add(
            "dropped-still-exists",
            role(name),
            "absent",
            "exists",
            `tenant is dropped but role "${name}" still exists`,
          );
        }
      }
      if (snapshot.databases.has(t.database)) {
        add(
          "dropped-still-exists",
          database(t.database),
          "absent",
          "exists",
          `tenant is dropped but database "${t.database}" still exists`,
        );
      }
      continue;
    }

    const main = snapshot.roles.get(t.role);
    const readOnly = t.readOnlyRole ? snapshot.roles.get(t.readOnlyRole) : undefined;
    const db = snapshot.databases.get(t.database);

    if (!main) {
      add("missing-role", role(t.role), "exists", "absent", `role "${t.role}" does not exist`);
    } else {
      if (main.canLogin !== t.canLogin) {
        if (main.canLogin) {
          add(
            "role-can-login",
            role(t.role),
            false,
            true,
            `role "${t.role}" can log in, but the tenant is ${t.tenant.state} (expected NOLOGIN)`,
          );
        } else {
          add(
            "role-cannot-login",
            role(t.role),
            true,
            false,
            `role "${t.role}" is NOLOGIN, but the tenant is active`,
          );
        }
      }
      if (main.connectionLimit !== t.connectionLimit) {
        add(
          "wrong-connection-limit",
          role(t.role),
          t.connectionLimit,
          main.connectionLimit,
          `role "${t.role}" has CONNECTION LIMIT ${limit(main.connectionLimit)}, expected ${t.connectionLimit}`,
        );
      }
    }
    if (t.readOnlyRole && !readOnly) {
      add(
        "missing-role",
        role(t.readOnlyRole),
        "exists",
        "absent",
        `role "${t.readOnlyRole}" does not exist`,
      );
    }
    for (const r of [main, readOnly]) {
      if (!r) continue;
      for (const f of FORBIDDEN_ATTRIBUTES) {
        if (r[f.attribute]) {
          add(f.code, role(r.name), false, true, `role "${r.name}" has ${f.sql} (${f.why})`);
        }
      }
      for (const group of r.memberOf) {
        add(
          "unexpected-membership",
          role(r.name),
          null,
          group,
          `role "${r.name}" is a member of role "${group}" and inherits its privileges`,
        );
      }
    }
    // The read-only group is meant to be granted to people; the tenant's own role to nobody.
    for (const member of main?.grantedTo ?? []) {
      add(
        "role-granted",
        role(t.role),
        null,
        member,
        `role "${member}" can use the privileges of tenant role "${t.role}" (member with INHERIT or SET); revoke it: REVOKE "${t.role}" FROM "${member}"`,
      );
    }

    if (!db) {
      add(
        "missing-database",
        database(t.database),
        "exists",
        "absent",
        `database "${t.database}" does not exist`,
      );
      continue;
    }
    if (db.owner !== t.owner) {
      add(
        "wrong-owner",
        database(t.database),
        t.owner,
        db.owner,
        `database "${t.database}" is owned by "${db.owner}", expected the admin "${t.owner}"`,
      );
    }
    if (db.connectionLimit !== t.databaseConnectionLimit) {
      add(
        "wrong-connection-limit",
        database(t.database),
        t.databaseConnectionLimit,
        db.connectionLimit,
        `database "${t.database}" has CONNECTION LIMIT ${limit(db.connectionLimit)}, expected ${t.databaseConnectionLimit}`,
      );
    }
    if (!db.allowConnections) {
      add(
        "connections-disallowed",
        database(t.database),
        true,
        false,
        `database "${t.database}" does not allow connections: every plan fails refreshing it`,
      );
    }
    if (db.settings.length > 0) {
      add(
        "database-settings",
        database(t.database),
        null,
        db.settings.join(", "),
        `database "${t.database}" has settings ${db.settings.join(", ")} (ALTER DATABASE ... RESET them)`,
      );
    }
    const schema = snapshot.schemas.get(t.database);
    if (schema && schema.owner !== t.role) {
      add(
        "missing-schema",
        database(t.database),
        t.role,
        schema.owner,
        schema.owner === null
          ? `database "${t.database}" has no schema "${t.role}" for the tenant's objects`
          : `schema "${t.role}" in "${t.database}" is owned by "${schema.owner}", expected "${t.role}"`,
      );
    }
    if (schema && (schema.tenantCreatesInPublic || schema.publicCreatesInPublic)) {
      add(
        "public-schema-create",
        database(t.database),
        false,
        true,
        `${schema.publicCreatesInPublic ? "PUBLIC" : `role "${t.role}"`} can CREATE in schema public of "${t.database}", which is on the admin's search path`,
      );
    }
    if (db.encoding !== t.encoding) {
      add(
        "wrong-encoding",
        database(t.database),
        t.encoding,
        db.encoding,
        `database "${t.database}" has encoding ${db.encoding}, expected ${t.encoding}`,
      );
    }
    for (const privilege of db.publicPrivileges) {
      const code = PUBLIC_PRIVILEGE_CODES[privilege];
      if (code) {
        add(
          code,
          database(t.database),
          "revoked",
          "granted",
          `PUBLIC has ${privilege} on database "${t.database}" (every role gets it)`,
        );
      }
    }
    if (main && snapshot.canCreate.get(main.name)?.has(t.database)) {
      add(
        "tenant-create-database",
        database(t.database),
        false,
        true,
        `role "${main.name}" can CREATE schemas in "${t.database}" (only its own schema is its to create in)`,
      );
    }
    // The read-only role gets CONNECT only while the tenant is active (the footprint grants it
    // none otherwise); the tenant's own role keeps CONNECT in every state (NOLOGIN stops logins).
    for (const r of [main, t.readOnlyConnects ? readOnly : undefined]) {
      if (r && !snapshot.canConnect.get(r.name)?.has(t.database)) {
        add(
          "missing-connect",
          database(t.database),
          true,
          false,
          `role "${r.name}" cannot connect to its own database "${t.database}"`,
        );
      }
    }
    for (const r of [main, readOnly]) {
      // A superuser reaches every database; its own finding already says so.
      if (!r || r.superuser) continue;
      for (const other of present) {
        const otherDb = snapshot.databases.get(other.database);
        if (other === t || !otherDb || !snapshot.canConnect.get(r.name)?.has(other.database))
          continue;
        add(
          "cross-tenant-connect",
          database(other.database),
          false,
          true,
          `role "${r.name}" can connect to database "${other.database}" of tenant "${other.tenant.name}" (${connectReason(r, otherDb)})`,
        );
      }
      // Another tenant may grant this role privileges on its own objects (PostgreSQL lets any
      // owner grant to any role): harmless while the role cannot connect there, but the tenant's
      // drop then fails on DROP ROLE, after its database is gone.
      for (const [elsewhere, count] of snapshot.dependenciesIn.get(r.name) ?? []) {
        if (elsewhere === t.database) continue;
        add(
          "held-elsewhere",
          database(elsewhere),
          0,
          count,
          `role "${r.name}" owns objects or holds privileges in database "${elsewhere}" (${count} in pg_shdepend): DROP ROLE fails while they exist; remove them: docs/operations.md, "Drop"`,
        );
      }
    }
  }

  for (const [shared, what] of [
    [ADMIN_DATABASE, "the admin database"],
    [TEMPLATE_DATABASE, "the template database"],
  ] as const) {
    if (snapshot.databases.get(shared)?.publicPrivileges.includes("CONNECT")) {
      findings.push({
        code: "public-connect",
        object: database(shared),
        expected: "revoked",
        actual: "granted",
        message: `PUBLIC has CONNECT on ${what} "${shared}": every tenant can connect there`,
      });
    }
  }

  const knownRoles = new Set<string>([
    ...expected.flatMap((t) => (t.readOnlyRole ? [t.role, t.readOnlyRole] : [t.role])),
    ...SYSTEM_ROLES,
    loaded.environment.database.masterUsername,
    ...(options.ignoreRoles ?? []),
  ]);
  const knownDatabases = new Set<string>([
    ...expected.map((t) => t.database),
    ...SYSTEM_DATABASES,
    ...(options.ignoreDatabases ?? []),
  ]);
  for (const name of [...snapshot.databases.keys()].sort()) {
    if (knownDatabases.has(name)) continue;
    const owner = snapshot.databases.get(name)?.owner;
    findings.push({
      code: "unknown-database",
      object: database(name),
      expected: "absent",
      actual: "exists",
      message: `database "${name}" (owner "${owner}") is not in ${file}: add it, drop it, or ignore it`,
    });
  }
  for (const name of [...snapshot.roles.keys()].sort()) {
    if (knownRoles.has(name) || SYSTEM_ROLE_PREFIXES.some((p) => name.startsWith(p))) continue;
    findings.push({
      code: "unknown-role",
      object: role(name),
      expected: "absent",
      actual: "exists",
      message: `role "${name}" is not in ${file}: add it, drop it, or ignore it`,
    });
  }
  return findings;
}

/**
 * Audits a live server against one environment's config with read-only catalog queries.
 * `connect(database?)` opens a connection that the audit closes when done: first one without a
 * database (the factory's default, the admin database: roles and databases are cluster-wide
 * catalogs), then one to each tenant database to read its schemas.
 */
export async function auditEnvironment(
  connect: AuditConnectionFactory,
  loaded: AuditedEnvironment,
  options: AuditOptions = {},
): Promise<AuditReport> {
  const admin = loaded.environment.database.masterUsername;
  const present = loaded.tenants.map((t) => expectedTenant(t, admin)).filter((t) => t.present);
  const snapshot = await readCatalog(connect, {
    roles: present.flatMap((t) => (t.readOnlyRole ? [t.role, t.readOnlyRole] : [t.role])),
    databases: present.map((t) => t.database),
    admin,
    tenantDatabases: present.map((t) => ({ database: t.database, role: t.role })),
  });
  return {
    environment: loaded.name,
    server: { version: snapshot.version, user: snapshot.user, database: snapshot.database },
    checked: {
      tenants: loaded.tenants.length,
      roles: snapshot.roles.size,
      databases: snapshot.databases.size,
    },
    findings: compareCatalog(snapshot, loaded, options),
  };
}
