import { createHash } from "node:crypto";
import { ADMIN_CONNECTION_HEADROOM, ALLOWED_EXTENSIONS, type TenantConfig } from "@pgforks/config";
import { synthScope, tenantFixture } from "@pgforks/testing";
import type { App } from "cdktf";
import {
  EphemeralVariableCredentials,
  SecretsManagerCredentials,
  TENANT_PASSWORDS_VARIABLE,
  TENANT_VERIFIERS_VARIABLE,
} from "../src/credential-sources";
import {
  ADMIN_DATABASE,
  TEMPLATE_DATABASE,
  TENANT_DATABASE_PRIVILEGES,
  TenantDatabases,
} from "../src/databases";
import {
  DATABASE_ENCODING,
  DATABASE_LOCALE,
  DATABASE_TEMPLATE,
  intentsOf,
  tenantFootprint,
} from "../src/footprint";
import { RenderedBlocksStack } from "../src/rendered-blocks";
import { DATABASE_URL_QUERY } from "../src/secret-value";

/** TenantDatabases renders its blocks: its stack merges them. */
const renderedStack = (app: App) => new RenderedBlocksStack(app, "stack");

type Block = Record<string, unknown>;
interface Tf {
  resource: Record<string, Record<string, Block>>;
  ephemeral?: Record<string, Record<string, Block>>;
  variable?: Record<string, Block>;
  removed?: Array<{ from: string; lifecycle: { destroy: boolean } }>;
}

const ADMIN = "forks_admin";
const HOST = "pgforks-test.proxy-abc.us-east-1.rds.amazonaws.com";
const arnOf = (name: string) => `arn:aws:secretsmanager:us-east-1:111111111111:secret:${name}`;

/** Synthesizes TenantDatabases with local (ephemeral variable) or AWS (Secrets Manager) credentials. */
function synth(tenants: readonly TenantConfig[], credentials: "local" | "aws" = "local"): Tf {
  const { parsed } = synthScope((scope) => {
    new TenantDatabases(scope, "tenants", {
      tenants,
      adminRole: ADMIN,
      credentials:
        credentials === "local"
          ? new EphemeralVariableCredentials(scope, "credentials", {
              versions: Object.fromEntries(
                tenants.map((t) => [t.name, `${t.passwordVersion}-abc`]),
              ),
            })
          : new SecretsManagerCredentials(scope, "credentials", {
              secretArns: Object.fromEntries(tenants.map((t) => [t.name, arnOf(t.name)])),
              applicationHost: HOST,
              applicationPort: 5432,
              connectionTarget: { proxy: true, port: 5432 },
            }),
    });
  }, renderedStack);
  const tf = parsed as Tf;
  tf.resource ??= {};
  return tf;
}

const blocks = (tf: Tf, type: string): Array<[string, Block]> =>
  Object.entries(tf.resource[type] ?? {});
function one(tf: Tf, type: string, match: (b: Block) => boolean): [string, Block] {
  const found = blocks(tf, type).filter(([, b]) => match(b));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as [string, Block];
}
const ref = (type: string, address: string, attribute = "name") =>
  `\${${type}.${address}.${attribute}}`;

const alpha = tenantFixture({
  name: "alpha",
  database: "alpha_db",
  connectionLimit: 7,
  readOnlyRole: true,
  extensions: ["citext", "pg_trgm"],
});
const beta = tenantFixture({ name: "beta", connectionLimit: 5 });

describe("one active tenant", () => {
  const tf = synth([alpha, beta]);
  const [roleAddress, role] = one(tf, "postgresql_role", (b) => b.name === "alpha");
  const [dbAddress, db] = one(tf, "postgresql_database", (b) => b.name === "alpha_db");
  const dbRef = ref("postgresql_database", dbAddress);
  const roleRef = ref("postgresql_role", roleAddress);

  test("its role logs in with its own limit and no dangerous attribute; the password is write-only", () => {
    expect(role).toMatchObject({
      login: true,
      connection_limit: 7,
      superuser: false,
      create_database: false,
      create_role: false,
      replication: false,
      bypass_row_level_security: false,
      password_wo: `\${var.${TENANT_VERIFIERS_VARIABLE}.alpha}`,
      password_wo_version: "1-abc",
    });
    expect(role).not.toHaveProperty("password");
  });

  test("its database is the admin's, with the tenant's limit plus the admin's headroom, and cannot be destroyed or renamed by an apply", () => {
    expect(db).toMatchObject({
      owner: ADMIN,
      encoding: DATABASE_ENCODING,
      lc_collate: DATABASE_LOCALE,
      lc_ctype: DATABASE_LOCALE,
      template: DATABASE_TEMPLATE,
      connection_limit: 7 + ADMIN_CONNECTION_HEADROOM,
      allow_connections: true,
      is_template: false,
    });
    const lifecycle = db.lifecycle as {
      prevent_destroy: boolean;
      ignore_changes: string[];
      postcondition: Array<{ condition: string; error_message: string }>;
    };
    expect(lifecycle.prevent_destroy).toBe(true);
    expect(lifecycle.ignore_changes).toEqual(["name"]);
    expect(lifecycle.postcondition).toEqual([
      {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform expression, as synthesized
        condition: '${self.name == "alpha_db"}',
        error_message: expect.stringContaining("Renaming a tenant database is refused"),
      },
    ]);
    // Destroyed before its roles (depends on both).
    expect((db.depends_on as string[]).sort()).toEqual(
      [
        `postgresql_role.${roleAddress}`,
        `postgresql_role.${one(tf, "postgresql_role", (b) => b.name === "alpha_readonly")[0]}`,
      ].sort(),
    );
  });

  test("PUBLIC loses everything on the database, the tenant gets CONNECT and TEMPORARY but not CREATE", () => {
    const grants = blocks(tf, "postgresql_grant").filter(
      ([, b]) => b.database === dbRef && b.object_type === "database",
    );
    const byRole = Object.fromEntries(grants.map(([, b]) => [String(b.role), b.privileges]));
    expect(byRole.public).toEqual([]);
    expect(byRole[roleRef]).toEqual([...TENANT_DATABASE_PRIVILEGES]);
    expect(TENANT_DATABASE_PRIVILEGES).not.toContain("CREATE");
  });

  test("the tenant owns a schema named like its role; extensions go to schema public and never cascade", () => {
    const [, schema] = one(tf, "postgresql_schema", (b) => b.database === dbRef);
    expect(schema).toMatchObject({ name: roleRef, owner: roleRef, drop_cascade: false });
    const extensions = blocks(tf, "postgresql_extension").filter(([, b]) => b.database === dbRef);
    expect(extensions.map(([, b]) => [b.name, b.schema, b.drop_cascade])).toEqual([
      ["citext", "public", false],
      ["pg_trgm", "public", false],
    ]);
  });

  test("the read-only group gets CONNECT, USAGE on the tenant's schema, SELECT now and by default", () => {
    const [readOnlyAddress, readOnly] = one(
      tf,
      "postgresql_role",
      (b) => b.name === "alpha_readonly",
    );
    expect(readOnly).toMatchObject({ login: false, superuser: false });
    expect(readOnly).not.toHaveProperty("password_wo");
    const readOnlyRef = ref("postgresql_role", readOnlyAddress);
    const schemaRef = ref(
      "postgresql_schema",
      one(tf, "postgresql_schema", (b) => b.database === dbRef)[0],
    );
    const grants = blocks(tf, "postgresql_grant").filter(([, b]) => b.role === readOnlyRef);
    expect(grants.map(([, b]) => [b.object_type, b.schema ?? null, b.privileges])).toEqual([
      ["database", null, ["CONNECT"]],
      ["schema", schemaRef, ["USAGE"]],
      ["table", schemaRef, ["SELECT"]],
    ]);
    const [, defaults] = one(tf, "postgresql_default_privileges", (b) => b.role === readOnlyRef);
    expect(defaults).toMatchObject({
      owner: roleRef,
      schema: schemaRef,
      object_type: "table",
      privileges: ["SELECT"],
    });
  });

  test("PUBLIC loses CONNECT and TEMPORARY on the admin database and on template1 once", () => {
    for (const shared of [ADMIN_DATABASE, TEMPLATE_DATABASE]) {
      const grants = blocks(tf, "postgresql_grant").filter(([, b]) => b.database === shared);
      expect(grants.map(([, b]) => [b.role, b.object_type, b.privileges])).toEqual([
        ["public", "database", []],
      ]);
    }
  });
});

test("every grant, schema, default privilege and extension forms one chain of static depends_on addresses", () => {
  const tf = synth([alpha, beta]);
  const linked = [
    "postgresql_grant",
    "postgresql_schema",
    "postgresql_default_privileges",
    "postgresql_extension",
  ].flatMap((type) =>
    blocks(tf, type).map(([address, b]) => ({
      address: `${type}.${address}`,
      dependsOn: (b.depends_on as string[] | undefined) ?? [],
    })),
  );
  const all = new Set(linked.map((l) => l.address));
  // Terraform accepts only bare references in depends_on: no ${...} interpolation.
  for (const link of linked)
    for (const d of link.dependsOn) expect(d).toMatch(/^postgresql_[a-z_]+\.[A-Za-z0-9_-]+$/);
  const starts = linked.filter((l) => !l.dependsOn.some((d) => all.has(d)));
  expect(starts).toHaveLength(1);
  const next = new Map<string, string>();
  for (const link of linked)
    for (const d of link.dependsOn) if (all.has(d)) next.set(d, link.address);
  const walked: string[] = [];
  for (let at: string | undefined = starts[0]?.address; at; at = next.get(at)) walked.push(at);
  expect(walked.sort()).toEqual([...all].sort());
});

test("suspended and retired tenants keep their database and limit but cannot log in", () => {
  for (const state of ["suspended", "retired"] as const) {
    const tf = synth([{ ...beta, state }]);
    expect(one(tf, "postgresql_role", (b) => b.name === "beta")[1]).toMatchObject({
      login: false,
      connection_limit: 0,
    });
    expect(one(tf, "postgresql_database", (b) => b.name === "beta")[1]).toMatchObject({
      connection_limit: 5 + ADMIN_CONNECTION_HEADROOM,
    });
  }
});

test("a dropped tenant has no resources; what lived inside its database is forgotten, not destroyed one by one", () => {
  const dropped = { ...alpha, state: "dropped" as const, confirmDrop: "alpha_db" };
  const kept = synth([beta, alpha]);
  const tf = synth([beta, dropped]);
  expect(JSON.stringify(tf.resource)).not.toMatch(/"alpha/);
  const removed = (tf.removed ?? []).map((r) => r.from);
  expect((tf.removed ?? []).every((r) => r.lifecycle.destroy === false)).toBe(true);
  // Every address the kept tenant had inside its database is covered...
  const inside = [
    "postgresql_grant",
    "postgresql_schema",
    "postgresql_default_privileges",
    "postgresql_extension",
  ].flatMap((type) =>
    blocks(kept, type)
      .filter(([address]) => address.includes("alpha"))
      .map(([address]) => `${type}.${address}`),
  );
  expect(inside.length).toBeGreaterThan(5);
  expect(removed).toEqual(expect.arrayContaining(inside));
  // ...and so is every allow-listed extension, listed or not when the tenant was dropped.
  const extensions = intentsOf(tenantFootprint(dropped, { adminRole: ADMIN }), "extension");
  expect(extensions.map((i) => i.args.name)).toEqual([...ALLOWED_EXTENSIONS]);
  expect(extensions.every((i) => removed.includes(i.address.terraformAddress))).toBe(true);
  // The role and database are not forgotten: the plan destroys them.
  expect(removed.some((r) => /postgresql_(role|database)\./.test(r))).toBe(false);
});

test("AWS credentials: the verifier goes to the role, the password only to the tenant's secret, both with the same version", () => {
  const tf = synth([beta], "aws");
  expect(tf.ephemeral).toBeUndefined();
  for (const name of [TENANT_PASSWORDS_VARIABLE, TENANT_VERIFIERS_VARIABLE]) {
    expect(tf.variable?.[name]).toMatchObject({
      type: "map(string)",
      sensitive: true,
      ephemeral: true,
    });
  }
  const [, role] = one(tf, "postgresql_role", (b) => b.name === "beta");
  expect(role.password_wo).toBe(`\${var.${TENANT_VERIFIERS_VARIABLE}.beta}`);
  const [, secret] = one(tf, "aws_secretsmanager_secret_version", () => true);
  expect(secret.secret_id).toBe(arnOf("beta"));
  expect(String(secret.secret_string_wo)).toContain(
    `"password" = var.${TENANT_PASSWORDS_VARIABLE}.beta`,
  );
  expect(String(secret.secret_string_wo)).not.toContain(TENANT_VERIFIERS_VARIABLE);
  // The URL verifies the server (sslmode=verify-full with the RDS CA bundle).
  expect(String(secret.secret_string_wo)).toContain(DATABASE_URL_QUERY);
  expect(role.password_wo_version).toBe(
    `\${tostring(${String(secret.secret_string_wo_version).replace(/^\$\{(.*)\}$/, "$1")})}`,
  );
  // The version hashes the target, ARN and host (checked against sha256 as Terraform computes it).
  const match = /sha256\(join\("\|", (\[[^\]]*\])\)\)/.exec(
    String(secret.secret_string_wo_version),
  );
  const parts = JSON.parse(match?.[1] ?? "[]") as string[];
  expect(parts).toEqual(["proxy:5432/beta", arnOf("beta"), HOST]);
  expect(createHash("sha256").update(parts.join("|")).digest("hex")).toHaveLength(64);
});

test("refuses a tenant named like the admin", () => {
  expect(() => synth([tenantFixture({ name: ADMIN })])).toThrow(/has the admin role's name/);
});
