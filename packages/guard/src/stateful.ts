/**
 * Which resource types hold state that a delete or a replacement loses, and what is lost. The
 * banner names these, and the destroy guard blocks their deletion or replacement unless the
 * tenant was dropped on purpose or an approval names the resource. The RDS Proxy holds no data
 * but is counted too: replacing it (a change of its subnets, for one) or removing it is an
 * outage for every tenant, which deserves the same named approval.
 *
 * Deliberately NOT stateful (their loss is an outage or a re-creation, not lost data):
 * - aws_secretsmanager_secret_version: the tenants stack writes the value write-only from
 *   configuration; its credentials version covers the secret's ARN, so a replacement (new
 *   secret_id) also rotates the role's password and the new version holds it; bumping
 *   passwordVersion produces a new one on request.
 * - aws_db_parameter_group, aws_db_subnet_group, security groups, IAM roles, alarms, endpoints:
 *   configuration that Terraform recreates identically.
 * - postgresql_grant, postgresql_extension, postgresql_default_privileges: privileges and
 *   extensions are re-granted/re-created from configuration (an extension drop without CASCADE
 *   fails while objects use it: `drop_cascade = false` in @pgforks/tenants).
 */
export interface StatefulKind {
  /** What the resource is, in words ("RDS instance"). */
  readonly what: string;
  /** What its deletion or replacement loses. */
  readonly loses: string;
}

export const STATEFUL_RESOURCE_TYPES: Readonly<Record<string, StatefulKind>> = {
  aws_db_instance: {
    what: "RDS instance",
    loses:
      "every tenant database on it (RDS takes a final snapshot unless skip_final_snapshot; restoring means downtime and a new endpoint)",
  },
  aws_db_proxy: {
    what: "RDS Proxy",
    loses:
      "every tenant's connections while it is recreated: the new proxy takes minutes to become available, has a new endpoint, and the tenants' secrets point at it only after the tenants stack's next apply (apps that read the secret at start must restart). No data is lost, but it is an outage for every tenant",
  },
  aws_kms_key: {
    what: "KMS key",
    loses:
      "everything encrypted with it (RDS storage and snapshots, secrets, log groups) becomes unreadable when the deletion window ends",
  },
  aws_secretsmanager_secret: {
    what: "Secrets Manager secret",
    loses:
      "the credentials it holds (deletion is scheduled for the recovery window; a new secret gets a new ARN)",
  },
  aws_s3_bucket: {
    what: "S3 bucket",
    loses: "its objects (for the bootstrap app: every Terraform state)",
  },
  aws_cloudwatch_log_group: {
    what: "CloudWatch log group",
    loses: "its retained logs (PostgreSQL logs, VPC flow logs: the audit trail)",
  },
  postgresql_database: {
    what: "tenant database",
    loses: "the tenant's data",
  },
  postgresql_role: {
    what: "PostgreSQL role",
    loses:
      "the login and its password; the provider runs REASSIGN OWNED / DROP OWNED before DROP ROLE (cyrilgdn/postgresql docs, skip_reassign_owned)",
  },
  postgresql_schema: {
    what: "PostgreSQL schema",
    loses: "every table in it",
  },
};

/**
 * An aws_db_instance that replicates another (`replicate_source_db`): still guarded (its readers
 * lose it), but it holds no data of its own and takes no final snapshot, so it does not lose
 * "every tenant database on it" as the primary does.
 */
export const READ_REPLICA: StatefulKind = {
  what: "RDS read replica",
  loses:
    "its endpoint and the reads sent to it until a new replica has copied the whole primary (no final snapshot: its data is a copy of the primary's)",
};

/**
 * The stateful kind of a resource type, if it is one. `before` (the resource's values in the
 * state) tells a read replica from the primary.
 */
export function statefulKind(type: string, before?: unknown): StatefulKind | undefined {
  if (
    type === "aws_db_instance" &&
    before !== null &&
    typeof before === "object" &&
    typeof (before as Record<string, unknown>).replicate_source_db === "string" &&
    (before as Record<string, unknown>).replicate_source_db !== ""
  ) {
    return READ_REPLICA;
  }
  return Object.hasOwn(STATEFUL_RESOURCE_TYPES, type) ? STATEFUL_RESOURCE_TYPES[type] : undefined;
}
