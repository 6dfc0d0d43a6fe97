import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { type EnvironmentConfig, terraformLiteralMap } from "@pgforks/config";
import { S3Backend, type TerraformStack } from "cdktf";

/** Tags on every AWS resource of an environment (provider default_tags). */
export function defaultTags(environment: EnvironmentConfig): Record<string, string> {
  return {
    project: environment.project,
    environment: environment.name,
    "managed-by": "cdktf",
    ...terraformLiteralMap(environment.tags),
  };
}

/**
 * Terraform versions the stacks need: write-only arguments (`password_wo`, `secret_string_wo`)
 * arrived in 1.11, ephemeral resources and S3-native locking (`use_lockfile`) in 1.10.
 */
export const REQUIRED_TERRAFORM_VERSION = ">= 1.11.0";

/**
 * The S3 backend of a stack: one state object per stack, S3-native locking (use_lockfile,
 * Terraform >= 1.10) and KMS encryption. The harness swaps it for a local backend only in its
 * own offline copy, never here.
 */
export function configureBackend(
  stack: TerraformStack,
  environment: EnvironmentConfig,
  stackName: string,
): void {
  const backend = environment.stateBackend;
  const s3 = new S3Backend(stack, {
    bucket: backend.bucket,
    key: `${backend.keyPrefix}/${stackName}.tfstate`,
    region: backend.region,
    encrypt: true,
    ...(backend.kmsKeyId ? { kmsKeyId: backend.kmsKeyId } : {}),
  });
  // cdktf 0.21's S3BackendConfig predates use_lockfile (Terraform 1.10); set it directly.
  s3.addOverride("use_lockfile", true);
  stack.addOverride("terraform.required_version", REQUIRED_TERRAFORM_VERSION);
}

/**
 * The AWS provider of an environment: pinned to its account (allowed_account_ids refuses to
 * touch any other account) and region, with default tags.
 */
export function awsProvider(stack: TerraformStack, environment: EnvironmentConfig): AwsProvider {
  return new AwsProvider(stack, "aws", {
    region: environment.region,
    allowedAccountIds: [environment.account],
    defaultTags: [{ tags: defaultTags(environment) }],
  });
}

/** Stable stack names (`<env>-platform`, `<env>-tenants`). */
export function stackNames(environmentName: string): { platform: string; tenants: string } {
  return { platform: `${environmentName}-platform`, tenants: `${environmentName}-tenants` };
}
