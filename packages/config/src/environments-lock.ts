import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import lockfile from "proper-lockfile";
import { FileSystemError, isErrnoError, onFile } from "./fs-errors";
import {
  deferSignals,
  handlePendingSignals,
  isProcessAlive,
  LOCK_OWNER_GRACE_MS,
  ownerlessLockLeft,
  processStartTime,
  removeLeftLock,
} from "./processes";

/** The lock folder (proper-lockfile's mkdir lock) in environments/, and who holds it. */
export const LOCK_NAME = ".pgforks.lock";
const OWNER_NAME = `${LOCK_NAME}.owner.json`;
/** Folder of one multi-file change being written: `.pgforks-txn-<pid>`. */
const TXN_PREFIX = ".pgforks-txn-";
const MANIFEST = "manifest.json";

/**
 * A holder that does not release its lock within this time is taken over even when its
 * process still runs. Far above any command's run time: a killed holder is found by its pid
 * (and start time) at once, this is only the fallback for a hung one.
 */
const STALE_MS = 60_000;

/** How long a second writer waits by default (PGFORKS_LOCK_TIMEOUT_MS overrides it). */
export const DEFAULT_LOCK_TIMEOUT_MS = 5_000;

/** Another command holds the lock and did not release it in time. One line, no stack. */
export class LockBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LockBusyError";
  }
}

interface Owner {
  readonly pid: number;
  readonly startTime?: string;
  readonly token: string;
  readonly since: number;
  /** mtime of the lock folder this owner created: ties the owner file to that folder. */
  readonly lockMtimeMs: number;
}

function readOwner(file: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Owner;
  } catch {
    return undefined;
  }
}

/** Waits without blocking the event loop: a signal's listener runs meanwhile. */
function pause(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Whether this process took the lock: signals then wait for its work (interruptibleUntilLocked). */
let lockTaken = false;

/**
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP in a command that writes environments/. Until the command
 * takes the lock, including while it waits for it (asynchronously), they end it at once, exit
 * 128+signal, with one line saying nothing was changed. From the moment withEnvironmentsLock has
 * taken the lock they wait for its synchronous work (every staged file written or none, the lock
 * released), then end the command with one line saying so. withEnvironmentsLock calls this
 * itself; a command calls it first thing so that a signal during its start-up gets the note too.
 * The one place this is decided: every writer of environments/ goes through the lock.
 */
export function interruptibleUntilLocked(): void {
  if (lockTaken) return;
  deferSignals(
    (signal) => `interrupted (${signal}) before the command changed anything: nothing was changed`,
  );
}

/** Taking the lock: from now on a signal waits for the synchronous work, then says it finished. */
function deferSignalsFromNowOn(): void {
  lockTaken = true;
  deferSignals(
    (signal) =>
      `interrupted (${signal}) after the command had finished: every file it changes was written, or none`,
  );
}

/**
 * A PGFORKS_LOCK_TIMEOUT_MS that is no number of milliseconds ("30s", "-1", "abc"): refused
 * before anything is waited for or written, where a busy lock is reported (it was silently the
 * default 5 s).
 */
export class LockTimeoutSettingError extends LockBusyError {
  constructor(raw: string) {
    super(
      `PGFORKS_LOCK_TIMEOUT_MS: must be a whole number of milliseconds, 0 or more (found ${JSON.stringify(raw)}); unset it for the default ${DEFAULT_LOCK_TIMEOUT_MS} ms`,
    );
    this.name = "LockTimeoutSettingError";
  }
}

function timeoutMs(explicit?: number): number {
  if (explicit !== undefined) return explicit;
  // Empty is unset (Number("") would be 0: no waiting at all).
  const raw = process.env.PGFORKS_LOCK_TIMEOUT_MS?.trim() ?? "";
  if (raw === "") return DEFAULT_LOCK_TIMEOUT_MS;
  if (!/^[0-9]+$/.test(raw)) throw new LockTimeoutSettingError(raw);
  return Number(raw);
}

/**
 * Whether the lock was left by a command that is gone: its owner file, written for this very lock
 * folder (same mtime), names a process that no longer runs (pid, start time), or there is none for
 * this folder and the folder is older than a holder takes to record itself (ownerlessLockLeft, as
 * the synth swap lock and the .local lock judge theirs). False when the lock is gone (lockSync
 * takes it).
 */
function lockLeft(lockPath: string, ownerPath: string): boolean {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(lockPath).mtimeMs;
  } catch {
    return false;
  }
  const owner = readOwner(ownerPath);
  // An owner file of an earlier lock (its holder killed) is no owner of this one.
  if (owner?.lockMtimeMs !== mtimeMs) return ownerlessLockLeft(lockPath);
  return !isProcessAlive(owner.pid, owner.startTime);
}

/** A holder records itself within milliseconds of taking the lock; an older lock without a record was left. */
const OWNER_RECORD_GRACE_MS = 1_000;

/**
 * The lock is held and has named no owner for over a second, and is not yet taken over (it is
 * younger than LOCK_OWNER_GRACE_MS, or another command is taking it over): a command was killed
 * between taking it and recording itself. The message says when it is taken over, instead of
 * "try again when it has finished". Undefined for a lock just taken (its holder is recording itself).
 */
function ownerlessLockMessage(lockPath: string, wait: number): string | undefined {
  let ageMs: number;
  try {
    ageMs = Date.now() - statSync(lockPath).mtimeMs;
  } catch {
    return undefined; // released meanwhile
  }
  if (ageMs < OWNER_RECORD_GRACE_MS) return undefined;
  const left = Math.max(0, Math.ceil((LOCK_OWNER_GRACE_MS - ageMs) / 1000));
  return `${FileSystemError.display(lockPath)} is held with no owner recorded (a command killed while taking it leaves this); waited ${(wait / 1000).toFixed(1)}s: it is taken over automatically ${LOCK_OWNER_GRACE_MS / 1000}s after it was made, in ${left}s; try again then`;
}

/** Files staged by a command; written together (or not at all) when the command succeeds. */
export class EnvironmentsTransaction {
  private readonly files = new Map<string, string>();

  /** Stages `text` as the new content of `file` (inside environments/). */
  write(file: string, text: string): void {
    this.files.set(resolve(file), text);
  }

  /** The staged files, in the order they were first staged. */
  get staged(): readonly string[] {
    return [...this.files.keys()];
  }

  /** @internal used by withEnvironmentsLock */
  entries(): [string, string][] {
    return [...this.files];
  }
}

/**
 * Finishes or undoes the multi-file changes of commands that were killed: a change whose
 * manifest was written (its commit point) is completed, any other is discarded. Runs under the
 * lock, so no live command is writing. Returns the files completed.
 */
export function recoverTransactions(environmentsDir: string): string[] {
  const completed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(environmentsDir);
  } catch {
    return completed;
  }
  for (const name of names) {
    if (!name.startsWith(TXN_PREFIX)) continue;
    const dir = join(environmentsDir, name);
    const pid = Number(name.slice(TXN_PREFIX.length));
    if (pid !== process.pid && isProcessAlive(pid)) continue;
    const manifest = join(dir, MANIFEST);
    if (existsSync(manifest)) {
      const entries = JSON.parse(readFileSync(manifest, "utf8")) as Array<[string, string]>;
      for (const [staged, target] of entries) {
        const from = join(dir, staged);
        if (!existsSync(from)) continue;
        const to = join(environmentsDir, target);
        onFile(to, "write", () => renameSync(from, to));
        completed.push(to);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return completed;
}

/** The file a path names: itself, or the file its symbolic links lead to. */
function linkedFile(file: string): string {
  return existsSync(file) && lstatSync(file).isSymbolicLink() ? realpathSync(file) : file;
}

/**
 * Writes every staged file or none: each goes to a staging folder in environments/ (same file
 * system, original file mode kept), then a manifest is renamed into place (the commit point),
 * then each file is renamed over its target. A command killed before the manifest leaves
 * nothing behind but the staging folder, which the next command removes; one killed after it
 * is completed by the next command (recoverTransactions).
 */
function commit(environmentsDir: string, files: [string, string][]): void {
  if (files.length === 0) return;
  const dir = join(environmentsDir, `${TXN_PREFIX}${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  onFile(environmentsDir, "write", () => mkdirSync(dir));
  try {
    const manifest: Array<[string, string]> = [];
    files.forEach(([file, text], i) => {
      const staged = join(dir, String(i));
      // A symbolic link stays one: the file it points to gets the new content.
      const target = onFile(file, "write", () => linkedFile(file));
      onFile(file, "write", () => {
        if (target !== file && statSync(dirname(target)).dev !== statSync(dir).dev) {
          throw new FileSystemError(
            file,
            "EXDEV",
            "write",
            `it is a symbolic link to ${target}, on another file system than ${FileSystemError.display(environmentsDir)}, so the change could not be written all or nothing; put the file itself there`,
          );
        }
        accessSync(dirname(target), constants.W_OK);
        const mode = existsSync(target) ? statSync(target) : undefined;
        if (mode?.isDirectory()) {
          throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
        }
        // Renaming over a file needs only the folder's permission (and root needs none): a file
        // someone made read-only is refused here rather than silently replaced.
        if (mode && (mode.mode & 0o222) === 0) {
          const octal = (mode.mode & 0o777).toString(8).padStart(4, "0");
          throw new FileSystemError(
            target,
            "EACCES",
            "write",
            `it is read-only (mode ${octal}); make it writable (chmod u+w) to let the command change it`,
          );
        }
        writeFileSync(staged, text);
        if (mode) chmodSync(staged, mode.mode & 0o7777);
      });
      manifest.push([String(i), relative(environmentsDir, target)]);
    });
    onFile(environmentsDir, "write", () => {
      writeFileSync(join(dir, `${MANIFEST}.tmp`), JSON.stringify(manifest));
      renameSync(join(dir, `${MANIFEST}.tmp`), join(dir, MANIFEST));
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  // Past the commit point: finish (the next command would, should this one be killed now).
  recoverTransactions(environmentsDir);
}

export interface LockOptions {
  /** How long to wait for another writer. Default PGFORKS_LOCK_TIMEOUT_MS, else 5 s. */
  readonly timeoutMs?: number;
}

/**
 * Runs `body` holding the lock of `environmentsDir` (every command that writes environments/
 * does), then writes the files it staged, all or none. The body must read what it changes
 * inside, after the lock is taken, and be synchronous: from taking the lock to releasing it
 * nothing yields to the event loop, so ctrl-C waits for the whole window; before it (while
 * waiting for another writer too) ctrl-C ends the command at once (interruptibleUntilLocked).
 * A second writer waits up to the timeout, then gets a LockBusyError; a lock whose holder was
 * killed is taken over at once (pid + start time), one with no holder recorded once it is
 * LOCK_OWNER_GRACE_MS old. Changes left by a killed command are
 * completed or discarded first.
 */
export async function withEnvironmentsLock<T>(
  environmentsDir: string,
  body: (tx: EnvironmentsTransaction) => T,
  options: LockOptions = {},
): Promise<T> {
  interruptibleUntilLocked();
  // A signal received during the synchronous start of the command ends it here, unchanged.
  await handlePendingSignals();
  const lockPath = join(environmentsDir, LOCK_NAME);
  const ownerPath = join(environmentsDir, OWNER_NAME);
  const wait = timeoutMs(options.timeoutMs);
  const deadline = Date.now() + wait;
  let release: () => void;
  for (;;) {
    try {
      release = lockfile.lockSync(environmentsDir, {
        lockfilePath: lockPath,
        realpath: false,
        stale: STALE_MS,
        // A holder never runs the event loop while it holds the lock (commands are
        // synchronous); ownership is verified by token before anything is written instead.
        onCompromised: () => {},
      });
      break;
    } catch (error) {
      if (!isErrnoError(error) || error.code !== "ELOCKED") {
        if (isErrnoError(error)) throw new FileSystemError(lockPath, error.code, "take the lock");
        throw error;
      }
      // Removed under <lock>.takeover, judged again there: two commands that judged the same
      // dead lock never both take it (the second finds the first's, alive or too young).
      if (lockLeft(lockPath, ownerPath)) {
        if (!removeLeftLock(lockPath, () => lockLeft(lockPath, ownerPath))) await pause(20);
        continue;
      }
      if (Date.now() >= deadline) {
        const owner = readOwner(ownerPath);
        const ownerless = owner ? undefined : ownerlessLockMessage(lockPath, wait);
        if (ownerless) throw new LockBusyError(ownerless);
        const who = owner
          ? ` (pid ${owner.pid}, for ${((Date.now() - owner.since) / 1000).toFixed(1)}s)`
          : "";
        throw new LockBusyError(
          `another command is changing ${FileSystemError.display(environmentsDir)}${who}; waited ${(wait / 1000).toFixed(1)}s: try again when it has finished`,
        );
      }
      await pause(40 + Math.floor(Math.random() * 60));
    }
  }
  // The locked window: synchronous from here to the release below.
  deferSignalsFromNowOn();
  const token = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  try {
    onFile(ownerPath, "write", () => {
      try {
        writeFileSync(
          ownerPath,
          JSON.stringify({
            pid: process.pid,
            startTime: processStartTime(process.pid),
            token,
            since: Date.now(),
            lockMtimeMs: statSync(lockPath).mtimeMs,
          } satisfies Owner),
        );
      } catch (error) {
        // A full disk leaves an empty owner file: remove it, the command changes nothing.
        rmSync(ownerPath, { force: true });
        throw error;
      }
    });
    recoverTransactions(environmentsDir);
    const tx = new EnvironmentsTransaction();
    const result = body(tx);
    if (readOwner(ownerPath)?.token !== token) {
      throw new LockBusyError(
        `lost the lock of ${FileSystemError.display(environmentsDir)} to another command while working; nothing was written: run the command again`,
      );
    }
    commit(environmentsDir, tx.entries());
    return result;
  } finally {
    if (readOwner(ownerPath)?.token === token) rmSync(ownerPath, { force: true });
    try {
      release();
    } catch {
      // already taken over as stale: nothing of ours to release
    }
  }
}
