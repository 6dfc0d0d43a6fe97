/**
 * ARN partition of a region (aws, aws-cn, aws-us-gov), derived from its name so no
 * `aws_partition` data source is needed. Source: AWS General Reference, "Amazon Resource Names
 * (ARNs)". Same rule as `partitionOf` in @pgforks/kms (not imported to keep this package free of
 * a dependency on it).
 */
export function arnPartition(region: string): "aws" | "aws-cn" | "aws-us-gov" {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}
