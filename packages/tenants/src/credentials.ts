import { createHash } from "node:crypto";
import { type ConnectionTarget, describeConnectionTarget } from "@pgforks/config";
import { Fn, Op, Token } from "cdktf";

// Shared with tenant-cli's plan wording: one definition of "where a secret points".
export {
  type ConnectionTarget,
  connectionTarget,
  describeConnectionTarget,
  environmentConnectionTarget,
} from "@pgforks/config";

/**
 * passwordVersion is multiplied by this, so the digits before the last nine read as
 * passwordVersion ("3000123456" is passwordVersion 3) and the hash below fits in the last nine.
 */
export const PASSWORD_VERSION_SCALE = 1_000_000_000;

/**
 * Hex digits of the SHA-256 taken into the version: at most 16^7 - 1 = 268435455, below
 * PASSWORD_VERSION_SCALE (8 digits could reach 4294967295 and spill into passwordVersion's digits).
 */
export const CREDENTIALS_HASH_HEX_DIGITS = 7;

/** One more than the largest hash part: 16^CREDENTIALS_HASH_HEX_DIGITS. */
export const CREDENTIALS_HASH_LIMIT = 16 ** CREDENTIALS_HASH_HEX_DIGITS;

/**
 * Highest passwordVersion whose credentials version stays an exact integer in JavaScript and for
 * the providers (Number.MAX_SAFE_INTEGER = 2^53 - 1; Terraform's own numbers are arbitrary precision).
 */
export const MAX_PASSWORD_VERSION = Math.floor(
  (Number.MAX_SAFE_INTEGER - (CREDENTIALS_HASH_LIMIT - 1)) / PASSWORD_VERSION_SCALE,
);

/** Everything a tenant's credentials version covers. */
export interface CredentialsVersionInput {
  /** The tenant's passwordVersion (tenants.yaml), 1 to MAX_PASSWORD_VERSION. Required. */
  readonly passwordVersion: number;
  /** Where the secret points as the configuration says it (proxy or instance, port, database). Required. */
  readonly target: ConnectionTarget;
  /** ARN of the tenant's secret (the secret version's `secret_id`); a token in the stacks. Required. */
  readonly secretArn: string;
  /** Host written into the secret (proxy endpoint or instance address); a token in the stacks. Required. */
  readonly host: string;
}

function checkPasswordVersion(passwordVersion: number): void {
  if (
    !Number.isInteger(passwordVersion) ||
    passwordVersion < 1 ||
    passwordVersion > MAX_PASSWORD_VERSION
  ) {
    throw new Error(
      `passwordVersion must be an integer from 1 to ${MAX_PASSWORD_VERSION} (got ${passwordVersion})`,
    );
  }
}

/** passwordVersion * PASSWORD_VERSION_SCALE, the first term of the version; throws when out of range. */
export function scaledPasswordVersion(passwordVersion: number): number {
  checkPasswordVersion(passwordVersion);
  return passwordVersion * PASSWORD_VERSION_SCALE;
}

/** Separates the parts of the hashed string (none of them contains it: names, ARNs, host names). */
export const CREDENTIALS_HASH_SEPARATOR = "|";

/**
 * What is hashed into the version, in order: the target in words ("proxy:5432/shop_prod"; a string
 * is taken as those words), the secret's ARN and the host. Tokens stay references, so Terraform
 * fills in the ARN and host at plan time.
 */
export function credentialsHashParts(
  input: Omit<CredentialsVersionInput, "passwordVersion" | "target"> & {
    readonly target: ConnectionTarget | string;
  },
): string[] {
  const target =
    typeof input.target === "string" ? input.target : describeConnectionTarget(input.target);
  return [target, input.secretArn, input.host];
}

/**
 * The version of a tenant's write-only credentials, as a Terraform expression evaluated at plan
 * time: `passwordVersion * 10^9 + parseint(substr(sha256(join("|", [target, secret ARN, host])), 0, 7), 16)`.
 * The role's `password_wo_version` takes it through `tostring` and the secret's
 * `secret_string_wo_version` as is, so both always change together. Terraform sends a write-only
 * value only when its version changes, and the version changes exactly when
 * - passwordVersion is bumped (a rotation on request);
 * - the connection target changes: the proxy is turned on or off, the port changes, the database
 *   is renamed (the secret's host, port or dbname must be rewritten);
 * - the secret is recreated (a new secret, hence a new ARN: the new secret version must hold the
 *   role's password, so both get a new one);
 * - the host changes (a new proxy endpoint or instance address must reach the secret).
 * Each of these draws a new password and writes it to the role and the secret in the same apply.
 * The ARN and host are cross-stack references to `<env>-platform`, applied first, so they are
 * known at plan time. A collision of two inputs' hashes (1 in 16^7) would only skip that rewrite.
 */
export function credentialsVersionExpression(input: CredentialsVersionInput): number {
  return credentialsVersionOf(
    scaledPasswordVersion(input.passwordVersion),
    credentialsHashParts(input),
  );
}

/**
 * credentialsVersionExpression from its two terms: the scaled passwordVersion
 * (scaledPasswordVersion) and the parts hashed (credentialsHashParts).
 */
export function credentialsVersionOf(scaledVersion: number, hashParts: readonly string[]): number {
  // join() rather than a template string: cdktf warns about "${...}" inside function arguments.
  const hashed = Fn.join(CREDENTIALS_HASH_SEPARATOR, [...hashParts]);
  const hash = Fn.parseint(Fn.substr(Fn.sha256(hashed), 0, CREDENTIALS_HASH_HEX_DIGITS), 16);
  return Op.add(scaledVersion, hash);
}

/**
 * The value Terraform computes from credentialsVersionExpression, for literal inputs (tests and
 * tooling). Throws when the ARN or host is still a token.
 */
export function credentialsVersion(input: CredentialsVersionInput): number {
  checkPasswordVersion(input.passwordVersion);
  if (Token.isUnresolved(input.secretArn) || Token.isUnresolved(input.host)) {
    throw new Error(
      "credentialsVersion needs literal secretArn and host; in a stack use credentialsVersionExpression",
    );
  }
  // Terraform's sha256 hashes the UTF-8 bytes and returns lowercase hex (Terraform docs, sha256).
  const hashed = credentialsHashParts(input).join(CREDENTIALS_HASH_SEPARATOR);
  const hex = createHash("sha256").update(hashed, "utf8").digest("hex");
  return (
    input.passwordVersion * PASSWORD_VERSION_SCALE +
    Number.parseInt(hex.slice(0, CREDENTIALS_HASH_HEX_DIGITS), 16)
  );
}
