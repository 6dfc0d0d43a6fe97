/**
 * `npm test`: lint, type-check and every package's Jest suite through Turborepo (cached), then
 * one closing line adding up all suites: "Tests: N passed, N failed, N skipped", where skipped
 * counts the tests that could not run on this machine (registered as "NOT RUN (...)" todos by
 * testWhen), each listed loudly above it: they are never counted as passed.
 *
 * Turborepo runs at most TEST_CONCURRENCY tasks at once: several suites start real Terraform and
 * PostgreSQL servers, and a 2-core machine shared with other work must not starve them.
 * Each package's Jest writes .jest-results.json (a declared Turborepo output), so the total is
 * right on cache hits too. Cached results are of the same Node major only (turbo-env.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { NOT_RUN_PREFIX } from "../requirements";
import { turboEnvironment } from "../turbo-env";

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

/** Turborepo tasks at once (each package's Jest uses one worker on 2 cores). */
const TEST_CONCURRENCY = process.env.PGFORKS_TEST_CONCURRENCY ?? "2";

const turbo = spawnSync(
  "npx",
  [
    "turbo",
    "run",
    "lint",
    "typecheck",
    "test",
    "--continue",
    `--concurrency=${TEST_CONCURRENCY}`,
    ...process.argv.slice(2),
  ],
  {
    cwd: root,
    stdio: "inherit",
    env: turboEnvironment(),
  },
);

let passed = 0;
let failed = 0;
let suites = 0;
const notRun: string[] = [];
for (const dir of workspaceDirs()) {
  const file = join(dir, RESULTS);
  if (!existsSync(file)) continue;
  const result = JSON.parse(readFileSync(file, "utf8")) as {
    numPassedTests: number;
    numFailedTests: number;
    numTotalTestSuites: number;
    testResults?: Array<{ assertionResults?: Array<{ status: string; title: string }> }>;
  };
  for (const suite of result.testResults ?? []) {
    for (const test of suite.assertionResults ?? []) {
      if (test.status === "todo" && test.title.startsWith(NOT_RUN_PREFIX)) notRun.push(test.title);
    }
  }
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  suites += result.numTotalTestSuites;
}
console.log(`\n${suites} Jest suites`);
if (notRun.length > 0) {
  console.log(`\n${"#".repeat(80)}`);
  console.log(
    `${notRun.length} test(s) NOT RUN on this machine (not verified, not counted as passed):`,
  );
  for (const title of notRun) console.log(`  - ${title}`);
  console.log(`${"#".repeat(80)}\n`);
}
console.log(`Tests: ${passed} passed, ${failed} failed, ${notRun.length} skipped`);
process.exit(turbo.status ?? 1);
