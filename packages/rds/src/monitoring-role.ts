import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IAM_ROLE_NAME_MAX_LENGTH } from "@pgforks/config";
import { Construct } from "constructs";

/** Service principal of RDS Enhanced Monitoring (RDS User Guide, "Setting up and enabling Enhanced Monitoring"). */
export const MONITORING_SERVICE_PRINCIPAL = "monitoring.rds.amazonaws.com";

/** AWS managed policy Enhanced Monitoring needs (same page as above). */
export const MONITORING_POLICY_NAME = "service-role/AmazonRDSEnhancedMonitoringRole";

/** Longest IAM role name: @pgforks/config's, which environment.yaml's validation also uses. */
export { IAM_ROLE_NAME_MAX_LENGTH };

/** Properties of {@link EnhancedMonitoringRole}. */
export interface EnhancedMonitoringRoleProps {
  /** Name prefix; the role is `<name>-rds-monitoring` (unique per environment). Required. */
  readonly name: string;
  /** ARN partition of the managed policy. Default "aws". */
  readonly partition?: string;
  /** Account id of the instances; the trust policy's `aws:SourceAccount`. Required. */
  readonly account: string;
  /**
   * ARNs of the DB instances that use the role (`arn:<partition>:rds:<region>:<account>:db:<identifier>`,
   * the primary and its replicas); the trust policy's `aws:SourceArn`. Required, at least one.
   */
  readonly sourceArns: readonly string[];
}

/**
 * Trust policy of the Enhanced Monitoring role: RDS's monitoring service, and only on behalf of
 * these instances of this account. RDS User Guide, "Setting up and enabling Enhanced
 * Monitoring", "Protecting against the confused deputy problem": use `aws:SourceArn` with the
 * full ARN of the DB instance and `aws:SourceAccount` in the role's trust policy.
 */
export function monitoringTrustPolicy(account: string, sourceArns: readonly string[]) {
  if (sourceArns.length === 0) {
    throw new Error("EnhancedMonitoringRole: sourceArns must name at least one DB instance");
  }
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: MONITORING_SERVICE_PRINCIPAL },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": account },
          StringLike: { "aws:SourceArn": [...sourceArns] },
        },
      },
    ],
  };
}

/** The IAM role RDS assumes to publish Enhanced Monitoring (OS) metrics to CloudWatch Logs. */
export class EnhancedMonitoringRole extends Construct {
  /** The `aws_iam_role`. */
  readonly role: IamRole;
  /** Attachment of the managed policy; instances depend on it so RDS never sees a role without permissions. */
  readonly policyAttachment: IamRolePolicyAttachment;
  /** ARN of the role (`monitoring_role_arn`). */
  readonly arn: string;

  constructor(scope: Construct, id: string, props: EnhancedMonitoringRoleProps) {
    super(scope, id);
    const roleName = `${props.name}-rds-monitoring`;
    if (roleName.length > IAM_ROLE_NAME_MAX_LENGTH) {
      throw new Error(
        `IAM role name "${roleName}" is longer than ${IAM_ROLE_NAME_MAX_LENGTH} characters; shorten the project or environment name`,
      );
    }
    const trustPolicy = monitoringTrustPolicy(props.account, props.sourceArns);
    this.role = new IamRole(this, "role", {
      name: roleName,
      description: "RDS Enhanced Monitoring publishes OS metrics with this role",
      assumeRolePolicy: JSON.stringify(trustPolicy),
    });
    this.policyAttachment = new IamRolePolicyAttachment(this, "policy", {
      role: this.role.name,
      policyArn: `arn:${props.partition ?? "aws"}:iam::aws:policy/${MONITORING_POLICY_NAME}`,
    });
    this.arn = this.role.arn;
  }
}
