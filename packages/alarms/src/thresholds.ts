import { alarmsSchema, type InstanceCapacity, proxySchema } from "@pgforks/config";

/** Bytes per GiB. RDS sizes storage in GiB and CloudWatch reports FreeableMemory/FreeStorageSpace in bytes. */
export const GIB = 1024 ** 3;

/** CPUUtilization threshold when none is given: the config schema's default (seed 004: keep CPU below 80%). */
export const DEFAULT_CPU_UTILIZATION_PERCENT: number =
  alarmsSchema.shape.cpuUtilizationPercent.parse(undefined);

/** Proxy pool share when none is given: the config schema's default for proxy.maxConnectionsPercent. */
export const DEFAULT_PROXY_MAX_CONNECTIONS_PERCENT: number =
  proxySchema.shape.maxConnectionsPercent.parse(undefined);

/**
 * DBLoad (average active sessions) per vCPU above which sessions queue for CPU. Performance
 * Insights draws the "Max vCPU" line at the vCPU count: load often above it means the instance is
 * overloaded (RDS User Guide, "Overview of the Performance Insights dashboard", DB load chart).
 */
export const DB_LOAD_PER_VCPU = 1;

/**
 * FreeableMemory alarm: a quarter of the class's RAM. Seed 001 alerts below 500 MB on the 2 GB
 * db.t4g.small, about 25%; the share is applied to every class so larger classes scale with it.
 */
export const FREEABLE_MEMORY_FRACTION = 0.25;

/**
 * RDS storage autoscaling adds space when free space is at most 10% of the *allocated* storage
 * for 5 minutes (and 6 hours passed since the last storage change), in steps of the larger of
 * 10 GiB, 10% of the allocated size or the predicted 7-hour growth, up to the maximum threshold.
 * Source: RDS User Guide, "Managing capacity automatically with Amazon RDS storage autoscaling".
 */
export const STORAGE_AUTOSCALING_FREE_FRACTION = 0.1;

/**
 * ReadLatency/WriteLatency alarm, in seconds (CloudWatch reports them in seconds). gp3 volumes are
 * designed for single-digit millisecond latency (Amazon EBS User Guide, "General Purpose SSD
 * volumes"); 20 ms is twice the top of that range, so it means the volume (or its IOPS/throughput
 * budget: seed 004, gp3 baseline 3,000 IOPS and 125 MB/s) is saturated, not a normal spike.
 */
export const STORAGE_LATENCY_SECONDS = 0.02;

/**
 * DatabaseConnections warning and critical shares of max_connections. Seed 001 scales up at a
 * sustained 70 of 100 connections; 80% warns while a class change can still be planned, 90% is
 * critical: what is left is about the admin/monitoring reserve (database.connectionReserve).
 */
export const CONNECTIONS_WARNING_FRACTION = 0.8;
export const CONNECTIONS_CRITICAL_FRACTION = 0.9;

/**
 * CPUCreditBalance alarm: a fifth of the largest balance the class can hold (24 hours of
 * earnings). On db.t4g.small (24 credits/hour, max 576) that is 115 credits: at 100% of both vCPUs
 * the balance drains by 96 credits/hour, so the alarm leads surplus charges by about 70 minutes.
 * RDS T3/T4g classes run in Unlimited mode (RDS User Guide, "DB instance class types", burstable
 * performance), so an empty balance costs money rather than throttling.
 * Right after the instance is created the balance starts low, so this alarm may fire once until
 * credits accrue.
 */
export const CPU_CREDIT_BALANCE_LOW_FRACTION = 0.2;

/** CPUSurplusCreditsCharged alarm: any surplus credit billed means the class is too small for the load. */
export const CPU_SURPLUS_CREDITS_CHARGED_MAX = 0;

/**
 * ReplicaLag alarm, in seconds. Seed 004 expects lag below 1 s in steady state; large
 * transactions, vacuum and checkpoints produce spikes of a few seconds that need no action. 30 s
 * for 5 minutes means readers see data half a minute stale: user-visible, and a sign the replica
 * cannot keep up (undersized class, long-running query on the replica, or WAL volume).
 */
export const REPLICA_LAG_SECONDS = 30;

/**
 * RDS Proxy ClientConnections alarm: 90% of the proxy's pool (its share of max_connections).
 * Idle clients are multiplexed, but once clients approach the pool size a few pinned sessions or
 * long transactions make others wait for connection_borrow_timeout.
 */
export const PROXY_CLIENT_CONNECTIONS_FRACTION = 0.9;

/**
 * DatabaseConnectionsCurrentlySessionPinned alarm: half the pool. A pinned connection serves one
 * client until it disconnects (SET, temporary tables, prepared statements... RDS User Guide,
 * "Avoiding pinning an RDS Proxy"); with half the pool pinned, pooling no longer protects the
 * instance.
 */
export const PROXY_SESSION_PINNED_FRACTION = 0.5;

/**
 * ClientConnectionsSetupFailedAuth alarm: failed logins per 5 minutes. A mistyped password
 * fails a handful of times; an application with a stale or wrong secret retries continuously and
 * passes 10 within minutes, as does password guessing.
 */
export const PROXY_FAILED_AUTH_PER_PERIOD = 10;

/**
 * AvailabilityPercentage alarm: the read/write target group below 95% for 5 consecutive minutes.
 * A Multi-AZ failover typically takes 60-120 seconds (RDS User Guide, "Failing over a Multi-AZ
 * DB instance"), so 5 minutes means an outage, not a failover; 95% tolerates one missed health
 * check among the proxy's nodes.
 */
export const PROXY_AVAILABILITY_PERCENT = 95;

/** Storage settings the FreeStorageSpace threshold is derived from (database section of environment.yaml). */
export interface StorageSettings {
  /** Initial allocated storage in GiB (database.allocatedStorageGb). */
  readonly allocatedStorageGb: number;
  /** Storage autoscaling ceiling in GiB (database.maxAllocatedStorageGb). */
  readonly maxAllocatedStorageGb: number;
}

/** RDS Proxy settings the proxy thresholds are derived from. */
export interface ProxyThresholdSettings {
  /** Share of max_connections the proxy may open (proxy.maxConnectionsPercent). */
  readonly maxConnectionsPercent: number;
}

/** Thresholds of the RDS Proxy alarms. */
export interface ProxyThresholds {
  /** Connections the proxy may open: max_connections x maxConnectionsPercent / 100, rounded down. */
  readonly poolSize: number;
  /** ClientConnections at or above this alarms. */
  readonly clientConnections: number;
  /** DatabaseConnectionsCurrentlySessionPinned at or above this alarms. */
  readonly sessionPinnedConnections: number;
  /** ClientConnectionsSetupFailedAuth (Sum per 5 minutes) at or above this alarms. */
  readonly failedAuthPerPeriod: number;
  /** AvailabilityPercentage below this alarms. */
  readonly availabilityPercent: number;
}

/** Every alarm threshold of the shared instance, in CloudWatch's units. */
export interface DatabaseThresholds {
  /** Instance class the thresholds were derived from. */
  readonly instanceClass: string;
  /** CPUUtilization (percent) above this alarms. */
  readonly cpuUtilizationPercent: number;
  /** DBLoad (average active sessions) above this alarms: the vCPU count. */
  readonly dbLoad: number;
  /** FreeableMemory (bytes) below this alarms. */
  readonly freeableMemoryBytes: number;
  /** FreeStorageSpace (bytes) below this alarms; see {@link freeStorageSpaceThresholdBytes}. */
  readonly freeStorageSpaceBytes: number;
  /** The FreeStorageSpace threshold as a share of maxAllocatedStorageGb (for descriptions). */
  readonly freeStorageSpaceFractionOfMax: number;
  /** The storage settings the storage threshold was derived from. */
  readonly storage: StorageSettings;
  /** ReadLatency (seconds) above this alarms. */
  readonly readLatencySeconds: number;
  /** WriteLatency (seconds) above this alarms. */
  readonly writeLatencySeconds: number;
  /** The class's approximate max_connections the connection thresholds are shares of. */
  readonly maxConnections: number;
  /** DatabaseConnections at or above this warns. */
  readonly databaseConnectionsWarning: number;
  /** DatabaseConnections at or above this is critical. */
  readonly databaseConnectionsCritical: number;
  /** CPUCreditBalance below this alarms; burstable classes only. */
  readonly cpuCreditBalance?: number;
  /** CPUSurplusCreditsCharged above this alarms; burstable classes only. */
  readonly cpuSurplusCreditsCharged?: number;
  /** ReplicaLag (seconds) above this alarms, per replica. */
  readonly replicaLagSeconds: number;
  /** Proxy thresholds, when proxy settings were given. */
  readonly proxy?: ProxyThresholds;
}

/**
 * FreeStorageSpace threshold in bytes that fires only when storage autoscaling cannot help.
 *
 * Autoscaling reacts when free space is at most 10% of the *current* allocated size, and the
 * allocated size only grows from `allocatedStorageGb`. A fixed threshold T therefore stays at or
 * below autoscaling's own trigger at every size the instance can have exactly when
 * T <= 10% x allocatedStorageGb. We take that largest safe value. Consequences:
 * - while allocated < maxAllocatedStorageGb, free space below T means autoscaling was triggered
 *   at least 5 minutes earlier (its trigger is 10% of a size >= allocatedStorageGb) and has not
 *   restored room: the alarm waits 15 minutes, longer than autoscaling needs to start;
 * - so it fires only when autoscaling cannot help: storage is at maxAllocatedStorageGb, or it is
 *   inside the 6-hour pause between storage changes while the disk keeps filling.
 * The obvious alternative, 10% of maxAllocatedStorageGb, fires on a fresh 20 GiB instance with
 * 10 GiB still free, long before autoscaling would even start.
 * The cost: at the ceiling the alarm leaves T, a small share of the maximum (2 GiB = 2% of the
 * default 100 GiB). Earlier warning of the ceiling comes from RDS itself: event RDS-EVENT-0225
 * ("storage size is approaching the maximum storage threshold") reaches the alarm topic through
 * the instance's event subscription.
 */
export function freeStorageSpaceThresholdBytes(storage: StorageSettings): number {
  return Math.floor(STORAGE_AUTOSCALING_FREE_FRACTION * storage.allocatedStorageGb * GIB);
}

function checkStorage(storage: StorageSettings): void {
  const { allocatedStorageGb: allocated, maxAllocatedStorageGb: max } = storage;
  if (!(allocated > 0) || !(max > allocated)) {
    throw new Error(
      `storage thresholds need 0 < allocatedStorageGb < maxAllocatedStorageGb (storage autoscaling on), got ${allocated} and ${max}`,
    );
  }
}

/**
 * Derives every alarm threshold from the instance class (via `instanceCapacity`), the storage
 * autoscaling settings and the configured CPU threshold. Pure: the alarms, the dashboard
 * annotations and the tests all use this one function.
 */
export function deriveThresholds(
  capacity: InstanceCapacity,
  storage: StorageSettings,
  cpuUtilizationPercent: number = DEFAULT_CPU_UTILIZATION_PERCENT,
  proxy?: ProxyThresholdSettings,
): DatabaseThresholds {
  checkStorage(storage);
  const freeStorageSpaceBytes = freeStorageSpaceThresholdBytes(storage);
  const burstable = capacity.burstable && capacity.maxCpuCreditBalance !== undefined;
  return {
    instanceClass: capacity.instanceClass,
    cpuUtilizationPercent,
    dbLoad: capacity.vcpu * DB_LOAD_PER_VCPU,
    freeableMemoryBytes: Math.floor(capacity.memoryBytes * FREEABLE_MEMORY_FRACTION),
    freeStorageSpaceBytes,
    freeStorageSpaceFractionOfMax: freeStorageSpaceBytes / (storage.maxAllocatedStorageGb * GIB),
    storage: {
      allocatedStorageGb: storage.allocatedStorageGb,
      maxAllocatedStorageGb: storage.maxAllocatedStorageGb,
    },
    readLatencySeconds: STORAGE_LATENCY_SECONDS,
    writeLatencySeconds: STORAGE_LATENCY_SECONDS,
    maxConnections: capacity.maxConnections,
    databaseConnectionsWarning: Math.floor(capacity.maxConnections * CONNECTIONS_WARNING_FRACTION),
    databaseConnectionsCritical: Math.floor(
      capacity.maxConnections * CONNECTIONS_CRITICAL_FRACTION,
    ),
    cpuCreditBalance: burstable
      ? Math.floor((capacity.maxCpuCreditBalance ?? 0) * CPU_CREDIT_BALANCE_LOW_FRACTION)
      : undefined,
    cpuSurplusCreditsCharged: burstable ? CPU_SURPLUS_CREDITS_CHARGED_MAX : undefined,
    replicaLagSeconds: REPLICA_LAG_SECONDS,
    proxy: proxy ? proxyThresholds(capacity, proxy) : undefined,
  };
}

function proxyThresholds(
  capacity: InstanceCapacity,
  proxy: ProxyThresholdSettings,
): ProxyThresholds {
  // Same rounding as @pgforks/config connectionBudget().proxyShare.
  const poolSize = Math.floor((capacity.maxConnections * proxy.maxConnectionsPercent) / 100);
  return {
    poolSize,
    clientConnections: Math.floor(poolSize * PROXY_CLIENT_CONNECTIONS_FRACTION),
    sessionPinnedConnections: Math.max(1, Math.floor(poolSize * PROXY_SESSION_PINNED_FRACTION)),
    failedAuthPerPeriod: PROXY_FAILED_AUTH_PER_PERIOD,
    availabilityPercent: PROXY_AVAILABILITY_PERCENT,
  };
}
