import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  isProcessAlive,
  ownerlessLockLeft,
  processStartTime,
  takeLockFolder,
} from "@pgforks/config";

/** The folder in .local/ that npm start, local stop and local reset hold while they run. */
export const LOCAL_LOCK_NAME = "lock";
const OWNER_FILE = "owner.json";
/** The Terraform the holder runs now (recordLockChild): it outlives a holder killed outright. */
const CHILD_FILE = "terraform.json";

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
  return ownerlessLockLeft(lock);
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
  const record: Owner = { pid: process.pid, startTime: processStartTime(process.pid), command };
  // A lock judged left is removed under <lock>.takeover and judged again there: two steps that
  // both judged it left (two npm starts after a crash) never both take it; the second finds the
  // first's record, alive, and is refused with its name.
  const isLeft = () => leftBehind(lock, readRecord<Owner>(lock, OWNER_FILE));
  if (!takeLockFolder(lock, OWNER_FILE, JSON.stringify(record), isLeft)) {
    const owner = readRecord<Owner>(lock, OWNER_FILE);
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
  heldLock = lock;
  return () => {
    heldLock = undefined;
    rmSync(lock, { recursive: true, force: true });
  };
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
