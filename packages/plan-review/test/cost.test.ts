// Cost and connection budget, before → after, counted from really synthesized platform stacks.
import { connectionBudget, instanceCapacity } from "@pgforks/config";
import { resourcesOfType } from "@pgforks/stacks";
import { estimatePlatformCost, formatUsd, RDS_PROXY_MIN_VCPUS } from "../src/cost";
import {
  HOURS_PER_MONTH,
  MULTI_AZ_INSTANCE_FACTOR,
  PRICES,
  RDS_POSTGRES_SINGLE_AZ_HOURLY,
} from "../src/prices";
import { renderReview } from "../src/render";
import { buildReview } from "../src/review";
import { synthesizeForReview } from "../src/synthesize";
import { loadedEnvironment } from "./test-helpers";

const tenants = [
  { name: "shop", connectionLimit: 20 },
  { name: "blog", connectionLimit: 15 },
  { name: "old", state: "retired" as const },
  { name: "gone", state: "dropped" as const, confirmDrop: "gone" },
];
const before = loadedEnvironment("prod", "production", tenants, {
  database: { instanceClass: "db.t4g.small" },
});
const after = loadedEnvironment(
  "prod",
  "production",
  [...tenants, { name: "new", connectionLimit: 25 }],
  {
    database: { instanceClass: "db.t4g.medium" },
  },
);
const beforeSynth = synthesizeForReview([before]);
const afterSynth = synthesizeForReview([after]);
const stackOf = (synth: typeof beforeSynth) => synth.stacks["prod-platform"]?.json ?? {};

describe("estimatePlatformCost", () => {
  const estimate = estimatePlatformCost(stackOf(beforeSynth));
  const line = (prefix: string) => estimate.lines.find((l) => l.item.startsWith(prefix));

  it("prices a Multi-AZ db.t4g.small at twice the Single-AZ rate ($0.032/h, AWS RDS pricing)", () => {
    // 0.032 $/h × 2 (primary + standby) × 730 h = $46.72
    expect(line("RDS instance db.t4g.small")?.monthly).toBe(46.72);
    expect(line("gp3 storage")?.quantity).toBe(2 * before.environment.database.allocatedStorageGb);
  });

  it("counts what the stack creates: alarms, secrets, endpoints per AZ, proxy vCPUs", () => {
    const json = stackOf(beforeSynth);
    const alarms = resourcesOfType(json, "aws_cloudwatch_metric_alarm").length;
    expect(alarms).toBeGreaterThan(0);
    expect(line("CloudWatch alarms, standard")?.quantity).toBe(alarms);
    // Every tenant but the dropped one keeps a secret (retired ones too).
    const secrets = before.tenants.filter((t) => t.state !== "dropped").length;
    expect(line("Secrets Manager secrets")?.quantity).toBe(secrets);
    // ssm and ssmmessages, each with an interface in interfaceEndpointZones AZs (default 1 of
    // the 2 AZs): every endpoint-AZ is billed, so only the AZs the bastion uses are counted.
    const endpoints = resourcesOfType(json, "aws_vpc_endpoint").length;
    const zones = before.environment.network.interfaceEndpointZones;
    expect([endpoints, zones, before.environment.availabilityZones.length]).toEqual([2, 1, 2]);
    expect(line("interface endpoints")?.quantity).toBe(endpoints * zones * HOURS_PER_MONTH);
    expect(line("RDS Proxy")?.quantity).toBe(
      Math.max(RDS_PROXY_MIN_VCPUS, instanceCapacity("db.t4g.small").vcpu) * HOURS_PER_MONTH,
    );
    expect(estimate.total).toBeCloseTo(
      estimate.lines.reduce((sum, l) => sum + l.monthly, 0),
      2,
    );
  });

  it("prices a NAT gateway with its public IPv4 address and a read replica, and says what it cannot price", () => {
    const env = loadedEnvironment("dev", "development", [{ name: "shop" }], {
      network: { natGateway: true },
      database: {
        // A replica has at least its primary's memory (a lower max_connections does not start).
        instanceClass: "db.t4g.micro",
        performanceInsightsRetentionDays: 31,
        readReplicas: [{ name: "reader", instanceClass: "db.t4g.micro" }],
      },
    });
    const json = synthesizeForReview([env]).stacks["dev-platform"]?.json ?? {};
    const { lines, unpriced } = estimatePlatformCost(json);
    const item = (prefix: string) => lines.find((l) => l.item.startsWith(prefix));
    expect(item("NAT gateways (1)")?.quantity).toBe(HOURS_PER_MONTH);
    expect(item("public IPv4 addresses (1)")?.price).toBe(PRICES.publicIpv4);
    expect(item("read replica db.t4g.micro, Single-AZ")?.price).toBe(
      RDS_POSTGRES_SINGLE_AZ_HOURLY["db.t4g.micro"],
    );
    // The replica gets the primary's storage size.
    expect(item("gp3 storage 20 GB (read replica)")?.quantity).toBe(
      env.environment.database.allocatedStorageGb,
    );
    expect(unpriced.join("\n")).toContain("Performance Insights retention of 31 days");
  });

  it("prices the on-demand bastion's max-run alarm (its safety net) like every alarm: +$0.10 a month", () => {
    const estimateFor = (bastionSchedule: "on-demand" | "always-on") => {
      const env = loadedEnvironment("dev", "development", [{ name: "shop" }], {
        network: { bastion: true, bastionPublicIp: true, bastionSchedule },
      });
      const json = synthesizeForReview([env]).stacks["dev-platform"]?.json ?? {};
      const names = resourcesOfType(json, "aws_cloudwatch_metric_alarm").map((a) => a.alarm_name);
      const alarms = estimatePlatformCost(json).lines.find((l) =>
        l.item.startsWith("CloudWatch alarms, standard"),
      );
      return { names, alarms };
    };
    const onDemand = estimateFor("on-demand");
    const alwaysOn = estimateFor("always-on");
    expect(onDemand.names).toContain("pgforks-dev-bastion-max-run");
    expect(alwaysOn.names).not.toContain("pgforks-dev-bastion-max-run");
    expect(onDemand.alarms?.quantity).toBe((alwaysOn.alarms?.quantity ?? 0) + 1);
    expect(onDemand.alarms?.monthly).toBeCloseTo(
      (alwaysOn.alarms?.monthly ?? 0) + PRICES.alarmStandard.usd,
      2,
    );
    expect(PRICES.alarmStandard.usd).toBe(0.1);
  });

  it("says what a burstable class and a rotating KMS key may add beyond the table", () => {
    const cpuCredits = (u: readonly string[]) =>
      u.filter((x) => x.startsWith("CPU credits beyond the baseline"));
    expect(cpuCredits(estimate.unpriced)).toEqual([
      expect.stringContaining("(RDS instance db.t4g.small): RDS runs T classes in Unlimited mode"),
    ]);
    expect(estimate.unpriced).toContainEqual(
      expect.stringMatching(/^automatic rotation of 1 KMS key\(s\): each of a key's first two/),
    );
    // A non-burstable class earns no credits and pays none.
    const steady = loadedEnvironment("prod", "production", tenants, {
      database: { instanceClass: "db.m7g.large" },
    });
    const json = synthesizeForReview([steady]).stacks["prod-platform"]?.json ?? {};
    expect(cpuCredits(estimatePlatformCost(json).unpriced)).toEqual([]);
  });

  it("formats dollars", () => {
    expect(formatUsd(1234.5)).toBe("$1,234.50");
    expect(formatUsd(-3)).toBe("-$3.00");
  });
});

describe("budget and cost before → after", () => {
  const review = buildReview([], {
    after: [after],
    before: [before],
    synth: afterSynth,
    beforeSynth,
  });

  it("moves the cost by the instance price difference plus the new tenant's secret", () => {
    const [cost] = review.costs;
    const instanceDelta =
      (RDS_POSTGRES_SINGLE_AZ_HOURLY["db.t4g.medium"].usd -
        RDS_POSTGRES_SINGLE_AZ_HOURLY["db.t4g.small"].usd) *
      MULTI_AZ_INSTANCE_FACTOR *
      HOURS_PER_MONTH;
    const expected = instanceDelta + PRICES.secret.usd;
    expect(cost?.after && cost.before && cost.after.total - cost.before.total).toBeCloseTo(
      expected,
      2,
    );
    const markdown = renderReview(review);
    const row = markdown.split("\n").find((l) => l.startsWith("| prod | $"));
    expect(row).toContain(`| +${formatUsd(Math.round(expected * 100) / 100)} |`);
  });

  it("names the lines behind the change above the collapsed breakdown: what goes, what comes, what grows", () => {
    const markdown = renderReview(review);
    const shown = markdown.slice(
      markdown.indexOf("What changes the cost:"),
      markdown.indexOf("<details><summary>How the cost is counted"),
    );
    const instance = (cls: "db.t4g.small" | "db.t4g.medium") =>
      formatUsd(
        RDS_POSTGRES_SINGLE_AZ_HOURLY[cls].usd * MULTI_AZ_INSTANCE_FACTOR * HOURS_PER_MONTH,
      );
    const instanceDelta =
      Math.round(
        (RDS_POSTGRES_SINGLE_AZ_HOURLY["db.t4g.medium"].usd -
          RDS_POSTGRES_SINGLE_AZ_HOURLY["db.t4g.small"].usd) *
          MULTI_AZ_INSTANCE_FACTOR *
          HOURS_PER_MONTH *
          100,
      ) / 100;
    // The proxy's price follows the class's vCPUs (2 for both): unchanged, so not listed.
    const secrets = before.tenants.filter((t) => t.state !== "dropped").length;
    const lines = shown.split("\n").filter((l) => l.startsWith("- "));
    expect(lines).toEqual([
      `- prod: \\~ RDS instance db.t4g.small → db.t4g.medium, Multi-AZ (primary + standby): ${instance("db.t4g.small")} → ${instance("db.t4g.medium")}, **+${formatUsd(instanceDelta)}**`,
      `- prod: \\~ Secrets Manager secrets (${secrets} → ${secrets + 1}): ${formatUsd(secrets * PRICES.secret.usd)} → ${formatUsd((secrets + 1) * PRICES.secret.usd)}, **+${formatUsd(PRICES.secret.usd)}**`,
    ]);
  });

  it("shows the connection budget before → after", () => {
    const [budget] = review.budgets;
    const was = connectionBudget(before.environment, before.tenants);
    const now = connectionBudget(after.environment, after.tenants);
    expect(budget?.before).toEqual(was);
    expect(budget?.after).toEqual(now);
    expect(now.requested - was.requested).toBe(25);
    const row = renderReview(review)
      .split("\n")
      .find((l) => l.startsWith("| prod | db.t4g.small → db.t4g.medium |"));
    expect(row).toContain(`| ${was.maxConnections} → ${now.maxConnections} |`);
    expect(row).toContain(`| ${was.requested} → ${now.requested} |`);
  });

  it("fills the tenant sentence of the new tenant from the configuration when nothing is planned", () => {
    expect(review.tenants.map((t) => t.words)).toEqual([
      "+ tenant new in prod: database, role, secret, proxy auth",
    ]);
  });
});
