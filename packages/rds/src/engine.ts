/**
 * What this project runs on RDS for PostgreSQL: engine, parameters, log exports, event categories.
 * Every value names its source; the construct only wires these tables to resources.
 */

import { type EnvironmentConfig, tempFileLimitKb } from "@pgforks/config";

/** The RDS engine name of PostgreSQL (RDS API, CreateDBInstance `Engine`). */
export const ENGINE = "postgres";

/**
 * Storage type. gp3: 3,000 IOPS and 125 MiB/s baseline without provisioning (seed 004,
 * "Storage Types": "gp3 ... Recommended").
 */
export const STORAGE_TYPE = "gp3";

/**
 * Server certificate authority. rds-ca-rsa2048-g1 is the RDS default since rds-ca-2019 expired
 * in 2024 (RDS User Guide, "Using SSL/TLS to encrypt a connection to a DB instance", Certificate
 * authorities); pinned so a change of the account default never rotates it unplanned.
 */
export const CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1";

/**
 * Slow-query threshold in milliseconds for `log_min_duration_statement`
 * (seed 004, "Slow Query Log": `ParameterValue=1000`).
 */
export const SLOW_QUERY_THRESHOLD_MS = 1000;

/**
 * Logs RDS for PostgreSQL publishes to CloudWatch Logs. Both are exported: Security Hub RDS.9
 * expects `postgresql` and `upgrade` for PostgreSQL, RDS.36 expects `postgresql` (AWS Config
 * rule rds-postgresql-logs-to-cloudwatch: valid values 'postgresql', 'upgrade').
 */
export const POSTGRES_LOG_EXPORTS = ["postgresql", "upgrade"] as const;
export type PostgresLogExport = (typeof POSTGRES_LOG_EXPORTS)[number];

/**
 * Name RDS gives the CloudWatch log group of an exported log (RDS User Guide, "Publishing
 * PostgreSQL logs to Amazon CloudWatch Logs"; also seed 004, "View logs in CloudWatch Logs").
 */
export function rdsLogGroupName(identifier: string, log: PostgresLogExport): string {
  return `/aws/rds/instance/${identifier}/${log}`;
}

/**
 * DB-instance event categories that page the alarm topic. Spelling as RDS expects it (RDS User
 * Guide, "Amazon RDS event categories and event messages", DB instance events). Security Hub
 * RDS.20 requires at least `maintenance`, `configuration change` and `failure`; `failover` and
 * `low storage` are the other two that need a human.
 */
export const CRITICAL_INSTANCE_EVENT_CATEGORIES = [
  "failure",
  "failover",
  "maintenance",
  "low storage",
  "configuration change",
] as const;

/**
 * How long a session may sit idle inside an open transaction before PostgreSQL ends it, in
 * milliseconds (the parameter's unit): 30 minutes. Source: RDS User Guide, "Database has
 * long-running idle in transaction connection" (DevOps Guru proactive insight for RDS for
 * PostgreSQL), which flags connections idle in transaction for more than 1800 seconds (they hold
 * locks and keep VACUUM from removing dead rows) and recommends setting
 * idle_in_transaction_session_timeout in the parameter group. A dynamic, user-settable parameter:
 * applied without a reboot, and a session that needs longer can `SET` its own value (pg_dump sets
 * 0 for itself).
 */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 30 * 60 * 1000;

/** How RDS applies a parameter (RDS API, `Parameter.ApplyMethod`). */
export type ApplyMethod = "immediate" | "pending-reboot";

/** One entry of the parameter group. */
export interface PostgresParameter {
  /** Parameter name as RDS lists it. */
  readonly name: string;
  /** Value as a string (RDS parameters are strings). */
  readonly value: string;
  /**
   * `pending-reboot` for static parameters: RDS rejects `immediate` for them
   * ("cannot use immediate apply method for static parameter").
   */
  readonly applyMethod: ApplyMethod;
}

/**
 * The instance's parameters (parameter group), applied to the primary and its replicas.
 * - `rds.force_ssl=1`: refuse non-TLS connections (Security Hub RDS.38, AWS Config
 *   rds-postgres-instance-encrypted-in-transit).
 * - `log_min_duration_statement`: log statements slower than {@link SLOW_QUERY_THRESHOLD_MS}.
 * - `log_statement=ddl`: every schema/role change is in the log (audit trail of tenant changes).
 * - `log_connections` / `log_disconnections`: who connected from where and for how long, for
 *   incident review of a shared instance with many tenant roles.
 * - `idle_in_transaction_session_timeout` ({@link IDLE_IN_TRANSACTION_TIMEOUT_MS}): a session
 *   left idle inside an open transaction is ended, so one tenant's forgotten transaction cannot
 *   hold its locks and connection slots, and hold back vacuum, indefinitely on the shared instance.
 * - `shared_preload_libraries=pg_stat_statements`: per-query statistics (seed 004,
 *   "High CPU Usage" queries `pg_stat_statements`); static, so it waits for a reboot.
 */
export const POSTGRES_PARAMETERS: readonly PostgresParameter[] = [
  { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
  {
    name: "log_min_duration_statement",
    value: String(SLOW_QUERY_THRESHOLD_MS),
    applyMethod: "immediate",
  },
  { name: "log_statement", value: "ddl", applyMethod: "immediate" },
  { name: "log_connections", value: "1", applyMethod: "immediate" },
  { name: "log_disconnections", value: "1", applyMethod: "immediate" },
  {
    name: "idle_in_transaction_session_timeout",
    value: String(IDLE_IN_TRANSACTION_TIMEOUT_MS),
    applyMethod: "immediate",
  },
  { name: "shared_preload_libraries", value: "pg_stat_statements", applyMethod: "pending-reboot" },
];

/** The major version of a PostgreSQL engine version: "16.8" -> "16", "16" -> "16". */
export function majorVersion(engineVersion: string): string {
  const major = /^(\d+)(\.\d+)*$/.exec(engineVersion)?.[1];
  if (major === undefined) {
    throw new Error(`"${engineVersion}" is not a PostgreSQL engine version such as 16.8`);
  }
  return major;
}

/**
 * Parameter-group family of an engine version: `postgres<major>` since PostgreSQL 10
 * (RDS API, DescribeDBEngineVersions `DBParameterGroupFamily`, e.g. postgres16).
 */
export function parameterGroupFamily(engineVersion: string): string {
  return `${ENGINE}${majorVersion(engineVersion)}`;
}

/**
 * The parameter group of the instance: {@link POSTGRES_PARAMETERS}, `temp_file_limit` from the
 * environment's storage (@pgforks/config tempFileLimitKb: one tenant's temporary files cannot fill
 * the disk every tenant shares), and deliberately no
 * `max_connections`. RDS's default, `LEAST({DBInstanceClassMemory/9531392}, 5000)`, follows the
 * instance class by itself (about 198 on 2 GiB), so a class change moves it at the reboot that
 * applies the class, and the connection budget, the proxy pool and the alarms use the same
 * formula (@pgforks/config instanceCapacity). Pinning it higher (225 from the nominal 2 GiB) would
 * admit more connections than the memory RDS leaves PostgreSQL, and as a static parameter a
 * changed value would stay pending until someone reboots the instance.
 */
export function instanceParameters(
  database: Pick<EnvironmentConfig["database"], "allocatedStorageGb" | "tempFileLimitGb">,
): PostgresParameter[] {
  return [
    ...POSTGRES_PARAMETERS.map((p) => ({ ...p })),
    // Dynamic and superuser-only: applied without a reboot, and no tenant can raise it.
    { name: "temp_file_limit", value: String(tempFileLimitKb(database)), applyMethod: "immediate" },
  ];
}
