// Ctrl-C (SIGINT) sent to the real command, as `npm run tenant` and the `pgforks` bin start it:
// before the environments/ lock is taken (waiting for it too) the command stops at once and
// writes nothing; from the moment it holds the lock it finishes the change, whole, and says so.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, watch } from "node:fs";
import { join } from "node:path";
import { LOCK_NAME, loadEnvironment, repoRoot } from "@pgforks/config";
import { parse } from "yaml";
import { tenantsFilePath } from "../src/files";
import { registryPath, renderRegistry } from "../src/registry";
import { finished, holdLock, type Run, scratchRoot } from "./helpers";

const root = repoRoot();
const ENV = "prod";
const BEFORE_LOCK = "interrupted (SIGINT) before the command changed anything: nothing was changed";
const AFTER_LOCK =
  "interrupted (SIGINT) after the command had finished: every file it changes was written, or none";

const scripts = (
  JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts;

/** `tenant <args>` as the root package.json's `tenant` script runs it, or through the bin. */
function tenant(via: "script" | "bin", args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const [program = "", ...scriptArgs] = (scripts.tenant ?? "").split(" ");
  const [file, argv] =
    via === "bin"
      ? [join(root, "node_modules", ".bin", "pgforks"), ["tenant", ...args]]
      : [program === "node" ? process.execPath : program, [...scriptArgs, ...args]];
  return spawn(file, argv, { cwd: root, env: { ...process.env, ...env } });
}

let scratch: ReturnType<typeof scratchRoot>;
beforeEach(() => {
  scratch = scratchRoot();
});
afterEach(() => scratch.cleanup());

const addArgs = (name: string) => [
  "add",
  "--root",
  scratch.root,
  "--env",
  ENV,
  name,
  "--owner",
  `${name}@example.com`,
  "--connection-limit",
  "1",
];
const tenantsFile = () => tenantsFilePath(scratch.environmentsDir, ENV);
const registryFile = () => registryPath(scratch.environmentsDir, ENV);
const files = () => [readFileSync(tenantsFile()), readFileSync(registryFile())];
const tenantNames = () =>
  (parse(readFileSync(tenantsFile(), "utf8")) as { tenants: Array<{ name: string }> }).tenants.map(
    (t) => t.name,
  );
const leftovers = () =>
  readdirSync(scratch.environmentsDir).filter((n) => n.startsWith(".pgforks"));
const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** No signal death (SIGKILL or the default SIGINT), no stack trace. */
function expectEndedByItself(run: Run): void {
  expect(run.signal).toBeNull();
  expect(run.stderr).not.toMatch(/^\s+at /m);
}

it("runs the CLI in the process that does the work: no tsx program in between", () => {
  const cli = Object.entries(scripts).filter(([, command]) => command.includes("cli/src/main.ts"));
  expect(cli.length).toBeGreaterThan(5);
  for (const [, command] of cli) expect(command).toMatch(/^node --import tsx packages\/cli\//);
  const bin = readFileSync(join(root, "packages", "cli", "bin", "pgforks.mjs"), "utf8");
  expect(bin.split("\n")[0]).toBe("#!/usr/bin/env node");
});

it("ends a command waiting for another command's lock at once, exit 130, one line, nothing written", async () => {
  const before = files();
  const holder = await holdLock(scratch.environmentsDir);
  try {
    // A signal that comes while Node itself is still starting (before the command's listener
    // is installed) ends it with the default action: wait longer and start again. The files
    // are checked each time.
    for (const startUpMs of [1_500, 3_000, 6_000, 12_000]) {
      const child = tenant("script", addArgs("interrupted"), { PGFORKS_LOCK_TIMEOUT_MS: "120000" });
      const run = finished(child);
      // A command that ended on its own (it should wait two minutes for the lock) fails here.
      expect(await Promise.race([pause(startUpMs).then(() => "waiting"), run])).toBe("waiting");
      const sent = Date.now();
      child.kill("SIGINT");
      const ended = await run;
      const tookMs = Date.now() - sent;
      expect(files()).toEqual(before);
      if (ended.signal === "SIGINT") continue;
      expectEndedByItself(ended);
      expect(ended.code).toBe(130);
      expect(ended.stdout).toBe("");
      expect(ended.stderr).toBe(`${BEFORE_LOCK}\n`);
      // At once: the lock would have been waited for two minutes.
      expect(tookMs).toBeLessThan(20_000);
      return;
    }
    throw new Error("the command was never past Node's start-up when interrupted");
  } finally {
    await holder.kill();
  }
}, 180_000);

it("lets a command interrupted inside its locked window finish the change whole, and say so", async () => {
  // The lock folder appearing is the start of the window: the signal is sent then, or a few
  // milliseconds later (also after the window). Either outcome is whole: exit 0, or exit 130
  // with the note (always when the signal came while the lock was held); never a silent death
  // before the result is printed, never half a change.
  const lock = join(scratch.environmentsDir, LOCK_NAME);
  const owner = join(scratch.environmentsDir, `${LOCK_NAME}.owner.json`);
  const outcomes: string[] = [];
  let ownersSeen = 0;
  for (const [i, offsetMs] of [0, 0, 2, 5, 10, 15, 20, 30, 40, 80].entries()) {
    const name = `window_${i}`;
    const via = i % 2 === 0 ? "script" : "bin";
    const lockHolders = new Set<number>();
    let taken: () => void = () => {};
    const lockTaken = new Promise<void>((done) => {
      taken = done;
    });
    const watcher = watch(scratch.environmentsDir, (_, file) => {
      if (file === LOCK_NAME && existsSync(lock)) taken();
      if (file === `${LOCK_NAME}.owner.json`) {
        try {
          lockHolders.add((JSON.parse(readFileSync(owner, "utf8")) as { pid: number }).pid);
        } catch {
          // being written, or already removed
        }
      }
    });
    try {
      const child = tenant(via, addArgs(name));
      const run = finished(child);
      expect(await Promise.race([lockTaken.then(() => "locked"), run])).toBe("locked");
      if (offsetMs > 0) await pause(offsetMs);
      const inside = existsSync(lock);
      child.kill("SIGINT");
      const ended = await run;
      if (ended.signal === "SIGINT") {
        // Once a command has finished and is exiting, Node gives signals back their default
        // action: a signal then ends it silently, its whole result already printed.
        expect(inside).toBe(false);
        expect(ended.stdout).toMatch(/\nconnection budget prod: .+\n$/);
      } else {
        expectEndedByItself(ended);
        // Sent while the lock was held: read (at the latest when the event loop runs dry) and
        // answered with the note once the work was done.
        if (inside || ended.code !== 0) {
          expect({ code: ended.code, stderr: ended.stderr }).toEqual({
            code: 130,
            stderr: `${AFTER_LOCK}\n`,
          });
        } else {
          expect(ended.stderr).toBe("");
        }
      }
      // The process that took the lock is the one started: no tsx program in between.
      expect([...lockHolders].filter((pid) => pid !== child.pid)).toEqual([]);
      ownersSeen += lockHolders.size;
      // Whole: the tenant is in tenants.yaml and the registry was written with it.
      expect(tenantNames()).toContain(name);
      expect(readFileSync(registryFile(), "utf8")).toBe(
        renderRegistry(loadEnvironment(ENV, scratch.environmentsDir)),
      );
      expect(ended.stdout).toContain(`added tenant ${name} to ${ENV}`);
      expect(leftovers()).toEqual([]);
      outcomes.push(
        `${via} +${offsetMs}ms, ${inside ? "inside" : "after"} the window: ${ended.signal ?? `exit ${ended.code}`}`,
      );
    } finally {
      watcher.close();
    }
  }
  expect(ownersSeen).toBeGreaterThan(0);
  // What happened, for the log (timing decides which runs land inside the window).
  console.log(outcomes.join("\n"));
}, 180_000);
