import type { PlanIndex, PlanResource } from "./plan";

/**
 * A security control checked on the planned values of a plan. `check` returns why the resource
 * fails, or undefined when it passes.
 */
export interface Control {
  /** Security Hub control id (RDS.2, ...) or checkov id (CKV_AWS_23, ...). */
  readonly id: string;
  readonly source: "AWS Security Hub" | "checkov";
  readonly title: string;
  /** Resource types the control evaluates. */
  readonly resourceTypes: readonly string[];
  /** Only for resources that match (e.g. the PostgreSQL instances, not every aws_db_instance). */
  readonly applies?: (resource: PlanResource) => boolean;
  readonly check: (resource: PlanResource, plan: PlanIndex) => string | undefined;
}

const v = (r: PlanResource, key: string): unknown => r.values[key];
const isPostgres = (r: PlanResource) =>
  v(r, "engine") === "postgres" || v(r, "replicate_source_db") != null;
const requireTrue = (key: string, what: string) => (r: PlanResource) =>
  v(r, key) === true ? undefined : `${what} is ${JSON.stringify(v(r, key) ?? null)}`;

/** The argument is set, to a literal or to a reference to another resource of the plan. */
const requireSet =
  (key: string, missing: string) =>
  (r: PlanResource, plan: PlanIndex): string | undefined =>
    v(r, key) || plan.referencedResources(r.address, key).length ? undefined : missing;

/** Security Hub's defaults (AWS Security Hub User Guide, "Security Hub controls for Amazon RDS"). */
export const RDS_BACKUP_RETENTION_MINIMUM_DAYS = 7;
const WELL_KNOWN_ADMIN_NAMES = ["admin", "postgres", "root", "administrator"];
/** RDS.20: the event categories the control requires for db-instance subscriptions. */
const RDS20_CATEGORIES = ["maintenance", "configuration change", "failure"];
/** checkov CKV_AWS_338: CloudWatch log groups keep logs at least one year. */
const LOG_RETENTION_MINIMUM_DAYS = 365;

const instance: Pick<Control, "source" | "resourceTypes" | "applies"> = {
  source: "AWS Security Hub",
  resourceTypes: ["aws_db_instance"],
  applies: isPostgres,
};

function parameterGroupsOf(r: PlanResource, plan: PlanIndex): PlanResource[] {
  return plan
    .referencedResources(r.address, "parameter_group_name")
    .filter((p) => p.type === "aws_db_parameter_group");
}

function subnetsOf(r: PlanResource, plan: PlanIndex): PlanResource[] {
  return plan
    .referencedResources(r.address, "db_subnet_group_name")
    .flatMap((group) => plan.referencedResources(group.address, "subnet_ids"));
}

/** Route tables associated with a subnet, and whether any routes to an internet gateway. */
function subnetRoutesToInternet(subnet: PlanResource, plan: PlanIndex): boolean {
  const tables = plan
    .referrers("aws_route_table_association", "subnet_id", subnet)
    .flatMap((assoc) => plan.referencedResources(assoc.address, "route_table_id"));
  return tables.some((table) =>
    plan
      .referrers("aws_route", "route_table_id", table)
      .some((route) =>
        plan
          .referencedResources(route.address, "gateway_id")
          .some((g) => g.type === "aws_internet_gateway"),
      ),
  );
}

function rules(r: PlanResource): Array<Record<string, unknown>> {
  return [
    ...((v(r, "ingress") as unknown[]) ?? []),
    ...((v(r, "egress") as unknown[]) ?? []),
  ] as Array<Record<string, unknown>>;
}

export const CONTROLS: readonly Control[] = [
  {
    ...instance,
    id: "RDS.2",
    title: "RDS DB instances should prohibit public access",
    check: (r) =>
      v(r, "publicly_accessible") === false ? undefined : "publicly_accessible is not false",
  },
  {
    ...instance,
    id: "RDS.3",
    title: "RDS DB instances should have encryption at-rest enabled",
    check: requireTrue("storage_encrypted", "storage_encrypted"),
  },
  {
    ...instance,
    id: "RDS.5",
    title: "RDS DB instances should be configured with multiple Availability Zones",
    applies: (r) => isPostgres(r) && v(r, "replicate_source_db") == null,
    check: requireTrue("multi_az", "multi_az"),
  },
  {
    ...instance,
    id: "RDS.6",
    title: "Enhanced monitoring should be configured for RDS DB instances",
    check: (r) =>
      (v(r, "monitoring_interval") as number) > 0
        ? undefined
        : `monitoring_interval is ${JSON.stringify(v(r, "monitoring_interval"))}`,
  },
  {
    ...instance,
    id: "RDS.8",
    title: "RDS DB instances should have deletion protection enabled",
    applies: (r) => isPostgres(r) && v(r, "replicate_source_db") == null,
    check: requireTrue("deletion_protection", "deletion_protection"),
  },
  {
    ...instance,
    id: "RDS.9",
    title: "RDS DB instances should publish logs to CloudWatch Logs",
    check: (r) => {
      const exports = (v(r, "enabled_cloudwatch_logs_exports") as string[] | null) ?? [];
      const missing = ["postgresql", "upgrade"].filter((l) => !exports.includes(l));
      return missing.length
        ? `enabled_cloudwatch_logs_exports lacks ${missing.join(", ")}`
        : undefined;
    },
  },
  {
    ...instance,
    id: "RDS.10",
    title: "IAM authentication should be configured for RDS instances",
    check: requireTrue(
      "iam_database_authentication_enabled",
      "iam_database_authentication_enabled",
    ),
  },
  {
    ...instance,
    id: "RDS.11",
    title: "RDS instances should have automatic backups enabled",
    applies: (r) => isPostgres(r) && v(r, "replicate_source_db") == null,
    check: (r) => {
      const days = v(r, "backup_retention_period") as number;
      return days >= RDS_BACKUP_RETENTION_MINIMUM_DAYS
        ? undefined
        : `backup_retention_period is ${days} (minimum ${RDS_BACKUP_RETENTION_MINIMUM_DAYS})`;
    },
  },
  {
    ...instance,
    id: "RDS.13",
    title: "RDS automatic minor version upgrades should be enabled",
    check: requireTrue("auto_minor_version_upgrade", "auto_minor_version_upgrade"),
  },
  {
    ...instance,
    id: "RDS.17",
    title: "RDS DB instances should be configured to copy tags to snapshots",
    check: requireTrue("copy_tags_to_snapshot", "copy_tags_to_snapshot"),
  },
  {
    ...instance,
    id: "RDS.20",
    title:
      "An RDS event notifications subscription should be configured for critical database instance events",
    applies: (r) => isPostgres(r) && v(r, "replicate_source_db") == null,
    check: (r, plan) => {
      const subscription = plan
        .ofType("aws_db_event_subscription")
        .find(
          (s) =>
            v(s, "source_type") === "db-instance" &&
            v(s, "enabled") !== false &&
            RDS20_CATEGORIES.every((c) =>
              ((v(s, "event_categories") as string[]) ?? []).includes(c),
            ) &&
            ((v(s, "source_ids") as string[] | null) ?? []).includes(v(r, "identifier") as string),
        );
      return subscription
        ? undefined
        : `no enabled db-instance event subscription covers ${String(v(r, "identifier"))} with ${RDS20_CATEGORIES.join(", ")}`;
    },
  },
  {
    ...instance,
    id: "RDS.23",
    title: "RDS instances should not use a database engine default port",
    check: (r) => (v(r, "port") === 5432 ? "port is the PostgreSQL default 5432" : undefined),
  },
  {
    ...instance,
    id: "RDS.25",
    title: "RDS database instances should use a custom administrator username",
    applies: (r) => isPostgres(r) && v(r, "replicate_source_db") == null,
    check: (r) =>
      WELL_KNOWN_ADMIN_NAMES.includes(String(v(r, "username")))
        ? `username is "${String(v(r, "username"))}"`
        : undefined,
  },
  {
    ...instance,
    id: "RDS.36",
    title: "RDS for PostgreSQL DB instances should publish logs to CloudWatch Logs",
    check: (r) =>
      ((v(r, "enabled_cloudwatch_logs_exports") as string[] | null) ?? []).includes("postgresql")
        ? undefined
        : "the postgresql log is not exported",
  },
  {
    ...instance,
    id: "RDS.38",
    title: "RDS for PostgreSQL DB instances should be encrypted in transit",
    check: (r, plan) => {
      const groups = parameterGroupsOf(r, plan);
      if (groups.length === 0)
        return "uses no parameter group of this plan (the default group has rds.force_ssl=0 before PostgreSQL 15)";
      const forced = groups.every((g) =>
        ((v(g, "parameter") as Array<{ name: string; value: string }>) ?? []).some(
          (p) => p.name === "rds.force_ssl" && p.value === "1",
        ),
      );
      return forced ? undefined : "its parameter group does not set rds.force_ssl = 1";
    },
  },
  {
    source: "AWS Security Hub",
    resourceTypes: ["aws_db_proxy"],
    id: "RDS.43",
    title: "RDS DB proxies should require TLS encryption",
    check: requireTrue("require_tls", "require_tls"),
  },
  {
    ...instance,
    id: "RDS.46",
    title:
      "RDS DB instances should not be deployed to public subnets with routes to internet gateways",
    check: (r, plan) => {
      const subnets = subnetsOf(r, plan);
      if (subnets.length === 0) return "its subnets cannot be found in the plan";
      const exposed = subnets.filter(
        (s) => subnetRoutesToInternet(s, plan) || v(s, "map_public_ip_on_launch") === true,
      );
      return exposed.length
        ? `subnets ${exposed.map((s) => s.address).join(", ")} route to an internet gateway`
        : undefined;
    },
  },
  // checkov: security groups
  {
    source: "checkov",
    id: "CKV_AWS_23",
    title: "Every security group and security group rule has a description",
    resourceTypes: [
      "aws_security_group",
      "aws_vpc_security_group_ingress_rule",
      "aws_vpc_security_group_egress_rule",
    ],
    check: (r) => {
      if (!v(r, "description")) return "has no description";
      const bare = rules(r).filter((rule) => !rule.description);
      return bare.length ? `${bare.length} inline rule(s) without description` : undefined;
    },
  },
  {
    source: "checkov",
    id: "CKV_AWS_24/25/260/277",
    title: "No ingress from 0.0.0.0/0 or ::/0 (SSH, RDP, HTTP or all ports)",
    resourceTypes: ["aws_security_group", "aws_vpc_security_group_ingress_rule"],
    check: (r) => {
      const open = (cidr: unknown) => cidr === "0.0.0.0/0" || cidr === "::/0";
      if (r.type === "aws_vpc_security_group_ingress_rule") {
        return open(v(r, "cidr_ipv4")) || open(v(r, "cidr_ipv6"))
          ? "allows ingress from the internet"
          : undefined;
      }
      const ingress = ((v(r, "ingress") as Array<Record<string, unknown>>) ?? []).filter((rule) =>
        [
          ...((rule.cidr_blocks as string[]) ?? []),
          ...((rule.ipv6_cidr_blocks as string[]) ?? []),
        ].some(open),
      );
      return ingress.length ? "allows ingress from the internet" : undefined;
    },
  },
  {
    source: "checkov",
    id: "CKV2_AWS_12",
    title: "The default security group of every VPC restricts all traffic",
    resourceTypes: ["aws_vpc"],
    check: (r, plan) => {
      const defaults = plan.referrers("aws_default_security_group", "vpc_id", r);
      if (defaults.length === 0)
        return "its default security group is not managed (it allows all traffic between members)";
      return defaults.some((d) => rules(d).length > 0)
        ? "its default security group has rules"
        : undefined;
    },
  },
  {
    source: "checkov",
    id: "CKV2_AWS_11",
    title: "VPC flow logging is enabled in all VPCs",
    resourceTypes: ["aws_vpc"],
    check: (r, plan) =>
      plan.referrers("aws_flow_log", "vpc_id", r).length > 0 ? undefined : "has no flow log",
  },
  {
    source: "checkov",
    id: "CKV_AWS_130",
    title: "VPC subnets do not assign public IP addresses by default",
    resourceTypes: ["aws_subnet"],
    check: (r) =>
      v(r, "map_public_ip_on_launch") === true ? "map_public_ip_on_launch is true" : undefined,
  },
  // checkov: logs, SNS, KMS, secrets
  {
    source: "checkov",
    id: "CKV_AWS_158",
    title: "CloudWatch log groups are encrypted by KMS",
    resourceTypes: ["aws_cloudwatch_log_group"],
    check: requireSet("kms_key_id", "has no kms_key_id"),
  },
  {
    source: "checkov",
    id: "CKV_AWS_66",
    title: "CloudWatch log groups specify a retention",
    resourceTypes: ["aws_cloudwatch_log_group"],
    check: (r) =>
      (v(r, "retention_in_days") as number) > 0
        ? undefined
        : "keeps logs forever (retention_in_days 0)",
  },
  {
    source: "checkov",
    id: "CKV_AWS_338",
    title: "CloudWatch log groups retain logs for at least one year",
    resourceTypes: ["aws_cloudwatch_log_group"],
    check: (r) => {
      const days = v(r, "retention_in_days") as number;
      return days >= LOG_RETENTION_MINIMUM_DAYS
        ? undefined
        : `retention_in_days is ${days} (minimum ${LOG_RETENTION_MINIMUM_DAYS})`;
    },
  },
  {
    source: "checkov",
    id: "CKV_AWS_26",
    title: "SNS topics are encrypted (KMS)",
    resourceTypes: ["aws_sns_topic"],
    check: requireSet("kms_master_key_id", "has no kms_master_key_id"),
  },
  {
    source: "checkov",
    id: "CKV_AWS_7",
    title: "KMS keys have rotation enabled",
    resourceTypes: ["aws_kms_key"],
    check: requireTrue("enable_key_rotation", "enable_key_rotation"),
  },
  {
    source: "checkov",
    id: "CKV_AWS_33",
    title: "KMS key policies allow no wildcard principal",
    resourceTypes: ["aws_kms_key"],
    check: (r) => {
      const policy = v(r, "policy");
      if (typeof policy !== "string") return undefined; // known after apply: nothing to judge
      const statements = (
        JSON.parse(policy) as { Statement: Array<{ Effect: string; Principal: unknown }> }
      ).Statement;
      const wildcard = statements.filter(
        (s) =>
          s.Effect === "Allow" &&
          (s.Principal === "*" || JSON.stringify(s.Principal).includes('"AWS":"*"')),
      );
      return wildcard.length ? "a statement allows Principal *" : undefined;
    },
  },
  {
    source: "checkov",
    id: "CKV_AWS_149",
    title: "Secrets Manager secrets are encrypted with a customer-managed KMS key",
    resourceTypes: ["aws_secretsmanager_secret"],
    check: requireSet("kms_key_id", "uses the AWS-managed key"),
  },
  // checkov: the bastion
  {
    source: "checkov",
    id: "CKV_AWS_79",
    title: "Instance metadata service v1 is disabled (IMDSv2 required)",
    resourceTypes: ["aws_launch_template", "aws_instance"],
    check: (r, plan) => {
      const own = (v(r, "metadata_options") as Array<{ http_tokens?: string }> | null) ?? [];
      const templates =
        r.type === "aws_instance"
          ? plan
              .ofType("aws_launch_template")
              .filter((t) =>
                plan
                  .referencedResources(r.address, "launch_template")
                  .some((x) => x.address === t.address),
              )
          : [];
      const required = [
        ...own,
        ...templates.flatMap(
          (t) => (v(t, "metadata_options") as Array<{ http_tokens?: string }>) ?? [],
        ),
      ].some((m) => m.http_tokens === "required");
      return required ? undefined : "http_tokens is not required";
    },
  },
  {
    source: "checkov",
    id: "CKV_AWS_88",
    title: "EC2 instances have no public IP",
    resourceTypes: ["aws_instance"],
    check: (r) =>
      v(r, "associate_public_ip_address") === true
        ? "associate_public_ip_address is true"
        : undefined,
  },
];
