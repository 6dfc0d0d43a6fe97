import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/** Environment variable that overrides the Terraform binary (a path, or a name looked up in PATH). */
export const TERRAFORM_BINARY_ENV_VAR = "TERRAFORM_BINARY";

/** Raised when the Terraform binary cannot be found or started. */
export class TerraformNotFoundError extends Error {
  override readonly name = "TerraformNotFoundError";
}

/** Raised when a Terraform command exits non-zero. */
export class TerraformCommandError extends Error {
  override readonly name = "TerraformCommandError";
  constructor(
    message: string,
    /** Arguments passed to terraform. */
    readonly args: readonly string[],
    /** Exit code (null when killed by a signal). */
    readonly exitCode: number | null,
    /** Captured standard output. */
    readonly stdout: string,
    /** Captured standard error. */
    readonly stderr: string,
  ) {
    super(message);
  }
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Resolves the Terraform binary: TERRAFORM_BINARY if set, else `terraform` on PATH. Throws
 * {@link TerraformNotFoundError} with a readable message otherwise.
 */
export function resolveTerraformBinary(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[TERRAFORM_BINARY_ENV_VAR];
  const name = override || "terraform";
  const hasDirectory = name.includes("/") || isAbsolute(name);
  const candidates = hasDirectory
    ? [name]
    : (env.PATH ?? "")
        .split(delimiter)
        .filter((dir) => dir !== "")
        .map((dir) => join(dir, name));
  const found = candidates.find(isExecutableFile);
  if (found) return found;
  throw new TerraformNotFoundError(
    override
      ? `${TERRAFORM_BINARY_ENV_VAR}=${override} is not an executable file.`
      : `terraform not found on PATH. Install Terraform 1.11 (developer.hashicorp.com/terraform/install) or set ${TERRAFORM_BINARY_ENV_VAR} to its path.`,
  );
}

/** Outcome of one Terraform invocation. */
export interface TerraformRun {
  /** Exit code (null when killed by a signal). */
  readonly exitCode: number | null;
  /** Captured standard output. */
  readonly stdout: string;
  /** Captured standard error. */
  readonly stderr: string;
  /** Wall-clock duration in milliseconds. */
  readonly ms: number;
}

/** How runTerraform starts Terraform. */
export interface RunTerraformOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /**
   * Start Terraform in a process group of its own, so that a terminal's ctrl-C reaches only the
   * caller, which decides what Terraform gets (one SIGINT: it stops after the operations under way
   * and writes its state; a second one makes it exit at once).
   */
  readonly ownProcessGroup?: boolean;
  /** Called with the Terraform process once it is started (to signal it). */
  readonly onSpawn?: (child: ChildProcess) => void;
  /**
   * Terraform writes its output to `<outputFiles>.stdout` and `.stderr` instead of pipes (read,
   * then removed, when it ends). A Terraform whose caller is killed (SIGKILL) then goes on to the
   * end of its apply and writes its state; through a pipe it died on the closed pipe in the
   * middle of the apply, with what it had created missing from its state.
   */
  readonly outputFiles?: string;
}

/** Runs `binary args` in `cwd` with exactly `env`, capturing output; never throws on a non-zero exit. */
export function runTerraform(
  binary: string,
  args: readonly string[],
  options: RunTerraformOptions,
): Promise<TerraformRun> {
  const started = performance.now();
  const files = options.outputFiles;
  const stdoutFile = `${files}.stdout`;
  const stderrFile = `${files}.stderr`;
  /** The output written to the files, which are then removed. */
  const readFiles = (): { stdout: string; stderr: string } => {
    const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");
    const output = { stdout: read(stdoutFile), stderr: read(stderrFile) };
    rmSync(stdoutFile, { force: true });
    rmSync(stderrFile, { force: true });
    return output;
  };
  return new Promise((resolvePromise, reject) => {
    let stdio: StdioOptions = ["ignore", "pipe", "pipe"];
    if (files !== undefined) {
      const out = openSync(stdoutFile, "w", 0o600);
      const err = openSync(stderrFile, "w", 0o600);
      stdio = ["ignore", out, err];
    }
    let child: ChildProcess;
    try {
      child = spawn(binary, args, {
        cwd: options.cwd,
        env: options.env,
        stdio,
        detached: options.ownProcessGroup === true,
      });
    } finally {
      // The child has its own copies.
      for (const fd of stdio.slice(1)) if (typeof fd === "number") closeSync(fd);
    }
    options.onSpawn?.(child);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (files !== undefined) readFiles();
      reject(
        error.code === "ENOENT"
          ? new TerraformNotFoundError(`Cannot start Terraform at ${binary}: ${error.message}`)
          : error,
      );
    });
    child.on("close", (exitCode) => {
      const output =
        files !== undefined
          ? readFiles()
          : {
              stdout: Buffer.concat(stdout).toString("utf8"),
              stderr: Buffer.concat(stderr).toString("utf8"),
            };
      resolvePromise({ exitCode, ...output, ms: performance.now() - started });
    });
  });
}
