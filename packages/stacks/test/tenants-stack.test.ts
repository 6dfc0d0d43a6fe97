import {
  type EnvironmentConfig,
  type LoadedEnvironment,
  loadEnvironment,
  type TenantConfig,
} from "@pgforks/config";
import { RenderedBlocksStack, TenantSecrets } from "@pgforks/tenants";
import { environmentFixture, tenantFixture, withProxyEnabled } from "@pgforks/testing";
import { Testing } from "cdktf";
import { synthesizeInMemory } from "../src/synth";
import {
  ADMIN_CONNECT_TIMEOUT_SECONDS,
  type PlatformOutputs,
  RDS_PROXY_POSTGRESQL_PORT,
  TenantsStack,
  TUNNEL_HOST,
} from "../src/tenants-stack";

type Block = Record<string, unknown>;
interface Tf {
  terraform: { backend: { s3: Block }; required_providers: Record<string, Block> };
  provider: Record<string, Block[]>;
  resource: Record<string, Record<string, Block>>;
  ephemeral: Record<string, Record<string, Block>>;
}

const ADDRESS = "pgforks-test.abc123.us-east-1.rds.amazonaws.com";
const PROXY = "pgforks-test.proxy-abc123.us-east-1.rds.amazonaws.com";
const MASTER_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1234";
const DB_PORT = 5433;

const baseTenants: TenantConfig[] = [
  tenantFixture({ name: "startupwebapp", database: "startupwebapp_prod", readOnlyRole: true }),
  tenantFixture({ name: "healthtech", extensions: ["pg_trgm"] }),
  tenantFixture({ name: "fintech", state: "suspended" }),
];

function loaded(environment: EnvironmentConfig, tenants = baseTenants): LoadedEnvironment {
  return { name: environment.name, dir: "/nowhere", environment, tenants };
}

function platform(environment: EnvironmentConfig, tenants = baseTenants): PlatformOutputs {
  return {
    databaseAddress: ADDRESS,
    databasePort: DB_PORT,
    masterUserSecretArn: MASTER_SECRET,
    proxyEndpoint: environment.proxy.enabled ? PROXY : undefined,
    tenantSecretArns: Object.fromEntries(
      tenants.map((t) => [
        t.name,
        `arn:aws:secretsmanager:us-east-1:123456789012:secret:${t.name}`,
      ]),
    ),
  };
}

function synth(environment: EnvironmentConfig, tenants = baseTenants): Tf {
  const app = Testing.app();
  const stack = new TenantsStack(app, "test-tenants", {
    loaded: loaded(environment, tenants),
    platform: platform(environment, tenants),
  });
  return JSON.parse(Testing.synth(stack)) as Tf;
}

/** `text` as a literal inside a regular expression. */
const asPattern = (text: string | undefined) => (text ?? "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const postgresqlProvider = (tf: Tf): Block => {
  const [provider] = tf.provider.postgresql ?? [];
  if (!provider) throw new Error("no postgresql provider");
  return provider;
};

/** Resource and ephemeral addresses of a synthesized stack. */
function addresses(tf: { resource?: Tf["resource"]; ephemeral?: Tf["ephemeral"] }): Set<string> {
  const out = new Set<string>();
  for (const [kind, types] of Object.entries({ resource: tf.resource, ephemeral: tf.ephemeral })) {
    for (const [type, blocks] of Object.entries(types ?? {})) {
      for (const name of Object.keys(blocks)) out.add(`${kind}.${type}.${name}`);
    }
  }
  return out;
}

// The instance port of the config matches what the fake platform outputs say (DB_PORT).
const withProxy = environmentFixture({ proxy: { enabled: true }, database: { port: DB_PORT } });
const withoutProxy = environmentFixture({ proxy: { enabled: false }, database: { port: DB_PORT } });

describe("TenantsStack: connection of the postgresql provider", () => {
  it("connects to the instance address (not the endpoint) with TLS as a non-superuser", () => {
    const provider = postgresqlProvider(synth(withProxy));
    expect(provider).toMatchObject({
      host: ADDRESS,
      port: DB_PORT,
      database: "postgres",
      sslmode: "require",
      superuser: false,
      connect_timeout: ADMIN_CONNECT_TIMEOUT_SECONDS,
      expected_version: withProxy.database.engineVersion,
    });
    expect(ADMIN_CONNECT_TIMEOUT_SECONDS).toBe(15);
    expect(String(provider.host)).not.toContain(":");
  });

  it("connects to the local end of the tunnel when one is configured", () => {
    const tunnelled = environmentFixture({ tunnel: { localPort: 15432 } });
    expect(postgresqlProvider(synth(tunnelled))).toMatchObject({ host: TUNNEL_HOST, port: 15432 });
    expect(TUNNEL_HOST).toBe("127.0.0.1");
  });

  it("reads the master credentials from the RDS-managed secret through an ephemeral block", () => {
    const tf = synth(withProxy);
    const versions = tf.ephemeral.aws_secretsmanager_secret_version ?? {};
    const entries = Object.entries(versions);
    expect(entries).toHaveLength(1);
    const [name, block] = entries[0] as [string, Block];
    expect(block).toEqual({ secret_id: MASTER_SECRET });
    const secret = `jsondecode(ephemeral.aws_secretsmanager_secret_version.${name}.secret_string)`;
    const provider = postgresqlProvider(tf);
    expect(provider.username).toBe(`\${${secret}.username}`);
    expect(provider.password).toBe(`\${${secret}.password}`);
  });

  it("pins both providers and stores its state in the environment's S3 backend", () => {
    const tf = synth(withProxy);
    expect(tf.terraform.required_providers.postgresql).toMatchObject({
      source: "cyrilgdn/postgresql",
      version: "1.26.0",
    });
    expect(tf.terraform.required_providers.aws).toMatchObject({ version: "5.100.0" });
    expect(tf.terraform.backend.s3).toMatchObject({
      bucket: withProxy.stateBackend.bucket,
      key: `${withProxy.stateBackend.keyPrefix}/test-tenants.tfstate`,
      encrypt: true,
    });
    expect(tf.provider.aws?.[0]).toMatchObject({ allowed_account_ids: [withProxy.account] });
  });
});

describe("TenantsStack: what applications are told", () => {
  const hostAndPort = (tf: Tf) =>
    Object.values(tf.resource.aws_secretsmanager_secret_version ?? {}).map((v) => {
      const value = String(v.secret_string_wo);
      return [/"host" = "([^"]+)"/.exec(value)?.[1], Number(/"port" = (\d+)/.exec(value)?.[1])];
    });

  it("points the secrets at the proxy endpoint (port 5432) when the proxy is on", () => {
    const tf = synth(withProxy);
    expect(hostAndPort(tf)).toEqual(baseTenants.map(() => [PROXY, RDS_PROXY_POSTGRESQL_PORT]));
    expect(RDS_PROXY_POSTGRESQL_PORT).toBe(5432);
  });

  it("points the secrets at the instance address and port when the proxy is off", () => {
    expect(hostAndPort(synth(withoutProxy))).toEqual(baseTenants.map(() => [ADDRESS, DB_PORT]));
  });

  // In the composed app host and port are references to the platform stack (a number token for
  // the port), not literals: DATABASE_URL must interpolate both, the same references as the
  // "host" and "port" keys.
  it.each([
    ["the instance", loadEnvironment("prod")],
    ["the proxy", withProxyEnabled(loadEnvironment("prod"))],
  ])(
    "interpolates host and port into DATABASE_URL when they are platform references (%s)",
    (_, env) => {
      const stack = synthesizeInMemory([env])["prod-tenants"] as unknown as Tf;
      const secrets = Object.values(stack.resource.aws_secretsmanager_secret_version ?? {});
      expect(secrets).toHaveLength(env.tenants.length);
      for (const secret of secrets) {
        const value = String(secret.secret_string_wo);
        const host = /"host" = ([^,]+),/.exec(value)?.[1];
        const port = /"port" = ([^,]+),/.exec(value)?.[1];
        const url = /"DATABASE_URL" = "([^"]+)"/.exec(value)?.[1];
        expect(host).toMatch(/^data\.terraform_remote_state\./);
        // The proxy listens on 5432 whatever the instance's port; the instance's is a reference.
        if (!env.environment.proxy.enabled) expect(port).toMatch(/^data\.terraform_remote_state\./);
        const portInUrl = env.environment.proxy.enabled
          ? String(RDS_PROXY_POSTGRESQL_PORT)
          : `\${${port}}`;
        expect(url).toMatch(
          new RegExp(
            `^postgresql://\\$\\{[^}]+\\}:\\$\\{[^}]+\\}@\\$\\{${asPattern(host)}\\}:${asPattern(portInUrl)}/\\$\\{[^}]+\\}\\?sslmode=verify-full&`,
          ),
        );
      }
    },
  );

  it("refuses platform outputs that disagree with proxy.enabled", () => {
    const app = Testing.app();
    expect(
      () =>
        new TenantsStack(app, "a", {
          loaded: loaded(withProxy),
          platform: { ...platform(withProxy), proxyEndpoint: undefined },
        }),
    ).toThrow(/proxy.enabled is true but the platform outputs have no proxy endpoint/);
  });
});

describe("TenantsStack: no credential in state", () => {
  it("uses ephemeral values (the master secret, the tenant password variables) only in write-only arguments and the provider block", () => {
    const tf = synth(withProxy) as Tf & { variable?: Record<string, Record<string, unknown>> };
    const ephemeralVariables = Object.entries(tf.variable ?? {})
      .filter(([, v]) => v.ephemeral === true)
      .map(([name]) => name);
    expect(ephemeralVariables.sort()).toEqual(["tenant_password_verifiers", "tenant_passwords"]);
    const leaks: string[] = [];
    const visit = (value: unknown, path: string) => {
      if (typeof value === "string") {
        if (
          value.includes("ephemeral.") ||
          ephemeralVariables.some((v) => value.includes(`var.${v}`))
        )
          leaks.push(path);
      } else if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) visit(v, `${path}.${k}`);
      }
    };
    visit(tf.resource, "resource");
    const allowed = (path: string) => /_wo$/.test(path);
    expect(leaks.length).toBeGreaterThan(0);
    expect(leaks.filter((p) => !allowed(p))).toEqual([]);
    for (const [type, blocks] of Object.entries(tf.resource)) {
      for (const block of Object.values(blocks)) {
        expect(Object.keys(block)).not.toContain("password");
        if (type === "aws_secretsmanager_secret_version") {
          expect(Object.keys(block)).not.toContain("secret_string");
        }
      }
    }
  });
});

describe("TenantsStack: adding one tenant", () => {
  const added = tenantFixture({ name: "edtech", database: "edtech_experiment" });

  it("changes the tenants stack only by that tenant's resources", () => {
    const before = synth(withProxy);
    const after = synth(withProxy, [...baseTenants, added]);
    const b = addresses(before);
    const a = addresses(after);
    expect([...b].filter((x) => !a.has(x))).toEqual([]);
    const newOnes = [...a].filter((x) => !b.has(x));
    // role, database, 2 database grants, its schema, secret value (the password is a variable)
    expect(newOnes).toHaveLength(6);
    for (const address of newOnes) expect(address).toMatch(/-edtech(_experiment)?[-_]/);
    // Every block that existed is unchanged, except the one link of the grant chain that now
    // follows the new tenant (edtech sorts before fintech): only its depends_on moves.
    const changed: string[] = [];
    for (const [type, blocks] of Object.entries(before.resource)) {
      for (const [name, block] of Object.entries(blocks)) {
        const next = after.resource[type]?.[name];
        const strip = ({ depends_on: _ignored, ...rest }: Block) => rest;
        expect(strip(next ?? {})).toEqual(strip(block));
        if (JSON.stringify(next) !== JSON.stringify(block)) changed.push(`${type}.${name}`);
      }
    }
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatch(/^postgresql_grant\..*revoke-public-fintech/);
  });

  it("changes the platform's tenant secrets only by that tenant's secret", () => {
    const secretsOnly = (tenants: TenantConfig[]) => {
      const app = Testing.app();
      const stack = new RenderedBlocksStack(app, "secrets");
      new TenantSecrets(stack, "tenant-secrets", {
        environment: environmentFixture({ project: "pgforks", name: "test" }),
        tenants,
        kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/abcd",
      });
      return JSON.parse(Testing.synth(stack)) as Tf;
    };
    const before = secretsOnly(baseTenants);
    const after = secretsOnly([...baseTenants, added]);
    const b = addresses(before);
    const newOnes = [...addresses(after)].filter((x) => !b.has(x));
    expect([...b].filter((x) => !addresses(after).has(x))).toEqual([]);
    expect(newOnes).toEqual([
      expect.stringMatching(/^resource\.aws_secretsmanager_secret\..*edtech/),
    ]);
    expect(after.resource.aws_secretsmanager_secret).toMatchObject(
      before.resource.aws_secretsmanager_secret ?? {},
    );
  });
});
