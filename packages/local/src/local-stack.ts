import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeLeftoversOfDeadProcesses, type TenantConfig } from "@pgforks/config";
import { LocalTenantsStack } from "@pgforks/stacks";
import {
  discoverProviderMirror,
  MirrorNotFoundError,
  type ProviderMirror,
  renderCliConfig,
  resolveTerraformBinary,
  runTerraform,
  type TerraformRun,
} from "@pgforks/terraform-harness";
import { App } from "cdktf";
import { LocalInterruptedError } from "./interrupted";
import { recordLockChild } from "./local-lock";

/** The provider the tenants stacks use (the version @cdktf/provider-postgresql 12.1.1 binds). */
export const POSTGRESQL_PROVIDER_SOURCE = "registry.terraform.io/cyrilgdn/postgresql";
export const POSTGRESQL_PROVIDER_VERSION = "1.26.0";

/** Name of the local stack. */
export const LOCAL_STACK = "local-tenants";

export interface LocalStackInput {
  readonly tenants: readonly TenantConfig[];
  readonly port: number;
  readonly adminRole: string;
  readonly passwordVersions: Readonly<Record<string, string>>;
}

/** Synthesizes the local stack's Terraform JSON (nothing else is kept). */
export function synthesizeLocalStack(input: LocalStackInput): Record<string, unknown> {
  const outdir = mkdtempSync(join(tmpdir(), "pgforks-local-synth-"));
  try {
    const app = new App({ outdir, stackTraces: false });
    new LocalTenantsStack(app, LOCAL_STACK, {
      tenants: input.tenants,
      server: { host: "127.0.0.1", port: input.port },
      adminRole: input.adminRole,
      passwordVersions: input.passwordVersions,
    });
    app.synth();
    return JSON.parse(
      readFileSync(join(outdir, "stacks", LOCAL_STACK, "cdk.tf.json"), "utf8"),
    ) as Record<string, unknown>;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Where the postgresql provider comes from: a filesystem mirror on this machine that holds
 * cyrilgdn/postgresql 1.26.0 (see tools/providers), or else the public registry through plain
 * `terraform init`, as on any machine that reaches it.
 */
export function postgresqlProviderMirror(
  env: NodeJS.ProcessEnv = process.env,
): ProviderMirror | undefined {
  try {
    const mirror = discoverProviderMirror(env);
    const found = mirror.providers.find((p) => p.source === POSTGRESQL_PROVIDER_SOURCE);
    return found?.versions.includes(POSTGRESQL_PROVIDER_VERSION) ? mirror : undefined;
  } catch (error) {
    if (error instanceof MirrorNotFoundError) return undefined;
    throw error;
  }
}

/** The locale of every tenant database (as on RDS), which the local server takes from the OS. */
const LOCALE_REFUSED = /invalid LC_(COLLATE|CTYPE) locale name/;

/** Terraform could not reach a registry for a provider (init, no filesystem mirror). */
const REGISTRY_UNREACHABLE =
  /Failed to query available provider packages|could not connect to registry|Failed to install provider/;

/**
 * What to do about a failed Terraform run of the local stack, when its output shows a cause this
 * machine can fix: the postgresql provider neither in a mirror nor downloadable, or the OS lacking
 * the en_US.UTF-8 locale. Undefined for anything else.
 */
export function localFailureHint(output: string, mirrorFound: boolean): string | undefined {
  if (!mirrorFound && REGISTRY_UNREACHABLE.test(output)) {
    return `Fix: ${POSTGRESQL_PROVIDER_SOURCE} ${POSTGRESQL_PROVIDER_VERSION} is in no provider mirror on this machine and terraform init could not download it: run bash tools/providers/install.sh (or set PGFORKS_TF_MIRROR to a filesystem mirror that holds it), then npm start again.`;
  }
  if (LOCALE_REFUSED.test(output)) {
    return "Fix: the OS lacks the en_US.UTF-8 locale that every tenant database uses (as on RDS): generate it (Debian: install the locales package, enable en_US.UTF-8 in /etc/locale.gen, run locale-gen), then npm run local -- stop and npm start (the server sees new locales only when it starts).";
  }
  return undefined;
}

/** Signals closer together than this are one ctrl-C press (LocalTerraform.interrupt). */
const PRESS_MS = 500;

/** Output files of one Terraform run (runTerraform's outputFiles): `terraform-<pid>-<run>.stdout`, `.stderr`. */
const OUTPUT_FILES = /^terraform-(\d+)-\d+\.(?:stdout|stderr)$/;

/** Terraform runs started by this process, for their output files' names. */
let runCount = 0;

/** A Terraform working directory for the local stack, with the variables it needs. */
export class LocalTerraform {
  private readonly binary: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly mirrorFound: boolean;
  /** The Terraform process running now, if any. */
  private running: ChildProcess | undefined;
  /** The signal that stopped this working directory's runs (interrupt()). */
  private interruptedBy: NodeJS.Signals | undefined;
  /** Ctrl-C presses so far, the last one's time, and whether Terraform was stopped at once. */
  private presses = 0;
  private lastPress: number | undefined;
  private forced = false;

  constructor(
    /** Working directory: cdk.tf.json, .terraform, the lock file and the state live here. */
    readonly dir: string,
    secrets: {
      readonly adminPassword: string;
      readonly verifiers: Readonly<Record<string, string>>;
    },
    baseEnv: NodeJS.ProcessEnv = process.env,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.binary = resolveTerraformBinary(baseEnv);
    const mirror = postgresqlProviderMirror(baseEnv);
    this.mirrorFound = mirror !== undefined;
    const cliConfig: NodeJS.ProcessEnv = {};
    if (mirror) {
      const file = join(dir, "terraform.tfrc");
      writeFileSync(file, renderCliConfig({ mirror }));
      cliConfig.TF_CLI_CONFIG_FILE = file;
    }
    this.env = {
      ...baseEnv,
      ...cliConfig,
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
      CHECKPOINT_DISABLE: "1",
      // Ephemeral input variables: Terraform keeps them out of state and plan files.
      TF_VAR_admin_password: secrets.adminPassword,
      TF_VAR_tenant_password_verifiers: JSON.stringify(secrets.verifiers),
    };
  }

  /** Writes the configuration (the stack's JSON, as synthesized). */
  writeConfig(stack: Record<string, unknown>): void {
    writeFileSync(join(this.dir, "cdk.tf.json"), `${JSON.stringify(stack, null, 2)}\n`);
  }

  /**
   * Stops Terraform as ctrl-C in its own terminal would: the running command gets one SIGINT
   * (Terraform then finishes the operations under way, writes its state and exits; it does not
   * cancel them, so an operation waiting on a lock keeps it waiting), and no further command
   * starts: each run() then throws LocalInterruptedError. Terraform runs in a process group of its
   * own, so a terminal's ctrl-C reaches only this process, which passes it on through here.
   * A second press returns the line to print (how to stop at once); a third one passes Terraform
   * its second SIGINT, on which it exits at once, and what it applied last may then be missing
   * from its state. Signals within PRESS_MS of the previous one are the same press (npm may pass
   * the terminal's ctrl-C on once more).
   */
  interrupt(signal: NodeJS.Signals, now = Date.now()): string | undefined {
    if (this.lastPress !== undefined && now - this.lastPress < PRESS_MS) return undefined;
    this.lastPress = now;
    this.presses += 1;
    if (this.presses === 1) {
      this.interruptedBy = signal;
      this.running?.kill("SIGINT");
      return undefined;
    }
    if (!this.running || this.presses > 3) return undefined;
    if (this.presses === 2) {
      return "local: waiting for Terraform to finish the changes under way and record them in its state; ctrl-C again stops it at once (what it applied last may then be missing from its state)";
    }
    this.forced = true;
    this.running.kill("SIGINT");
    return undefined;
  }

  /** Runs terraform with the given arguments; throws with its output when the exit code is not allowed. */
  async run(
    args: readonly string[],
    allowedExitCodes: readonly number[] = [0],
  ): Promise<TerraformRun> {
    const command = args[0] ?? "";
    // Interrupted before this command started (between two runs): it never ran, so nothing was
    // changed, whatever the command (an apply not started is not "during terraform apply").
    if (this.interruptedBy) throw new LocalInterruptedError(this.interruptedBy, "", this.dir);
    // Output files of runs whose npm start was killed (their Terraform went on alone and ended).
    removeLeftoversOfDeadProcesses(this.dir, OUTPUT_FILES);
    let forget = () => {};
    const result = await runTerraform(this.binary, [...args], {
      cwd: this.dir,
      env: this.env,
      ownProcessGroup: true,
      // Not pipes: a Terraform whose npm start is killed goes on to the end of its apply.
      outputFiles: join(this.dir, `terraform-${process.pid}-${++runCount}`),
      onSpawn: (child) => {
        this.running = child;
        // A Terraform outliving a killed npm start keeps .local's lock taken until it ends.
        forget = recordLockChild(child.pid);
      },
    }).finally(() => {
      this.running = undefined;
      forget();
    });
    if (this.interruptedBy) {
      throw new LocalInterruptedError(this.interruptedBy, command, this.dir, this.forced);
    }
    if (!allowedExitCodes.includes(result.exitCode ?? -1)) {
      const output = `${result.stdout}${result.stderr}`;
      const hint = localFailureHint(output, this.mirrorFound);
      throw new Error(
        `terraform ${args.join(" ")} failed (exit ${result.exitCode}) in ${this.dir}:\n${output}${hint ? `\n${hint}` : ""}`,
      );
    }
    return result;
  }

  init(): Promise<TerraformRun> {
    return this.run(["init", "-input=false", "-no-color"]);
  }

  apply(): Promise<TerraformRun> {
    return this.run(["apply", "-auto-approve", "-input=false", "-no-color"]);
  }

  /** `terraform plan -detailed-exitcode`: 0 no changes, 2 changes. */
  async planExitCode(): Promise<{ code: number; output: string }> {
    const result = await this.run(
      ["plan", "-detailed-exitcode", "-input=false", "-no-color"],
      [0, 2],
    );
    return { code: result.exitCode ?? -1, output: result.stdout };
  }
}

/** "Apply complete! Resources: 0 added, 0 changed, 0 destroyed." as "0 to add, 0 to change, 0 to destroy". */
export function applySummary(stdout: string): string {
  const match = /Resources: (\d+) added, (\d+) changed, (\d+) destroyed/.exec(stdout);
  if (!match) return "apply finished (no summary line)";
  return `${match[1]} to add, ${match[2]} to change, ${match[3]} to destroy`;
}

/**
 * Why real applies cannot run on this machine, or undefined when they can: Terraform on PATH, and
 * cyrilgdn/postgresql 1.26.0 in a filesystem mirror (tools/providers/install.sh) or, where the
 * public registry is reachable, PGFORKS_TF_REGISTRY=1 to let `terraform init` download it.
 */
export function realApplyUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    resolveTerraformBinary(env);
  } catch {
    return "terraform is not on PATH";
  }
  if (postgresqlProviderMirror(env) || env.PGFORKS_TF_REGISTRY === "1") return undefined;
  return `${POSTGRESQL_PROVIDER_SOURCE} ${POSTGRESQL_PROVIDER_VERSION} is in no provider mirror (run tools/providers/install.sh, or set PGFORKS_TF_REGISTRY=1 where the registry is reachable)`;
}
