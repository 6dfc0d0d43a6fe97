import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
