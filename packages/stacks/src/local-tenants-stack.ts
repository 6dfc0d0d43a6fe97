import { PostgresqlProvider } from "@cdktf/provider-postgresql/lib/provider";
import type { TenantConfig } from "@pgforks/config";
import {
  ADMIN_DATABASE,
  EphemeralVariableCredentials,
  RenderedBlocksStack,
  TenantDatabases,
} from "@pgforks/tenants";
import { LocalBackend, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";

/** Name of the ephemeral input variable that carries the admin's password. */
export const ADMIN_PASSWORD_VARIABLE = "admin_password";

export interface LocalTenantsStackProps {
  /** The tenants (a validated tenants.yaml). Required. */
  readonly tenants: readonly TenantConfig[];
  /** The local server: 127.0.0.1 and its port. Required. */
  readonly server: { readonly host: string; readonly port: number };
  /** The admin role the provider connects as (not a superuser, like the RDS master). Required. */
  readonly adminRole: string;
  /** Version of each tenant's password, by tenant name (see EphemeralVariableCredentials). Required. */
  readonly passwordVersions: Readonly<Record<string, string>>;
  /** Local state file. Default: terraform.tfstate in the working directory. */
  readonly statePath?: string;
}

/**
 * `local-tenants`: the same TenantDatabases as `<env>-tenants`, against a PostgreSQL 16 on this
 * machine. Only two things differ from the AWS stack: the provider connects to 127.0.0.1 with
 * the admin password from an ephemeral input variable (sslmode disable: loopback only), and the
 * tenants' passwords come from the caller as SCRAM verifiers instead of going to Secrets Manager.
 * Neither password is ever in state.
 */
export class LocalTenantsStack extends RenderedBlocksStack {
  public readonly postgresql: PostgresqlProvider;
  public readonly databases: TenantDatabases;

  constructor(scope: Construct, id: string, props: LocalTenantsStackProps) {
    super(scope, id);
    new LocalBackend(this, { path: props.statePath ?? "terraform.tfstate" });
    const adminPassword = new TerraformVariable(this, ADMIN_PASSWORD_VARIABLE, {
      type: "string",
      sensitive: true,
      description: "Password of the local admin role (never stored: ephemeral).",
    });
    adminPassword.overrideLogicalId(ADMIN_PASSWORD_VARIABLE);
    adminPassword.addOverride("ephemeral", true);
    this.postgresql = new PostgresqlProvider(this, "postgresql", {
      host: props.server.host,
      port: props.server.port,
      database: ADMIN_DATABASE,
      username: props.adminRole,
      password: adminPassword.stringValue,
      sslmode: "disable",
      superuser: false,
      connectTimeout: 15,
      expectedVersion: "16",
    });
    this.databases = new TenantDatabases(this, "tenants", {
      tenants: props.tenants,
      adminRole: props.adminRole,
      credentials: new EphemeralVariableCredentials(this, "credentials", {
        versions: props.passwordVersions,
      }),
      postgresqlProvider: this.postgresql,
    });
  }
}
