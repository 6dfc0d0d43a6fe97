import type { TenantConfig } from "@pgforks/config";
import { Construct } from "constructs";
import {
  DEFAULT_FOOTPRINT_SCOPES,
  type FootprintAwsEnvironment,
  intentOf,
  type ManifestEntry,
  manifestEntries,
  type ProxyAuthIntent,
  type SecretIntent,
  type TenantIntent,
  type TenantManifestSource,
  tenantFootprint,
} from "./footprint";
import { pathBelowStack } from "./logical-ids";
import { type RenderedBody, renderedAttribute, renderedBlocksStackOf } from "./rendered-blocks";

/**
 * Bounds of `RecoveryWindowInDays` for a scheduled deletion (Secrets Manager API reference,
 * DeleteSecret). 0 (ForceDeleteWithoutRecovery) is deliberately not accepted here.
 */
export const SECRET_RECOVERY_WINDOW_DAYS = { min: 7, max: 30 } as const;

/** Default recovery window: the maximum, so a dropped tenant's credentials stay recoverable longest. */
export const DEFAULT_SECRET_RECOVERY_WINDOW_DAYS = SECRET_RECOVERY_WINDOW_DAYS.max;

export interface TenantSecretsProps {
  /**
   * The environment (project, name, proxy, database): secrets are named
   * "<project>-<env>/tenants/<tenant>" and listed for the proxy when it is on. Required.
   */
  readonly environment: FootprintAwsEnvironment;
  /** The environment's tenants (validated config). Required; dropped tenants get no secret. */
  readonly tenants: readonly TenantConfig[];
  /**
   * ARN of the KMS key encrypting the secrets (the proxy's role needs kms:Decrypt on it), as
   * written into each secret's block: a literal ARN, or the key's expression in this stack
   * (`terraformExpression(this, key, "arn")`); not a cdktf token (refused). Required.
   */
  readonly kmsKeyArn: string;
  /**
   * Days Secrets Manager keeps a deleted secret recoverable, 7 to 30. Default 30 (the maximum,
   * DEFAULT_SECRET_RECOVERY_WINDOW_DAYS).
   */
  readonly recoveryWindowInDays?: number;
}

/**
 * One Secrets Manager secret per tenant, in the `<env>-platform` stack: the RDS Proxy's auth list
 * and the applications read them. This construct writes no value: the tenants stack generates the
 * password, sets it on the role and writes the secret value, all write-only (never in state).
 *
 * The secrets are rendered from the footprint as Terraform JSON blocks that the stack (a
 * RenderedBlocksStack) merges after cdktf's resolve: no secret is a construct, and the blocks are
 * exactly what one `SecretsmanagerSecret` construct per tenant at `<this>/<tenant>` would write
 * (address, arguments, lifecycle and `//` metadata; test/secrets.test.ts compares them). Their
 * ARNs are cdktf references, so other stacks get cdktf's own cross-stack outputs for them.
 *
 * Lifecycle: secrets of tenants in any state but "dropped" carry prevent_destroy. A dropped
 * tenant's secret is no longer in the configuration, so Terraform deletes it (prevent_destroy is
 * only checked for resources still in the configuration) and Secrets Manager keeps it recoverable
 * for `recoveryWindowInDays` (the provider passes the window stored in state to DeleteSecret).
 * The platform stack is applied before the tenants stack; the tenants stack's secret version of a
 * dropped tenant then reads as gone (aws provider 5.x treats versions of a secret marked for
 * deletion as not found), so the drop goes through without touching the deleted secret.
 */
export class TenantSecrets extends Construct implements TenantManifestSource {
  /** ARN of every tenant that has a secret (all but dropped ones), by tenant name: cdktf references. */
  public readonly secretArns: Readonly<Record<string, string>>;
  /** Terraform address (`aws_secretsmanager_secret.<name>`) of every tenant's secret, by tenant name. */
  public readonly secretAddresses: Readonly<Record<string, string>>;
  /** The footprint's proxy auth entries that are present (active and suspended tenants). */
  private readonly proxyEntries: readonly ProxyAuthIntent[];
  /** The platform-stack intents of every tenant (dropped ones too). */
  private readonly intents: readonly TenantIntent[];

  constructor(scope: Construct, id: string, props: TenantSecretsProps) {
    super(scope, id);
    const stack = renderedBlocksStackOf(this);
    const recoveryWindowInDays = props.recoveryWindowInDays ?? DEFAULT_SECRET_RECOVERY_WINDOW_DAYS;
    const { min, max } = SECRET_RECOVERY_WINDOW_DAYS;
    if (
      !Number.isInteger(recoveryWindowInDays) ||
      recoveryWindowInDays < min ||
      recoveryWindowInDays > max
    ) {
      throw new Error(
        `TenantSecrets ${this.node.path}: recoveryWindowInDays must be an integer from ${min} to ${max} (got ${recoveryWindowInDays})`,
      );
    }
    const scopes = { ...DEFAULT_FOOTPRINT_SCOPES, secrets: pathBelowStack(this) };
    const arns: Record<string, string> = {};
    const addresses: Record<string, string> = {};
    const proxyEntries: ProxyAuthIntent[] = [];
    const platformIntents: TenantIntent[] = [];
    const environment = {
      adminRole: props.environment.database.masterUsername,
      aws: props.environment,
    };
    for (const tenant of props.tenants) {
      const intents = tenantFootprint(tenant, environment, scopes, "platform");
      platformIntents.push(...intents);
      const proxyAuth = intentOf(intents, "proxy auth");
      if (proxyAuth?.state === "present") proxyEntries.push(proxyAuth);
      const intent = intentOf(intents, "secret");
      if (intent?.state !== "present") continue;
      const [type, name] = intent.address.terraformAddress.split(".") as [string, string];
      stack.addRenderedResource(
        this,
        type,
        name,
        secretBlock(this, intent, name, props.kmsKeyArn, recoveryWindowInDays),
      );
      addresses[tenant.name] = intent.address.terraformAddress;
      arns[tenant.name] = renderedAttribute(stack, intent.address.terraformAddress, "arn");
    }
    this.proxyEntries = proxyEntries;
    this.intents = platformIntents;
    this.secretArns = arns;
    this.secretAddresses = addresses;
  }

  /** The addresses of every tenant's secret and proxy auth entry, for pgforks-manifest.json. */
  public tenantManifestEntries(): ManifestEntry[] {
    return manifestEntries(this.intents, "platform");
  }

  /** ARN of a tenant's secret. Throws for an unknown or dropped tenant. */
  public secretArn(tenant: string): string {
    const arn = this.secretArns[tenant];
    if (arn === undefined) {
      const known = Object.keys(this.secretArns).join(", ") || "none";
      throw new Error(
        `TenantSecrets ${this.node.path}: tenant "${tenant}" has no secret (unknown or dropped; tenants with secrets: ${known})`,
      );
    }
    return arn;
  }

  /**
   * The proxy's auth list, from the footprint: tenants that may still connect through the proxy
   * (active, suspended; retired and dropped ones are removed), each with its secret and the
   * entry's description. Empty when the proxy is off. In configuration order.
   */
  public proxyAuth(): { tenant: string; secretArn: string; description: string }[] {
    return this.proxyEntries.map((i) => ({
      tenant: i.tenant,
      secretArn: this.secretArn(i.tenant),
      description: i.args.description,
    }));
  }
}

/**
 * The `aws_secretsmanager_secret` block of a tenant's secret, as cdktf writes it for
 * `new SecretsmanagerSecret(secrets, <tenant>, { ...intent.args, kmsKeyId, recoveryWindowInDays,
 * lifecycle: { preventDestroy: true } })`: the construct id is the tenant name, so adding a tenant
 * adds exactly one address.
 */
function secretBlock(
  secrets: Construct,
  intent: SecretIntent,
  name: string,
  kmsKeyArn: string,
  recoveryWindowInDays: number,
): RenderedBody {
  const { description, tags } = intent.args;
  return {
    "//": {
      metadata: {
        path: `${secrets.node.path}/${intent.address.constructPath.at(-1)}`,
        uniqueId: name,
      },
    },
    ...(description === undefined ? {} : { description }),
    kms_key_id: kmsKeyArn,
    lifecycle: { prevent_destroy: true },
    name: intent.args.name,
    recovery_window_in_days: recoveryWindowInDays,
    ...(tags === undefined ? {} : { tags }),
  };
}
