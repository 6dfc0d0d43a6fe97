/**
 * `npm test`: lint, type-check and every package's Jest suite through Turborepo (cached), then
 * one closing line adding up all suites: "Tests: N passed, N failed".
 * Each package's Jest writes .jest-results.json (a declared Turborepo output), so the total is
 * right on cache hits too.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(__dirname, "../../../..");
const RESULTS = ".jest-results.json";

function workspaceDirs(): string[] {
  return ["packages", "apps"].flatMap((group) =>
    readdirSync(join(root, group), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(root, group, e.name)),
  );
}

for (const dir of workspaceDirs()) rmSync(join(dir, RESULTS), { force: true });

const turbo = spawnSync(
  "npx",
  ["turbo", "run", "lint", "typecheck", "test", "--continue", ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: "inherit",
  },
);

let passed = 0;
let failed = 0;
let suites = 0;
for (const dir of workspaceDirs()) {
  const file = join(dir, RESULTS);
  if (!existsSync(file)) continue;
  const result = JSON.parse(readFileSync(file, "utf8")) as {
    numPassedTests: number;
    numFailedTests: number;
    numTotalTestSuites: number;
  };
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  suites += result.numTotalTestSuites;
}
console.log(`\n${suites} Jest suites`);
console.log(`Tests: ${passed} passed, ${failed} failed`);
process.exit(turbo.status ?? 1);
