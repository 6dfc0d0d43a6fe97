import { z } from "zod";
import type { WhenUnwritten } from "../errors";
import { identifierProblem } from "../identifiers";
import { INSTANCE_CLASS_NAMES, instanceCapacity } from "../instance-classes";
import { ipv4CidrProblem } from "../ipv4";
import {
  DB_IDENTIFIER_MAX_LENGTH,
  IAM_ROLE_NAME_MAX_LENGTH,
  LONGEST_ROLE_NAME_SUFFIX,
  resourcePrefix,
  stateBackendProblems,
} from "../naming";
import {
  backupWindowProblem,
  maintenanceWindowProblem,
  windowsOverlapProblem,
} from "../rds-windows";
import { DEFAULT_TEMP_FILE_LIMIT_SHARE, MAX_TEMP_FILE_LIMIT_GB } from "../temp-files";

/** Values CloudWatch Logs accepts for `retention_in_days` (PutRetentionPolicy API reference). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

/** Enhanced Monitoring granularities RDS accepts (CreateDBInstance, MonitoringInterval). */
export const MONITORING_INTERVALS = [1, 5, 10, 15, 30, 60] as const;

/** What Performance Insights keeps: 7 days (free tier), whole months of 31 days up to 23, or 731. */
const PERFORMANCE_INSIGHTS_RETENTION_DAYS = [
  7,
  ...Array.from({ length: 23 }, (_, i) => 31 * (i + 1)),
  731,
];

const retentionDays = z
  .number()
  .int()
  .refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), {
    message: `must be one of the CloudWatch Logs retention values: ${LOG_RETENTION_DAYS.join(", ")}`,
  })
  .meta({ enum: [...LOG_RETENTION_DAYS] });

/**
 * AWS regions (commercial, GovCloud, China), from the AWS General Reference "Regional endpoints".
 * A region not listed here is refused before anything runs rather than at apply time.
 */
export const AWS_REGIONS = [
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-7",
  "ca-central-1",
  "ca-west-1",
  "cn-north-1",
  "cn-northwest-1",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "mx-central-1",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-gov-east-1",
  "us-gov-west-1",
  "us-west-1",
  "us-west-2",
] as const;

const awsRegion = z
  .string()
  .refine((r) => (AWS_REGIONS as readonly string[]).includes(r), {
    message: "must be an AWS region such as us-east-1",
  })
  .meta({ enum: [...AWS_REGIONS] });

/**
 * An AZ ID such as use1-az1. AZ names (us-east-1a) map to different physical zones in each
 * account; AZ IDs name the same zone in every account (AWS RAM User Guide, "Availability Zone IDs
 * for your AWS resources"), so a zone chosen for instance-class availability stays that zone.
 */
const AVAILABILITY_ZONE_ID = /^[a-z]{3,6}\d+-az\d+$/;
const availabilityZoneId = z
  .string()
  .regex(AVAILABILITY_ZONE_ID, "must be an availability zone ID such as use1-az1");

/**
 * The prefix of the AZ IDs of a region: the country code, then the initial of each compass word
 * (north, south, east, west, central; northeast, southeast, northwest count as two), "g" for
 * GovCloud, then the number: us-east-1 -> use1, ap-northeast-1 -> apne1, us-gov-west-1 -> usgw1,
 * cn-northwest-1 -> cnnw1 (the ZoneId values of `aws ec2 describe-availability-zones`).
 */
export function availabilityZoneIdPrefix(region: string): string {
  const parts = region.split("-");
  const country = parts[0] ?? "";
  const number = parts.at(-1) ?? "";
  const words = parts.slice(1, -1).map((word) => {
    if (word === "gov") return "g";
    return word
      .replace(/^north(?=east|west)/, "n")
      .replace(/^south(?=east|west)/, "s")
      .replace(/(north|south|east|west|central)$/, (w) => w.charAt(0));
  });
  return `${country}${words.join("")}${number}`;
}

/** Tag keys and values as AWS accepts them (Tagging AWS resources, "Tag naming limits"). */
const TAG_CHARACTERS = "letters, digits, spaces and _ . : / = + - @";
const tagKey = z
  .string()
  .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u, `must be 1-128 characters of ${TAG_CHARACTERS}`)
  .refine((k) => !k.toLowerCase().startsWith("aws:"), "must not start with aws: (reserved by AWS)");
const tagValue = z
  .string()
  .regex(
    /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u,
    `must be at most 256 characters of ${TAG_CHARACTERS}`,
  );

/** Tags pgforks puts on every resource (provider default_tags, packages/stacks backend.ts). */
export const DEFAULT_TAG_KEYS = ["project", "environment", "managed-by"] as const;
/** Tags AWS allows on one resource (Tagging AWS resources, "Tag naming limits and requirements"). */
const AWS_MAX_TAGS = 50;
/** What is left for environment.yaml's tags: the defaults and a resource's own Name tag take 4. */
const MAX_EXTRA_TAGS = AWS_MAX_TAGS - DEFAULT_TAG_KEYS.length - 1;

const ipv4Cidr = z
  .string()
  .regex(
    /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(1[6-9]|2[0-4])$/,
    "must be an IPv4 CIDR with a prefix from /16 to /24, e.g. 10.20.0.0/16",
  )
  .superRefine((cidr, ctx) => {
    const problem = ipv4CidrProblem(cidr);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** `hh24:mi-hh24:mi` in UTC, as RDS expects for backup_window. */
const dailyWindow = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, "must look like 03:00-04:00 (UTC)")
  .superRefine((window, ctx) => {
    const problem = backupWindowProblem(window);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** `ddd:hh24:mi-ddd:hh24:mi` in UTC, as RDS expects for maintenance_window. */
const weeklyWindow = z
  .string()
  .regex(
    /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/,
    "must look like sun:04:30-sun:05:30 (UTC)",
  )
  .superRefine((window, ctx) => {
    const problem = maintenanceWindowProblem(window);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/**
 * Longest master user name RDS accepts. RDS API Reference, CreateDBInstance, MasterUsername: "Must
 * be 1 to 16 letters, numbers, or underscores. First character must be a letter." RDS refuses
 * anything else only at apply time, after the network and KMS resources were created.
 */
export const MASTER_USERNAME_MAX_LENGTH = 16;

/** Why `name` cannot be the master user name: a PostgreSQL identifier as RDS's rule narrows it. */
export function masterUsernameProblem(name: string): string | undefined {
  const rds = `RDS accepts 1 to ${MASTER_USERNAME_MAX_LENGTH} letters, digits or underscores, a letter first (RDS API, CreateDBInstance MasterUsername)`;
  if (/^[a-z0-9_]+$/.test(name) && !/^[a-z]/.test(name)) return `must start with a letter: ${rds}`;
  const problem = identifierProblem(name);
  if (problem) return problem;
  if (name.length > MASTER_USERNAME_MAX_LENGTH) {
    return `is ${name.length} characters long: ${rds}`;
  }
  return undefined;
}

const masterUsername = z.string().superRefine((value, ctx) => {
  const problem = masterUsernameProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

// No "--": these names become part of DB instance identifiers, which RDS refuses with two
// consecutive hyphens ("pgforks-qa--eu").
const resourceName = z
  .string()
  .regex(
    /^[a-z](?!.*--)[a-z0-9-]{1,30}[a-z0-9]$/,
    "must be 3-32 characters of lowercase letters, digits and single hyphens, starting with a letter",
  );

/** An environment's name: a resourceName of 2 characters or more (qa, dev, prod). */
const environmentName = z
  .string()
  .regex(
    /^[a-z](?!.*--)[a-z0-9-]{0,30}[a-z0-9]$/,
    "must be 2-32 characters of lowercase letters, digits and single hyphens, starting with a letter",
  );

export const networkSchema = z
  .strictObject({
    cidr: ipv4Cidr.describe(
      "IPv4 CIDR of the VPC. One /24-or-smaller private subnet per AZ is carved from it.",
    ),
    natGateway: z
      .boolean()
      .default(false)
      .describe(
        "Create one NAT gateway (and a public subnet) for outbound internet. Default false: the database needs none and a NAT gateway costs about $32/month before traffic.",
      ),
    interfaceEndpoints: z
      .boolean()
      .default(false)
      .describe(
        "Create the two interface VPC endpoints Session Manager port forwarding needs (ssm, ssmmessages; ec2messages is not needed for sessions) so a bastion without a public IP reaches SSM privately. Costs $0.01 per endpoint and AZ-hour: $14.60/month in one AZ. Default false: bastionPublicIp does the same for the hours the bastion runs.",
      ),
    interfaceEndpointZones: z
      .number()
      .int()
      .min(1)
      .max(6)
      .default(1)
      .describe(
        "In how many AZs (the first ones of availabilityZones) the interface endpoints get a network interface. Default 1: only the bastion uses them (an endpoint answers from every AZ of the VPC); each extra AZ adds $14.60/month.",
      ),
    bastion: z
      .boolean()
      .default(false)
      .describe(
        "Create an SSM-managed bastion (no SSH key, no inbound rule) so CI can open a port-forwarding tunnel to the database for the tenants stack. Needs bastionPublicIp, interfaceEndpoints or natGateway to reach SSM. Default false.",
      ),
    bastionSchedule: z
      .enum(["on-demand", "always-on"])
      .default("on-demand")
      .describe(
        "on-demand (default): the bastion is created stopped and CI starts it for a tenants plan/apply or the audit; the last job to close its tunnel stops it (.github/scripts/ssm-tunnel.sh), and a CloudWatch alarm stops it after 3 h of running without a break (a runner lost before closing): about $0.0092/hour while running (t4g.nano + public IPv4) plus its 8 GB root volume ($0.64/month) and the alarm ($0.10/month). always-on: never stopped; $3.07/month (t4g.nano) plus $3.65 for a public IPv4 address. The instance carries the schedule as its bastion-schedule tag.",
      ),
    bastionPublicIp: z
      .boolean()
      .default(false)
      .describe(
        "Put the bastion in a public subnet (internet gateway, no NAT) with a public IPv4 address, so its SSM agent reaches the public SSM endpoints. Its security group has no inbound rule, so nothing can connect to it; $0.005/hour while it runs. The cheapest way for CI to reach the database (docs/architecture.md). Default false.",
      ),
    bastionAvailabilityZone: availabilityZoneId
      .optional()
      .describe(
        "AZ ID (one of availabilityZones) of the bastion, and of the public subnet when bastionPublicIp or natGateway. Default: the first of availabilityZones. Set it when the first zone does not offer bastionInstanceType (`aws ec2 describe-instance-type-offerings --location-type availability-zone-id`).",
      ),
    bastionInstanceType: z
      .string()
      .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "must be an EC2 instance type such as t4g.nano")
      .default("t4g.nano")
      .describe("EC2 instance type of the bastion. Default t4g.nano."),
    flowLogRetentionDays: retentionDays
      .default(365)
      .describe(
        "Retention of the VPC flow log group, in days. Default 365 (Security Hub CloudWatch.16 asks for at least a year).",
      ),
  })
  .superRefine((network, ctx) => {
    if (
      network.bastion &&
      !network.interfaceEndpoints &&
      !network.natGateway &&
      !network.bastionPublicIp
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["bastion"],
        message:
          "a bastion needs a way to reach SSM: set bastionPublicIp: true (cheapest, no inbound rule), interfaceEndpoints: true (private, $14.60/month) or natGateway: true",
      });
    }
  });

export const readReplicaSchema = z.strictObject({
  name: resourceName.describe("Suffix of the replica's identifier (<project>-<env>-<name>)."),
  instanceClass: z
    .enum(INSTANCE_CLASS_NAMES)
    .optional()
    .describe(
      "Instance class of the replica: at least the primary's memory, since a replica with a lower max_connections (derived from memory) does not start. Default: the primary's class.",
    ),
  availabilityZone: availabilityZoneId
    .optional()
    .describe(
      "AZ ID of the replica (one of availabilityZones), e.g. use1-az2. Default: chosen by RDS among the subnet group's AZs.",
    ),
});

export const databaseSchema = z
  .strictObject({
    engineVersion: z
      .string()
      .regex(
        /^1[4-7]$/,
        "must be a PostgreSQL major version RDS offers, 14 to 17, without a minor (e.g. 16): automatic minor upgrades are on, so a pinned minor such as 16.8 becomes a downgrade in the next plan once RDS upgrades the instance, and RDS cannot downgrade an engine (RDS API Reference, ModifyDBInstance EngineVersion)",
      )
      .default("16")
      .describe(
        "PostgreSQL engine version: a major version only, 14 to 17. Default 16 (seed 001 recommends PostgreSQL 16.x). RDS picks the newest minor and upgrades minors by itself; a pinned minor such as 16.8 would make Terraform plan a downgrade after such an upgrade, which RDS refuses. Never lower it: RDS cannot downgrade an engine (the plan review blocks a lower version than the base branch's).",
      ),
    allowMajorVersionUpgrade: z
      .boolean()
      .default(false)
      .describe(
        'Let RDS upgrade the instance to a new major version (AllowMajorVersionUpgrade). Default false. RDS refuses a major upgrade without it (RDS API Reference, ModifyDBInstance: major version upgrades must be allowed when EngineVersion names another major), so a change that raises database.engineVersion to a new major sets it true too (docs/operations.md, "Upgrading PostgreSQL to a new major version"); the plan review blocks the raise without it.',
      ),
    instanceClass: z
      .enum(INSTANCE_CLASS_NAMES)
      .describe(
        "RDS instance class. Alarm thresholds and the connection budget are derived from it.",
      ),
    allocatedStorageGb: z
      .number()
      .int()
      .min(20)
      .max(65536)
      .default(20)
      .describe(
        "Initial gp3 storage in GB. Default 20 (seed 004; also the gp3 minimum for RDS PostgreSQL). Never lower it: RDS cannot shrink storage (the plan review blocks a lower value than the base branch's).",
      ),
    maxAllocatedStorageGb: z
      .number()
      .int()
      .max(65536)
      .default(100)
      .describe(
        "Storage autoscaling ceiling in GB; must be greater than allocatedStorageGb. Default 100 (seed 004).",
      ),
    tempFileLimitGb: z
      .number()
      .int()
      .min(1)
      .max(MAX_TEMP_FILE_LIMIT_GB)
      .optional()
      .describe(
        `Most temporary-file space one session may use, in GB (PostgreSQL temp_file_limit, in the parameter group; a session over it has its statement cancelled). Default: ${DEFAULT_TEMP_FILE_LIMIT_SHARE}, so one tenant's runaway sort or hash cannot fill the shared disk that every tenant writes to (RDS User Guide, "Managing temporary files with PostgreSQL": temporary files live on the data volume, and temp_file_limit "prevents any query from running endlessly and consuming disk space"). Tenants cannot raise it for themselves (it needs superuser). Must be less than allocatedStorageGb; at most ${MAX_TEMP_FILE_LIMIT_GB} (the parameter is in kB and at most 2147483647).`,
      ),
    multiAz: z
      .boolean()
      .describe(
        "Run a synchronous standby in a second AZ (automatic failover); it doubles the instance and storage price. Must be true in the production tier.",
      ),
    deletionProtection: z
      .boolean()
      .describe(
        "Refuse DeleteDBInstance until this is turned off. Must be true in the production tier.",
      ),
    backupRetentionDays: z
      .number()
      .int()
      .min(1)
      .max(35)
      .default(7)
      .describe(
        "Automated backup retention in days. Default 7 (seed 004); staging and production require at least 7.",
      ),
    backupWindow: dailyWindow
      .default("03:00-04:00")
      .describe(
        "Daily backup window, UTC, at least 30 minutes (RDS API, PreferredBackupWindow). Default 03:00-04:00 (seed 004).",
      ),
    maintenanceWindow: weeklyWindow
      .default("sun:04:30-sun:05:30")
      .describe(
        "Weekly maintenance window, UTC, at least 30 minutes and not overlapping the daily backup window on any day (RDS API, PreferredMaintenanceWindow). Default sun:04:30-sun:05:30: seed 001 asks for Sunday early morning (its 3-4 AM would overlap seed 004's 03:00-04:00 backups).",
      ),
    masterUsername: masterUsername
      .default("forks_admin")
      .describe(
        "Master user name: 1 to 16 lowercase letters, digits or underscores, a letter first (RDS refuses longer ones, or one starting with a digit or underscore). Default forks_admin (not the well-known 'postgres', Security Hub RDS.25). Its password is generated and rotated by RDS in Secrets Manager.",
      ),
    port: z
      .number()
      .int()
      .min(1150)
      .max(65535)
      .default(5432)
      .describe(
        "Database port. Default 5432 (waived for Security Hub RDS.23: a non-default port is obscurity, not security).",
      ),
    performanceInsightsRetentionDays: z
      .number()
      .int()
      .refine((n) => PERFORMANCE_INSIGHTS_RETENTION_DAYS.includes(n), {
        message: "must be 7 (free tier), a multiple of 31 up to 713, or 731",
      })
      .meta({ enum: PERFORMANCE_INSIGHTS_RETENTION_DAYS })
      .default(7)
      .describe(
        'Performance Insights retention in days: 7, whole months of 31 days (31 to 713), or 731. Default 7 (the free tier, seed 004); longer retention is priced per vCPU-month. Since Performance Insights\' end of life (31 July 2026) the same setting is the Standard mode of CloudWatch Database Insights, retention and price unchanged (AWS, "Turning Performance Insights on and off", Aurora User Guide, which announces it for Amazon RDS).',
      ),
    monitoringIntervalSeconds: z
      .number()
      .int()
      .refine((n) => (MONITORING_INTERVALS as readonly number[]).includes(n), {
        message: `must be one of ${MONITORING_INTERVALS.join(", ")}`,
      })
      .meta({ enum: [...MONITORING_INTERVALS] })
      .default(60)
      .describe("Enhanced Monitoring granularity in seconds. Default 60."),
    logRetentionDays: retentionDays
      .default(365)
      .describe("Retention of the RDS log groups (postgresql, upgrade) in days. Default 365."),
    readReplicas: z
      .array(readReplicaSchema)
      .default([])
      .describe("Read replicas of the shared instance (seed 004). Default none."),
    connectionReserve: z
      .number()
      .int()
      .min(3)
      .default(10)
      .describe(
        "Connections kept out of the tenants' budget for RDS (rdsadmin, 3 superuser-reserved slots), admin and monitoring. Default 10 (seed 001: 'Reserve ~10 connections for admin/monitoring').",
      ),
  })
  .superRefine((db, ctx) => {
    const windows = windowsOverlapProblem(db.backupWindow, db.maintenanceWindow);
    if (windows) {
      // On the maintenance window, or on the backup window when only that one is written.
      const unwritten: WhenUnwritten = { key: "backupWindow", message: windows.backupWindow };
      ctx.addIssue({
        code: "custom",
        path: ["maintenanceWindow"],
        message: windows.maintenanceWindow,
        params: { whenUnwritten: unwritten },
      });
    }
    const tempFileLimit = db.tempFileLimitGb;
    // Only a value the field itself accepts, so a wrong one gets one message.
    if (
      tempFileLimit !== undefined &&
      tempFileLimit <= MAX_TEMP_FILE_LIMIT_GB &&
      tempFileLimit >= db.allocatedStorageGb
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["tempFileLimitGb"],
        message: `must be less than allocatedStorageGb (${db.allocatedStorageGb}): one session's temporary files would be allowed to fill the disk every tenant shares`,
      });
    }
    if (db.maxAllocatedStorageGb <= db.allocatedStorageGb) {
      // On allocatedStorageGb when maxAllocatedStorageGb is its default (100): the person wrote
      // the storage, not the ceiling, and "found nothing" on an unwritten field named no line.
      const unwritten: WhenUnwritten = {
        key: "allocatedStorageGb",
        message: `must be below maxAllocatedStorageGb (default ${db.maxAllocatedStorageGb}) so storage can autoscale: set database.maxAllocatedStorageGb above ${db.allocatedStorageGb} too`,
      };
      ctx.addIssue({
        code: "custom",
        path: ["maxAllocatedStorageGb"],
        message: `must be greater than allocatedStorageGb (${db.allocatedStorageGb}) so storage can autoscale`,
        params: { whenUnwritten: unwritten },
      });
    }
    // A hot standby refuses to start with a lower max_connections than its primary, and RDS
    // derives max_connections from the class's memory (instanceCapacity).
    const primary = instanceCapacity(db.instanceClass);
    db.readReplicas.forEach((replica, i) => {
      if (replica.instanceClass === undefined) return;
      const own = instanceCapacity(replica.instanceClass);
      if (own.maxConnections >= primary.maxConnections) return;
      ctx.addIssue({
        code: "custom",
        path: ["readReplicas", i, "instanceClass"],
        message: `has max_connections ${own.maxConnections} (${own.memoryGib} GiB), below the primary's ${primary.maxConnections} (${db.instanceClass}, ${primary.memoryGib} GiB): PostgreSQL refuses to start a read replica whose max_connections is lower than its primary's (PostgreSQL docs, Hot Standby, "Administrator's Overview"). Use a class with at least ${primary.memoryGib} GiB of memory, or leave instanceClass out for the primary's`,
      });
    });
    const names = new Set<string>();
    db.readReplicas.forEach((replica, i) => {
      if (names.has(replica.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["readReplicas", i, "name"],
          message: `duplicate replica name "${replica.name}"`,
        });
      }
      names.add(replica.name);
    });
  });

export const proxySchema = z
  .strictObject({
    enabled: z
      .boolean()
      .describe(
        "Put an RDS Proxy (connection pooling, TLS required) in front of the instance. Priced per vCPU-hour of the instance class, at least 2 vCPUs: $0.015 × 2 × 730 h = $21.90/month on a db.t4g.small (us-east-1 list price; the plan review prices it).",
      ),
    maxConnectionsPercent: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(90)
      .describe(
        "Share of max_connections the proxy may open. Default 90: the rest stays for admin and the tenants stack.",
      ),
    maxIdleConnectionsPercent: z
      .number()
      .int()
      .min(0)
      .max(100)
      .optional()
      .describe(
        "Share of max_connections the proxy keeps idle; must not exceed maxConnectionsPercent. Default: half of maxConnectionsPercent, rounded down (45 with the default 90), as RDS defaults it (RDS API, ConnectionPoolConfiguration MaxIdleConnectionsPercent).",
      ),
    connectionBorrowTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(120)
      .describe("How long a client waits for a pooled connection. Default 120 (the RDS default)."),
    idleClientTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(28800)
      .default(1800)
      .describe("Idle client connections are closed after this. Default 1800 (the RDS default)."),
  })
  .superRefine((proxy, ctx) => {
    if (
      proxy.maxIdleConnectionsPercent !== undefined &&
      proxy.maxIdleConnectionsPercent > proxy.maxConnectionsPercent
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["maxIdleConnectionsPercent"],
        message: `must not exceed maxConnectionsPercent (${proxy.maxConnectionsPercent}); RDS rejects it`,
      });
    }
  });

export const alarmsSchema = z.strictObject({
  emails: z
    .array(z.email())
    .min(1)
    .describe("Recipients of the alarm topic (each must confirm the SNS subscription)."),
  dashboard: z
    .boolean()
    .default(false)
    .describe(
      "Create the CloudWatch dashboard of the instance (and proxy, replicas). $3/month per dashboard beyond the account's 3 free ones; the alarms work without it. Default false.",
    ),
  cpuUtilizationPercent: z
    .number()
    .min(1)
    .max(100)
    .default(80)
    .describe(
      "CPUUtilization alarm threshold in percent. Default 80 (seed 004: keep CPU below 80%).",
    ),
});

export const stateBackendSchema = z.strictObject({
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name")
    .describe("S3 bucket holding the Terraform state (created by the bootstrap procedure)."),
  region: awsRegion.describe("Region of the state bucket."),
  keyPrefix: z
    .string()
    .regex(/^[a-z0-9][a-z0-9/_-]*$/, "must be a relative S3 key prefix")
    .describe("Key prefix; each stack's state is <keyPrefix>/<stack>.tfstate."),
  kmsKeyId: z
    .string()
    .regex(
      /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
      "must be a KMS key id, key ARN, alias ARN or alias/<name>",
    )
    .optional()
    .describe(
      "KMS key (ARN or alias) encrypting the state objects. Default: the bucket's default encryption.",
    ),
});

export const tunnelSchema = z.strictObject({
  localPort: z
    .number()
    .int()
    .min(1024)
    .max(65535)
    .describe(
      "Local port of the SSM port-forwarding tunnel; when set, the tenants stack connects to localhost:<localPort> instead of the instance address.",
    ),
});

export const ciSchema = z.strictObject({
  githubRepository: z
    .string()
    .regex(
      /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/,
      "must be owner/repository, e.g. example-org/pgforks-infra",
    )
    .describe(
      "GitHub repository whose workflows may assume this environment's plan and apply roles through OIDC (no long-lived keys).",
    ),
  githubEnvironment: z
    .string()
    .regex(
      /^[A-Za-z0-9_.-][A-Za-z0-9 _.-]{0,254}$/,
      "must be 1-255 characters of letters, digits, spaces and _ . -",
    )
    .optional()
    .describe(
      "GitHub environment that gates apply (required reviewers are set on it). Default: the environment name.",
    ),
});

export const TIERS = ["development", "staging", "production"] as const;

export const environmentSchema = z
  .strictObject({
    name: environmentName.describe("Environment name; must match its folder under environments/."),
    tier: z
      .enum(TIERS)
      .describe(
        "development relaxes availability for cost; staging and production require 7-day backups; production requires Multi-AZ and deletion protection.",
      ),
    project: resourceName
      .default("pgforks")
      .describe("Prefix of every resource name. Default pgforks."),
    account: z
      .string()
      .regex(/^\d{12}$/, "must be a 12-digit AWS account id (quoted in YAML)")
      .describe(
        "AWS account id the stacks deploy to; the provider refuses any other (allowed_account_ids).",
      ),
    region: awsRegion.describe("AWS region."),
    availabilityZones: z
      .array(availabilityZoneId)
      .min(2)
      .max(6)
      .describe(
        "At least two AZ IDs of the region (use1-az1, not the account-specific name us-east-1a), one private subnet each, listed explicitly so plans need no AWS lookup. The plan refuses a zone where the instance class is not offered.",
      ),
    tags: z
      .record(tagKey, tagValue)
      .superRefine((tags, ctx) => {
        const keys = Object.keys(tags);
        for (const key of keys.filter((k) => (DEFAULT_TAG_KEYS as readonly string[]).includes(k))) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `is a tag pgforks sets on every resource (${DEFAULT_TAG_KEYS.join(", ")}); choose another key`,
          });
        }
        if (keys.length > MAX_EXTRA_TAGS) {
          ctx.addIssue({
            code: "custom",
            path: [],
            message: `has ${keys.length} tags; at most ${MAX_EXTRA_TAGS} fit: AWS allows ${AWS_MAX_TAGS} per resource, and pgforks adds ${DEFAULT_TAG_KEYS.join(", ")} and Name`,
          });
        }
      })
      .default({})
      .describe(
        `Extra tags on every resource: at most ${MAX_EXTRA_TAGS} (AWS allows ${AWS_MAX_TAGS} per resource; pgforks adds project, environment, managed-by and Name).`,
      ),
    network: networkSchema.describe(
      "The VPC: its private subnets, flow log, security groups, and how CI reaches the database (bastion, endpoints, NAT).",
    ),
    database: databaseSchema.describe(
      "The one shared RDS for PostgreSQL instance of the environment, its replicas and its connection budget.",
    ),
    proxy: proxySchema.describe("RDS Proxy in front of the instance, and its pool settings."),
    alarms: alarmsSchema.describe("Who is alerted, and the thresholds the alarms do not derive."),
    stateBackend: stateBackendSchema.describe(
      "Where both stacks keep their Terraform state (S3, locked with a lock file, encrypted).",
    ),
    tunnel: tunnelSchema
      .optional()
      .describe("The SSM port-forwarding tunnel CI opens to plan and apply the tenants stack."),
    ci: ciSchema.describe("Continuous delivery: who may plan and apply from CI."),
  })
  .superRefine(
    (env, ctx) => {
      // Runs even when other fields are invalid (see `when`), so cross-field problems are
      // reported together with the rest: every field is read defensively.
      const raw = env as Partial<Record<keyof typeof env, unknown>>;
      const region = typeof raw.region === "string" ? raw.region : undefined;
      const azs = Array.isArray(raw.availabilityZones) ? (raw.availabilityZones as unknown[]) : [];
      const database = (raw.database ?? {}) as Partial<Record<string, unknown>>;
      if (region) {
        const prefix = availabilityZoneIdPrefix(region);
        azs.forEach((az, i) => {
          if (
            typeof az === "string" &&
            AVAILABILITY_ZONE_ID.test(az) &&
            !new RegExp(`^${prefix}-az\\d+$`).test(az)
          ) {
            ctx.addIssue({
              code: "custom",
              path: ["availabilityZones", i],
              message: `must be an AZ ID of region ${region}, e.g. ${prefix}-az1`,
            });
          }
        });
      }
      if (new Set(azs).size !== azs.length) {
        ctx.addIssue({
          code: "custom",
          path: ["availabilityZones"],
          message: "must not repeat an AZ",
        });
      }
      const retention = database.backupRetentionDays ?? 7;
      if (
        (raw.tier === "staging" || raw.tier === "production") &&
        typeof retention === "number" &&
        retention < 7
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["database", "backupRetentionDays"],
          message: `must be at least 7 in the ${raw.tier} tier (seed 004; Security Hub RDS.11)`,
        });
      }
      if (raw.tier === "production") {
        for (const key of ["multiAz", "deletionProtection"] as const) {
          if (database[key] === false) {
            ctx.addIssue({
              code: "custom",
              path: ["database", key],
              message: "must be true in the production tier",
            });
          }
        }
      }
      const network = (raw.network ?? {}) as Partial<Record<string, unknown>>;
      // interfaceEndpointZones counts the first zones of availabilityZones: more than there are
      // was silently the number there are.
      const endpointZones = network.interfaceEndpointZones;
      if (typeof endpointZones === "number" && azs.length > 0 && endpointZones > azs.length) {
        ctx.addIssue({
          code: "custom",
          path: ["network", "interfaceEndpointZones"],
          message: `must be at most the number of availabilityZones (${azs.length}): the endpoints get a network interface in the first zones of that list`,
        });
      }
      const bastionZone = network.bastionAvailabilityZone;
      if (typeof bastionZone === "string" && !azs.includes(bastionZone)) {
        ctx.addIssue({
          code: "custom",
          path: ["network", "bastionAvailabilityZone"],
          message: `must be one of availabilityZones (${azs.join(", ")})`,
        });
      }
      const replicas = Array.isArray(database.readReplicas) ? database.readReplicas : [];
      // Names built from <project>-<env>: RDS and IAM refuse them at apply when too long.
      // Only a valid project: an invalid one is already its own problem.
      const project = resourceName.safeParse(raw.project).success
        ? (raw.project as string)
        : undefined;
      if (project !== undefined && typeof raw.name === "string") {
        const prefix = resourcePrefix({ project, name: raw.name });
        const longest = `${prefix}${LONGEST_ROLE_NAME_SUFFIX}`;
        if (longest.length > IAM_ROLE_NAME_MAX_LENGTH) {
          ctx.addIssue({
            code: "custom",
            path: ["project"],
            message: `makes the IAM role ${longest} ${longest.length} characters long, over IAM's ${IAM_ROLE_NAME_MAX_LENGTH}: <project>-<name> may be at most ${IAM_ROLE_NAME_MAX_LENGTH - LONGEST_ROLE_NAME_SUFFIX.length} characters (now ${prefix.length}); shorten project or name`,
          });
        }
        replicas.forEach((replica: { name?: unknown } | null, i) => {
          const identifier = `${prefix}-${String(replica?.name)}`;
          if (typeof replica?.name === "string" && identifier.length > DB_IDENTIFIER_MAX_LENGTH) {
            ctx.addIssue({
              code: "custom",
              path: ["database", "readReplicas", i, "name"],
              message: `makes the replica's DB instance identifier ${identifier} ${identifier.length} characters long, over RDS's ${DB_IDENTIFIER_MAX_LENGTH}: at most ${DB_IDENTIFIER_MAX_LENGTH - prefix.length - 1} characters here`,
            });
          }
        });
      }
      // The state key and prefix the bootstrap stack creates: another key does not exist, and
      // every state write of the stacks would fail at plan or apply.
      const backend = raw.stateBackend as
        | { region?: unknown; keyPrefix?: unknown; kmsKeyId?: unknown }
        | undefined;
      if (
        project !== undefined &&
        typeof raw.account === "string" &&
        typeof backend?.region === "string" &&
        typeof backend.keyPrefix === "string" &&
        (backend.kmsKeyId === undefined || typeof backend.kmsKeyId === "string")
      ) {
        const settings = {
          region: backend.region,
          keyPrefix: backend.keyPrefix,
          kmsKeyId: backend.kmsKeyId,
        };
        for (const problem of stateBackendProblems({
          project,
          account: raw.account,
          stateBackend: settings,
        })) {
          ctx.addIssue({
            code: "custom",
            path: ["stateBackend", problem.field],
            message: problem.message,
          });
        }
      }
      replicas.forEach((replica: { availabilityZone?: unknown } | null, i) => {
        const az = replica?.availabilityZone;
        if (typeof az === "string" && !azs.includes(az)) {
          ctx.addIssue({
            code: "custom",
            path: ["database", "readReplicas", i, "availabilityZone"],
            message: `must be one of availabilityZones (${azs.join(", ")})`,
          });
        }
      });
    },
    { when: () => true },
  );

/** environment.yaml as written (defaults optional). */
export type EnvironmentInput = z.input<typeof environmentSchema>;
/** environment.yaml after validation, defaults filled in. */
export type EnvironmentConfig = z.output<typeof environmentSchema>;
export type Tier = (typeof TIERS)[number];
