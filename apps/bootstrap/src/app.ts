import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { LoadedEnvironment } from "@pgforks/config";
import { App } from "cdktf";
import { BootstrapStack } from "./bootstrap-stack";
import { deliveryNames } from "./names";

/** The package folder (apps/bootstrap): default outdir parent and home of first-run local state. */
export const BOOTSTRAP_PACKAGE_DIR = resolve(__dirname, "..");

/** Default outdir of the bootstrap app: apps/bootstrap/cdktf.out (never the root app's cdktf.out). */
export const BOOTSTRAP_OUTDIR = join(BOOTSTRAP_PACKAGE_DIR, "cdktf.out");

/**
 * Terraform override file written beside cdk.tf.json for the first run only: its backend block
 * replaces the S3 backend (Terraform docs, "Override files": a backend block in an override file
 * replaces the original's), because the bucket does not exist yet.
 */
export const FIRST_RUN_OVERRIDE_FILE = "backend_override.tf.json";

/** One synthesized bootstrap stack. */
export interface SynthesizedBootstrapStack {
  /** `bootstrap-<env>`. */
  readonly name: string;
  /** Its working directory (`<outdir>/stacks/<name>`): run terraform there. */
  readonly dir: string;
  /** The first-run local state file, when a backend override was written. */
  readonly localStateFile?: string;
  /** True when a leftover first-run override was removed (the state must be migrated next). */
  readonly removedOverride: boolean;
}

/** Options of {@link synthesizeBootstrap}. */
export interface SynthesizeBootstrapOptions {
  /** Output directory. Default {@link BOOTSTRAP_OUTDIR}. */
  readonly outdir?: string;
  /**
   * Write the first-run local backend override beside each stack (state file kept in
   * apps/bootstrap, outside cdktf.out, so a re-synth cannot lose it). Default false: any override
   * left from a first run is removed, so the next `terraform init -migrate-state` moves the local
   * state into the bucket.
   */
  readonly firstRun?: boolean;
  /** Folder holding first-run local state files. Default {@link BOOTSTRAP_PACKAGE_DIR}. */
  readonly localStateDir?: string;
}

/** The override file content that points the stack at a local state file. */
export function firstRunOverride(stackDir: string, stateFile: string): object {
  return { terraform: { backend: { local: { path: relative(stackDir, stateFile) } } } };
}

/**
 * Synthesizes `bootstrap-<env>` for each environment (its own cdktf app, apart from the root app's
 * six stacks). Existing files in the stack folders (.terraform, lock file) are kept.
 */
export function synthesizeBootstrap(
  environments: readonly LoadedEnvironment[],
  options: SynthesizeBootstrapOptions = {},
): SynthesizedBootstrapStack[] {
  const outdir = resolve(options.outdir ?? BOOTSTRAP_OUTDIR);
  mkdirSync(outdir, { recursive: true });
  const app = new App({ outdir, stackTraces: false });
  const names = environments.map((loaded) => {
    const name = deliveryNames(loaded.environment).bootstrapStack;
    new BootstrapStack(app, name, { environment: loaded.environment });
    return name;
  });
  app.synth();
  return names.map((name) => {
    const dir = join(outdir, "stacks", name);
    const overrideFile = join(dir, FIRST_RUN_OVERRIDE_FILE);
    if (options.firstRun) {
      const localStateFile = join(
        resolve(options.localStateDir ?? BOOTSTRAP_PACKAGE_DIR),
        `${name}.tfstate`,
      );
      writeFileSync(
        overrideFile,
        `${JSON.stringify(firstRunOverride(dir, localStateFile), null, 2)}\n`,
      );
      return { name, dir, localStateFile, removedOverride: false };
    }
    const removedOverride = existsSync(overrideFile);
    rmSync(overrideFile, { force: true });
    return { name, dir, removedOverride };
  });
}
