// Test-only helpers: a synthesized bootstrap stack, and a small IAM evaluator for its policies.
import type { EnvironmentConfig } from "@pgforks/config";
import { environmentFixture } from "@pgforks/testing";
import { Testing } from "cdktf";
import { BootstrapStack } from "../src/bootstrap-stack";
import type { PolicyDocument, PolicyStatement } from "../src/iam-policy";

/** The synthesized JSON of one resource block. */
export type Block = Record<string, unknown>;

/** A synthesized bootstrap stack with accessors. */
export interface SynthesizedBootstrap {
  readonly environment: EnvironmentConfig;
  readonly json: {
    terraform: { backend: { s3: Record<string, unknown> } };
    provider: { aws: Array<Record<string, unknown>> };
    resource: Record<string, Record<string, Block>>;
  };
  /** The only block of a type (throws when there are 0 or several). */
  one(type: string): Block;
  /** The blocks of a type. */
  all(type: string): Block[];
  /** The IAM role whose name ends with `suffix`, and the policies parsed from the stack. */
  role(suffix: string): Block;
}

/** Synthesizes `bootstrap-test` for `environmentFixture(patch)`. */
export function synthBootstrap(
  patch?: Parameters<typeof environmentFixture>[0],
): SynthesizedBootstrap {
  const environment = environmentFixture(patch);
  const app = Testing.app();
  const stack = new BootstrapStack(app, "bootstrap-test", { environment });
  const json = JSON.parse(Testing.synth(stack)) as SynthesizedBootstrap["json"];
  const all = (type: string) => Object.values(json.resource[type] ?? {});
  return {
    environment,
    json,
    all,
    one(type) {
      const blocks = all(type);
      if (blocks.length !== 1) throw new Error(`expected one ${type}, found ${blocks.length}`);
      return blocks[0] as Block;
    },
    role(suffix) {
      const found = all("aws_iam_role").find((r) => String(r.name).endsWith(suffix));
      if (!found) throw new Error(`no role ending with ${suffix}`);
      return found;
    },
  };
}

/** Parses a policy attribute (a JSON string). */
export function parsePolicy(value: unknown): PolicyDocument {
  return JSON.parse(String(value)) as PolicyDocument;
}

const list = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === "string" ? [value] : value;

/** IAM wildcard matching (`*` any run, `?` one character), case-sensitive as for ARNs. */
export function iamLike(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`).test(value);
}

/** Action names match case-insensitively (IAM User Guide, "IAM JSON policy elements: Action"). */
function actionMatches(pattern: string, action: string): boolean {
  return iamLike(pattern.toLowerCase(), action.toLowerCase());
}

function applies(statement: PolicyStatement, action: string, resource: string): boolean {
  const actionOk = statement.Action
    ? list(statement.Action).some((p) => actionMatches(p, action))
    : !list(statement.NotAction).some((p) => actionMatches(p, action));
  const resourceOk = statement.Resource
    ? list(statement.Resource).some((p) => iamLike(p, resource))
    : !list(statement.NotResource).some((p) => iamLike(p, resource));
  return actionOk && resourceOk;
}

/**
 * Identity-policy evaluation without conditions: an explicit Deny wins, else any Allow. Statements
 * with a Condition count only when `withConditions` (the caller vouches the condition holds).
 */
export function decide(
  documents: readonly PolicyDocument[],
  action: string,
  resource: string,
  withConditions = false,
): "allow" | "deny" | "implicit-deny" {
  const statements = documents
    .flatMap((d) => d.Statement)
    .filter((s) => withConditions || s.Condition === undefined)
    .filter((s) => applies(s, action, resource));
  if (statements.some((s) => s.Effect === "Deny")) return "deny";
  return statements.some((s) => s.Effect === "Allow") ? "allow" : "implicit-deny";
}

/** Whether a trust policy lets a GitHub token with `sub` (and the right audience) assume the role. */
export function trustAllowsSubject(trust: PolicyDocument, sub: string, aud = "sts.amazonaws.com") {
  return trust.Statement.some((s) => {
    if (s.Effect !== "Allow" || s.Action !== "sts:AssumeRoleWithWebIdentity") return false;
    const condition = s.Condition ?? {};
    const key = (k: string) => `token.actions.githubusercontent.com:${k}`;
    const equals = condition.StringEquals ?? {};
    const like = condition.StringLike ?? {};
    const check = (claim: string, value: string) => {
      const eq = equals[key(claim)];
      const lk = like[key(claim)];
      if (eq === undefined && lk === undefined) return false; // IAM would allow any: treat as unsafe
      const eqOk = eq === undefined || list(eq as string | string[]).includes(value);
      const lkOk = lk === undefined || list(lk as string | string[]).some((p) => iamLike(p, value));
      return eqOk && lkOk;
    };
    return check("aud", aud) && check("sub", sub);
  });
}

/** Interactive-shell session document Session Manager uses when start-session names none (account-owned). */
export const DEFAULT_SESSION_DOCUMENT = "SSM-SessionManagerRunShell";

/** What a `start-session` call carries, for {@link startSessionAllowed}. */
export interface StartSessionRequest {
  /** ARN of the target instance. */
  readonly instanceArn: string;
  /** Tags of the target instance (for `ssm:resourceTag/<key>` conditions). */
  readonly instanceTags: Readonly<Record<string, string>>;
  /** ARN of `--document-name`, or undefined when the call names no document. */
  readonly documentArn?: string;
  /** ARN of the default session document in the target's region and account. */
  readonly defaultDocumentArn: string;
}

/** Whether a statement's conditions hold for an instance with `tags` (tag equality and the document check only). */
function instanceConditionsHold(
  statement: PolicyStatement,
  tags: Readonly<Record<string, string>>,
): boolean {
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, value] of Object.entries(keys)) {
      if (operator === "StringEquals" && key.startsWith("ssm:resourceTag/")) {
        if (
          !list(value as string | string[]).includes(
            tags[key.slice("ssm:resourceTag/".length)] ?? "",
          )
        ) {
          return false;
        }
      } else if (key !== "ssm:SessionDocumentAccessCheck") {
        throw new Error(`startSessionAllowed does not model condition ${operator} ${key}`);
      }
    }
  }
  return true;
}

/** Whether a statement turns on the session document permission check. */
function checksSessionDocument(statement: PolicyStatement): boolean {
  return ["Bool", "BoolIfExists"].some(
    (operator) =>
      String(statement.Condition?.[operator]?.["ssm:SessionDocumentAccessCheck"]) === "true",
  );
}

/**
 * Session Manager's authorization of `ssm:StartSession`, as the Systems Manager User Guide
 * describes it ("Enforce a session document permission check for the AWS CLI"): the instance must
 * be allowed; a named document must be allowed too; a call naming no document runs the default
 * shell document, which is checked only when the allowing statement sets
 * `ssm:SessionDocumentAccessCheck` to true.
 */
export function startSessionAllowed(
  documents: readonly PolicyDocument[],
  request: StartSessionRequest,
): boolean {
  const statements = documents.flatMap((d) => d.Statement);
  const onInstance = statements.filter(
    (s) =>
      applies(s, "ssm:StartSession", request.instanceArn) &&
      instanceConditionsHold(s, request.instanceTags),
  );
  if (onInstance.some((s) => s.Effect === "Deny")) return false;
  const allowing = onInstance.filter((s) => s.Effect === "Allow");
  if (allowing.length === 0) return false;
  const documentAllowed = (arn: string) => decide(documents, "ssm:StartSession", arn) === "allow";
  if (request.documentArn !== undefined) return documentAllowed(request.documentArn);
  // One allowing statement without the check is enough for the default shell to start.
  return allowing.every(checksSessionDocument) ? documentAllowed(request.defaultDocumentArn) : true;
}

/** Request context for {@link decideInContext}: condition key -> value (absent keys are missing). */
export type RequestContext = Readonly<Record<string, string>>;

/**
 * Whether a statement's condition holds in `context`. Models the operators the bootstrap policies
 * use (IAM User Guide, "IAM JSON policy elements: Condition operators"): StringEquals and
 * StringLike fail on a missing key, StringNotEquals holds on a missing key, `...IfExists` holds on
 * a missing key; anything else throws, so a new operator cannot be silently ignored.
 */
function conditionHolds(statement: PolicyStatement, context: RequestContext): boolean {
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      const values = list(
        typeof expected === "boolean" ? String(expected) : (expected as string | string[]),
      );
      const actual = context[key];
      const base = operator.replace(/^ForAnyValue:/, "").replace(/IfExists$/, "");
      if (actual === undefined) {
        if (operator.endsWith("IfExists") || base === "StringNotEquals") continue;
        return false;
      }
      const holds =
        base === "StringEquals" || base === "Bool"
          ? values.includes(actual)
          : base === "StringNotEquals"
            ? !values.includes(actual)
            : base === "StringLike"
              ? values.some((p) => iamLike(p, actual))
              : undefined;
      if (holds === undefined) throw new Error(`decideInContext does not model ${operator}`);
      if (!holds) return false;
    }
  }
  return true;
}

/** Identity-policy evaluation with conditions evaluated against `context`. */
export function decideInContext(
  documents: readonly PolicyDocument[],
  action: string,
  resource: string,
  context: RequestContext,
): "allow" | "deny" | "implicit-deny" {
  const statements = documents
    .flatMap((d) => d.Statement)
    .filter((s) => applies(s, action, resource) && conditionHolds(s, context));
  if (statements.some((s) => s.Effect === "Deny")) return "deny";
  return statements.some((s) => s.Effect === "Allow") ? "allow" : "implicit-deny";
}
