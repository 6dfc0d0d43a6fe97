import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { partitionOf } from "@pgforks/config";
import { KMS_DELETION_WINDOW_DAYS } from "@pgforks/kms";
import { Construct } from "constructs";
import { policyDocument } from "./iam-policy";

/** Properties of {@link StateKey}. */
export interface StateKeyProps {
  /** Alias name including the `alias/` prefix, e.g. `alias/pgforks-tfstate`. Required. */
  readonly alias: string;
  /** AWS account id (from config) whose IAM policies may use the key. Required. */
  readonly accountId: string;
  /** Region of the key (the state bucket's region: SSE-KMS needs a key in the bucket's region). Required. */
  readonly region: string;
}

/**
 * The customer-managed KMS key encrypting Terraform state (and its lock files) in the state
 * bucket. Rotation on, the longest deletion window, `prevent_destroy`: losing it makes every state
 * version unreadable. The key policy only delegates to IAM (the account root, KMS Developer Guide
 * "Default key policy"), so who may decrypt state is decided by the CI roles' policies.
 */
export class StateKey extends Construct {
  /** The `aws_kms_key`. */
  readonly key: KmsKey;
  /** The `aws_kms_alias`. */
  readonly alias: KmsAlias;
  /** ARN of the key (IAM policies name the key by ARN; aliases do not authorize). */
  readonly arn: string;
  /** ARN of the alias, e.g. `arn:aws:kms:us-east-1:111111111111:alias/pgforks-tfstate`. */
  readonly aliasArn: string;

  constructor(scope: Construct, id: string, props: StateKeyProps) {
    super(scope, id);
    const partition = partitionOf(props.region).name;
    this.key = new KmsKey(this, "key", {
      description:
        "Terraform state: the state bucket's default encryption and the backend's kms_key_id",
      enableKeyRotation: true,
      deletionWindowInDays: KMS_DELETION_WINDOW_DAYS.max,
      policy: JSON.stringify(
        policyDocument([
          {
            Sid: "AccountAdministersKeyThroughIam",
            Effect: "Allow",
            Principal: { AWS: `arn:${partition}:iam::${props.accountId}:root` },
            Action: "kms:*",
            Resource: "*",
          },
        ]),
      ),
      lifecycle: { preventDestroy: true },
      tags: { Name: props.alias.replace(/^alias\//, "") },
    });
    this.alias = new KmsAlias(this, "alias", { name: props.alias, targetKeyId: this.key.keyId });
    this.arn = this.key.arn;
    this.aliasArn = `arn:${partition}:kms:${props.region}:${props.accountId}:${props.alias}`;
  }
}
