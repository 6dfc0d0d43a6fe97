import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

const root = resolve(__dirname, "../../../..");
const tsx = join(root, "node_modules", ".bin", "tsx");
const bench = join(root, "packages", "testing", "src", "bin", "bench.ts");

function runBench(...args: string[]) {
  return spawnSync(tsx, [bench, ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
}

describe("npm run bench: its options", () => {
  it("refuses an unknown option in one line with the usage, exit 2, before measuring anything", () => {
    const run = runBench("--nope");
    expect(run.stderr).toBe(
      "error: Unknown option '--nope'; usage: npm run bench [-- --runs N] [-- --plan-offline]\n",
    );
    expect(run.stdout).toBe("");
    expect(run.status).toBe(2);
  }, 60_000);

  it("prints its usage for --help, exit 0, and measures nothing", () => {
    const run = runBench("--help");
    expect(run.stdout).toMatch(/^usage: npm run bench \[-- --runs N\] \[-- --plan-offline\]\n/);
    expect(run.stdout).toContain("--runs N");
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  }, 60_000);
});
