import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { LoadedEnvironment } from "@pgforks/config";
import { stackNames, synthesizeInto } from "@pgforks/stacks";
import { type PlanResult, TerraformHarness, type ValidateResult } from "@pgforks/terraform-harness";
import { evaluatePlan, type PolicyReport } from "./evaluate";
import type { PlanJson } from "./plan";

/** The real Terraform results of one environment's `<env>-platform` stack. */
export interface PlatformPlan {
  readonly environment: LoadedEnvironment;
  readonly stack: string;
  readonly validate: ValidateResult;
  readonly plan: PlanResult;
  readonly policy: PolicyReport;
}

/**
 * Synthesizes the environments into `workDir`, then runs real `terraform validate` and an
 * offline `terraform plan` + `show -json` on each platform stack through the harness, and
 * evaluates the policy controls on the plan JSON. Stacks run one after another (2 cores, ~1 GB
 * per provider process).
 */
export async function planPlatformStacks(
  environments: readonly LoadedEnvironment[],
  workDir: string,
): Promise<PlatformPlan[]> {
  const outdir = join(workDir, "cdktf.out");
  mkdirSync(outdir, { recursive: true });
  synthesizeInto(outdir, environments);
  const harness = new TerraformHarness({ outdir, workDir: join(workDir, "harness") });
  const results: PlatformPlan[] = [];
  for (const environment of environments) {
    const stack = stackNames(environment.name).platform;
    const validate = await harness.validate(stack);
    if (!validate.valid) {
      throw new Error(
        `terraform validate failed for ${stack}:\n${JSON.stringify(validate.diagnostics, null, 2)}`,
      );
    }
    const plan = await harness.plan(stack);
    const policy = evaluatePlan(plan.plan as unknown as PlanJson, environment.environment.tier);
    results.push({ environment, stack, validate, plan, policy });
  }
  return results;
}
