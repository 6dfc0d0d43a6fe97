import type { Tier } from "@pgforks/config";
import { CONTROLS, type Control } from "./controls";
import { PlanIndex, type PlanJson } from "./plan";
import { WAIVERS, type Waiver } from "./waivers";

export type Verdict = "pass" | "fail" | "waived";

export interface ControlResult {
  readonly control: string;
  readonly source: Control["source"];
  readonly title: string;
  readonly address: string;
  readonly verdict: Verdict;
  /** Why it failed (also for waived results). */
  readonly detail?: string;
  readonly waiver?: Waiver;
}

export interface PolicyReport {
  readonly results: readonly ControlResult[];
  /** Failures without a waiver. */
  readonly violations: readonly ControlResult[];
  /** Waivers for this tier that matched no failure: stale entries in the table. */
  readonly unusedWaivers: readonly Waiver[];
  /** Controls evaluated on at least one resource, by verdict. */
  readonly controlsPassed: readonly string[];
  readonly controlsWaived: readonly string[];
}

/** Evaluates every control on a plan of a `<env>-platform` stack. */
export function evaluatePlan(
  plan: PlanJson,
  tier: Tier,
  controls = CONTROLS,
  waivers = WAIVERS,
): PolicyReport {
  const index = new PlanIndex(plan);
  const applicable = waivers.filter((w) => w.tiers.includes(tier));
  const used = new Set<Waiver>();
  const results: ControlResult[] = [];
  for (const control of controls) {
    for (const resource of index.resources) {
      if (!control.resourceTypes.includes(resource.type)) continue;
      if (control.applies && !control.applies(resource)) continue;
      const detail = control.check(resource, index);
      const base = {
        control: control.id,
        source: control.source,
        title: control.title,
        address: resource.address,
      };
      if (detail === undefined) {
        results.push({ ...base, verdict: "pass" });
        continue;
      }
      const waiver = applicable.find(
        (w) => w.control === control.id && (!w.address || w.address.test(resource.address)),
      );
      if (waiver) used.add(waiver);
      results.push({ ...base, verdict: waiver ? "waived" : "fail", detail, waiver });
    }
  }
  const byControl = (verdict: Verdict) => [
    ...new Set(results.filter((r) => r.verdict === verdict).map((r) => r.control)),
  ];
  const failedOrWaived = new Set([...byControl("fail"), ...byControl("waived")]);
  return {
    results,
    violations: results.filter((r) => r.verdict === "fail"),
    unusedWaivers: applicable.filter((w) => !used.has(w)),
    controlsPassed: byControl("pass").filter((c) => !failedOrWaived.has(c)),
    controlsWaived: byControl("waived"),
  };
}

/** A readable report: violations first, then waivers with reasons, then passed controls. */
export function renderPolicyReport(name: string, report: PolicyReport): string {
  const lines = [
    `${name}: ${report.violations.length} violation(s), ${report.controlsWaived.length} waived, ${report.controlsPassed.length} passed`,
  ];
  for (const v of report.violations) lines.push(`  FAIL ${v.control} ${v.address}: ${v.detail}`);
  for (const w of report.unusedWaivers)
    lines.push(`  STALE WAIVER ${w.control}: matched no failure; remove it from waivers.ts`);
  for (const id of report.controlsWaived) {
    const r = report.results.find((x) => x.control === id && x.verdict === "waived");
    lines.push(`  waived ${id}: ${r?.detail} — ${r?.waiver?.reason}`);
  }
  lines.push(`  passed: ${report.controlsPassed.join(", ")}`);
  return lines.join("\n");
}
