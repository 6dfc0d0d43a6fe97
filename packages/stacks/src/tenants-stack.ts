import { PostgresqlProvider } from "@cdktf/provider-postgresql/lib/provider";
import {
  environmentConnectionTarget,
  type LoadedEnvironment,
  RDS_PROXY_POSTGRESQL_PORT,
  TUNNEL_HOST,
} from "@pgforks/config";
import {
  ADMIN_DATABASE,
  EphemeralResource,
  RenderedBlocksStack,
  SecretsManagerCredentials,
  TenantDatabases,
} from "@pgforks/tenants";
import { Fn } from "cdktf";
import type { Construct } from "constructs";
import { awsProvider, configureBackend } from "./backend";

/** What the tenants stack reads from `<env>-platform` (tokens there, cross-stack references here). */
export interface PlatformOutputs {
  /** The instance's address (host name only; the endpoint would carry the port). */
  readonly databaseAddress: string;
  /** The instance's port. */
  readonly databasePort: number;
  /** ARN of the RDS-managed master user secret (JSON with username and password). */
  readonly masterUserSecretArn: string;
  /** The proxy's default endpoint; present exactly when the proxy is enabled. */
  readonly proxyEndpoint?: string;
  /** ARNs of the tenants' secrets by tenant name (TenantSecrets.secretArns: cdktf references). */
  readonly tenantSecretArns: Readonly<Record<string, string>>;
}

export interface TenantsStackProps {
  /** The validated environment (environment.yaml + tenants.yaml). Required. */
  readonly loaded: LoadedEnvironment;
  /** Outputs of the environment's platform stack. Required. */
  readonly platform: PlatformOutputs;
}

/** Where the tenants stack connects when a tunnel is configured: the local end of the SSM port forward. */
/** Port of an RDS Proxy endpoint for PostgreSQL; defined in @pgforks/config, shared with the network. */
/** The maintenance database the provider connects to (the provider's default as well). */
export { ADMIN_DATABASE, RDS_PROXY_POSTGRESQL_PORT, TUNNEL_HOST };

/** TLS required, certificate not pinned (the tunnel's 127.0.0.1 would not match the RDS certificate name). */
export const ADMIN_SSLMODE = "require";

/** Seconds the provider waits for a connection before failing the plan, instead of hanging. */
export const ADMIN_CONNECT_TIMEOUT_SECONDS = 15;

/**
 * `<env>-tenants`: the tenants' roles, databases, grants and secret values, through the
 * postgresql provider (cyrilgdn/postgresql) connected as the RDS master user.
 *
 * The master credentials are read with the EPHEMERAL `aws_secretsmanager_secret_version`, so
 * they are fetched on every run and never written to state or plan files; tenant passwords are
 * write-only too (see TenantDatabases). What the state does hold: role and database names,
 * limits, grants, schemas and extensions, the credentials versions
 * and the secret ARNs, no credential.
 */
export class TenantsStack extends RenderedBlocksStack {
  /** The postgresql provider of the stack. */
  public readonly postgresql: PostgresqlProvider;
  /** The tenants' databases and roles. */
  public readonly databases: TenantDatabases;

  constructor(scope: Construct, id: string, props: TenantsStackProps) {
    super(scope, id);
    const { environment, tenants } = props.loaded;
    const { platform } = props;
    configureBackend(this, environment, id);
    awsProvider(this, environment);

    if (environment.proxy.enabled !== (platform.proxyEndpoint !== undefined)) {
      throw new Error(
        `TenantsStack ${id}: proxy.enabled is ${environment.proxy.enabled} but the platform outputs ${platform.proxyEndpoint === undefined ? "have no" : "have a"} proxy endpoint`,
      );
    }

    const master = new EphemeralResource(
      this,
      "master-credentials",
      "aws_secretsmanager_secret_version",
      { secret_id: platform.masterUserSecretArn },
    );
    const masterCredentials = Fn.jsondecode(master.getStringAttribute("secret_string"));
    const tunnel = environment.tunnel;
    this.postgresql = new PostgresqlProvider(this, "postgresql", {
      host: tunnel ? TUNNEL_HOST : platform.databaseAddress,
      port: tunnel?.localPort ?? platform.databasePort,
      database: ADMIN_DATABASE,
      username: Fn.lookup(masterCredentials, "username"),
      password: Fn.lookup(masterCredentials, "password"),
      sslmode: ADMIN_SSLMODE,
      // The RDS master user is a member of rds_superuser, not a PostgreSQL superuser.
      superuser: false,
      connectTimeout: ADMIN_CONNECT_TIMEOUT_SECONDS,
      expectedVersion: environment.database.engineVersion,
    });

    const proxyEndpoint = environment.proxy.enabled ? platform.proxyEndpoint : undefined;
    // Host and port are references here; which target they are (proxy or instance, and the port)
    // is config. Each tenant's credentials version is a plan-time expression over that target,
    // the secret's ARN and this host (remote state of the platform, applied first, so known at
    // plan time): a proxy toggle, a new endpoint or a recreated secret rotates the password and
    // rewrites the secret in the same apply.
    const credentials = new SecretsManagerCredentials(this, "credentials", {
      secretArns: platform.tenantSecretArns,
      applicationHost: proxyEndpoint ?? platform.databaseAddress,
      applicationPort: proxyEndpoint ? RDS_PROXY_POSTGRESQL_PORT : platform.databasePort,
      connectionTarget: environmentConnectionTarget(environment),
    });
    this.databases = new TenantDatabases(this, "tenants", {
      tenants,
      adminRole: environment.database.masterUsername,
      credentials,
      postgresqlProvider: this.postgresql,
      aws: environment,
    });
  }
}
