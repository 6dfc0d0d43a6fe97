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
import { ExpressionTemplate, PLAIN_TEXT, type SlotValues } from "./expression-template";
import { logicalIdOf } from "./logical-ids";
import {
  type RenderedBlocksStack,
  type ResolvedTexts,
  type ResolvedValue,
  renderedBlocksStackOf,
  renderedReferenceText,
} from "./rendered-blocks";
import { tenantSecretValue } from "./secret-value";

/**
 * A value of a rendered block: its text as it goes into cdk.tf.json, or, when it holds texts
 * that only cdktf's resolve gives (RenderedBlocksStack.resolveOnce), the function that writes it
 * then.
 */
export type RenderedValue = string | ((texts: ResolvedTexts) => string);

/**
 * Where a tenant's password comes from and where it goes. The role's `password_wo` and its
 * `password_wo_version` come from here; everything else about a tenant is the same whatever the
 * source (see TenantDatabases).
 */
export interface TenantCredentialSource {
  /**
   * The ephemeral value written to the role's `password_wo`, as rendered text: a SCRAM-SHA-256
   * verifier where the source can compute one (PostgreSQL stores it as is, so the statement the
   * server may log carries no password), else the password itself.
   */
  rolePassword(scope: Construct, tenant: TenantConfig): RenderedValue;
  /** `password_wo_version`: changes exactly when a new password must be written. */
  rolePasswordVersion(tenant: TenantConfig): RenderedValue;
  /**
   * Publishes the credentials once the role and database exist (e.g. the tenant's secret value,
   * under the construct id `resources.id`). Returns the address (`type.name`) of the resource it
   * created, if any.
   */
  publish?(scope: Construct, tenant: TenantConfig, resources: PublishedTenant): string | undefined;
}

/** What a credential source may reference when it publishes a tenant's credentials. */
export interface PublishedTenant {
  /** The login role's name as an expression of this stack (`postgresql_role.<name>.name`). */
  readonly roleName: string;
  /** The database's name as an expression of this stack (`postgresql_database.<name>.name`). */
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

/** Terraform identifiers: what cdktf writes as `.name` in a property access (Fn.lookup). */
const TERRAFORM_IDENTIFIER = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

/**
 * `var.<map>.<tenant>`, the expression cdktf writes for `Fn.lookup(variable.value, tenant.name)`:
 * tenant names are identifiers (schema pattern), written as attribute names.
 */
function entryOf(name: string, tenant: TenantConfig): string {
  if (!TERRAFORM_IDENTIFIER.test(tenant.name)) {
    throw new Error(`tenant name "${tenant.name}" is not a Terraform identifier`);
  }
  return `var.${name}.${tenant.name}`;
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
  private readonly versions: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: EphemeralVariableCredentialsProps) {
    super(scope, id);
    this.versions = props.versions;
    ephemeralMapVariable(this, TENANT_VERIFIERS_VARIABLE, VERIFIERS_DESCRIPTION);
  }

  rolePassword(_scope: Construct, tenant: TenantConfig): string {
    return `\${${entryOf(TENANT_VERIFIERS_VARIABLE, tenant)}}`;
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
  private readonly stack: RenderedBlocksStack;
  /** The secret value's JSON (jsonencode), filled per tenant with its role, password and database. */
  private readonly secretValue: ExpressionTemplate<
    Record<"username" | "password" | "dbname", "reference">
  >;
  /** The secret's credentials version (credentialsVersionExpression). */
  private readonly version: ExpressionTemplate<VersionSlots>;
  /** The role's: the same version through tostring. */
  private readonly roleVersion: ExpressionTemplate<VersionSlots>;
  /**
   * Each tenant's secret ARN, by tenant name: its expression text when it is a rendered
   * resource's attribute (renderedReferenceText), else a token resolved once (resolveOnce).
   */
  private readonly arns = new Map<string, ResolvedValue | string>();

  constructor(scope: Construct, id: string, props: SecretsManagerCredentialsProps) {
    super(scope, id);
    this.props = props;
    this.stack = renderedBlocksStackOf(this);
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
    ephemeralMapVariable(
      this,
      TENANT_PASSWORDS_VARIABLE,
      "The tenants' new passwords, by tenant name, for their secrets only (never stored: ephemeral).",
    );
    ephemeralMapVariable(this, TENANT_VERIFIERS_VARIABLE, VERIFIERS_DESCRIPTION);
    // Templates (ExpressionTemplate): cdktf renders each of these once per stack, and a
    // tenant's copy only puts in its own values. Host and port are the same for every tenant.
    this.secretValue = new ExpressionTemplate(
      this,
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
    this.version = new ExpressionTemplate(this, VERSION_SLOTS, versionOf);
    // A string token inside tostring: cdktf resolves a number argument of a function twice.
    this.roleVersion = new ExpressionTemplate(this, VERSION_SLOTS, (tenant) =>
      Fn.tostring(Token.asString(versionOf(tenant))),
    );
  }

  /**
   * The tenant's secret ARN as cdktf writes it for a whole argument (`${data.terraform_remote_state...}`),
   * or, with `inExpression`, inside an expression; a literal ARN is written as itself (in quotes
   * inside an expression).
   */
  private secretArn(texts: ResolvedTexts, tenant: TenantConfig, inExpression: boolean): string {
    const arn = this.props.secretArns[tenant.name];
    if (arn === undefined)
      throw new Error(`tenant "${tenant.name}" has no secret ARN in secretArns`);
    if (!Token.isUnresolved(arn)) return inExpression ? `"${arn}"` : arn;
    const resolved = this.arns.get(tenant.name);
    if (!resolved) throw new Error(`tenant "${tenant.name}": secret ARN not registered`);
    if (typeof resolved === "string") return inExpression ? resolved : `\${${resolved}}`;
    return inExpression ? texts.expression(resolved) : texts.text(resolved);
  }

  /**
   * Registers the tenant's secret ARN with the stack: a rendered secret's ARN is written as text
   * (with a rendered cross-stack output), another token is resolved once by cdktf (its cross-stack
   * output and remote state), a literal must be plain text.
   */
  private registerSecretArn(tenant: TenantConfig): void {
    const arn = this.props.secretArns[tenant.name];
    if (arn === undefined)
      throw new Error(`tenant "${tenant.name}" has no secret ARN in secretArns`);
    if (this.arns.has(tenant.name)) return;
    if (!Token.isUnresolved(arn)) {
      if (!PLAIN_TEXT.test(arn)) {
        throw new Error(
          `tenant "${tenant.name}": secret ARN ${JSON.stringify(arn)} is not plain text`,
        );
      }
      return;
    }
    this.arns.set(
      tenant.name,
      renderedReferenceText(this.stack, arn) ?? this.stack.resolveOnce(this, arn),
    );
  }

  /** What a tenant's credentials version is made of: the values of VERSION_SLOTS. */
  private versionSlots(
    texts: ResolvedTexts,
    tenant: TenantConfig,
    database: string,
  ): SlotValues<VersionSlots> {
    return {
      scaledVersion: scaledPasswordVersion(tenant.passwordVersion),
      target: describeConnectionTarget({ ...this.props.connectionTarget, database }),
      secretArn: this.secretArn(texts, tenant, true),
    };
  }

  rolePassword(_scope: Construct, tenant: TenantConfig): string {
    return `\${${entryOf(TENANT_VERIFIERS_VARIABLE, tenant)}}`;
  }

  rolePasswordVersion(tenant: TenantConfig): RenderedValue {
    this.registerSecretArn(tenant);
    this.roleVersion.use();
    const database = tenantDatabaseName(tenant);
    return (texts) => this.roleVersion.fill(texts, this.versionSlots(texts, tenant, database));
  }

  /**
   * The tenant's secret value: the block the binding's SecretsmanagerSecretVersion writes
   * (`//` metadata, secret_id, secret_string_wo, secret_string_wo_version), rendered once cdktf
   * has resolved the secret's ARN and the templates (RenderedBlocksStack.addLateRenderedResource).
   */
  publish(scope: Construct, tenant: TenantConfig, resources: PublishedTenant): string {
    const type = "aws_secretsmanager_secret_version";
    const name = logicalIdOf(scope, resources.id);
    const path = `${scope.node.path}/${resources.id}`;
    const database = tenantDatabaseName(tenant);
    this.registerSecretArn(tenant);
    this.secretValue.use();
    this.version.use();
    renderedBlocksStackOf(scope).addLateRenderedResource(scope, type, name, (texts) => ({
      "//": { metadata: { path, uniqueId: name } },
      secret_id: this.secretArn(texts, tenant, false),
      secret_string_wo: this.secretValue.fill(texts, {
        username: resources.roleName,
        password: entryOf(TENANT_PASSWORDS_VARIABLE, tenant),
        dbname: resources.databaseName,
      }),
      secret_string_wo_version: this.version.fill(
        texts,
        this.versionSlots(texts, tenant, database),
      ),
    }));
    return `${type}.${name}`;
  }
}
