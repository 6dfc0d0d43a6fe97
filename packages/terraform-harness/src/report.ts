import type { StackReport, StepTimings } from "./harness";
import type { ChangeSummary } from "./json-output";

const OK = "✓";
const FAIL = "✗";

function seconds(ms: number | undefined): string {
  return `${((ms ?? 0) / 1000).toFixed(1)}s`;
}

/** "+12 ~0 -1", Terraform's add / change / destroy counts. */
export function formatChanges(changes: ChangeSummary): string {
  return `+${changes.add} ~${changes.change} -${changes.destroy}`;
}

/** "init 1.6s, validate 1.7s, plan 2.0s, show 1.5s" for the steps that ran. */
export function formatTimings(timings: StepTimings): string {
  const steps = ["init", "validate", "plan", "show"] as const;
  return steps
    .filter((step) => timings[step] !== undefined)
    .map((step) => `${step} ${seconds(timings[step])}`)
    .join(", ");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}

/**
 * One line per stack (plus indented errors for failures):
 * `prod-platform   validate ✓  plan ✓ (+123 ~0 -0)  12.3s (init 1.6s, ...)` or
 * `prod-tenants    not validated: provider unavailable offline (...)`.
 */
export function formatReport(report: StackReport, nameWidth = report.stack.length + 2): string {
  const name = report.stack.padEnd(nameWidth);
  if (report.status === "not-validated") return `${name}not validated: ${report.reason}`;
  const timing = `${seconds(report.totalMs)} (${formatTimings(report.timings)})`;
  const validate = report.validate;
  if (report.status === "passed" && report.planNotOffline) {
    return `${name}validate ${OK}  plan: ${report.planNotOffline}  ${timing}`;
  }
  if (report.status === "passed") {
    const changes = report.changes ? ` (${formatChanges(report.changes)})` : "";
    return `${name}validate ${OK}  plan ${OK}${changes}  ${timing}`;
  }
  let steps: string;
  if (!validate) steps = `validate ${FAIL}`;
  else if (!validate.valid) steps = `validate ${FAIL} (${validate.errorCount} error(s))`;
  else steps = `validate ${OK}  plan ${FAIL}`;
  return `${name}${steps}  ${timing}\n${indent(report.error ?? "unknown error")}`;
}

/** Counts per status. */
export function countStatuses(
  reports: readonly StackReport[],
): Record<StackReport["status"], number> {
  const counts = { passed: 0, failed: 0, "not-validated": 0 };
  for (const report of reports) counts[report.status]++;
  return counts;
}

/**
 * The closing summary. Not-validated stacks get their own loud line: they were never run, so they
 * must not be mistaken for passes.
 */
export function formatSummary(reports: readonly StackReport[]): string {
  const counts = countStatuses(reports);
  const lines = [
    `terraform-harness summary: ${counts.passed} passed, ${counts.failed} failed, ${counts["not-validated"]} NOT VALIDATED`,
  ];
  const skipped = reports.filter((report) => report.status === "not-validated");
  if (skipped.length > 0) {
    lines.push(
      `WARNING: ${skipped.length} stack(s) were NOT validated (never run, not counted as passed): ${skipped
        .map((report) => report.stack)
        .join(", ")}`,
    );
  }
  return lines.join("\n");
}

/** Exit code of `validate`: non-zero only when a stack failed. */
export function exitCodeOf(reports: readonly StackReport[]): number {
  return reports.some((report) => report.status === "failed") ? 1 : 0;
}
