/**
 * Real Terraform plans of configuration changes, offline: the base configuration is synthesized
 * and planned from an empty state, a prior state is fabricated from that plan (placeholders for
 * everything only known after apply, see @pgforks/terraform-harness settlePriorState), and the
 * changed configuration is planned against it with -refresh=false. That is what a pull request's
 * plan shows against the real state, minus the values only AWS knows.
 *
 * Only `<env>-platform` stacks are planned: the tenants stacks need the platform's applied
 * outputs and a live database ({@link NEEDS_LIVE_PLATFORM}).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  environmentsDir as defaultEnvironmentsDir,
  ENVIRONMENT_FILE,
  type LoadedEnvironment,
  loadEnvironment,
  TENANTS_FILE,
} from "@pgforks/config";
import { stackNames, synthesizeInto } from "@pgforks/stacks";
import {
  type PlanJson,
  settlePriorState,
  TerraformHarness,
  type TerraformStateV4,
} from "@pgforks/terraform-harness";
import { type Document, parseDocument } from "yaml";
import type { ReviewContext, StackPlan } from "./review";
import { loadSynthOutput, type SynthOutput } from "./synth-output";

/** The two configuration files of an environment, parsed with their comments, to edit in place. */
export interface EditableEnvironment {
  /** environment.yaml. */
  readonly environment: Document;
  /** tenants.yaml. */
  readonly tenants: Document;
}

/** A configuration change to plan. */
export interface Scenario {
  /** Identifier: lowercase words joined by hyphens; also names the golden file. */
  readonly name: string;
  /** What the change is, in one line. */
  readonly title: string;
  /** Environment whose configuration changes and whose platform stack is planned. */
  readonly environment: string;
  /** Turns the base configuration into the scenario's. Default: none (the base itself: no change). */
  readonly edit?: (config: EditableEnvironment) => void;
}

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

/** One scenario planned against its base. */
export interface ScenarioRun {
  readonly scenario: Scenario;
  readonly base: PlannedBase;
  /** The scenario's configuration. */
  readonly environment: LoadedEnvironment;
  /** The scenario's configuration synthesized. */
  readonly synth: SynthOutput;
  /** The platform stack's plan against the base's state. */
  readonly plan: PlanJson;
  /** Milliseconds: edit, synth and plan (0 when the base's own plan was reused). */
  readonly ms: number;
}

/** Options of {@link planBase} and {@link runScenarios}. */
export interface ScenarioOptions {
  /** Folder holding `<env>/environment.yaml` and `<env>/tenants.yaml`. Default: the repository's environments/. */
  readonly environmentsDir?: string;
  /** Scratch directory (synth output, harness work dirs). Default: a new temp dir, removed afterwards. */
  readonly workDir?: string;
  /** Called with a line of progress ("prod: base settled in 2 rounds"). Default: silent. */
  readonly log?: (line: string) => void;
}

/** Copies an environments folder (only the YAML and schema files matter) into `target`. */
function copyEnvironments(source: string, target: string): void {
  mkdirSync(target, { recursive: true });
  cpSync(source, target, { recursive: true });
}

/** Applies an edit to `<dir>/<env>/*.yaml`, keeping comments and layout. */
export function editEnvironment(
  dir: string,
  environment: string,
  edit: (config: EditableEnvironment) => void,
): void {
  const files = {
    environment: join(dir, environment, ENVIRONMENT_FILE),
    tenants: join(dir, environment, TENANTS_FILE),
  };
  const config: EditableEnvironment = {
    environment: parseDocument(readFileSync(files.environment, "utf8")),
    tenants: parseDocument(readFileSync(files.tenants, "utf8")),
  };
  edit(config);
  writeFileSync(files.environment, config.environment.toString());
  writeFileSync(files.tenants, config.tenants.toString());
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
  options: Pick<ScenarioOptions, "environmentsDir" | "log"> = {},
): Promise<PlannedBase> {
  const started = performance.now();
  const environment = loadEnvironment(name, options.environmentsDir ?? defaultEnvironmentsDir());
  const outdir = synthesize(environment, workDir);
  const stack = stackNames(name).platform;
  const harness = new TerraformHarness({ outdir, workDir: join(workDir, "harness") });
  const settled = await settlePriorState(harness, stack, {
    account: environment.environment.account,
    region: environment.environment.region,
  });
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

/**
 * Plans each scenario against its environment's base configuration (synthesized and settled
 * once per environment). Scenarios without an edit reuse the base's own no-change plan. Runs
 * one Terraform at a time (a provider process takes ~1 GB).
 */
export async function runScenarios(
  scenarios: readonly Scenario[],
  options: ScenarioOptions = {},
): Promise<ScenarioRun[]> {
  const source = options.environmentsDir ?? defaultEnvironmentsDir();
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), "pgforks-scenarios-"));
  const bases = new Map<string, PlannedBase>();
  const runs: ScenarioRun[] = [];
  try {
    for (const scenario of scenarios) {
      if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(scenario.name)) {
        throw new Error(
          `Scenario name "${scenario.name}" must be lowercase words joined by hyphens.`,
        );
      }
      let base = bases.get(scenario.environment);
      if (!base) {
        base = await planBase(scenario.environment, join(workDir, `base-${scenario.environment}`), {
          environmentsDir: source,
          ...(options.log ? { log: options.log } : {}),
        });
        bases.set(scenario.environment, base);
      }
      if (!scenario.edit) {
        runs.push({
          scenario,
          base,
          environment: base.environment,
          synth: base.synth,
          plan: base.plan,
          ms: 0,
        });
        continue;
      }
      const started = performance.now();
      const dir = join(workDir, scenario.name);
      const environments = join(dir, "environments");
      copyEnvironments(source, environments);
      editEnvironment(environments, scenario.environment, scenario.edit);
      const { environment, synth, plan } = await planAgainstBase(base, environments, dir);
      const ms = performance.now() - started;
      options.log?.(`${scenario.name}: planned in ${(ms / 1000).toFixed(1)}s`);
      runs.push({ scenario, base, environment, synth, plan, ms });
    }
    return runs;
  } finally {
    if (options.workDir === undefined) rmSync(workDir, { recursive: true, force: true });
  }
}

/** What buildReview needs for a scenario: its plan, both configurations and both syntheses. */
export function scenarioReviewInput(run: ScenarioRun): {
  plans: StackPlan[];
  context: ReviewContext;
} {
  return {
    plans: [{ stack: run.base.stack, plan: run.plan }],
    context: {
      synth: run.synth,
      beforeSynth: run.base.synth,
      after: [run.environment],
      before: [run.base.environment],
    },
  };
}
