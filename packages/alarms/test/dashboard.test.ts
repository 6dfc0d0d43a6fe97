import { instanceCapacity } from "@pgforks/config";
import { synthScope } from "@pgforks/testing";
import { DatabaseDashboard, type DatabaseDashboardProps } from "../src/dashboard";
import { deriveThresholds } from "../src/thresholds";

const storage = { allocatedStorageGb: 20, maxAllocatedStorageGb: 100 };
const small = deriveThresholds(instanceCapacity("db.t4g.small"), storage, 80, {
  maxConnectionsPercent: 90,
});

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: {
    title: string;
    region: string;
    metrics: unknown[][];
    annotations: { horizontal: { label: string; value: number }[] };
  };
}

const base: DatabaseDashboardProps = {
  name: "pgforks-test",
  region: "us-east-1",
  instanceIdentifier: "pgforks-test-db",
  thresholds: small,
};

function synth(p: DatabaseDashboardProps = base) {
  const { all } = synthScope((scope) => {
    new DatabaseDashboard(scope, "dashboard", p);
  });
  const dashboard = all("aws_cloudwatch_dashboard")[0] as {
    dashboard_name: string;
    dashboard_body: string;
  };
  const widgets = (JSON.parse(dashboard.dashboard_body) as { widgets: Widget[] }).widgets;
  return { dashboard, widgets };
}

function widget(widgets: Widget[], title: string): Widget {
  const found = widgets.find((w) => w.properties.title === title);
  if (!found)
    throw new Error(`no widget "${title}" among ${widgets.map((w) => w.properties.title)}`);
  return found;
}

const lines = (w: Widget) => w.properties.annotations.horizontal.map((a) => a.value);

describe("DatabaseDashboard", () => {
  it("is a JSON dashboard named after the environment", () => {
    const { dashboard, widgets } = synth();
    expect(dashboard.dashboard_name).toBe("pgforks-test-database");
    for (const w of widgets) {
      expect(w.type).toBe("metric");
      expect(w.properties.region).toBe("us-east-1");
    }
  });

  it("has the seed 001 widgets with the alarm thresholds drawn on them", () => {
    const { widgets } = synth();
    expect(lines(widget(widgets, "Connections"))).toEqual([158, 178]);
    expect(lines(widget(widgets, "CPU utilization (%)"))).toEqual([80]);
    expect(lines(widget(widgets, "Freeable memory (bytes)"))).toEqual([536870912]);
    expect(lines(widget(widgets, "Free storage space (bytes)"))).toEqual([2147483648]);
    const latency = widget(widgets, "Read/write latency (seconds)");
    expect(lines(latency)).toEqual([0.02]);
    expect(latency.properties.metrics.map((m) => m[1])).toEqual(["ReadLatency", "WriteLatency"]);
    expect(lines(widget(widgets, "DB load (average active sessions)"))).toEqual([2]);
  });

  it("graphs the instance's metrics", () => {
    const connections = widget(synth().widgets, "Connections");
    expect(connections.properties.metrics).toEqual([
      ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", "pgforks-test-db"],
    ]);
  });

  it("shows CPU credits only on burstable classes", () => {
    expect(lines(widget(synth().widgets, "CPU credit balance"))).toEqual([115]);
    const large = deriveThresholds(instanceCapacity("db.m6g.large"), storage);
    const titles = synth({ ...base, thresholds: large }).widgets.map((w) => w.properties.title);
    expect(titles).not.toContain("CPU credit balance");
  });

  it("adds replica and proxy widgets only when configured", () => {
    const plain = synth().widgets.map((w) => w.properties.title);
    expect(plain.some((t) => t.startsWith("Proxy") || t.startsWith("Replica"))).toBe(false);

    const { widgets } = synth({
      ...base,
      proxyName: "pgforks-test",
      replicaIdentifiers: ["pgforks-test-r"],
    });
    expect(lines(widget(widgets, "Replica lag (seconds)"))).toEqual([30]);
    expect(lines(widget(widgets, "Proxy connections"))).toEqual([178, 160, 89]);
    expect(lines(widget(widgets, "Proxy failed logins (per 5 minutes)"))).toEqual([10]);
    const availability = widget(widgets, "Proxy availability (%)");
    expect(lines(availability)).toEqual([95]);
    expect(availability.properties.metrics[0]).toEqual([
      "AWS/RDS",
      "AvailabilityPercentage",
      "ProxyName",
      "pgforks-test",
      "TargetGroup",
      "default",
      "TargetRole",
      "READ_WRITE",
    ]);
  });

  it("lays widgets out on the grid without overlap", () => {
    const { widgets } = synth({ ...base, proxyName: "p", replicaIdentifiers: ["r"] });
    const cells = widgets.map((w) => `${w.x},${w.y}`);
    expect(new Set(cells).size).toBe(widgets.length);
    for (const w of widgets) expect(w.x + w.width).toBeLessThanOrEqual(24);
  });
});
