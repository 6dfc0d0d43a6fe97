import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { Construct } from "constructs";
import {
  formatBytes,
  formatSeconds,
  INSTANCE_DIMENSION,
  METRIC,
  PROXY_DEFAULT_TARGET_GROUP,
  PROXY_GAUGE_PERIOD_SECONDS,
  PROXY_READ_WRITE_ROLE,
  RDS_NAMESPACE,
} from "./metrics";
import type { DatabaseThresholds } from "./thresholds";

/** Properties of {@link DatabaseDashboard}. */
export interface DatabaseDashboardProps {
  /** Name prefix; the dashboard is `<name>-database`. Required. */
  readonly name: string;
  /** Region of the metrics (each widget names it). Required. */
  readonly region: string;
  /** Identifier of the shared RDS instance. Required. */
  readonly instanceIdentifier: string;
  /** The alarm thresholds (DatabaseAlarms.thresholds), drawn as horizontal lines. Required. */
  readonly thresholds: DatabaseThresholds;
  /** RDS Proxy name: adds the proxy widgets. Default none. */
  readonly proxyName?: string;
  /** Read replica identifiers: adds a replica lag widget. Default none. */
  readonly replicaIdentifiers?: readonly string[];
}

/** Widget grid: two widgets per row on CloudWatch's 24-column grid. */
export const WIDGET_WIDTH = 12;
export const WIDGET_HEIGHT = 6;
const GRID_COLUMNS = 24;

/** Period of the instance graphs: RDS publishes instance metrics every minute. */
const GRAPH_PERIOD_SECONDS = 60;

type Stat = "Average" | "Minimum" | "Maximum" | "Sum";

/** One line of a graph: `[namespace, metric, dimension name, value, ..., options]`. */
type MetricLine = (string | { label?: string; stat?: Stat; period?: number })[];

interface HorizontalAnnotation {
  readonly label: string;
  readonly value: number;
  readonly color?: string;
}

interface GraphSpec {
  readonly title: string;
  readonly metrics: MetricLine[];
  readonly stat: Stat;
  readonly period?: number;
  readonly annotations: HorizontalAnnotation[];
  readonly yAxisMax?: number;
}

/** Alarm lines in red, warnings in orange (CloudWatch accepts hex colors). */
const ALARM_COLOR = "#d62728";
const WARNING_COLOR = "#ff7f0e";

/**
 * The CloudWatch dashboard of the shared instance (seed 001, "CloudWatch Dashboard Setup"):
 * connections, CPU, freeable memory, free storage and read/write latency, plus DB load, CPU
 * credits, replica lag and the proxy when they apply. Every alarm threshold is drawn as a
 * horizontal line on its graph, so "how close are we" is visible at a glance.
 */
export class DatabaseDashboard extends Construct {
  /** The `aws_cloudwatch_dashboard`. */
  readonly dashboard: CloudwatchDashboard;
  /** The dashboard body before serialization (tests and reviews read it). */
  readonly body: { widgets: object[] };

  constructor(scope: Construct, id: string, props: DatabaseDashboardProps) {
    super(scope, id);
    this.body = { widgets: layout(graphs(props), props.region) };
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: `${props.name}-database`,
      dashboardBody: JSON.stringify(this.body),
    });
  }
}

function instanceLine(metric: string, instance: string, label?: string): MetricLine {
  return [RDS_NAMESPACE, metric, INSTANCE_DIMENSION, instance, ...(label ? [{ label }] : [])];
}

function graphs(props: DatabaseDashboardProps): GraphSpec[] {
  const t = props.thresholds;
  const db = props.instanceIdentifier;
  const specs: GraphSpec[] = [
    {
      title: "Connections",
      metrics: [instanceLine(METRIC.databaseConnections, db)],
      stat: "Maximum",
      annotations: [
        {
          label: `warning ${t.databaseConnectionsWarning}`,
          value: t.databaseConnectionsWarning,
          color: WARNING_COLOR,
        },
        {
          label: `critical ${t.databaseConnectionsCritical}`,
          value: t.databaseConnectionsCritical,
          color: ALARM_COLOR,
        },
      ],
    },
    {
      title: "CPU utilization (%)",
      metrics: [instanceLine(METRIC.cpuUtilization, db)],
      stat: "Average",
      annotations: [
        {
          label: `alarm ${t.cpuUtilizationPercent}%`,
          value: t.cpuUtilizationPercent,
          color: ALARM_COLOR,
        },
      ],
      yAxisMax: 100,
    },
    {
      title: "Freeable memory (bytes)",
      metrics: [instanceLine(METRIC.freeableMemory, db)],
      stat: "Average",
      annotations: [
        {
          label: `alarm ${formatBytes(t.freeableMemoryBytes)}`,
          value: t.freeableMemoryBytes,
          color: ALARM_COLOR,
        },
      ],
    },
    {
      title: "Free storage space (bytes)",
      metrics: [instanceLine(METRIC.freeStorageSpace, db)],
      stat: "Minimum",
      annotations: [
        {
          label: `alarm ${formatBytes(t.freeStorageSpaceBytes)}`,
          value: t.freeStorageSpaceBytes,
          color: ALARM_COLOR,
        },
      ],
    },
    {
      title: "Read/write latency (seconds)",
      metrics: [
        instanceLine(METRIC.readLatency, db, "read"),
        instanceLine(METRIC.writeLatency, db, "write"),
      ],
      stat: "Average",
      annotations: [
        {
          label: `alarm ${formatSeconds(t.readLatencySeconds)}`,
          value: t.readLatencySeconds,
          color: ALARM_COLOR,
        },
      ],
    },
    {
      title: "DB load (average active sessions)",
      metrics: [instanceLine(METRIC.dbLoad, db)],
      stat: "Average",
      annotations: [{ label: `vCPUs ${t.dbLoad}`, value: t.dbLoad, color: ALARM_COLOR }],
    },
  ];
  if (t.cpuCreditBalance !== undefined) {
    specs.push({
      title: "CPU credit balance",
      metrics: [instanceLine(METRIC.cpuCreditBalance, db)],
      stat: "Minimum",
      period: 300,
      annotations: [
        { label: `alarm ${t.cpuCreditBalance}`, value: t.cpuCreditBalance, color: ALARM_COLOR },
      ],
    });
  }
  const replicas = props.replicaIdentifiers ?? [];
  if (replicas.length > 0) {
    specs.push({
      title: "Replica lag (seconds)",
      metrics: replicas.map((r) => instanceLine(METRIC.replicaLag, r)),
      stat: "Maximum",
      annotations: [
        { label: `alarm ${t.replicaLagSeconds} s`, value: t.replicaLagSeconds, color: ALARM_COLOR },
      ],
    });
  }
  if (props.proxyName !== undefined && t.proxy) {
    const p = t.proxy;
    const proxy = props.proxyName;
    specs.push(
      {
        title: "Proxy connections",
        metrics: [
          [RDS_NAMESPACE, METRIC.proxyClientConnections, "ProxyName", proxy, { label: "clients" }],
          [
            RDS_NAMESPACE,
            METRIC.proxyDatabaseConnections,
            "ProxyName",
            proxy,
            { label: "database" },
          ],
          [RDS_NAMESPACE, METRIC.proxySessionPinned, "ProxyName", proxy, { label: "pinned" }],
        ],
        // Sum of the per-node gauges for each minute (see PROXY_GAUGE_PERIOD_SECONDS).
        stat: "Sum",
        period: PROXY_GAUGE_PERIOD_SECONDS,
        annotations: [
          { label: `pool ${p.poolSize}`, value: p.poolSize, color: WARNING_COLOR },
          {
            label: `clients alarm ${p.clientConnections}`,
            value: p.clientConnections,
            color: ALARM_COLOR,
          },
          {
            label: `pinned alarm ${p.sessionPinnedConnections}`,
            value: p.sessionPinnedConnections,
            color: ALARM_COLOR,
          },
        ],
      },
      {
        title: "Proxy failed logins (per 5 minutes)",
        metrics: [[RDS_NAMESPACE, METRIC.proxyFailedAuth, "ProxyName", proxy]],
        stat: "Sum",
        period: 300,
        annotations: [
          {
            label: `alarm ${p.failedAuthPerPeriod}`,
            value: p.failedAuthPerPeriod,
            color: ALARM_COLOR,
          },
        ],
      },
      {
        title: "Proxy availability (%)",
        metrics: [
          [
            RDS_NAMESPACE,
            METRIC.proxyAvailability,
            "ProxyName",
            proxy,
            "TargetGroup",
            PROXY_DEFAULT_TARGET_GROUP,
            "TargetRole",
            PROXY_READ_WRITE_ROLE,
          ],
        ],
        stat: "Average",
        annotations: [
          {
            label: `alarm ${p.availabilityPercent}%`,
            value: p.availabilityPercent,
            color: ALARM_COLOR,
          },
        ],
        yAxisMax: 100,
      },
    );
  }
  return specs;
}

/** Places the graphs two per row and renders CloudWatch's widget JSON. */
function layout(specs: GraphSpec[], region: string): object[] {
  const perRow = GRID_COLUMNS / WIDGET_WIDTH;
  return specs.map((spec, i) => ({
    type: "metric",
    x: (i % perRow) * WIDGET_WIDTH,
    y: Math.floor(i / perRow) * WIDGET_HEIGHT,
    width: WIDGET_WIDTH,
    height: WIDGET_HEIGHT,
    properties: {
      title: spec.title,
      region,
      view: "timeSeries",
      stacked: false,
      metrics: spec.metrics,
      stat: spec.stat,
      period: spec.period ?? GRAPH_PERIOD_SECONDS,
      annotations: { horizontal: spec.annotations },
      yAxis: { left: { min: 0, ...(spec.yAxisMax === undefined ? {} : { max: spec.yAxisMax }) } },
    },
  }));
}
