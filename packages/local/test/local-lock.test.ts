// Two steps taking over the lock of a killed one at the same moment (two npm starts after a crash).
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCAL_LOCK_NAME, LocalBusyError, takeLocalLock } from "../src/local-lock";

/** The pid of a killed holder; isProcessAlive says it is dead, every other pid runs. */
const DEAD = 999_999_991;
/** What the first "is it dead?" question of a test does before it is answered (see below). */
let meanwhile: (() => void) | undefined;

jest.mock("@pgforks/config", () => {
  const actual = jest.requireActual("@pgforks/config");
  return {
    ...actual,
    isProcessAlive: (pid: number) => {
      const before = meanwhile;
      meanwhile = undefined;
      before?.();
      return pid !== DEAD;
    },
  };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pgforks-local-lock-race-"));
});
afterEach(() => {
  meanwhile = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** The lock as a holder leaves it: its folder with the holder's record. */
function lockHeldBy(pid: number, command: string): void {
  mkdirSync(join(dir, LOCAL_LOCK_NAME));
  writeFileSync(join(dir, LOCAL_LOCK_NAME, "owner.json"), JSON.stringify({ pid, command }));
}

it("a step that finds a killed holder's lock, while another step takes it over first, is refused instead of taking it from that step", () => {
  lockHeldBy(DEAD, "npm start");
  const other = 4242;
  // Between this step's judging the holder dead and its removing the lock, another step does
  // the same and takes the lock: the removal took that step's fresh lock, both went on.
  meanwhile = () => {
    rmSync(join(dir, LOCAL_LOCK_NAME), { recursive: true, force: true });
    lockHeldBy(other, "npm run local -- reset");
  };
  expect(() => takeLocalLock(dir, "npm start")).toThrow(
    new LocalBusyError(
      `${dir} is in use by npm run local -- reset (pid ${other}): wait for it to finish, then run npm start again`,
    ),
  );
  expect(JSON.parse(readFileSync(join(dir, LOCAL_LOCK_NAME, "owner.json"), "utf8"))).toEqual({
    pid: other,
    command: "npm run local -- reset",
  });
});

it("takes over a killed holder's lock, and leaves nothing of the takeover behind", () => {
  lockHeldBy(DEAD, "npm start");
  const release = takeLocalLock(dir, "npm start");
  expect(JSON.parse(readFileSync(join(dir, LOCAL_LOCK_NAME, "owner.json"), "utf8"))).toMatchObject({
    pid: process.pid,
    command: "npm start",
  });
  release();
  expect(readdirSync(dir)).toEqual([]);
});

it("takes over a lock whose holder never recorded itself once it is a few seconds old, as the synth and environments locks do", () => {
  const lock = join(dir, LOCAL_LOCK_NAME);
  mkdirSync(lock);
  // Just made: its holder is recording itself, so the step is refused.
  expect(() => takeLocalLock(dir, "npm start")).toThrow(
    new LocalBusyError(
      `${dir} is in use by another npm start, stop or reset: wait for it to finish, then run npm start again`,
    ),
  );
  const aMinuteAgo = new Date(Date.now() - 60_000);
  utimesSync(lock, aMinuteAgo, aMinuteAgo);
  const release = takeLocalLock(dir, "npm start");
  expect(JSON.parse(readFileSync(join(lock, "owner.json"), "utf8"))).toMatchObject({
    pid: process.pid,
  });
  release();
  expect(readdirSync(dir)).toEqual([]);
});
