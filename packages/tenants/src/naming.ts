import { IDENTIFIER_MAX_BYTES, type TenantConfig } from "@pgforks/config";

/** Suffix of a tenant's optional read-only group role. */
export const READ_ONLY_ROLE_SUFFIX = "_readonly";

/** The read-only group role of a tenant: `<name>_readonly`. */
export function readOnlyRoleName(tenant: Pick<TenantConfig, "name">): string {
  return `${tenant.name}${READ_ONLY_ROLE_SUFFIX}`;
}

/**
 * Why the read-only role name of `tenant` is not a usable identifier, or undefined. PostgreSQL
 * silently truncates identifiers to 63 bytes, so a long tenant name would make two roles collide.
 */
export function readOnlyRoleNameProblem(tenant: Pick<TenantConfig, "name">): string | undefined {
  const name = readOnlyRoleName(tenant);
  if (Buffer.byteLength(name, "utf8") <= IDENTIFIER_MAX_BYTES) return undefined;
  return `tenant "${tenant.name}": read-only role "${name}" is longer than ${IDENTIFIER_MAX_BYTES} bytes; shorten the tenant name to at most ${IDENTIFIER_MAX_BYTES - READ_ONLY_ROLE_SUFFIX.length} bytes or set readOnlyRole: false`;
}

/** Name of a tenant's Secrets Manager secret: `<prefix>/tenants/<tenant>`, e.g. `pgforks-prod/tenants/fintech`. */
export function tenantSecretName(prefix: string, tenant: string): string {
  return `${prefix}/tenants/${tenant}`;
}
