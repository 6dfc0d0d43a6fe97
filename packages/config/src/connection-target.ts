import { RDS_PROXY_POSTGRESQL_PORT } from "./proxy-quota";
import type { EnvironmentConfig } from "./schema/environment";
import { type TenantConfig, tenantDatabaseName } from "./schema/tenants";

/**
 * Where a tenant's secret sends applications, as far as the configuration knows it at synth time.
 * The host itself is a reference (proxy endpoint or instance address) known only at apply time;
 * which of the two it is, the port and the database are config.
 */
export interface ConnectionTarget {
  /** True when applications go through the RDS Proxy, false when straight to the instance. */
  readonly proxy: boolean;
  /** The port written into the secret. */
  readonly port: number;
  /** The database written into the secret. */
  readonly database: string;
}

/**
 * Where an environment's secrets send applications: the proxy on RDS_PROXY_POSTGRESQL_PORT when
 * the proxy is on (it listens there whatever the instance's port), else the instance on
 * `database.port`.
 */
export function environmentConnectionTarget(
  environment: Pick<EnvironmentConfig, "proxy" | "database">,
): Pick<ConnectionTarget, "proxy" | "port"> {
  const proxy = environment.proxy.enabled;
  return { proxy, port: proxy ? RDS_PROXY_POSTGRESQL_PORT : environment.database.port };
}

/** The target of one tenant's secret in an environment (environmentConnectionTarget + database). */
export function connectionTarget(
  environment: Pick<EnvironmentConfig, "proxy" | "database">,
  tenant: Pick<TenantConfig, "name" | "database">,
): ConnectionTarget {
  return { ...environmentConnectionTarget(environment), database: tenantDatabaseName(tenant) };
}

/** "proxy:5432/shop_prod" or "instance:5433/shop_prod": the target in words, and what is hashed. */
export function describeConnectionTarget(target: ConnectionTarget): string {
  return `${target.proxy ? "proxy" : "instance"}:${target.port}/${target.database}`;
}
