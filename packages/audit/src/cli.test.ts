import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnvironment } from "@pgforks/config";
import {
  environmentInput,
  freePort,
  startPostgres,
  type TemporaryPostgres,
} from "@pgforks/testing";
import { Client } from "pg";
import {
  type CliIo,
  connectionSettings,
  DEFAULT_DATABASE,
  DEFAULT_HOST,
  EXIT_ERROR,
  EXIT_FINDINGS,
  EXIT_OK,
  runCli,
} from "./cli";
import { applyEnvironment } from "./test-support";

const ENV = "clitest";
let server: TemporaryPostgres;
let environments: string;

beforeAll(async () => {
  const base = environmentInput();
  server = await startPostgres({ user: "forks_admin" });
  environments = mkdtempSync(join(tmpdir(), "pgforks-audit-cli-"));
  mkdirSync(join(environments, ENV));
  // YAML is a superset of JSON. The tunnel's local port is the test server's: the CLI's
  // default port comes from it, and its default user from the master username.
  writeFileSync(
    join(environments, ENV, "environment.yaml"),
    JSON.stringify({
      ...base,
      name: ENV,
      database: { ...base.database, masterUsername: "forks_admin" },
      tunnel: { localPort: server.port },
    }),
  );
  writeFileSync(
    join(environments, ENV, "tenants.yaml"),
    JSON.stringify({
      tenants: [
        { name: "shop", owner: "shop@example.com", connectionLimit: 5 },
        { name: "blog", owner: "blog@example.com", state: "suspended" },
      ],
    }),
  );
  const admin = new Client({ connectionString: server.connectionString });
  await admin.connect();
  try {
    await applyEnvironment(admin, loadEnvironment(ENV, environments));
  } finally {
    await admin.end();
  }
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (environments) rmSync(environments, { recursive: true, force: true });
});

/** Environment without libpq variables, so the machine's PG* settings cannot leak in. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PG")));
}

/** Runs the real CLI in a child process (tsx), as `npm run audit` does. */
function spawnCli(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [require.resolve("tsx/cli"), join(__dirname, "cli.ts"), ...args],
      { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the CLI in-process, capturing its output. */
async function runInProcess(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

const envArgs = () => ["--env", ENV, "--environments-dir", environments];

async function withStrayDatabase<T>(run: () => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: server.connectionString });
  await admin.connect();
  try {
    await admin.query("CREATE DATABASE stray_db");
    return await run();
  } finally {
    await admin.query("DROP DATABASE IF EXISTS stray_db");
    await admin.end();
  }
}

test("exit 0 and 'no findings' when the server matches (port and user from the config)", async () => {
  const result = await spawnCli(envArgs());
  expect(result.stderr).toBe("");
  expect(result.stdout).toContain(`Audit of environment "${ENV}"`);
  expect(result.stdout).toMatch(/\nno findings\n$/);
  expect(result.code).toBe(EXIT_OK);
}, 30_000);

test("exit 1 and a JSON report with --json when there is drift", async () => {
  const result = await withStrayDatabase(() => spawnCli([...envArgs(), "--json"]));
  expect(result.code).toBe(EXIT_FINDINGS);
  const report = JSON.parse(result.stdout);
  expect(report).toMatchObject({
    ok: false,
    count: 1,
    environment: ENV,
    server: { user: "forks_admin", database: DEFAULT_DATABASE },
    findings: [{ code: "unknown-database", object: { kind: "database", name: "stray_db" } }],
  });
}, 30_000);

test("exit 2 with a readable message when nothing listens on the port", async () => {
  const closed = await freePort();
  const result = await spawnCli([...envArgs(), "--port", String(closed)]);
  expect(result.code).toBe(EXIT_ERROR);
  expect(result.stderr).toContain(`cannot connect to PostgreSQL at 127.0.0.1:${closed}`);
  expect(result.stderr).toContain("ECONNREFUSED");
  expect(result.stdout).toBe("");
}, 30_000);

test("--ignore-database and --ignore-role turn drift into a pass", async () => {
  const result = await withStrayDatabase(() =>
    runInProcess([...envArgs(), "--port", String(server.port), "--ignore-database", "stray_db"]),
  );
  expect(result.stdout).toMatch(/no findings/);
  expect(result.code).toBe(EXIT_OK);
});

test("connection flags and libpq variables reach the server", async () => {
  const viaEnv = await runInProcess(envArgs(), { PGPORT: String(server.port), PGUSER: "shop" });
  expect(viaEnv.stdout).toContain("as shop on postgres");
  const viaFlags = await runInProcess(
    [...envArgs(), "--user", "forks_admin", "--database", "shop"],
    {
      PGUSER: "shop",
    },
  );
  expect(viaFlags.stdout).toContain("as forks_admin on shop");
  expect(viaFlags.code).toBe(EXIT_OK);
});

test("usage errors exit 2 and name the problem", async () => {
  const cases: Array<[string[], string]> = [
    [[], "--env <env> is required"],
    [["--env", ENV, "--frobnicate"], "Unknown option '--frobnicate'"],
    [["--env", "nope", "--environments-dir", environments], `unknown environment "nope"`],
    [[...envArgs(), "--port", "http"], "--port must be a port number"],
    [[...envArgs(), "--sslmode", "maybe"], "--sslmode must be one of"],
  ];
  for (const [args, message] of cases) {
    const result = await runInProcess(args);
    expect({ args, code: result.code }).toEqual({ args, code: EXIT_ERROR });
    expect(result.stderr).toContain(message);
  }
  const json = await runInProcess([...envArgs(), "--json", "--port", "0"]);
  expect(JSON.parse(json.stdout)).toMatchObject({
    ok: false,
    error: expect.stringContaining("--port"),
  });
  const help = await runInProcess(["--help"]);
  expect(help.code).toBe(EXIT_OK);
  expect(help.stdout).toContain("Usage: npm run audit -- --env <env>");
});

test("connection defaults: flag, else libpq variable, else the environment", () => {
  const loaded = loadEnvironment(ENV, environments);
  expect(connectionSettings({}, {}, loaded)).toEqual({
    host: DEFAULT_HOST,
    port: server.port,
    user: "forks_admin",
    database: DEFAULT_DATABASE,
    sslmode: "prefer",
  });
  const env = { PGHOST: "db.internal", PGPORT: "6000", PGSSLMODE: "require", PGPASSWORD: "pw" };
  expect(connectionSettings({}, env, loaded)).toMatchObject({
    host: "db.internal",
    port: 6000,
    sslmode: "require",
    password: "pw",
  });
  expect(
    connectionSettings({ host: "h", port: "7000", sslmode: "disable" }, env, loaded),
  ).toMatchObject({
    host: "h",
    port: 7000,
    sslmode: "disable",
  });
  const noTunnel = { environment: { ...loaded.environment, tunnel: undefined } };
  expect(connectionSettings({}, {}, noTunnel).port).toBe(5432);
});

// Last: the helper's stop() must leave nothing behind (afterAll's second stop() is a no-op).
test("the temporary server's stop() removes its folder", async () => {
  expect(existsSync(server.dataDir)).toBe(true);
  await server.stop();
  expect(existsSync(server.baseDir)).toBe(false);
  await server.stop();
});
