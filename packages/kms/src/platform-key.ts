import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { partitionOf } from "@pgforks/config";
import { Construct } from "constructs";

/**
 * Bounds of a KMS key's deletion waiting period, in days.
 * Source: AWS KMS API Reference, ScheduleKeyDeletion, `PendingWindowInDays` (7-30).
 */
export const KMS_DELETION_WINDOW_DAYS = { min: 7, max: 30 } as const;

/** Properties of {@link PlatformKey}. */
export interface PlatformKeyProps {
  /** Name prefix, e.g. "pgforks-prod"; the alias is `alias/<name>`. Required. */
  readonly name: string;
  /** AWS account id (from config) whose IAM policies may use the key. Required. */
  readonly accountId: string;
  /** AWS region (from config); scopes the CloudWatch Logs and alarm grants. Required. */
  readonly region: string;
  /**
   * Days before a scheduled deletion completes, 7 to 30.
   * Default 30 (the maximum): deleting this key makes every snapshot, secret and log encrypted
   * with it unreadable, so the longest window gives the most time to cancel a mistake.
   */
  readonly deletionWindowInDays?: number;
}

/** One statement of a KMS key policy. */
interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Principal: { readonly AWS: string } | { readonly Service: string };
  readonly Action: string | readonly string[];
  readonly Resource: "*";
  readonly Condition?: Record<string, Record<string, string>>;
}

/** Actions CloudWatch Logs needs on a key encrypting log groups (CloudWatch Logs User Guide). */
export const CLOUDWATCH_LOGS_KEY_ACTIONS = [
  "kms:Encrypt*",
  "kms:Decrypt*",
  "kms:ReEncrypt*",
  "kms:GenerateDataKey*",
  "kms:Describe*",
] as const;

/** Actions an AWS service needs to publish to an SNS topic encrypted with the key (SNS Developer Guide). */
export const SNS_PUBLISHER_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey*"] as const;

/**
 * The customer-managed KMS key of an environment. It encrypts RDS storage and Performance
 * Insights, the CloudWatch log groups (VPC flow logs, RDS logs), the Secrets Manager secrets and
 * the SNS alarm topic.
 *
 * Key policy (JSON, one statement per consumer):
 * - the account root gets `kms:*`, which delegates to IAM: RDS, Performance Insights and Secrets
 *   Manager use the key through the caller's IAM permissions (KMS Developer Guide, "Default key
 *   policy", "Allows access to the AWS account and enables IAM policies");
 * - CloudWatch Logs (`logs.<region>.amazonaws.com`) may use it only for log groups of this
 *   account and region (CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using
 *   AWS KMS", step 2);
 * - CloudWatch alarms (`cloudwatch.amazonaws.com`) and RDS event subscriptions
 *   (`events.rds.amazonaws.com`) may encrypt messages they publish to the encrypted alarm topic
 *   (SNS Developer Guide, "Enable compatibility between event sources from AWS services and
 *   encrypted topics"), restricted to this account against the confused-deputy problem.
 *
 * Deletion: no `prevent_destroy` lifecycle (it would also block intentional teardown of dev
 * environments); the protection is the 30-day deletion window, during which a `terraform destroy`
 * or accidental removal can be undone with `aws kms cancel-key-deletion`.
 */
export class PlatformKey extends Construct {
  /** The `aws_kms_key`. */
  readonly key: KmsKey;
  /** The `aws_kms_alias` `alias/<name>`. */
  readonly alias: KmsAlias;
  /** ARN of the key: pass it as `kms_key_id` / `kms_key_arn` to RDS, log groups, secrets, SNS. */
  readonly arn: string;

  constructor(scope: Construct, id: string, props: PlatformKeyProps) {
    super(scope, id);
    const deletionWindowInDays = props.deletionWindowInDays ?? KMS_DELETION_WINDOW_DAYS.max;
    if (
      !Number.isInteger(deletionWindowInDays) ||
      deletionWindowInDays < KMS_DELETION_WINDOW_DAYS.min ||
      deletionWindowInDays > KMS_DELETION_WINDOW_DAYS.max
    ) {
      throw new Error(
        `PlatformKey ${props.name}: deletionWindowInDays must be an integer from ${KMS_DELETION_WINDOW_DAYS.min} to ${KMS_DELETION_WINDOW_DAYS.max}, got ${deletionWindowInDays}`,
      );
    }

    this.key = new KmsKey(this, "key", {
      description: `${props.name}: RDS storage and Performance Insights, log groups, secrets, alarm topic`,
      enableKeyRotation: true,
      deletionWindowInDays,
      policy: JSON.stringify(platformKeyPolicy(props)),
      tags: { Name: `${props.name}-key` },
    });
    this.alias = new KmsAlias(this, "alias", {
      name: `alias/${props.name}`,
      targetKeyId: this.key.keyId,
    });
    this.arn = this.key.arn;
  }
}

/** The key policy document of {@link PlatformKey} (exported for tests and reviews). */
export function platformKeyPolicy(props: Pick<PlatformKeyProps, "accountId" | "region">) {
  const { accountId, region } = props;
  const partition = partitionOf(region);
  const sameAccount = { StringEquals: { "aws:SourceAccount": accountId } };
  const statements: PolicyStatement[] = [
    {
      Sid: "AccountAdministersKeyThroughIam",
      Effect: "Allow",
      Principal: { AWS: `arn:${partition.name}:iam::${accountId}:root` },
      Action: "kms:*",
      Resource: "*",
    },
    {
      Sid: "CloudWatchLogsEncryptsThisAccountsLogGroups",
      Effect: "Allow",
      Principal: { Service: `logs.${region}.${partition.dnsSuffix}` },
      Action: CLOUDWATCH_LOGS_KEY_ACTIONS,
      Resource: "*",
      Condition: {
        ArnLike: {
          "kms:EncryptionContext:aws:logs:arn": `arn:${partition.name}:logs:${region}:${accountId}:log-group:*`,
        },
      },
    },
    {
      Sid: "CloudWatchAlarmsPublishToEncryptedTopic",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: SNS_PUBLISHER_KEY_ACTIONS,
      Resource: "*",
      Condition: {
        ...sameAccount,
        ArnLike: {
          "aws:SourceArn": `arn:${partition.name}:cloudwatch:${region}:${accountId}:alarm:*`,
        },
      },
    },
    {
      Sid: "RdsEventsPublishToEncryptedTopic",
      Effect: "Allow",
      Principal: { Service: "events.rds.amazonaws.com" },
      Action: SNS_PUBLISHER_KEY_ACTIONS,
      Resource: "*",
      Condition: sameAccount,
    },
  ];
  return { Version: "2012-10-17", Statement: statements };
}
