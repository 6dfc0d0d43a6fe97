import { listWithCount } from "./errors";
import { INSTANCE_CLASS_NAMES, instanceCapacity } from "./instance-classes";
import type { EnvironmentConfig } from "./schema/environment";
import type { TenantConfig } from "./schema/tenants";

/** How the instance's connections are shared out (seed 001, "Connection Limits"). */
export interface ConnectionBudget {
  readonly instanceClass: string;
  /** Approximate max_connections of the class. */
  readonly maxConnections: number;
  /** Connections kept for RDS, admin and monitoring. */
  readonly reserve: number;
  /** Connections the proxy may open (its share of max_connections), when the proxy is on. */
  readonly proxyShare?: number;
  /** What active tenants may use at most: the smaller of (max - reserve) and the proxy share. */
  readonly available: number;
  /** Sum of active tenants' connection limits. */
  readonly requested: number;
  /** Per active tenant: name and limit. */
  readonly perTenant: ReadonlyArray<{ readonly name: string; readonly connectionLimit: number }>;
}

/**
 * Only active tenants count against the budget: suspended and retired tenants' roles are NOLOGIN
 * with CONNECTION LIMIT 0 (their databases keep their limit so the admin can still reach them),
 * dropped tenants have no role at all.
 */
export function tenantHoldsConnections(tenant: Pick<TenantConfig, "state">): boolean {
  return tenant.state === "active";
}

/**
 * Connections the admin (the RDS master user, as the postgresql provider) may open to a tenant
 * database beyond the tenant's own limit, so that a tenant holding every connection it is allowed
 * cannot lock the admin, and so every plan of the environment, out of its database. Terraform
 * works on at most 10 resources at once (its default -parallelism), and the provider opens one
 * connection to a resource's database per operation.
 */
export const ADMIN_CONNECTION_HEADROOM = 10;

/** CONNECTION LIMIT of a tenant's role: its connectionLimit while active, 0 otherwise. */
export function tenantRoleConnectionLimit(
  tenant: Pick<TenantConfig, "state" | "connectionLimit">,
): number {
  return tenantHoldsConnections(tenant) ? tenant.connectionLimit : 0;
}

/** CONNECTION LIMIT of a tenant's database: the tenant's limit plus the admin's headroom, in every state. */
export function tenantDatabaseConnectionLimit(
  tenant: Pick<TenantConfig, "connectionLimit">,
): number {
  return tenant.connectionLimit + ADMIN_CONNECTION_HEADROOM;
}

export function connectionBudget(
  environment: Pick<EnvironmentConfig, "database" | "proxy">,
  tenants: readonly TenantConfig[],
): ConnectionBudget {
  const capacity = instanceCapacity(environment.database.instanceClass);
  const reserve = environment.database.connectionReserve;
  const proxyShare = environment.proxy.enabled
    ? Math.floor((capacity.maxConnections * environment.proxy.maxConnectionsPercent) / 100)
    : undefined;
  const perTenant = tenants
    .filter(tenantHoldsConnections)
    .map((t) => ({ name: t.name, connectionLimit: t.connectionLimit }));
  return {
    instanceClass: capacity.instanceClass,
    maxConnections: capacity.maxConnections,
    reserve,
    proxyShare,
    available: Math.min(capacity.maxConnections - reserve, proxyShare ?? Number.POSITIVE_INFINITY),
    requested: perTenant.reduce((sum, t) => sum + t.connectionLimit, 0),
    perTenant,
  };
}

/** The smallest class (by memory) whose budget would fit `requested`, if any. */
export function smallestFittingClass(
  environment: Pick<EnvironmentConfig, "database" | "proxy">,
  requested: number,
): string | undefined {
  const family = (name: string) => name.split(".")[1];
  const current = family(environment.database.instanceClass);
  const fitting = INSTANCE_CLASS_NAMES.map((name) => ({
    name,
    budget: connectionBudget(
      { ...environment, database: { ...environment.database, instanceClass: name } },
      [],
    ),
    memory: instanceCapacity(name).memoryGib,
  }))
    .filter((c) => c.budget.available >= requested)
    // Prefer staying in the current family (db.t4g.small -> db.t4g.medium), then the least memory.
    .sort(
      (a, b) =>
        Number(family(b.name) === current) - Number(family(a.name) === current) ||
        a.memory - b.memory ||
        a.name.localeCompare(b.name),
    );
  return fitting[0]?.name;
}

/** Why the budget does not fit, or undefined when it does. */
export function budgetProblem(
  environmentName: string,
  environment: Pick<EnvironmentConfig, "database" | "proxy">,
  budget: ConnectionBudget,
): string | undefined {
  if (budget.requested <= budget.available) return undefined;
  // Largest limits first (they are where lowering helps most), then in file order.
  const limits = listWithCount(
    [...budget.perTenant]
      .sort((a, b) => b.connectionLimit - a.connectionLimit)
      .map((t) => `${t.name} ${t.connectionLimit}`),
  );
  const ceiling =
    budget.proxyShare !== undefined && budget.proxyShare < budget.maxConnections - budget.reserve
      ? `the proxy's share (${environment.proxy.maxConnectionsPercent}% of max_connections ${budget.maxConnections} = ${budget.proxyShare})`
      : `max_connections ${budget.maxConnections} of ${budget.instanceClass} minus the reserve of ${budget.reserve} = ${budget.maxConnections - budget.reserve}`;
  const bigger = smallestFittingClass(environment, budget.requested);
  const fixes = [
    bigger ? `set database.instanceClass to ${bigger} or larger` : "use a larger instance class",
    `lower connectionLimit of some tenants by ${budget.requested - budget.available} in total`,
    "or suspend/retire tenants that are not in use",
  ];
  return `environment ${environmentName}: active tenants need ${budget.requested} connections (${limits}), but only ${budget.available} fit: ${ceiling}. Fix: ${fixes.join("; ")}.`;
}
