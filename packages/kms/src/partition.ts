/**
 * The AWS partition of a region and the DNS suffix of its service principals, derived from the
 * region name so no `aws_partition` data source is needed at plan time.
 * Source: AWS General Reference, "Amazon Resource Names (ARNs)", partition element
 * (aws, aws-cn, aws-us-gov).
 */
export interface Partition {
  /** ARN partition, e.g. `aws`. */
  readonly name: "aws" | "aws-cn" | "aws-us-gov";
  /** DNS suffix of regional service principals, e.g. `amazonaws.com`. */
  readonly dnsSuffix: "amazonaws.com" | "amazonaws.com.cn";
}

/** Partition of `region` (e.g. us-east-1 -> aws, cn-north-1 -> aws-cn, us-gov-west-1 -> aws-us-gov). */
export function partitionOf(region: string): Partition {
  if (region.startsWith("cn-")) return { name: "aws-cn", dnsSuffix: "amazonaws.com.cn" };
  if (region.startsWith("us-gov-")) return { name: "aws-us-gov", dnsSuffix: "amazonaws.com" };
  return { name: "aws", dnsSuffix: "amazonaws.com" };
}
