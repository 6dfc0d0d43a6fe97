import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * When process `pid` started, as the kernel counts it (clock ticks since boot, field 22 of
 * /proc/<pid>/stat); undefined where /proc is not available. With the pid it names a process
 * uniquely: a pid reused by a later process has another start time.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: count from its end.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Whether process `pid` (started at `startTime`, when known) is still running. */
export function isProcessAlive(pid: number, startTime?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (startTime === undefined) return true;
  const current = processStartTime(pid);
  return current === undefined || current === startTime;
}

/**
 * Runs `judge` under `<lock>.takeover` (an mkdir), the one place a lock judged left behind by a
 * killed process may be removed: `judge` reads the lock again and removes it only if it is still
 * the one judged, so two takers never remove a lock one of them has just taken. Returns false,
 * without running `judge`, while another process holds the takeover folder; one older than
 * `staleMs` is of a process killed while taking over (a moment's work) and is removed.
 */
export function underTakeover(lock: string, staleMs: number, judge: () => void): boolean {
  const takeover = `${lock}.takeover`;
  try {
    mkdirSync(takeover);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    try {
      if (Date.now() - statSync(takeover).mtimeMs > staleMs) {
        rmSync(takeover, { recursive: true, force: true });
      }
    } catch {
      // Removed by its taker meanwhile.
    }
    return false;
  }
  try {
    judge();
  } finally {
    rmSync(takeover, { recursive: true, force: true });
  }
  return true;
}

/**
 * How long a process may take from making a lock folder to recording itself as its owner (an
 * mkdir, then one small write). A lock older than this that records no owner was left by a
 * process killed in between (or whose record a full disk lost), and is taken over: the synth swap
 * lock, the .local lock and the environments lock all judge an ownerless lock by it.
 */
export const LOCK_OWNER_GRACE_MS = 3_000;

/** A `<lock>.takeover` folder older than this is of a process killed while taking over (ms of work). */
export const TAKEOVER_STALE_MS = 10_000;

/**
 * Whether the lock folder `lock`, which records no owner, was left by a process killed before it
 * recorded itself: it is older (by its mtime) than {@link LOCK_OWNER_GRACE_MS}. A younger one is
 * a holder recording itself now. True when the folder is gone (released meanwhile: nothing to
 * wait for).
 */
export function ownerlessLockLeft(lock: string): boolean {
  try {
    return Date.now() - statSync(lock).mtimeMs > LOCK_OWNER_GRACE_MS;
  } catch {
    return true;
  }
}

/**
 * Removes the lock folder `lock` if `isLeft()` (its holder is gone, or it has recorded none for
 * longer than {@link ownerlessLockLeft} allows) still holds when judged again under
 * `<lock>.takeover` ({@link underTakeover}): of two processes that judged the same dead lock, the
 * second finds the lock the first has taken since, alive (or too young to be ownerless), and keeps
 * it. Returns false, with nothing done, while another process takes it over.
 */
export function removeLeftLock(lock: string, isLeft: () => boolean): boolean {
  return underTakeover(lock, TAKEOVER_STALE_MS, () => {
    if (isLeft()) rmSync(lock, { recursive: true, force: true });
  });
}

/** Sleeps `ms` without spinning (the locks are taken synchronously). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Takes the lock folder `lock` (an mkdir, atomic on every file system) and records `owner` in its
 * file `ownerFile`; when the lock exists and `isLeft()` says its holder was killed, removes it
 * with {@link removeLeftLock} and tries again (waiting a moment while another process takes it
 * over). `judgedLeft` runs each time a lock is judged left, before it is taken over (test hooks).
 * Returns false, having taken nothing, while a live holder has the lock.
 */
export function takeLockFolder(
  lock: string,
  ownerFile: string,
  owner: string,
  isLeft: () => boolean,
  judgedLeft?: () => void,
): boolean {
  for (;;) {
    try {
      mkdirSync(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (!isLeft()) return false;
      judgedLeft?.();
      if (!removeLeftLock(lock, isLeft)) sleepSync(20);
      continue;
    }
    try {
      writeFileSync(join(lock, ownerFile), owner);
    } catch (error) {
      rmSync(lock, { recursive: true, force: true }); // a full disk: not taken, nothing left
      throw error;
    }
    return true;
  }
}

/**
 * Removes the entries of `dir` that a killed process left behind: those whose name matches
 * `pattern`, whose first capture group is the pid of a process that no longer runs. A second
 * capture group, when it matched, is that process's start time (processStartTime): the entry is
 * then also removed when the pid now names another process (reused), as the locks judge their
 * owners. Returns the removed paths. Entries of running processes (this one included) are kept.
 */
export function removeLeftoversOfDeadProcesses(dir: string, pattern: RegExp): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    const pid = Number(match?.[1]);
    if (!pid || isProcessAlive(pid, match?.[2] || undefined)) continue;
    const path = join(dir, name);
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/** What the signal listener prints; undefined until deferSignals installs it. */
let interruptNote: ((signal: string) => string) | undefined;

/**
 * One full turn of the event loop (its poll phase, where Node reads the signals it received,
 * comes before the second immediate): the listener of a signal already received runs first.
 */
export async function handlePendingSignals(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise<void>((done) => setImmediate(done));
}

/**
 * Makes ctrl-C (SIGINT), SIGTERM and SIGHUP end the process with one line, `note(signal)`, and
 * exit code 128+signal instead of Node's silent death. Node runs the listener only once the
 * current synchronous work returns, so a signal that comes during synchronous work waits for it:
 * a command is never stopped between two of its writes; during asynchronous work (a wait) it ends
 * the process at once. Called again, it only replaces the note: one listener per signal.
 * (SIGKILL cannot wait: what it leaves is cleaned up by the next run.)
 */
export function deferSignals(note: (signal: string) => string): void {
  if (!interruptNote) {
    for (const [signal, number] of Object.entries(SIGNALS)) {
      process.on(signal, () => {
        console.error((interruptNote as (signal: string) => string)(signal));
        process.exit(128 + number);
      });
    }
    // A signal received during the last synchronous work is still unread when the event loop
    // finds nothing left to do, and would be dropped: one more turn reads it (note, 128+signal).
    process.once("beforeExit", () => void handlePendingSignals());
  }
  interruptNote = note;
}
