import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { partitionOf } from "@pgforks/config";
import { Construct } from "constructs";
import { policyDocument } from "./iam-policy";

/**
 * Days a superseded state version is kept. Project choice: a quarter, long enough to notice a bad
 * apply after a release cycle and roll the state back (Terraform S3 backend docs recommend
 * versioning "to allow for state recovery" without naming a period).
 */
export const NONCURRENT_STATE_VERSION_DAYS = 90;

/**
 * Superseded versions kept whatever their age, so a quiet stack never loses its history. Must be
 * 1 to 100 (S3 API Reference, NoncurrentVersionExpiration.NewerNoncurrentVersions).
 */
export const NEWER_NONCURRENT_VERSIONS_KEPT = 10;

/**
 * Days before an unfinished multipart upload is aborted (S3 User Guide, "Configuring a bucket
 * lifecycle configuration to delete incomplete multipart uploads", whose example uses 7 days).
 */
export const ABORT_INCOMPLETE_MULTIPART_DAYS = 7;

/** Properties of {@link StateBucket}. */
export interface StateBucketProps {
  /** Bucket name: `stateBackend.bucket` from config. Required. */
  readonly bucketName: string;
  /** ARN of the KMS key used as the bucket's default encryption. Required. */
  readonly kmsKeyArn: string;
  /** Region of the bucket (selects the ARN partition). Required. */
  readonly region: string;
}

/**
 * The S3 bucket holding an account's Terraform state: versioned (every state write can be rolled
 * back), SSE-KMS by default with an S3 Bucket Key (fewer KMS requests), all public access blocked,
 * ACLs disabled (BucketOwnerEnforced), plain HTTP refused by the bucket policy (Security Hub
 * S3.5), old versions expired, and `prevent_destroy`. Terraform's native lock files
 * (`<key>.tflock`, use_lockfile) live beside the state objects.
 */
export class StateBucket extends Construct {
  /** The `aws_s3_bucket`. */
  readonly bucket: S3Bucket;
  /** Bucket name. */
  readonly name: string;
  /** Bucket ARN, e.g. `arn:aws:s3:::example-pgforks-tfstate-dev`. */
  readonly arn: string;

  constructor(scope: Construct, id: string, props: StateBucketProps) {
    super(scope, id);
    this.name = props.bucketName;
    this.arn = `arn:${partitionOf(props.region).name}:s3:::${props.bucketName}`;

    this.bucket = new S3Bucket(this, "bucket", {
      bucket: props.bucketName,
      forceDestroy: false,
      lifecycle: { preventDestroy: true },
      tags: { Name: props.bucketName },
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, "public-access", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", {
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    const versioning = new S3BucketVersioningA(this, "versioning", {
      bucket: this.bucket.id,
      versioningConfiguration: { status: "Enabled" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: {
            sseAlgorithm: "aws:kms",
            kmsMasterKeyId: props.kmsKeyArn,
          },
          bucketKeyEnabled: true,
        },
      ],
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: this.bucket.id,
      rule: [
        {
          id: "expire-old-state-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [
            {
              noncurrentDays: NONCURRENT_STATE_VERSION_DAYS,
              newerNoncurrentVersions: NEWER_NONCURRENT_VERSIONS_KEPT,
            },
          ],
          abortIncompleteMultipartUpload: [
            { daysAfterInitiation: ABORT_INCOMPLETE_MULTIPART_DAYS },
          ],
        },
      ],
      // S3 applies noncurrent-version rules only once versioning is on (S3 User Guide).
      dependsOn: [versioning],
    });
    new S3BucketPolicy(this, "policy", {
      bucket: this.bucket.id,
      policy: JSON.stringify(stateBucketPolicy(this.arn)),
      // Both resources change the bucket's public-access evaluation; S3 rejects concurrent updates.
      dependsOn: [publicAccess],
    });
  }

  /** ARN pattern of the objects under a key prefix, e.g. `arn:aws:s3:::b/pgforks/dev/*`. */
  objectsArn(prefix: string, suffix = "*"): string {
    return `${this.arn}/${prefix.replace(/\/+$/, "")}/${suffix}`;
  }
}

/** The bucket policy of {@link StateBucket}: refuse every request not made over TLS. */
export function stateBucketPolicy(bucketArn: string) {
  return policyDocument([
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ]);
}
