/**
 * The committed price table of the cost estimate: AWS on-demand list prices in us-east-1 (USD),
 * each with the AWS pricing page it comes from, the date it was read and whether the number was
 * confirmed. AWS's pricing pages render their tables with JavaScript, so numbers were read from
 * stored copies of pages quoting them (`checkedVia`); `confirmed: false` marks numbers that no
 * stored page confirmed: they are this project's best knowledge of the AWS page and the review
 * marks them with an asterisk. Update a row, its `read` date and `confirmed` together.
 */
import type { InstanceClass } from "@pgforks/config";

/** The region every price below is for. */
export const PRICE_REGION = "us-east-1";

/** The day the prices were read. */
export const PRICES_READ_ON = "2026-11-21";

/**
 * Hours in a billing month as the AWS Pricing Calculator counts them (365 × 24 / 12 = 730), used
 * to turn hourly prices into monthly ones.
 */
export const HOURS_PER_MONTH = 730;

/** AWS pricing pages (the sources). */
export const PRICING_PAGES = {
  rdsPostgres: "https://aws.amazon.com/rds/postgresql/pricing/",
  rdsProxy: "https://aws.amazon.com/rds/proxy/pricing/",
  rdsOnDemand:
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_OnDemandDBInstances.html",
  secretsManager: "https://aws.amazon.com/secrets-manager/pricing/",
  cloudWatch: "https://aws.amazon.com/cloudwatch/pricing/",
  kms: "https://aws.amazon.com/kms/pricing/",
  vpc: "https://aws.amazon.com/vpc/pricing/",
  privateLink: "https://aws.amazon.com/privatelink/pricing/",
  ec2: "https://aws.amazon.com/ec2/pricing/on-demand/",
  ebs: "https://aws.amazon.com/ebs/pricing/",
} as const;

/** One price. */
export interface Price {
  /** USD per `unit`. */
  readonly usd: number;
  /** "hour", "GB-month", "vCPU-hour", "secret-month", "alarm-month", "key-month", ... */
  readonly unit: string;
  /** The AWS pricing page. */
  readonly source: string;
  /** Where the number was read when the AWS page itself was not readable (a page quoting it). */
  readonly checkedVia?: string;
  /** Date read (ISO). */
  readonly read: string;
  /** False: no stored page confirmed the number; shown with an asterisk. */
  readonly confirmed: boolean;
  /** How it was derived, when it was. */
  readonly note?: string;
}

function hourly(usd: number, confirmed: boolean, checkedVia?: string, note?: string): Price {
  return {
    usd,
    unit: "hour",
    source: PRICING_PAGES.rdsPostgres,
    read: PRICES_READ_ON,
    confirmed,
    ...(checkedVia ? { checkedVia } : {}),
    ...(note ? { note } : {}),
  };
}

/** Infratally's line-by-line RDS bill (us-east-1, 2026) quoting the t4g Single-AZ/Multi-AZ prices. */
const INFRATALLY = "https://infratally.com/articles/aws-rds-pricing-explained-2026.html";
/** A GitLab issue quoting db.m6g.large Single-AZ $0.159/h vs Multi-AZ $0.318/h. */
const GITLAB_M6G = "https://gitlab.com/gitlab-org/gitlab-environment-toolkit/-/issues/236";

/**
 * RDS for PostgreSQL Single-AZ on-demand price per instance-hour, per class this project accepts
 * (keyed by InstanceClass, so a new class in @pgforks/config fails the typecheck until priced).
 */
export const RDS_POSTGRES_SINGLE_AZ_HOURLY: Readonly<Record<InstanceClass, Price>> = {
  "db.t3.micro": hourly(0.018, false),
  "db.t3.small": hourly(0.036, false),
  "db.t3.medium": hourly(0.072, false),
  "db.t3.large": hourly(0.145, false),
  "db.t4g.micro": hourly(0.016, true, INFRATALLY),
  "db.t4g.small": hourly(0.032, true, INFRATALLY),
  "db.t4g.medium": hourly(0.065, true, INFRATALLY),
  "db.t4g.large": hourly(0.129, false),
  "db.t4g.xlarge": hourly(0.258, false),
  "db.t4g.2xlarge": hourly(0.517, false),
  "db.m6g.large": hourly(0.159, true, GITLAB_M6G),
  "db.m6g.xlarge": hourly(0.318, false, undefined, "2 × db.m6g.large (RDS prices double per size)"),
  "db.m6g.2xlarge": hourly(
    0.636,
    false,
    undefined,
    "4 × db.m6g.large (RDS prices double per size)",
  ),
  "db.m7g.large": hourly(0.168, false),
  "db.m7g.xlarge": hourly(0.337, false),
  "db.m7g.2xlarge": hourly(0.674, false),
  "db.r6g.large": hourly(0.225, false),
  "db.r6g.xlarge": hourly(0.45, false),
  "db.r6g.2xlarge": hourly(0.899, false),
  "db.r7g.large": hourly(0.239, false),
  "db.r7g.xlarge": hourly(0.478, false),
  "db.r7g.2xlarge": hourly(0.956, false),
};

/**
 * A Multi-AZ (one standby) instance costs the Single-AZ price twice: "Compute costs: Billed per DB
 * instance-hour for both the primary and standby instances" (RDS User Guide, "On-Demand DB
 * instances"; the t4g and m6g quotes above show exactly double).
 */
export const MULTI_AZ_INSTANCE_FACTOR = 2;

/** The same guide: "Storage costs: Charged per GB-month for the storage provisioned for both the primary and standby". */
export const MULTI_AZ_STORAGE_FACTOR = 2;

/** Every other price the estimate uses. */
export const PRICES = {
  /** gp3 storage of an RDS instance, per GB-month (3,000 IOPS and 125 MB/s included). */
  rdsGp3Storage: {
    usd: 0.115,
    unit: "GB-month",
    source: PRICING_PAGES.rdsPostgres,
    checkedVia: "https://www.usage.ai/blogs/aws/reserved-instances/rds/pricing-calculator/",
    read: PRICES_READ_ON,
    confirmed: true,
  },
  /** RDS Proxy for provisioned instances, per vCPU-hour of the target instance. */
  rdsProxyVcpu: {
    usd: 0.015,
    unit: "vCPU-hour",
    source: PRICING_PAGES.rdsProxy,
    read: PRICES_READ_ON,
    confirmed: false,
    note: "billed for at least 2 vCPUs; the Multi-AZ standby is assumed not to count",
  },
  /** A Secrets Manager secret, per month (RDS-managed master secrets are charged too). */
  secret: {
    usd: 0.4,
    unit: "secret-month",
    source: PRICING_PAGES.secretsManager,
    checkedVia:
      "https://hivebook.wiki/wiki/aws-secrets-manager-rotated-secrets-dynamic-db-credentials-kms",
    read: PRICES_READ_ON,
    confirmed: true,
  },
  /** A standard-resolution CloudWatch alarm, per alarm metric and month. */
  alarmStandard: {
    usd: 0.1,
    unit: "alarm-month",
    source: PRICING_PAGES.cloudWatch,
    checkedVia: "https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm",
    read: PRICES_READ_ON,
    confirmed: true,
  },
  /** A high-resolution CloudWatch alarm (period under 60 s), per alarm metric and month. */
  alarmHighResolution: {
    usd: 0.3,
    unit: "alarm-month",
    source: PRICING_PAGES.cloudWatch,
    checkedVia: "https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm",
    read: PRICES_READ_ON,
    confirmed: true,
  },
  /** A CloudWatch dashboard, per month. */
  dashboard: {
    usd: 3,
    unit: "dashboard-month",
    source: PRICING_PAGES.cloudWatch,
    checkedVia:
      "https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/",
    read: PRICES_READ_ON,
    confirmed: true,
  },
  /** A customer managed KMS key, per month (rotations are not counted: {@link KMS_ROTATION_NOTE}). */
  kmsKey: {
    usd: 1,
    unit: "key-month",
    source: PRICING_PAGES.kms,
    read: PRICES_READ_ON,
    confirmed: true,
  },
  /** A NAT gateway, per hour (data processing per GB not counted). */
  natGateway: {
    usd: 0.045,
    unit: "hour",
    source: PRICING_PAGES.vpc,
    checkedVia: "https://basavytix.com/blog/aws-nat-gateway-pricing",
    read: PRICES_READ_ON,
    confirmed: true,
  },
  /** A public IPv4 address (the NAT gateway's Elastic IP, the bastion's public IP while it runs), per hour. */
  publicIpv4: {
    usd: 0.005,
    unit: "hour",
    source: PRICING_PAGES.vpc,
    checkedVia: "https://vishalvyas.com/understand-aws-public-ipv4-address-usage-and-pricing/",
    read: PRICES_READ_ON,
    confirmed: true,
  },
  /** EBS gp3 volume storage (the bastion's root volume, billed also while it is stopped). */
  ebsGp3Storage: {
    usd: 0.08,
    unit: "GB-month",
    source: PRICING_PAGES.ebs,
    checkedVia: "https://c3x.dev/resources/aws/aws_ebs_volume",
    read: "2026-12-06",
    confirmed: true,
  },
  /** An interface VPC endpoint, per AZ and hour (data processing per GB not counted). */
  interfaceEndpointAz: {
    usd: 0.01,
    unit: "AZ-hour",
    source: PRICING_PAGES.privateLink,
    checkedVia: "https://www.zacfukuda.com/blog/aws-nat-gateway-vs-vpc-endpoint",
    read: PRICES_READ_ON,
    confirmed: true,
  },
} as const satisfies Record<string, Price>;

/**
 * What automatic key rotation adds to a key's monthly price, as the estimate states it (not priced:
 * the first rotation comes a year after creation, 365 days by default). The old KMS pricing page
 * charged $1/month for every rotated key version (a 2019 copy of https://aws.amazon.com/kms/pricing/
 * says "each newly rotated version will raise the cost of the CMK by $1/month"); AWS lowered this
 * in 2024 to the first two rotations only (reported by cloudburn.io, "AWS KMS Pricing", March
 * 2026, and canglad.com, 2023 post with its April 2024 update). No stored copy of the current AWS
 * page confirmed the cap, hence the wording.
 */
export const KMS_ROTATION_NOTE =
  "each of a key's first two yearly rotations adds $1/month (AWS KMS pricing since 2024; before, every rotation did; the cap is not confirmed by a stored copy of the AWS page)";

/** EC2 on-demand Linux price per hour, for the bastion's instance types. */
export const EC2_HOURLY: Readonly<Record<string, Price>> = {
  "t4g.nano": {
    usd: 0.0042,
    unit: "hour",
    source: PRICING_PAGES.ec2,
    read: PRICES_READ_ON,
    confirmed: false,
  },
  "t4g.micro": {
    usd: 0.0084,
    unit: "hour",
    source: PRICING_PAGES.ec2,
    read: PRICES_READ_ON,
    confirmed: false,
  },
};

/**
 * Performance Insights keeps 7 days of history for free (RDS pricing page, "Performance
 * Insights"); the Standard mode of CloudWatch Database Insights, which it became on 31 July 2026,
 * keeps that tier and price (AWS, "Turning Performance Insights on and off", Aurora User Guide).
 */
export const PERFORMANCE_INSIGHTS_FREE_DAYS = 7;

/** Costs the estimate leaves out, said under every estimate. */
export const EXCLUDED_COSTS = [
  "data transfer and NAT/endpoint data processing",
  "backup storage beyond the free 100% of provisioned storage",
  "CloudWatch Logs ingestion and storage (PostgreSQL logs, flow logs, Enhanced Monitoring's RDSOSMetrics)",
  "KMS, Secrets Manager and CloudWatch API requests",
  "account-level free tiers (10 alarms, 3 dashboards)",
] as const;
