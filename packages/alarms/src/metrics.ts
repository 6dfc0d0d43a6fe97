/**
 * CloudWatch names shared by the alarms and the dashboard.
 * Sources: RDS User Guide, "Amazon CloudWatch metrics for Amazon RDS" (instance metrics, units);
 * "Performance Insights metrics published to Amazon CloudWatch" (DBLoad); "Monitoring RDS Proxy
 * metrics with Amazon CloudWatch" (proxy metrics and their dimension sets).
 */

/** Namespace of RDS instance, Performance Insights and RDS Proxy metrics. */
export const RDS_NAMESPACE = "AWS/RDS";

/** Dimension of instance metrics. */
export const INSTANCE_DIMENSION = "DBInstanceIdentifier";

/** Name of a proxy's default target group (the only one an RDS for PostgreSQL proxy has). */
export const PROXY_DEFAULT_TARGET_GROUP = "default";

/** Role of the instance behind the proxy's read/write endpoint. */
export const PROXY_READ_WRITE_ROLE = "READ_WRITE";

/** Dimensions of instance metrics. */
export function instanceDimensions(instanceIdentifier: string): Record<string, string> {
  return { [INSTANCE_DIMENSION]: instanceIdentifier };
}

/** Proxy dimension set 1 (`ProxyName`): ClientConnections, ClientConnectionsSetupFailedAuth, DatabaseConnectionsCurrentlySessionPinned... */
export function proxyDimensions(proxyName: string): Record<string, string> {
  return { ProxyName: proxyName };
}

/**
 * Proxy dimension set 4 (`ProxyName`, `TargetGroup`, `TargetRole`): the only set that carries
 * AvailabilityPercentage.
 */
export function proxyTargetRoleDimensions(proxyName: string): Record<string, string> {
  return {
    ProxyName: proxyName,
    TargetGroup: PROXY_DEFAULT_TARGET_GROUP,
    TargetRole: PROXY_READ_WRITE_ROLE,
  };
}

/** Metric names used here, as CloudWatch spells them. */
export const METRIC = {
  cpuUtilization: "CPUUtilization",
  dbLoad: "DBLoad",
  freeableMemory: "FreeableMemory",
  freeStorageSpace: "FreeStorageSpace",
  readLatency: "ReadLatency",
  writeLatency: "WriteLatency",
  databaseConnections: "DatabaseConnections",
  cpuCreditBalance: "CPUCreditBalance",
  cpuSurplusCreditsCharged: "CPUSurplusCreditsCharged",
  replicaLag: "ReplicaLag",
  proxyClientConnections: "ClientConnections",
  proxySessionPinned: "DatabaseConnectionsCurrentlySessionPinned",
  proxyFailedAuth: "ClientConnectionsSetupFailedAuth",
  proxyAvailability: "AvailabilityPercentage",
  proxyDatabaseConnections: "DatabaseConnections",
} as const;

/**
 * Proxy "current count" metrics are reported every minute by each proxy node; `Sum` over a
 * 60-second period adds the nodes up. A longer period would also add up the minutes.
 */
export const PROXY_GAUGE_PERIOD_SECONDS = 60;

const MIB = 1024 ** 2;

/** "512 MiB (536870912 bytes)", for descriptions and labels. */
export function formatBytes(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  const human = gib >= 1 ? `${round(gib)} GiB` : `${round(bytes / MIB)} MiB`;
  return `${human} (${bytes} bytes)`;
}

/** "20 ms (0.02 s)". */
export function formatSeconds(seconds: number): string {
  return seconds < 1 ? `${round(seconds * 1000)} ms (${seconds} s)` : `${seconds} s`;
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
