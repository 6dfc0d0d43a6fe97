import { type TenantConfig, tenantDatabaseName } from "@pgforks/config";
import { Fn, TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import {
  type ConnectionTarget,
  credentialsHashParts,
  credentialsVersionOf,
  describeConnectionTarget,
  scaledPasswordVersion,
} from "./credentials";
import { ExpressionTemplate, type SlotValues } from "./expression-template";
import { logicalIdOf } from "./logical-ids";
import { renderedBlocksStackOf } from "./rendered-blocks";
import { tenantSecretValue } from "./secret-value";

/**
 * Where a tenant's password comes from and where it goes. The role's `password_wo` and its
 * `password_wo_version` come from here; everything else about a tenant is the same whatever the
 * source (see TenantDatabases).
 */
export interface TenantCredentialSource {
  /**
   * The ephemeral value written to the role's `password_wo`: a SCRAM-SHA-256 verifier where the
   * source can compute one (PostgreSQL stores it as is, so the statement the server may log
   * carries no password), else the password itself.
   */
  rolePassword(scope: Construct, tenant: TenantConfig): string;
  /** `password_wo_version`: changes exactly when a new password must be written. */
  rolePasswordVersion(tenant: TenantConfig): string;
  /**
   * Publishes the credentials once the role and database exist (e.g. the tenant's secret value,
   * under the construct id `resources.id`). Returns the address (`type.name`) of the resource it
   * created, if any.
   */
  publish?(scope: Construct, tenant: TenantConfig, resources: PublishedTenant): string | undefined;
}

/** What a credential source may reference when it publishes a tenant's credentials. */
export interface PublishedTenant {
  /** The login role's name as a cdktf reference (`${postgresql_role.<name>.name}` in this stack). */
  readonly roleName: string;
  /** The database's name as a cdktf reference (TenantDatabaseResources.databaseName). */
  readonly databaseName: string;
  /** Construct id of what is published (tenantConstructIds().secretValue). */
  readonly id: string;
}

/** Name of the ephemeral input variable that carries the role passwords (SCRAM verifiers). */
export const TENANT_VERIFIERS_VARIABLE = "tenant_password_verifiers";

/** Name of the ephemeral input variable that carries the passwords themselves (AWS: for the secrets). */
export const TENANT_PASSWORDS_VARIABLE = "tenant_passwords";

/**
 * An ephemeral, sensitive `map(string)` input variable by tenant name (Terraform >= 1.10 keeps
 * ephemeral variables out of state and plan files; cdktf 0.21 has no option for it).
 */
function ephemeralMapVariable(
  scope: Construct,
  name: string,
  description: string,
): TerraformVariable {
  const variable = new TerraformVariable(scope, name, {
    type: "map(string)",
    sensitive: true,
    description,
  });
  variable.overrideLogicalId(name);
  variable.addOverride("ephemeral", true);
  return variable;
}

/** `var.<map>.<tenant>`: tenant names are identifiers (schema pattern), safe as attribute names. */
function entryOf(variable: TerraformVariable, tenant: TenantConfig): string {
  return Token.asString(Fn.lookup(variable.value, tenant.name));
}

const VERIFIERS_DESCRIPTION =
  "SCRAM-SHA-256 verifiers of the tenants' passwords, by tenant name (never stored: ephemeral).";

export interface EphemeralVariableCredentialsProps {
  /**
   * Version of each tenant's password, by tenant name: the role's `password_wo_version`. The
   * caller changes it whenever it hands Terraform a new verifier for that tenant. Required for
   * every tenant that is not dropped.
   */
  readonly versions: Readonly<Record<string, string>>;
}

/**
 * Passwords generated outside Terraform (e.g. by `npm start` for the local stack). Terraform gets
 * only each password's SCRAM-SHA-256 verifier, through the ephemeral, sensitive input variable
 * `tenant_password_verifiers` (a map by tenant name, e.g. from TF_VAR_tenant_password_verifiers):
 * never in state, plan files, or a server log.
 */
export class EphemeralVariableCredentials extends Construct implements TenantCredentialSource {
  private readonly variable: TerraformVariable;
  private readonly versions: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: EphemeralVariableCredentialsProps) {
    super(scope, id);
    this.versions = props.versions;
    this.variable = ephemeralMapVariable(this, TENANT_VERIFIERS_VARIABLE, VERIFIERS_DESCRIPTION);
  }

  rolePassword(_scope: Construct, tenant: TenantConfig): string {
    return entryOf(this.variable, tenant);
  }

  rolePasswordVersion(tenant: TenantConfig): string {
    const version = this.versions[tenant.name];
    if (version === undefined) {
      throw new Error(
        `EphemeralVariableCredentials: no password version for tenant "${tenant.name}"`,
      );
    }
    return version;
  }
}

/** The places of a credentials version that differ per tenant (credentialsVersionOf). */
const VERSION_SLOTS = { scaledVersion: "integer", target: "text", secretArn: "reference" } as const;
type VersionSlots = typeof VERSION_SLOTS;

export interface SecretsManagerCredentialsProps {
  /** ARNs of the tenants' secrets (TenantSecrets.secretArns of the platform stack), by tenant name. */
  readonly secretArns: Readonly<Record<string, string>>;
  /** Host written into the secrets: the proxy endpoint or the instance address (may be a token). */
  readonly applicationHost: string;
  /** Port written into the secrets (may be a token). */
  readonly applicationPort: number;
  /** Whether the secrets point at the proxy, and the port, as the configuration says at synth time. */
  readonly connectionTarget: Pick<ConnectionTarget, "proxy" | "port">;
}

/**
 * AWS: the CI job draws fresh passwords for every run (`npm run credentials`, see
 * docs/operations.md) and hands Terraform two ephemeral variables: each password, written only
 * to the tenant's Secrets Manager secret (`secret_string_wo`, with host, port and database), and
 * its SCRAM-SHA-256 verifier, written only to the role (`password_wo`), so the statement the
 * server logs under `log_statement = ddl` carries no password. Both take the same version, a
 * Terraform expression over passwordVersion, the connection target, the secret's ARN and the
 * host (credentialsVersionExpression): Terraform sends them only when it changes, and then the
 * role and the secret always get the same, new password.
 */
export class SecretsManagerCredentials extends Construct implements TenantCredentialSource {
  private readonly props: SecretsManagerCredentialsProps;
  private readonly passwords: TerraformVariable;
  private readonly verifiers: TerraformVariable;
  /** The secret value's JSON (jsonencode), filled per tenant with its role, password and database. */
  private readonly secretValue: ExpressionTemplate<
    Record<"username" | "password" | "dbname", "reference">,
    string
  >;
  /** The secret's credentials version (credentialsVersionExpression). */
  private readonly version: ExpressionTemplate<VersionSlots, number>;
  /** The role's: the same version through tostring. */
  private readonly roleVersion: ExpressionTemplate<VersionSlots, string>;

  constructor(scope: Construct, id: string, props: SecretsManagerCredentialsProps) {
    super(scope, id);
    this.props = props;
    const port = props.applicationPort;
    if (
      typeof port === "number" &&
      !Token.isUnresolved(port) &&
      port !== props.connectionTarget.port
    ) {
      throw new Error(
        `SecretsManagerCredentials: applicationPort ${port} differs from connectionTarget.port ${props.connectionTarget.port}`,
      );
    }
    this.passwords = ephemeralMapVariable(
      this,
      TENANT_PASSWORDS_VARIABLE,
      "The tenants' new passwords, by tenant name, for their secrets only (never stored: ephemeral).",
    );
    this.verifiers = ephemeralMapVariable(this, TENANT_VERIFIERS_VARIABLE, VERIFIERS_DESCRIPTION);
    // Templates (ExpressionTemplate): cdktf renders each of these once per stack, and a
    // tenant's copy only puts in its own values. Host and port are the same for every tenant.
    this.secretValue = new ExpressionTemplate(
      { username: "reference", password: "reference", dbname: "reference" },
      (tenant) =>
        Fn.jsonencode(
          tenantSecretValue({
            host: props.applicationHost,
            port: props.applicationPort,
            portInUrl: Token.isUnresolved(props.applicationPort)
              ? Token.asString(props.applicationPort)
              : String(props.applicationPort),
            ...tenant,
          }),
        ),
    );
    const versionOf = (tenant: SlotValues<VersionSlots>) =>
      credentialsVersionOf(
        tenant.scaledVersion,
        credentialsHashParts({ ...tenant, host: props.applicationHost }),
      );
    this.version = new ExpressionTemplate(VERSION_SLOTS, versionOf);
    // A string token inside tostring: cdktf resolves a number argument of a function twice.
    this.roleVersion = new ExpressionTemplate(VERSION_SLOTS, (tenant) =>
      Fn.tostring(Token.asString(versionOf(tenant))),
    );
  }

  private secretArn(tenant: TenantConfig): string {
    const arn = this.props.secretArns[tenant.name];
    if (arn === undefined)
      throw new Error(`tenant "${tenant.name}" has no secret ARN in secretArns`);
    return arn;
  }

  /** What a tenant's credentials version is made of: the values of VERSION_SLOTS. */
  private versionSlots(tenant: TenantConfig, database: string): SlotValues<VersionSlots> {
    return {
      scaledVersion: scaledPasswordVersion(tenant.passwordVersion),
      target: describeConnectionTarget({ ...this.props.connectionTarget, database }),
      secretArn: this.secretArn(tenant),
    };
  }

  /** The credentials version of one tenant (a Terraform expression; see credentialsVersionExpression). */
  credentialsVersion(tenant: TenantConfig, database: string): number {
    return this.version.fill(this.versionSlots(tenant, database));
  }

  rolePassword(_scope: Construct, tenant: TenantConfig): string {
    return entryOf(this.verifiers, tenant);
  }

  rolePasswordVersion(tenant: TenantConfig): string {
    return this.roleVersion.fill(this.versionSlots(tenant, tenantDatabaseName(tenant)));
  }

  /**
   * The tenant's secret value: the block the binding's SecretsmanagerSecretVersion writes
   * (`//` metadata, secret_id, secret_string_wo, secret_string_wo_version), rendered; its values
   * are cdktf tokens (cross-stack references, the templates' copies), so cdktf resolves it
   * (RenderedBlocksStack.addResolvedResource).
   */
  publish(scope: Construct, tenant: TenantConfig, resources: PublishedTenant): string {
    const type = "aws_secretsmanager_secret_version";
    const name = logicalIdOf(scope, resources.id);
    renderedBlocksStackOf(scope).addResolvedResource(scope, type, name, {
      "//": { metadata: { path: `${scope.node.path}/${resources.id}`, uniqueId: name } },
      secret_id: this.secretArn(tenant),
      secret_string_wo: this.secretValue.fill({
        username: resources.roleName,
        password: entryOf(this.passwords, tenant),
        dbname: resources.databaseName,
      }),
      secret_string_wo_version: this.credentialsVersion(tenant, tenantDatabaseName(tenant)),
    });
    return `${type}.${name}`;
  }
}
