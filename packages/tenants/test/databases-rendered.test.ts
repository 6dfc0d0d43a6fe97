import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Database } from "@cdktf/provider-postgresql/lib/database";
import { DefaultPrivileges } from "@cdktf/provider-postgresql/lib/default-privileges";
import { Extension } from "@cdktf/provider-postgresql/lib/extension";
import { Grant } from "@cdktf/provider-postgresql/lib/grant";
import { PostgresqlProvider } from "@cdktf/provider-postgresql/lib/provider";
import { Role } from "@cdktf/provider-postgresql/lib/role";
import { Schema } from "@cdktf/provider-postgresql/lib/schema";
import { type TenantConfig, tenantDatabaseName } from "@pgforks/config";
import { environmentFixture, synthApp, tenantFixture } from "@pgforks/testing";
import {
  Fn,
  ref,
  type TerraformProvider,
  type TerraformResource,
  TerraformStack,
  type TerraformVariable,
  Token,
} from "cdktf";
import { Construct } from "constructs";
import {
  EphemeralVariableCredentials,
  SecretsManagerCredentials,
  TENANT_PASSWORDS_VARIABLE,
  TENANT_VERIFIERS_VARIABLE,
  type TenantCredentialSource,
} from "../src/credential-sources";
import {
  type ConnectionTarget,
  credentialsHashParts,
  credentialsVersionOf,
  describeConnectionTarget,
  scaledPasswordVersion,
} from "../src/credentials";
import { ADMIN_DATABASE, TEMPLATE_DATABASE, TenantDatabases } from "../src/databases";
import {
  DEFAULT_FOOTPRINT_SCOPES,
  type FootprintEnvironment,
  intentOf,
  PUBLIC_ROLE,
  type TenantIntent,
  tenantConstructIds,
  tenantFootprint,
} from "../src/footprint";
import { checkAddress, terraformAddress } from "../src/logical-ids";
import { RenderedBlocksStack } from "../src/rendered-blocks";
import { tenantSecretValue } from "../src/secret-value";
import { TenantSecrets } from "../src/secrets";

const ADMIN = "forks_admin";
const HOST = "pgforks-test.proxy-abc.us-east-1.rds.amazonaws.com";
const arnOf = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`;

/** Every state and every optional kind: extensions, read-only groups, suspended, retired, dropped. */
const tenants: TenantConfig[] = [
  tenantFixture({ name: "alpha", readOnlyRole: true, extensions: ["citext", "pg_trgm"] }),
  tenantFixture({ name: "bravo", state: "suspended", readOnlyRole: true }),
  tenantFixture({ name: "charlie", state: "retired", extensions: ["pg_trgm"] }),
  tenantFixture({ name: "delta", state: "dropped", confirmDrop: "delta" }),
  tenantFixture({ name: "echo", database: "echo_main", connectionLimit: 3 }),
];

type Credentials = "local" | "aws";

function credentialsOf(scope: Construct, kind: Credentials): TenantCredentialSource {
  const kept = tenants.filter((t) => t.state !== "dropped");
  return kind === "local"
    ? new EphemeralVariableCredentials(scope, "credentials", {
        versions: Object.fromEntries(kept.map((t) => [t.name, `${t.passwordVersion}-abc`])),
      })
    : new SecretsManagerCredentials(scope, "credentials", {
        secretArns: Object.fromEntries(kept.map((t) => [t.name, arnOf(t.name)])),
        applicationHost: HOST,
        applicationPort: 5432,
        connectionTarget: { proxy: true, port: 5432 },
      });
}

/** What the secret values are made of (AWS credentials): the props SecretsManagerCredentials got. */
interface SecretValueInputs {
  readonly arns: Readonly<Record<string, string>>;
  readonly host: string;
  readonly port: number;
  readonly target: Pick<ConnectionTarget, "proxy" | "port">;
}

/** A variable of the credential source (`tenant_passwords`, `tenant_password_verifiers`). */
function variableOf(credentials: TenantCredentialSource, name: string): TerraformVariable {
  return (credentials as unknown as Construct).node.findChild(name) as TerraformVariable;
}

/**
 * A tenant's credentials version as the cdktf expression credentialsVersionExpression writes,
 * over its secret's ARN and the host (tokens or literals).
 */
function versionExpression(tenant: TenantConfig, inputs: SecretValueInputs): number {
  return credentialsVersionOf(
    scaledPasswordVersion(tenant.passwordVersion),
    credentialsHashParts({
      target: describeConnectionTarget({ ...inputs.target, database: tenantDatabaseName(tenant) }),
      secretArn: inputs.arns[tenant.name] as string,
      host: inputs.host,
    }),
  );
}

/**
 * What TenantDatabases synthesized while every tenant resource was a construct of the postgresql
 * binding (Role, Database, Grant, Schema, Extension, DefaultPrivileges at `tenants/<id>`, from the
 * footprint's arguments, wired by reference and chained by depends_on), for the comparison below.
 */
function constructsReference(
  scope: Construct,
  credentials: TenantCredentialSource,
  provider: TerraformProvider | undefined,
  secretValue?: SecretValueInputs,
): void {
  const databases = new Construct(scope, "tenants");
  const environment: FootprintEnvironment = { adminRole: ADMIN };
  const scopes = { ...DEFAULT_FOOTPRINT_SCOPES, databases: ["tenants"] };
  const chain: TerraformResource[] = [];
  const link = <T extends TerraformResource>(resource: T): T => {
    const previous = chain[chain.length - 1];
    if (previous) resource.dependsOn = [terraformAddress(previous)];
    chain.push(resource);
    return resource;
  };
  for (const [id, database] of [
    ["revoke-public-admin-database", ADMIN_DATABASE],
    ["revoke-public-template-database", TEMPLATE_DATABASE],
  ] as const) {
    link(
      new Grant(databases, id, {
        provider,
        database,
        role: PUBLIC_ROLE,
        objectType: "database",
        privileges: [],
      }),
    );
  }
  const built = <R extends TerraformResource>(intent: TenantIntent, resource: R): R => {
    checkAddress(intent, resource);
    return resource;
  };
  const idOf = (intent: TenantIntent) => intent.address.constructPath.at(-1) as string;
  const kept = tenants.filter((t) => t.state !== "dropped");
  for (const tenant of [...kept].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const intents = tenantFootprint(tenant, environment, scopes, "tenants");
    const roleIntent = intentOf(intents, "role");
    const databaseIntent = intentOf(intents, "database");
    if (!roleIntent || !databaseIntent) throw new Error(`incomplete footprint of ${tenant.name}`);
    const role = built(
      roleIntent,
      new Role(databases, idOf(roleIntent), {
        provider,
        ...roleIntent.args,
        // The binding's arguments as cdktf expressions, not the source's rendered texts.
        passwordWo: Token.asString(
          Fn.lookup(variableOf(credentials, TENANT_VERIFIERS_VARIABLE).value, tenant.name),
        ),
        passwordWoVersion: secretValue
          ? Fn.tostring(Token.asString(versionExpression(tenant, secretValue)))
          : (credentials.rolePasswordVersion(tenant) as string),
      }),
    );
    const readOnlyIntent = intentOf(intents, "read-only role");
    const readOnlyRole = readOnlyIntent
      ? built(
          readOnlyIntent,
          new Role(databases, idOf(readOnlyIntent), { provider, ...readOnlyIntent.args }),
        )
      : undefined;
    const dbName = databaseIntent.args.name;
    const database = built(
      databaseIntent,
      new Database(databases, idOf(databaseIntent), {
        provider,
        ...databaseIntent.args,
        lifecycle: {
          preventDestroy: true,
          ignoreChanges: ["name"],
          postcondition: [
            {
              condition: `\${self.name == ${JSON.stringify(dbName)}}`,
              errorMessage: `Tenant "${tenant.name}" is configured with database "${dbName}", but its database has another name. Renaming a tenant database is refused: it needs every session gone and moves every grant (docs/operations.md, "Renaming a database").`,
            },
          ],
        },
        dependsOn: readOnlyRole ? [role, readOnlyRole] : [role],
      }),
    );
    const roles = new Map<string, string>([[tenant.name, role.name]]);
    if (readOnlyRole && readOnlyIntent) roles.set(readOnlyIntent.args.name, readOnlyRole.name);
    const schemas = new Map<string, string>();
    const named = (names: ReadonlyMap<string, string>, value: string) => names.get(value) ?? value;
    const wire = <A extends { database?: string; role?: string; owner?: string; schema?: string }>(
      args: A,
    ): A => ({
      ...args,
      ...(args.database === dbName ? { database: database.name } : {}),
      ...(args.role !== undefined ? { role: named(roles, args.role) } : {}),
      ...(args.owner !== undefined ? { owner: named(roles, args.owner) } : {}),
      ...(args.schema !== undefined ? { schema: named(schemas, args.schema) } : {}),
    });
    for (const intent of intents) {
      const id = idOf(intent);
      switch (intent.kind) {
        case "grant":
          link(built(intent, new Grant(databases, id, { provider, ...wire(intent.args) })));
          break;
        case "schema": {
          const schema = link(
            built(
              intent,
              new Schema(databases, id, {
                provider,
                ...wire(intent.args),
                name: named(roles, intent.args.name),
              }),
            ),
          );
          schemas.set(intent.args.name, schema.name);
          break;
        }
        case "extension":
          link(built(intent, new Extension(databases, id, { provider, ...wire(intent.args) })));
          break;
        case "default privileges":
          link(
            built(intent, new DefaultPrivileges(databases, id, { provider, ...wire(intent.args) })),
          );
          break;
        default:
          break;
      }
    }
    if (secretValue) {
      // The binding's construct with the plain expressions (no ExpressionTemplate): what
      // SecretsManagerCredentials.publish wrote as a construct.
      const passwords = variableOf(credentials, TENANT_PASSWORDS_VARIABLE);
      const portInUrl = Token.isUnresolved(secretValue.port)
        ? Token.asString(secretValue.port)
        : String(secretValue.port);
      new SecretsmanagerSecretVersion(databases, tenantConstructIds(tenant.name).secretValue, {
        secretId: secretValue.arns[tenant.name] as string,
        secretStringWo: Fn.jsonencode(
          tenantSecretValue({
            host: secretValue.host,
            port: secretValue.port,
            portInUrl,
            username: role.name,
            password: Token.asString(Fn.lookup(passwords.value, tenant.name)),
            dbname: database.name,
          }),
        ),
        secretStringWoVersion: versionExpression(tenant, secretValue),
      });
    }
  }
  const removed = tenants
    .filter((t) => t.state === "dropped")
    .flatMap((t) => tenantFootprint(t, environment, scopes, "tenants"))
    .filter((i) => i.state === "forgotten")
    .map((i) => ({ from: i.address.terraformAddress, lifecycle: { destroy: false } }));
  if (removed.length > 0) TerraformStack.of(scope).addOverride("removed", removed);
}

/** Which postgresql provider TenantDatabases gets: none (the stack's default), the unaliased one, an aliased one. */
type ProviderCase = "none" | "unaliased" | "aliased";

/** The app with TenantDatabases (rendered) or the reference constructs, in stack "tenants-stack". */
function appWith(kind: "rendered" | "constructs", credentials: Credentials, which: ProviderCase) {
  return synthApp((app) => {
    const stack = new RenderedBlocksStack(app, "tenants-stack");
    new AwsProvider(stack, "aws", { region: "us-east-1" });
    const unaliased = new PostgresqlProvider(stack, "postgresql", { host: "db.example.com" });
    const provider =
      which === "none"
        ? undefined
        : which === "unaliased"
          ? unaliased
          : new PostgresqlProvider(stack, "postgresql-aliased", {
              alias: "tenants",
              host: "db.example.com",
            });
    const source = credentialsOf(stack, credentials);
    if (kind === "rendered") {
      new TenantDatabases(stack, "tenants", {
        tenants,
        adminRole: ADMIN,
        credentials: source,
        postgresqlProvider: provider,
      });
    } else {
      const kept = tenants.filter((t) => t.state !== "dropped");
      constructsReference(
        stack,
        source,
        provider,
        credentials === "aws"
          ? {
              arns: Object.fromEntries(kept.map((t) => [t.name, arnOf(t.name)])),
              host: HOST,
              port: 5432,
              target: { proxy: true, port: 5432 },
            }
          : undefined,
      );
    }
  });
}

describe("TenantDatabases renders what the postgresql binding's constructs synthesize", () => {
  for (const credentials of ["local", "aws"] as const) {
    for (const which of ["none", "unaliased", "aliased"] as const) {
      it(`with ${credentials} credentials and provider: ${which}`, () => {
        const rendered = appWith("rendered", credentials, which);
        const constructs = appWith("constructs", credentials, which);
        const resourcesOf = (app: typeof rendered) =>
          (app["tenants-stack"] as { resource: Record<string, object> }).resource;
        const resource = resourcesOf(constructs);
        // Every kind, each more than once, compared kind by kind, then the whole app.
        for (const type of [
          "postgresql_role",
          "postgresql_database",
          "postgresql_grant",
          "postgresql_schema",
          "postgresql_extension",
          "postgresql_default_privileges",
        ]) {
          expect(Object.keys(resource[type] ?? {}).length).toBeGreaterThan(1);
          expect(resourcesOf(rendered)[type]).toEqual(resource[type]);
        }
        expect(rendered).toEqual(constructs);
      });
    }
  }
});

/**
 * Two stacks as the environments have them: the tenants' secrets and the instance in "platform",
 * TenantDatabases with AWS credentials in "tenants", whose role versions and secret values
 * reference the platform across stacks (ARNs, address, port).
 */
function crossStackAppWith(
  kind: "rendered" | "constructs",
  secrets: "constructs" | "rendered" = "constructs",
) {
  return synthApp((app) => {
    const platform = new RenderedBlocksStack(app, "platform");
    new AwsProvider(platform, "aws", { region: "us-east-1" });
    const kept = tenants.filter((t) => t.state !== "dropped");
    // The secrets as constructs of the binding, or rendered by TenantSecrets (as the platform
    // stack has them): their ARNs reach the tenants stack through cdktf's cross-stack wiring,
    // or through rendered outputs (renderedReferenceText).
    const secretArns =
      secrets === "rendered"
        ? new TenantSecrets(platform, "tenant-secrets", {
            environment: environmentFixture(),
            tenants,
            kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/abcd",
          }).secretArns
        : Object.fromEntries(
            kept.map((t) => [
              t.name,
              new SecretsmanagerSecret(platform, `secret-${t.name}`, { name: t.name }).arn,
            ]),
          );
    const address = Token.asString(ref("aws_db_instance.database.address", platform));
    const port = Token.asNumber(ref("aws_db_instance.database.port", platform));
    const stack = new RenderedBlocksStack(app, "tenants-stack");
    new AwsProvider(stack, "aws", { region: "us-east-1" });
    new PostgresqlProvider(stack, "postgresql", { host: address, port });
    const source = new SecretsManagerCredentials(stack, "credentials", {
      secretArns,
      applicationHost: address,
      applicationPort: port,
      connectionTarget: { proxy: false, port: 5432 },
    });
    if (kind === "rendered") {
      new TenantDatabases(stack, "tenants", { tenants, adminRole: ADMIN, credentials: source });
    } else {
      constructsReference(stack, source, undefined, {
        arns: secretArns,
        host: address,
        port,
        target: { proxy: false, port: 5432 },
      });
    }
  });
}

describe("TenantDatabases with references across stacks", () => {
  it("reads rendered secrets' ARNs through rendered outputs, as cdktf wires the same references", () => {
    const rendered = crossStackAppWith("rendered", "rendered");
    const constructs = crossStackAppWith("constructs", "rendered");
    const platform = constructs.platform as {
      output: Record<string, object>;
      "//": { outputs: Record<string, Record<string, string>> };
    };
    // cdktf made an output per ARN for the constructs; the rendered app has the same ones.
    const arnOutputs = Object.keys(platform.output).filter((k) =>
      k.startsWith("cross-stack-output-aws_secretsmanager_secret"),
    );
    expect(arnOutputs).toHaveLength(4);
    expect((rendered.platform as typeof platform).output).toEqual(platform.output);
    expect((rendered.platform as typeof platform)["//"].outputs).toEqual(platform["//"].outputs);
    expect(rendered).toEqual(constructs);
  });

  it("writes the same outputs, remote state, roles and secret values as the constructs", () => {
    const rendered = crossStackAppWith("rendered");
    const constructs = crossStackAppWith("constructs");
    const platform = constructs.platform as { output: Record<string, object> };
    const tenantsStack = constructs["tenants-stack"] as {
      data: Record<string, object>;
      resource: Record<string, Record<string, Record<string, unknown>>>;
    };
    // The reference app does cross stacks: an output per ARN, the address and the port.
    expect(
      Object.keys(platform.output).filter((k) => k.startsWith("cross-stack-output-")),
    ).toHaveLength(6);
    expect(Object.keys(tenantsStack.data.terraform_remote_state ?? {})).toEqual([
      "cross-stack-reference-input-platform",
    ]);
    const roles = Object.values(tenantsStack.resource.postgresql_role ?? {});
    expect(
      roles.some((r) => String(r.password_wo_version).includes("terraform_remote_state")),
    ).toBe(true);
    expect((rendered["tenants-stack"] as typeof tenantsStack).resource.postgresql_role).toEqual(
      tenantsStack.resource.postgresql_role,
    );
    const versions = tenantsStack.resource.aws_secretsmanager_secret_version ?? {};
    expect(Object.keys(versions)).toHaveLength(4);
    expect(
      (rendered["tenants-stack"] as typeof tenantsStack).resource.aws_secretsmanager_secret_version,
    ).toEqual(versions);
    expect(rendered).toEqual(constructs);
  });
});
