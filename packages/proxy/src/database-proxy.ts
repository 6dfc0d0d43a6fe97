import { DbProxy, type DbProxyAuth } from "@cdktf/provider-aws/lib/db-proxy";
import { DbProxyDefaultTargetGroup } from "@cdktf/provider-aws/lib/db-proxy-default-target-group";
import { DbProxyTarget } from "@cdktf/provider-aws/lib/db-proxy-target";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { EnvironmentConfig } from "@pgforks/config";
import {
  IAM_ROLE_NAME_MAX_LENGTH,
  proxyMaxIdleConnectionsPercent,
  proxySecretProblem,
} from "@pgforks/config";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";

/** A tenant that may connect through the proxy, and the secret holding its credentials. */
export interface TenantSecretRef {
  /** Tenant name (its PostgreSQL role); names the `auth` entry. Required. */
  readonly tenant: string;
  /** ARN of the tenant's Secrets Manager secret (`username` and `password` JSON). Required. */
  readonly secretArn: string;
  /** Description of its `auth` entry (the tenant footprint's, e.g. "tenant fintech"). Required. */
  readonly description: string;
}

/** Properties of {@link DatabaseProxy}. */
export interface DatabaseProxyProps {
  /** Proxy name and prefix of its role, e.g. "pgforks-prod". Required. */
  readonly name: string;
  /** Identifier of the RDS instance the proxy targets. Required. */
  readonly instanceIdentifier: string;
  /**
   * The validated `proxy` section of environment.yaml: pool sizes and timeouts, with their
   * defaults filled in by @pgforks/config. `enabled` is the caller's business (it decides whether
   * to construct the proxy at all) and is not read here. Required.
   */
  readonly settings: EnvironmentConfig["proxy"];
  /** Private subnets (two AZs at least) the proxy's endpoint lives in. Required. */
  readonly subnetIds: string[];
  /** The network module's proxySecurityGroup id. Required. */
  readonly securityGroupIds: string[];
  /** The ingress rules of that group: the proxy moves to a replaced group once its rules exist. */
  readonly securityGroupRules?: readonly ITerraformDependable[];
  /**
   * ARN of the KMS key that encrypts the tenant secrets. The proxy role may decrypt with it only
   * through Secrets Manager. Required.
   */
  readonly kmsKeyArn: string;
  /** AWS region of the secrets (scopes `kms:ViaService`). Required. */
  readonly region: string;
  /**
   * One secret per tenant that may connect through the proxy: active and suspended tenants;
   * retired ones are removed. Between 1 and {@link MAX_PROXY_SECRETS}. Required.
   */
  readonly tenantSecrets: readonly TenantSecretRef[];
}

/** Engine family of a proxy in front of RDS for PostgreSQL (CreateDBProxy, `EngineFamily`). */
export const PROXY_ENGINE_FAMILY = "POSTGRESQL";

/**
 * How the proxy checks client passwords. SCRAM-SHA-256 is the PostgreSQL default since 14 and
 * the only non-MD5 choice RDS Proxy offers for PostgreSQL (CreateDBProxy, `ClientPasswordAuthType`).
 */
export const PROXY_CLIENT_PASSWORD_AUTH_TYPE = "POSTGRES_SCRAM_SHA_256";

/** Service principal RDS Proxy assumes its role with (RDS User Guide, "Setting up database credentials for RDS Proxy"). */
export const PROXY_SERVICE_PRINCIPAL = "rds.amazonaws.com";

/**
 * Proxy names: 1-60 letters, digits and hyphens, starting with a letter, no `--`, not ending in
 * `-` (RDS API Reference, CreateDBProxy, `DBProxyName`).
 */
export const PROXY_NAME_PATTERN = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,59}(?<!-)$/;

/** Longest IAM role name: @pgforks/config's, which environment.yaml's validation also uses. */
export { IAM_ROLE_NAME_MAX_LENGTH };

/** DNS suffix of regional service endpoints (`amazonaws.com.cn` in the China partition). */
function dnsSuffix(region: string): string {
  return region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

/** Stable order independent of the caller and of the locale: by tenant name, code unit by code unit. */
function byTenant(a: TenantSecretRef, b: TenantSecretRef): number {
  if (a.tenant === b.tenant) return 0;
  return a.tenant < b.tenant ? -1 : 1;
}

/** `tenantSecrets` sorted, after checking the quota and that no tenant appears twice. */
export function sortedTenantSecrets(
  name: string,
  tenantSecrets: readonly TenantSecretRef[],
): TenantSecretRef[] {
  const problem = proxySecretProblem(tenantSecrets.length);
  if (problem) throw new Error(`DatabaseProxy ${name}: ${problem}`);
  const sorted = [...tenantSecrets].sort(byTenant);
  sorted.forEach((ref, i) => {
    if (i > 0 && sorted[i - 1]?.tenant === ref.tenant) {
      throw new Error(
        `DatabaseProxy ${name}: tenant "${ref.tenant}" is listed twice; each tenant has exactly one secret`,
      );
    }
  });
  return sorted;
}

/** Trust policy of the proxy role: only the RDS service may assume it. */
export function proxyTrustPolicy() {
  // No aws:SourceAccount/SourceArn condition: the RDS Proxy setup guide does not document RDS
  // sending them when it assumes the proxy role, and a condition on a key that is not sent
  // denies the assumption, leaving a proxy whose target is unavailable (invisible to plan).
  // Passing the role to a proxy needs iam:PassRole in this account, which already bounds it.
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "RdsProxyAssumesRole",
        Effect: "Allow",
        Principal: { Service: PROXY_SERVICE_PRINCIPAL },
        Action: "sts:AssumeRole",
      },
    ],
  };
}

/**
 * Permissions of the proxy role, and nothing more: read exactly the tenants' secrets, and decrypt
 * with the platform key only when Secrets Manager asks on its behalf (RDS User Guide, "Setting up
 * database credentials for RDS Proxy", IAM policy example).
 */
export function proxyRolePolicy(props: {
  readonly secretArns: readonly string[];
  readonly kmsKeyArn: string;
  readonly region: string;
}) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadTenantSecrets",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: [...props.secretArns],
      },
      {
        Sid: "DecryptTenantSecretsThroughSecretsManager",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: props.kmsKeyArn,
        Condition: {
          StringEquals: {
            "kms:ViaService": `secretsmanager.${props.region}.${dnsSuffix(props.region)}`,
          },
        },
      },
    ],
  };
}

/**
 * An RDS Proxy in front of the shared instance. Clients must use TLS; each tenant authenticates
 * with its own role, whose credentials the proxy reads from that tenant's Secrets Manager secret.
 * The pool takes the shares of `max_connections` set in environment.yaml, so the tenants'
 * connection budget (@pgforks/config `connectionBudget`) matches what the proxy may open.
 */
export class DatabaseProxy extends Construct {
  /** The `aws_db_proxy`. */
  readonly proxy: DbProxy;
  /** The `aws_db_proxy_default_target_group` holding the pool settings. */
  readonly targetGroup: DbProxyDefaultTargetGroup;
  /** The `aws_db_proxy_target` registering the instance. */
  readonly target: DbProxyTarget;
  /** The role the proxy assumes to read the tenant secrets. */
  readonly role: IamRole;
  /** The role's inline policy (the proxy depends on it so it never runs without permissions). */
  readonly rolePolicy: IamRolePolicy;
  /** Host name clients connect to (read/write default endpoint). */
  readonly endpoint: string;
  /** Proxy name, known at synth time (the `ProxyName` dimension of its CloudWatch metrics). */
  readonly name: string;
  /** ARN of the proxy. */
  readonly arn: string;
  /** The tenant secrets in the order of the `auth` blocks. */
  readonly tenantSecrets: readonly TenantSecretRef[];

  constructor(scope: Construct, id: string, props: DatabaseProxyProps) {
    super(scope, id);
    const { name, settings } = props;
    if (!PROXY_NAME_PATTERN.test(name)) {
      throw new Error(
        `DatabaseProxy: name "${name}" must be 1-60 letters, digits and hyphens, start with a letter, and neither end with a hyphen nor contain two in a row`,
      );
    }
    const roleName = `${name}-rds-proxy`;
    if (roleName.length > IAM_ROLE_NAME_MAX_LENGTH) {
      throw new Error(
        `DatabaseProxy ${name}: IAM role name "${roleName}" is longer than ${IAM_ROLE_NAME_MAX_LENGTH} characters; shorten the project or environment name`,
      );
    }
    // RDS rejects an idle share above the pool size at apply time; say so now
    // (RDS API Reference, ConnectionPoolConfiguration, MaxIdleConnectionsPercent).
    const maxIdleConnectionsPercent = proxyMaxIdleConnectionsPercent(settings);
    if (maxIdleConnectionsPercent > settings.maxConnectionsPercent) {
      throw new Error(
        `DatabaseProxy ${name}: proxy.maxIdleConnectionsPercent (${maxIdleConnectionsPercent}) must not exceed proxy.maxConnectionsPercent (${settings.maxConnectionsPercent}). Fix: lower maxIdleConnectionsPercent or raise maxConnectionsPercent in environment.yaml.`,
      );
    }
    this.tenantSecrets = sortedTenantSecrets(name, props.tenantSecrets);
    this.name = name;

    this.role = new IamRole(this, "role", {
      name: roleName,
      description: `RDS Proxy ${name} reads the tenants' database credentials with this role`,
      assumeRolePolicy: JSON.stringify(proxyTrustPolicy()),
    });
    this.rolePolicy = new IamRolePolicy(this, "role-policy", {
      name: "tenant-secrets",
      role: this.role.id,
      policy: JSON.stringify(
        proxyRolePolicy({
          secretArns: this.tenantSecrets.map((t) => t.secretArn),
          kmsKeyArn: props.kmsKeyArn,
          region: props.region,
        }),
      ),
    });

    const auth: DbProxyAuth[] = this.tenantSecrets.map((ref) => ({
      authScheme: "SECRETS",
      clientPasswordAuthType: PROXY_CLIENT_PASSWORD_AUTH_TYPE,
      // Tenants use passwords (SCRAM); IAM database authentication is not part of this design.
      iamAuth: "DISABLED",
      secretArn: ref.secretArn,
      description: ref.description,
    }));

    this.proxy = new DbProxy(this, "proxy", {
      name,
      engineFamily: PROXY_ENGINE_FAMILY,
      roleArn: this.role.arn,
      vpcSubnetIds: props.subnetIds,
      vpcSecurityGroupIds: props.securityGroupIds,
      requireTls: true,
      // Debug logs contain SQL statements, i.e. tenant data; keep them off.
      debugLogging: false,
      idleClientTimeout: settings.idleClientTimeoutSeconds,
      auth,
      dependsOn: [this.rolePolicy, ...(props.securityGroupRules ?? [])],
    });

    this.targetGroup = new DbProxyDefaultTargetGroup(this, "target-group", {
      dbProxyName: this.proxy.name,
      connectionPoolConfig: {
        maxConnectionsPercent: settings.maxConnectionsPercent,
        maxIdleConnectionsPercent,
        connectionBorrowTimeout: settings.connectionBorrowTimeoutSeconds,
      },
    });

    this.target = new DbProxyTarget(this, "target", {
      dbProxyName: this.proxy.name,
      // The default group's name is always "default"; referencing it orders the target after
      // the pool settings.
      targetGroupName: this.targetGroup.name,
      dbInstanceIdentifier: props.instanceIdentifier,
    });

    this.endpoint = this.proxy.endpoint;
    this.arn = this.proxy.arn;
  }
}
