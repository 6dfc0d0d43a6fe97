import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { partitionOf } from "@pgforks/config";
import { Fn } from "cdktf";
import { Construct } from "constructs";

/**
 * Default retention of the flow-log group: 365 days (Security Hub CloudWatch.16 asks for at
 * least a year; same default as the config's network.flowLogRetentionDays).
 */
export const DEFAULT_FLOW_LOG_RETENTION_DAYS = 365;

/** Properties of {@link VpcFlowLog}. */
export interface VpcFlowLogProps {
  /** Name prefix, e.g. "pgforks-prod". Required. */
  readonly name: string;
  /** VPC whose traffic is logged. Required. */
  readonly vpcId: string;
  /** KMS key ARN encrypting the log group. Required. */
  readonly kmsKeyArn: string;
  /** Region, for ARNs. Required. */
  readonly region: string;
  /** Log retention in days (a CloudWatch Logs retention value). Default 365. */
  readonly retentionDays?: number;
}

/**
 * VPC flow log of ALL traffic (accepted and rejected) to an encrypted, retention-limited
 * CloudWatch log group, delivered by an IAM role that can write to that group only.
 * Role permissions and trust conditions: VPC User Guide, "IAM role for publishing flow logs to
 * CloudWatch Logs".
 */
export class VpcFlowLog extends Construct {
  /** The log group receiving the flow-log records. */
  readonly logGroup: CloudwatchLogGroup;
  /** The role `vpc-flow-logs.amazonaws.com` assumes to deliver records. */
  readonly role: IamRole;
  /** The `aws_flow_log`. */
  readonly flowLog: FlowLog;

  constructor(scope: Construct, id: string, props: VpcFlowLogProps) {
    super(scope, id);
    const partition = partitionOf(props.region).name;

    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: `/vpc/${props.name}/flow-logs`,
      kmsKeyId: props.kmsKeyArn,
      retentionInDays: props.retentionDays ?? DEFAULT_FLOW_LOG_RETENTION_DAYS,
      tags: { Name: `${props.name}-flow-logs` },
    });
    // The account owning the log group (field 4 of its ARN), so the trust policy needs no
    // account id prop and no aws_caller_identity lookup.
    const accountId = Fn.element(Fn.split(":", this.logGroup.arn), 4);

    this.role = new IamRole(this, "role", {
      name: `${props.name}-vpc-flow-logs`,
      description: `Delivers the VPC flow log of ${props.name} to its log group`,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "vpc-flow-logs.amazonaws.com" },
            Action: "sts:AssumeRole",
            // Confused-deputy protection: only flow logs of this account and region.
            Condition: {
              StringEquals: { "aws:SourceAccount": accountId },
              ArnLike: {
                "aws:SourceArn": `arn:${partition}:ec2:${props.region}:${accountId}:vpc-flow-log/*`,
              },
            },
          },
        ],
      }),
      tags: { Name: `${props.name}-vpc-flow-logs` },
    });

    const policy = new IamRolePolicy(this, "policy", {
      name: "deliver-to-flow-log-group",
      role: this.role.id,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "WriteThisLogGroup",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resource: [this.logGroup.arn, `${this.logGroup.arn}:*`],
          },
          {
            // A list call: authorized against the account's log-group namespace, not one group.
            Sid: "FindTheLogGroup",
            Effect: "Allow",
            Action: "logs:DescribeLogGroups",
            Resource: `arn:${partition}:logs:${props.region}:${accountId}:log-group:*`,
          },
        ],
      }),
    });

    this.flowLog = new FlowLog(this, "flow-log", {
      vpcId: props.vpcId,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: this.logGroup.arn,
      iamRoleArn: this.role.arn,
      tags: { Name: `${props.name}-flow-log` },
      // Without the permissions in place the first deliveries fail.
      dependsOn: [policy],
    });
  }
}
