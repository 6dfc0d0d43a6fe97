import { createHash } from "node:crypto";
import { type TerraformResource, TerraformStack } from "cdktf";
import type { Construct } from "constructs";

/**
 * The Terraform name (logical id) cdktf 0.21 gives an element with construct id `id` under
 * `scope`, without creating it: the same scheme as cdktf's private makeUniqueId (path components
 * below the stack, "Default" left out, consecutive duplicates dropped, characters outside
 * [A-Za-z0-9_-] removed, joined by "_", plus the first 8 hex digits of the MD5 of the "/"-joined
 * path). Used to name the addresses resources had under earlier construct ids, for `moved` blocks.
 * TenantDatabases checks this function against the ids cdktf actually allocates, so a change of
 * the scheme in a cdktf upgrade fails synth instead of writing wrong `moved` blocks.
 */
export function logicalIdOf(scope: Construct, id: string): string {
  const stack = TerraformStack.of(scope);
  const scopes = scope.node.scopes;
  const below = scopes.slice(scopes.indexOf(stack) + 1).map((c) => c.node.id);
  const components = [...below, id].filter((c) => c !== "Default");
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, "");
  if (components.length === 1) {
    const only = clean(components[0] as string);
    if (only.length <= 255) return only;
  }
  const hash = createHash("md5")
    .update(components.join("/"))
    .digest("hex")
    .slice(0, 8)
    .toUpperCase();
  const human: string[] = [];
  for (const c of components) {
    const last = human[human.length - 1];
    if (last === undefined || !last.endsWith(c)) human.push(c);
  }
  return `${human
    .filter((c) => c !== "Resource")
    .map(clean)
    .join("_")
    .slice(0, 240)}_${hash}`;
}

/** The static address (`type.name`) of a resource, the form Terraform accepts in depends_on. */
export function terraformAddress(resource: TerraformResource): string {
  return `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
}
