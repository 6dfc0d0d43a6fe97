/**
 * `cdktf-merged-floor.ts <tenants> <outdir>`: the same six resources per tenant as
 * `cdktf-floor.ts`, with the same addresses and arguments, but written as Terraform JSON blocks
 * that the stack merges into its JSON after cdktf has resolved everything else (an override of
 * `toTerraform()`), so no tenant resource is a construct and cdktf never walks them.
 *
 * Measures the floor of option B2 in docs/decisions/0001-tenant-resources-and-synth-time.md.
 * `packages/testing/test/floors.test.ts` checks that its cdk.tf.json equals cdktf-floor.ts's.
 * Run by `npm run bench`. Not a test.
 */
import { TerraformStack } from "cdktf";
import { FLOOR_DATABASE, FLOOR_ROLE, floorStack } from "./floor-stack";

type Blocks = Record<string, Record<string, Record<string, unknown>>>;

/** A stack that merges pre-rendered resource blocks into its resolved JSON. */
class MergingStack extends TerraformStack {
  public readonly blocks: Blocks = {};

  public override toTerraform(): Record<string, unknown> {
    const tf = super.toTerraform() as { resource?: Blocks };
    const resource = tf.resource ?? {};
    for (const [type, byName] of Object.entries(this.blocks)) {
      resource[type] = { ...resource[type], ...byName };
    }
    tf.resource = resource;
    return tf;
  }
}

/** cdktf's JSON keys: snake_case of the binding's camelCase arguments. */
const snake = (args: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(args).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]),
  );

const { app, stack, count } = floorStack("cdktf-merged-floor.ts", MergingStack);
const add = (type: string, id: string, args: Record<string, unknown>) => {
  stack.blocks[type] ??= {};
  stack.blocks[type][id] = {
    "//": { metadata: { path: `floor/${id}`, uniqueId: id } },
    ...snake(args),
  };
};
for (let i = 0; i < count; i++) {
  const name = `tenant_${i}`;
  add("postgresql_role", `role-${name}`, { name, ...FLOOR_ROLE, connectionLimit: 1 });
  add("postgresql_database", `database-${name}`, { name, ...FLOOR_DATABASE });
  add("postgresql_grant", `revoke-public-${name}`, {
    database: name,
    role: "public",
    objectType: "database",
    privileges: [],
  });
  add("postgresql_grant", `connect-${name}`, {
    database: name,
    role: name,
    objectType: "database",
    privileges: ["CONNECT", "TEMPORARY"],
  });
  add("postgresql_schema", `schema-${name}`, { database: name, name, owner: name });
  add("aws_secretsmanager_secret_version", `secret-value-${name}`, {
    secretId: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`,
    secretStringWo: "{}",
    secretStringWoVersion: 1,
  });
}
app.synth();
