import { type ConnectionTarget, describeConnectionTarget } from "@pgforks/config";

// Shared with tenant-cli's plan wording: one definition of "where a secret points".
export {
  type ConnectionTarget,
  connectionTarget,
  describeConnectionTarget,
  environmentConnectionTarget,
} from "@pgforks/config";

/**
 * The fingerprint takes the last nine decimal digits of the version, so the digits before them
 * read as passwordVersion ("3000123456" is passwordVersion 3).
 */
export const TARGET_FINGERPRINT_MODULUS = 1_000_000_000;

/**
 * Highest passwordVersion whose credentials version stays an exact integer in JavaScript and in
 * Terraform's number (Number.MAX_SAFE_INTEGER = 2^53 - 1).
 */
export const MAX_PASSWORD_VERSION = Math.floor(
  (Number.MAX_SAFE_INTEGER - TARGET_FINGERPRINT_MODULUS) / TARGET_FINGERPRINT_MODULUS,
);

/** 32-bit FNV-1a of the UTF-8 bytes (FNV offset basis 2166136261, prime 16777619). */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** A stable number for a target, below TARGET_FINGERPRINT_MODULUS. */
export function connectionTargetFingerprint(target: ConnectionTarget): number {
  return fnv1a32(describeConnectionTarget(target)) % TARGET_FINGERPRINT_MODULUS;
}

/**
 * The version of a tenant's write-only credentials: the role's `password_wo_version` (as a string)
 * and the secret's `secret_string_wo_version` (as a number) both take it. Terraform sends a
 * write-only value only when its version changes, so deriving the version from passwordVersion
 * AND the connection target means that turning the proxy on or off, changing the port or renaming
 * the database rotates the password and rewrites the secret (new host, port, dbname) in the same
 * apply, while any other change leaves both alone. `passwordVersion * 10^9 + fingerprint`; a
 * collision of two targets' fingerprints (1 in 10^9) would only skip that automatic rewrite.
 */
export function credentialsVersion(passwordVersion: number, target: ConnectionTarget): number {
  if (
    !Number.isInteger(passwordVersion) ||
    passwordVersion < 1 ||
    passwordVersion > MAX_PASSWORD_VERSION
  ) {
    throw new Error(
      `passwordVersion must be an integer from 1 to ${MAX_PASSWORD_VERSION} (got ${passwordVersion})`,
    );
  }
  return passwordVersion * TARGET_FINGERPRINT_MODULUS + connectionTargetFingerprint(target);
}
