import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { partitionOf } from "@pgforks/config";
import { Construct } from "constructs";
import type { GithubOidcProvider } from "./github-oidc";
import { githubSubjects } from "./github-oidc";
import { type PolicyDocument, type PolicyStatement, policyDocument } from "./iam-policy";
import { BOOTSTRAP_STATE_PREFIX, PORT_FORWARDING_DOCUMENT } from "./names";
import type { StateBucket } from "./state-bucket";
import type { StateKey } from "./state-key";

/** AWS managed policy granting read-only access to (nearly) every service: the plan role's base. */
export const READ_ONLY_ACCESS_POLICY = "ReadOnlyAccess";
/** AWS managed policy granting everything: the apply role's grant, capped by its boundary. */
export const ADMINISTRATOR_ACCESS_POLICY = "AdministratorAccess";

/** ARN of an AWS managed policy in the region's partition. */
export function awsManagedPolicyArn(region: string, name: string): string {
  return `arn:${partitionOf(region).name}:iam::aws:policy/${name}`;
}

/** Suffix Terraform's S3 backend gives the lock object of a state key when use_lockfile is on. */
export const LOCK_FILE_SUFFIX = ".tflock";

/**
 * Name prefix of every CloudWatch log group RDS writes: exported instance logs
 * (`/aws/rds/instance/<id>/postgresql`, RDS User Guide, "Publishing PostgreSQL logs to Amazon
 * CloudWatch Logs") and RDS Proxy logs (`/aws/rds/proxy/<name>`). The `postgresql` log holds
 * every `CREATE/ALTER ROLE ... PASSWORD '...'` in clear text, because the parameter group sets
 * `log_statement=ddl` (@pgforks/rds).
 */
export const RDS_LOG_GROUP_PREFIX = "/aws/rds/";

/**
 * CloudWatch Logs actions that return log events (what AWS managed ReadOnlyAccess grants through
 * `logs:FilterLogEvents`, `logs:Get*`, `logs:StartLiveTail` and `logs:StartQuery`), each
 * authorized on a log group or log stream (Service Authorization Reference, "Actions, resources,
 * and condition keys for Amazon CloudWatch Logs": GetLogEvents on log-stream; FilterLogEvents,
 * StartQuery, GetQueryResults, GetLogRecord and StartLiveTail on log-group).
 */
export const LOG_CONTENT_READ_ACTIONS = [
  "logs:GetLogEvents",
  "logs:FilterLogEvents",
  "logs:StartQuery",
  "logs:GetQueryResults",
  "logs:GetLogRecord",
  "logs:StartLiveTail",
] as const;

/**
 * RDS actions that return the content of a DB instance's own log files, which hold the same
 * `CREATE/ALTER ROLE ... PASSWORD` lines as the exported log group: AWS managed ReadOnlyAccess
 * grants them through `rds:Download*`. Both are authorized on the `db` resource
 * (`arn:<partition>:rds:<region>:<account>:db:<identifier>`; Service Authorization Reference,
 * "Actions, resources, and condition keys for Amazon RDS"); DownloadCompleteDBLogFile is the
 * REST-only whole-file download (RDS User Guide, "Reading log file contents using REST").
 */
export const DB_LOG_FILE_READ_ACTIONS = [
  "rds:DownloadDBLogFilePortion",
  "rds:DownloadCompleteDBLogFile",
] as const;

/**
 * Performance Insights actions that return SQL text: DescribeDimensionKeys and GetResourceMetrics
 * group by the `db.sql` dimensions (statement text included), GetDimensionKeyDetails returns a
 * statement's full text. PI samples running statements, an `ALTER ROLE ... PASSWORD '...'` among
 * them. AWS managed ReadOnlyAccess grants all three. Each is authorized on the `metric-resource`
 * (`arn:<partition>:pi:<region>:<account>:metrics/rds/<DbiResourceId>`; Service Authorization
 * Reference, "Actions, resources, and condition keys for AWS Performance Insights"; the RDS User
 * Guide's "Granting fine-grained access for Performance Insights" lists the same three as the
 * actions that read dimensions).
 */
export const PERFORMANCE_INSIGHTS_SQL_READ_ACTIONS = [
  "pi:DescribeDimensionKeys",
  "pi:GetDimensionKeyDetails",
  "pi:GetResourceMetrics",
] as const;

/**
 * Actions that return an S3 object's content or metadata: AWS managed ReadOnlyAccess grants
 * `s3:Get*` on every bucket of the account (as AmazonS3ReadOnlyAccess does: `s3:Get*`,
 * `s3:List*`, `s3-object-lambda:Get*` on "*"), so without a deny a plan role reads every object
 * in the account: the other stacks' state, and whatever else lives there, such as the tenant
 * dumps docs/operations.md archives with `--sse aws:kms` (the account's aws/s3 key, which S3
 * uses for any principal of the account allowed to read the object). Each plan role may read only
 * its own state objects ({@link neverReadOtherObjects}).
 */
export const OBJECT_READ_ACTIONS = ["s3:GetObject*", "s3-object-lambda:GetObject*"] as const;

/**
 * Condition that makes Session Manager check the caller's permission on the session document
 * even when `start-session` names none; otherwise it silently uses SSM-SessionManagerRunShell, an
 * interactive shell, without any permission on that document. Exactly the element the AWS
 * Systems Manager User Guide gives ("Enforce a session document permission check for the AWS
 * CLI").
 */
export const SESSION_DOCUMENT_ACCESS_CHECK = {
  BoolIfExists: { "ssm:SessionDocumentAccessCheck": "true" },
} as const;

/**
 * Longest session of the plan role, in seconds: IAM's default and minimum (CreateRole,
 * MaxSessionDuration 3600-43200). A plan of both stacks takes minutes.
 */
export const PLAN_ROLE_MAX_SESSION_SECONDS = 3600;

/**
 * Longest session of the apply role, in seconds. The AWS provider's default update timeout of
 * aws_db_instance is 80 minutes (registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/
 * resources/db_instance#timeouts) and credentials taken from the environment are not refreshed
 * mid-apply, so the session must outlast that wait plus the rest of the apply: two hours.
 */
export const APPLY_ROLE_MAX_SESSION_SECONDS = 7200;

/** What the CI roles need to know about the environment they serve. */
export interface CiEnvironment {
  /** AWS account id. */
  readonly accountId: string;
  /** Region of the environment's resources (the database, the bastion, the secrets). */
  readonly region: string;
  /** Resource name prefix `<project>-<env>` (secrets, key alias and bastion carry it). */
  readonly resourcePrefix: string;
  /** GitHub repository `owner/name` whose workflows may assume the role. */
  readonly repository: string;
}

/**
 * The branch whose workflows are trusted with the database: pushes to it are reviewed pull
 * requests (branch protection, README "Set-up"), and scheduled workflows run from it.
 */
export const PROTECTED_BRANCH = "main";

/**
 * Which plan role: `platform` is the role of pull requests and unprotected branches (plans the
 * platform stacks only, reads no secret, opens no session, writes nothing); `tenants` is the role
 * of main and the protected GitHub environment (plans both stacks with locking, reads the
 * database secrets, starts the bastion and opens the tunnel; the nightly audit uses it too).
 */
export type PlanRoleScope = "platform" | "tenants";

/** Properties of {@link TerraformPlanRole}. */
export interface TerraformPlanRoleProps {
  /** Role name, e.g. `pgforks-dev-terraform-plan`. Required. */
  readonly roleName: string;
  /** Which of the two plan roles. Required. */
  readonly scope: PlanRoleScope;
  /** The environment served. Required. */
  readonly environment: CiEnvironment;
  /** The account's GitHub OIDC provider (the trusted identity provider). Required. */
  readonly oidc: GithubOidcProvider;
  /** The state bucket. Required. */
  readonly stateBucket: StateBucket;
  /** The state key. Required. */
  readonly stateKey: StateKey;
  /** Key prefix of the environment's state objects (`stateBackend.keyPrefix`). Required. */
  readonly stateKeyPrefix: string;
  /** The environment's platform stack (`<env>-platform`): the only state the platform role reads. Required. */
  readonly platformStack: string;
  /** GitHub environment trusted with the tenants role (as the apply role). Required. */
  readonly githubEnvironment: string;
  /** Role session name the workflows use; scopes which SSM sessions the role may end. Required. */
  readonly sessionName: string;
}

/** Token subjects a plan role trusts: see {@link PlanRoleScope}. */
export function planRoleSubjects(
  scope: PlanRoleScope,
  repository: string,
  githubEnvironment: string,
): string[] {
  return scope === "platform"
    ? [githubSubjects.pullRequest(repository), githubSubjects.anyRef(repository)]
    : [
        githubSubjects.branch(repository, PROTECTED_BRANCH),
        githubSubjects.environment(repository, githubEnvironment),
      ];
}

/**
 * A role CI assumes to run `terraform plan` against the real backend: AWS managed ReadOnlyAccess
 * minus the bootstrap state, RDS log events and log files, and Performance Insights SQL text,
 * plus exactly what its plans need ({@link platformPlanRolePolicy}, {@link tenantsPlanRolePolicy}).
 * Trusted per {@link planRoleSubjects}.
 */
export class TerraformPlanRole extends Construct {
  /** The `aws_iam_role`. */
  readonly role: IamRole;
  /** The role ARN (the workflows' `role-to-assume`). */
  readonly arn: string;

  constructor(scope: Construct, id: string, props: TerraformPlanRoleProps) {
    super(scope, id);
    const { repository } = props.environment;
    const inputs: PlanRolePolicyInputs = {
      ...props.environment,
      stateBucketArn: props.stateBucket.arn,
      stateKeyArn: props.stateKey.arn,
      stateKeyPrefix: props.stateKeyPrefix,
      platformStack: props.platformStack,
      sessionName: props.sessionName,
    };
    const platform = props.scope === "platform";
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: platform
        ? `terraform plan of the platform stack from pull requests and branches (${repository}): read-only, no secrets, no sessions, no writes`
        : `terraform plan of both stacks from ${PROTECTED_BRANCH} and environment ${props.githubEnvironment} (${repository}): read-only, lock files, database secrets, bastion tunnel`,
      assumeRolePolicy: JSON.stringify(
        props.oidc.trustPolicy(planRoleSubjects(props.scope, repository, props.githubEnvironment)),
      ),
      maxSessionDuration: PLAN_ROLE_MAX_SESSION_SECONDS,
      tags: { Name: props.roleName },
    });
    new IamRolePolicyAttachment(this, "read-only", {
      role: this.role.name,
      policyArn: awsManagedPolicyArn(props.environment.region, READ_ONLY_ACCESS_POLICY),
    });
    new IamRolePolicy(this, "plan", {
      name: "terraform-plan",
      role: this.role.id,
      policy: JSON.stringify(
        platform ? platformPlanRolePolicy(inputs) : tenantsPlanRolePolicy(inputs),
      ),
    });
    this.arn = this.role.arn;
  }
}

/** Inputs of {@link platformPlanRolePolicy} and {@link tenantsPlanRolePolicy}. */
export interface PlanRolePolicyInputs extends CiEnvironment {
  readonly stateBucketArn: string;
  readonly stateKeyArn: string;
  readonly stateKeyPrefix: string;
  readonly platformStack: string;
  readonly sessionName: string;
}

/**
 * What ReadOnlyAccess grants but no plan role may see, denied explicitly: the bootstrap stacks'
 * state (`s3:GetObject*` under `bootstrap/`), and every place the database's `ALTER ROLE ...
 * PASSWORD` statements can be read back from: log events of the RDS log groups
 * ({@link LOG_CONTENT_READ_ACTIONS} on {@link RDS_LOG_GROUP_PREFIX}), the instances' own log files
 * ({@link DB_LOG_FILE_READ_ACTIONS} on every `db`) and Performance Insights' SQL text
 * ({@link PERFORMANCE_INSIGHTS_SQL_READ_ACTIONS} on every `metrics/rds/*`). All three cover the
 * whole account in every region: another environment's instance in the same account needs the
 * same protection, and PI names an instance by its DbiResourceId, unknown when the role is created.
 */
function neverReadStatements(inputs: PlanRolePolicyInputs): PolicyStatement[] {
  const partition = partitionOf(inputs.region).name;
  const { accountId } = inputs;
  const rdsLogGroups = `arn:${partition}:logs:*:${accountId}:log-group:${RDS_LOG_GROUP_PREFIX}*`;
  return [
    {
      Sid: "NeverReadBootstrapState",
      Effect: "Deny",
      Action: "s3:GetObject*",
      Resource: `${inputs.stateBucketArn}/${BOOTSTRAP_STATE_PREFIX}/*`,
    },
    {
      Sid: "NeverReadDatabaseLogs",
      Effect: "Deny",
      Action: [...LOG_CONTENT_READ_ACTIONS],
      Resource: [rdsLogGroups, `${rdsLogGroups}:log-stream:*`],
    },
    {
      Sid: "NeverDownloadDatabaseLogFiles",
      Effect: "Deny",
      Action: [...DB_LOG_FILE_READ_ACTIONS],
      Resource: `arn:${partition}:rds:*:${accountId}:db:*`,
    },
    {
      Sid: "NeverReadPerformanceInsightsSql",
      Effect: "Deny",
      Action: [...PERFORMANCE_INSIGHTS_SQL_READ_ACTIONS],
      Resource: `arn:${partition}:pi:*:${accountId}:metrics/rds/*`,
    },
  ];
}

/**
 * Denies {@link OBJECT_READ_ACTIONS} on every object of every bucket except `readable` (the
 * role's own state objects). Terraform's S3 backend reads nothing else, and the stacks manage no
 * S3 object, so the plans need no other object. An explicit deny, because ReadOnlyAccess's
 * `s3:Get*` on "*" makes any narrower Allow meaningless.
 */
function neverReadOtherObjects(readable: readonly string[]): PolicyStatement {
  return {
    Sid: "NeverReadOtherObjects",
    Effect: "Deny",
    Action: [...OBJECT_READ_ACTIONS],
    NotResource: [...readable],
  };
}

function stateKeyPrefix(inputs: PlanRolePolicyInputs): string {
  return inputs.stateKeyPrefix.replace(/\/+$/, "");
}

/**
 * Actions that reach the database or change anything, denied to the platform role whatever any
 * other policy grants: reading any secret value, opening any Session Manager or EC2 Instance
 * Connect session (a shell or a tunnel), running commands, starting or stopping instances.
 */
export const PLATFORM_ROLE_DENIED_ACTIONS = [
  "secretsmanager:GetSecretValue",
  "secretsmanager:BatchGetSecretValue",
  "ssm:StartSession",
  "ssm:ResumeSession",
  "ssm:SendCommand",
  "ssm:StartAutomationExecution",
  "ec2-instance-connect:*",
  "ec2:StartInstances",
  "ec2:StopInstances",
] as const;

/**
 * The inline policy of the platform plan role (pull requests, unprotected branches), on top of
 * ReadOnlyAccess:
 * - read the platform stack's state only (`<keyPrefix>/<env>-platform.tfstate`), decrypting it
 *   with the state key; every other S3 object of the account is denied
 *   ({@link neverReadOtherObjects}: the tenants state, other stacks, archived dumps); the workflows plan with `-lock=false`, so the role writes nothing: every
 *   object write is denied, lock files included (a branch could otherwise hold main's lock);
 * - {@link PLATFORM_ROLE_DENIED_ACTIONS} denied on everything: no secret value, no session, no
 *   instance started;
 * - {@link neverReadStatements}.
 */
export function platformPlanRolePolicy(inputs: PlanRolePolicyInputs): PolicyDocument {
  const prefix = stateKeyPrefix(inputs);
  const platformState = `${inputs.stateBucketArn}/${prefix}/${inputs.platformStack}.tfstate`;
  return policyDocument([
    {
      Sid: "ListStateBucket",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: inputs.stateBucketArn,
    },
    {
      Sid: "ReadPlatformStateOnly",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: platformState,
    },
    {
      Sid: "DecryptStateOnly",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: inputs.stateKeyArn,
    },
    {
      Sid: "NeverWriteObjects",
      Effect: "Deny",
      Action: ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
      Resource: "*",
    },
    // ReadPlatformStateOnly is narrow, but ReadOnlyAccess's s3:Get* is not: without this deny a
    // pull request reads the tenants state and every other object of the account.
    neverReadOtherObjects([platformState]),
    {
      Sid: "NeverReachTheDatabase",
      Effect: "Deny",
      Action: [...PLATFORM_ROLE_DENIED_ACTIONS],
      Resource: "*",
    },
    ...neverReadStatements(inputs),
  ]);
}

/**
 * The inline policy of the tenants plan role (main and the protected environment), on top of
 * ReadOnlyAccess:
 * - state: list the bucket, read the environment's state objects and no other S3 object
 *   ({@link neverReadOtherObjects}; the tenants stack also reads
 *   the platform's outputs through terraform_remote_state), decrypt with the state key;
 * - locking: create and delete only `*.tflock` objects (Terraform S3 backend docs, use_lockfile:
 *   s3:GetObject, s3:PutObject, s3:DeleteObject on `<key>.tflock`), encrypting them with the
 *   state key (kms:GenerateDataKey), and an explicit deny of every other object write, so no later
 *   grant can let a plan overwrite state;
 * - tenants plan: read the RDS-managed master secret (`rds!db-*`), which the postgresql provider
 *   gets through an ephemeral resource, and the tenants' secrets, because refreshing
 *   aws_secretsmanager_secret_version calls GetSecretValue even for write-only values
 *   (hashicorp/aws 5.100.0 secret_version.go, resourceSecretVersionRead); decrypt them with the
 *   platform key only through Secrets Manager; generate passwords (the
 *   aws_secretsmanager_random_password ephemeral resource; GetRandomPassword has no resource type);
 * - bastion: start and stop only the environment's bastion (matched by its Name tag): it is
 *   stopped between jobs (network.bastionSchedule on-demand);
 * - tunnel: start a port-forwarding session only on the environment's bastion (matched by its
 *   Name tag, since its instance id is not known when this role is created) with only the
 *   AWS-StartPortForwardingSessionToRemoteHost document, enforced by
 *   {@link SESSION_DOCUMENT_ACCESS_CHECK} (without it, a start-session naming no document opens a
 *   shell on the bastion), and end its own sessions;
 * - {@link neverReadStatements}.
 */
export function tenantsPlanRolePolicy(inputs: PlanRolePolicyInputs): PolicyDocument {
  const partition = partitionOf(inputs.region).name;
  const { accountId, region, resourcePrefix } = inputs;
  const prefix = stateKeyPrefix(inputs);
  const stateObjects = `${inputs.stateBucketArn}/${prefix}/*`;
  const lockFiles = `${inputs.stateBucketArn}/${prefix}/*${LOCK_FILE_SUFFIX}`;
  const secret = (name: string) =>
    `arn:${partition}:secretsmanager:${region}:${accountId}:secret:${name}`;
  const instances = `arn:${partition}:ec2:${region}:${accountId}:instance/*`;
  const bastionName = `${resourcePrefix}-bastion`;
  const statements: PolicyStatement[] = [
    {
      Sid: "ListStateBucket",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: inputs.stateBucketArn,
    },
    { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: stateObjects },
    neverReadOtherObjects([stateObjects]),
    {
      Sid: "WriteLockFilesOnly",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:DeleteObject"],
      Resource: lockFiles,
    },
    {
      Sid: "NeverWriteState",
      Effect: "Deny",
      Action: ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
      NotResource: lockFiles,
    },
    ...neverReadStatements(inputs),
    {
      Sid: "UseStateKey",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: inputs.stateKeyArn,
    },
    {
      Sid: "ReadDatabaseSecretsForTenantsPlan",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: [secret("rds!db-*"), secret(`${resourcePrefix}/tenants/*`)],
    },
    {
      Sid: "DecryptDatabaseSecretsThroughSecretsManager",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: `arn:${partition}:kms:${region}:${accountId}:key/*`,
      Condition: {
        StringEquals: {
          "kms:ViaService": `secretsmanager.${region}.${partitionOf(region).dnsSuffix}`,
        },
        "ForAnyValue:StringEquals": { "kms:ResourceAliases": `alias/${resourcePrefix}` },
      },
    },
    {
      Sid: "GeneratePasswordsForTenantsPlan",
      Effect: "Allow",
      Action: "secretsmanager:GetRandomPassword",
      Resource: "*",
    },
    {
      Sid: "StartAndStopBastionOnly",
      Effect: "Allow",
      Action: ["ec2:StartInstances", "ec2:StopInstances"],
      Resource: instances,
      Condition: { StringEquals: { "aws:ResourceTag/Name": bastionName } },
    },
    {
      Sid: "TunnelThroughBastionOnly",
      Effect: "Allow",
      Action: "ssm:StartSession",
      Resource: instances,
      Condition: {
        StringEquals: { "ssm:resourceTag/Name": bastionName },
        ...SESSION_DOCUMENT_ACCESS_CHECK,
      },
    },
    {
      Sid: "TunnelWithPortForwardingDocumentOnly",
      Effect: "Allow",
      Action: "ssm:StartSession",
      Resource: `arn:${partition}:ssm:${region}::document/${PORT_FORWARDING_DOCUMENT}`,
    },
    {
      Sid: "EndOwnTunnelSessions",
      Effect: "Allow",
      Action: ["ssm:TerminateSession", "ssm:ResumeSession"],
      Resource: `arn:${partition}:ssm:${region}:${accountId}:session/${inputs.sessionName}-*`,
    },
  ];
  return policyDocument(statements);
}

/**
 * Services the apply role may use at all (its permissions boundary), each with what the stacks
 * manage through it. Adding a service to the stacks means adding it here and re-running the
 * bootstrap with an administrator's credentials, on purpose. STS is absent: the AWS provider and
 * the S3 backend only call sts:GetCallerIdentity, which needs no permission (STS API Reference),
 * and without sts:AssumeRole the role cannot hop into another role it might create.
 */
export const APPLY_BOUNDARY_SERVICES = {
  ec2: "VPC, subnets, route tables, security groups, VPC endpoints, flow logs, the bastion and its launch template",
  rds: "the instance, its parameter and subnet groups, read replicas, RDS Proxy, event subscription",
  kms: "the platform key (RDS and Secrets Manager use it with the caller's permissions)",
  secretsmanager: "tenant secrets and their values, the RDS-managed master secret",
  logs: "flow-log and RDS log groups",
  cloudwatch: "alarms and the dashboard",
  sns: "the alarm topic and its subscriptions",
  iam: "service roles (flow logs, enhanced monitoring, proxy, bastion), instance profile, service-linked roles",
  ssm: "the tunnel to the bastion for the tenants stack, the AMI parameter the launch template resolves",
  s3: "state objects and lock files",
} as const;

/** Mutating IAM actions denied on the CI identities themselves (the role cannot widen its own rights). */
export const CI_IDENTITY_MUTATIONS = [
  "iam:UpdateAssumeRolePolicy",
  "iam:AttachRolePolicy",
  "iam:DetachRolePolicy",
  "iam:PutRolePolicy",
  "iam:DeleteRolePolicy",
  "iam:PutRolePermissionsBoundary",
  "iam:DeleteRolePermissionsBoundary",
  "iam:UpdateRole",
  "iam:DeleteRole",
  "iam:CreatePolicyVersion",
  "iam:DeletePolicyVersion",
  "iam:SetDefaultPolicyVersion",
  "iam:DeletePolicy",
  "iam:DeleteOpenIDConnectProvider",
  "iam:UpdateOpenIDConnectProviderThumbprint",
  "iam:AddClientIDToOpenIDConnectProvider",
  "iam:RemoveClientIDFromOpenIDConnectProvider",
] as const;

/**
 * IAM actions that create a role or widen what it may do, each supporting the
 * `iam:PermissionsBoundary` condition key (Service Authorization Reference, "Actions, resources,
 * and condition keys for AWS Identity and Access Management"; IAM User Guide, "Permissions
 * boundaries for IAM entities", example "delegate permission to create roles only with a
 * boundary"). The apply boundary denies them unless the role carries the workload boundary.
 */
export const BOUNDED_ROLE_ACTIONS = [
  "iam:CreateRole",
  "iam:PutRolePermissionsBoundary",
  "iam:AttachRolePolicy",
  "iam:PutRolePolicy",
] as const;

/**
 * IAM actions that hand a role to someone else, neither of which supports the
 * `iam:PermissionsBoundary` condition key (the Service Authorization Reference lists that key for
 * the role-creating and policy-changing actions only): `iam:UpdateAssumeRolePolicy` rewrites who
 * may assume a role, `iam:PassRole` gives a role to a service (an EC2 instance profile, RDS
 * monitoring, flow logs, RDS Proxy). Without a limit, the apply role could make any existing
 * role of the account, e.g. an administrator role such as OrganizationAccountAccessRole,
 * assumable by a GitHub workflow of any repository through the account's OIDC provider, or pass
 * it to an instance it launches, and so escape its own boundary. The apply boundary allows both
 * only on the stacks' own roles, all named `<project>-<env>-*` ({@link stackRolesArn}).
 */
export const ROLE_HANDOVER_ACTIONS = ["iam:UpdateAssumeRolePolicy", "iam:PassRole"] as const;

/**
 * Systems Manager actions that run commands on instances (Run Command, Automation, State Manager
 * associations, Maintenance Windows tasks, Change Manager): the stacks use none of them, and each
 * would let the apply role act as any SSM-managed instance's role in the account, outside its
 * boundary. Denied by the apply boundary; the platform plan role denies two of them too
 * ({@link PLATFORM_ROLE_DENIED_ACTIONS}). For the same reason the boundary allows
 * `ssm:StartSession` (a shell as the instance's role) and `ec2:ModifyInstanceAttribute` (new user
 * data runs as its role at the next start) only on the environment's bastion, matched by its Name
 * tag as in the tenants plan role's tunnel statements.
 */
export const SSM_COMMAND_ACTIONS = [
  "ssm:SendCommand",
  "ssm:StartAutomationExecution",
  "ssm:StartChangeRequestExecution",
  "ssm:CreateAssociation",
  "ssm:CreateAssociationBatch",
  "ssm:UpdateAssociation",
  "ssm:RegisterTaskWithMaintenanceWindow",
  "ssm:UpdateMaintenanceWindowTask",
] as const;

/**
 * ARN pattern of the roles the platform stacks create: every one is named after the resource
 * prefix (`pgforks-dev-bastion`, `-rds-monitoring`, `-vpc-flow-logs`, `-rds-proxy`). The CI
 * roles match it too; {@link CI_IDENTITY_MUTATIONS} keeps their trust unchangeable, and their
 * trust admits no service to pass them to.
 */
export function stackRolesArn(environment: CiEnvironment): string {
  const partition = partitionOf(environment.region).name;
  return `arn:${partition}:iam::${environment.accountId}:role/${environment.resourcePrefix}-*`;
}

/**
 * What the platform's service roles may ever do, whatever policies they get: the actions of the
 * roles the stacks create (VPC flow-log delivery and RDS enhanced monitoring write CloudWatch
 * Logs, RDS Proxy reads the tenant secrets and decrypts them, the bastion's
 * AmazonSSMManagedInstanceCore registers with SSM). No IAM, no STS, no EC2 or RDS changes.
 */
export const WORKLOAD_BOUNDARY_ACTIONS = [
  "logs:CreateLogGroup",
  "logs:CreateLogStream",
  "logs:PutLogEvents",
  "logs:PutRetentionPolicy",
  "logs:DescribeLogGroups",
  "logs:DescribeLogStreams",
  "logs:GetLogEvents",
  "secretsmanager:GetSecretValue",
  "kms:Decrypt",
  "ssm:DescribeAssociation",
  "ssm:GetDeployablePatchSnapshotForInstance",
  "ssm:GetDocument",
  "ssm:DescribeDocument",
  "ssm:GetManifest",
  "ssm:GetParameter",
  "ssm:GetParameters",
  "ssm:ListAssociations",
  "ssm:ListInstanceAssociations",
  "ssm:PutInventory",
  "ssm:PutComplianceItems",
  "ssm:PutConfigurePackageResult",
  "ssm:UpdateAssociationStatus",
  "ssm:UpdateInstanceAssociationStatus",
  "ssm:UpdateInstanceInformation",
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
  "ec2messages:AcknowledgeMessage",
  "ec2messages:DeleteMessage",
  "ec2messages:FailMessage",
  "ec2messages:GetEndpoint",
  "ec2messages:GetMessages",
  "ec2messages:SendReply",
] as const;

/** Properties of {@link WorkloadBoundary}. */
export interface WorkloadBoundaryProps {
  /** Policy name: `workloadBoundaryName(environment)` from @pgforks/config. Required. */
  readonly name: string;
}

/**
 * The permissions boundary of every role the platform stacks create ({@link WORKLOAD_BOUNDARY_ACTIONS}).
 * Its name is derived from config (`<prefix>-workload-boundary`), so PlatformStack sets it without
 * reading this stack.
 */
export class WorkloadBoundary extends Construct {
  readonly policy: IamPolicy;

  constructor(scope: Construct, id: string, props: WorkloadBoundaryProps) {
    super(scope, id);
    this.policy = new IamPolicy(this, "policy", {
      name: props.name,
      description:
        "Permissions boundary of the platform's service roles (flow logs, monitoring, proxy, bastion)",
      policy: JSON.stringify(
        policyDocument([
          {
            Sid: "WhatServiceRolesMayDo",
            Effect: "Allow",
            Action: [...WORKLOAD_BOUNDARY_ACTIONS],
            Resource: "*",
          },
        ]),
      ),
      tags: { Name: props.name },
    });
  }
}

/** Properties of {@link TerraformApplyRole}. */
export interface TerraformApplyRoleProps {
  /** Role name, e.g. `pgforks-prod-terraform-apply`. Required. */
  readonly roleName: string;
  /** Name of the permissions boundary policy. Required. */
  readonly boundaryName: string;
  /** The environment served. Required. */
  readonly environment: CiEnvironment;
  /** GitHub environment whose jobs may assume the role (required reviewers live there). Required. */
  readonly githubEnvironment: string;
  /** The account's GitHub OIDC provider. Required. */
  readonly oidc: GithubOidcProvider;
  /** The state bucket (its configuration and history are protected from the role). Required. */
  readonly stateBucket: StateBucket;
  /** The state key (protected from deletion, disabling and policy changes). Required. */
  readonly stateKey: StateKey;
  /** ARNs of the plan roles (protected from the apply role). Required. */
  readonly planRoleArns: readonly string[];
  /**
   * ARN of the workload boundary ({@link WorkloadBoundary}): every role the apply role creates or
   * changes must carry it, and the policy itself is protected. Required.
   */
  readonly workloadBoundaryArn: string;
}

/**
 * The role the apply jobs on main assume. Trusted only for jobs of the repository's GitHub
 * environment (`repo:<owner>/<repo>:environment:<name>`): restrict that environment's deployment
 * branches to main and put required reviewers on it (README).
 *
 * Grant: AWS managed AdministratorAccess, the honest minimum for stacks that create IAM roles,
 * KMS keys and networks. Cap: a permissions boundary ({@link applyBoundaryPolicy}) that allows only
 * the services the stacks manage and denies changing the state bucket's protections, deleting
 * state history, disabling or deleting the state key, changing the CI identities, creating
 * long-lived credentials or new identity providers, and creating or widening any role that does
 * not carry the workload boundary ({@link WorkloadBoundary}): the platform's service roles carry it
 * (PlatformStack sets it on every aws_iam_role), so a role the apply role creates can never hold
 * more than the workload boundary allows, and no boundary can be removed; and rewriting a role's
 * trust or passing a role to a service only for the stacks' own roles ({@link ROLE_HANDOVER_ACTIONS}).
 */
export class TerraformApplyRole extends Construct {
  /** The `aws_iam_role`. */
  readonly role: IamRole;
  /** The boundary `aws_iam_policy`. */
  readonly boundary: IamPolicy;
  /** The role ARN (the apply jobs' `role-to-assume`). */
  readonly arn: string;

  constructor(scope: Construct, id: string, props: TerraformApplyRoleProps) {
    super(scope, id);
    const { repository, accountId, region } = props.environment;
    const partition = partitionOf(region).name;
    const roleArn = `arn:${partition}:iam::${accountId}:role/${props.roleName}`;
    const boundaryArn = `arn:${partition}:iam::${accountId}:policy/${props.boundaryName}`;
    this.boundary = new IamPolicy(this, "boundary", {
      name: props.boundaryName,
      description: `Permissions boundary of ${props.roleName}: the stacks' services, state and CI identities protected`,
      policy: JSON.stringify(
        applyBoundaryPolicy({
          stateBucketArn: props.stateBucket.arn,
          stateKeyArn: props.stateKey.arn,
          stateKeyAliasArn: props.stateKey.aliasArn,
          workloadBoundaryArn: props.workloadBoundaryArn,
          stackRolesArn: stackRolesArn(props.environment),
          instancesArn: `arn:${partition}:ec2:*:${accountId}:instance/*`,
          bastionName: `${props.environment.resourcePrefix}-bastion`,
          protectedIdentityArns: [
            roleArn,
            ...props.planRoleArns,
            boundaryArn,
            props.workloadBoundaryArn,
            props.oidc.arn,
          ],
        }),
      ),
      tags: { Name: props.boundaryName },
    });
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: `terraform apply from GitHub Actions (${repository}, environment ${props.githubEnvironment})`,
      assumeRolePolicy: JSON.stringify(
        props.oidc.trustPolicy([githubSubjects.environment(repository, props.githubEnvironment)]),
      ),
      permissionsBoundary: this.boundary.arn,
      maxSessionDuration: APPLY_ROLE_MAX_SESSION_SECONDS,
      tags: { Name: props.roleName },
    });
    new IamRolePolicyAttachment(this, "administrator", {
      role: this.role.name,
      policyArn: awsManagedPolicyArn(region, ADMINISTRATOR_ACCESS_POLICY),
    });
    this.arn = this.role.arn;
  }
}

/** Inputs of {@link applyBoundaryPolicy}. */
export interface ApplyBoundaryInputs {
  readonly stateBucketArn: string;
  readonly stateKeyArn: string;
  readonly stateKeyAliasArn: string;
  /** The boundary every role the apply role creates or changes must carry. */
  readonly workloadBoundaryArn: string;
  /** ARN pattern of the stacks' own roles ({@link stackRolesArn}): the only roles it may hand over. */
  readonly stackRolesArn: string;
  /** ARN pattern of every EC2 instance of the account. */
  readonly instancesArn: string;
  /** Name tag of the environment's bastion (`<project>-<env>-bastion`). */
  readonly bastionName: string;
  /** ARNs of the roles, policies and OIDC provider the apply role must not change. */
  readonly protectedIdentityArns: readonly string[];
}

/** The apply role's permissions boundary (see {@link TerraformApplyRole}). */
export function applyBoundaryPolicy(inputs: ApplyBoundaryInputs): PolicyDocument {
  return policyDocument([
    {
      Sid: "ServicesTheStacksManage",
      Effect: "Allow",
      Action: Object.keys(APPLY_BOUNDARY_SERVICES).map((service) => `${service}:*`),
      Resource: "*",
    },
    {
      Sid: "KeepStateBucketProtections",
      Effect: "Deny",
      Action: [
        "s3:DeleteBucket",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:PutBucketVersioning",
        "s3:PutEncryptionConfiguration",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutBucketOwnershipControls",
        "s3:PutBucketAcl",
        "s3:PutLifecycleConfiguration",
      ],
      Resource: inputs.stateBucketArn,
    },
    {
      Sid: "KeepStateHistory",
      Effect: "Deny",
      Action: "s3:DeleteObjectVersion",
      Resource: `${inputs.stateBucketArn}/*`,
    },
    {
      Sid: "KeepBootstrapState",
      Effect: "Deny",
      Action: ["s3:PutObject", "s3:DeleteObject"],
      Resource: `${inputs.stateBucketArn}/${BOOTSTRAP_STATE_PREFIX}/*`,
    },
    {
      Sid: "KeepStateKey",
      Effect: "Deny",
      Action: [
        "kms:ScheduleKeyDeletion",
        "kms:DisableKey",
        "kms:DisableKeyRotation",
        "kms:PutKeyPolicy",
        "kms:DeleteAlias",
        "kms:UpdateAlias",
      ],
      Resource: [inputs.stateKeyArn, inputs.stateKeyAliasArn],
    },
    {
      Sid: "KeepCiIdentities",
      Effect: "Deny",
      Action: [...CI_IDENTITY_MUTATIONS],
      Resource: [...inputs.protectedIdentityArns],
    },
    {
      Sid: "CreateOrChangeRolesOnlyWithWorkloadBoundary",
      Effect: "Deny",
      Action: [...BOUNDED_ROLE_ACTIONS],
      Resource: "*",
      Condition: { StringNotEquals: { "iam:PermissionsBoundary": inputs.workloadBoundaryArn } },
    },
    {
      Sid: "HandOverOnlyTheStacksRoles",
      Effect: "Deny",
      Action: [...ROLE_HANDOVER_ACTIONS],
      NotResource: inputs.stackRolesArn,
    },
    {
      Sid: "RunNoCommandsOnInstances",
      Effect: "Deny",
      Action: [...SSM_COMMAND_ACTIONS],
      Resource: "*",
    },
    // StringNotEquals holds when the tag is missing: an untagged instance is denied too.
    {
      Sid: "SessionsOnTheBastionOnly",
      Effect: "Deny",
      Action: "ssm:StartSession",
      Resource: inputs.instancesArn,
      Condition: { StringNotEquals: { "ssm:resourceTag/Name": inputs.bastionName } },
    },
    {
      Sid: "InstanceAttributesOfTheBastionOnly",
      Effect: "Deny",
      Action: "ec2:ModifyInstanceAttribute",
      Resource: inputs.instancesArn,
      Condition: { StringNotEquals: { "ec2:ResourceTag/Name": inputs.bastionName } },
    },
    {
      Sid: "NeverRemoveBoundaries",
      Effect: "Deny",
      Action: ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"],
      Resource: "*",
    },
    {
      Sid: "NoLongLivedCredentialsOrNewIdentityProviders",
      Effect: "Deny",
      Action: [
        "iam:CreateUser",
        "iam:CreateAccessKey",
        "iam:CreateLoginProfile",
        "iam:UpdateLoginProfile",
        "iam:CreateOpenIDConnectProvider",
        "iam:CreateSAMLProvider",
      ],
      Resource: "*",
    },
  ]);
}
