import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isProcessAlive, processStartTime } from "@pgforks/config";

/** The folder in .local/ that npm start, local stop and local reset hold while they run. */
export const LOCAL_LOCK_NAME = "lock";
const OWNER_FILE = "owner.json";
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

function readOwner(lock: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(join(lock, OWNER_FILE), "utf8")) as Owner;
  } catch {
    return undefined;
  }
}

/** Whether the lock folder was left by a process that is gone (or is gone itself). */
function leftBehind(lock: string, owner: Owner | undefined): boolean {
  if (owner) return !isProcessAlive(owner.pid, owner.startTime);
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
    const owner = readOwner(lock);
    if (leftBehind(lock, owner)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    const holder = owner
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
  return () => rmSync(lock, { recursive: true, force: true });
}
