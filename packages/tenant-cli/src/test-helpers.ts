import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@pgforks/config";
import type { Io } from "./commands";

/**
 * A scratch root holding a copy of the committed environments/ (tests never write the real
 * files). Removed by `cleanup`.
 */
export function scratchRoot(): { root: string; environmentsDir: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), "tenant-cli-test-"));
  cpSync(join(repoRoot(), "environments"), join(root, "environments"), { recursive: true });
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
