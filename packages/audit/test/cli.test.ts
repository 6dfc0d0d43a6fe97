import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnvironment, repoRoot } from "@pgforks/config";
import {
  BOOTSTRAP_SUPERUSER,
  freePort,
  generatePassword,
  startPostgres,
  type TemporaryPostgres,
} from "@pgforks/postgres-server";
import { environmentInput } from "@pgforks/testing";
import { Command } from "commander";
import {
  type AuditFlags,
  type CliIo,
  connectionFactory,
  connectionSettings,
  DEFAULT_DATABASE,
  DEFAULT_HOST,
  describeAuditCommand,
  EXIT_ERROR,
  EXIT_FINDINGS,
  EXIT_OK,
  runAudit,
} from "../src/cli";
import { adminConnections, adminSql, applyEnvironment } from "./support";

const ENV = "clitest";
const ADMIN = "forks_admin";
const PASSWORD = generatePassword();
let server: TemporaryPostgres;
let environments: string;

beforeAll(async () => {
  const base = environmentInput();
  // Like RDS: the master user is not a superuser and logs in with a SCRAM password.
  server = await startPostgres({ rds: { adminRole: ADMIN, adminPassword: PASSWORD } });
  environments = mkdtempSync(join(tmpdir(), "pgforks-audit-cli-"));
  mkdirSync(join(environments, ENV));
  // YAML is a superset of JSON. The tunnel's local port is the test server's: the CLI's
  // default port comes from it, and its default user from the master username.
  writeFileSync(
    join(environments, ENV, "environment.yaml"),
    JSON.stringify({
      ...base,
      name: ENV,
      database: { ...base.database, masterUsername: ADMIN },
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
  const admin = await adminConnections(server)();
  try {
    await applyEnvironment(server, admin, loadEnvironment(ENV, environments));
  } finally {
    await admin.end();
  }
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (environments) rmSync(environments, { recursive: true, force: true });
});

/**
 * Environment without the machine's libpq variables, so they cannot leak in; the admin's password
 * comes from PGPASSWORD, as in CI.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PG"))),
    PGPASSWORD: PASSWORD,
  };
}

/** The `pgforks` command (packages/cli), which the root package.json's `audit` script runs. */
const PGFORKS_MAIN = join(repoRoot(), "packages", "cli", "src", "main.ts");

/** Each spawn starts tsx and loads the whole program: seconds on a busy 2-core machine. */
const SPAWN_TIMEOUT_MS = 60_000;

/** Runs the real `pgforks audit <args>` in a child process (tsx), as `npm run audit` does. */
function spawnCli(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [require.resolve("tsx/cli"), PGFORKS_MAIN, "audit", ...args],
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

/** Runs the audit in-process with typed flags, capturing its output. */
async function runInProcess(flags: AuditFlags, env: NodeJS.ProcessEnv = { PGPASSWORD: PASSWORD }) {
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
  const code = await runAudit(flags, io);
  return { code, stdout, stderr };
}

/** The bootstrap superuser exists only on the test server (on RDS: rdsadmin, a system role). */
const envFlags = () =>
  ({
    env: ENV,
    environmentsDir: environments,
    ignoreRole: [BOOTSTRAP_SUPERUSER],
  }) satisfies AuditFlags;

/** The same settings as command-line arguments, for the spawned `pgforks audit`. */
const envArgs = () => [
  "--env",
  ENV,
  "--environments-dir",
  environments,
  "--ignore-role",
  BOOTSTRAP_SUPERUSER,
];

async function withStrayDatabase<T>(run: () => Promise<T>): Promise<T> {
  await adminSql(server, "postgres", "CREATE DATABASE stray_db");
  try {
    return await run();
  } finally {
    await adminSql(server, "postgres", "DROP DATABASE IF EXISTS stray_db");
  }
}

test(
  "exit 0 and 'no findings' when the server matches (port and user from the config)",
  async () => {
    const result = await spawnCli(envArgs());
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(`Audit of environment "${ENV}"`);
    expect(result.stdout).toMatch(/\nno findings\n$/);
    expect(result.code).toBe(EXIT_OK);
  },
  SPAWN_TIMEOUT_MS,
);

test(
  "exit 1 and a JSON report with --json when there is drift",
  async () => {
    const result = await withStrayDatabase(() => spawnCli([...envArgs(), "--json"]));
    expect(result.code).toBe(EXIT_FINDINGS);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      ok: false,
      count: 1,
      environment: ENV,
      server: { user: ADMIN, database: DEFAULT_DATABASE },
      findings: [{ code: "unknown-database", object: { kind: "database", name: "stray_db" } }],
    });
    // The file read (--environments-dir names a folder outside the repository), not
    // environments/<env>/tenants.yaml of the repository.
    expect(report.findings[0].message).toBe(
      `database "stray_db" (owner "${ADMIN}") is not in ${join(environments, ENV, "tenants.yaml")}: add it, drop it, or ignore it`,
    );
  },
  SPAWN_TIMEOUT_MS,
);

test(
  "exit 2 with a readable message when nothing listens on the port",
  async () => {
    const closed = await freePort();
    const result = await spawnCli([...envArgs(), "--port", String(closed)]);
    expect(result.code).toBe(EXIT_ERROR);
    expect(result.stderr).toContain(`cannot connect to PostgreSQL at 127.0.0.1:${closed}`);
    expect(result.stderr).toContain("ECONNREFUSED");
    expect(result.stdout).toBe("");
  },
  SPAWN_TIMEOUT_MS,
);

test("exit 2 naming the server's refusal when the password is wrong", async () => {
  const result = await runInProcess(envFlags(), { PGPASSWORD: "not-the-password" });
  expect(result.code).toBe(EXIT_ERROR);
  expect(result.stderr).toContain(
    `cannot connect to PostgreSQL at 127.0.0.1:${server.port} as ${ADMIN}`,
  );
  expect(result.stderr).toContain(`password authentication failed for user "${ADMIN}"`);
});

test("exit 2 saying where the password comes from when none is given", async () => {
  const pgpassFile = process.env.PGPASSFILE;
  process.env.PGPASSFILE = join(environments, "no-such-pgpass");
  try {
    const result = await runInProcess({ ...envFlags(), json: true }, {});
    expect(result.code).toBe(EXIT_ERROR);
    const error = `cannot connect to PostgreSQL at 127.0.0.1:${server.port} as ${ADMIN} (database postgres, sslmode prefer): no password: set PGPASSWORD to the master user's password (the RDS-managed secret, docs/operations.md) or add it to ~/.pgpass`;
    expect(JSON.parse(result.stdout)).toEqual({ ok: false, error });
    expect(result.stderr).toBe(`audit: ${error}\n`);
  } finally {
    if (pgpassFile === undefined) delete process.env.PGPASSFILE;
    else process.env.PGPASSFILE = pgpassFile;
  }
});

test("a violation seen only inside a tenant database is found: the CLI's factory opens it", async () => {
  // Schema public's ACL lives in the shop database, not in the cluster-wide catalogs.
  await adminSql(server, "shop", "GRANT CREATE ON SCHEMA public TO shop");
  try {
    const result = await runInProcess({ ...envFlags(), json: true });
    expect(result.code).toBe(EXIT_FINDINGS);
    expect(JSON.parse(result.stdout)).toMatchObject({
      count: 1,
      findings: [
        {
          code: "public-schema-create",
          tenant: "shop",
          object: { kind: "database", name: "shop" },
        },
      ],
    });
  } finally {
    await adminSql(server, "shop", "REVOKE CREATE ON SCHEMA public FROM shop");
  }
});

test("the connection factory opens the database asked for, else --database, read-only", async () => {
  const loaded = loadEnvironment(ENV, environments);
  const connect = connectionFactory(
    connectionSettings({ sslmode: "disable" }, { PGPASSWORD: PASSWORD }, loaded),
  );
  const seen = [];
  for (const database of [undefined, "shop", "blog"]) {
    const connection = await connect(database);
    try {
      seen.push(
        (
          await connection.query(
            "SELECT current_database()::text AS db, current_user::text AS who, current_setting('default_transaction_read_only') AS ro",
          )
        ).rows[0],
      );
    } finally {
      await connection.end();
    }
  }
  expect(seen).toEqual([
    { db: DEFAULT_DATABASE, who: ADMIN, ro: "on" },
    { db: "shop", who: ADMIN, ro: "on" },
    { db: "blog", who: ADMIN, ro: "on" },
  ]);
  await expect(connect("no_such_db")).rejects.toThrow(/database "no_such_db" does not exist/);
});

test(
  "--ignore-database (repeatable) and --ignore-role turn drift into a pass",
  async () => {
    // Through the real command line: commander collects the repeated option into one list.
    const result = await withStrayDatabase(() =>
      spawnCli([
        ...envArgs(),
        "--port",
        String(server.port),
        "--ignore-database",
        "other_db",
        "--ignore-database",
        "stray_db",
      ]),
    );
    expect(result.stdout).toMatch(/no findings/);
    expect(result.code).toBe(EXIT_OK);
    const unignored = await runInProcess({ env: ENV, environmentsDir: environments });
    expect(unignored.code).toBe(EXIT_FINDINGS);
    expect(unignored.stdout).toContain(`role "${BOOTSTRAP_SUPERUSER}" is not in`);
  },
  SPAWN_TIMEOUT_MS,
);

test("connection flags and libpq variables reach the server", async () => {
  const viaEnv = await runInProcess(envFlags(), {
    PGPORT: String(server.port),
    PGUSER: ADMIN,
    PGPASSWORD: PASSWORD,
    PGDATABASE: "blog",
  });
  expect(viaEnv.stdout).toContain(`as ${ADMIN} on blog`);
  expect(viaEnv.code).toBe(EXIT_OK);
  // Flags win over the variables; the tenant databases are still audited from another first one.
  const viaFlags = await runInProcess(
    { ...envFlags(), user: ADMIN, database: "shop" },
    {
      PGUSER: "shop",
      PGPASSWORD: PASSWORD,
    },
  );
  expect(viaFlags.stdout).toContain(`as ${ADMIN} on shop`);
  expect(viaFlags.stdout).toMatch(/\nno findings\n$/);
  expect(viaFlags.code).toBe(EXIT_OK);
});

test(
  "command-line errors: one line from the real pgforks audit, exit 2; --help exits 0",
  async () => {
    const [noEnv, unknownOption, badPort, help] = await Promise.all([
      spawnCli([]),
      spawnCli(["--env", ENV, "--frobnicate"]),
      spawnCli([...envArgs(), "--port", "http"]),
      spawnCli(["--help"]),
    ]);
    expect(noEnv).toEqual({
      code: EXIT_ERROR,
      stdout: "",
      stderr: "audit: --env <env> is required; see: pgforks audit --help\n",
    });
    expect(unknownOption).toEqual({
      code: EXIT_ERROR,
      stdout: "",
      stderr: "error: unknown option '--frobnicate'\n",
    });
    expect(badPort).toEqual({
      code: EXIT_ERROR,
      stdout: "",
      stderr:
        'audit: --port must be a port number from 1 to 65535 in decimal digits (found "http")\n',
    });
    expect(help.stderr).toBe("");
    expect(help.code).toBe(EXIT_OK);
    expect(help.stdout).toMatch(/^Usage: pgforks audit \[options\]\n/);
    for (const option of [
      "--env <env>",
      "--port <port>",
      "--sslmode <mode>",
      "--ignore-role <role>",
    ]) {
      expect(help.stdout).toContain(option);
    }
    expect(help.stdout).toContain(
      `Exit codes: ${EXIT_OK} no findings, ${EXIT_FINDINGS} findings, ${EXIT_ERROR} usage, config or connection error.`,
    );
  },
  2 * SPAWN_TIMEOUT_MS,
);

test("bad settings: one line naming the problem, exit 2; with --json also the failure as JSON", async () => {
  const cases: Array<[AuditFlags, string]> = [
    [{}, "--env <env> is required; see: pgforks audit --help"],
    [
      { env: "nope", environmentsDir: environments },
      `unknown environment "nope" (environments: ${ENV})`,
    ],
    [
      { env: ENV, environmentsDir: join(environments, "missing") },
      `1 configuration problem:\n  - ${join(environments, "missing")} cannot read the environments folder: does not exist (ENOENT)`,
    ],
    [
      { env: "local", environmentsDir: environments },
      `"local" is the local target, not an environment: npm start audits it after every apply (its "Audit:" line) (environments: ${ENV})`,
    ],
    [
      { ...envFlags(), port: "0" },
      '--port must be a port number from 1 to 65535 in decimal digits (found "0")',
    ],
    // Number() read these: " 5432" as 5432, "0x10" as port 16, "5e3" as 5000.
    ...[" 5432", "0x10", "5e3"].map((port): [AuditFlags, string] => [
      { ...envFlags(), port },
      `--port must be a port number from 1 to 65535 in decimal digits (found ${JSON.stringify(port)})`,
    ]),
    [
      { ...envFlags(), sslmode: "maybe" },
      '--sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full (found "maybe")',
    ],
  ];
  for (const [flags, message] of cases) {
    const result = await runInProcess(flags);
    expect({ flags, ...result }).toEqual({
      flags,
      code: EXIT_ERROR,
      stdout: "",
      stderr: `audit: ${message}\n`,
    });
    const json = await runInProcess({ ...flags, json: true });
    expect({ flags, code: json.code, stderr: json.stderr }).toEqual({
      flags,
      code: EXIT_ERROR,
      stderr: `audit: ${message}\n`,
    });
    expect(JSON.parse(json.stdout)).toEqual({ ok: false, error: message });
  }
});

test("the options pgforks audit declares are the fields of AuditFlags", () => {
  const command = describeAuditCommand(new Command("audit")).action(() => undefined);
  command.parse(
    [
      ...["--env", ENV, "--host", "h", "--port", "6000", "--user", "u", "--database", "d"],
      ...["--sslmode", "require", "--sslrootcert", "ca.pem", "--environments-dir", "envs"],
      ...["--ignore-role", "r1", "--ignore-role", "r2", "--ignore-database", "d1", "--json"],
    ],
    { from: "user" },
  );
  expect(command.opts<AuditFlags>()).toEqual({
    env: ENV,
    host: "h",
    port: "6000",
    user: "u",
    database: "d",
    sslmode: "require",
    sslrootcert: "ca.pem",
    environmentsDir: "envs",
    ignoreRole: ["r1", "r2"],
    ignoreDatabase: ["d1"],
    json: true,
  } satisfies Required<AuditFlags>);
});

test("connection defaults: flag, else libpq variable, else the environment", () => {
  const loaded = loadEnvironment(ENV, environments);
  expect(connectionSettings({}, {}, loaded)).toEqual({
    host: DEFAULT_HOST,
    port: server.port,
    user: ADMIN,
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
  // Empty is unset, as libpq reads PGHOST, PGPORT, PGUSER and PGDATABASE.
  const empty = { PGHOST: "", PGPORT: "", PGUSER: "", PGDATABASE: "" };
  expect(connectionSettings({}, empty, loaded)).toEqual(connectionSettings({}, {}, loaded));
});

test("a bad PGPORT or PGSSLMODE is named as the variable it came from, not as the flag", () => {
  const loaded = loadEnvironment(ENV, environments);
  expect(() => connectionSettings({}, { PGPORT: "0x10" }, loaded)).toThrow(
    'PGPORT must be a port number from 1 to 65535 in decimal digits (found "0x10")',
  );
  expect(() => connectionSettings({}, { PGSSLMODE: "maybe" }, loaded)).toThrow(
    'PGSSLMODE must be one of disable, allow, prefer, require, verify-ca, verify-full (found "maybe")',
  );
});

// Last: the helper's stop() must leave nothing behind (afterAll's second stop() is a no-op).
test("the temporary server's stop() removes its folder", async () => {
  expect(existsSync(server.dataDir)).toBe(true);
  await server.stop();
  expect(existsSync(server.baseDir)).toBe(false);
  await server.stop();
});
