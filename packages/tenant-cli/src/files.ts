import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import {
  ConfigError,
  type ConfigProblem,
  ENVIRONMENT_FILE,
  type LoadedEnvironment,
  loadEnvironment,
  removeLeftoversOfDeadProcesses,
  TENANTS_FILE,
} from "@pgforks/config";

/** A path as people type it: relative to the working directory when below it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith("..") || rel === "" ? file : rel;
}

export function tenantsFilePath(environmentsDir: string, env: string): string {
  return join(environmentsDir, env, TENANTS_FILE);
}

/**
 * Validates a proposed tenants.yaml with every rule of @pgforks/config (schema, reserved and
 * duplicate names, capacity): the text is written to a temporary copy of the environment folder
 * and loaded from there, so the real file is never touched. Problems name the real files; their
 * line numbers are dropped for tenants.yaml because they point into the proposed text, and the
 * path (`tenants[3].name`) says where instead.
 */
export function validateProposedTenants(
  environmentsDir: string,
  env: string,
  text: string,
): LoadedEnvironment {
  // Named by pid: a scratch copy of a killed command is removed by the next one.
  removeLeftoversOfDeadProcesses(tmpdir(), /^pgforks-tenant-(\d+)-/);
  const scratch = mkdtempSync(join(tmpdir(), `pgforks-tenant-${process.pid}-`));
  try {
    const scratchEnv = join(scratch, env);
    const realEnv = join(environmentsDir, env);
    mkdirSync(scratchEnv);
    copyFileSync(join(realEnv, ENVIRONMENT_FILE), join(scratchEnv, ENVIRONMENT_FILE));
    writeFileSync(join(scratchEnv, TENANTS_FILE), text);
    try {
      const loaded = loadEnvironment(env, scratch);
      return { ...loaded, dir: realEnv };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ConfigError(error.problems.map((p) => relocate(p, scratchEnv, realEnv)));
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function relocate(problem: ConfigProblem, scratchEnv: string, realEnv: string): ConfigProblem {
  // A message may name a file of the scratch copy too ("is the master username of
  // <environment.yaml>"): it names the real one, never a temporary folder.
  const message = [ENVIRONMENT_FILE, TENANTS_FILE].reduce(
    (text, name) =>
      text.split(displayPath(join(scratchEnv, name))).join(displayPath(join(realEnv, name))),
    problem.message,
  );
  const file = resolve(problem.file);
  if (dirname(file) !== scratchEnv) return { ...problem, message };
  const real = displayPath(join(realEnv, basename(file)));
  if (basename(file) === TENANTS_FILE) {
    const { line: _line, column: _column, ...rest } = problem;
    return { ...rest, message, file: real };
  }
  return { ...problem, message, file: real };
}
