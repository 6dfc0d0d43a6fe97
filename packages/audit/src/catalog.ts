/**
 * Read-only catalog queries. pg_roles, pg_database and pg_auth_members are shared catalogs, so
 * one connection to any database sees the whole cluster; no query touches tenant data.
 */

/** What the audit needs from a connection: pg.Client fits. */
export interface AuditConnection {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
}

/** Opens a new connection; the audit closes it when done. */
export type AuditConnectionFactory = () => Promise<AuditConnection>;

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
}

export interface CatalogSnapshot {
  readonly version: string;
  readonly user: string;
  readonly database: string;
  readonly roles: ReadonlyMap<string, LiveRole>;
  readonly databases: ReadonlyMap<string, LiveDatabase>;
  /** `role -> databases` it can CONNECT to, per has_database_privilege, for the roles asked. */
  readonly canConnect: ReadonlyMap<string, ReadonlySet<string>>;
}

const SERVER_SQL = `SELECT current_setting('server_version') AS version,
  current_user::text AS "user", current_database()::text AS database`;

const ROLES_SQL = `SELECT r.rolname::text AS name, r.rolsuper AS superuser, r.rolcreatedb AS createdb,
  r.rolcreaterole AS createrole, r.rolcanlogin AS "canLogin", r.rolreplication AS replication,
  r.rolbypassrls AS bypassrls, r.rolconnlimit AS "connectionLimit",
  ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
        WHERE m.member = r.oid ORDER BY 1) AS "memberOf"
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
        WHERE a.grantee <> 0 AND a.privilege_type = 'CONNECT' ORDER BY 1) AS "connectGrantees"
FROM pg_database d`;

// has_database_privilege answers as the server does at login: direct grants, PUBLIC,
// ownership, inherited membership and superuser all count.
const CAN_CONNECT_SQL = `SELECT r.rolname::text AS role, d.datname::text AS database
FROM pg_roles r CROSS JOIN pg_database d
WHERE r.rolname = ANY($1::text[]) AND d.datname = ANY($2::text[])
  AND has_database_privilege(r.oid, d.oid, 'CONNECT')`;

/**
 * Reads everything the audit compares, in one REPEATABLE READ READ ONLY transaction (a consistent
 * snapshot that cannot write), on a session whose default is read-only too.
 */
export async function readCatalog(
  connect: AuditConnectionFactory,
  /** Roles and databases whose CONNECT matrix is wanted (names that do not exist are skipped). */
  connectMatrix: { readonly roles: readonly string[]; readonly databases: readonly string[] },
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
    const pairs = (
      await connection.query(CAN_CONNECT_SQL, [
        [...connectMatrix.roles],
        [...connectMatrix.databases],
      ])
    ).rows as Array<{ role: string; database: string }>;
    const canConnect = new Map<string, Set<string>>();
    for (const { role, database } of pairs) {
      const set = canConnect.get(role) ?? new Set<string>();
      set.add(database);
      canConnect.set(role, set);
    }
    await connection.query("ROLLBACK");
    return {
      version: server?.version ?? "unknown",
      user: server?.user ?? "unknown",
      database: server?.database ?? "unknown",
      roles,
      databases,
      canConnect,
    };
  } finally {
    await connection.end();
  }
}
