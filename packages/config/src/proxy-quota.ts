/**
 * Most Secrets Manager secrets one RDS Proxy can hold, i.e. the most database users (tenants)
 * that can connect through it. Not adjustable.
 * Source: Amazon RDS User Guide, "Quotas and limitations for RDS Proxy"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.html#rds-proxy.limitations):
 * "You can have up to 200 Secrets Manager secrets associated with a proxy".
 */
export const MAX_PROXY_SECRETS = 200;

/**
 * Port every RDS Proxy endpoint for PostgreSQL listens on, whatever port the DB instance uses (the
 * proxy still connects to the instance on the instance's port). Clients and security groups must
 * use it for the client -> proxy hop, and the instance port only for proxy -> instance.
 * Source: Amazon RDS User Guide, "Quotas and limitations for RDS Proxy", additional limitations
 * for RDS for PostgreSQL (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.html#rds-proxy.limitations):
 * "Currently, all proxies listen on port 5432 for PostgreSQL".
 */
export const RDS_PROXY_POSTGRESQL_PORT = 5432;

/**
 * Why a proxy cannot hold `count` tenant secrets, or undefined when it can. Pure, so the config
 * loader can report the same message as the construct before anything is synthesized.
 */
export function proxySecretProblem(count: number): string | undefined {
  if (count < 1) {
    return (
      `the RDS Proxy needs at least 1 tenant secret to authenticate with, but there are ${count} ` +
      "active or suspended tenants. Fix: add a tenant to tenants.yaml, or set proxy.enabled: false " +
      "until the first tenant exists."
    );
  }
  if (count > MAX_PROXY_SECRETS) {
    const excess = count - MAX_PROXY_SECRETS;
    return (
      `the RDS Proxy can hold at most ${MAX_PROXY_SECRETS} Secrets Manager secrets (AWS quota, ` +
      `"Quotas and limitations for RDS Proxy"), but ${count} active or suspended tenants need one ` +
      `each, ${excess} too many. Fix: set state: retired on at least ${excess} tenants that no ` +
      "longer connect (retired tenants are removed from the proxy), move tenants to another " +
      "environment, or set proxy.enabled: false and connect to the instance directly."
    );
  }
  return undefined;
}

/** Tenants the proxy authenticates: active and suspended ones (retired tenants are removed). */
export function tenantInProxy(tenant: { readonly state: string }): boolean {
  return tenant.state === "active" || tenant.state === "suspended";
}

/**
 * The proxy's idle share of max_connections when environment.yaml sets none: half of
 * `maxConnectionsPercent`, rounded down, which is what RDS itself applies. Source: RDS API
 * Reference, ConnectionPoolConfiguration, MaxIdleConnectionsPercent: "The default value is half of
 * the value of MaxConnectionsPercent. For example, if MaxConnectionsPercent is 80, then the default
 * value of MaxIdleConnectionsPercent is 40."
 */
export function proxyMaxIdleConnectionsPercent(proxy: {
  readonly maxConnectionsPercent: number;
  readonly maxIdleConnectionsPercent?: number;
}): number {
  return proxy.maxIdleConnectionsPercent ?? Math.floor(proxy.maxConnectionsPercent / 2);
}
