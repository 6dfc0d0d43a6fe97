// The local target is the product's main job without AWS: its postgresql_* resources must be
// exactly those of the AWS tenants stack for the same tenants. Only the provider connection and
// where passwords come from and go to (the role's password_wo and password_wo_version) may differ.
import { loadEnvironment } from "@pgforks/config";
import { synthesizeInMemory } from "@pgforks/stacks";
import { synthesizeLocalStack } from "../src/local-stack";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** The postgresql_* resources, with the two password arguments of each role and cdktf's metadata set aside. */
function postgresqlResources(stack: Record<string, unknown>): {
  resources: Resources;
  passwordArguments: string[];
} {
  const resources: Resources = {};
  const passwordArguments: string[] = [];
  for (const [type, byName] of Object.entries(stack.resource as Resources)) {
    if (!type.startsWith("postgresql_")) continue;
    resources[type] = {};
    for (const [name, body] of Object.entries(byName)) {
      // "//" is cdktf's metadata (the construct path names the stack), not Terraform configuration.
      const { password_wo, password_wo_version, "//": _metadata, ...rest } = body;
      if (password_wo !== undefined) passwordArguments.push(`${type}.${name}.password_wo`);
      if (password_wo_version !== undefined)
        passwordArguments.push(`${type}.${name}.password_wo_version`);
      (resources[type] as Record<string, unknown>)[name] = rest;
    }
  }
  return { resources, passwordArguments: passwordArguments.sort() };
}

test("a local stack built from prod's tenants.yaml declares the same postgresql resources as prod-tenants", () => {
  const prod = loadEnvironment("prod");
  const aws = synthesizeInMemory([prod])["prod-tenants"] as Record<string, unknown>;
  const local = synthesizeLocalStack({
    tenants: prod.tenants,
    port: 54316,
    adminRole: prod.environment.database.masterUsername,
    passwordVersions: Object.fromEntries(prod.tenants.map((t) => [t.name, "1-test"])),
  });
  const fromAws = postgresqlResources(aws);
  const fromLocal = postgresqlResources(local);
  expect(Object.keys(fromAws.resources).length).toBeGreaterThan(3);
  expect(fromLocal.resources).toEqual(fromAws.resources);
  // Both set a write-only password on exactly the same roles.
  expect(fromLocal.passwordArguments).toEqual(fromAws.passwordArguments);
  expect(fromAws.passwordArguments.length).toBeGreaterThan(0);
  expect(local.removed).toEqual(aws.removed);
});
