import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { synthesizeBootstrap } from "@pgforks/app-bootstrap";
import type { LoadedEnvironment } from "@pgforks/config";
import { stackNames, synthesizeInto } from "@pgforks/stacks";
import { type PlanResult, TerraformHarness, type ValidateResult } from "@pgforks/terraform-harness";
import { type CheckovReport, runCheckov } from "./checkov";
import { evaluatePolicy, type PolicyReport } from "./evaluate";
import type { PlanJson } from "./plan";
import type { Skip } from "./skips";

/** The real Terraform results of one AWS stack. */
export interface PlannedStack {
  readonly stack: string;
  readonly validate: ValidateResult;
  readonly plan: PlanResult;
}

/**
 * Synthesizes into `<workDir>/cdktf.out` (`synthesize` returns the stack names), then runs real
 * `terraform validate` and an offline `plan` + `show -json` of each stack on scratch copies.
 */
async function synthesizeAndPlan(
  workDir: string,
  synthesize: (outdir: string) => readonly string[],
): Promise<PlannedStack[]> {
  const outdir = join(workDir, "cdktf.out");
  mkdirSync(outdir, { recursive: true });
  const stacks = synthesize(outdir);
  const harness = new TerraformHarness({ outdir, workDir: join(workDir, "harness") });
  const results: PlannedStack[] = [];
  // One after another: 2 cores, ~1 GB per provider process.
  for (const stack of stacks) {
    const validate = await harness.validate(stack);
    if (!validate.valid) {
      throw new Error(
        `terraform validate failed for ${stack}:\n${JSON.stringify(validate.diagnostics, null, 2)}`,
      );
    }
    results.push({ stack, validate, plan: await harness.plan(stack) });
  }
  return results;
}

/** Plans each `<env>-platform` stack of the environments (scratch files under `workDir`). */
export function planPlatformStacks(
  environments: readonly LoadedEnvironment[],
  workDir: string,
): Promise<PlannedStack[]> {
  return synthesizeAndPlan(workDir, (outdir) => {
    synthesizeInto(outdir, environments);
    return environments.map((e) => stackNames(e.name).platform);
  });
}

/** Plans each `bootstrap-<env>` stack of the environments (scratch files under `workDir`). */
export function planBootstrapStacks(
  environments: readonly LoadedEnvironment[],
  workDir: string,
): Promise<PlannedStack[]> {
  return synthesizeAndPlan(workDir, (outdir) =>
    synthesizeBootstrap(environments, { outdir }).map((s) => s.name),
  );
}

/** Writes each plan JSON under `workDir` and runs checkov once on all of them, in order. */
export function checkovReports(
  planned: readonly PlannedStack[],
  workDir: string,
): Promise<CheckovReport[]> {
  const dir = join(workDir, "plan-json");
  mkdirSync(dir, { recursive: true });
  const files = planned.map((p, i) => {
    const file = join(dir, `${i}-${p.stack}.json`);
    writeFileSync(file, JSON.stringify(p.plan.plan));
    return file;
  });
  return runCheckov(files);
}

/**
 * Judges planned stacks by the project's rules and, when given (one per stack, in order),
 * checkov's reports, against the skips.
 */
export function checkStacks(
  planned: readonly PlannedStack[],
  skips: readonly Skip[],
  checkov?: readonly CheckovReport[],
): PolicyReport {
  return evaluatePolicy(
    planned.map((p, i) => ({
      stack: p.stack,
      plan: p.plan.plan as unknown as PlanJson,
      ...(checkov?.[i] ? { checkov: checkov[i] } : {}),
    })),
    skips,
  );
}
