import { type TerraformResource, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { logicalIdOfPath } from "./construct-address";
import type { TenantIntent } from "./footprint";

/**
 * The Terraform name (logical id) cdktf 0.21 gives an element with construct id `id` under
 * `scope`, without creating it (logicalIdOfPath of its path below the stack). TenantDatabases checks this function against the ids cdktf actually allocates, so a change of
 * the scheme in a cdktf upgrade fails synth instead of writing wrong addresses.
 */
export function logicalIdOf(scope: Construct, id: string): string {
  return logicalIdOfPath([...pathBelowStack(scope), id]);
}

/** Construct ids from below its stack down to `scope` itself (e.g. ["tenants"]). */
export function pathBelowStack(scope: Construct): string[] {
  const stack = TerraformStack.of(scope);
  const scopes = scope.node.scopes;
  return scopes.slice(scopes.indexOf(stack) + 1).map((c) => c.node.id);
}

/** The static address (`type.name`) of a resource, the form Terraform accepts in depends_on. */
export function terraformAddress(resource: TerraformResource): string {
  return `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
}

/** Throws when the footprint's address of an intent is not the one cdktf allocated. */
export function checkAddress(intent: TenantIntent, resource: TerraformResource): void {
  const actual = terraformAddress(resource);
  if (intent.address.terraformAddress !== actual) {
    throw new Error(
      `${resource.node.path}: the tenant footprint says ${intent.address.terraformAddress}, cdktf allocated ${actual}; update logicalIdOfPath (construct-address.ts)`,
    );
  }
}
