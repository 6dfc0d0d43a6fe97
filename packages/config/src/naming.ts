import { IDENTIFIER_MAX_BYTES } from "./identifiers";
import type { TenantConfig } from "./schema/tenants";

/** Suffix of a tenant's optional read-only group role. */
export const READ_ONLY_ROLE_SUFFIX = "_readonly";

/** The read-only group role of a tenant: `<name>_readonly`. */
export function readOnlyRoleName(tenant: Pick<TenantConfig, "name">): string {
  return `${tenant.name}${READ_ONLY_ROLE_SUFFIX}`;
}

/**
 * Why the read-only role name of `tenant` is not a usable identifier, or undefined. PostgreSQL
 * silently truncates identifiers to 63 bytes, so a long tenant name would make two roles collide.
 */
export function readOnlyRoleNameProblem(tenant: Pick<TenantConfig, "name">): string | undefined {
  const name = readOnlyRoleName(tenant);
  if (Buffer.byteLength(name, "utf8") <= IDENTIFIER_MAX_BYTES) return undefined;
  return `tenant "${tenant.name}": read-only role "${name}" is longer than ${IDENTIFIER_MAX_BYTES} bytes; shorten the tenant name to at most ${IDENTIFIER_MAX_BYTES - READ_ONLY_ROLE_SUFFIX.length} bytes or set readOnlyRole: false`;
}

/** Name prefix of an environment's AWS resources: `<project>-<env>`, e.g. `pgforks-prod`. */
export function resourcePrefix(environment: {
  readonly project: string;
  readonly name: string;
}): string {
  return `${environment.project}-${environment.name}`;
}

/** Name of a tenant's Secrets Manager secret: `<prefix>/tenants/<tenant>`, e.g. `pgforks-prod/tenants/fintech`. */
export function tenantSecretName(prefix: string, tenant: string): string {
  return `${prefix}/tenants/${tenant}`;
}

/**
 * The AWS partition of a region and the DNS suffix of its service principals, derived from the
 * region name so no `aws_partition` data source is needed at plan time.
 * Source: AWS General Reference, "Amazon Resource Names (ARNs)", partition element
 * (aws, aws-cn, aws-us-gov).
 */
export interface Partition {
  /** ARN partition, e.g. `aws`. */
  readonly name: "aws" | "aws-cn" | "aws-us-gov";
  /** DNS suffix of regional service principals, e.g. `amazonaws.com`. */
  readonly dnsSuffix: "amazonaws.com" | "amazonaws.com.cn";
}

/** Partition of `region` (e.g. us-east-1 -> aws, cn-north-1 -> aws-cn, us-gov-west-1 -> aws-us-gov). */
export function partitionOf(region: string): Partition {
  if (region.startsWith("cn-")) return { name: "aws-cn", dnsSuffix: "amazonaws.com.cn" };
  if (region.startsWith("us-gov-")) return { name: "aws-us-gov", dnsSuffix: "amazonaws.com" };
  return { name: "aws", dnsSuffix: "amazonaws.com" };
}

/**
 * Name of the permissions boundary every IAM role of an environment's platform stack carries:
 * `<prefix>-workload-boundary`. The bootstrap stack creates the policy; the apply role may create
 * or change a role only when it carries exactly this boundary (apps/bootstrap, ci-roles.ts).
 */
export function workloadBoundaryName(environment: {
  readonly project: string;
  readonly name: string;
}): string {
  return `${resourcePrefix(environment)}-workload-boundary`;
}

/** ARN of {@link workloadBoundaryName} in the environment's account, derived from config only. */
export function workloadBoundaryArn(environment: {
  readonly project: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
}): string {
  return `arn:${partitionOf(environment.region).name}:iam::${environment.account}:policy/${workloadBoundaryName(environment)}`;
}
