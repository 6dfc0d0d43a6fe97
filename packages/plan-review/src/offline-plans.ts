/**
 * Real Terraform plans of configuration changes, offline: the base configuration is synthesized
 * and planned from an empty state, a prior state is fabricated from that plan (placeholders for
 * everything only known after apply, see @pgforks/terraform-harness settlePriorState), and the
 * changed configuration is planned against it with -refresh=false. That is what a pull request's
 * plan shows against the real state, minus the values only AWS knows. Used by `plan:offline` and
 * by the golden-file tests (test/scenarios.ts).
 *
 * Only `<env>-platform` stacks are planned: the tenants stacks need the platform's applied
 * outputs and a live database ({@link NEEDS_LIVE_PLATFORM}).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  environmentsDir as defaultEnvironmentsDir,
  type LoadedEnvironment,
  loadEnvironment,
} from "@pgforks/config";
import { stackNames, synthesizeInto } from "@pgforks/stacks";
import {
  type PlanJson,
  type SettledState,
  settlePriorState,
  TerraformHarness,
  type TerraformStateV4,
} from "@pgforks/terraform-harness";
import { loadSynthOutput, type SynthOutput } from "./synth-output";

/** A synthesized, planned and settled base configuration that scenarios are planned against. */
export interface PlannedBase {
  readonly environment: LoadedEnvironment;
  /** `<env>-platform`. */
  readonly stack: string;
  /** The base configuration synthesized (every stack of the environment). */
  readonly synth: SynthOutput;
  /** A state the base configuration plans no change against. */
  readonly state: TerraformStateV4;
  /** The base configuration planned against `state`: no changes. */
  readonly plan: PlanJson;
  /** Plans against fabricated states it took to settle. */
  readonly rounds: number;
  /** Milliseconds: synth, base plan, schemas and settling. */
  readonly ms: number;
}

/** Bumped when the cached settled state's form or the fabrication changes. */
const SETTLED_CACHE_VERSION = 1;

/** Options of {@link planBase}. */
export interface PlanBaseOptions {
  /**
   * Keep the settled state in `workDir`, keyed by the stack's synthesized JSON, the providers of
   * the mirror and the fabrication inputs, and reuse it when they are unchanged: settling (plan
   * from empty, fabricate, plan again) is most of an offline plan's time and gives the same state
   * for the same base. Default false.
   */
  readonly reuseSettled?: boolean;
  /** Folder holding `<env>/environment.yaml` and `<env>/tenants.yaml`. Default: the repository's environments/. */
  readonly environmentsDir?: string;
  /** Called with a line of progress ("prod: base settled in 2 rounds"). Default: silent. */
  readonly log?: (line: string) => void;
}

/** Synthesizes one environment into `<dir>/cdktf.out`; returns the outdir. */
function synthesize(environment: LoadedEnvironment, dir: string): string {
  const outdir = join(dir, "cdktf.out");
  // A previous run's stacks must not linger (the outdir may be reused).
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  synthesizeInto(outdir, [environment]);
  return outdir;
}

/**
 * Synthesizes an environment's base configuration and settles a prior state for its platform
 * stack: planned from empty, fabricated, planned against until nothing changes.
 */
export async function planBase(
  name: string,
  workDir: string,
  options: PlanBaseOptions = {},
): Promise<PlannedBase> {
  const started = performance.now();
  const environment = loadEnvironment(name, options.environmentsDir ?? defaultEnvironmentsDir());
  const outdir = synthesize(environment, workDir);
  const stack = stackNames(name).platform;
  const harness = new TerraformHarness({ outdir, workDir: join(workDir, "harness") });
  const fabricate = {
    account: environment.environment.account,
    region: environment.environment.region,
  };
  const cacheFile = join(
    workDir,
    `settled-${createHash("sha256")
      .update(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json")))
      .update(
        JSON.stringify({
          providers: harness.mirror.providers,
          fabricate,
          v: SETTLED_CACHE_VERSION,
        }),
      )
      .digest("hex")
      .slice(0, 16)}.json`,
  );
  const cached =
    options.reuseSettled && existsSync(cacheFile)
      ? (JSON.parse(readFileSync(cacheFile, "utf8")) as Omit<SettledState, "ms">)
      : undefined;
  const settled = cached ?? (await settlePriorState(harness, stack, fabricate));
  if (options.reuseSettled && !cached) {
    for (const old of readdirSync(workDir).filter((f) => /^settled-[0-9a-f]+\.json$/.test(f)))
      rmSync(join(workDir, old));
    const { state, plan, rounds } = settled;
    writeFileSync(cacheFile, JSON.stringify({ state, plan, rounds }));
  }
  const ms = performance.now() - started;
  options.log?.(`${name}: base planned and settled in ${settled.rounds} rounds`);
  return {
    environment,
    stack,
    synth: loadSynthOutput(outdir),
    state: settled.state,
    plan: settled.plan,
    rounds: settled.rounds,
    ms,
  };
}

/** A configuration synthesized and its platform stack planned. */
export interface PlannedHead {
  readonly environment: LoadedEnvironment;
  readonly synth: SynthOutput;
  /** `<env>-platform`'s plan. */
  readonly plan: PlanJson;
  /** The environment's stacks that are not planned offline, with the reason (the tenants stack). */
  readonly notPlanned: ReadonlyArray<{ readonly stack: string; readonly reason: string }>;
}

/**
 * Why only the platform stack is planned offline, whichever providers the mirror holds: the
 * tenants stack reads the platform's outputs from its remote state (S3), the master password
 * from Secrets Manager, and its postgresql provider connects to the database through the tunnel.
 */
export const NEEDS_LIVE_PLATFORM =
  "it reads the platform stack's applied outputs and the master secret, and connects to the database, none of which exist offline";

/**
 * Every synthesized stack but `planned`, with why it is not planned: the harness's offline
 * reason (a provider missing from the mirror) when there is one, then {@link NEEDS_LIVE_PLATFORM}.
 * Whether the postgresql provider is in the mirror does not change the answer, only the words.
 */
function notPlannedStacks(harness: TerraformHarness, planned: string): PlannedHead["notPlanned"] {
  return harness
    .stacks()
    .filter((s) => s.name !== planned)
    .map((s) => ({
      stack: s.name,
      reason: s.offline.runnable
        ? NEEDS_LIVE_PLATFORM
        : `${s.offline.reason}; ${NEEDS_LIVE_PLATFORM}`,
    }));
}

/**
 * Plans the platform stack of the configuration in `environmentsDir` against a base's state,
 * in `workDir`.
 */
export async function planAgainstBase(
  base: PlannedBase,
  environmentsDir: string,
  workDir: string,
): Promise<PlannedHead> {
  const environment = loadEnvironment(base.environment.name, environmentsDir);
  const outdir = synthesize(environment, workDir);
  const harness = new TerraformHarness({ outdir, workDir: join(workDir, "harness") });
  const { plan } = await harness.plan(base.stack, { priorState: base.state });
  return {
    environment,
    synth: loadSynthOutput(outdir),
    plan,
    notPlanned: notPlannedStacks(harness, base.stack),
  };
}

/** Synthesizes an environment and plans its platform stack from an empty state, in `workDir`. */
export async function planFromEmpty(
  environment: LoadedEnvironment,
  workDir: string,
): Promise<PlannedHead> {
  const outdir = synthesize(environment, workDir);
  const harness = new TerraformHarness({ outdir, workDir: join(workDir, "harness") });
  const stack = stackNames(environment.name).platform;
  const { plan } = await harness.plan(stack);
  return {
    environment,
    synth: loadSynthOutput(outdir),
    plan,
    notPlanned: notPlannedStacks(harness, stack),
  };
}
