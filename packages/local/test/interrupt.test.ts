// Ctrl-C during `npm start`'s real apply (real Terraform, the real provider, PostgreSQL 16): a
// terminal sends SIGINT to the whole foreground process group. Terraform must get one SIGINT and
// the time to write what it applied into its state; before, Node died at once, Terraform died on
// its closed output pipe, and every later npm start failed on roles that existed in PostgreSQL but
// in no state ("role ... already exists"), until `npm run local -- reset` deleted every fork's data.
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { tenantFixture, testWhen } from "@pgforks/testing";
import { ensureLocalCredentials } from "../src/credentials";
import { realApplyUnavailable } from "../src/local-stack";
import { type ApplyTenantsOptions, localAdminConnections } from "../src/local-target";
import { APPLY_TIMEOUT_MS, RealApplyWorld } from "./support";

const step = testWhen(realApplyUnavailable());
const world = new RealApplyWorld();
beforeAll(() => world.open(), APPLY_TIMEOUT_MS);
afterAll(() => world.close());

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Resolves when `check` is true, polling; rejects after `ms`. */
async function until(what: string, check: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(50);
  }
}

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** applyTenants(options) in a child process leading a process group of its own, as npm start in a terminal. */
function applyInChild(options: ApplyTenantsOptions): {
  child: ChildProcess;
  ended: Promise<Ended>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "apply-child.ts")], {
    cwd: resolve(__dirname, "../../.."),
    env: { ...process.env, PGFORKS_TEST_APPLY: JSON.stringify(options) },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const ended = new Promise<Ended>((done) =>
    child.on("close", (code, signal) => done({ code, signal, stdout, stderr })),
  );
  return { child, ended };
}

const tenants = ["ant", "bee", "cow", "doe", "elk", "fox", "gnu"].map((name) =>
  tenantFixture({ name, database: `${name}_db`, connectionLimit: 2 }),
);
/** The tenant whose role the apply waits for: the interrupt comes in the middle of the apply. */
const held = tenants[tenants.length - 1]?.name ?? "";

step(
  "ctrl-C during the apply: one line, exit 130, Terraform's state keeps what it applied, the next start finishes",
  async () => {
    const workDir = join(world.dir, "terraform");
    const credentials = ensureLocalCredentials(join(world.dir, "credentials.json"), tenants);
    // The admin creates the role `held` in a transaction it keeps open: Terraform's CREATE ROLE of
    // that name waits for it, while the other tenants' roles and databases are being created.
    const blocker = await localAdminConnections(world.server)("postgres");
    const watcher = await localAdminConnections(world.server)("postgres");
    try {
      await blocker.query("BEGIN");
      await blocker.query(`CREATE ROLE "${held}" NOLOGIN`);
      const { child, ended } = applyInChild({
        server: world.server,
        tenants,
        credentials,
        workDir,
      });
      await until("Terraform's CREATE ROLE waiting for the open transaction", async () => {
        const rows = await watcher.query(
          "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE $1",
          [`%CREATE ROLE%${held}%`],
        );
        return rows.rows.length > 0;
      });
      // The terminal's ctrl-C: SIGINT to every process of the foreground group.
      process.kill(-(child.pid as number), "SIGINT");
      await pause(1_000);
      await blocker.query("ROLLBACK");
      const result = await ended;
      expect({ code: result.code, signal: result.signal, stderr: result.stderr }).toEqual({
        code: 130,
        signal: null,
        stderr: `local: interrupted (SIGINT) during terraform apply: Terraform finished the changes under way and recorded them in its state (${workDir}); run npm start again to apply the rest\n`,
      });
    } finally {
      await blocker.end();
      await watcher.end();
    }
    // What the interrupted apply created is in Terraform's state: the next apply creates the rest
    // (no "already exists"), a second plan is empty and the audit finds nothing.
    await world.apply(tenants);
  },
  APPLY_TIMEOUT_MS,
);
