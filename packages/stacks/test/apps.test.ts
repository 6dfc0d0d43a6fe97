import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { environmentNames, repoRoot } from "@pgforks/config";
import { environmentsWithNewFolder } from "@pgforks/testing";
import { readSynthesizedStacks } from "../src/synth";

const root = repoRoot();
const scratch = mkdtempSync(join(tmpdir(), "pgforks-apps-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
// node with tsx's loader: the way `npx tsx` runs the apps, without npx's start-up.
const loader = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
const mainApp = join(root, "apps", "main.ts");

function runApp(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const result = spawnSync(process.execPath, ["--import", loader, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the root app (apps/main.ts)", () => {
  it("composes every environment folder: a new folder is a new environment, no code change", () => {
    const envs = environmentsWithNewFolder(scratch, "qa", "dev");
    const cwd = mkdtempSync(join(scratch, "qa-"));
    const run = runApp([mainApp], { cwd, env: { PGFORKS_ENVIRONMENTS_DIR: envs } });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const stacks = readSynthesizedStacks(join(cwd, "cdktf.out"));
    expect(Object.keys(stacks).sort()).toEqual(
      ["dev", "prod", "qa", "staging"].flatMap((e) => [`${e}-platform`, `${e}-tenants`]),
    );
    const qaTerraform = stacks["qa-platform"]?.terraform as { backend: { s3: { key: string } } };
    // qa is a copy of dev, so it keeps dev's state key prefix; the stack name tells them apart.
    expect(qaTerraform.backend.s3.key).toBe("pgforks/dev/qa-platform.tfstate");
    // The summary lists environments in promotion order (development, staging, production).
    expect(run.stdout).toMatch(/Tenants:\n\s+dev\s.*\n\s+qa\s.*\n\s+staging\s.*\n\s+prod\s/);
  }, 120_000);
});

describe("the per-environment apps (apps/<env>/cdktf.json)", () => {
  const envApps = readdirSync(join(root, "apps")).filter((name) =>
    environmentNames().includes(name),
  );

  it("exist for dev, staging and prod", () => {
    expect(envApps.sort()).toEqual(["dev", "prod", "staging"]);
  });

  it.each(envApps)(
    "apps/%s synthesizes its own environment with the shared apps/main.ts",
    (env) => {
      const appDir = join(root, "apps", env);
      const { app } = JSON.parse(readFileSync(join(appDir, "cdktf.json"), "utf8")) as {
        app: string;
      };
      expect(app).toBe(`node ../../packages/launcher/src/launch.cjs ../main.ts ${env}`);
      const outdir = mkdtempSync(join(scratch, `${env}-`));
      // As `cdktf synth` runs it: the command through a shell in the app's folder, the CLI's
      // output folder in CDKTF_OUTDIR (the launcher's cache in the scratch folder).
      const run = spawnSync(app, {
        shell: true,
        cwd: appDir,
        env: {
          ...process.env,
          CDKTF_OUTDIR: outdir,
          PGFORKS_LAUNCH_CACHE: join(scratch, "launch"),
        },
        encoding: "utf8",
      });
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      expect(Object.keys(readSynthesizedStacks(outdir)).sort()).toEqual([
        `${env}-platform`,
        `${env}-tenants`,
      ]);
    },
    60_000,
  );
});
