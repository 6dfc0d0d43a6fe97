import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@pgforks/config";
import type { Io } from "../src/commands";

/**
 * The tenant CLI's own fixture environments (dev, staging, prod as committed when the tests
 * were written, registries included): editing the repository's environments/ never breaks
 * these tests.
 */
export const FIXTURE_ENVIRONMENTS = join(__dirname, "fixtures", "environments");

/**
 * A scratch root holding a copy of FIXTURE_ENVIRONMENTS (tests never write the fixtures).
 * Removed by `cleanup`.
 */
export function scratchRoot(): { root: string; environmentsDir: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), "tenant-cli-test-"));
  cpSync(FIXTURE_ENVIRONMENTS, join(root, "environments"), { recursive: true });
  return {
    root,
    environmentsDir: join(root, "environments"),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** An Io that records what a command prints. */
export function captureIo(): Io & { out: string[]; err: string[]; all: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    log: (line) => out.push(line),
    error: (line) => err.push(line),
    all: () => [...out, ...err].join("\n"),
  };
}

export function readText(file: string): string {
  return readFileSync(file, "utf8");
}

export function writeText(file: string, text: string): void {
  writeFileSync(file, text);
}

/** How a spawned command ended and what it printed. */
export interface Run {
  readonly code: number | null;
  /** The signal that killed it (its code is then null). */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Collects `child`'s output until it has exited and its pipes are closed. */
export function finished(child: ChildProcess): Promise<Run> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  return new Promise((done) =>
    child.on("close", (code, signal) => done({ code, signal, stdout, stderr })),
  );
}

/**
 * Another command holding the environments/ lock of `environmentsDir`: one process (node with
 * tsx's loader, not the tsx program, which would run a child) that takes the lock and sleeps in
 * it for two minutes. Resolves once it holds the lock (`lockPid` is the pid it wrote, the pid of
 * the process spawned when tsx runs nothing in between); `kill` stops it with SIGKILL (the lock it
 * leaves is taken over by the next command: its pid is gone).
 */
export async function holdLock(environmentsDir: string): Promise<{
  readonly pid?: number;
  readonly lockPid: number;
  readonly kill: () => Promise<void>;
}> {
  const holder = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "-e",
      `require("@pgforks/config").withEnvironmentsLock(${JSON.stringify(environmentsDir)}, () => { process.stdout.write(String(process.pid)); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000); });`,
    ],
    { cwd: repoRoot() },
  );
  const exited = new Promise((done) => holder.on("exit", done));
  const lockPid = await new Promise<string>((ready) =>
    holder.stdout?.once("data", (d) => ready(`${d}`)),
  );
  return {
    pid: holder.pid,
    lockPid: Number(lockPid),
    kill: async () => {
      holder.kill("SIGKILL");
      await exited;
    },
  };
}
