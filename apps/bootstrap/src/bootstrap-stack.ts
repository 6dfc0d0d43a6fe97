import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import {
  type EnvironmentConfig,
  resourcePrefix,
  workloadBoundaryArn,
  workloadBoundaryName,
} from "@pgforks/config";
import { defaultTags } from "@pgforks/stacks";
import { S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { TerraformApplyRole, TerraformPlanRole, WorkloadBoundary } from "./ci-roles";
import { GithubOidcProvider } from "./github-oidc";
import {
  BOOTSTRAP_STATE_PREFIX,
  CI_ROLE_SESSION_NAME,
  type DeliveryNames,
  deliveryNames,
  stateBackendProblems,
} from "./names";
import { StateBucket } from "./state-bucket";
import { StateKey } from "./state-key";

/** Properties of {@link BootstrapStack}. */
export interface BootstrapStackProps {
  /** The validated environment (environment.yaml). Required. */
  readonly environment: EnvironmentConfig;
}

/**
 * `bootstrap-<env>`: what an environment's AWS account needs before CI can plan and apply, created
 * once with an administrator's credentials (apps/bootstrap/README.md): the Terraform state bucket
 * and its KMS key, the GitHub OIDC provider, the plan role and the apply role.
 *
 * Its own state lives in the bucket it creates, under `bootstrap/` (outside the environments' key
 * prefix: neither CI role can read or write it). The first apply cannot use that bucket yet, so it
 * runs with a local backend override and then migrates (README, "First run").
 */
export class BootstrapStack extends TerraformStack {
  /** Names and ARNs shared with CI (role names, GitHub environment, stack names). */
  readonly names: DeliveryNames;
  readonly stateKey: StateKey;
  readonly stateBucket: StateBucket;
  readonly oidc: GithubOidcProvider;
  /** Pull requests and unprotected branches: platform plans only. */
  readonly planRole: TerraformPlanRole;
  /** main and the protected environment: both stacks, database secrets, tunnel. */
  readonly tenantsPlanRole: TerraformPlanRole;
  readonly workloadBoundary: WorkloadBoundary;
  readonly applyRole: TerraformApplyRole;

  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    super(scope, id);
    const { environment } = props;
    const problems = stateBackendProblems(environment);
    if (problems.length > 0) {
      throw new Error(`BootstrapStack ${id}: ${problems.join("; ")}`);
    }
    const backend = environment.stateBackend;
    this.names = deliveryNames(environment);

    const s3 = new S3Backend(this, {
      bucket: backend.bucket,
      key: `${BOOTSTRAP_STATE_PREFIX}/${id}.tfstate`,
      region: backend.region,
      encrypt: true,
      kmsKeyId: this.names.stateKeyAlias,
    });
    // cdktf 0.21's S3BackendConfig predates use_lockfile (Terraform 1.10); set it directly.
    s3.addOverride("use_lockfile", true);

    // The bucket and its key live in the state region (SSE-KMS needs a key in the bucket's
    // region); IAM is global. Pinned to the environment's account like every other stack.
    new AwsProvider(this, "aws", {
      region: backend.region,
      allowedAccountIds: [environment.account],
      defaultTags: [{ tags: { ...defaultTags(environment), component: "bootstrap" } }],
    });

    this.stateKey = new StateKey(this, "state-key", {
      alias: this.names.stateKeyAlias,
      accountId: environment.account,
      region: backend.region,
    });
    this.stateBucket = new StateBucket(this, "state-bucket", {
      bucketName: backend.bucket,
      kmsKeyArn: this.stateKey.arn,
      region: backend.region,
    });
    this.oidc = new GithubOidcProvider(this, "github-oidc");

    const ciEnvironment = {
      accountId: environment.account,
      region: environment.region,
      resourcePrefix: resourcePrefix(environment),
      repository: environment.ci.githubRepository,
    };
    const planRole = (roleName: string, scope: "platform" | "tenants") =>
      new TerraformPlanRole(this, scope === "platform" ? "plan-role" : "tenants-plan-role", {
        roleName,
        scope,
        environment: ciEnvironment,
        oidc: this.oidc,
        stateBucket: this.stateBucket,
        stateKey: this.stateKey,
        stateKeyPrefix: backend.keyPrefix,
        platformStack: this.names.stacks.platform,
        githubEnvironment: this.names.githubEnvironment,
        sessionName: CI_ROLE_SESSION_NAME,
      });
    this.planRole = planRole(this.names.planRoleName, "platform");
    this.tenantsPlanRole = planRole(this.names.tenantsPlanRoleName, "tenants");
    this.workloadBoundary = new WorkloadBoundary(this, "workload-boundary", {
      name: workloadBoundaryName(environment),
    });
    this.applyRole = new TerraformApplyRole(this, "apply-role", {
      roleName: this.names.applyRoleName,
      boundaryName: this.names.applyBoundaryName,
      environment: ciEnvironment,
      githubEnvironment: this.names.githubEnvironment,
      oidc: this.oidc,
      stateBucket: this.stateBucket,
      stateKey: this.stateKey,
      planRoleArns: [this.names.planRoleArn, this.names.tenantsPlanRoleArn],
      workloadBoundaryArn: workloadBoundaryArn(environment),
    });

    new TerraformOutput(this, "state_bucket", { value: this.stateBucket.name });
    new TerraformOutput(this, "state_key_arn", { value: this.stateKey.arn });
    new TerraformOutput(this, "plan_role_arn", { value: this.planRole.arn });
    new TerraformOutput(this, "tenants_plan_role_arn", { value: this.tenantsPlanRole.arn });
    new TerraformOutput(this, "workload_boundary_arn", {
      value: this.workloadBoundary.policy.arn,
    });
    new TerraformOutput(this, "apply_role_arn", { value: this.applyRole.arn });
    new TerraformOutput(this, "oidc_provider_arn", { value: this.oidc.arn });
  }
}
