import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { Construct } from "constructs";
import { POSTGRES_LOG_EXPORTS, rdsLogGroupName } from "./engine";

/** Properties of {@link InstanceLogGroups}. */
export interface InstanceLogGroupsProps {
  /** DB instance identifier whose exported logs the groups receive. Required. */
  readonly identifier: string;
  /** KMS key ARN encrypting the log data. Required. */
  readonly kmsKeyArn: string;
  /** Retention in days (a CloudWatch Logs retention value). Required. */
  readonly retentionInDays: number;
}

/**
 * The CloudWatch log groups of one instance's exported logs, created before the instance:
 * otherwise RDS creates them itself, unencrypted and never expiring, and Terraform then fails
 * with ResourceAlreadyExistsException.
 */
export class InstanceLogGroups extends Construct {
  /** One group per {@link POSTGRES_LOG_EXPORTS} entry, in that order. */
  readonly groups: CloudwatchLogGroup[];

  constructor(scope: Construct, id: string, props: InstanceLogGroupsProps) {
    super(scope, id);
    this.groups = POSTGRES_LOG_EXPORTS.map(
      (log) =>
        new CloudwatchLogGroup(this, log, {
          name: rdsLogGroupName(props.identifier, log),
          kmsKeyId: props.kmsKeyArn,
          retentionInDays: props.retentionInDays,
        }),
    );
  }
}
