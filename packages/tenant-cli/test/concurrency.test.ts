// Real processes racing for environments/: the lock must turn lost updates into either a
// success that is in the file or one clear refusal.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync } from "node:fs";
import { join } from "node:path";
import {
  LOCK_NAME,
  LockBusyError,
  loadEnvironment,
  repoRoot,
  withEnvironmentsLock,
} from "@pgforks/config";
import { parse } from "yaml";
import { tenantsFilePath } from "../src/files";
import { registryPath, renderRegistry } from "../src/registry";
import { finished, holdLock, type Run, scratchRoot } from "./helpers";

const root = repoRoot();
const tsx = join(root, "node_modules", ".bin", "tsx");
const cli = join(root, "packages", "tenant-cli", "src", "cli.ts");
const ENV = "prod";

let scratch: ReturnType<typeof scratchRoot>;
beforeEach(() => {
  scratch = scratchRoot();
});
afterEach(() => scratch.cleanup());

function addProcess(name: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const args = [cli, "add", "--root", scratch.root, "--env", ENV, name];
  args.push("--owner", `${name}@example.com`, "--connection-limit", "1");
  return finished(spawn(tsx, args, { cwd: root, env: { ...process.env, ...env } }));
}

const tenantNames = () =>
  (
    parse(readFileSync(tenantsFilePath(scratch.environmentsDir, ENV), "utf8")) as {
      tenants: Array<{ name: string }>;
    }
  ).tenants.map((t) => t.name);

const leftovers = () =>
  readdirSync(scratch.environmentsDir).filter((n) => n.startsWith(".pgforks"));

/** `suspend healthtech` as a second writer, run while this process holds the lock. */
const suspendWhileLocked = (lockTimeoutMs: string) =>
  withEnvironmentsLock(scratch.environmentsDir, () =>
    spawnSync(tsx, [cli, "suspend", "--root", scratch.root, "--env", ENV, "healthtech"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, PGFORKS_LOCK_TIMEOUT_MS: lockTimeoutMs },
    }),
  );

const BUSY =
  /^error: another command is changing .+; waited [\d.]+s: try again when it has finished$/;

describe("parallel tenant add", () => {
  it("loses nothing: three at once, 20 times, each added (and in the file) or refused in one line", async () => {
    const before = tenantNames();
    const reported: string[] = [];
    const refused: string[] = [];
    for (let round = 0; round < 20; round++) {
      const names = [0, 1, 2].map((i) => `race_${round}_${i}`);
      const runs = await Promise.all(names.map((name) => addProcess(name)));
      runs.forEach((run, i) => {
        const name = names[i] as string;
        expect(run.stderr).not.toMatch(/^\s{4}at /m);
        if (run.code === 0) {
          expect(run.stdout).toContain(`added tenant ${name} to ${ENV}`);
          reported.push(name);
        } else {
          expect(run.code).toBe(1);
          expect(run.stderr.trim()).toMatch(BUSY);
          refused.push(name);
        }
      });
    }
    const after = tenantNames();
    expect(after).toEqual([...before, ...after.slice(before.length)]);
    expect(new Set(after.slice(before.length))).toEqual(new Set(reported));
    expect(reported.length + refused.length).toBe(60);
    expect(reported.length).toBeGreaterThan(0);
    // The registry was written together with every successful change.
    const loaded = loadEnvironment(ENV, scratch.environmentsDir);
    expect(readFileSync(registryPath(scratch.environmentsDir, ENV), "utf8")).toBe(
      renderRegistry(loaded),
    );
    expect(leftovers()).toEqual([]);
  }, 600_000);

  it("makes a second writer wait, then fail with one line and leave every file as it was", async () => {
    const file = tenantsFilePath(scratch.environmentsDir, ENV);
    const original = readFileSync(file, "utf8");
    const run = await suspendWhileLocked("300");
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(BUSY);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(readFileSync(file, "utf8")).toBe(original);
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it("takes over at once the lock of a killed command (its pid is gone)", async () => {
    const holder = await holdLock(scratch.environmentsDir);
    expect(holder.lockPid).toBe(holder.pid);
    expect(existsSync(join(scratch.environmentsDir, LOCK_NAME))).toBe(true);
    await holder.kill();
    const run = await addProcess("after_kill", { PGFORKS_LOCK_TIMEOUT_MS: "0" });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(tenantNames()).toContain("after_kill");
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it("takes over a lock left with no owner (its command killed while taking it) once it is a few seconds old: parallel commands then each write in turn", async () => {
    const lock = join(scratch.environmentsDir, LOCK_NAME);
    mkdirSync(lock);
    const tenSecondsAgo = new Date(Date.now() - 10_000);
    utimesSync(lock, tenSecondsAgo, tenSecondsAgo);
    const before = tenantNames();
    // Four real commands find the same ownerless lock at once: one takes it over, the others
    // wait for it (none takes the lock another has just taken: no update is lost).
    const names = ["after_a", "after_b", "after_c", "after_d"];
    const started = Date.now();
    const runs = await Promise.all(
      names.map((name) => addProcess(name, { PGFORKS_LOCK_TIMEOUT_MS: "30000" })),
    );
    expect(runs.map((r) => [r.code, r.stderr])).toEqual(names.map(() => [0, ""]));
    expect([...tenantNames()].sort()).toEqual([...before, ...names].sort());
    expect(leftovers()).toEqual([]);
    // Not the proper-lockfile fallback for a hung holder (60 s).
    expect(Date.now() - started).toBeLessThan(50_000);
  }, 90_000);

  it("says when a lock with no owner, too young to be taken over, will be", async () => {
    const lock = join(scratch.environmentsDir, LOCK_NAME);
    mkdirSync(lock);
    const aSecondAndAHalfAgo = new Date(Date.now() - 1_500);
    utimesSync(lock, aSecondAndAHalfAgo, aSecondAndAHalfAgo);
    let error: unknown;
    try {
      await withEnvironmentsLock(scratch.environmentsDir, () => undefined, { timeoutMs: 200 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LockBusyError);
    expect((error as Error).message).toMatch(
      /\.pgforks\.lock is held with no owner recorded \(a command killed while taking it leaves this\); waited 0\.2s: it is taken over automatically 3s after it was made, in [12]s; try again then$/,
    );
    expect(readdirSync(scratch.environmentsDir).filter((n) => n.startsWith("."))).toEqual([
      LOCK_NAME,
    ]);
  });

  it("treats an empty PGFORKS_LOCK_TIMEOUT_MS as unset: a second writer still waits", async () => {
    const file = tenantsFilePath(scratch.environmentsDir, ENV);
    const original = readFileSync(file, "utf8");
    const started = Date.now();
    const run = await suspendWhileLocked("");
    expect(run.status).toBe(1);
    // The default wait (5 s), not Number("") = 0.
    expect(run.stderr.trim()).toMatch(/; waited 5\.0s: try again when it has finished$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(5_000);
    expect(readFileSync(file, "utf8")).toBe(original);
    expect(leftovers()).toEqual([]);
  }, 60_000);
});
