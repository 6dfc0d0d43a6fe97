/**
 * Provider source addresses, normalised the way Terraform does ("aws" and "hashicorp/aws" both mean
 * registry.terraform.io/hashicorp/aws; see developer.hashicorp.com/terraform/language/providers/
 * requirements#source-addresses).
 */

/** Host Terraform assumes when a source address has no hostname. */
export const DEFAULT_PROVIDER_HOST = "registry.terraform.io";
/** Namespace Terraform assumes for a bare provider type ("aws"). */
export const DEFAULT_PROVIDER_NAMESPACE = "hashicorp";
/** Source of Terraform's built-in provider (terraform_data, terraform_remote_state). */
export const BUILTIN_TERRAFORM_PROVIDER = "terraform.io/builtin/terraform";

/** Full "<host>/<namespace>/<type>" address, lower-cased (Terraform compares them case-insensitively). */
export function normalizeProviderSource(source: string): string {
  const parts = source.trim().toLowerCase().split("/");
  if (parts.length === 1 && parts[0] === "terraform") return BUILTIN_TERRAFORM_PROVIDER;
  if (parts.length === 1)
    return `${DEFAULT_PROVIDER_HOST}/${DEFAULT_PROVIDER_NAMESPACE}/${parts[0]}`;
  if (parts.length === 2) return `${DEFAULT_PROVIDER_HOST}/${parts.join("/")}`;
  if (parts.length === 3) return parts.join("/");
  throw new Error(`Invalid provider source address "${source}"`);
}

/** True for providers compiled into Terraform itself: always available offline. */
export function isBuiltinProvider(source: string): boolean {
  return normalizeProviderSource(source) === BUILTIN_TERRAFORM_PROVIDER;
}
