/** IAM policy documents as typed JSON (serialized with JSON.stringify, tokens interpolated). */

/** Policy language version every document uses (IAM User Guide, "IAM JSON policy elements: Version"). */
export const POLICY_VERSION = "2012-10-17";

/** A condition block: operator -> condition key -> value(s). */
export type PolicyCondition = Readonly<
  Record<string, Readonly<Record<string, string | boolean | readonly string[]>>>
>;

/** One statement of an identity, resource or trust policy. */
export interface PolicyStatement {
  /** Statement id: says what the statement is for. */
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  /** Principal, for resource and trust policies only. */
  readonly Principal?: Readonly<Record<string, string | readonly string[]>> | "*";
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: PolicyCondition;
}

/** A whole policy document. */
export interface PolicyDocument {
  readonly Version: typeof POLICY_VERSION;
  readonly Statement: readonly PolicyStatement[];
}

/** Builds a document from statements. */
export function policyDocument(statements: readonly PolicyStatement[]): PolicyDocument {
  return { Version: POLICY_VERSION, Statement: statements };
}
