import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

// The install scripts under tools/ take no arguments: --help says what one does, anything else is
// refused in one line, and neither installs anything (checkov's install alone takes minutes).
const root = resolve(__dirname, "../../..");
const scripts = ["checkov", "pg-client", "providers"].map((tool) => `tools/${tool}/install.sh`);

function run(script: string, ...args: string[]) {
  // A run that went on to install would take far longer than this: it fails the test instead.
  return spawnSync("bash", [join(root, script), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 15_000,
  });
}

describe.each(scripts)("bash %s", (script) => {
  it.each(["--help", "-h"])(
    "%s prints its usage and header comment, exit 0, installs nothing",
    (flag) => {
      const result = run(script, flag);
      expect(result.status).toBe(0);
      expect(result.stderr).toBe("");
      const lines = result.stdout.split("\n");
      expect(lines[0]).toBe(`usage: bash ${script}`);
      expect(lines[1]).toMatch(/^(Installs|Provides) /);
      expect(result.stdout).not.toMatch(/^#/m);
    },
  );

  it("refuses an argument in one line, exit 2, installs nothing", () => {
    const result = run(script, "--force");
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `error: bash ${script} takes no arguments (found '--force'); --help says what it does\n`,
    );
  });
});
