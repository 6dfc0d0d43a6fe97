import { type InstanceClass, instanceCapacity } from "@pgforks/config";
import { synthScope } from "@pgforks/testing";
import { DatabaseAlarms, type DatabaseAlarmsProps } from "../src/database-alarms";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:pgforks-test-alarms";

function props(
  instanceClass: InstanceClass,
  patch: Partial<DatabaseAlarmsProps> = {},
): DatabaseAlarmsProps {
  return {
    name: "pgforks-test",
    topicArn: TOPIC,
    instanceIdentifier: "pgforks-test-db",
    capacity: instanceCapacity(instanceClass),
    allocatedStorageGb: 20,
    maxAllocatedStorageGb: 100,
    region: "us-east-1",
    ...patch,
  };
}

interface Alarm {
  alarm_name: string;
  alarm_description: string;
  namespace: string;
  metric_name: string;
  dimensions: Record<string, string>;
  statistic: string;
  period: number;
  evaluation_periods: number;
  datapoints_to_alarm: number;
  comparison_operator: string;
  threshold: number;
  treat_missing_data: string;
  alarm_actions: string[];
  ok_actions: string[];
}

function synth(p: DatabaseAlarmsProps): Alarm[] {
  const { all } = synthScope((scope) => {
    new DatabaseAlarms(scope, "alarms", p);
  });
  return all<Alarm>("aws_cloudwatch_metric_alarm");
}

function byMetric(alarms: Alarm[], metric: string): Alarm[] {
  return alarms.filter((a) => a.metric_name === metric);
}

function one(alarms: Alarm[], metric: string): Alarm {
  const found = byMetric(alarms, metric);
  expect(found).toHaveLength(1);
  return found[0] as Alarm;
}

const INSTANCE = { DBInstanceIdentifier: "pgforks-test-db" };
const BURSTABLE_ONLY = ["CPUCreditBalance", "CPUSurplusCreditsCharged"];
const PROXY_METRICS = [
  "ClientConnections",
  "DatabaseConnectionsCurrentlySessionPinned",
  "ClientConnectionsSetupFailedAuth",
  "AvailabilityPercentage",
];

describe("DatabaseAlarms", () => {
  describe("on db.t4g.small (burstable, 2 vCPU, 2 GiB)", () => {
    const alarms = synth(props("db.t4g.small"));

    it.each([
      ["CPUUtilization", "GreaterThanThreshold", 80],
      ["DBLoad", "GreaterThanThreshold", 2],
      ["FreeableMemory", "LessThanThreshold", 536870912],
      ["FreeStorageSpace", "LessThanThreshold", 2147483648],
      ["ReadLatency", "GreaterThanThreshold", 0.02],
      ["WriteLatency", "GreaterThanThreshold", 0.02],
      ["CPUCreditBalance", "LessThanThreshold", 115],
      ["CPUSurplusCreditsCharged", "GreaterThanThreshold", 0],
    ])("alarms on %s %s %d on the instance", (metric, comparison, threshold) => {
      const alarm = one(alarms, metric);
      expect(alarm.comparison_operator).toBe(comparison);
      expect(alarm.threshold).toBe(threshold);
      expect(alarm.dimensions).toEqual(INSTANCE);
      expect(alarm.namespace).toBe("AWS/RDS");
    });

    it("warns at 158 and is critical at 178 DatabaseConnections (80%/90% of 198)", () => {
      const thresholds = byMetric(alarms, "DatabaseConnections").map((a) => [
        a.alarm_name,
        a.threshold,
      ]);
      expect(thresholds).toHaveLength(2);
      expect(thresholds).toEqual(
        expect.arrayContaining([
          ["pgforks-test-connections-warning", 158],
          ["pgforks-test-connections-critical", 178],
        ]),
      );
    });

    it("describes the storage threshold relative to autoscaling", () => {
      const description = one(alarms, "FreeStorageSpace").alarm_description;
      expect(description).toMatch(/2 GiB \(2147483648 bytes\)/);
      expect(description).toMatch(/10% of the initial 20 GiB/);
      expect(description).toMatch(/100 GiB ceiling \(threshold = 2\.0% of it\)/);
    });

    it("has no replica or proxy alarms unless configured", () => {
      expect(byMetric(alarms, "ReplicaLag")).toHaveLength(0);
      for (const metric of PROXY_METRICS) expect(byMetric(alarms, metric)).toHaveLength(0);
    });
  });

  describe("on db.r6g.large (2 vCPU, 16 GiB)", () => {
    const alarms = synth(props("db.r6g.large"));

    it("derives memory and connection thresholds from the class", () => {
      expect(one(alarms, "FreeableMemory").threshold).toBe(4294967296);
      expect(
        byMetric(alarms, "DatabaseConnections")
          .map((a) => a.threshold)
          .sort((a, b) => a - b),
      ).toEqual([1267, 1425]); // 80% and 90% of 1584 (16 GiB × 0.879 / 9531392)
      expect(one(alarms, "DBLoad").threshold).toBe(2);
    });

    it("has no CPU credit alarms", () => {
      for (const metric of BURSTABLE_ONLY) expect(byMetric(alarms, metric)).toHaveLength(0);
    });
  });

  it("has no burstable-only alarms on db.m6g.large", () => {
    const alarms = synth(props("db.m6g.large"));
    for (const metric of BURSTABLE_ONLY) expect(byMetric(alarms, metric)).toHaveLength(0);
    expect(one(alarms, "CPUUtilization").threshold).toBe(80);
  });

  it("uses the configured CPU threshold", () => {
    const alarms = synth(props("db.m6g.large", { cpuUtilizationPercent: 70 }));
    expect(one(alarms, "CPUUtilization").threshold).toBe(70);
    expect(one(alarms, "CPUUtilization").alarm_description).toMatch(/above 70%/);
  });

  it("adds one ReplicaLag alarm per replica, on the replica", () => {
    const alarms = synth(
      props("db.t4g.small", { replicaIdentifiers: ["pgforks-test-reports", "pgforks-test-b"] }),
    );
    const lag = byMetric(alarms, "ReplicaLag");
    expect(lag.map((a) => a.dimensions.DBInstanceIdentifier).sort()).toEqual([
      "pgforks-test-b",
      "pgforks-test-reports",
    ]);
    for (const alarm of lag) {
      expect(alarm.threshold).toBe(30);
      expect(alarm.comparison_operator).toBe("GreaterThanThreshold");
      expect(alarm.alarm_name).toBe(
        `pgforks-test-replica-lag-${alarm.dimensions.DBInstanceIdentifier}`,
      );
    }
  });

  describe("with a proxy", () => {
    const alarms = synth(props("db.t4g.small", { proxyName: "pgforks-test" }));

    it("alarms on client connections near the pool (160 of 178) per proxy", () => {
      const alarm = one(alarms, "ClientConnections");
      expect(alarm.dimensions).toEqual({ ProxyName: "pgforks-test" });
      expect(alarm.statistic).toBe("Sum");
      expect(alarm.period).toBe(60);
      expect(alarm.threshold).toBe(160);
    });

    it("alarms on session pinning (half the pool) and failed logins", () => {
      const pinned = one(alarms, "DatabaseConnectionsCurrentlySessionPinned");
      expect(pinned.dimensions).toEqual({ ProxyName: "pgforks-test" });
      expect(pinned.threshold).toBe(89);
      const auth = one(alarms, "ClientConnectionsSetupFailedAuth");
      expect(auth.dimensions).toEqual({ ProxyName: "pgforks-test" });
      expect(auth.statistic).toBe("Sum");
      expect(auth.threshold).toBe(10);
    });

    it("alarms on availability of the read/write target (dimension set 4)", () => {
      const alarm = one(alarms, "AvailabilityPercentage");
      expect(alarm.dimensions).toEqual({
        ProxyName: "pgforks-test",
        TargetGroup: "default",
        TargetRole: "READ_WRITE",
      });
      expect(alarm.comparison_operator).toBe("LessThanThreshold");
      expect(alarm.threshold).toBe(95);
    });

    it("sizes the pool from proxy.maxConnectionsPercent", () => {
      const half = synth(
        props("db.t4g.small", { proxyName: "pgforks-test", proxyMaxConnectionsPercent: 50 }),
      );
      // pool = floor(198 x 50%) = 99; clients alarm at 90% of it.
      expect(one(half, "ClientConnections").threshold).toBe(89);
    });
  });

  describe("every alarm", () => {
    const alarms = synth(
      props("db.t4g.small", { proxyName: "pgforks-test", replicaIdentifiers: ["pgforks-test-r"] }),
    );

    it("covers the full set when everything is configured", () => {
      expect(alarms).toHaveLength(15);
    });

    it("notifies the topic when it fires and when it recovers", () => {
      for (const alarm of alarms) {
        expect(alarm.alarm_actions).toEqual([TOPIC]);
        expect(alarm.ok_actions).toEqual([TOPIC]);
      }
    });

    it("states its threshold in its description", () => {
      for (const alarm of alarms) {
        const shown =
          alarm.threshold > 0 && alarm.threshold < 1
            ? `${alarm.threshold * 1000} ms`
            : `${alarm.threshold}`;
        expect(alarm.alarm_description).toContain(shown);
        expect(alarm.alarm_description.length).toBeLessThanOrEqual(1024);
      }
    });

    it("chooses how missing data counts and evaluates more than an instant", () => {
      for (const alarm of alarms) {
        expect(["missing", "notBreaching"]).toContain(alarm.treat_missing_data);
        expect(alarm.period * alarm.evaluation_periods).toBeGreaterThanOrEqual(300);
        expect(alarm.datapoints_to_alarm).toBeLessThanOrEqual(alarm.evaluation_periods);
      }
    });

    it("has a unique name under the prefix", () => {
      const names = alarms.map((a) => a.alarm_name);
      expect(new Set(names).size).toBe(names.length);
      for (const name of names) expect(name.startsWith("pgforks-test-")).toBe(true);
    });
  });
});
