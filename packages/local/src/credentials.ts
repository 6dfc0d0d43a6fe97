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
  return parsed as Partial<LocalCredentials>;
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
    const old = previous.tenants?.[tenant.name];
    entries[tenant.name] =
      old && old.passwordVersion === tenant.passwordVersion
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
