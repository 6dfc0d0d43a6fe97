/**
 * `cdktf-for-each-floor.ts <tenants> <outdir>`: the same six resources per tenant as
 * `cdktf-floor.ts`, written the other way Terraform allows: one resource block per kind with
 * `for_each` over a `locals` map of the tenants (cdktf's TerraformIterator), so cdktf builds and
 * resolves six constructs whatever the number of tenants, and a tenant costs one map entry.
 *
 * Measures what the tenants stack would cost if it were written this way (docs/decisions/
 * 0001-tenant-resources-and-synth-time.md); it does not say that this form is right for the
 * product (that record lists what it would change). Run by `npm run bench`. Not a test.
 */
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Database } from "@cdktf/provider-postgresql/lib/database";
import { Grant } from "@cdktf/provider-postgresql/lib/grant";
import { Role } from "@cdktf/provider-postgresql/lib/role";
import { Schema } from "@cdktf/provider-postgresql/lib/schema";
import { TerraformIterator, TerraformLocal } from "cdktf";
import { FLOOR_DATABASE, FLOOR_ROLE, floorStack } from "./floor-stack";

const { app, stack, count } = floorStack("cdktf-for-each-floor.ts");
const tenants: Record<string, { name: string; connection_limit: number; secret_arn: string }> = {};
for (let i = 0; i < count; i++) {
  const name = `tenant_${i}`;
  tenants[name] = {
    name,
    connection_limit: 1,
    secret_arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`,
  };
}
const each = TerraformIterator.fromMap(new TerraformLocal(stack, "tenants", tenants).asAnyMap);
const name = each.getString("name");
new Role(stack, "role", {
  forEach: each,
  name,
  ...FLOOR_ROLE,
  connectionLimit: each.getNumber("connection_limit"),
});
new Database(stack, "database", {
  forEach: each,
  name,
  ...FLOOR_DATABASE,
});
new Grant(stack, "revoke-public", {
  forEach: each,
  database: name,
  role: "public",
  objectType: "database",
  privileges: [],
});
new Grant(stack, "connect", {
  forEach: each,
  database: name,
  role: name,
  objectType: "database",
  privileges: ["CONNECT", "TEMPORARY"],
});
new Schema(stack, "schema", { forEach: each, database: name, name, owner: name });
new SecretsmanagerSecretVersion(stack, "secret-value", {
  forEach: each,
  secretId: each.getString("secret_arn"),
  secretStringWo: "{}",
  secretStringWoVersion: 1,
});
app.synth();
