import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { TenantConfig } from "@pgforks/config";
import { generatePassword, scramSha256Verifier } from "@pgforks/postgres-server";

/** One tenant's local password and the version Terraform knows it by. */
export interface LocalTenantCredential {
  readonly password: string;
  /** The tenant's passwordVersion when the password was drawn. */
  readonly passwordVersion: number;
  /** Random id of this draw: part of the role's password_wo_version. */
  readonly draw: string;
}

/** The local credentials file (mode 0600, never committed: .local/ is ignored by git). */
export interface LocalCredentials {
  readonly admin: string;
  readonly tenants: Readonly<Record<string, LocalTenantCredential>>;
}

/**
 * The credentials file as written, or an error naming it when it is no JSON object (edited by
 * hand). Deleting it is the way out: npm start draws every password again and the server takes
 * the new admin password (startPostgres), the forks' roles theirs (the next apply); data is kept.
 */
function readCredentials(file: string): Partial<LocalCredentials> {
  const refuse = (what: string) =>
    new Error(
      `${file}: ${what}; delete it and run npm start again: it draws new passwords for the admin and every fork, and keeps the data`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw refuse(`not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw refuse(`not a JSON object (found ${JSON.stringify(parsed)})`);
  }
  // An admin edited by hand failed later without naming the file: 123 with Node's 'The "password"
  // argument must be of type string', one with a space with the SCRAM helper's "only printable
  // ASCII passwords". (A fork's unusable entry is drawn anew, as a missing one: ensureLocalCredentials.)
  const { admin } = parsed as Record<string, unknown>;
  if (admin !== undefined && admin !== null && !isPassword(admin)) {
    throw refuse(`field admin: ${PASSWORD_RULE} (found ${found(admin)})`);
  }
  return parsed as Partial<LocalCredentials>;
}

/**
 * Whether a fork's entry can be used as it is; one edited into something else (a password of 5
 * failed deep in the SCRAM helper with Node's TypeError) is drawn anew, as a missing one is.
 */
function isCredential(value: unknown): value is LocalTenantCredential {
  if (value === null || typeof value !== "object") return false;
  const { password, passwordVersion, draw } = value as Record<string, unknown>;
  return isPassword(password) && Number.isInteger(passwordVersion) && typeof draw === "string";
}

/** What a password may be: what the server's SCRAM verifiers take (scramSha256Verifier). */
const PASSWORD_RULE = "must be a password of printable ASCII characters, no spaces";

function isPassword(value: unknown): value is string {
  return typeof value === "string" && /^[\x21-\x7e]+$/.test(value);
}

/** A found value for a message; a string is not echoed (it may be a password). */
function found(value: unknown): string {
  if (typeof value === "string") return value === "" ? "an empty string" : "a string, not shown";
  if (value === undefined) return "no value";
  return value === null
    ? "null"
    : Array.isArray(value)
      ? "an array"
      : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Reads the credentials file and draws what is missing: the admin password once, a tenant's
 * password when it has none or its passwordVersion changed. Written back atomically. Returns the
 * credentials of `tenants`; the file forgets a tenant's password only once it is dropped (a tenant
 * missing from the list keeps it: `npm start` refuses to drop its database, and the entry may come
 * back).
 */
export function ensureLocalCredentials(
  file: string,
  tenants: readonly TenantConfig[],
): LocalCredentials {
  const previous = existsSync(file) ? readCredentials(file) : {};
  const entries: Record<string, LocalTenantCredential> = {};
  const listed = new Set(tenants.map((tenant) => tenant.name));
  const unlisted = Object.entries(previous.tenants ?? {}).filter(([name]) => !listed.has(name));
  for (const tenant of tenants) {
    if (tenant.state === "dropped") continue;
    const old: unknown = previous.tenants?.[tenant.name];
    entries[tenant.name] =
      isCredential(old) && old.passwordVersion === tenant.passwordVersion
        ? old
        : {
            password: generatePassword(),
            passwordVersion: tenant.passwordVersion,
            draw: randomBytes(4).toString("hex"),
          };
  }
  const credentials: LocalCredentials = {
    admin: previous.admin ?? generatePassword(),
    tenants: entries,
  };
  const kept = { ...credentials, tenants: { ...Object.fromEntries(unlisted), ...entries } };
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
  return credentials;
}

/** password_wo_version of each tenant: passwordVersion and draw, so a new draw is always written. */
export function passwordVersions(credentials: LocalCredentials): Record<string, string> {
  return Object.fromEntries(
    Object.entries(credentials.tenants).map(([name, c]) => [
      name,
      `${c.passwordVersion}-${c.draw}`,
    ]),
  );
}

/** The SCRAM verifiers Terraform gets (TF_VAR_tenant_password_verifiers), fresh salt each run. */
export function passwordVerifiers(credentials: LocalCredentials): Record<string, string> {
  return Object.fromEntries(
    Object.entries(credentials.tenants).map(([name, c]) => [name, scramSha256Verifier(c.password)]),
  );
}
