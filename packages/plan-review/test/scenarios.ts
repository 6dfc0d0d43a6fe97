/**
 * Configuration changes ("scenarios") planned with real Terraform, offline, for the golden-file
 * tests: each edits a copy of the environments folder and is planned against its base with
 * ../src/offline-plans.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  environmentsDir as defaultEnvironmentsDir,
  ENVIRONMENT_FILE,
  type LoadedEnvironment,
  TENANTS_FILE,
} from "@pgforks/config";
import type { PlanJson } from "@pgforks/terraform-harness";
import { type Document, parseDocument } from "yaml";
import { type PlannedBase, planAgainstBase, planBase } from "../src/offline-plans";
import type { ReviewContext, StackPlan } from "../src/review";
import type { SynthOutput } from "../src/synth-output";

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
  /**
   * A base other than the committed configuration, planned and settled once for every scenario
   * that names it (e.g. prod with the RDS Proxy on). Default: the committed configuration.
   */
  readonly base?: { readonly name: string; readonly edit: (config: EditableEnvironment) => void };
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
      const baseKey = `${scenario.environment}/${scenario.base?.name ?? "committed"}`;
      let baseSource = source;
      if (scenario.base) {
        baseSource = join(workDir, `base-${scenario.environment}-${scenario.base.name}-config`);
        if (!bases.has(baseKey)) {
          copyEnvironments(source, baseSource);
          editEnvironment(baseSource, scenario.environment, scenario.base.edit);
        }
      }
      let base = bases.get(baseKey);
      if (!base) {
        base = await planBase(
          scenario.environment,
          join(workDir, `base-${baseKey.replace("/", "-")}`),
          { environmentsDir: baseSource, ...(options.log ? { log: options.log } : {}) },
        );
        bases.set(baseKey, base);
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
      copyEnvironments(baseSource, environments);
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
