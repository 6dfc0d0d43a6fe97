import { spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processStartTime } from "@pgforks/config/src/processes";
import { testWhen } from "@pgforks/testing";
import { Client } from "pg";
import {
  findPostgresBinDir,
  freePort,
  generatePassword,
  PG_BIN_ENV,
  POSTGRES_MAJOR,
  PostgresNotFoundError,
  scramSha256Verifier,
  startPostgres,
  stopPostgres,
} from "../src";

jest.setTimeout(180_000);

test("a folder without the server binaries gives an error that says how to get them", () => {
  expect(() => findPostgresBinDir("/nonexistent/bin")).toThrow(PostgresNotFoundError);
  expect(() => findPostgresBinDir(undefined, { [PG_BIN_ENV]: "/nonexistent/bin" })).toThrow(
    /initdb, pg_ctl, postgres.*npm ci/,
  );
});

test("$PGFORKS_PG_BIN wins over the npm package, and needs all three binaries", () => {
  const root = mkdtempSync(join(tmpdir(), "pgforks-bin-"));
  try {
    const folder = (name: string, binaries: readonly string[]) => {
      const dir = join(root, name);
      mkdirSync(dir);
      for (const binary of binaries) {
        writeFileSync(join(dir, binary), "#!/bin/sh\n");
        chmodSync(join(dir, binary), 0o755);
      }
      return dir;
    };
    const full = folder("full", ["initdb", "pg_ctl", "postgres"]);
    const half = folder("half", ["initdb", "pg_ctl"]);
    expect(findPostgresBinDir(undefined, { [PG_BIN_ENV]: full })).toBe(full);
    expect(() => findPostgresBinDir(undefined, { [PG_BIN_ENV]: half })).toThrow(
      PostgresNotFoundError,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("the SCRAM verifier is the one PostgreSQL accepts for the password (and stores as is)", async () => {
  const server = await startPostgres({
    rds: { adminRole: "forks_admin", adminPassword: generatePassword() },
  });
  try {
    const password = generatePassword();
    const verifier = scramSha256Verifier(password);
    expect(verifier).toMatch(
      /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/,
    );
    await server.superuserSql(`CREATE ROLE app LOGIN PASSWORD '${verifier}'`);
    expect(
      JSON.parse(
        await server.superuserSql("SELECT rolpassword FROM pg_authid WHERE rolname = 'app'"),
      ),
    ).toEqual([{ rolpassword: verifier }]);
    const login = async (pw: string) => {
      const client = new Client({
        host: server.host,
        port: server.port,
        user: "app",
        password: pw,
        database: "postgres",
      });
      await client.connect();
      await client.end();
    };
    await expect(login(password)).resolves.toBeUndefined();
    await expect(login(`${password}x`)).rejects.toThrow(/password authentication failed/);
    // The password itself never reached the server log, which logs DDL.
    expect(readFileSync(server.logFile, "utf8")).not.toContain(password);
  } finally {
    await server.stop();
  }
});

test(`an RDS-like server: PostgreSQL ${POSTGRES_MAJOR}, the admin is no superuser, logs in with its password only`, async () => {
  const adminPassword = generatePassword();
  const server = await startPostgres({ rds: { adminRole: "forks_admin", adminPassword } });
  try {
    const client = new Client({ connectionString: server.connectionString });
    await client.connect();
    try {
      const { rows } = await client.query(
        "SELECT current_setting('server_version_num')::int / 10000 AS major, r.rolsuper, r.rolcreaterole, r.rolcreatedb, pg_has_role('rds_superuser', 'MEMBER') AS rds, pg_has_role('pg_signal_backend', 'USAGE') AS signal, current_setting('log_statement') AS log_statement, current_setting('password_encryption') AS encryption, (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'postgres') AS postgres_owner, (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'template1') AS template1_owner FROM pg_roles r WHERE r.rolname = current_user",
      );
      expect(rows).toEqual([
        {
          major: POSTGRES_MAJOR,
          rolsuper: false,
          rolcreaterole: true,
          rolcreatedb: true,
          rds: true,
          signal: true,
          log_statement: "ddl",
          encryption: "scram-sha-256",
          postgres_owner: "forks_admin",
          template1_owner: "forks_admin",
        },
      ]);
    } finally {
      await client.end();
    }
    const wrong = new Client({
      host: server.host,
      port: server.port,
      user: "forks_admin",
      password: "wrong",
      database: "postgres",
    });
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
    expect(readFileSync(server.logFile, "utf8")).not.toContain(adminPassword);
  } finally {
    await server.stop();
  }
  expect(existsSync(server.baseDir)).toBe(false);
});

test("a persistent server whose first start failed (port taken) is bootstrapped by the next one", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pgforks-persistent-"));
  const taken = createServer();
  try {
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const busy = (taken.address() as AddressInfo).port;
    const rds = { adminRole: "forks_admin", adminPassword: generatePassword() };
    await expect(startPostgres({ persistent: { dir, port: busy }, rds })).rejects.toThrow(
      /pg_ctl start failed/,
    );
    expect(existsSync(join(dir, "data", "PG_VERSION"))).toBe(true);
    const free = await freePort();
    const server = await startPostgres({ persistent: { dir, port: free }, rds });
    const admin = new Client({ connectionString: server.connectionString });
    try {
      await admin.connect();
      const { rows } = await admin.query("SELECT current_user AS who");
      expect(rows).toEqual([{ who: "forks_admin" }]);
    } finally {
      await admin.end().catch(() => undefined);
      await server.stop();
    }
  } finally {
    taken.close();
    await stopPostgres(dir).catch(() => false);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a persistent server keeps its data across stop and start", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pgforks-persistent-"));
  try {
    const rds = { adminRole: "forks_admin", adminPassword: generatePassword() };
    const port = await freePort();
    const first = await startPostgres({ persistent: { dir, port }, rds });
    await first.superuserSql("CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)");
    expect(await stopPostgres(dir)).toBe(true);
    expect(await stopPostgres(dir)).toBe(false);
    const second = await startPostgres({ persistent: { dir, port }, rds });
    expect(JSON.parse(await second.superuserSql("SELECT x FROM kept"))).toEqual([{ x: 42 }]);
    // Started again with another port (PGFORKS_LOCAL_PORT set in one shell, not in the next):
    // refused, with both ways out.
    await expect(startPostgres({ persistent: { dir, port: port + 1 }, rds })).rejects.toThrow(
      `the server in ${dir} is already running on port ${port}, not ${port + 1}: stop it first (npm run local -- stop), or use it where it runs (PGFORKS_LOCAL_PORT=${port})`,
    );
    await second.stop();
    expect(existsSync(join(dir, "data", "PG_VERSION"))).toBe(true);
  } finally {
    await stopPostgres(dir).catch(() => false);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a persistent server starts again after its folder moved (the repository renamed), its data kept", async () => {
  const parent = mkdtempSync(join(tmpdir(), "pgforks-persistent-"));
  // Run as an unprivileged user when this is root: it must be able to enter the parent.
  chmodSync(parent, 0o755);
  const before = join(parent, "before");
  const after = join(parent, "after it's moved");
  try {
    const rds = { adminRole: "forks_admin", adminPassword: generatePassword() };
    const port = await freePort();
    const first = await startPostgres({ persistent: { dir: before, port }, rds });
    await first.superuserSql("CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)");
    expect(await stopPostgres(before)).toBe(true);
    renameSync(before, after);
    const second = await startPostgres({ persistent: { dir: after, port }, rds });
    expect(JSON.parse(await second.superuserSql("SELECT x FROM kept"))).toEqual([{ x: 7 }]);
    await second.stop();
  } finally {
    await stopPostgres(after).catch(() => false);
    await stopPostgres(before).catch(() => false);
    rmSync(parent, { recursive: true, force: true });
  }
});

testWhen(process.getuid?.() === 0 ? undefined : "runs as root")(
  "PGFORKS_PG_USER=root is refused in one line before any PostgreSQL program runs",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "pgforks-persistent-"));
    try {
      await expect(
        startPostgres({ persistent: { dir, port: await freePort() }, runAs: "root" }),
      ).rejects.toThrow(
        '"root" is root (uid 0), and PostgreSQL refuses to run as root: set PGFORKS_PG_USER to an unprivileged user (postgres or nobody), or unset it',
      );
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

/** The uid of each system user named, or undefined when one is missing. */
function systemUids(...names: string[]): number[] | undefined {
  const passwd = existsSync("/etc/passwd") ? readFileSync("/etc/passwd", "utf8") : "";
  const uids = names.map((name) => {
    const line = passwd.split("\n").find((l) => l.split(":")[0] === name);
    return line === undefined ? undefined : Number(line.split(":")[2]);
  });
  return uids.every((uid) => uid !== undefined) ? (uids as number[]) : undefined;
}

const [postgresUid] = systemUids("postgres", "nobody") ?? [];
testWhen(
  process.getuid?.() === 0 && postgresUid !== undefined
    ? undefined
    : "runs as root with the system users postgres and nobody",
)(
  "a persistent server made as one user is refused, in one line, when started or stopped as another",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "pgforks-persistent-"));
    try {
      const rds = { adminRole: "forks_admin", adminPassword: generatePassword() };
      const port = await freePort();
      const refusal = new Error(
        `the server's data in ${join(dir, "data")} belongs to postgres, not nobody, and PostgreSQL's programs run only as its data's owner: set PGFORKS_PG_USER=postgres`,
      );
      const first = await startPostgres({ persistent: { dir, port }, rds, runAs: "postgres" });
      // Stopped as another user: refused, not "was not running" (local reset then deleted the
      // folder under the running server).
      await expect(stopPostgres(dir, { runAs: "nobody" })).rejects.toThrow(refusal);
      expect(JSON.parse(await first.superuserSql("SELECT 1 AS up"))).toEqual([{ up: 1 }]);
      await first.stop();
      await expect(
        startPostgres({ persistent: { dir, port }, rds, runAs: "nobody" }),
      ).rejects.toThrow(refusal);
      // Nothing was handed over to the other user.
      expect(statSync(dir).uid).toBe(postgresUid);
    } finally {
      await stopPostgres(dir, { runAs: "postgres" }).catch(() => false);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test("a persistent server takes the admin password it is started with (a credentials file drawn again)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pgforks-persistent-"));
  try {
    const port = await freePort();
    const first = { adminRole: "forks_admin", adminPassword: generatePassword() };
    const started = await startPostgres({ persistent: { dir, port }, rds: first });
    await started.superuserSql("CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)");
    // A cluster bootstrapped before the admin owned template1.
    await started.superuserSql("ALTER DATABASE template1 OWNER TO pgforks_bootstrap");
    expect(await stopPostgres(dir)).toBe(true);
    const drawnAgain = { adminRole: "forks_admin", adminPassword: generatePassword() };
    const again = await startPostgres({ persistent: { dir, port }, rds: drawnAgain });
    const connect = async (password: string) => {
      const { host, port: at, user, database } = again;
      const client = new Client({ host, port: at, user, database, password });
      await client.connect();
      await client.end();
    };
    await expect(connect(drawnAgain.adminPassword)).resolves.toBeUndefined();
    await expect(connect(first.adminPassword)).rejects.toThrow(/password authentication failed/);
    expect(JSON.parse(await again.superuserSql("SELECT x FROM kept"))).toEqual([{ x: 7 }]);
    expect(
      JSON.parse(
        await again.superuserSql(
          "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'template1'",
        ),
      ),
    ).toEqual([{ owner: "forks_admin" }]);
    expect(readFileSync(again.logFile, "utf8")).not.toContain(drawnAgain.adminPassword);
    await again.stop();
  } finally {
    await stopPostgres(dir).catch(() => false);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Pids of the processes whose command line names `text` (a cluster folder). */
function processesNaming(text: string): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

/** Waits (polling, no deadline of its own: Jest's timeout is the limit) until `done()` holds. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 50));
}

test("a first start killed while initdb runs: the next start makes a working cluster", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pgforks-persistent-"));
  const rds = { adminRole: "forks_admin", adminPassword: generatePassword() };
  const port = await freePort();
  try {
    // `npm start` killed (SIGKILL: no handler runs) while its initdb works: initdb ignores
    // SIGPIPE and finishes alone, but the configuration and the admin never come.
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        `require(${JSON.stringify(join(__dirname, "../src"))}).startPostgres({ persistent: { dir: ${JSON.stringify(dir)}, port: ${port} }, rds: ${JSON.stringify(rds)} })`,
      ],
      { stdio: "ignore" },
    );
    const exited = new Promise((resolve) => child.on("exit", resolve));
    await until(
      () =>
        existsSync(dir) &&
        readdirSync(dir).some((name) => existsSync(join(dir, name, "PG_VERSION"))),
    );
    child.kill("SIGKILL");
    await exited;
    // On a starved machine the child may have got as far as starting the server before the kill:
    // stop it, or the wait below would never end (the next start must still work then).
    await stopPostgres(dir).catch(() => false);
    await until(() => processesNaming(dir).length === 0);

    const server = await startPostgres({ persistent: { dir, port }, rds });
    const client = new Client({
      host: server.host,
      port: server.port,
      user: rds.adminRole,
      password: rds.adminPassword,
      database: "postgres",
    });
    await client.connect();
    await client.end();
    expect(readdirSync(dir).filter((name) => name.startsWith("data"))).toEqual(["data"]);
  } finally {
    await stopPostgres(dir).catch(() => false);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("initdb folders are judged by pid and start time: a reused pid's folder goes, a live start's stays", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pgforks-persistent-"));
  const port = await freePort();
  // Two real processes: `reused` has the pid of a start that was killed (its folder names another
  // start time), `live` is a start still making its cluster (its folder names its own).
  const spawnSleeper = () => spawn("sleep", ["600"], { stdio: "ignore" });
  const reused = spawnSleeper();
  const live = spawnSleeper();
  try {
    const reusedStart = Number(processStartTime(reused.pid as number));
    const liveStart = processStartTime(live.pid as number);
    expect(liveStart).toBeDefined();
    const dead = `data.initdb-${reused.pid}-${reusedStart - 1}`;
    const running = `data.initdb-${live.pid}-${liveStart}`;
    mkdirSync(join(dir, dead));
    mkdirSync(join(dir, running));
    await startPostgres({ persistent: { dir, port } });
    const left = readdirSync(dir).filter((name) => name.startsWith("data"));
    expect(left.sort()).toEqual(["data", running]);
  } finally {
    reused.kill("SIGKILL");
    live.kill("SIGKILL");
    await stopPostgres(dir).catch(() => false);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a first start killed before the admin was made: the next start makes it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pgforks-persistent-"));
  const rds = { adminRole: "forks_admin", adminPassword: generatePassword() };
  const port = await freePort();
  try {
    const first = await startPostgres({ persistent: { dir, port }, rds });
    // What a start killed right after pg_ctl start leaves: the server runs, the RDS-like
    // bootstrap never ran.
    await first.superuserSql(
      `ALTER DATABASE postgres OWNER TO pgforks_bootstrap; ALTER DATABASE template1 OWNER TO pgforks_bootstrap; DROP ROLE ${rds.adminRole}; DROP ROLE rds_superuser`,
    );
    const second = await startPostgres({ persistent: { dir, port }, rds });
    const client = new Client({
      host: second.host,
      port: second.port,
      user: rds.adminRole,
      password: rds.adminPassword,
      database: "postgres",
    });
    await client.connect();
    const { rows } = await client.query(
      "SELECT pg_has_role('rds_superuser', 'MEMBER') AS rds, pg_catalog.pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'postgres'",
    );
    await client.end();
    expect(rows).toEqual([{ rds: true, owner: rds.adminRole }]);
  } finally {
    await stopPostgres(dir).catch(() => false);
    rmSync(dir, { recursive: true, force: true });
  }
});
