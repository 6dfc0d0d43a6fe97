import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { writeCliConfig } from "./cli-config";
import {
  type ChangeSummary,
  type Diagnostic,
  type PlanJson,
  summarizePlan,
  type ValidateJson,
} from "./json-output";
import { discoverProviderMirror, type ProviderMirror } from "./mirror";
import {
  assertOfflineAllowed,
  CLOSED_PROXY_URL,
  OfflineModeRefusedError,
  offlineEnvironment,
  rewriteForOffline,
} from "./offline";
import type { ProviderSchemas } from "./provider-schema";
import { DEFAULT_OUTDIR, DEFAULT_WORK_DIR, findRepoRoot } from "./repo";
import { listStacks, readStackConfig, type StackInfo, type TerraformJson } from "./stacks";
import {
  resolveTerraformBinary,
  runTerraform,
  TerraformCommandError,
  TerraformNotFoundError,
  type TerraformRun,
} from "./terraform";

/** Name of the CLI config file the harness writes in its work dir. */
export const CLI_CONFIG_FILE_NAME = "terraform.tfrc";
/** Local state file of each offline copy. */
export const STATE_FILE_NAME = "terraform.tfstate";
/** Saved plan of each offline copy. */
export const PLAN_FILE_NAME = "plan.tfplan";
/** Synthesized configuration file name (cdktf). */
export const STACK_FILE_NAME = "cdk.tf.json";

/**
 * File name of cached provider schemas: a hash of `key` (the providers' lock file, with versions
 * and package hashes, and the configuration's type prefixes) and of the Terraform binary (path,
 * size, modification time), whose version decides the schema format.
 */
export function schemaCacheName(key: string, terraformBinary: string): string {
  const binary = statSync(terraformBinary);
  return `provider-schemas-${createHash("sha256")
    .update(key)
    .update(`\0${realpathSync(terraformBinary)}\0${binary.size}\0${binary.mtimeMs}`)
    .digest("hex")
    .slice(0, 24)}.json`;
}

/** The blocks of a configuration that name a type, with where the schemas describe that type. */
const TYPED_BLOCKS = [
  ["resource", "resource_schemas"],
  ["data", "data_source_schemas"],
  ["ephemeral", "ephemeral_resource_schemas"],
] as const;

/** The types a configuration declares, by block. */
function declaredTypes(config: TerraformJson): Array<[(typeof TYPED_BLOCKS)[number], string]> {
  return TYPED_BLOCKS.flatMap((block) =>
    Object.keys((config[block[0]] ?? {}) as Record<string, unknown>).map(
      (type) => [block, type] as [(typeof TYPED_BLOCKS)[number], string],
    ),
  );
}

/** The distinct provider prefixes of a configuration's types (`aws`, `postgresql`, `terraform`), sorted. */
function typePrefixes(config: TerraformJson): string[] {
  return [...new Set(declaredTypes(config).map(([, type]) => type.split("_")[0] ?? type))].sort();
}

/** True when some provider of `schemas` describes every type `config` declares. */
function describesEveryType(schemas: ProviderSchemas, config: TerraformJson): boolean {
  const providers = Object.values(schemas.provider_schemas ?? {}) as Array<
    Record<string, Record<string, unknown> | undefined>
  >;
  return declaredTypes(config).every(([[, field], type]) =>
    providers.some((provider) => provider[field]?.[type] !== undefined),
  );
}

/** Options of {@link TerraformHarness}. */
export interface TerraformHarnessOptions {
  /** Synthesized cdktf outdir (read only, never modified). Default: `<repo root>/cdktf.out`. */
  readonly outdir?: string;
  /** Where offline copies, state, plans and the CLI config go. Default: `<repo root>/.harness`. */
  readonly workDir?: string;
  /** Provider mirror. Default: {@link discoverProviderMirror}(env). */
  readonly mirror?: ProviderMirror;
  /** Base environment for Terraform (then made offline). Default: `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Terraform plugin cache directory, or false for none. Default: `<workDir>/plugin-cache` when
   * the mirror has packed (.zip) packages, none for an unpacked mirror (Terraform symlinks it).
   */
  readonly pluginCacheDir?: string | false;
  /**
   * Where `terraform providers schema -json` is kept between runs, or false to keep it only in
   * this harness. Keyed by the providers' lock file (versions and package hashes) and the
   * Terraform binary, so the same providers are never asked twice (about 7 s and 14 MB for
   * hashicorp/aws). Default: `<repo root>/node_modules/.cache/pgforks-terraform`.
   */
  readonly schemaCacheDir?: string | false;
}

/** Milliseconds spent per Terraform step (absent: the step did not run in this call). */
export interface StepTimings {
  /** `terraform init` (copy, rewrite and init; skipped when the copy is already initialised). */
  init?: number;
  /** `terraform validate -json`. */
  validate?: number;
  /** `terraform plan -out`. */
  plan?: number;
  /** `terraform show -json`. */
  show?: number;
}

/** A diagnostic with where it came from in the cdktf app. */
export interface LocatedDiagnostic extends Diagnostic {
  /** cdktf construct path of the block ("prod-platform/database/instance"), when known. */
  readonly constructPath?: string;
  /** "<file>:<line>:<column>" in the offline copy, when known. */
  readonly location?: string;
}

/** Result of {@link TerraformHarness.validate}. */
export interface ValidateResult {
  readonly stack: string;
  readonly valid: boolean;
  readonly errorCount: number;
  readonly warningCount: number;
  readonly diagnostics: readonly LocatedDiagnostic[];
  readonly timings: StepTimings;
}

/** Options of {@link TerraformHarness.plan}. */
export interface PlanOptions {
  /** Terraform state (v4 JSON) to plan against; written as the local state first. Default: empty state. */
  readonly priorState?: object;
}

/** Result of {@link TerraformHarness.plan}. */
export interface PlanResult {
  readonly stack: string;
  /** `terraform show -json` of the saved plan. */
  readonly plan: PlanJson;
  readonly changes: ChangeSummary;
  /** Absolute path of the saved plan file. */
  readonly planFile: string;
  readonly timings: StepTimings;
}

/** Outcome of one stack: passed (validate and plan succeeded), failed, or not validated at all. */
export type StackStatus = "passed" | "failed" | "not-validated";

/** Result of {@link TerraformHarness.check}. */
export interface StackReport {
  readonly stack: string;
  readonly status: StackStatus;
  /** Why the stack was not validated ("provider unavailable offline (...)"). */
  readonly reason?: string;
  /** Validate outcome, when it ran. */
  readonly validate?: ValidateResult;
  /** Plan change counts, when the plan ran. */
  readonly changes?: ChangeSummary;
  /** Why no offline plan was made although validate passed (the stack needs a live server). */
  readonly planNotOffline?: string;
  /** Failure message (validate errors or a failed Terraform command). */
  readonly error?: string;
  readonly timings: StepTimings;
  /** Wall-clock milliseconds of the whole check. */
  readonly totalMs: number;
}

/**
 * Providers whose resources can only be planned against a live server: the postgresql provider
 * reads every resource from the database at plan time, so an offline plan would only show a
 * connection error. Such stacks are validated here and applied for real by @pgforks/local's tests.
 */
export const LIVE_ONLY_PROVIDERS = ["registry.terraform.io/cyrilgdn/postgresql"] as const;

/** Why `stack` cannot be planned offline although it validates (a live-only provider), if so. */
export function liveOnlyProviders(stack: StackInfo): string | undefined {
  const live = stack.requiredProviders.filter((p) =>
    (LIVE_ONLY_PROVIDERS as readonly string[]).includes(p.source),
  );
  if (live.length === 0) return undefined;
  return `needs a live database (${live.map((p) => p.source.split("/").slice(1).join("/")).join(", ")}); real applies run in @pgforks/local`;
}

/** Raised for a stack name the outdir does not contain, or one that cannot run offline. */
export class StackNotRunnableError extends Error {
  override readonly name = "StackNotRunnableError";
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Splits "resource.aws_vpc.this", "data.aws_x.y" or "aws_vpc.this[0]" into block, type and name. */
function blockOf(reference: string): { block: string; type: string; name: string } | undefined {
  const parts = reference.replace(/\[[^\]]*\]/g, "").split(".");
  if (parts[0] === "module") return undefined;
  const [first, second, third] = parts;
  if ((first === "resource" || first === "data") && second && third) {
    return { block: first, type: second, name: third };
  }
  if (first && second && parts.length === 2)
    return { block: "resource", type: first, name: second };
  return undefined;
}

/** cdktf construct path of the block a diagnostic points at, from the "//" metadata cdktf writes. */
export function constructPathOf(config: TerraformJson, diagnostic: Diagnostic): string | undefined {
  const reference = diagnostic.address ?? diagnostic.snippet?.context ?? undefined;
  if (!reference) return undefined;
  const target = blockOf(reference);
  if (!target) return undefined;
  const block = asRecord(asRecord(asRecord(config[target.block])?.[target.type])?.[target.name]);
  const path = asRecord(asRecord(block?.["//"])?.metadata)?.path;
  return typeof path === "string" ? path : undefined;
}

/**
 * Why a diagnostic is a limit of planning offline rather than a fault of the configuration, in
 * one line, or undefined: a provider that tried to reach AWS while planning (every request goes
 * to the closed proxy {@link CLOSED_PROXY_URL}). The aws provider does so for an existing
 * aws_instance whose launch_template version changes (a changed launch template, e.g. the
 * bastion's tags or user data): it compares the version with the running instance's, and a
 * different version replaces the instance.
 */
export function offlineLimitHint(diagnostic: Diagnostic): string | undefined {
  const text = `${diagnostic.summary}\n${diagnostic.detail ?? ""}`;
  if (!text.includes(new URL(CLOSED_PROXY_URL).host)) return undefined;
  const address = diagnostic.address ?? diagnostic.snippet?.context ?? "";
  const launchTemplate = /(^|\.)aws_instance\./.test(address) && /launch template/i.test(text);
  return launchTemplate
    ? "offline: not a configuration error. The instance's launch template gets a new version, which the aws provider checks against the running instance on AWS (a different version replaces the instance); this cannot be planned offline, only against AWS (the pull request's plan)."
    : "offline: not a configuration error. The provider asked AWS for something while planning this resource, which the offline harness blocks; this change can only be planned against AWS (the pull request's plan).";
}

/**
 * A diagnostic for people: "error: <summary>", then where (construct path, address, file:line:col
 * of the offline copy), then Terraform's detail, then why it is a limit of planning offline when
 * it is one ({@link offlineLimitHint}).
 */
export function formatDiagnostic(diagnostic: LocatedDiagnostic): string {
  const address = diagnostic.address ?? diagnostic.snippet?.context ?? undefined;
  const where = [
    diagnostic.constructPath ? `construct ${diagnostic.constructPath}` : undefined,
    address ? `(${address})` : undefined,
    diagnostic.location ? `at ${diagnostic.location}` : undefined,
  ].filter((part) => part !== undefined);
  const lines = [`${diagnostic.severity}: ${diagnostic.summary}`];
  if (where.length > 0) lines.push(`  ${where.join(" ")}`);
  if (diagnostic.detail) lines.push(...diagnostic.detail.split("\n").map((line) => `  ${line}`));
  const hint = offlineLimitHint(diagnostic);
  if (hint) lines.push(`  ${hint}`);
  return lines.join("\n");
}

/** A path relative to the current directory when it lies below it, else absolute. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

function isSetupError(error: unknown): boolean {
  return error instanceof TerraformNotFoundError || error instanceof OfflineModeRefusedError;
}

/**
 * Runs real Terraform on synthesized stacks, offline: each stack's cdk.tf.json is copied into the
 * work dir and rewritten there (local backend, fake AWS credentials), Terraform gets the harness's
 * own CLI config (filesystem mirror only) and an environment that cannot reach AWS. The outdir is
 * only ever read.
 */
export class TerraformHarness {
  /** Absolute cdktf outdir. */
  readonly outdir: string;
  /** Absolute work dir. */
  readonly workDir: string;
  /** The provider mirror in use. */
  readonly mirror: ProviderMirror;
  /** The CLI config file passed to Terraform as TF_CLI_CONFIG_FILE. */
  readonly cliConfigFile: string;
  /** Environment every Terraform child process gets. */
  readonly childEnv: NodeJS.ProcessEnv;
  private readonly baseEnv: NodeJS.ProcessEnv;
  private readonly pluginCacheDir: string | undefined;
  private readonly schemaCacheDir: string | undefined;
  private binary: string | undefined;
  private cliConfigWritten = false;
  /** Hash of the offline copy each stack's work dir was initialised with. */
  private readonly initialised = new Map<string, string>();
  /** `terraform providers schema -json`, per provider lock file content (same providers, same schemas). */
  private readonly schemas = new Map<string, Promise<ProviderSchemas>>();

  constructor(options: TerraformHarnessOptions = {}) {
    const root = findRepoRoot();
    this.outdir = resolve(options.outdir ?? join(root, DEFAULT_OUTDIR));
    this.workDir = resolve(options.workDir ?? join(root, DEFAULT_WORK_DIR));
    this.baseEnv = options.env ?? process.env;
    assertOfflineAllowed({ workDir: this.workDir, outdir: this.outdir, env: this.baseEnv });
    this.mirror = options.mirror ?? discoverProviderMirror(this.baseEnv);
    this.cliConfigFile = join(this.workDir, CLI_CONFIG_FILE_NAME);
    this.pluginCacheDir =
      options.pluginCacheDir === false
        ? undefined
        : (options.pluginCacheDir ??
          (this.mirror.hasPackedPackages ? join(this.workDir, "plugin-cache") : undefined));
    this.schemaCacheDir =
      options.schemaCacheDir === false
        ? undefined
        : (options.schemaCacheDir ?? join(root, "node_modules", ".cache", "pgforks-terraform"));
    this.childEnv = offlineEnvironment(this.baseEnv, { cliConfigFile: this.cliConfigFile });
  }

  /** The stacks of the outdir with their providers and offline availability, in manifest order. */
  stacks(): StackInfo[] {
    return listStacks(this.outdir, this.mirror);
  }

  /** One stack by name; throws listing the known names. */
  stack(name: string): StackInfo {
    const stacks = this.stacks();
    const found = stacks.find((stack) => stack.name === name);
    if (!found) {
      throw new StackNotRunnableError(
        `No stack "${name}" in ${this.outdir} (stacks: ${stacks.map((s) => s.name).join(", ") || "none"}).`,
      );
    }
    return found;
  }

  /** Work dir of one stack's offline copy. */
  stackWorkDir(name: string): string {
    // The name becomes a directory that prepare() empties: never let it escape the work dir.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      throw new StackNotRunnableError(`Stack name "${name}" is not a plain directory name.`);
    }
    return join(this.workDir, name);
  }

  /**
   * Copies the stack into its work dir, rewrites the copy for offline use and runs
   * `terraform init`. Skipped when the same copy is already initialised by this harness.
   */
  async prepare(
    name: string,
  ): Promise<{ dir: string; config: TerraformJson; timings: StepTimings }> {
    const stack = this.stack(name);
    if (!stack.offline.runnable) {
      throw new StackNotRunnableError(`${name}: not validated: ${stack.offline.reason}`);
    }
    this.ensureCliConfig();
    const dir = this.stackWorkDir(name);
    const config = rewriteForOffline(readStackConfig(stack.file), {
      statePath: join(dir, STATE_FILE_NAME),
      remoteStatePath: (_name, backend, remote) => this.remoteStatePath(backend, remote),
    });
    const text = `${JSON.stringify(config, null, 2)}\n`;
    const hash = createHash("sha256").update(text).digest("hex");
    const configFile = join(dir, STACK_FILE_NAME);
    if (this.initialised.get(name) === hash && existsSync(configFile)) {
      return { dir, config, timings: {} };
    }
    this.resetStackWorkDir(dir);
    // Copy the whole stack directory (assets are referenced relative to it), minus Terraform's own state.
    cpSync(stack.dir, dir, {
      recursive: true,
      filter: (source) =>
        !/^(\.terraform|.*\.tfstate.*|\.terraform\.lock\.hcl)$/.test(basename(source)),
    });
    writeFileSync(configFile, text);
    const init = await this.terraform(name, ["init", "-input=false", "-no-color", "-reconfigure"]);
    this.initialised.set(name, hash);
    return { dir, config, timings: { init: init.ms } };
  }

  /** `terraform validate -json` on the offline copy; diagnostics carry construct paths. */
  async validate(name: string): Promise<ValidateResult> {
    const { dir, config, timings } = await this.prepare(name);
    const run = await this.terraform(name, ["validate", "-json", "-no-color"], {
      allowFailure: true,
    });
    let parsed: ValidateJson;
    try {
      parsed = JSON.parse(run.stdout) as ValidateJson;
    } catch {
      throw new TerraformCommandError(
        `${name}: terraform validate did not print JSON (exit ${run.exitCode}): ${run.stderr.trim()}`,
        ["validate", "-json"],
        run.exitCode,
        run.stdout,
        run.stderr,
      );
    }
    return {
      stack: name,
      valid: parsed.valid,
      errorCount: parsed.error_count,
      warningCount: parsed.warning_count,
      diagnostics: parsed.diagnostics.map((diagnostic) => this.locate(diagnostic, config, dir)),
      timings: { ...timings, validate: run.ms },
    };
  }

  /**
   * `terraform plan -out=plan.tfplan -input=false -refresh=false -lock=false` on the offline copy,
   * then `terraform show -json` of the saved plan.
   */
  async plan(name: string, options: PlanOptions = {}): Promise<PlanResult> {
    const { dir, config, timings } = await this.prepare(name);
    const statePath = join(dir, STATE_FILE_NAME);
    const planFile = join(dir, PLAN_FILE_NAME);
    rmSync(planFile, { force: true });
    rmSync(`${statePath}.backup`, { force: true });
    if (options.priorState !== undefined) {
      writeFileSync(statePath, JSON.stringify(options.priorState, null, 2));
    } else {
      rmSync(statePath, { force: true });
    }
    const planRun = await this.terraform(
      name,
      [
        "plan",
        `-out=${PLAN_FILE_NAME}`,
        "-input=false",
        "-refresh=false",
        "-lock=false",
        "-no-color",
        "-json",
      ],
      { allowFailure: true },
    );
    if (planRun.exitCode !== 0) {
      const diagnostics = planDiagnostics(planRun.stdout).map((d) => this.locate(d, config, dir));
      const details = diagnostics.length
        ? diagnostics.map(formatDiagnostic).join("\n")
        : planRun.stderr.trim() || planRun.stdout.trim();
      throw new TerraformCommandError(
        `${name}: terraform plan failed:\n${details}`,
        ["plan"],
        planRun.exitCode,
        planRun.stdout,
        planRun.stderr,
      );
    }
    const showRun = await this.terraform(name, ["show", "-json", "-no-color", PLAN_FILE_NAME]);
    const plan = JSON.parse(showRun.stdout) as PlanJson;
    return {
      stack: name,
      plan,
      changes: summarizePlan(plan),
      planFile,
      timings: { ...timings, plan: planRun.ms, show: showRun.ms },
    };
  }

  /**
   * `terraform providers schema -json` in the initialised work dir of `name` (default: the first
   * stack that can run offline). Runs once per set of providers (the stack's dependency lock
   * file) and is cached by this harness: the output is ~14 MB for hashicorp/aws.
   */
  async providerSchemas(name?: string): Promise<ProviderSchemas> {
    const stack = name ?? this.stacks().find((candidate) => candidate.offline.runnable)?.name;
    if (stack === undefined) {
      throw new StackNotRunnableError(`No stack in ${this.outdir} can run offline.`);
    }
    const { dir } = await this.prepare(stack);
    const lockFile = join(dir, ".terraform.lock.hcl");
    const config = readStackConfig(join(dir, STACK_FILE_NAME));
    // Built-in providers (terraform_data, terraform_remote_state) are in no lock file, and
    // Terraform lists only the providers a configuration uses: the type prefixes are in the key.
    const key = `${existsSync(lockFile) ? readFileSync(lockFile, "utf8") : stack}\0${typePrefixes(config).join(",")}`;
    let schemas = this.schemas.get(key);
    if (!schemas) {
      schemas = this.cachedSchemas(stack, key, config);
      // A failed run is not cached: the next call tries again.
      schemas.catch(() => this.schemas.delete(key));
      this.schemas.set(key, schemas);
    }
    return schemas;
  }

  /**
   * The schemas from {@link TerraformHarnessOptions.schemaCacheDir} when they are there (an
   * unreadable or torn file counts as absent), else from Terraform, then kept there. Written
   * through a temporary file and a rename: concurrent harnesses never read a partial file.
   */
  private async cachedSchemas(
    stack: string,
    key: string,
    config: TerraformJson,
  ): Promise<ProviderSchemas> {
    this.binary ??= resolveTerraformBinary(this.baseEnv);
    const file =
      this.schemaCacheDir && join(this.schemaCacheDir, schemaCacheName(key, this.binary));
    if (file && existsSync(file)) {
      try {
        const cached = JSON.parse(readFileSync(file, "utf8")) as ProviderSchemas;
        // A file that lacks a type of this configuration is stale: asked again, rewritten.
        if (describesEveryType(cached, config)) return cached;
      } catch {
        // Rewritten below.
      }
    }
    const run = await this.terraform(stack, ["providers", "schema", "-json"]);
    const schemas = JSON.parse(run.stdout) as ProviderSchemas;
    if (file) {
      mkdirSync(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, run.stdout);
      renameSync(temporary, file);
    }
    return schemas;
  }

  /** Validate then plan one stack, as a report; never counts an unrunnable stack as passed. */
  async check(name: string): Promise<StackReport> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    const stack = this.stack(name);
    if (!stack.offline.runnable) {
      return {
        stack: name,
        status: "not-validated",
        reason: stack.offline.reason,
        timings: {},
        totalMs: elapsed(),
      };
    }
    let timings: StepTimings = {};
    let validate: ValidateResult | undefined;
    try {
      validate = await this.validate(name);
      timings = { ...validate.timings };
      if (!validate.valid) {
        const errors = validate.diagnostics.filter((d) => d.severity === "error");
        return {
          stack: name,
          status: "failed",
          validate,
          error: errors.map(formatDiagnostic).join("\n"),
          timings,
          totalMs: elapsed(),
        };
      }
      const live = liveOnlyProviders(stack);
      if (live) {
        return {
          stack: name,
          status: "passed",
          validate,
          planNotOffline: live,
          timings,
          totalMs: elapsed(),
        };
      }
      const plan = await this.plan(name);
      timings = { ...timings, plan: plan.timings.plan, show: plan.timings.show };
      return {
        stack: name,
        status: "passed",
        validate,
        changes: plan.changes,
        timings,
        totalMs: elapsed(),
      };
    } catch (error) {
      if (isSetupError(error)) throw error;
      return {
        stack: name,
        status: "failed",
        ...(validate ? { validate } : {}),
        error: error instanceof Error ? error.message : String(error),
        timings,
        totalMs: elapsed(),
      };
    }
  }

  /** {@link check} for each named stack (default: all), sequentially (each provider process takes ~1 GB). */
  async checkAll(
    names: readonly string[] = this.stacks().map((stack) => stack.name),
    onReport?: (report: StackReport) => void,
  ): Promise<StackReport[]> {
    const reports: StackReport[] = [];
    for (const name of names) {
      const report = await this.check(name);
      onReport?.(report);
      reports.push(report);
    }
    return reports;
  }

  private ensureCliConfig(): void {
    if (this.cliConfigWritten) return;
    mkdirSync(this.workDir, { recursive: true });
    writeCliConfig(this.cliConfigFile, {
      mirror: this.mirror,
      ...(this.pluginCacheDir !== undefined ? { pluginCacheDir: this.pluginCacheDir } : {}),
    });
    this.cliConfigWritten = true;
  }

  /** A cross-stack terraform_remote_state reads the offline state of the stack whose backend it names. */
  private remoteStatePath(backend: string, remote: Record<string, unknown>): string | undefined {
    if (backend !== "s3") return undefined;
    for (const stack of this.stacks()) {
      const s3 = asRecord(asRecord(asRecord(readStackConfig(stack.file).terraform)?.backend)?.s3);
      if (s3 && s3.bucket === remote.bucket && s3.key === remote.key) {
        return join(this.stackWorkDir(stack.name), STATE_FILE_NAME);
      }
    }
    return undefined;
  }

  private resetStackWorkDir(dir: string): void {
    mkdirSync(dir, { recursive: true });
    for (const entry of readdirSync(dir)) {
      // Keep .terraform: its provider symlinks make a re-init fast.
      if (entry !== ".terraform") rmSync(join(dir, entry), { recursive: true, force: true });
    }
  }

  private locate(diagnostic: Diagnostic, config: TerraformJson, dir: string): LocatedDiagnostic {
    const constructPath = constructPathOf(config, diagnostic);
    const range = diagnostic.range;
    const location = range
      ? `${displayPath(join(dir, range.filename))}:${range.start.line}:${range.start.column}`
      : undefined;
    return {
      ...diagnostic,
      ...(constructPath ? { constructPath } : {}),
      ...(location ? { location } : {}),
    };
  }

  private async terraform(
    name: string,
    args: readonly string[],
    options: { allowFailure?: boolean } = {},
  ): Promise<TerraformRun> {
    this.binary ??= resolveTerraformBinary(this.baseEnv);
    const run = await runTerraform(this.binary, args, {
      cwd: this.stackWorkDir(name),
      env: this.childEnv,
    });
    if (run.exitCode !== 0 && !options.allowFailure) {
      throw new TerraformCommandError(
        `${name}: terraform ${args[0]} failed (exit ${run.exitCode}):\n${(run.stderr || run.stdout).trim()}`,
        args,
        run.exitCode,
        run.stdout,
        run.stderr,
      );
    }
    return run;
  }
}

/** Error and warning diagnostics from the JSON lines of `terraform plan -json`. */
export function planDiagnostics(stdout: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const message = JSON.parse(line) as { type?: string; diagnostic?: Diagnostic };
      if (message.type === "diagnostic" && message.diagnostic) diagnostics.push(message.diagnostic);
    } catch {
      // Not a JSON UI message.
    }
  }
  return diagnostics;
}
