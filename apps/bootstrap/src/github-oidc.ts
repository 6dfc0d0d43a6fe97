import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { Construct } from "constructs";
import type { PolicyCondition, PolicyDocument } from "./iam-policy";
import { policyDocument } from "./iam-policy";
import { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST, GITHUB_OIDC_URL } from "./names";

/** Terraform resource name of the provider: `aws_iam_openid_connect_provider.github_actions`. */
export const GITHUB_OIDC_LOGICAL_ID = "github_actions";

/** Properties of {@link GithubOidcProvider}. */
export interface GithubOidcProviderProps {
  /** Tag `Name` of the provider. Default `github-actions`. */
  readonly name?: string;
}

/**
 * The account's IAM OIDC identity provider for GitHub Actions (one per account and issuer URL).
 *
 * No `thumbprint_list`: for GitHub, IAM verifies the issuer's TLS certificate against its library
 * of trusted root CAs and no longer uses thumbprints (IAM API Reference,
 * UpdateOpenIDConnectProviderThumbprint: "These OIDC IdPs include Auth0, GitHub, GitLab, Google"),
 * and hashicorp/aws 5.x makes the argument optional (IAM fills in a thumbprint itself). Pinning one
 * would only add a value that breaks nothing when it goes stale and protects nothing while valid.
 *
 * If the account already has this provider (created by another tool), import it instead of
 * creating a second one: see apps/bootstrap/README.md.
 */
export class GithubOidcProvider extends Construct {
  /** The `aws_iam_openid_connect_provider`. */
  readonly provider: IamOpenidConnectProvider;
  /** ARN of the provider: the `Federated` principal of the CI roles' trust policies. */
  readonly arn: string;

  constructor(scope: Construct, id: string, props: GithubOidcProviderProps = {}) {
    super(scope, id);
    this.provider = new IamOpenidConnectProvider(this, "provider", {
      url: GITHUB_OIDC_URL,
      clientIdList: [GITHUB_OIDC_AUDIENCE],
      tags: { Name: props.name ?? "github-actions" },
    });
    // A readable, stable address for `terraform import` when the account already has one (README).
    this.provider.overrideLogicalId(GITHUB_OIDC_LOGICAL_ID);
    this.arn = this.provider.arn;
  }

  /**
   * Trust policy letting GitHub Actions jobs whose token subject matches one of `subjects` assume
   * a role. The audience is always checked; a subject with `*` is matched with StringLike, exact
   * subjects with StringEquals (IAM User Guide, "Configuring a role for GitHub OIDC identity
   * provider").
   */
  trustPolicy(subjects: readonly string[]): PolicyDocument {
    if (subjects.length === 0) throw new Error("GithubOidcProvider.trustPolicy: no subjects");
    return githubTrustPolicy(this.arn, subjects);
  }
}

/** The trust policy of {@link GithubOidcProvider.trustPolicy}, for any provider ARN. */
export function githubTrustPolicy(
  providerArn: string,
  subjects: readonly string[],
): PolicyDocument {
  const wildcard = subjects.some((s) => s.includes("*") || s.includes("?"));
  const condition: PolicyCondition = {
    StringEquals: {
      [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
      ...(wildcard ? {} : { [`${GITHUB_OIDC_HOST}:sub`]: subjects }),
    },
    ...(wildcard ? { StringLike: { [`${GITHUB_OIDC_HOST}:sub`]: subjects } } : {}),
  };
  return policyDocument([
    {
      Sid: "GitHubActionsOidc",
      Effect: "Allow",
      Principal: { Federated: providerArn },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: condition,
    },
  ]);
}

/**
 * Token subjects (`sub` claim) GitHub issues for a repository (GitHub Docs, "OpenID Connect
 * reference", example subject claims): a job of a pull_request event, a job on a branch or tag,
 * and a job that references an environment (the environment replaces the ref in the subject).
 */
export const githubSubjects = {
  pullRequest: (repository: string) => `repo:${repository}:pull_request`,
  anyRef: (repository: string) => `repo:${repository}:ref:*`,
  branch: (repository: string, branch: string) => `repo:${repository}:ref:refs/heads/${branch}`,
  environment: (repository: string, environment: string) =>
    `repo:${repository}:environment:${environment}`,
} as const;
