import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnvironments } from "@pgforks/config";
import { testWhen, withProxyEnabled } from "@pgforks/testing";
import { checkovMissing } from "../src/checkov";
import type { PolicyReport, StackPolicy } from "../src/evaluate";
import { loadSkips } from "../src/skips";
import {
  checkovReports,
  checkStacks,
  type PlannedStack,
  planBootstrapStacks,
  planPlatformStacks,
} from "../src/stack-plans";

// Real Terraform (validate + offline plan + show -json) on every AWS stack of the committed
// configurations (three platform, three bootstrap) and on prod with RDS Proxy on, one at a time,
// then checkov once on all seven plan JSON files: the slow part, done once for the whole file.
// Measured: 450 s for all of it on a 2-core machine at load 11 (about 45 s per stack, 30 s for
// checkov); the timeout leaves room for a busier one.
const BEFORE_ALL_TIMEOUT_MS = 900_000;
const ENVIRONMENTS = ["dev", "staging", "prod"];
const STACKS = ENVIRONMENTS.flatMap((env) => [`${env}-platform`, `bootstrap-${env}`]);

const missing = checkovMissing();
const withCheckov = testWhen(missing);
const workDir = mkdtempSync(join(tmpdir(), "pgforks-policy-test-"));
const skips = loadSkips();
let planned: PlannedStack[] = [];
let committed: PolicyReport | undefined;
let proxied: { planned: PlannedStack; report: PolicyReport } | undefined;

beforeAll(async () => {
  const environments = loadEnvironments(ENVIRONMENTS);
  const prod = environments.find((e) => e.name === "prod");
  if (!prod) throw new Error("no prod environment");
  planned = [
    ...(await planPlatformStacks(environments, join(workDir, "platform"))),
    ...(await planBootstrapStacks(environments, join(workDir, "bootstrap"))),
  ];
  // Test fixture: prod with RDS Proxy on (off by default for cost); RDS.43 needs a real proxy.
  const [proxyPlan] = await planPlatformStacks([withProxyEnabled(prod)], join(workDir, "proxy"));
  if (!proxyPlan) throw new Error("no plan for prod with the proxy on");
  const reports = missing
    ? undefined
    : await checkovReports([...planned, proxyPlan], join(workDir, "checks"));
  committed = checkStacks(planned, skips, reports?.slice(0, planned.length));
  proxied = {
    planned: proxyPlan,
    report: checkStacks([proxyPlan], skips, reports?.slice(planned.length)),
  };
}, BEFORE_ALL_TIMEOUT_MS);

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function policyOf(stack: string): StackPolicy {
  const found = committed?.stacks.find((s) => s.stack === stack);
  if (!found) throw new Error(`no policy result for ${stack}`);
  return found;
}

function plannedOf(stack: string): PlannedStack {
  const found = planned.find((p) => p.stack === stack);
  if (!found) throw new Error(`no plan for ${stack}`);
  return found;
}

const brief = (s: StackPolicy) => s.failures.map((f) => `${f.check} ${f.address} (${f.source})`);

describe.each(STACKS)("%s through real Terraform", (stack) => {
  it("passes terraform validate with no errors and plans only creations", () => {
    const { validate, plan } = plannedOf(stack);
    expect(validate).toMatchObject({ valid: true, errorCount: 0 });
    expect(plan.changes.add).toBeGreaterThan(10);
    expect([plan.changes.change, plan.changes.destroy, plan.changes.replace]).toEqual([0, 0, 0]);
  });

  it("fails none of the project's own rules outside the skips file", () => {
    const own = policyOf(stack).failures.filter((f) => f.source === "project");
    expect(own.map((f) => `${f.check} ${f.address}`)).toEqual([]);
  });

  withCheckov("fails no checkov check outside the skips file", () => {
    expect(policyOf(stack).checkovRan).toBe(true);
    expect(brief(policyOf(stack))).toEqual([]);
  });
});

describe("the skips file", () => {
  it("names only stacks that exist", () => {
    const named = new Set(skips.flatMap((s) => s.stacks));
    expect([...named].filter((s) => !STACKS.includes(s))).toEqual([]);
  });

  it("has no stale entry for the project's own rules", () => {
    const stale = (committed?.unusedSkips ?? []).filter((u) => !u.skip.check.startsWith("CKV"));
    expect(stale.map((u) => `${u.skip.check} on ${u.stack}`)).toEqual([]);
  });

  withCheckov("has no stale entry for checkov", () => {
    expect(committed?.unusedSkips.map((u) => `${u.skip.check} on ${u.stack}`)).toEqual([]);
  });
});

describe("prod with RDS Proxy on", () => {
  it("plans the proxy, and the project's rules on it (RDS.43) pass", () => {
    const report = proxied?.report.stacks[0];
    expect(
      (proxied?.planned.plan.plan.resource_changes ?? []).filter((r) => r.type === "aws_db_proxy"),
    ).toHaveLength(1);
    expect(report?.passed).toContain("RDS.43");
    expect(report?.failures.filter((f) => f.source === "project")).toEqual([]);
  });

  withCheckov("fails no checkov check outside prod-platform's skips", () => {
    const report = proxied?.report.stacks[0];
    if (!report) throw new Error("no report for prod with the proxy on");
    expect(brief(report)).toEqual([]);
  });
});

describe("checkov covers the controls the project no longer checks itself", () => {
  // Security Hub control -> the checkov check that replaced the project's rule for it.
  const replaced: Record<string, string> = {
    "RDS.2 public access": "CKV_AWS_17",
    "RDS.3 encryption at rest": "CKV_AWS_16",
    "RDS.5 Multi-AZ": "CKV_AWS_157",
    "RDS.6 enhanced monitoring": "CKV_AWS_118",
    "RDS.8 deletion protection": "CKV_AWS_293",
    "RDS.10 IAM authentication": "CKV_AWS_161",
    "RDS.13 minor version upgrades": "CKV_AWS_226",
    "RDS.17 copy tags to snapshots": "CKV2_AWS_60",
    "RDS.38 encryption in transit": "CKV2_AWS_69",
    "security group descriptions": "CKV_AWS_23",
    "no SSH from the internet": "CKV_AWS_24",
    "no RDP from the internet": "CKV_AWS_25",
    "no HTTP from the internet": "CKV_AWS_260",
    "no ingress on all ports from the internet": "CKV_AWS_277",
    "default security group closed": "CKV2_AWS_12",
    "VPC flow logs": "CKV2_AWS_11",
    "no public IP on subnets": "CKV_AWS_130",
    "log groups encrypted": "CKV_AWS_158",
    "log retention set": "CKV_AWS_66",
    "log retention one year": "CKV_AWS_338",
    "SNS encrypted": "CKV_AWS_26",
    "KMS rotation": "CKV_AWS_7",
    "KMS policy without wildcard principal": "CKV_AWS_33",
    "secrets with a customer key": "CKV_AWS_149",
    IMDSv2: "CKV_AWS_79",
  };

  withCheckov("every replacing checkov check passes on prod-platform", () => {
    const passed = policyOf("prod-platform").passed;
    const notPassed = Object.entries(replaced).filter(([, id]) => !passed.includes(id));
    expect(notPassed).toEqual([]);
  });
});
