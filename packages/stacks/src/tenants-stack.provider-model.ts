/**
 * Test support (not exported): a MODEL of the SQL that cyrilgdn/postgresql 1.26.0 runs to create
 * the `postgresql_*` resources of a synthesized tenants stack, so the stack's privileges can be
 * checked on a real PostgreSQL server. It is NOT the provider (no provider binary is available
 * offline); it was written from the provider's source and covers what the tenants stack uses:
 *
 * - postgresql_role (resource_postgresql_role.go): one transaction, `CREATE ROLE "n" WITH ...`
 *   with every attribute spelled out (defaults: INHERIT, VALID UNTIL 'infinity', CONNECTION
 *   LIMIT -1). The write-only `password_wo` is set in the same statement with the model's password.
 * - postgresql_grant_role (resource_postgresql_grant_role.go): one transaction,
 *   `REVOKE "g" FROM "r"` then `GRANT "g" TO "r" [WITH ADMIN OPTION]`.
 * - postgresql_database (resource_postgresql_database.go, createDatabase): if the connected user
 *   is not yet a member of the owner (helpers.go isMemberOfRole, `AND set_option` from PostgreSQL
 *   16), `GRANT "owner" TO current_user` before and `REVOKE` after; `CREATE DATABASE` outside a
 *   transaction with OWNER, TEMPLATE, ENCODING, LC_COLLATE, LC_CTYPE, ALLOW_CONNECTIONS,
 *   CONNECTION LIMIT, IS_TEMPLATE.
 * - postgresql_grant (resource_postgresql_grant.go): one transaction on the target database:
 *   getRolesToGrant (no owner for object_type "database"; for "schema" its owner, for "table" the
 *   owners of its tables and of the schema, pg_database_owner resolved to the database owner), then
 *   helpers.go withRolesGranted around `REVOKE ALL PRIVILEGES ON ... FROM "r"` and, when privileges
 *   are not empty, `GRANT <privileges> ON ... TO "r"`. `"public"` quoted is PUBLIC to PostgreSQL.
 * - postgresql_default_privileges: one transaction on the database, withRolesGranted([owner])
 *   around `ALTER DEFAULT PRIVILEGES FOR ROLE "o" IN SCHEMA "s" REVOKE ALL ON TABLES FROM "r"` and
 *   the matching GRANT.
 * - postgresql_extension: one transaction on the database, `CREATE EXTENSION IF NOT EXISTS "e"`.
 *
 * withRolesGranted (helpers.go): nothing for a superuser; else per owner role, revoke the reverse
 * membership if any, `GRANT owner TO current_user` unless already a member, run, then revoke what
 * it granted and restore what it revoked.
 *
 * Left out, on purpose: advisory locks (pgLockRole, pgLockDatabase), version feature checks,
 * import, update and delete paths. Like Terraform, the walk follows depends_on and references, and
 * a failed resource skips everything that depends on it. Deviations are parameters: `locales`
 * maps lc_collate/lc_ctype values to locales the test machine has.
 */
import type { Client } from "pg";
import type { StackJson } from "./synth";

/** One `postgresql_*` resource of a synthesized stack. */
export interface ModelResource {
  /** `<type>.<name>` */
  readonly address: string;
  readonly type: string;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface ProviderModelOptions {
  /** Opens a connection as the provider's user (the master user) to `database`; the model closes it. */
  readonly connect: (database: string) => Promise<Client>;
  /** The database the provider connects to by default. */
  readonly adminDatabase: string;
  /** The value the model uses for a role's write-only password. */
  readonly passwordFor: (role: string) => string;
  /** Locale substitutions for CREATE DATABASE (e.g. en_US.UTF-8 -> C.UTF-8). Default none. */
  readonly locales?: Readonly<Record<string, string>>;
}

export interface ModelStep {
  readonly address: string;
  /** Statements run, in order (membership juggling included). */
  readonly sql: readonly string[];
  /** WARNINGs the server sent (e.g. "no privileges could be revoked"). */
  readonly warnings: readonly string[];
  readonly error?: string;
  /** Not run because something it depends on failed or was skipped. */
  readonly skipped?: boolean;
}

const REFERENCE = /\$\{(postgresql_[a-z_]+)\.([^.}]+)\.([a-z_]+)\}/g;

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function literal(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/** The `postgresql_*` resources of a stack. */
export function postgresqlResources(stack: StackJson): ModelResource[] {
  return Object.entries(stack.resource ?? {})
    .filter(([type]) => type.startsWith("postgresql_"))
    .flatMap(([type, byName]) =>
      Object.entries(byName as Record<string, Record<string, unknown>>).map(([name, body]) => ({
        address: `${type}.${name}`,
        type,
        body,
      })),
    );
}

/** Addresses a resource waits for: its depends_on and the postgresql resources it references. */
function dependencies(resource: ModelResource): string[] {
  const deps = new Set<string>();
  for (const d of (resource.body.depends_on as string[] | undefined) ?? []) {
    deps.add(d.replace(/^\$\{|\}$/g, ""));
  }
  const { depends_on: _ignored, ...rest } = resource.body;
  for (const match of JSON.stringify(rest).matchAll(REFERENCE)) {
    deps.add(`${match[1]}.${match[2]}`);
  }
  return [...deps].filter((d) => d.startsWith("postgresql_"));
}

/** Dependency order (Kahn), ties by address, so runs are repeatable. */
export function applyOrder(resources: readonly ModelResource[]): ModelResource[] {
  const byAddress = new Map(resources.map((r) => [r.address, r]));
  const waiting = new Map(
    resources.map((r) => [r.address, dependencies(r).filter((d) => byAddress.has(d))]),
  );
  const done = new Set<string>();
  const order: ModelResource[] = [];
  while (order.length < resources.length) {
    const ready = [...waiting]
      .filter(([a, deps]) => !done.has(a) && deps.every((d) => done.has(d)))
      .map(([a]) => a)
      .sort();
    const next = ready[0];
    if (next === undefined) throw new Error("dependency cycle among postgresql resources");
    done.add(next);
    order.push(byAddress.get(next) as ModelResource);
  }
  return order;
}

/** Replaces `${postgresql_x.y.attr}` references by the literal attribute of that resource. */
function resolver(resources: readonly ModelResource[]) {
  const byAddress = new Map(resources.map((r) => [r.address, r]));
  const resolve = (value: unknown): unknown => {
    if (typeof value === "string") {
      const whole = /^\$\{(postgresql_[a-z_]+)\.([^.}]+)\.([a-z_]+)\}$/.exec(value);
      if (whole) {
        const target = byAddress.get(`${whole[1]}.${whole[2]}`);
        const attribute = target?.body[whole[3] as string];
        if (attribute === undefined) throw new Error(`cannot resolve ${value}`);
        return resolve(attribute);
      }
      return value;
    }
    if (Array.isArray(value)) return value.map(resolve);
    return value;
  };
  return (body: Readonly<Record<string, unknown>>, key: string): unknown => resolve(body[key]);
}

/** A connection that records statements and WARNINGs. */
async function session(
  options: ProviderModelOptions,
  database: string,
  sql: string[],
  warnings: string[],
) {
  const client = await options.connect(database);
  client.on("notice", (notice) => {
    if (notice.severity === "WARNING") warnings.push(notice.message ?? String(notice));
  });
  const run = async (text: string, values?: unknown[]) => {
    sql.push(text);
    return client.query(text, values);
  };
  // Catalog look-ups the provider makes are not DDL: not recorded.
  const look = (text: string, values?: unknown[]) => client.query(text, values);
  return { client, run, look };
}

type Session = Awaited<ReturnType<typeof session>>;

async function currentUser(s: Session): Promise<string> {
  return (await s.look("SELECT current_user AS u")).rows[0].u as string;
}

async function isSuperuser(s: Session, role: string): Promise<boolean> {
  const rows = (await s.look("SELECT rolsuper FROM pg_roles WHERE rolname = $1", [role])).rows;
  return rows[0]?.rolsuper === true;
}

/** helpers.go isMemberOfRole: a pg_auth_members row, with set_option from PostgreSQL 16. */
async function isMemberOfRole(s: Session, role: string, member: string): Promise<boolean> {
  const hasSetOption =
    (
      await s.look(
        "SELECT 1 FROM information_schema.columns WHERE table_name = 'pg_auth_members' AND column_name = 'set_option'",
      )
    ).rows.length > 0;
  const query = `SELECT 1 FROM pg_auth_members WHERE pg_get_userbyid(roleid) = $1 AND pg_get_userbyid(member) = $2${hasSetOption ? " AND set_option" : ""}`;
  return (await s.look(query, [role, member])).rows.length > 0;
}

/** helpers.go withRolesGranted. */
async function withRolesGranted(s: Session, roles: readonly string[], fn: () => Promise<void>) {
  if (roles.length === 0) return fn();
  const me = await currentUser(s);
  if (await isSuperuser(s, me)) return fn();
  const granted: string[] = [];
  const revoked: string[] = [];
  for (const role of roles) {
    if (role === me || (await isSuperuser(s, role))) continue;
    if (await isMemberOfRole(s, me, role)) {
      await s.run(`REVOKE ${quote(me)} FROM ${quote(role)}`);
      revoked.push(role);
    }
    if (!(await isMemberOfRole(s, role, me))) {
      await s.run(`GRANT ${quote(role)} TO ${quote(me)}`);
      granted.push(role);
    }
  }
  await fn();
  for (const role of granted) {
    if (await isMemberOfRole(s, role, me)) await s.run(`REVOKE ${quote(role)} FROM ${quote(me)}`);
  }
  for (const role of revoked) await s.run(`GRANT ${quote(me)} TO ${quote(role)}`);
}

/** getRolesToGrant: owners whose membership a non-superuser needs for a grant. */
async function rolesToGrant(s: Session, objectType: string, schema: string): Promise<string[]> {
  if (objectType === "database") return [];
  const owners: string[] = [];
  if (objectType !== "schema") {
    const tables = await s.look("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = $1", [
      schema,
    ]);
    owners.push(...tables.rows.map((r) => r.tableowner as string));
  }
  const schemaOwner = (
    await s.look(
      "SELECT rolname FROM pg_namespace JOIN pg_roles ON nspowner = pg_roles.oid WHERE nspname = $1",
      [schema],
    )
  ).rows[0]?.rolname as string;
  if (!owners.includes(schemaOwner)) owners.push(schemaOwner);
  const dbOwner = (
    await s.look(
      "SELECT rolname FROM pg_database JOIN pg_roles ON datdba = pg_roles.oid WHERE datname = current_database()",
    )
  ).rows[0]?.rolname as string;
  return owners.map((o) => (o === "pg_database_owner" ? dbOwner : o));
}

/** Runs one resource's create path. */
async function create(
  resource: ModelResource,
  get: (body: Readonly<Record<string, unknown>>, key: string) => unknown,
  options: ProviderModelOptions,
  sql: string[],
  warnings: string[],
): Promise<void> {
  const b = resource.body;
  const str = (key: string) => String(get(b, key) ?? "");
  const bool = (key: string, fallback: boolean) => (get(b, key) as boolean | undefined) ?? fallback;
  const num = (key: string, fallback: number) => (get(b, key) as number | undefined) ?? fallback;
  const database = resource.type === "postgresql_role" ? options.adminDatabase : str("database");
  const s = await session(
    options,
    ["postgresql_role", "postgresql_grant_role", "postgresql_database"].includes(resource.type)
      ? options.adminDatabase
      : database,
    sql,
    warnings,
  );
  const inTransaction = async (fn: () => Promise<void>) => {
    await s.look("BEGIN");
    try {
      await fn();
      await s.look("COMMIT");
    } catch (error) {
      await s.look("ROLLBACK");
      throw error;
    }
  };
  try {
    switch (resource.type) {
      case "postgresql_role": {
        const name = str("name");
        const flag = (key: string, yes: string, fallback = false) =>
          bool(key, fallback) ? yes : `NO${yes}`;
        const password =
          b.password_wo === undefined ? "" : ` PASSWORD ${literal(options.passwordFor(name))}`;
        await inTransaction(async () => {
          await s.run(
            `CREATE ROLE ${quote(name)} WITH${password} VALID UNTIL 'infinity' CONNECTION LIMIT ${num("connection_limit", -1)} ${flag("superuser", "SUPERUSER")} ${flag("create_database", "CREATEDB")} ${flag("create_role", "CREATEROLE")} ${flag("inherit", "INHERIT", true)} ${flag("login", "LOGIN")} ${flag("bypass_row_level_security", "BYPASSRLS")} ${flag("replication", "REPLICATION")}`,
          );
        });
        return;
      }
      case "postgresql_grant_role": {
        const role = quote(str("role"));
        const granted = quote(str("grant_role"));
        await inTransaction(async () => {
          await s.run(`REVOKE ${granted} FROM ${role}`);
          await s.run(
            `GRANT ${granted} TO ${role}${bool("with_admin_option", false) ? " WITH ADMIN OPTION" : ""}`,
          );
        });
        return;
      }
      case "postgresql_database": {
        const owner = str("owner");
        const me = await currentUser(s);
        const temporary = owner !== "" && owner !== me && !(await isMemberOfRole(s, owner, me));
        if (temporary) await s.run(`GRANT ${quote(owner)} TO ${quote(me)}`);
        const locale = (key: string) => {
          const value = str(key);
          return options.locales?.[value] ?? value;
        };
        try {
          await s.run(
            `CREATE DATABASE ${quote(str("name"))} OWNER ${quote(owner || me)} TEMPLATE ${quote(str("template") || "template0")} ENCODING ${literal(str("encoding") || "UTF8")} LC_COLLATE ${literal(locale("lc_collate"))} LC_CTYPE ${literal(locale("lc_ctype"))} ALLOW_CONNECTIONS ${bool("allow_connections", true)} CONNECTION LIMIT ${num("connection_limit", -1)} IS_TEMPLATE ${bool("is_template", false)}`,
          );
        } finally {
          if (temporary && (await isMemberOfRole(s, owner, me))) {
            await s.run(`REVOKE ${quote(owner)} FROM ${quote(me)}`);
          }
        }
        return;
      }
      case "postgresql_grant": {
        const objectType = str("object_type");
        const role = quote(str("role"));
        const schema = str("schema");
        const privileges = (get(b, "privileges") as string[] | undefined) ?? [];
        const on =
          objectType === "database"
            ? `DATABASE ${quote(database)}`
            : objectType === "schema"
              ? `SCHEMA ${quote(schema)}`
              : `ALL ${objectType.toUpperCase()}S IN SCHEMA ${quote(schema)}`;
        await inTransaction(async () => {
          const owners = await rolesToGrant(s, objectType, schema);
          await withRolesGranted(s, owners, async () => {
            await s.run(`REVOKE ALL PRIVILEGES ON ${on} FROM ${role}`);
            if (privileges.length > 0) {
              await s.run(`GRANT ${privileges.join(",")} ON ${on} TO ${role}`);
            }
          });
        });
        return;
      }
      case "postgresql_default_privileges": {
        const owner = str("owner");
        const inSchema = str("schema") ? ` IN SCHEMA ${quote(str("schema"))}` : "";
        const what = `${str("object_type").toUpperCase()}S`;
        const privileges = (get(b, "privileges") as string[] | undefined) ?? [];
        await inTransaction(async () => {
          await withRolesGranted(s, [owner], async () => {
            await s.run(
              `ALTER DEFAULT PRIVILEGES FOR ROLE ${quote(owner)}${inSchema} REVOKE ALL ON ${what} FROM ${quote(str("role"))}`,
            );
            if (privileges.length > 0) {
              await s.run(
                `ALTER DEFAULT PRIVILEGES FOR ROLE ${quote(owner)}${inSchema} GRANT ${privileges.join(",")} ON ${what} TO ${quote(str("role"))}`,
              );
            }
          });
        });
        return;
      }
      case "postgresql_extension": {
        await inTransaction(async () => {
          await s.run(`CREATE EXTENSION IF NOT EXISTS ${quote(str("name"))}`);
        });
        return;
      }
      default:
        throw new Error(`the provider model does not know ${resource.type}`);
    }
  } finally {
    await s.client.end();
  }
}

/**
 * Applies the stack's `postgresql_*` resources in dependency order, as the model above says the
 * provider would create them from an empty state. Returns one step per resource.
 */
export async function applyProviderModel(
  stack: StackJson,
  options: ProviderModelOptions,
): Promise<ModelStep[]> {
  const resources = postgresqlResources(stack);
  const get = resolver(resources);
  const failed = new Set<string>();
  const steps: ModelStep[] = [];
  for (const resource of applyOrder(resources)) {
    if (dependencies(resource).some((d) => failed.has(d))) {
      failed.add(resource.address);
      steps.push({ address: resource.address, sql: [], warnings: [], skipped: true });
      continue;
    }
    const sql: string[] = [];
    const warnings: string[] = [];
    try {
      await create(resource, get, options, sql, warnings);
      steps.push({ address: resource.address, sql, warnings });
    } catch (error) {
      failed.add(resource.address);
      steps.push({ address: resource.address, sql, warnings, error: (error as Error).message });
    }
  }
  return steps;
}

/**
 * What the provider's Read would find different from the configuration right after the apply,
 * i.e. what the next plan would want to change (empty: a clean second plan). Covers the
 * privileges of database and schema grants and of default privileges (read as
 * readDatabaseRolePrivileges, readSchemaRolePrivileges, readRoleDefaultPrivileges do) and the
 * memberships of postgresql_grant_role.
 */
export async function driftAfterApply(
  stack: StackJson,
  options: ProviderModelOptions,
): Promise<string[]> {
  const resources = postgresqlResources(stack);
  const get = resolver(resources);
  const drift: string[] = [];
  const sorted = (values: readonly string[]) => [...values].sort().join(",");
  const ROLE_OID = "(SELECT oid FROM pg_roles WHERE rolname = $2)";
  // pg_default_acl.defaclobjtype per object_type (PostgreSQL docs, pg_default_acl).
  const DEFACL_TYPES: Record<string, string> = {
    table: "r",
    sequence: "S",
    function: "f",
    type: "T",
  };
  for (const resource of resources) {
    const b = resource.body;
    const str = (key: string) => String(get(b, key) ?? "");
    const wanted = (get(b, "privileges") as string[] | undefined) ?? [];
    const objectType = str("object_type");
    const inTenantDatabase =
      resource.type === "postgresql_default_privileges" ||
      (resource.type === "postgresql_grant" && objectType === "schema");
    const s = await session(
      options,
      inTenantDatabase ? str("database") : options.adminDatabase,
      [],
      [],
    );
    try {
      const privileges = async (query: string, values: unknown[]) =>
        (await s.look(query, values)).rows.map((r) => r.privilege_type as string);
      let found: string[] | undefined;
      if (resource.type === "postgresql_grant" && objectType === "database") {
        // PUBLIC is grantee 0 in an ACL.
        const grantee = str("role") === "public" ? "0" : ROLE_OID;
        found = await privileges(
          `SELECT privilege_type FROM (SELECT (aclexplode(datacl)).* FROM pg_database WHERE datname = $1) p WHERE grantee = ${grantee}`,
          str("role") === "public" ? [str("database")] : [str("database"), str("role")],
        );
      } else if (resource.type === "postgresql_grant" && objectType === "schema") {
        found = await privileges(
          `SELECT privilege_type FROM (SELECT (aclexplode(nspacl)).* FROM pg_namespace WHERE nspname = $1) p WHERE grantee = ${ROLE_OID}`,
          [str("schema"), str("role")],
        );
      } else if (resource.type === "postgresql_default_privileges") {
        found = await privileges(
          `SELECT t.prtype AS privilege_type
           FROM (SELECT defaclnamespace, (aclexplode(defaclacl)).* FROM pg_default_acl WHERE defaclobjtype = $4)
             AS t (namespace, grantor_oid, grantee_oid, prtype, grantable)
           JOIN pg_namespace ON pg_namespace.oid = t.namespace
           WHERE t.grantee_oid = ${ROLE_OID} AND nspname = $1 AND pg_get_userbyid(t.grantor_oid) = $3`,
          [str("schema"), str("role"), str("owner"), DEFACL_TYPES[objectType]],
        );
      } else if (resource.type === "postgresql_grant_role") {
        const rows = await s.look(
          "SELECT admin_option FROM pg_auth_members WHERE pg_get_userbyid(member) = $1 AND pg_get_userbyid(roleid) = $2",
          [str("role"), str("grant_role")],
        );
        const admin = (get(b, "with_admin_option") as boolean | undefined) ?? false;
        if (!rows.rows.some((r) => r.admin_option === admin)) drift.push(resource.address);
      }
      if (found !== undefined && sorted(found) !== sorted(wanted)) drift.push(resource.address);
    } finally {
      await s.client.end();
    }
  }
  return drift.sort();
}
