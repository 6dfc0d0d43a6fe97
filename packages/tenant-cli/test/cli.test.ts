import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { loadEnvironment } from "@pgforks/config";
import { tenantsFilePath } from "../src/files";
import { readText, scratchRoot } from "./helpers";

// End-to-end runs of the real entry point (slow-ish: each starts tsx): commander's parsing and the
// mapping of its options; everything else calls the command functions directly.
const CLI = join(__dirname, "..", "src", "cli.ts");

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

  it("add maps every option onto the entry (--extensions split on commas)", () => {
    const result = runCli([
      "add",
      "--env",
      "prod",
      "shop",
      "--owner",
      "shop@example.com",
      "--database",
      "shop_prod",
      "--connection-limit",
      "7",
      "--extensions",
      "citext, pg_trgm",
      "--read-only-role",
      "--description",
      "The shop",
      "--root",
      scratch.root,
    ]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(loadEnvironment("prod", scratch.environmentsDir).tenants.at(-1)).toEqual(
      expect.objectContaining({
        name: "shop",
        database: "shop_prod",
        owner: "shop@example.com",
        connectionLimit: 7,
        extensions: ["citext", "pg_trgm"],
        readOnlyRole: true,
        description: "The shop",
      }),
    );
  });

  it.each([
    [["add", "shop", "--owner", "a@b.cd"], "error: required option '--env <env>' not specified"],
    [["add", "--env", "prod", "shop"], "error: required option '--owner <who>' not specified"],
    [["suspend", "--env", "prod"], "error: missing required argument 'name'"],
    [
      ["suspend", "--env", "prod", "a", "b"],
      "error: too many arguments for 'suspend'. Expected 1 argument but got 2.",
    ],
    [["list", "--colour"], "error: unknown option '--colour'"],
    [["check"], "error: required option '--base <git ref>' not specified"],
    [["frobnicate"], "error: unknown command 'frobnicate'"],
  ])("usage error %j: commander's one line, exit 1, nothing written", (args, line) => {
    const file = tenantsFilePath(scratch.environmentsDir, "prod");
    const before = readText(file);
    const result = runCli([...args, "--root", scratch.root]);
    expect(result.stderr).toBe(`${line}\n`);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(readText(file)).toBe(before);
  });
});
