import type { CheckovReport } from "./checkov";
import { CONTROLS, type Control } from "./controls";
import { PlanIndex, type PlanJson } from "./plan";
import { findSkip, type Skip } from "./skips";

/** Who checked: checkov, or one of the project's own rules (Security Hub controls checkov lacks). */
export type CheckSource = "checkov" | "project";

/** A failed check on one resource. */
export interface Finding {
  readonly check: string;
  readonly source: CheckSource;
  readonly title: string;
  readonly address: string;
  /** Why it failed (the project's rules say; checkov gives the check title only). */
  readonly detail?: string;
  /** The skip that covers it, when one does. */
  readonly skip?: Skip;
}

/** One stack to judge: its plan JSON and checkov's report on it (absent when checkov did not run). */
export interface StackPlan {
  readonly stack: string;
  readonly plan: PlanJson;
  readonly checkov?: CheckovReport;
}

export interface StackPolicy {
  readonly stack: string;
  /** Whether checkov's verdicts are included. */
  readonly checkovRan: boolean;
  /** Failures no skip covers: each fails the policy suite. */
  readonly failures: readonly Finding[];
  readonly skipped: readonly Finding[];
  /** Checks that passed on every resource they evaluated, sorted. */
  readonly passed: readonly string[];
}

/** A skip that matched no failure on one of its stacks: stale, remove it (or the stack). */
export interface UnusedSkip {
  readonly skip: Skip;
  readonly stack: string;
}

export interface PolicyReport {
  readonly stacks: readonly StackPolicy[];
  readonly unusedSkips: readonly UnusedSkip[];
}

const isCheckovId = (check: string) => check.startsWith("CKV");

/** The project's own rules on one plan: failures and the ids that passed. */
function evaluateControls(
  plan: PlanJson,
  controls: readonly Control[],
): { failed: Omit<Finding, "skip">[]; passed: Omit<Finding, "skip">[] } {
  const index = new PlanIndex(plan);
  const failed: Omit<Finding, "skip">[] = [];
  const passed: Omit<Finding, "skip">[] = [];
  for (const control of controls) {
    for (const resource of index.resources) {
      if (!control.resourceTypes.includes(resource.type)) continue;
      if (control.applies && !control.applies(resource)) continue;
      const detail = control.check(resource, index);
      const base = {
        check: control.id,
        source: "project" as const,
        title: control.title,
        address: resource.address,
      };
      if (detail === undefined) passed.push(base);
      else failed.push({ ...base, detail });
    }
  }
  return { failed, passed };
}

/**
 * Judges each stack by checkov's report (when given) and the project's own rules, against the
 * skips. A skip is unused when it names a stack judged here and matched none of its failures
 * (checkov's skips only count where checkov ran).
 */
export function evaluatePolicy(
  plans: readonly StackPlan[],
  skips: readonly Skip[],
  controls: readonly Control[] = CONTROLS,
): PolicyReport {
  const used = new Set<string>();
  const stacks = plans.map(({ stack, plan, checkov }): StackPolicy => {
    const own = evaluateControls(plan, controls);
    const failed = [
      ...(checkov?.failed ?? []).map((r) => ({ ...r, source: "checkov" as const })),
      ...own.failed,
    ].map((finding): Finding => {
      const skip = findSkip(skips, stack, finding.check, finding.address);
      if (skip) used.add(`${skips.indexOf(skip)} ${stack}`);
      return skip ? { ...finding, skip } : finding;
    });
    const failedIds = new Set(failed.map((f) => f.check));
    const passedIds = [
      ...(checkov?.passed ?? []).map((r) => r.check),
      ...own.passed.map((r) => r.check),
    ].filter((id) => !failedIds.has(id));
    return {
      stack,
      checkovRan: checkov !== undefined,
      failures: failed.filter((f) => !f.skip),
      skipped: failed.filter((f) => f.skip),
      passed: [...new Set(passedIds)].sort(),
    };
  });
  const unusedSkips = stacks.flatMap(({ stack, checkovRan }) =>
    skips
      .filter((skip, i) => skip.stacks.includes(stack) && !used.has(`${i} ${stack}`))
      .filter((skip) => checkovRan || !isCheckovId(skip.check))
      .map((skip) => ({ skip, stack })),
  );
  return { stacks, unusedSkips };
}

/** A readable report per stack: failures first, then skips with reasons, then passed checks. */
export function renderPolicyReport(report: PolicyReport): string {
  const lines: string[] = [];
  for (const s of report.stacks) {
    const skippedIds = [...new Set(s.skipped.map((f) => f.check))];
    lines.push(
      `${s.stack}: ${s.failures.length} failure(s), ${skippedIds.length} skipped, ${s.passed.length} passed${s.checkovRan ? "" : " (checkov NOT RUN: project rules only)"}`,
    );
    for (const f of s.failures)
      lines.push(`  FAIL ${f.check} ${f.address}: ${f.detail ?? f.title} (${f.source})`);
    for (const id of skippedIds) {
      const first = s.skipped.find((f) => f.check === id);
      lines.push(`  skipped ${id}: ${first?.detail ?? first?.title} — ${first?.skip?.reason}`);
    }
    if (s.passed.length > 0) lines.push(`  passed: ${s.passed.join(", ")}`);
  }
  for (const { skip, stack } of report.unusedSkips)
    lines.push(
      `STALE SKIP ${skip.check} on ${stack}: matched no failure; remove it from packages/policy/skips.yaml`,
    );
  return lines.join("\n");
}

/** Whether the report fails the policy: a failure no skip covers, or a stale skip. */
export function policyFailed(report: PolicyReport): boolean {
  return report.unusedSkips.length > 0 || report.stacks.some((s) => s.failures.length > 0);
}
