import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Default cdktf outdir, relative to the repository root (cdktf's own default). */
export const DEFAULT_OUTDIR = "cdktf.out";
/** Default harness work dir, relative to the repository root (gitignored). */
export const DEFAULT_WORK_DIR = ".harness";

/**
 * The monorepo root: the nearest directory at or above `start` whose package.json declares npm
 * workspaces. Falls back to `start` itself.
 */
export function findRepoRoot(start: string = process.cwd()): string {
  let dir = resolve(start);
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, "utf8")) as { workspaces?: unknown };
        if (parsed.workspaces !== undefined) return dir;
      } catch {
        // Not valid JSON: keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return resolve(start);
    dir = parent;
  }
}
