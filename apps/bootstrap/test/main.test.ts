import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "@pgforks/config";
import { environmentsWithNewFolder } from "@pgforks/testing";

const scratch = mkdtempSync(join(tmpdir(), "pgforks-bootstrap-main-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the bootstrap app (apps/bootstrap/src/main.ts)", () => {
  it("synthesizes one bootstrap stack per environment folder, a new folder included", () => {
    const envs = environmentsWithNewFolder(scratch, "qa", "dev");
    const outdir = join(scratch, "cdktf.out");
    const loader = pathToFileURL(join(repoRoot(), "node_modules", "tsx", "dist", "loader.mjs"));
    const run = spawnSync(
      process.execPath,
      ["--import", loader.href, join(repoRoot(), "apps", "bootstrap", "src", "main.ts")],
      {
        cwd: scratch,
        env: { ...process.env, PGFORKS_ENVIRONMENTS_DIR: envs, CDKTF_OUTDIR: outdir },
        encoding: "utf8",
      },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(readdirSync(join(outdir, "stacks")).sort()).toEqual([
      "bootstrap-dev",
      "bootstrap-prod",
      "bootstrap-qa",
      "bootstrap-staging",
    ]);
  }, 60_000);
});
