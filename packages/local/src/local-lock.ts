import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isProcessAlive, processStartTime, underTakeover } from "@pgforks/config";

/** The folder in .local/ that npm start, local stop and local reset hold while they run. */
export const LOCAL_LOCK_NAME = "lock";
const OWNER_FILE = "owner.json";
/** The Terraform the holder runs now (recordLockChild): it outlives a holder killed outright. */
const CHILD_FILE = "terraform.json";
/** A lock folder whose holder has not recorded itself within this time was left by a killed one. */
const OWNER_GRACE_MS = 2_000;

/** Another local step holds the lock. One line, no stack. */
export class LocalBusyError extends Error {
  override readonly name = "LocalBusyError";
}

interface Owner {
  readonly pid: number;
  readonly startTime?: string;
  readonly command: string;
}

function readRecord<T>(lock: string, file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(join(lock, file), "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** The Terraform of a holder that was killed (SIGKILL, the OOM killer), while it still runs. */
function orphanTerraform(lock: string): Pick<Owner, "pid" | "startTime"> | undefined {
  const child = readRecord<Pick<Owner, "pid" | "startTime">>(lock, CHILD_FILE);
  return child && isProcessAlive(child.pid, child.startTime) ? child : undefined;
}

/**
 * Whether the lock folder was left by a process that is gone (or is gone itself). A holder
 * killed outright leaves its Terraform running (its own process group, output to files: it
 * finishes the apply and writes its state); until that ends the lock is not left: a stop or reset
 * then would take the server or the folder from under its apply.
 */
function leftBehind(lock: string, owner: Owner | undefined): boolean {
  if (owner) return !isProcessAlive(owner.pid, owner.startTime) && !orphanTerraform(lock);
  try {
    return Date.now() - statSync(lock).mtimeMs > OWNER_GRACE_MS;
  } catch {
    return true; // released meanwhile
  }
}

/**
 * Takes the lock of the local target's folder `dir` for `command` (as the user typed it), or
 * throws LocalBusyError naming the step that holds it: two steps at once would share the server,
 * the Terraform state and the saved plan (one could apply the other's plan, or reset the folder
 * under the other's apply). A lock whose holder was killed is taken over (pid and start time).
 * Returns the release.
 */
export function takeLocalLock(dir: string, command: string): () => void {
  const lock = join(dir, LOCAL_LOCK_NAME);
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = readRecord<Owner>(lock, OWNER_FILE);
    if (leftBehind(lock, owner)) {
      removeLeftLock(lock);
      continue;
    }
    const orphan = owner && !isProcessAlive(owner.pid, owner.startTime) && orphanTerraform(lock);
    const holder = orphan
      ? `the Terraform (pid ${orphan.pid}) of ${owner.command} (pid ${owner.pid}, killed), which finishes its changes and records them in its state`
      : owner
        ? `${owner.command} (pid ${owner.pid})`
        : "another npm start, stop or reset";
    throw new LocalBusyError(
      `${dir} is in use by ${holder}: wait for it to finish, then run ${command} again`,
    );
  }
  const owner: Owner = {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    command,
  };
  writeFileSync(join(lock, OWNER_FILE), JSON.stringify(owner));
  heldLock = lock;
  return () => {
    heldLock = undefined;
    rmSync(lock, { recursive: true, force: true });
  };
}

/** A step killed while taking a lock over (a moment's work) left this folder: it is removed then. */
const TAKEOVER_STALE_MS = 5_000;

/** Sleeps `ms` without spinning (takeLocalLock is synchronous). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Removes a lock judged left behind, one step at a time: under `<lock>.takeover` (mkdir), the lock
 * is judged again before it is removed. Two steps that both judged it left (two npm starts after
 * a crash) each removed it: the second removed the lock the first had just taken, and both went
 * on. Now the second finds the first's record, alive, and is refused with its name.
 */
function removeLeftLock(lock: string): void {
  const judged = underTakeover(lock, TAKEOVER_STALE_MS, () => {
    if (leftBehind(lock, readRecord<Owner>(lock, OWNER_FILE))) {
      rmSync(lock, { recursive: true, force: true });
    }
  });
  if (!judged) sleep(20); // another step is taking it over: judged again once it has
}

/** The lock this process holds (takeLocalLock), if any. */
let heldLock: string | undefined;

/**
 * Records in the lock this process holds, if any, that it runs Terraform as process `pid`, until
 * the returned function is called (when that Terraform has ended). Should this process be killed
 * meanwhile, the lock stays taken until that Terraform has ended too.
 */
export function recordLockChild(pid: number | undefined): () => void {
  const lock = heldLock;
  if (lock === undefined || pid === undefined) return () => {};
  const file = join(lock, CHILD_FILE);
  try {
    writeFileSync(file, JSON.stringify({ pid, startTime: processStartTime(pid) }));
  } catch {
    // Best effort (a full disk): failing here would leave the Terraform just started untracked.
  }
  return () => rmSync(file, { force: true });
}
