import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { readText, scratchRoot } from "../test/helpers";
import { tenantsFilePath } from "./files";

// Two end-to-end runs of the real entry point (slow-ish: each starts tsx); everything else calls
// the command functions directly.
const CLI = join(__dirname, "cli.ts");

function runCli(args: readonly string[]) {
  return spawnSync("npx", ["tsx", CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, npm_config_loglevel: "error" },
  });
}

describe("npm run tenant (spawned)", () => {
  let scratch: ReturnType<typeof scratchRoot>;
  beforeEach(() => {
    scratch = scratchRoot();
  });
  afterEach(() => scratch.cleanup());

  it("list prints the tenants and the budget, exit 0", () => {
    const result = runCli(["list", "--env", "prod", "--root", scratch.root]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^prod\s+fintech\s+fintech_experiment\s+active/m);
    expect(result.stdout).toMatch(/connection budget prod: \d+\/\d+ connections/);
  });

  it("add of an existing name exits 1 with the reason and leaves the file alone", () => {
    const file = tenantsFilePath(scratch.environmentsDir, "prod");
    const before = readText(file);
    const result = runCli([
      "add",
      "--env",
      "prod",
      "fintech",
      "--owner",
      "x@example.com",
      "--root",
      scratch.root,
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('duplicate tenant name "fintech"');
    expect(readText(file)).toBe(before);
  });
});
