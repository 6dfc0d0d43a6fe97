import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { repoRoot } from "@pgforks/config";

/** Where tools/checkov/install.sh puts checkov: a virtualenv ignored by git. */
export const CHECKOV_VENV = join(".tools", "checkov");

/** The checkov executable: PGFORKS_CHECKOV, else the project's virtualenv. */
export function checkovBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.PGFORKS_CHECKOV ?? join(repoRoot(), CHECKOV_VENV, "bin", "checkov");
}

/** Why checkov cannot run here, or undefined when it can (for testWhen). */
export function checkovMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const binary = checkovBinary(env);
  return existsSync(binary)
    ? undefined
    : `checkov is not installed at ${binary}: run bash tools/checkov/install.sh`;
}

/** One checkov result on one resource. */
export interface CheckovResult {
  readonly check: string;
  readonly title: string;
  /** Terraform resource address (aws_instance.network_bastion_instance_838F6706). */
  readonly address: string;
}

/** checkov's verdicts on one plan JSON file. */
export interface CheckovReport {
  readonly file: string;
  readonly passed: readonly CheckovResult[];
  readonly failed: readonly CheckovResult[];
}

interface RawCheck {
  check_id: string;
  check_name: string;
  resource: string;
  resource_address?: string | null;
  file_abs_path: string;
}

interface RawReport {
  check_type?: string;
  results?: { passed_checks?: RawCheck[]; failed_checks?: RawCheck[] };
}

/** Raised when checkov crashes or prints something other than its JSON report. */
export class CheckovError extends Error {
  override readonly name = "CheckovError";
}

/**
 * Runs checkov once on several plan JSON files (`terraform show -json`), framework
 * terraform_plan, nothing downloaded; returns one report per file, in the order given. One
 * process for all files: checkov takes seconds to start.
 */
export function runCheckov(
  files: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<CheckovReport[]> {
  const absolute = files.map((f) => resolve(f));
  const args = [
    "--framework",
    "terraform_plan",
    "--output",
    "json",
    "--skip-download",
    "--file",
    ...absolute,
  ];
  return new Promise((resolvePromise, reject) => {
    execFile(
      checkovBinary(env),
      args,
      { env: { ...env, LOG_LEVEL: "WARNING" }, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        // Exit 1 means "some check failed": the report is still complete.
        const code = (error as { code?: unknown } | null)?.code;
        if (error && code !== 1) {
          reject(new CheckovError(`checkov failed (${String(code ?? error.message)}): ${stderr}`));
          return;
        }
        let parsed: RawReport | RawReport[];
        try {
          parsed = JSON.parse(stdout) as RawReport | RawReport[];
        } catch {
          reject(new CheckovError(`checkov printed no JSON report: ${stdout.slice(0, 500)}`));
          return;
        }
        const reports = (Array.isArray(parsed) ? parsed : [parsed]).filter(
          (r) => r.check_type === "terraform_plan",
        );
        const of = (kind: "passed_checks" | "failed_checks", file: string) =>
          reports
            .flatMap((r) => r.results?.[kind] ?? [])
            .filter((c) => c.file_abs_path === file)
            .map((c) => ({
              check: c.check_id,
              title: c.check_name,
              address: c.resource_address ?? c.resource,
            }));
        resolvePromise(
          absolute.map((file) => ({
            file,
            passed: of("passed_checks", file),
            failed: of("failed_checks", file),
          })),
        );
      },
    );
  });
}
