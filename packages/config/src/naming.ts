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

/** Longest IAM role name (IAM User Guide, "IAM and AWS STS quotas"). */
export const IAM_ROLE_NAME_MAX_LENGTH = 64;

/** Longest DB instance identifier (RDS User Guide, "Naming constraints in Amazon RDS"). */
export const DB_IDENTIFIER_MAX_LENGTH = 63;

/**
 * The longest suffix an environment's IAM role names take after `<project>-<env>`: the tenants
 * plan role of apps/bootstrap (names.ts builds it from this constant).
 */
export const LONGEST_ROLE_NAME_SUFFIX = "-terraform-tenants-plan";

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

/**
 * Alias of the KMS key encrypting an account's Terraform state, which the bootstrap stack
 * (apps/bootstrap) creates: `alias/<project>-tfstate`.
 */
export function stateKeyAlias(project: string): string {
  return `alias/${project}-tfstate`;
}

/**
 * Key prefix of the bootstrap stacks' own state inside the state bucket: outside every
 * environment's keyPrefix, so neither CI role can read or overwrite it.
 */
export const BOOTSTRAP_STATE_PREFIX = "bootstrap";

/** A stateBackend field that does not match what the bootstrap stack creates. */
export interface StateBackendProblem {
  readonly field: "kmsKeyId" | "keyPrefix";
  readonly message: string;
}

/**
 * Why the state backend settings do not match what the bootstrap stack creates, or an empty
 * list: it creates the key `alias/<project>-tfstate`, so a kmsKeyId must name that alias (bare
 * or as an alias ARN; another key does not exist and every state write would fail), and the
 * stacks' state must not live under the bootstrap prefix.
 */
export function stateBackendProblems(environment: {
  readonly project: string;
  readonly account: string;
  readonly stateBackend: {
    readonly region: string;
    readonly keyPrefix: string;
    readonly kmsKeyId?: string | undefined;
  };
}): StateBackendProblem[] {
  const backend = environment.stateBackend;
  const problems: StateBackendProblem[] = [];
  const alias = stateKeyAlias(environment.project);
  const aliasArn = `arn:${partitionOf(backend.region).name}:kms:${backend.region}:${environment.account}:${alias}`;
  if (
    backend.kmsKeyId !== undefined &&
    backend.kmsKeyId !== alias &&
    backend.kmsKeyId !== aliasArn
  ) {
    problems.push({
      field: "kmsKeyId",
      message: `must be ${alias} (or its alias ARN), the state key the bootstrap stack creates for project "${environment.project}"; or leave it out to rely on the bucket's default encryption with that key`,
    });
  }
  const prefix = backend.keyPrefix.replace(/\/+$/, "");
  if (prefix === BOOTSTRAP_STATE_PREFIX || prefix.startsWith(`${BOOTSTRAP_STATE_PREFIX}/`)) {
    problems.push({
      field: "keyPrefix",
      message: `lies under "${BOOTSTRAP_STATE_PREFIX}/", where the bootstrap stacks keep their own state; choose another prefix`,
    });
  }
  return problems;
}
