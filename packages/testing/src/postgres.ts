/**
 * Throwaway PostgreSQL servers for tests: one fresh cluster (initdb) per call, in its own temp
 * folder, on its own free port, listening on 127.0.0.1 only. Several Jest workers can each
 * start one at the same time.
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
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** Where Debian's postgresql-<major> packages put the server binaries (not on PATH). */
export const DEBIAN_POSTGRES_LIB_DIR = "/usr/lib/postgresql";

/** Environment variable naming the folder that holds initdb and pg_ctl. */
export const PG_BIN_ENV = "PGFORKS_PG_BIN";

/** Environment variable naming the unprivileged user the server runs as when we are root. */
export const PG_RUN_AS_ENV = "PGFORKS_PG_USER";

/** Users tried, in order, to run the server when the tests run as root. */
export const UNPRIVILEGED_USERS = ["postgres", "nobody"] as const;

const LOCALHOST = "127.0.0.1";

/** Port collisions between parallel workers (free port taken before postgres binds it). */
const START_ATTEMPTS = 3;

export interface StartPostgresOptions {
  /** Bootstrap superuser created by initdb (-U). Default "postgres". */
  readonly user?: string;
  /**
   * Folder holding initdb and pg_ctl. Default: $PGFORKS_PG_BIN, else the folder on PATH that has
   * both, else the highest-version /usr/lib/postgresql/<major>/bin.
   */
  readonly binDir?: string;
  /**
   * System user that runs the binaries when this process is root. Default: $PGFORKS_PG_USER,
   * else the first of "postgres", "nobody" that exists. Ignored when not root.
   */
  readonly runAs?: string;
  /** Seconds pg_ctl waits for the server to accept connections. Default 60. */
  readonly startTimeoutSeconds?: number;
}

export interface TemporaryPostgres {
  /** Always 127.0.0.1: the server listens on no other address. */
  readonly host: string;
  readonly port: number;
  /** The bootstrap superuser (trust authentication, no password). */
  readonly user: string;
  /** The database initdb creates: "postgres". */
  readonly database: string;
  /** postgresql://user@127.0.0.1:port/postgres */
  readonly connectionString: string;
  /** The cluster's data folder (inside the temp folder). */
  readonly dataDir: string;
  /** The temp folder: data, server log and the unix socket; removed by stop(). */
  readonly baseDir: string;
  /** Stops the server (pg_ctl stop -m fast) and removes the temp folder. Idempotent. */
  stop(): Promise<void>;
}

/** The server binaries could not be found; the message says how to install them. */
export class PostgresNotFoundError extends Error {
  constructor(looked: readonly string[]) {
    super(
      `PostgreSQL server binaries (initdb, pg_ctl) not found; looked in: ${looked.join(", ")}. ` +
        "Install Debian's postgresql package (apt-get install -y postgresql) or set " +
        `${PG_BIN_ENV} to the folder that holds initdb and pg_ctl.`,
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
  return isExecutable(join(dir, "initdb")) && isExecutable(join(dir, "pg_ctl"));
}

/** Numeric comparison of version folder names ("9.6" < "15" < "16"). */
function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The folder holding initdb and pg_ctl: `binDir`, else $PGFORKS_PG_BIN, else PATH, else the
 * highest version under /usr/lib/postgresql. Throws PostgresNotFoundError.
 */
export function findPostgresBinDir(binDir?: string, env = process.env): string {
  const explicit = binDir ?? env[PG_BIN_ENV];
  if (explicit) {
    if (hasServerBinaries(explicit)) return explicit;
    throw new PostgresNotFoundError([explicit]);
  }
  const pathDirs = (env.PATH ?? "").split(delimiter).filter(Boolean);
  const onPath = pathDirs.find(hasServerBinaries);
  if (onPath) return onPath;
  const versions = existsSync(DEBIAN_POSTGRES_LIB_DIR)
    ? readdirSync(DEBIAN_POSTGRES_LIB_DIR)
        .filter((v) => /^\d+(\.\d+)?$/.test(v))
        .sort(compareVersions)
        .reverse()
    : [];
  const debian = versions
    .map((v) => join(DEBIAN_POSTGRES_LIB_DIR, v, "bin"))
    .find(hasServerBinaries);
  if (debian) return debian;
  throw new PostgresNotFoundError(["PATH", `${DEBIAN_POSTGRES_LIB_DIR}/*/bin`]);
}

interface SystemUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

function systemUser(name: string): SystemUser | undefined {
  const passwd = existsSync("/etc/passwd") ? readFileSync("/etc/passwd", "utf8") : "";
  for (const line of passwd.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid !== undefined && gid !== undefined) {
      return { name, uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}

function findOnPath(command: string): string | undefined {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const dir of [...dirs, "/usr/bin", "/usr/sbin", "/bin", "/sbin"]) {
    if (isExecutable(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

/** How to run a binary: directly, or through setpriv/runuser as an unprivileged user. */
type Runner = { readonly user?: SystemUser; wrap(argv: string[]): string[] };

function runner(runAs: string | undefined): Runner {
  if (process.getuid?.() !== 0) return { wrap: (argv) => argv };
  const names = runAs ? [runAs] : (process.env[PG_RUN_AS_ENV] ?? "").split(",").filter(Boolean);
  const candidates = names.length > 0 ? names : [...UNPRIVILEGED_USERS];
  const user = candidates.map(systemUser).find((u) => u !== undefined);
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

/**
 * Creates and starts a fresh PostgreSQL cluster: trust authentication on 127.0.0.1 and the
 * private unix socket only, durability switched off for speed (the data is thrown away).
 */
export async function startPostgres(
  options: StartPostgresOptions = {},
): Promise<TemporaryPostgres> {
  const binDir = findPostgresBinDir(options.binDir);
  const user = options.user ?? "postgres";
  const as = runner(options.runAs);
  const baseDir = mkdtempSync(join(tmpdir(), "pgforks-pg-"));
  const dataDir = join(baseDir, "data");
  const logFile = join(baseDir, "server.log");
  const pgCtl = (...args: string[]) => as.wrap([join(binDir, "pg_ctl"), "-D", dataDir, ...args]);
  try {
    if (as.user) chownSync(baseDir, as.user.uid, as.user.gid);
    const init = await run(
      as.wrap([
        join(binDir, "initdb"),
        "-D",
        dataDir,
        "-U",
        user,
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
      ]),
      baseDir,
    );
    if (init.code !== 0) {
      throw new Error(
        `initdb failed (exit ${init.code})${as.user ? ` running as ${as.user.name} (that user must be able to enter ${tmpdir()}; set TMPDIR otherwise)` : ""}:\n${init.output}`,
      );
    }
    // Only the bootstrap user's socket (in a folder nobody else can enter) and loopback TCP.
    writeFileSync(
      join(dataDir, "pg_hba.conf"),
      "local all all trust\nhost all all 127.0.0.1/32 trust\n",
    );
    appendFileSync(
      join(dataDir, "postgresql.conf"),
      [
        "",
        "# pgforks test server",
        `listen_addresses = ${confString(LOCALHOST)}`,
        `unix_socket_directories = ${confString(baseDir)}`,
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        "shared_buffers = 16MB",
        "",
      ].join("\n"),
    );
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      appendFileSync(join(dataDir, "postgresql.conf"), `port = ${port}\n`);
      const timeout = String(options.startTimeoutSeconds ?? 60);
      const start = await run(pgCtl("-l", logFile, "-w", "-t", timeout, "start"), baseDir);
      if (start.code === 0) break;
      const log = tail(logFile);
      if (attempt < START_ATTEMPTS && /could not (bind|create listen)/i.test(log)) continue;
      throw new Error(`pg_ctl start failed (exit ${start.code}):\n${start.output}\n${log}`);
    }
    let stopped = false;
    const server: TemporaryPostgres = {
      host: LOCALHOST,
      port,
      user,
      database: "postgres",
      connectionString: `postgresql://${encodeURIComponent(user)}@${LOCALHOST}:${port}/postgres`,
      dataDir,
      baseDir,
      async stop() {
        if (stopped) return;
        stopped = true;
        running.delete(server);
        try {
          const fast = await run(pgCtl("-m", "fast", "-w", "stop"), baseDir);
          if (fast.code !== 0) await run(pgCtl("-m", "immediate", "-w", "stop"), baseDir);
        } finally {
          rmSync(baseDir, { recursive: true, force: true });
        }
      },
    };
    running.set(server, () => {
      const [command, ...args] = pgCtl("-m", "immediate", "stop");
      if (command) spawnSync(command, args, { stdio: "ignore", cwd: baseDir, env: childEnv() });
      rmSync(baseDir, { recursive: true, force: true });
    });
    installExitHook();
    return server;
  } catch (error) {
    rmSync(baseDir, { recursive: true, force: true });
    throw error;
  }
}
