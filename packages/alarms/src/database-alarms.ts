import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { InstanceCapacity } from "@pgforks/config";
import { Token } from "cdktf";
import { Construct } from "constructs";
import {
  formatBytes,
  formatSeconds,
  instanceDimensions,
  METRIC,
  PROXY_GAUGE_PERIOD_SECONDS,
  proxyDimensions,
  proxyTargetRoleDimensions,
  RDS_NAMESPACE,
} from "./metrics";
import {
  type DatabaseThresholds,
  DEFAULT_CPU_UTILIZATION_PERCENT,
  DEFAULT_PROXY_MAX_CONNECTIONS_PERCENT,
  deriveThresholds,
} from "./thresholds";

/** Properties of {@link DatabaseAlarms}. */
export interface DatabaseAlarmsProps {
  /** Name prefix of the alarms, e.g. "pgforks-prod". Required. */
  readonly name: string;
  /** SNS topic every alarm notifies on ALARM and on OK (AlarmTopic.arn). Required. */
  readonly topicArn: string;
  /** Identifier of the shared RDS instance. Required. */
  readonly instanceIdentifier: string;
  /**
   * `instanceCapacity(instanceClass)` from @pgforks/config: vCPU, memoryBytes, maxConnections,
   * burstable, maxCpuCreditBalance. Every threshold is derived from it. Required.
   */
  readonly capacity: InstanceCapacity;
  /** Initial allocated storage in GiB (database.allocatedStorageGb). Required. */
  readonly allocatedStorageGb: number;
  /** Storage autoscaling ceiling in GiB (database.maxAllocatedStorageGb). Required. */
  readonly maxAllocatedStorageGb: number;
  /** CPUUtilization threshold in percent (alarms.cpuUtilizationPercent). Default 80 (seed 004). */
  readonly cpuUtilizationPercent?: number;
  /** Read replica identifiers: each gets a ReplicaLag alarm. Default none. */
  readonly replicaIdentifiers?: readonly string[];
  /** RDS Proxy name (DatabaseProxy.name): adds the proxy alarms. Default none. */
  readonly proxyName?: string;
  /**
   * The proxy's share of max_connections (proxy.maxConnectionsPercent), the ceiling the proxy
   * alarms are relative to. Only read with `proxyName`. Default 90 (the config schema's default).
   */
  readonly proxyMaxConnectionsPercent?: number;
  /**
   * AWS region. Not read: alarms are created in the provider's region. Accepted so the alarms and
   * the dashboard take the same inputs. Required.
   */
  readonly region: string;
}

/** CloudWatch `treat_missing_data` values. */
type MissingData = "missing" | "notBreaching" | "breaching" | "ignore";

type Comparison =
  | "GreaterThanThreshold"
  | "GreaterThanOrEqualToThreshold"
  | "LessThanThreshold"
  | "LessThanOrEqualToThreshold";

/** How long a condition must hold before the alarm fires. */
interface Evaluation {
  readonly period: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
}

/**
 * Default evaluation: three 5-minute periods in a row (15 minutes). Longer than the spikes a
 * vacuum, a backup or a deploy's migrations cause; short enough to act before tenants notice.
 * RDS instance metrics are published every minute, CPU credit metrics every 5 minutes.
 */
export const SUSTAINED: Evaluation = { period: 300, evaluationPeriods: 3, datapointsToAlarm: 3 };

/**
 * Five 1-minute periods in a row, for metrics reported every minute whose value only makes sense
 * per minute (proxy gauges summed over nodes) or that should page within minutes (replica lag,
 * proxy availability).
 */
export const FIVE_MINUTES: Evaluation = {
  period: PROXY_GAUGE_PERIOD_SECONDS,
  evaluationPeriods: 5,
  datapointsToAlarm: 5,
};

/** A single 5-minute period, for counts where one bad period is already the signal. */
export const ONE_PERIOD: Evaluation = { period: 300, evaluationPeriods: 1, datapointsToAlarm: 1 };

interface AlarmSpec {
  /** Construct id and alarm name suffix. */
  readonly id: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic: "Average" | "Minimum" | "Maximum" | "Sum";
  readonly comparison: Comparison;
  readonly threshold: number;
  readonly evaluation: Evaluation;
  readonly treatMissingData: MissingData;
  /** States the threshold and why; CloudWatch shows it in every notification. */
  readonly description: string;
}

/** Longest alarm description CloudWatch accepts (PutMetricAlarm, AlarmDescription). */
export const ALARM_DESCRIPTION_MAX_LENGTH = 1024;

/**
 * CloudWatch alarms on the shared instance (and its replicas and proxy), with thresholds derived
 * from the instance class by {@link deriveThresholds}. Every alarm notifies the topic when it
 * fires and when it recovers. Burstable-only alarms exist only on burstable (T) classes, replica
 * alarms only for configured replicas, proxy alarms only with a proxy.
 */
export class DatabaseAlarms extends Construct {
  /** Every alarm, in creation order. */
  readonly alarms: CloudwatchMetricAlarm[] = [];
  /** The thresholds the alarms use (also drawn on the dashboard). */
  readonly thresholds: DatabaseThresholds;

  private readonly props: DatabaseAlarmsProps;

  constructor(scope: Construct, id: string, props: DatabaseAlarmsProps) {
    super(scope, id);
    this.props = props;
    const t = deriveThresholds(
      props.capacity,
      {
        allocatedStorageGb: props.allocatedStorageGb,
        maxAllocatedStorageGb: props.maxAllocatedStorageGb,
      },
      props.cpuUtilizationPercent ?? DEFAULT_CPU_UTILIZATION_PERCENT,
      props.proxyName === undefined
        ? undefined
        : {
            maxConnectionsPercent:
              props.proxyMaxConnectionsPercent ?? DEFAULT_PROXY_MAX_CONNECTIONS_PERCENT,
          },
    );
    this.thresholds = t;
    const instance = instanceDimensions(props.instanceIdentifier);
    const cls = t.instanceClass;

    // Instance gauges are published every minute while the instance runs. A gap means it is
    // stopped, rebooting or being replaced, which RDS events report; "missing" then leaves the
    // alarm in INSUFFICIENT_DATA (no notification) instead of a misleading OK or ALARM.
    this.add({
      id: "cpu-utilization",
      metricName: METRIC.cpuUtilization,
      dimensions: instance,
      statistic: "Average",
      comparison: "GreaterThanThreshold",
      threshold: t.cpuUtilizationPercent,
      evaluation: SUSTAINED,
      treatMissingData: "missing",
      description: `CPUUtilization above ${t.cpuUtilizationPercent}% for 15 minutes (seed 004: keep CPU below 80%; alarms.cpuUtilizationPercent). Every tenant shares this CPU: find the busy tenant in Performance Insights, or move to a larger class.`,
    });
    this.add({
      id: "db-load",
      metricName: METRIC.dbLoad,
      dimensions: instance,
      statistic: "Average",
      comparison: "GreaterThanThreshold",
      threshold: t.dbLoad,
      evaluation: SUSTAINED,
      // DBLoad comes from Performance Insights; with it off there is no data, and "missing"
      // keeps that visible as INSUFFICIENT_DATA rather than a silent OK.
      treatMissingData: "missing",
      description: `DBLoad (average active sessions) above ${t.dbLoad}, the vCPU count of ${cls}, for 15 minutes: sessions are queueing for CPU or waiting on I/O or locks (Performance Insights "Max vCPU" line). See the top SQL and waits in Performance Insights.`,
    });
    this.add({
      id: "freeable-memory",
      metricName: METRIC.freeableMemory,
      dimensions: instance,
      statistic: "Average",
      comparison: "LessThanThreshold",
      threshold: t.freeableMemoryBytes,
      evaluation: SUSTAINED,
      treatMissingData: "missing",
      description: `FreeableMemory below ${formatBytes(t.freeableMemoryBytes)}, 25% of the ${formatBytes(props.capacity.memoryBytes)} of ${cls}, for 15 minutes (seed 001 alerts below 500 MB on 2 GB). Less cache and then swapping slow every tenant: check connection counts and work_mem, or move to a larger class.`,
    });
    this.add({
      id: "free-storage-space",
      metricName: METRIC.freeStorageSpace,
      dimensions: instance,
      statistic: "Minimum",
      comparison: "LessThanThreshold",
      threshold: t.freeStorageSpaceBytes,
      evaluation: SUSTAINED,
      treatMissingData: "missing",
      description: `FreeStorageSpace below ${formatBytes(t.freeStorageSpaceBytes)} for 15 minutes. That is 10% of the initial ${t.storage.allocatedStorageGb} GiB, at or below storage autoscaling's own trigger (free <= 10% of allocated) at every size, so it fires only when autoscaling cannot help: storage is at the ${t.storage.maxAllocatedStorageGb} GiB ceiling (threshold = ${(t.freeStorageSpaceFractionOfMax * 100).toFixed(1)}% of it) or paused 6 hours after the last change. Raise database.maxAllocatedStorageGb or free space now; a full disk stops writes for every tenant.`,
    });
    for (const [kind, metricName, threshold] of [
      ["read", METRIC.readLatency, t.readLatencySeconds],
      ["write", METRIC.writeLatency, t.writeLatencySeconds],
    ] as const) {
      this.add({
        id: `${kind}-latency`,
        metricName,
        dimensions: instance,
        statistic: "Average",
        comparison: "GreaterThanThreshold",
        threshold,
        evaluation: SUSTAINED,
        treatMissingData: "missing",
        description: `${metricName} above ${formatSeconds(threshold)} per I/O for 15 minutes. gp3 storage is designed for single-digit millisecond latency (EBS User Guide), so the volume is saturated: check ${kind === "read" ? "ReadIOPS/ReadThroughput" : "WriteIOPS/WriteThroughput"} against the gp3 baseline (3,000 IOPS, 125 MB/s, seed 004) and the queries behind them.`,
      });
    }
    for (const [level, threshold, why] of [
      [
        "warning",
        t.databaseConnectionsWarning,
        "plan a larger class or lower tenants' connectionLimit",
      ],
      [
        "critical",
        t.databaseConnectionsCritical,
        "new connections will soon be refused for every tenant",
      ],
    ] as const) {
      const percent = Math.round((threshold / t.maxConnections) * 100);
      this.add({
        id: `connections-${level}`,
        metricName: METRIC.databaseConnections,
        dimensions: instance,
        statistic: "Maximum",
        comparison: "GreaterThanOrEqualToThreshold",
        threshold,
        evaluation: SUSTAINED,
        treatMissingData: "missing",
        description: `DatabaseConnections at or above ${threshold} (${percent}% of max_connections ~${t.maxConnections} of ${cls}) for 15 minutes (${level}): ${why}.`,
      });
    }

    if (t.cpuCreditBalance !== undefined && t.cpuSurplusCreditsCharged !== undefined) {
      this.add({
        id: "cpu-credit-balance",
        metricName: METRIC.cpuCreditBalance,
        dimensions: instance,
        statistic: "Minimum",
        comparison: "LessThanThreshold",
        threshold: t.cpuCreditBalance,
        evaluation: SUSTAINED,
        treatMissingData: "missing",
        description: `CPUCreditBalance below ${t.cpuCreditBalance}, 20% of the ${props.capacity.maxCpuCreditBalance} credits ${cls} can hold, for 15 minutes: sustained CPU above the baseline will soon be billed as surplus credits (T classes run Unlimited on RDS). May fire once after creation until credits accrue.`,
      });
      this.add({
        id: "cpu-surplus-credits-charged",
        metricName: METRIC.cpuSurplusCreditsCharged,
        dimensions: instance,
        statistic: "Maximum",
        comparison: "GreaterThanThreshold",
        threshold: t.cpuSurplusCreditsCharged,
        evaluation: ONE_PERIOD,
        // Nothing reported means nothing charged.
        treatMissingData: "notBreaching",
        description: `CPUSurplusCreditsCharged above ${t.cpuSurplusCreditsCharged}: surplus CPU credits are being billed, so ${cls} is too small for the load on average. Move to a larger or non-burstable class.`,
      });
    }

    (props.replicaIdentifiers ?? []).forEach((replica, i) => {
      this.add({
        // Replica identifiers are usually literals; fall back to the position for tokens.
        id: `replica-lag-${Token.isUnresolved(replica) ? i : replica}`,
        metricName: METRIC.replicaLag,
        dimensions: instanceDimensions(replica),
        statistic: "Maximum",
        comparison: "GreaterThanThreshold",
        threshold: t.replicaLagSeconds,
        evaluation: FIVE_MINUTES,
        // Replicas report no lag while being created or rebuilt; broken replication is an RDS
        // event on the topic. "missing" avoids paging during those windows.
        treatMissingData: "missing",
        description: `ReplicaLag above ${t.replicaLagSeconds} s for 5 minutes. Seed 004 expects under 1 s; a few seconds during large transactions is normal, ${t.replicaLagSeconds} s means readers see stale data and the replica cannot keep up (class too small, long query on the replica, heavy WAL).`,
      });
    });

    if (props.proxyName !== undefined && t.proxy) {
      const p = t.proxy;
      const proxy = proxyDimensions(props.proxyName);
      const pool = `the proxy pool of ${p.poolSize} connections (${props.proxyMaxConnectionsPercent ?? DEFAULT_PROXY_MAX_CONNECTIONS_PERCENT}% of max_connections ~${t.maxConnections})`;
      this.add({
        id: "proxy-client-connections",
        metricName: METRIC.proxyClientConnections,
        dimensions: proxy,
        statistic: "Sum",
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: p.clientConnections,
        evaluation: FIVE_MINUTES,
        // Some proxy metrics appear only after the first connection; no data means no clients.
        treatMissingData: "notBreaching",
        description: `Proxy ClientConnections at or above ${p.clientConnections}, 90% of ${pool}, for 5 minutes: clients are about to outnumber pooled connections, so pinned sessions or long transactions make others wait up to connection_borrow_timeout. Check which tenant grew.`,
      });
      this.add({
        id: "proxy-session-pinning",
        metricName: METRIC.proxySessionPinned,
        dimensions: proxy,
        statistic: "Sum",
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: p.sessionPinnedConnections,
        evaluation: FIVE_MINUTES,
        // Not published while nothing is pinned.
        treatMissingData: "notBreaching",
        description: `Proxy DatabaseConnectionsCurrentlySessionPinned at or above ${p.sessionPinnedConnections}, half of ${pool}, for 5 minutes: sessions that SET parameters, create temporary tables or use prepared statements keep a connection to themselves, and pooling no longer protects the instance. Find the pinning statements in the proxy log.`,
      });
      this.add({
        id: "proxy-failed-auth",
        metricName: METRIC.proxyFailedAuth,
        dimensions: proxy,
        statistic: "Sum",
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: p.failedAuthPerPeriod,
        evaluation: ONE_PERIOD,
        // Not published while every login succeeds.
        treatMissingData: "notBreaching",
        description: `Proxy ClientConnectionsSetupFailedAuth at or above ${p.failedAuthPerPeriod} in 5 minutes: an application uses a wrong or stale password or no TLS, or someone is guessing passwords. A typo fails a few times; this many is a misconfigured client or an attack.`,
      });
      this.add({
        id: "proxy-availability",
        metricName: METRIC.proxyAvailability,
        dimensions: proxyTargetRoleDimensions(props.proxyName),
        statistic: "Average",
        comparison: "LessThanThreshold",
        threshold: p.availabilityPercent,
        evaluation: FIVE_MINUTES,
        // Published only once the proxy has served a connection; "breaching" would page on a
        // new, idle proxy. An unreachable instance also shows in RDS events and connections.
        treatMissingData: "missing",
        description: `Proxy AvailabilityPercentage of the read/write target below ${p.availabilityPercent}% for 5 minutes: the proxy cannot reach the instance. A Multi-AZ failover takes 60-120 s, so this is an outage: check the instance status and the proxy target health.`,
      });
    }
  }

  private add(spec: AlarmSpec): void {
    if (spec.description.length > ALARM_DESCRIPTION_MAX_LENGTH) {
      throw new Error(
        `alarm ${spec.id}: description longer than ${ALARM_DESCRIPTION_MAX_LENGTH} characters`,
      );
    }
    this.alarms.push(
      new CloudwatchMetricAlarm(this, spec.id, {
        alarmName: `${this.props.name}-${spec.id}`,
        alarmDescription: spec.description,
        namespace: RDS_NAMESPACE,
        metricName: spec.metricName,
        dimensions: spec.dimensions,
        statistic: spec.statistic,
        period: spec.evaluation.period,
        evaluationPeriods: spec.evaluation.evaluationPeriods,
        datapointsToAlarm: spec.evaluation.datapointsToAlarm,
        comparisonOperator: spec.comparison,
        threshold: spec.threshold,
        treatMissingData: spec.treatMissingData,
        alarmActions: [this.props.topicArn],
        okActions: [this.props.topicArn],
      }),
    );
  }
}
