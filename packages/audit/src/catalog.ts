/**
 * Read-only catalog queries. pg_roles, pg_database and pg_auth_members are shared catalogs, so
 * one connection (to the admin database) sees every role and database of the cluster. Schemas are
 * per database: the tenant's own schema and schema public are read through one more connection to
 * each tenant database. No query touches tenant data.
 */

/** What the audit needs from a connection: pg.Client fits. */
export interface AuditConnection {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
}

/** Opens a new connection (to `database`, default the admin database); the audit closes it when done. */
export type AuditConnectionFactory = (database?: string) => Promise<AuditConnection>;

export interface LiveRole {
  readonly name: string;
  readonly superuser: boolean;
  readonly createdb: boolean;
  readonly createrole: boolean;
  readonly canLogin: boolean;
  readonly replication: boolean;
  readonly bypassrls: boolean;
  /** -1 means no limit (PostgreSQL's pg_roles.rolconnlimit). */
  readonly connectionLimit: number;
  /** Roles this role is a direct member of. */
  readonly memberOf: readonly string[];
  /**
   * Roles that can use this role's privileges: direct members with INHERIT or SET (PostgreSQL 16
   * pg_auth_members). A role's creator holds ADMIN OPTION only, which is not listed.
   */
  readonly grantedTo: readonly string[];
}

export interface LiveDatabase {
  readonly name: string;
  readonly owner: string;
  /** -1 means no limit (pg_database.datconnlimit). */
  readonly connectionLimit: number;
  readonly encoding: string;
  /** Privilege types granted to PUBLIC (CONNECT, TEMPORARY, CREATE), NULL ACL read as the default. */
  readonly publicPrivileges: readonly string[];
  /** Roles holding CONNECT through a direct grant (not PUBLIC, not membership). */
  readonly connectGrantees: readonly string[];
  /** pg_database.datallowconn. */
  readonly allowConnections: boolean;
  /** Settings made with ALTER DATABASE ... SET (for every role), e.g. "search_path=public". */
  readonly settings: readonly string[];
}

/** What the audit reads inside one tenant database (through a connection to it). */
export interface LiveTenantSchema {
  /** Owner of the schema named like the tenant, or null when there is none. */
  readonly owner: string | null;
  /** Whether the tenant role can CREATE in schema public. */
  readonly tenantCreatesInPublic: boolean;
  /** Whether PUBLIC can CREATE in schema public. */
  readonly publicCreatesInPublic: boolean;
}

export interface CatalogSnapshot {
  readonly version: string;
  readonly user: string;
  readonly database: string;
  readonly roles: ReadonlyMap<string, LiveRole>;
  readonly databases: ReadonlyMap<string, LiveDatabase>;
  /** `role -> databases` it can CONNECT to, per has_database_privilege, for the roles asked. */
  readonly canConnect: ReadonlyMap<string, ReadonlySet<string>>;
  /** `role -> databases` it can CREATE (schemas) in, per has_database_privilege, likewise. */
  readonly canCreate: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * The roles asked whose privileges the admin role (the RDS master user) holds through inheriting
   * membership, per pg_has_role(..., 'USAGE') (a superuser holds every role's); empty when no
   * admin was asked or it does not exist.
   */
  readonly adminInherits: ReadonlySet<string>;
  /**
   * `role -> database -> count` of what pg_shdepend records in each database for the roles asked:
   * objects they own, privileges and default privileges granted to them, policies naming them.
   * DROP ROLE fails while any of it exists outside the database DROP DATABASE takes with it.
   */
  readonly dependenciesIn: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /**
   * By tenant database: its own schema and schema public. Only for databases that exist, allow
   * connections and that the audit's role may connect to; each other case has a finding of its
   * own (connections-disallowed; wrong-owner, as the admin reaches its databases as their owner).
   */
  readonly schemas: ReadonlyMap<string, LiveTenantSchema>;
}

const SERVER_SQL = `SELECT current_setting('server_version') AS version,
  current_user::text AS "user", current_database()::text AS database`;

const ROLES_SQL = `SELECT r.rolname::text AS name, r.rolsuper AS superuser, r.rolcreatedb AS createdb,
  r.rolcreaterole AS createrole, r.rolcanlogin AS "canLogin", r.rolreplication AS replication,
  r.rolbypassrls AS bypassrls, r.rolconnlimit AS "connectionLimit",
  ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
        WHERE m.member = r.oid ORDER BY 1) AS "memberOf",
  ARRAY(SELECT DISTINCT u.rolname::text FROM pg_auth_members m JOIN pg_roles u ON u.oid = m.member
        WHERE m.roleid = r.oid AND (m.inherit_option OR m.set_option) ORDER BY 1) AS "grantedTo"
FROM pg_roles r`;

// A NULL datacl means the built-in default, which grants PUBLIC CONNECT and TEMPORARY
// (PostgreSQL docs, 5.7 Privileges, table 5.2): acldefault('d', owner) spells it out.
const DATABASES_SQL = `SELECT d.datname::text AS name, pg_get_userbyid(d.datdba)::text AS owner,
  d.datconnlimit AS "connectionLimit", pg_encoding_to_char(d.encoding)::text AS encoding,
  ARRAY(SELECT DISTINCT a.privilege_type::text
        FROM aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
        WHERE a.grantee = 0 ORDER BY 1) AS "publicPrivileges",
  ARRAY(SELECT DISTINCT pg_get_userbyid(a.grantee)::text
        FROM aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
        WHERE a.grantee <> 0 AND a.privilege_type = 'CONNECT' ORDER BY 1) AS "connectGrantees",
  d.datallowconn AS "allowConnections",
  coalesce((SELECT s.setconfig::text[] FROM pg_db_role_setting s
            WHERE s.setdatabase = d.oid AND s.setrole = 0), '{}') AS settings
FROM pg_database d`;

// Run inside a tenant database, after SET search_path = pg_catalog: nothing the tenant created
// can stand in for a catalog function here.
const SCHEMA_SQL = `SELECT (SELECT pg_get_userbyid(n.nspowner)::text FROM pg_namespace n WHERE n.nspname = $1) AS owner,
  has_schema_privilege($1, 'public', 'CREATE') AS "tenantCreatesInPublic",
  coalesce((SELECT bool_or(a.grantee = 0 AND a.privilege_type = 'CREATE')
            FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = 'public'), false)
    AS "publicCreatesInPublic"`;

// has_database_privilege answers as the server does at login: direct grants, PUBLIC,
// ownership, inherited membership and superuser all count.
const PRIVILEGE_MATRIX_SQL = (privilege: "CONNECT" | "CREATE") => `SELECT r.rolname::text AS role,
  d.datname::text AS database
FROM pg_roles r CROSS JOIN pg_database d
WHERE r.rolname = ANY($1::text[]) AND d.datname = ANY($2::text[])
  AND has_database_privilege(r.oid, d.oid, '${privilege}')`;

// Tenant databases the audit's own role can open: connecting to one that disallows connections
// or that the role may not connect to would fail the whole audit instead of reporting it.
const REACHABLE_SQL = `SELECT d.datname::text AS database FROM pg_database d
WHERE d.datname = ANY($1::text[]) AND d.datallowconn AND has_database_privilege(d.oid, 'CONNECT')`;

// pg_shdepend is a shared catalog that every role may read: what depends on a role, database by
// database (a shared object, such as a database's own ACL, has dbid 0 and no pg_database row).
const DEPENDENCIES_SQL = `SELECT r.rolname::text AS role, d.datname::text AS database,
  count(*)::int AS count
FROM pg_shdepend s JOIN pg_roles r ON r.oid = s.refobjid JOIN pg_database d ON d.oid = s.dbid
WHERE s.refclassid = 'pg_authid'::regclass AND r.rolname = ANY($1::text[])
GROUP BY 1, 2`;

// 'USAGE' means "holds the role's privileges without SET ROLE": an inheriting membership (or
// superuser). A NOINHERIT membership, such as the one PostgreSQL 16 gives a CREATEROLE creator,
// does not count.
const ADMIN_INHERITS_SQL = `SELECT t.rolname::text AS role
FROM pg_roles a JOIN pg_roles t ON t.rolname = ANY($2::text[])
WHERE a.rolname = $1 AND pg_has_role(a.oid, t.oid, 'USAGE')`;

function matrix(rows: ReadonlyArray<{ role: string; database: string }>) {
  const out = new Map<string, Set<string>>();
  for (const { role, database } of rows) {
    const set = out.get(role) ?? new Set<string>();
    set.add(database);
    out.set(role, set);
  }
  return out;
}

/**
 * Reads everything the audit compares, in one REPEATABLE READ READ ONLY transaction (a consistent
 * snapshot that cannot write), on a session whose default is read-only too.
 */
export async function readCatalog(
  connect: AuditConnectionFactory,
  /**
   * Roles and databases whose CONNECT and CREATE matrix is wanted (names that do not exist are
   * skipped), and the admin role whose inheritance of those roles is wanted.
   */
  connectMatrix: {
    readonly roles: readonly string[];
    readonly databases: readonly string[];
    readonly admin?: string;
    /** Tenant databases to look into, with the tenant role whose schema is checked. */
    readonly tenantDatabases?: ReadonlyArray<{ readonly database: string; readonly role: string }>;
  },
): Promise<CatalogSnapshot> {
  const connection = await connect();
  try {
    await connection.query("SET SESSION default_transaction_read_only = on");
    await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const [server] = (await connection.query(SERVER_SQL)).rows as Array<{
      version: string;
      user: string;
      database: string;
    }>;
    const roleRows = (await connection.query(ROLES_SQL)).rows as LiveRole[];
    const databaseRows = (await connection.query(DATABASES_SQL)).rows as LiveDatabase[];
    const roles = new Map(roleRows.map((r) => [r.name, r]));
    const databases = new Map(databaseRows.map((d) => [d.name, d]));
    const args = [[...connectMatrix.roles], [...connectMatrix.databases]];
    type Pair = { role: string; database: string };
    const canConnect = matrix(
      (await connection.query(PRIVILEGE_MATRIX_SQL("CONNECT"), args)).rows as Pair[],
    );
    const canCreate = matrix(
      (await connection.query(PRIVILEGE_MATRIX_SQL("CREATE"), args)).rows as Pair[],
    );
    const adminInherits = new Set<string>(
      connectMatrix.admin === undefined
        ? []
        : (
            (
              await connection.query(ADMIN_INHERITS_SQL, [
                connectMatrix.admin,
                [...connectMatrix.roles],
              ])
            ).rows as Array<{ role: string }>
          ).map((r) => r.role),
    );
    const dependenciesIn = new Map<string, Map<string, number>>();
    for (const { role, database, count } of (
      await connection.query(DEPENDENCIES_SQL, [[...connectMatrix.roles]])
    ).rows as Array<{ role: string; database: string; count: number }>) {
      const byDatabase = dependenciesIn.get(role) ?? new Map<string, number>();
      byDatabase.set(database, count);
      dependenciesIn.set(role, byDatabase);
    }
    const tenantDatabases = connectMatrix.tenantDatabases ?? [];
    const reachable = new Set(
      (
        (await connection.query(REACHABLE_SQL, [tenantDatabases.map((t) => t.database)]))
          .rows as Array<{ database: string }>
      ).map((r) => r.database),
    );
    await connection.query("ROLLBACK");
    const schemas = new Map<string, LiveTenantSchema>();
    for (const { database, role } of tenantDatabases) {
      if (!reachable.has(database) || !roles.has(role)) continue;
      const inside = await connect(database);
      try {
        await inside.query("SET SESSION search_path = pg_catalog");
        await inside.query("SET SESSION default_transaction_read_only = on");
        const [row] = (await inside.query(SCHEMA_SQL, [role])).rows as LiveTenantSchema[];
        if (row) schemas.set(database, row);
      } finally {
        await inside.end();
      }
    }
    return {
      version: server?.version ?? "unknown",
      user: server?.user ?? "unknown",
      database: server?.database ?? "unknown",
      roles,
      databases,
      canConnect,
      canCreate,
      adminInherits,
      dependenciesIn,
      schemas,
    };
  } finally {
    await connection.end();
  }
}
