// Ctrl-C during `npm start`'s real apply (real Terraform, the real provider, PostgreSQL 16): a
// terminal sends SIGINT to the whole foreground process group. Terraform must get one SIGINT and
// the time to write what it applied into its state; before, Node died at once, Terraform died on
// its closed output pipe, and every later npm start failed on roles that existed in PostgreSQL but
// in no state ("role ... already exists"), until `npm run local -- reset` deleted every fork's data.
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import type { TenantConfig } from "@pgforks/config";
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

const forks = (...names: string[]) =>
  names.map((name) => tenantFixture({ name, database: `${name}_db`, connectionLimit: 2 }));
const tenants = forks("ant", "bee", "cow", "doe", "elk", "fox", "gnu");
const workDir = () => join(world.dir, "terraform");

/**
 * Applies `applied` in a child process (as npm start) while the admin holds role `held` created in
 * a transaction it keeps open: Terraform's CREATE ROLE of that name waits for it, in the middle of
 * the apply (the other tenants' roles and databases are created meanwhile). Resolves once it
 * waits; release() ends the transaction.
 */
async function applyHeldAt(applied: readonly TenantConfig[], held: string) {
  const credentials = ensureLocalCredentials(join(world.dir, "credentials.json"), applied);
  const blocker = await localAdminConnections(world.server)("postgres");
  const watcher = await localAdminConnections(world.server)("postgres");
  await blocker.query("BEGIN");
  await blocker.query(`CREATE ROLE "${held}" NOLOGIN`);
  const { child, ended } = applyInChild({
    server: world.server,
    tenants: applied,
    credentials,
    workDir: workDir(),
  });
  const release = async () => {
    await blocker.query("ROLLBACK").catch(() => undefined);
    await blocker.end();
    await watcher.end();
  };
  try {
    await until("Terraform's CREATE ROLE waiting for the open transaction", async () => {
      const rows = await watcher.query(
        "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE $1",
        [`%CREATE ROLE%${held}%`],
      );
      return rows.rows.length > 0;
    });
  } catch (error) {
    await release();
    throw error;
  }
  /**
   * The terminal's ctrl-C: SIGINT to every process of the foreground group. Presses are 2 s apart,
   * far beyond the 500 ms in which signals count as one press, so that a child whose event loop
   * stalls on a loaded machine still sees separate presses.
   */
  const press = async () => {
    process.kill(-(child.pid as number), "SIGINT");
    await pause(2_000);
  };
  return { child, ended, press, release };
}

step(
  "ctrl-C during the apply: one line, exit 130, Terraform's state keeps what it applied, the next start finishes",
  async () => {
    const apply = await applyHeldAt(tenants, "gnu");

    try {
      await apply.press();
    } finally {
      await apply.release();
    }
    const result = await apply.ended;
    expect({ code: result.code, signal: result.signal, stderr: result.stderr }).toEqual({
      code: 130,
      signal: null,
      stderr: `local: interrupted (SIGINT) during terraform apply: Terraform finished the changes under way and recorded them in its state (${workDir()}); run npm start again to apply the rest\n`,
    });
    // What the interrupted apply created is in Terraform's state: the next apply creates the rest
    // (no "already exists"), a second plan is empty and the audit finds nothing.
    await world.apply(tenants);
  },
  APPLY_TIMEOUT_MS,
);

/** Pids of the processes working in `dir` (their current folder): Terraform and its provider. */
function processesIn(dir: string): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`) === dir;
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    })
    .map(Number);
}

step(
  "npm start killed (SIGKILL) during the apply: its Terraform finishes alone and records it, the next start waits for it",
  async () => {
    const more = [...tenants, ...forks("jay", "kid")];
    const apply = await applyHeldAt(more, "kid");
    let killed: Ended;
    try {
      // Nothing of npm start can run: only the next start can make good what it left.
      process.kill(-(apply.child.pid as number), "SIGKILL");
      killed = await apply.ended;
    } finally {
      await apply.release();
    }
    expect(killed.signal).toBe("SIGKILL");
    // Its Terraform goes on (it has its own process group, and no pipe to die on), creates the
    // role it waited for and writes its state; the next apply waits for its state lock, creates
    // nothing twice ("already exists"), and its second plan is empty and the audit clean.
    await world.apply(more);
    expect(processesIn(workDir())).toEqual([]);
    expect(readdirSync(workDir()).filter((name) => /^terraform-\d+-/.test(name))).toEqual([]);
    await world.apply(tenants);
  },
  APPLY_TIMEOUT_MS,
);

step(
  "ctrl-C pressed again says how to stop at once; a third press stops Terraform at once, and says what that means",
  async () => {
    const apply = await applyHeldAt([...tenants, ...forks("hen", "ibx")], "ibx");
    try {
      await apply.press();
      await apply.press();
      await apply.press();
      // Ended while the transaction it waited for is still open: Terraform was stopped at once.
      const result = await Promise.race([
        apply.ended,
        pause(30_000).then(() => {
          throw new Error("still running 30 s after the third ctrl-C");
        }),
      ]);
      expect({ code: result.code, signal: result.signal }).toEqual({ code: 130, signal: null });
      expect(result.stderr.trimEnd().split("\n")).toEqual([
        "local: waiting for Terraform to finish the changes under way and record them in its state; ctrl-C again stops it at once (what it applied last may then be missing from its state)",
        `local: interrupted (SIGINT) three times during terraform apply: Terraform stopped at once, and its state (${workDir()}) may miss what it applied last; run npm start again: if it fails on a role or database that "already exists", drop that one as pgforks_admin (it is new, without data), then npm start`,
      ]);
    } finally {
      await apply.release();
    }
  },
  APPLY_TIMEOUT_MS,
);
