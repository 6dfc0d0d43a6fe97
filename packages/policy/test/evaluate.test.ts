import type { CheckovReport } from "../src/checkov";
import { evaluatePolicy, policyFailed, renderPolicyReport } from "../src/evaluate";
import type { PlanJson } from "../src/plan";
import type { Skip } from "../src/skips";

// Small hand-written plans, shaped like `terraform show -json` output (planned_values and the
// configuration's references), each holding exactly what one rule looks at.

interface Resource {
  readonly type: string;
  readonly name: string;
  readonly values: Record<string, unknown>;
  /** argument -> addresses it refers to (configuration.root_module.resources[].expressions). */
  readonly refs?: Record<string, string[]>;
}

function plan(resources: readonly Resource[]): PlanJson {
  return {
    format_version: "1.2",
    terraform_version: "1.11.4",
    planned_values: {
      root_module: {
        resources: resources.map((r) => ({
          address: `${r.type}.${r.name}`,
          mode: "managed" as const,
          type: r.type,
          name: r.name,
          provider_name: "registry.terraform.io/hashicorp/aws",
          values: r.values,
        })),
      },
    },
    configuration: {
      root_module: {
        resources: resources.map((r) => ({
          address: `${r.type}.${r.name}`,
          expressions: Object.fromEntries(
            Object.entries(r.refs ?? {}).map(([arg, refs]) => [arg, { references: refs }]),
          ),
        })),
      },
    },
  };
}

/** A PostgreSQL instance that every project rule accepts, in a private subnet. */
function compliant(
  patch: Record<string, unknown> = {},
  extra: Resource[] = [],
  subscriptionPatch: Record<string, unknown> = {},
): PlanJson {
  return plan([
    {
      type: "aws_db_instance",
      name: "db",
      values: {
        engine: "postgres",
        identifier: "db",
        port: 6543,
        username: "forks_admin",
        backup_retention_period: 7,
        enabled_cloudwatch_logs_exports: ["postgresql", "upgrade"],
        ...patch,
      },
      refs: { db_subnet_group_name: ["aws_db_subnet_group.g.name", "aws_db_subnet_group.g"] },
    },
    { type: "aws_db_subnet_group", name: "g", values: {}, refs: { subnet_ids: ["aws_subnet.a"] } },
    { type: "aws_subnet", name: "a", values: { map_public_ip_on_launch: false } },
    {
      type: "aws_db_event_subscription",
      name: "events",
      values: {
        source_type: "db-instance",
        enabled: true,
        source_ids: ["db"],
        event_categories: ["maintenance", "configuration change", "failure"],
        ...subscriptionPatch,
      },
    },
    ...extra,
  ]);
}

const failuresOf = (p: PlanJson, skips: Skip[] = []) =>
  evaluatePolicy([{ stack: "prod-platform", plan: p }], skips).stacks[0]?.failures.map(
    (f) => f.check,
  );

describe("the project's own rules", () => {
  it("accept a compliant instance", () => {
    expect(failuresOf(compliant())).toEqual([]);
  });

  it.each([
    ["RDS.9", { enabled_cloudwatch_logs_exports: ["postgresql"] }],
    ["RDS.11", { backup_retention_period: 1 }],
    ["RDS.23", { port: 5432 }],
    ["RDS.25", { username: "postgres" }],
  ])("%s fails on %j", (check, patch) => {
    expect(failuresOf(compliant(patch))).toEqual([check]);
  });

  it("RDS.9 and RDS.36 fail when the postgresql log is not exported", () => {
    expect(failuresOf(compliant({ enabled_cloudwatch_logs_exports: ["upgrade"] }))).toEqual([
      "RDS.9",
      "RDS.36",
    ]);
  });

  it("RDS.20 fails when no event subscription covers the critical categories", () => {
    expect(failuresOf(compliant({}, [], { event_categories: ["failure"] }))).toEqual(["RDS.20"]);
    expect(failuresOf(compliant({}, [], { source_ids: ["another-db"] }))).toEqual(["RDS.20"]);
  });

  it("RDS.43 fails on a proxy without require_tls", () => {
    const proxy = (requireTls: boolean) => ({
      type: "aws_db_proxy",
      name: "proxy",
      values: { require_tls: requireTls },
    });
    expect(failuresOf(compliant({}, [proxy(true)]))).toEqual([]);
    expect(failuresOf(compliant({}, [proxy(false)]))).toEqual(["RDS.43"]);
  });

  it("RDS.46 fails when the instance's subnet routes to an internet gateway", () => {
    const publicRoute: Resource[] = [
      { type: "aws_route_table", name: "public", values: {} },
      {
        type: "aws_route_table_association",
        name: "a",
        values: {},
        refs: { subnet_id: ["aws_subnet.a"], route_table_id: ["aws_route_table.public"] },
      },
      {
        type: "aws_route",
        name: "internet",
        values: { destination_cidr_block: "0.0.0.0/0" },
        refs: {
          route_table_id: ["aws_route_table.public"],
          gateway_id: ["aws_internet_gateway.igw"],
        },
      },
      { type: "aws_internet_gateway", name: "igw", values: {} },
    ];
    expect(failuresOf(compliant({}, publicRoute))).toEqual(["RDS.46"]);
  });
});

describe("skips", () => {
  const checkov = (failed: string[]): CheckovReport => ({
    file: "plan.json",
    passed: [{ check: "CKV_AWS_16", title: "encrypted", address: "aws_db_instance.db" }],
    failed: failed.map((check) => ({ check, title: check, address: "aws_instance.bastion" })),
  });
  const skip = (check: string, stacks: string[], resource?: RegExp): Skip => ({
    check,
    stacks,
    ...(resource ? { resource } : {}),
    reason: "a reason long enough to count",
  });

  it("a checkov failure no skip covers fails the policy", () => {
    const report = evaluatePolicy(
      [{ stack: "prod-platform", plan: compliant(), checkov: checkov(["CKV_AWS_88"]) }],
      [],
    );
    expect(report.stacks[0]?.failures.map((f) => `${f.check} ${f.source}`)).toEqual([
      "CKV_AWS_88 checkov",
    ]);
    expect(policyFailed(report)).toBe(true);
    expect(renderPolicyReport(report)).toContain("FAIL CKV_AWS_88 aws_instance.bastion");
  });

  it("renders no empty 'passed:' line for a stack where nothing passed", () => {
    // A stack no project rule applies to (a bootstrap stack), with checkov not installed.
    const report = evaluatePolicy([{ stack: "bootstrap-prod", plan: plan([]) }], [], []);
    expect(renderPolicyReport(report)).toBe(
      "bootstrap-prod: 0 failure(s), 0 skipped, 0 passed (checkov NOT RUN: project rules only)",
    );
  });

  it("a skip covers its check on its stacks and matching resources only", () => {
    const skips = [skip("CKV_AWS_88", ["prod-platform"], /bastion/)];
    const covered = evaluatePolicy(
      [{ stack: "prod-platform", plan: compliant(), checkov: checkov(["CKV_AWS_88"]) }],
      skips,
    );
    expect(covered.stacks[0]?.failures).toEqual([]);
    expect(covered.stacks[0]?.skipped.map((f) => f.skip)).toEqual(skips);
    expect(policyFailed(covered)).toBe(false);
    const otherStack = evaluatePolicy(
      [{ stack: "dev-platform", plan: compliant(), checkov: checkov(["CKV_AWS_88"]) }],
      skips,
    );
    expect(otherStack.stacks[0]?.failures.map((f) => f.check)).toEqual(["CKV_AWS_88"]);
    const otherResource = evaluatePolicy(
      [{ stack: "prod-platform", plan: compliant(), checkov: checkov(["CKV_AWS_88"]) }],
      [skip("CKV_AWS_88", ["prod-platform"], /^aws_launch_template\./)],
    );
    expect(otherResource.stacks[0]?.failures.map((f) => f.check)).toEqual(["CKV_AWS_88"]);
  });

  it("a skip that matches no failure on one of its stacks is reported unused", () => {
    const report = evaluatePolicy(
      [
        { stack: "dev-platform", plan: compliant(), checkov: checkov(["CKV_AWS_88"]) },
        { stack: "prod-platform", plan: compliant(), checkov: checkov([]) },
      ],
      [skip("CKV_AWS_88", ["dev-platform", "prod-platform"])],
    );
    expect(report.unusedSkips.map((u) => `${u.skip.check} ${u.stack}`)).toEqual([
      "CKV_AWS_88 prod-platform",
    ]);
    expect(policyFailed(report)).toBe(true);
    expect(renderPolicyReport(report)).toContain("STALE SKIP CKV_AWS_88 on prod-platform");
  });

  it("checkov's skips are not judged where checkov did not run; the project's are", () => {
    const report = evaluatePolicy(
      [{ stack: "prod-platform", plan: compliant() }],
      [skip("CKV_AWS_88", ["prod-platform"]), skip("RDS.23", ["prod-platform"])],
    );
    expect(report.unusedSkips.map((u) => u.skip.check)).toEqual(["RDS.23"]);
    expect(renderPolicyReport(report)).toContain("checkov NOT RUN");
  });

  it("a check passes only where it failed on no resource", () => {
    const report = evaluatePolicy(
      [{ stack: "prod-platform", plan: compliant({ port: 5432 }), checkov: checkov([]) }],
      [],
    );
    expect(report.stacks[0]?.passed).toContain("CKV_AWS_16");
    expect(report.stacks[0]?.passed).toContain("RDS.25");
    expect(report.stacks[0]?.passed).not.toContain("RDS.23");
  });
});
