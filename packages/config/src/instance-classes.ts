/**
 * Hardware of the RDS instance classes this project accepts, and the numbers derived from it.
 *
 * Source: Amazon RDS User Guide, "Hardware specifications for DB instance classes"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html).
 * Every threshold in the alarms and every connection budget is derived from this table,
 * so a new class is one row here and nothing else. `max_connections` follows RDS's formula from
 * an estimated DBInstanceClassMemory ({@link DB_INSTANCE_CLASS_MEMORY_SHARE}: the assumption and
 * the observation it rests on).
 */
export interface InstanceClassSpec {
  /** vCPUs of the class. */
  readonly vcpu: number;
  /** Memory in GiB as AWS lists it. */
  readonly memoryGib: number;
  /** Burstable (T-family) classes run on CPU credits and get credit alarms. */
  readonly burstable: boolean;
  /**
   * CPU credits earned per hour (burstable classes only). The maximum balance is 24 hours of
   * earnings. Source: Amazon EC2 User Guide, "Key concepts for burstable performance instances",
   * credit table (RDS T classes use the same credit rates as the EC2 T3/T4g sizes).
   */
  readonly cpuCreditsPerHour?: number;
}

const GIB = 1024 ** 3;

export const INSTANCE_CLASSES = {
  "db.t3.micro": { vcpu: 2, memoryGib: 1, burstable: true, cpuCreditsPerHour: 12 },
  "db.t3.small": { vcpu: 2, memoryGib: 2, burstable: true, cpuCreditsPerHour: 24 },
  "db.t3.medium": { vcpu: 2, memoryGib: 4, burstable: true, cpuCreditsPerHour: 24 },
  "db.t3.large": { vcpu: 2, memoryGib: 8, burstable: true, cpuCreditsPerHour: 36 },
  "db.t4g.micro": { vcpu: 2, memoryGib: 1, burstable: true, cpuCreditsPerHour: 12 },
  "db.t4g.small": { vcpu: 2, memoryGib: 2, burstable: true, cpuCreditsPerHour: 24 },
  "db.t4g.medium": { vcpu: 2, memoryGib: 4, burstable: true, cpuCreditsPerHour: 24 },
  "db.t4g.large": { vcpu: 2, memoryGib: 8, burstable: true, cpuCreditsPerHour: 36 },
  "db.t4g.xlarge": { vcpu: 4, memoryGib: 16, burstable: true, cpuCreditsPerHour: 96 },
  "db.t4g.2xlarge": { vcpu: 8, memoryGib: 32, burstable: true, cpuCreditsPerHour: 192 },
  "db.m6g.large": { vcpu: 2, memoryGib: 8, burstable: false },
  "db.m6g.xlarge": { vcpu: 4, memoryGib: 16, burstable: false },
  "db.m6g.2xlarge": { vcpu: 8, memoryGib: 32, burstable: false },
  "db.m7g.large": { vcpu: 2, memoryGib: 8, burstable: false },
  "db.m7g.xlarge": { vcpu: 4, memoryGib: 16, burstable: false },
  "db.m7g.2xlarge": { vcpu: 8, memoryGib: 32, burstable: false },
  "db.r6g.large": { vcpu: 2, memoryGib: 16, burstable: false },
  "db.r6g.xlarge": { vcpu: 4, memoryGib: 32, burstable: false },
  "db.r6g.2xlarge": { vcpu: 8, memoryGib: 64, burstable: false },
  "db.r7g.large": { vcpu: 2, memoryGib: 16, burstable: false },
  "db.r7g.xlarge": { vcpu: 4, memoryGib: 32, burstable: false },
  "db.r7g.2xlarge": { vcpu: 8, memoryGib: 64, burstable: false },
} as const satisfies Record<string, InstanceClassSpec>;

export type InstanceClass = keyof typeof INSTANCE_CLASSES;

export const INSTANCE_CLASS_NAMES = Object.keys(INSTANCE_CLASSES) as InstanceClass[];

/**
 * RDS for PostgreSQL's default `max_connections` is `LEAST({DBInstanceClassMemory/9531392}, 5000)`
 * (RDS User Guide, "Maximum number of database connections"; the parameter group does not override
 * it, see @pgforks/rds instanceParameters).
 */
export const MAX_CONNECTIONS_MEMORY_DIVISOR = 9531392;
export const MAX_CONNECTIONS_CEILING = 5000;

/**
 * DBInstanceClassMemory as a share of the listed memory. It is the memory left to PostgreSQL after
 * the operating system and the RDS processes, and AWS does not publish it per class. Assumption,
 * from an observation: `SHOW max_connections` returns about 198 on 2 GiB classes (db.t3.small,
 * db.t4g.small; issue 10), so DBInstanceClassMemory lies in [198, 199) × 9531392 bytes, 87.88% to
 * 88.32% of 2 GiB; 0.879 reproduces 198. Applied to every class: larger classes lose a smaller
 * share to the OS, so their number is on the low (safe) side; 1 GiB classes probably lose more, so
 * theirs (99) may be a little high, which the connection reserve and the 80%/90% connection alarms
 * absorb. After a class change, compare with `SHOW max_connections` and correct this share.
 */
export const DB_INSTANCE_CLASS_MEMORY_SHARE = 0.879;

/** Everything the modules derive from an instance class. */
export interface InstanceCapacity extends InstanceClassSpec {
  readonly instanceClass: InstanceClass;
  /** Memory in bytes (CloudWatch's FreeableMemory is in bytes). */
  readonly memoryBytes: number;
  /** Estimated DBInstanceClassMemory: memory × {@link DB_INSTANCE_CLASS_MEMORY_SHARE}, in bytes. */
  readonly dbInstanceClassMemoryBytes: number;
  /**
   * RDS for PostgreSQL's default `max_connections` from the estimated DBInstanceClassMemory: what
   * the server allows, and what the connection budget, the proxy pool and the alarms are shares of.
   */
  readonly maxConnections: number;
  /** Largest CPU credit balance a burstable class can hold (24 hours of earnings). */
  readonly maxCpuCreditBalance?: number;
}

export function isInstanceClass(value: string): value is InstanceClass {
  return Object.hasOwn(INSTANCE_CLASSES, value);
}

export function instanceCapacity(instanceClass: InstanceClass): InstanceCapacity {
  const spec: InstanceClassSpec = INSTANCE_CLASSES[instanceClass];
  const memoryBytes = spec.memoryGib * GIB;
  const dbInstanceClassMemoryBytes = Math.floor(memoryBytes * DB_INSTANCE_CLASS_MEMORY_SHARE);
  return {
    ...spec,
    instanceClass,
    memoryBytes,
    dbInstanceClassMemoryBytes,
    maxCpuCreditBalance:
      spec.cpuCreditsPerHour === undefined ? undefined : spec.cpuCreditsPerHour * 24,
    maxConnections: Math.min(
      Math.floor(dbInstanceClassMemoryBytes / MAX_CONNECTIONS_MEMORY_DIVISOR),
      MAX_CONNECTIONS_CEILING,
    ),
  };
}
