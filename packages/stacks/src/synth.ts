import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import {
  ConfigError,
  crossEnvironmentWarnings,
  deferSignals,
  environmentNames,
  environmentsDir,
  FileSystemError,
  isErrnoError,
  isProcessAlive,
  type LoadedEnvironment,
  listWithCount,
  loadEnvironments,
  MAX_LISTED_ITEMS,
  ownerlessLockLeft,
  processStartTime,
  removeLeftoversOfDeadProcesses,
  TIERS,
  takeLockFolder,
} from "@pgforks/config";
import {
  isTenantManifestSource,
  manifestProblems,
  TENANT_MANIFEST_FILE,
  TENANT_MANIFEST_VERSION,
  type TenantManifest,
} from "@pgforks/tenants";
import { App, TerraformStack } from "cdktf";
import { composeEnvironment } from "./compose";
import { skipStackTraceCapture, stackTracesRequested } from "./stack-traces";

/** The synthesized Terraform JSON of one stack, as cdktf writes it. */
export interface StackJson {
  readonly terraform?: Record<string, unknown>;
  readonly provider?: Record<string, unknown>;
  readonly resource?: Record<string, Record<string, unknown>>;
  readonly data?: Record<string, Record<string, unknown>>;
  readonly ephemeral?: Record<string, Record<string, unknown>>;
  readonly output?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

function newApp(outdir: string): App {
  skipTerraformVersionProbe();
  // stackTraces off: smaller JSON and a faster synth; the construct path stays in metadata.
  return new App({ outdir, stackTraces: stackTracesRequested() });
}

/**
 * cdktf checks the Terraform binary for some constructs (terraform_data needs >= 1.4) by
 * spawning `terraform version` through a shell once per stack at synth (about 0.1 s each).
 * Every stack already pins `required_version` (REQUIRED_TERRAFORM_VERSION, >= 1.11), which
 * Terraform itself enforces at init, plan and apply; so synth needs no Terraform binary.
 */
function skipTerraformVersionProbe(): void {
  const probe = require("cdktf/lib/validations/validate-terraform-version") as {
    ValidateTerraformVersion: { prototype: { validate: () => string[] } };
  };
  probe.ValidateTerraformVersion.prototype.validate = () => [];
}

/** Reads every stack under `<outdir>/stacks`. */
export function readSynthesizedStacks(outdir: string): Record<string, StackJson> {
  const stacksDir = join(outdir, "stacks");
  const out: Record<string, StackJson> = {};
  for (const name of readdirSync(stacksDir).sort()) {
    out[name] = JSON.parse(readFileSync(join(stacksDir, name, "cdk.tf.json"), "utf8")) as StackJson;
  }
  return out;
}

/**
 * Writes `stacks/<stack>/pgforks-manifest.json` beside each synthesized stack: which tenant each
 * Terraform address of the tenant footprint belongs to, and as what (the plan review reads it
 * instead of guessing from attributes). Throws when an address it would write is not in the
 * stack, so the manifest never names a resource the stack does not have. `stacks`: the
 * synthesized JSON by stack name (readSynthesizedStacks of `dir`).
 */
export function writeTenantManifests(
  app: App,
  dir: string,
  stacks: Readonly<Record<string, StackJson>>,
): Record<string, TenantManifest> {
  const manifests: Record<string, TenantManifest> = {};
  for (const stack of app.node.children.filter((c) => c instanceof TerraformStack)) {
    const name = stack.node.id;
    const json = stacks[name];
    if (json === undefined) continue;
    const resources = stack.node
      .findAll()
      .flatMap((c) => (isTenantManifestSource(c) ? c.tenantManifestEntries() : []));
    const problems = manifestProblems(resources, json);
    if (problems.length > 0) {
      throw new Error(
        `${name}: the tenant footprint does not match the stack: ${problems.join("; ")}`,
      );
    }
    const manifest: TenantManifest = { version: TENANT_MANIFEST_VERSION, stack: name, resources };
    const file = join(dir, "stacks", name, TENANT_MANIFEST_FILE);
    writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
    manifests[name] = manifest;
  }
  return manifests;
}

/**
 * Synthesizes environments (composeEnvironment each) into `dir`, writes each stack's
 * pgforks-manifest.json and returns the stacks' JSON.
 */
export function synthesizeInto(
  dir: string,
  loaded: readonly LoadedEnvironment[],
): Record<string, StackJson> {
  const app = newApp(dir);
  for (const env of loaded) composeEnvironment(app, env);
  app.synth();
  // Read once: the manifests are checked against the same JSON the caller gets.
  const stacks = readSynthesizedStacks(dir);
  writeTenantManifests(app, dir, stacks);
  return stacks;
}

/** Reads `stacks/<stack>/pgforks-manifest.json` of every stack that has one. */
export function readTenantManifests(outdir: string): Record<string, TenantManifest> {
  const stacksDir = join(outdir, "stacks");
  const out: Record<string, TenantManifest> = {};
  for (const name of readdirSync(stacksDir).sort()) {
    const file = join(stacksDir, name, TENANT_MANIFEST_FILE);
    if (existsSync(file)) out[name] = JSON.parse(readFileSync(file, "utf8")) as TenantManifest;
  }
  return out;
}

/**
 * Synthesizes environments into a throw-away directory and returns the stacks' JSON and their
 * pgforks-manifest.json (by stack name).
 */
export function synthesizeWithManifestsInMemory(loaded: readonly LoadedEnvironment[]): {
  stacks: Record<string, StackJson>;
  manifests: Record<string, TenantManifest>;
} {
  const dir = mkdtempSync(join(tmpdir(), "pgforks-synth-"));
  try {
    const stacks = synthesizeInto(dir, loaded);
    return { stacks, manifests: readTenantManifests(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Synthesizes environments into a throw-away directory and returns the stacks' JSON. */
export function synthesizeInMemory(
  loaded: readonly LoadedEnvironment[],
): Record<string, StackJson> {
  const dir = mkdtempSync(join(tmpdir(), "pgforks-synth-"));
  try {
    return synthesizeInto(dir, loaded);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resource count per stack, by block kind. */
export function countBlocks(stack: StackJson): {
  resources: number;
  data: number;
  ephemeral: number;
} {
  const count = (block?: Record<string, Record<string, unknown>>) =>
    Object.values(block ?? {}).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
  return {
    resources: count(stack.resource),
    data: count(stack.data),
    ephemeral: count(stack.ephemeral),
  };
}

export interface SynthResult {
  readonly outdir: string;
  readonly stacks: Record<string, StackJson>;
  readonly environments: readonly LoadedEnvironment[];
}

/** Options of {@link synthEnvironments}. */
export interface SynthOptions {
  /**
   * Environments to synthesize (folder names). Default: every environment folder
   * (`environmentNames`: adding an environment is adding a folder).
   */
  readonly environments?: readonly string[];
  /** Output directory. Default CDKTF_OUTDIR (under the cdktf CLI), else ./cdktf.out. */
  readonly outdir?: string;
  /** The environments/ folder. Default environmentsDir(): PGFORKS_ENVIRONMENTS_DIR, else the repository's. */
  readonly environmentsDir?: string;
}

/** Promotion order: by tier (development, staging, production), then by name. */
function inPromotionOrder(loaded: readonly LoadedEnvironment[]): LoadedEnvironment[] {
  const rank = (env: LoadedEnvironment) => TIERS.indexOf(env.environment.tier);
  return [...loaded].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/**
 * Validates every environment's config first (all problems at once), then synthesizes all
 * stacks. Outside the cdktf CLI the output is built in a sibling directory and swapped in with
 * a rename, so a failure never leaves a half-written cdktf.out. Under the cdktf CLI
 * (CDKTF_OUTDIR set) the CLI owns the directory; config errors still stop before anything is
 * written.
 */
export function synthEnvironments(options: SynthOptions = {}): SynthResult {
  const dir = options.environmentsDir ?? environmentsDir();
  const environments = inPromotionOrder(
    loadEnvironments([...(options.environments ?? environmentNames(dir))], dir),
  );
  // An empty CDKTF_OUTDIR is unset (as PGFORKS_ENVIRONMENTS_DIR): resolve("") is the working
  // directory, which synth would otherwise fill with manifest.json and stacks/.
  const cliOutdir = process.env.CDKTF_OUTDIR || undefined;
  const managedByCli = options.outdir === undefined && cliOutdir !== undefined;
  const outdir = resolve(options.outdir ?? cliOutdir ?? "cdktf.out");
  const target = managedByCli ? outdir : `${outdir}.staging-${process.pid}`;
  removeStaleSynthFolders(outdir);
  let stacks: Record<string, StackJson>;
  try {
    stacks = synthesizeInto(target, environments);
  } catch (error) {
    if (!managedByCli) rmSync(target, { recursive: true, force: true });
    throw error;
  }
  if (!managedByCli) {
    const previous = `${outdir}.previous-${process.pid}`;
    // Two renames: another synth's between them would find outdir gone (ENOENT) or already
    // back (ENOTEMPTY). One swap at a time; the last synth's output wins.
    let release: () => void;
    try {
      release = acquireSwapLock(outdir);
    } catch (error) {
      // Refused (a hung holder): this synth's output goes with it, not left for the next run.
      rmSync(target, { recursive: true, force: true });
      throw error;
    }
    try {
      if (existsSync(outdir)) renameSync(outdir, previous);
      swapTestHook("swapping");
      renameSync(target, outdir);
    } finally {
      release();
    }
    rmSync(previous, { recursive: true, force: true });
  }
  return { outdir, stacks, environments };
}

/** How long a synth waits for another's swap: a swap is two renames, this is for a hung holder. */
const SWAP_LOCK_TIMEOUT_MS = 30_000;

/** The file in the swap lock naming its holder: "<pid> <start time>". */
const SWAP_LOCK_OWNER = "owner";

/** The lock folder of `<outdir>`'s swap (`<outdir>.swap-lock`), holding its owner's pid. */
export function swapLockPath(outdir: string): string {
  return `${outdir}.swap-lock`;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The holder a swap lock's owner file names ("<pid> <start time>"); undefined while it has none. */
function swapLockHolder(lock: string): { pid: number; startTime?: string } | undefined {
  let text: string;
  try {
    text = readFileSync(join(lock, SWAP_LOCK_OWNER), "utf8");
  } catch {
    return undefined; // between the holder's mkdir and its owner file
  }
  // writeFileSync creates the file empty, then writes: an owner without "<pid> " is one being
  // written (or never written: its holder was killed), judged by the lock's age, as none.
  const [, pid = "", startTime = ""] = /^(\d+) (\S*)$/.exec(text) ?? [];
  return pid ? { pid: Number(pid), ...(startTime ? { startTime } : {}) } : undefined;
}

/**
 * Whether the swap lock `lock` was left by a synth that was killed: its holder no longer runs
 * (pid and start time), or it has recorded no holder for longer than a holder takes to write one
 * (ownerlessLockLeft, as the .local and environments locks judge theirs).
 */
function swapLockLeft(lock: string): boolean {
  const holder = swapLockHolder(lock);
  return holder ? !isProcessAlive(holder.pid, holder.startTime) : ownerlessLockLeft(lock);
}

/**
 * Takes the swap lock of `outdir` (takeLockFolder: an mkdir, atomic on every file system), waiting
 * while another synth holds it; a lock left by a killed synth (its holder gone, or none recorded
 * for LOCK_OWNER_GRACE_MS) is taken over under `<lock>.takeover`, judged again there, so
 * two synths that judged the same dead lock never both take it. Returns the release. Throws after
 * {@link SWAP_LOCK_TIMEOUT_MS} with the holder's pid. Exported for tests.
 */
export function acquireSwapLock(outdir: string): () => void {
  const lock = swapLockPath(outdir);
  const deadline = Date.now() + SWAP_LOCK_TIMEOUT_MS;
  const owner = `${process.pid} ${processStartTime(process.pid) ?? ""}`;
  let announced = false;
  for (;;) {
    if (takeLockFolder(lock, SWAP_LOCK_OWNER, owner, () => swapLockLeft(lock), judgedHook)) {
      return () => rmSync(lock, { recursive: true, force: true });
    }
    if (Date.now() > deadline) {
      throw new Error(
        `another synth (pid ${swapLockHolder(lock)?.pid ?? "unknown"}) has held ${lock} for ${SWAP_LOCK_TIMEOUT_MS / 1000} s; if no synth runs, remove that folder`,
      );
    }
    if (!announced) {
      announced = true;
      swapTestHook("waiting");
    }
    sleepSync(10);
  }
}

/** A lock's holder judged dead, before the takeover (see swapTestHook). */
function judgedHook(): void {
  swapTestHook("judged");
}

/**
 * Test hook (PGFORKS_SYNTH_SWAP_TEST_DIR): `waiting` writes `waiting-<pid>` there when the swap
 * lock is busy; `swapping` (between the two renames) and `judged` (a lock's holder judged dead,
 * before the takeover) write `swapping-<pid>` or `judged-<pid>`, then, with
 * PGFORKS_SYNTH_SWAP_TEST_PAUSE=1, wait until the file `go` appears. Lets a test put real synths
 * in each other's swap or takeover without timing.
 */
function swapTestHook(point: "waiting" | "swapping" | "judged"): void {
  const dir = process.env.PGFORKS_SYNTH_SWAP_TEST_DIR;
  if (!dir) return;
  writeFileSync(join(dir, `${point}-${process.pid}`), "");
  if (point === "waiting" || process.env.PGFORKS_SYNTH_SWAP_TEST_PAUSE !== "1") return;
  const deadline = Date.now() + SWAP_LOCK_TIMEOUT_MS;
  while (!existsSync(join(dir, "go")) && Date.now() < deadline) sleepSync(10);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Removes `<outdir>.staging-<pid>`, `<outdir>.previous-<pid>` and `<outdir>.swap-lock.stale-<pid>`
 * (a dead swap lock being taken over, as earlier versions moved it aside) folders of synths that
 * were killed (their pid no longer runs); those of running synths are kept.
 */
export function removeStaleSynthFolders(outdir: string): string[] {
  const pattern = new RegExp(
    `^${escapeRegExp(basename(outdir))}\\.(?:staging|previous|swap-lock\\.stale)-(\\d+)$`,
  );
  return removeLeftoversOfDeadProcesses(dirname(outdir), pattern);
}

/** The short summary printed after a synth: stacks, resource counts, tenants per environment. */
export function renderSynthSummary(result: SynthResult, seconds: number): string {
  const lines = [
    `Synthesized ${Object.keys(result.stacks).length} stacks into ${result.outdir} in ${seconds.toFixed(1)}s`,
  ];
  const width = Math.max(...Object.keys(result.stacks).map((n) => n.length));
  // Environments in promotion order (dev, staging, prod), platform before tenants.
  const order = result.environments.flatMap((e) => [`${e.name}-platform`, `${e.name}-tenants`]);
  const names = Object.keys(result.stacks).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  for (const name of names) {
    const stack = result.stacks[name] as StackJson;
    const c = countBlocks(stack);
    const extra = [c.data ? `${c.data} data` : "", c.ephemeral ? `${c.ephemeral} ephemeral` : ""]
      .filter(Boolean)
      .join(", ");
    lines.push(
      `  ${name.padEnd(width)}  ${String(c.resources).padStart(4)} resources${extra ? ` (+ ${extra})` : ""}`,
    );
  }
  lines.push("Tenants:");
  for (const env of result.environments) {
    const byState = new Map<string, string[]>();
    for (const t of env.tenants) {
      const names = byState.get(t.state);
      if (names) names.push(t.name);
      else byState.set(t.state, [t.name]);
    }
    const parts = [...byState].map(([state, names]) =>
      names.length > MAX_LISTED_ITEMS
        ? `${state} ${names.length}: ${listWithCount(names)}`
        : `${state}: ${names.join(", ")}`,
    );
    lines.push(
      `  ${env.name.padEnd(width)}  ${env.environment.database.instanceClass}  ${parts.join("; ") || "none"}`,
    );
  }
  return lines.join("\n");
}

/** Entry point of apps/main.ts: human errors, non-zero exit. */
export function runSynth(
  options: {
    /** Environments to synthesize. Default: every environment folder. */
    readonly environments?: readonly string[];
    /** More summary after the standard one (apps/main.ts: the monthly cost). */
    readonly extraSummary?: (result: SynthResult) => string;
  } = {},
): void {
  const started = performance.now();
  // Ctrl-C waits for the (synchronous) synth and its final rename: no half-written output.
  deferSignals((signal) => `interrupted (${signal}) after the synth had finished`);
  skipStackTraceCapture();
  try {
    // The environments folder is environmentsDir()'s: PGFORKS_ENVIRONMENTS_DIR when set.
    const result = synthEnvironments(
      options.environments ? { environments: options.environments } : {},
    );
    for (const warning of crossEnvironmentWarnings(result.environments)) console.error(warning);
    if (!process.env.CDKTF_OUTDIR) {
      console.log(renderSynthSummary(result, (performance.now() - started) / 1000));
      if (options.extraSummary) console.log(options.extraSummary(result));
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Synth stopped before writing anything: ${error.message}`);
      process.exitCode = 1;
      return;
    }
    if (isErrnoError(error)) {
      // A full disk, a read-only or unwritable folder: one line naming the path, no stack.
      const path = (error as NodeJS.ErrnoException).path ?? "cdktf.out";
      console.error(`Synth stopped: ${new FileSystemError(path, error.code, "write").message}`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

/** The blocks of one resource type in a synthesized stack (empty when there are none). */
export function resourcesOfType(
  stack: StackJson | undefined,
  type: string,
): Array<Record<string, unknown>> {
  return Object.values((stack?.resource?.[type] ?? {}) as Record<string, Record<string, unknown>>);
}
