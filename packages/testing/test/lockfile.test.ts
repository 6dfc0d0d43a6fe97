import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

// `npm ci` (what .ci/run runs on a fresh machine) refuses a lockfile that lacks an entry for any
// optional dependency of a locked package, e.g. a native binary for another OS. The registry this
// project's machines reach does not serve every platform's binary for every version, and
// `npm install` then silently writes such a lockfile; pinning versions whose binaries all exist
// (see the root package.json) keeps `npm ci` working. This test catches a regression before CI.
const root = resolve(__dirname, "../../..");

interface LockEntry {
  readonly version?: string;
  readonly optionalDependencies?: Record<string, string>;
}

describe("package-lock.json", () => {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };

  it("has an entry for every optional dependency of every locked package (npm ci accepts it)", () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        const nested = `${path}/node_modules/${name}`;
        if (!lock.packages[nested] && !lock.packages[`node_modules/${name}`]) {
          missing.push(`${name} (optional dependency of ${path || "the root"})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
