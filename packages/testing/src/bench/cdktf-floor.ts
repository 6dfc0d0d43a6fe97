/**
 * `cdktf-floor.ts <tenants> <outdir>`: what cdktf alone spends on a tenants stack's resources.
 *
 * One stack with a postgresql provider and, per tenant, the six resources `<env>-tenants` has for
 * an active tenant without extensions or read-only group (role, database, two grants, schema,
 * secret version), each built with the real provider bindings from literal values only: no
 * reference, no expression, no cross-stack output, no footprint, no config file. What is left is
 * cdktf's own cost per resource (constructs, its preparing pass, the synth's resolve, the JSON),
 * the floor under any tenants stack made of one construct per resource.
 *
 * Run by `npm run bench` through the launcher, like the app. Not a test.
 */
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Database } from "@cdktf/provider-postgresql/lib/database";
import { Grant } from "@cdktf/provider-postgresql/lib/grant";
import { Role } from "@cdktf/provider-postgresql/lib/role";
import { Schema } from "@cdktf/provider-postgresql/lib/schema";
import { FLOOR_DATABASE, FLOOR_ROLE, floorStack } from "./floor-stack";

const { app, stack, count } = floorStack("cdktf-floor.ts");
for (let i = 0; i < count; i++) {
  const name = `tenant_${i}`;
  new Role(stack, `role-${name}`, {
    name,
    ...FLOOR_ROLE,
    connectionLimit: 1,
  });
  new Database(stack, `database-${name}`, {
    name,
    ...FLOOR_DATABASE,
  });
  new Grant(stack, `revoke-public-${name}`, {
    database: name,
    role: "public",
    objectType: "database",
    privileges: [],
  });
  new Grant(stack, `connect-${name}`, {
    database: name,
    role: name,
    objectType: "database",
    privileges: ["CONNECT", "TEMPORARY"],
  });
  new Schema(stack, `schema-${name}`, { database: name, name, owner: name });
  new SecretsmanagerSecretVersion(stack, `secret-value-${name}`, {
    secretId: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`,
    secretStringWo: "{}",
    secretStringWoVersion: 1,
  });
}
app.synth();
