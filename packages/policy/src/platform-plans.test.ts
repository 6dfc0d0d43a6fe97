import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnvironments } from "@pgforks/config";
import { withProxyEnabled } from "@pgforks/testing";
import { evaluatePlan, type PolicyReport } from "./evaluate";
import type { PlanJson } from "./plan";
import { type PlatformPlan, planPlatformStacks } from "./platform-plans";
import { WAIVERS } from "./waivers";

// One synth and three real Terraform runs (validate + offline plan + show -json) for the
// committed configurations, and one more for the proxy fixture (its own synth: stack names are
// per environment), shared by all tests in this file: the slow part, done once, one at a time.
const workDir = mkdtempSync(join(tmpdir(), "pgforks-policy-test-"));
let plans: PlatformPlan[] = [];
let proxied: PlatformPlan | undefined;

beforeAll(async () => {
  const environments = loadEnvironments(["dev", "staging", "prod"]);
  plans = await planPlatformStacks(environments, join(workDir, "committed"));
  const prod = environments.find((e) => e.name === "prod");
  if (!prod) throw new Error("no prod environment");
  // Test fixture: prod with RDS Proxy on (off by default for cost); RDS.43 needs a real proxy.
  [proxied] = await planPlatformStacks([withProxyEnabled(prod)], join(workDir, "prod-with-proxy"));
}, 480_000);

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function planOf(env: string): PlatformPlan {
  const found = plans.find((p) => p.environment.name === env);
  if (!found) throw new Error(`no plan for ${env}`);
  return found;
}

/** The plan of prod's configuration with the proxy on. */
function prodWithProxy(): PlatformPlan {
  if (!proxied) throw new Error("no plan for prod with the proxy on");
  return proxied;
}

/** A deep copy of a real plan JSON with one resource's planned values patched. */
function mutate(
  platform: PlatformPlan,
  type: string,
  patch: (values: Record<string, unknown>) => void,
  address?: RegExp,
): PlanJson {
  const copy = JSON.parse(JSON.stringify(platform.plan.plan)) as PlanJson & {
    planned_values: {
      root_module: {
        resources: Array<{ type: string; address: string; values: Record<string, unknown> }>;
      };
    };
  };
  const target = copy.planned_values.root_module.resources.find(
    (r) => r.type === type && (!address || address.test(r.address)),
  );
  if (!target) throw new Error(`no ${type} in the ${platform.stack} plan`);
  patch(target.values);
  return copy;
}

const violationsOf = (report: PolicyReport) => report.violations.map((v) => v.control);

/** The planned resources of a type in a plan JSON. */
function resourcesOf(plan: unknown, type: string): unknown[] {
  const resources = (plan as { planned_values?: { root_module?: { resources?: unknown[] } } })
    .planned_values?.root_module?.resources;
  return (resources ?? []).filter((r) => (r as { type?: string }).type === type);
}

describe.each(["dev", "staging", "prod"])("%s-platform through real Terraform", (env) => {
  it("passes terraform validate with no errors", () => {
    expect(planOf(env).validate).toMatchObject({ valid: true, errorCount: 0 });
  });

  it("plans only creations on an empty state, including the shared instance", () => {
    const { changes, plan } = planOf(env).plan;
    expect(changes.add).toBeGreaterThan(40);
    expect([changes.change, changes.destroy, changes.replace]).toEqual([0, 0, 0]);
    const instances = (plan.resource_changes ?? []).filter((r) => r.type === "aws_db_instance");
    expect(instances.map((r) => r.change.actions)).toContainEqual(["create"]);
  });

  it("violates no control except the waived ones, and every waiver for its tier is used", () => {
    const { policy } = planOf(env);
    expect(policy.violations).toEqual([]);
    expect(policy.unusedWaivers).toEqual([]);
    const tier = planOf(env).environment.environment.tier;
    expect([...policy.controlsWaived].sort()).toEqual(
      WAIVERS.filter((w) => w.tiers.includes(tier))
        .map((w) => w.control)
        .sort(),
    );
  });
});

describe("the controls the issue lists", () => {
  const securityHub = [
    "RDS.2",
    "RDS.3",
    "RDS.5",
    "RDS.6",
    "RDS.8",
    "RDS.9",
    "RDS.10",
    "RDS.11",
    "RDS.13",
    "RDS.17",
    "RDS.20",
    "RDS.25",
    "RDS.36",
    "RDS.38",
    "RDS.43",
    "RDS.46",
  ];

  it("all pass in prod with the proxy on, which waives only the default port and the bastion's public IP", () => {
    const { policy, plan } = prodWithProxy();
    expect(resourcesOf(plan.plan, "aws_db_proxy")).toHaveLength(1);
    expect(policy.violations).toEqual([]);
    expect(policy.controlsPassed).toEqual(expect.arrayContaining(securityHub));
    expect([...policy.controlsWaived].sort()).toEqual(["CKV_AWS_88", "RDS.23"]);
  });

  it("all pass in the committed prod except the proxy's, which has no proxy to check", () => {
    const { policy, plan } = planOf("prod");
    expect(resourcesOf(plan.plan, "aws_db_proxy")).toEqual([]);
    const withoutProxy = securityHub.filter((c) => c !== "RDS.43");
    expect(policy.controlsPassed).toEqual(expect.arrayContaining(withoutProxy));
    expect(policy.controlsPassed).not.toContain("RDS.43");
    expect([...policy.controlsWaived].sort()).toEqual(["CKV_AWS_88", "RDS.23"]);
  });

  it("include the checkov ids for security groups, log groups, SNS and KMS", () => {
    expect(planOf("prod").policy.controlsPassed).toEqual(
      expect.arrayContaining([
        "CKV_AWS_23",
        "CKV_AWS_24/25/260/277",
        "CKV2_AWS_12",
        "CKV2_AWS_11",
        "CKV_AWS_158",
        "CKV_AWS_66",
        "CKV_AWS_338",
        "CKV_AWS_26",
        "CKV_AWS_7",
        "CKV_AWS_33",
        "CKV_AWS_149",
        "CKV_AWS_79",
      ]),
    );
  });
});

describe("a violation in the real plan JSON is caught", () => {
  it.each([
    [
      "RDS.2",
      "aws_db_instance",
      (v: Record<string, unknown>) => {
        v.publicly_accessible = true;
      },
    ],
    [
      "RDS.3",
      "aws_db_instance",
      (v: Record<string, unknown>) => {
        v.storage_encrypted = false;
      },
    ],
    [
      "RDS.6",
      "aws_db_instance",
      (v: Record<string, unknown>) => {
        v.monitoring_interval = 0;
      },
    ],
    [
      "RDS.9",
      "aws_db_instance",
      (v: Record<string, unknown>) => {
        v.enabled_cloudwatch_logs_exports = ["postgresql"];
      },
    ],
    [
      "RDS.10",
      "aws_db_instance",
      (v: Record<string, unknown>) => {
        v.iam_database_authentication_enabled = false;
      },
    ],
    [
      "RDS.13",
      "aws_db_instance",
      (v: Record<string, unknown>) => {
        v.auto_minor_version_upgrade = false;
      },
    ],
    [
      "RDS.17",
      "aws_db_instance",
      (v: Record<string, unknown>) => {
        v.copy_tags_to_snapshot = false;
      },
    ],
    [
      "RDS.25",
      "aws_db_instance",
      (v: Record<string, unknown>) => {
        v.username = "postgres";
      },
    ],
    [
      "RDS.20",
      "aws_db_event_subscription",
      (v: Record<string, unknown>) => {
        v.event_categories = ["failure"];
      },
    ],
    [
      "RDS.38",
      "aws_db_parameter_group",
      (v: Record<string, unknown>) => {
        v.parameter = (v.parameter as Array<{ name: string }>).filter(
          (p) => p.name !== "rds.force_ssl",
        );
      },
    ],
    [
      "RDS.43",
      "aws_db_proxy",
      (v: Record<string, unknown>) => {
        v.require_tls = false;
      },
    ],
    [
      "CKV_AWS_23",
      "aws_vpc_security_group_ingress_rule",
      (v: Record<string, unknown>) => {
        v.description = null;
      },
    ],
    [
      "CKV_AWS_24/25/260/277",
      "aws_vpc_security_group_ingress_rule",
      (v: Record<string, unknown>) => {
        v.cidr_ipv4 = "0.0.0.0/0";
      },
    ],
    [
      "CKV2_AWS_12",
      "aws_default_security_group",
      (v: Record<string, unknown>) => {
        v.ingress = [{ self: true, description: "x" }];
      },
    ],
    [
      "CKV_AWS_66",
      "aws_cloudwatch_log_group",
      (v: Record<string, unknown>) => {
        v.retention_in_days = 0;
      },
    ],
    [
      "CKV_AWS_7",
      "aws_kms_key",
      (v: Record<string, unknown>) => {
        v.enable_key_rotation = false;
      },
    ],
    [
      "CKV_AWS_33",
      "aws_kms_key",
      (v: Record<string, unknown>) => {
        v.policy = JSON.stringify({
          Statement: [{ Effect: "Allow", Principal: "*", Action: "kms:*", Resource: "*" }],
        });
      },
    ],
    [
      "CKV_AWS_130",
      "aws_subnet",
      (v: Record<string, unknown>) => {
        v.map_public_ip_on_launch = true;
      },
    ],
  ])("%s", (control, type, patch) => {
    const report = evaluatePlan(mutate(prodWithProxy(), type, patch), "production");
    expect(violationsOf(report)).toContain(control);
  });

  it("RDS.5 and RDS.8 fail in production but are waived in dev", () => {
    const plan = mutate(planOf("prod"), "aws_db_instance", (v) => {
      v.multi_az = false;
      v.deletion_protection = false;
    });
    expect(violationsOf(evaluatePlan(plan, "production")).sort()).toEqual(["RDS.5", "RDS.8"]);
    const dev = evaluatePlan(plan, "development");
    expect(violationsOf(dev)).toEqual([]);
    expect(dev.controlsWaived).toEqual(expect.arrayContaining(["RDS.5", "RDS.8"]));
  });

  it("a waiver that matches no failure is reported as stale", () => {
    const report = evaluatePlan(
      planOf("prod").plan.plan as unknown as PlanJson,
      "production",
      undefined,
      [...WAIVERS, { control: "RDS.3", tiers: ["production"], reason: "test" }],
    );
    expect(report.unusedWaivers.map((w) => w.control)).toEqual(["RDS.3"]);
  });
});
