import {
  stateBackendProblems as configStateBackendProblems,
  type EnvironmentConfig,
  LONGEST_ROLE_NAME_SUFFIX,
  partitionOf,
  resourcePrefix,
  stateKeyAlias,
} from "@pgforks/config";
import { stackNames } from "@pgforks/stacks";

/**
 * Issuer of GitHub Actions OIDC tokens (GitHub Docs, "About security hardening with OpenID
 * Connect": the `iss` claim is https://token.actions.githubusercontent.com).
 */
export const GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com";
/** Host part of the issuer: the prefix of the condition keys IAM derives from the token's claims. */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
/**
 * Audience aws-actions/configure-aws-credentials requests (its `audience` input defaults to
 * sts.amazonaws.com; AWS IAM User Guide, "Configuring a role for GitHub OIDC identity provider").
 */
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

/**
 * Role session name the workflows pass to configure-aws-credentials. The plan role may end only
 * SSM sessions whose id starts with it (Session Manager names a session `<session name>-<id>`).
 */
export const CI_ROLE_SESSION_NAME = "pgforks-ci";

/** Key prefix of the bootstrap stacks' own state (defined beside the rule that keeps it apart). */
export { BOOTSTRAP_STATE_PREFIX, stateKeyAlias } from "@pgforks/config";

/** Session document for port forwarding to a host behind the target instance (AWS-owned). */
export const PORT_FORWARDING_DOCUMENT = "AWS-StartPortForwardingSessionToRemoteHost";

/** Everything CI and the bootstrap stack agree on for one environment. */
export interface DeliveryNames {
  /** Bootstrap stack of the environment: `bootstrap-<env>`. */
  readonly bootstrapStack: string;
  /** `<project>-<env>-terraform-plan`: pull requests and unprotected branches, platform plans only. */
  readonly planRoleName: string;
  readonly planRoleArn: string;
  /** `<project>-<env>-terraform-tenants-plan`: main and the protected environment, both stacks. */
  readonly tenantsPlanRoleName: string;
  readonly tenantsPlanRoleArn: string;
  /** `<project>-<env>-terraform-apply`. */
  readonly applyRoleName: string;
  readonly applyRoleArn: string;
  /** Permissions boundary of the apply role: `<project>-<env>-terraform-apply-boundary`. */
  readonly applyBoundaryName: string;
  readonly applyBoundaryArn: string;
  /** ARN of the account's GitHub OIDC provider (one per account and issuer URL). */
  readonly oidcProviderArn: string;
  /** Alias of the state key: `alias/<project>-tfstate` (one state bucket and key per account). */
  readonly stateKeyAlias: string;
  /** GitHub environment whose jobs may assume the apply role (default: the environment name). */
  readonly githubEnvironment: string;
  /** `<env>-platform` and `<env>-tenants`. */
  readonly stacks: { readonly platform: string; readonly tenants: string };
}

/** The names and ARNs of an environment's delivery identities, derived from config only. */
export function deliveryNames(environment: EnvironmentConfig): DeliveryNames {
  const prefix = resourcePrefix(environment);
  const iam = `arn:${partitionOf(environment.region).name}:iam::${environment.account}`;
  const planRoleName = `${prefix}-terraform-plan`;
  // The longest role name: environment.yaml's validation keeps it within IAM's 64 characters.
  const tenantsPlanRoleName = `${prefix}${LONGEST_ROLE_NAME_SUFFIX}`;
  const applyRoleName = `${prefix}-terraform-apply`;
  const applyBoundaryName = `${applyRoleName}-boundary`;
  return {
    bootstrapStack: `bootstrap-${environment.name}`,
    planRoleName,
    planRoleArn: `${iam}:role/${planRoleName}`,
    tenantsPlanRoleName,
    tenantsPlanRoleArn: `${iam}:role/${tenantsPlanRoleName}`,
    applyRoleName,
    applyRoleArn: `${iam}:role/${applyRoleName}`,
    applyBoundaryName,
    applyBoundaryArn: `${iam}:policy/${applyBoundaryName}`,
    oidcProviderArn: `${iam}:oidc-provider/${GITHUB_OIDC_HOST}`,
    stateKeyAlias: stateKeyAlias(environment.project),
    githubEnvironment: environment.ci.githubEnvironment ?? environment.name,
    stacks: stackNames(environment.name),
  };
}

/**
 * Why the environment's state backend settings do not match what the bootstrap stack creates, or
 * an empty list (the rule is @pgforks/config's, which environment.yaml is validated with).
 */
export function stateBackendProblems(environment: EnvironmentConfig): string[] {
  return configStateBackendProblems(environment).map(
    (p) => `stateBackend.${p.field} "${environment.stateBackend[p.field]}" ${p.message}`,
  );
}
