import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "@pgforks/config";

// synth-process drops exactly one warning: Node's DEP0044 (util.isArray, which cdktf 0.21 calls for
// every output; a warning at run time on Node 24). Run in a child so the test's own process keeps
// Node's warnings untouched.
describe("synth-process", () => {
  function runAfterImport(code: string) {
    const root = repoRoot();
    return spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        `require(${JSON.stringify(join(root, "packages/stacks/src/synth-process.ts"))});\n${code}`,
      ],
      { cwd: root, encoding: "utf8", timeout: 30_000 },
    );
  }

  it("drops the util.isArray deprecation (DEP0044), however it is emitted", () => {
    const run = runAfterImport(
      [
        'require("node:util").isArray([]);',
        'process.emitWarning("as Node emits it", "DeprecationWarning", "DEP0044");',
        'process.emitWarning("with options", { type: "DeprecationWarning", code: "DEP0044" });',
      ].join("\n"),
    );
    expect([run.status, run.stderr]).toEqual([0, ""]);
  });

  it("keeps every other warning, deprecations included", () => {
    const run = runAfterImport(
      [
        'process.emitWarning("another deprecation", "DeprecationWarning", "DEP0999");',
        'process.emitWarning("a plain warning");',
      ].join("\n"),
    );
    expect(run.status).toBe(0);
    expect(run.stderr).toContain("[DEP0999] DeprecationWarning: another deprecation");
    expect(run.stderr).toContain("Warning: a plain warning");
  });
});
