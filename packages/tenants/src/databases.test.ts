import { createHash } from "node:crypto";
import { Database } from "@cdktf/provider-postgresql/lib/database";
import type { EnvironmentConfig, TenantConfig } from "@pgforks/config";
import { environmentFixture, tenantFixture } from "@pgforks/testing";
import { Testing } from "cdktf";
import { Construct } from "constructs";
import { connectionTarget, credentialsVersion } from "./credentials";
import {
  DATABASE_ENCODING,
  DATABASE_LOCALE,
  TENANT_DATABASE_PRIVILEGES,
  TENANT_PASSWORD_LENGTH,
  TenantDatabases,
  type TenantDatabasesProps,
} from "./databases";
import { DATABASE_URL_QUERY, TENANT_SECRET_KEYS } from "./secret-value";

type Block = Record<string, unknown>;
interface Tf {
  resource: Record<string, Record<string, Block>>;
  ephemeral?: Record<string, Record<string, Block>>;
  moved?: Array<{ from: string; to: string }>;
}

const environment: EnvironmentConfig = environmentFixture();
const ADMIN = environment.database.masterUsername;
const HOST = "pgforks-test.proxy-abc.us-east-1.rds.amazonaws.com";

const arnOf = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`;

/** The shape credentialsVersionExpression synthesizes to when the ARN and host are literals. */
const VERSION_EXPRESSION =
  /^\$\{\((\d+) \+ parseint\(substr\(sha256\(join\("\|", (\[[^\]]*\])\)\), 0, 7\), 16\)\)\}$/;

/** `${tostring(expr)}` (the role's version) -> `${expr}` (the secret's). */
const untostring = (version: string) =>
  version.replace(/^\$\{tostring\((.*)\)\}$/, (_, expression) => `\${${expression}}`);

/** Evaluates a synthesized credentials version as Terraform would (sha256 of the UTF-8 bytes, lowercase hex). */
function evaluateVersion(expression: unknown): number {
  const match = VERSION_EXPRESSION.exec(String(expression));
  if (!match) throw new Error(`not a credentials version expression: ${String(expression)}`);
  const parts = JSON.parse(match[2] ?? "[]") as string[];
  const hex = createHash("sha256").update(parts.join("|"), "utf8").digest("hex");
  return Number(match[1]) + Number.parseInt(hex.slice(0, 7), 16);
}

function synth(tenants: readonly TenantConfig[], extra: Partial<TenantDatabasesProps> = {}): Tf {
  const json = Testing.synthScope((scope) => {
    new TenantDatabases(scope, "tenants", {
      tenants,
      environment,
      secretArns: Object.fromEntries(tenants.map((t) => [t.name, arnOf(t.name)])),
      applicationHost: HOST,
      applicationPort: 5432,
      ...extra,
    });
  });
  const tf = JSON.parse(json) as Tf;
  tf.resource ??= {};
  return tf;
}

const of = (tf: Tf, type: string): Array<[string, Block]> =>
  Object.entries(tf.resource[type] ?? {});
const find = (tf: Tf, type: string, match: (b: Block) => boolean): Array<[string, Block]> =>
  of(tf, type).filter(([, b]) => match(b));
/** The single resource of `type` matching, by address. */
function one(tf: Tf, type: string, match: (b: Block) => boolean): [string, Block] {
  const found = find(tf, type, match);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as [string, Block];
}
const ref = (type: string, address: string, attr = "name") => `\${${type}.${address}.${attr}}`;

function tenantResources(tf: Tf, tenant: string, database = tenant) {
  const [roleAddress, role] = one(tf, "postgresql_role", (b) => b.name === tenant);
  const [dbAddress, db] = one(tf, "postgresql_database", (b) => b.name === database);
  const dbRef = ref("postgresql_database", dbAddress);
  const roleRef = ref("postgresql_role", roleAddress);
  const grants = find(tf, "postgresql_grant", (b) => b.database === dbRef);
  return { roleAddress, role, dbAddress, db, dbRef, roleRef, grants };
}

/** Every grant, default privilege and extension, as `type.address` with its depends_on. */
function chainLinks(tf: Tf): Map<string, string[]> {
  const links = new Map<string, string[]>();
  for (const type of [
    "postgresql_grant_role",
    "postgresql_grant",
    "postgresql_default_privileges",
    "postgresql_extension",
  ]) {
    for (const [address, block] of of(tf, type)) {
      const deps = ((block.depends_on as string[] | undefined) ?? []).map((d) =>
        d.replace(/^\$\{|\}$/g, ""),
      );
      links.set(`${type}.${address}`, deps);
    }
  }
  return links;
}

/** Walks the chain from its single start; fails unless it is one line through every link. */
function walkChain(tf: Tf): string[] {
  const links = chainLinks(tf);
  const starts = [...links].filter(([, deps]) => deps.length === 0).map(([a]) => a);
  expect(starts).toHaveLength(1);
  const next = new Map<string, string>();
  for (const [address, deps] of links) {
    expect(deps.length).toBeLessThanOrEqual(1);
    const previous = deps[0];
    if (previous === undefined) continue;
    expect(links.has(previous)).toBe(true);
    expect(next.has(previous)).toBe(false); // no fork
    next.set(previous, address);
  }
  const order = [starts[0] as string];
  for (let n = next.get(order[0] as string); n; n = next.get(n)) order.push(n);
  expect(order).toHaveLength(links.size);
  return order;
}

const active = tenantFixture({ name: "alpha", connectionLimit: 25, passwordVersion: 3 });
const suspended = tenantFixture({ name: "bravo", state: "suspended", connectionLimit: 7 });
const retired = tenantFixture({ name: "charlie", state: "retired", database: "charlie_db" });
const dropped = tenantFixture({ name: "delta", state: "dropped", confirmDrop: "delta" });

describe("TenantDatabases: roles per lifecycle state", () => {
  const tf = synth([active, suspended, retired, dropped]);

  it("lets an active tenant's role log in with its connection limit", () => {
    const { role } = tenantResources(tf, "alpha");
    expect(role).toMatchObject({ login: true, connection_limit: 25 });
  });

  it.each([
    ["suspended", "bravo", "bravo"],
    ["retired", "charlie", "charlie_db"],
  ])(
    "makes a %s tenant's role NOLOGIN with connection limit 0 and keeps its database",
    (_s, name, db) => {
      const { role, db: database } = tenantResources(tf, name, db);
      expect(role).toMatchObject({ login: false, connection_limit: 0 });
      expect(database.lifecycle).toEqual({ prevent_destroy: true });
    },
  );

  it("gives roles no superuser, createdb, createrole, replication or bypassrls", () => {
    for (const [, role] of of(tf, "postgresql_role")) {
      expect(role).toMatchObject({
        superuser: false,
        create_database: false,
        create_role: false,
        replication: false,
        bypass_row_level_security: false,
      });
    }
  });

  it("creates nothing at all for a dropped tenant (the plan destroys what it had)", () => {
    const json = JSON.stringify(tf);
    expect(json).not.toMatch(/delta/);
    expect(of(tf, "postgresql_role").map(([, r]) => r.name)).toEqual(["alpha", "bravo", "charlie"]);
    expect(of(tf, "aws_secretsmanager_secret_version")).toHaveLength(3);
    expect(Object.keys(tf.ephemeral?.aws_secretsmanager_random_password ?? {})).toHaveLength(3);
  });
});

describe("TenantDatabases: databases", () => {
  const tf = synth([active, suspended, retired]);

  it("creates a UTF8 database owned by the tenant's role, from template0, protected by prevent_destroy", () => {
    for (const [name, dbName] of [
      ["alpha", "alpha"],
      ["bravo", "bravo"],
      ["charlie", "charlie_db"],
    ] as const) {
      const { db, roleRef } = tenantResources(tf, name, dbName);
      expect(db).toMatchObject({
        owner: roleRef,
        encoding: DATABASE_ENCODING,
        lc_collate: DATABASE_LOCALE,
        lc_ctype: DATABASE_LOCALE,
        template: "template0",
        allow_connections: true,
        is_template: false,
        lifecycle: { prevent_destroy: true },
      });
    }
    expect(DATABASE_ENCODING).toBe("UTF8");
  });

  it("keeps the database's connection limit at the tenant's limit in every kept state (0 would lock out the non-superuser master too)", () => {
    expect(tenantResources(tf, "alpha").db.connection_limit).toBe(25);
    expect(tenantResources(tf, "bravo").db.connection_limit).toBe(7);
    expect(tenantResources(tf, "charlie", "charlie_db").db.connection_limit).toBe(
      retired.connectionLimit,
    );
  });

  it("refuses a tenant without a secret ARN and an over-long read-only role name", () => {
    expect(() => synth([active], { secretArns: {} })).toThrow(/"alpha" has no secret ARN/);
    const long = tenantFixture({ name: `t${"x".repeat(55)}`, readOnlyRole: true });
    expect(() => synth([long])).toThrow(/longer than 63 bytes/);
  });
});

describe("TenantDatabases: isolation between tenants", () => {
  const tf = synth([active, suspended, retired]);

  it("revokes every privilege of PUBLIC on each tenant database", () => {
    for (const [name, db] of [
      ["alpha", "alpha"],
      ["bravo", "bravo"],
      ["charlie", "charlie_db"],
    ] as const) {
      const { grants } = tenantResources(tf, name, db);
      const publicGrants = grants.filter(([, g]) => g.role === "public");
      expect(publicGrants).toHaveLength(1);
      expect(publicGrants[0]?.[1]).toMatchObject({ object_type: "database", privileges: [] });
    }
  });

  it("grants CONNECT, CREATE and TEMPORARY to the tenant only (CREATE survives the provider's REVOKE ALL)", () => {
    const { grants, roleRef } = tenantResources(tf, "alpha");
    const byRole = Object.fromEntries(grants.map(([, g]) => [g.role as string, g]));
    expect(Object.keys(byRole).sort()).toEqual(["public", roleRef].sort());
    expect(byRole[roleRef]).toMatchObject({
      object_type: "database",
      privileges: [...TENANT_DATABASE_PRIVILEGES],
    });
    expect([...TENANT_DATABASE_PRIVILEGES].sort()).toEqual(["CONNECT", "CREATE", "TEMPORARY"]);
    // The master user holds nothing directly: it works through its membership in the owner.
    expect(grants.map(([, g]) => g.role)).not.toContain(ADMIN);
  });

  it("makes the master user an inheriting member of each tenant role, without ADMIN", () => {
    for (const name of ["alpha", "bravo", "charlie"]) {
      const { roleRef } = tenantResources(tf, name, name === "charlie" ? "charlie_db" : name);
      const [, membership] = one(tf, "postgresql_grant_role", (g) => g.grant_role === roleRef);
      expect(membership).toMatchObject({ role: ADMIN, with_admin_option: false });
      // PostgreSQL 16's implicit creator membership reads back with admin_option = true.
      expect(membership).toMatchObject({ lifecycle: { ignore_changes: ["with_admin_option"] } });
    }
  });

  it("puts the membership first: the database and every grant of the tenant come after it", () => {
    const order = walkChain(tf);
    const { grants, db, roleRef } = tenantResources(tf, "alpha");
    const [membershipAddress] = one(tf, "postgresql_grant_role", (g) => g.grant_role === roleRef);
    const membership = `postgresql_grant_role.${membershipAddress}`;
    const at = (role: string) => {
      const entry = grants.find(([, g]) => g.role === role);
      return order.indexOf(`postgresql_grant.${entry?.[0]}`);
    };
    expect(order.indexOf(membership)).toBeLessThan(at("public"));
    expect(at("public")).toBeLessThan(at(roleRef));
    expect(db.depends_on).toEqual([membership]);
  });
});

describe("TenantDatabases: serialized grants", () => {
  const tenants = [
    tenantFixture({ name: "zulu", extensions: ["pgcrypto", "citext"], readOnlyRole: true }),
    active,
    tenantFixture({ name: "mike", readOnlyRole: true }),
    suspended,
  ];

  it("puts every grant, default privilege and extension of all tenants in one chain", () => {
    const tf = synth(tenants);
    const order = walkChain(tf);
    // Membership + 2 database grants per tenant, 2 extensions, 4 read-only links per read-only tenant.
    expect(order).toHaveLength(4 * 3 + 2 + 2 * 4);
  });

  it("orders the chain by tenant name whatever the order of tenants.yaml", () => {
    const forward = walkChain(synth(tenants));
    const backward = walkChain(synth([...tenants].reverse()));
    expect(backward).toEqual(forward);
    const firstOf = (name: string) => forward.findIndex((a) => a.includes(`-${name}`));
    const names = ["alpha", "bravo", "mike", "zulu"];
    const firsts = names.map(firstOf);
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
  });
});

describe("TenantDatabases: extensions", () => {
  it("creates the allow-listed extensions inside the tenant database, after its grants", () => {
    const tf = synth([tenantFixture({ name: "alpha", extensions: ["pg_trgm", "citext"] })]);
    const { dbRef } = tenantResources(tf, "alpha");
    const extensions = of(tf, "postgresql_extension");
    expect(extensions.map(([, e]) => e.name).sort()).toEqual(["citext", "pg_trgm"]);
    for (const [, e] of extensions) {
      expect(e).toMatchObject({ database: dbRef, drop_cascade: false });
    }
    const order = walkChain(tf);
    const lastGrant = Math.max(
      ...order.map((a, i) => (a.startsWith("postgresql_grant.") ? i : -1)),
    );
    const firstExtension = order.findIndex((a) => a.startsWith("postgresql_extension."));
    expect(firstExtension).toBeGreaterThan(lastGrant);
  });

  it("creates none when the tenant asks for none", () => {
    expect(of(synth([active]), "postgresql_extension")).toEqual([]);
  });
});

describe("TenantDatabases: read-only role", () => {
  it("creates <name>_readonly as a NOLOGIN group with CONNECT, USAGE, SELECT and default privileges", () => {
    const tf = synth([tenantFixture({ name: "alpha", readOnlyRole: true })]);
    const { dbRef, roleRef } = tenantResources(tf, "alpha");
    const [roAddress, ro] = one(tf, "postgresql_role", (b) => b.name === "alpha_readonly");
    expect(ro).toMatchObject({ login: false, superuser: false, create_database: false });
    expect(ro).not.toHaveProperty("password_wo");
    const roRef = ref("postgresql_role", roAddress);
    const grants = find(tf, "postgresql_grant", (g) => g.role === roRef).map(([, g]) => g);
    expect(grants).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          database: dbRef,
          object_type: "database",
          privileges: ["CONNECT"],
        }),
        expect.objectContaining({
          database: dbRef,
          object_type: "schema",
          schema: "public",
          privileges: ["USAGE"],
        }),
        expect.objectContaining({
          database: dbRef,
          object_type: "table",
          schema: "public",
          privileges: ["SELECT"],
        }),
      ]),
    );
    expect(grants).toHaveLength(3);
    const [, defaults] = one(tf, "postgresql_default_privileges", () => true);
    expect(defaults).toMatchObject({
      database: dbRef,
      owner: roleRef,
      role: roRef,
      schema: "public",
      object_type: "table",
      privileges: ["SELECT"],
    });
  });

  it("takes CONNECT away from the read-only group while the tenant is not active", () => {
    const tf = synth([tenantFixture({ name: "alpha", readOnlyRole: true, state: "suspended" })]);
    const [roAddress] = one(tf, "postgresql_role", (b) => b.name === "alpha_readonly");
    const [, connect] = one(
      tf,
      "postgresql_grant",
      (g) => g.role === ref("postgresql_role", roAddress) && g.object_type === "database",
    );
    expect(connect.privileges).toEqual([]);
  });

  it("is not created unless asked for", () => {
    const tf = synth([active]);
    expect(find(tf, "postgresql_role", (b) => String(b.name).endsWith("_readonly"))).toEqual([]);
    expect(of(tf, "postgresql_default_privileges")).toEqual([]);
  });
});

describe("TenantDatabases: passwords and secret values", () => {
  const tf = synth([active, suspended]);

  it("draws each tenant's password from an ephemeral aws_secretsmanager_random_password (URL-safe)", () => {
    const passwords = tf.ephemeral?.aws_secretsmanager_random_password ?? {};
    expect(Object.values(passwords)).toEqual([
      {
        password_length: TENANT_PASSWORD_LENGTH,
        exclude_punctuation: true,
        require_each_included_type: true,
      },
      {
        password_length: TENANT_PASSWORD_LENGTH,
        exclude_punctuation: true,
        require_each_included_type: true,
      },
    ]);
    expect(TENANT_PASSWORD_LENGTH).toBe(40);
  });

  const alphaVersion = credentialsVersion({
    passwordVersion: 3,
    target: connectionTarget(environment, active),
    secretArn: arnOf("alpha"),
    host: HOST,
  });

  it("sets the role password write-only, versioned by passwordVersion, target, secret ARN and host", () => {
    const { role } = tenantResources(tf, "alpha");
    expect(role.password_wo).toMatch(
      /^\$\{ephemeral\.aws_secretsmanager_random_password\.[^.]+\.random_password\}$/,
    );
    const version = String(role.password_wo_version);
    expect(version).toMatch(/^\$\{tostring\(.*\)\}$/);
    expect(version).toContain(`"${arnOf("alpha")}"`);
    expect(version).toContain(`"${HOST}"`);
    expect(evaluateVersion(untostring(version))).toBe(alphaVersion);
    expect(Math.floor(alphaVersion / 1e9)).toBe(3); // passwordVersion reads in the leading digits
    expect(role).not.toHaveProperty("password");
  });

  it("writes the secret value write-only with the same password and the same version expression", () => {
    const { role } = tenantResources(tf, "alpha");
    const [, version] = one(
      tf,
      "aws_secretsmanager_secret_version",
      (v) => v.secret_id === arnOf("alpha"),
    );
    // The role's version is tostring() of exactly the secret's: they cannot drift apart.
    expect(role.password_wo_version).toBe(
      String(version.secret_string_wo_version).replace(
        /^\$\{(.*)\}$/,
        (_, e) => `\${tostring(${e})}`,
      ),
    );
    expect(evaluateVersion(version.secret_string_wo_version)).toBe(alphaVersion);
    expect(version).not.toHaveProperty("secret_string");
    const value = String(version.secret_string_wo);
    const password = String(role.password_wo).replace(/^\$\{|\}$/g, "");
    expect(value.startsWith("${jsonencode({")).toBe(true);
    expect(value).toContain(`"password" = ${password}`);
    for (const key of TENANT_SECRET_KEYS) expect(value).toContain(`"${key}" = `);
    expect(value).toContain(`"engine" = "postgres"`);
    expect(value).toContain(`"host" = "${HOST}"`);
    expect(value).toContain(`"port" = 5432`);
    expect(value).toMatch(
      new RegExp(
        `"DATABASE_URL" = "postgresql://\\$\\{postgresql_role\\.[^}]+\\.name\\}:\\$\\{${password.replace(/\./g, "\\.")}\\}@${HOST.replace(/\./g, "\\.")}:5432/\\$\\{postgresql_database\\.[^}]+\\.name\\}\\?${DATABASE_URL_QUERY.replace(/\./g, "\\.")}"`,
      ),
    );
  });

  it("lets ephemeral values reach write-only arguments only", () => {
    for (const [type, blocks] of Object.entries(tf.resource)) {
      for (const [address, block] of Object.entries(blocks)) {
        for (const [attribute, value] of Object.entries(block)) {
          if (JSON.stringify(value).includes("ephemeral.")) {
            expect(`${type}.${address}.${attribute}`).toMatch(/_wo$/);
          }
        }
      }
    }
  });
});

describe("TenantDatabases: adding a tenant", () => {
  it("adds only the new tenant's resources and leaves every other block as it was", () => {
    const base = [active, suspended, tenantFixture({ name: "mike", readOnlyRole: true })];
    const before = synth(base);
    const after = synth([
      ...base,
      tenantFixture({ name: "yankee", database: "yankee_db", extensions: ["citext"] }),
    ]);
    const addresses = (tf: Tf) => {
      const out = new Map<string, Block>();
      for (const [kind, types] of [
        ["resource", tf.resource],
        ["ephemeral", tf.ephemeral ?? {}],
      ] as const) {
        for (const [type, blocks] of Object.entries(types)) {
          for (const [name, block] of Object.entries(blocks))
            out.set(`${kind}.${type}.${name}`, block);
        }
      }
      return out;
    };
    const b = addresses(before);
    const a = addresses(after);
    const added = [...a.keys()].filter((k) => !b.has(k));
    expect([...b.keys()].filter((k) => !a.has(k))).toEqual([]);
    for (const [address, block] of b) expect(a.get(address)).toEqual(block);
    // role, membership, database, 2 database grants, 1 extension, secret value, ephemeral password
    expect(added).toHaveLength(8);
    for (const address of added) expect(address).toMatch(/-yankee(_db)?[-_]/);
  });
});

describe("TenantDatabases: credentials version follows the connection target", () => {
  const versions = (tf: Tf, tenant: string, database = tenant) => {
    const { role, roleRef } = tenantResources(tf, tenant, database);
    const [, secret] = one(tf, "aws_secretsmanager_secret_version", (v) =>
      String(v.secret_string_wo).includes(roleRef.replace(/^\$\{|\}$/g, "")),
    );
    const roleVersion = untostring(String(role.password_wo_version));
    return {
      role: evaluateVersion(roleVersion),
      secret: evaluateVersion(secret.secret_string_wo_version),
    };
  };
  const proxyOn = environmentFixture({ proxy: { enabled: true } });
  const proxyOff = environmentFixture({ proxy: { enabled: false } });
  const synthIn = (env: EnvironmentConfig, tenants: readonly TenantConfig[], port: number) =>
    synth(tenants, { environment: env, applicationPort: port });

  it("turning the proxy on changes the role's and the secret's version, identically", () => {
    const before = versions(synthIn(proxyOff, [active], proxyOff.database.port), "alpha");
    const after = versions(synthIn(proxyOn, [active], 5432), "alpha");
    expect(before.role).toBe(before.secret);
    expect(after.role).toBe(after.secret);
    expect(after.role).not.toBe(before.role);
  });

  it("changing the instance port changes it while the proxy is off", () => {
    const moved = environmentFixture({ proxy: { enabled: false }, database: { port: 6543 } });
    const before = versions(synthIn(proxyOff, [active], proxyOff.database.port), "alpha");
    const after = versions(synthIn(moved, [active], 6543), "alpha");
    expect(after.role).not.toBe(before.role);
    expect(after.role).toBe(after.secret);
  });

  it("renaming the database changes it (the secret's dbname must be rewritten)", () => {
    const renamed = { ...active, database: "alpha_v2" };
    const before = versions(synth([active]), "alpha");
    const after = versions(synth([renamed]), "alpha", "alpha_v2");
    expect(after.role).not.toBe(before.role);
  });

  it("a recreated secret (new ARN) changes it, so the new secret version gets the role's new password", () => {
    const before = versions(synth([active]), "alpha");
    const after = versions(
      synth([active], { secretArns: { alpha: `${arnOf("alpha")}-n3wSfx` } }),
      "alpha",
    );
    expect(after.role).not.toBe(before.role);
    expect(after.role).toBe(after.secret);
  });

  it("a new host (proxy endpoint or instance address) changes it, so the secret's host is rewritten", () => {
    const before = versions(synth([active]), "alpha");
    const after = versions(
      synth([active], { applicationHost: "pgforks-test-2.proxy-xyz.us-east-1.rds.amazonaws.com" }),
      "alpha",
    );
    expect(after.role).not.toBe(before.role);
    expect(after.role).toBe(after.secret);
  });

  it("a plain config change (limit, extensions, read-only role, description) leaves it alone", () => {
    const changed = {
      ...active,
      connectionLimit: 30,
      extensions: ["citext" as const],
      readOnlyRole: true,
      description: "changed",
    };
    expect(versions(synth([changed]), "alpha")).toEqual(versions(synth([active]), "alpha"));
  });

  it("refuses an applicationPort that disagrees with the connection target", () => {
    expect(() =>
      synth([active], { applicationPort: 6543, connectionTarget: { proxy: true, port: 5432 } }),
    ).toThrow(/applicationPort 6543 differs from connectionTarget.port 5432/);
  });
});

describe("TenantDatabases: addresses keyed by tenant name", () => {
  const addressOf = (tf: Tf, type: string, match: (b: Block) => boolean) => one(tf, type, match)[0];

  it("keeps the database at the same address when it is renamed (an in-place ALTER DATABASE RENAME)", () => {
    const before = synth([retired]);
    const after = synth([{ ...retired, database: "charlie_renamed" }]);
    const was = addressOf(before, "postgresql_database", (b) => b.name === "charlie_db");
    const now = addressOf(after, "postgresql_database", (b) => b.name === "charlie_renamed");
    expect(now).toBe(was);
    expect(now).toMatch(/database-charlie_/);
    const { db } = tenantResources(after, "charlie", "charlie_renamed");
    expect(db.lifecycle).toEqual({ prevent_destroy: true });
  });

  it("keys extensions by tenant name as well", () => {
    const withExt = { ...retired, extensions: ["citext" as const] };
    const before = synth([withExt]);
    const after = synth([{ ...withExt, database: "charlie_renamed" }]);
    expect(Object.keys(after.resource.postgresql_extension ?? {})).toEqual(
      Object.keys(before.resource.postgresql_extension ?? {}),
    );
  });

  it("moves databases and extensions from their earlier database-name addresses", () => {
    const withExt = { ...retired, extensions: ["citext" as const] };
    const tf = synth([active, withExt]);
    // The addresses the earlier version synthesized: same scope path, ids keyed by database name.
    const earlier = JSON.parse(
      Testing.synthScope((scope) => {
        const c = new Construct(scope, "tenants");
        new Database(c, "database-charlie_db", { name: "charlie_db" });
      }),
    ) as Tf;
    const oldDb = Object.keys(earlier.resource.postgresql_database ?? {})[0];
    const dbAddress = addressOf(tf, "postgresql_database", (b) => b.name === "charlie_db");
    const extAddress = addressOf(tf, "postgresql_extension", () => true);
    expect(tf.moved).toEqual(
      expect.arrayContaining([
        { from: `postgresql_database.${oldDb}`, to: `postgresql_database.${dbAddress}` },
        {
          from: expect.stringMatching(
            /^postgresql_extension\.tenants_extension-charlie_db-citext_/,
          ),
          to: `postgresql_extension.${extAddress}`,
        },
      ]),
    );
    // alpha's database is named like the tenant: its id never changed, nothing to move.
    expect(tf.moved).toHaveLength(2);
  });

  it("refuses a database named like another tenant when its earlier address is taken", () => {
    const bravoDb = { ...suspended, database: "bravo_db" };
    const alphaNamedBravo = { ...active, database: "bravo" };
    expect(() => synth([alphaNamedBravo, bravoDb])).toThrow(
      /tenant "alpha" had construct id "database-bravo"/,
    );
  });
});
