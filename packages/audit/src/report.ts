import type { AuditReport, Finding } from "./findings";

/** "no findings", "1 finding", "N findings". */
export function summaryLine(count: number): string {
  if (count === 0) return "no findings";
  return `${count} finding${count === 1 ? "" : "s"}`;
}

/** Readable report: findings grouped by tenant (config order), then drift, then the summary. */
export function renderReport(report: AuditReport): string {
  const { server, checked } = report;
  const lines = [
    `Audit of environment "${report.environment}": PostgreSQL ${server.version}, as ${server.user} on ${server.database}`,
    `Checked ${checked.tenants} tenants against ${checked.roles} roles and ${checked.databases} databases.`,
  ];
  const groups = new Map<string, Finding[]>();
  for (const finding of report.findings) {
    const key = finding.tenant === undefined ? "" : `tenant ${finding.tenant}`;
    groups.set(key, [...(groups.get(key) ?? []), finding]);
  }
  const width = Math.max(0, ...report.findings.map((f) => f.code.length));
  // Tenant groups first (Map keeps insertion order = config order), drift last.
  const keys = [...groups.keys()].sort((a, b) => Number(a === "") - Number(b === ""));
  for (const key of keys) {
    lines.push("", key === "" ? "not in the config" : key);
    for (const finding of groups.get(key) ?? []) {
      lines.push(`  ${finding.code.padEnd(width)}  ${finding.message}`);
    }
  }
  lines.push("", summaryLine(report.findings.length));
  return `${lines.join("\n")}\n`;
}

/** The report as JSON, with `ok` and the count on top for scripts. */
export function renderReportJson(report: AuditReport): string {
  return `${JSON.stringify(
    { ok: report.findings.length === 0, count: report.findings.length, ...report },
    null,
    2,
  )}\n`;
}
