import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

/** PostgreSQL's SCRAM-SHA-256 iteration count (scram_iterations default, PostgreSQL 16). */
export const SCRAM_ITERATIONS = 4096;

/** Salt length PostgreSQL uses for SCRAM verifiers (SCRAM_DEFAULT_SALT_LEN). */
export const SCRAM_SALT_BYTES = 16;

/**
 * The SCRAM-SHA-256 verifier of a password, in the form PostgreSQL stores in pg_authid
 * (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, RFC 5802 / RFC 7677). Given this
 * instead of the password, CREATE/ALTER ROLE ... PASSWORD stores it as is (PostgreSQL docs,
 * "Password Authentication"), so no statement the server logs carries the password. Passwords
 * here are ASCII letters and digits, which SASLprep leaves unchanged.
 */
export function scramSha256Verifier(
  password: string,
  salt = randomBytes(SCRAM_SALT_BYTES),
): string {
  if (!/^[\x21-\x7e]+$/.test(password)) {
    throw new Error(
      "scramSha256Verifier: only printable ASCII passwords (SASLprep is not implemented)",
    );
  }
  const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/** A random password of letters and digits (URL-safe, no escaping anywhere). */
export function generatePassword(length = 40): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // Rejection sampling keeps every character equally likely (248 = 62 * 4).
      if (byte < 248 && out.length < length) out += alphabet[byte % 62];
    }
  }
  return out;
}
