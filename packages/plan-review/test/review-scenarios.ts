/**
 * The configuration changes the golden-file tests plan with real Terraform. Every scenario
 * edits a copy of the repository's environments/prod; the numbers are derived from that
 * configuration, so the scenarios stay valid when it changes.
 */
import {
  connectionBudget,
  INSTANCE_CLASS_NAMES,
  type InstanceClass,
  type LoadedEnvironment,
  loadEnvironment,
  MAX_PROXY_SECRETS,
  tenantInProxy,
} from "@pgforks/config";
import type { Scenario } from "./scenarios";

/** The environment every scenario changes: the one with a proxy, Multi-AZ and deletion protection. */
export const SCENARIO_ENVIRONMENT = "prod";

/** The tenant the add-tenant scenario adds. */
export const NEW_TENANT = {
  name: "edtech",
  database: "edtech_experiment",
  owner: "edtech-team@example.com",
  connectionLimit: 20,
} as const;

/** The class the instance-class scenario moves to: the next size of the same family (seed 001: db.t4g.medium for 5-10 forks). */
export const NEXT_INSTANCE_CLASS: InstanceClass = "db.t4g.medium";

/** Allocated storage of the storage scenario: twice the default 20 GB, under the 100 GB ceiling. */
export const NEW_ALLOCATED_STORAGE_GB = 40;

/** The master username of the replacement scenario (RDS cannot rename the master user: ForceNew). */
export const NEW_MASTER_USERNAME = "pgforks_admin";

/** Backup retention of the lower-protections scenario (days; the base keeps more). */
export const LOWERED_BACKUP_DAYS = 1;

/** Connection limit of each tenant the huge scenario adds: the schema's minimum. */
export const HUGE_TENANT_CONNECTION_LIMIT = 1;

/**
 * The huge scenario fills the proxy to its secret quota (MAX_PROXY_SECRETS) with new tenants and
 * moves the instance to the smallest class of the same family whose budget fits them.
 */
export function hugePlanShape(base: LoadedEnvironment): {
  tenants: number;
  instanceClass: InstanceClass;
} {
  const tenants = MAX_PROXY_SECRETS - base.tenants.filter(tenantInProxy).length;
  const current = base.environment.database.instanceClass;
  const family = current.split(".").slice(0, 2).join(".");
  const requested =
    connectionBudget(base.environment, base.tenants).requested +
    tenants * HUGE_TENANT_CONNECTION_LIMIT;
  const fitting = INSTANCE_CLASS_NAMES.filter((name) => name.startsWith(`${family}.`))
    .map((name) => ({
      name,
      available: connectionBudget(
        { ...base.environment, database: { ...base.environment.database, instanceClass: name } },
        [],
      ).available,
    }))
    .filter((c) => c.available >= requested)
    .sort((a, b) => a.available - b.available)[0];
  if (!fitting) throw new Error(`no ${family} class fits ${requested} connections`);
  return { tenants, instanceClass: fitting.name };
}

/** Name of the huge scenario's n-th tenant (1-based): fork001, fork002, ... */
export function hugeTenantName(n: number): string {
  return `fork${String(n).padStart(3, "0")}`;
}

/** The scenarios, in golden-file order. */
export function reviewScenarios(environmentsDir?: string): Scenario[] {
  const base = loadEnvironment(SCENARIO_ENVIRONMENT, environmentsDir);
  const huge = hugePlanShape(base);
  return [
    {
      name: "no-change",
      title: "the configuration as committed",
      environment: SCENARIO_ENVIRONMENT,
    },
    {
      name: "add-tenant",
      title: `tenant ${NEW_TENANT.name} added`,
      environment: SCENARIO_ENVIRONMENT,
      edit: ({ tenants }) => {
        tenants.addIn(["tenants"], { ...NEW_TENANT });
      },
    },
    {
      name: "add-tenant-proxy",
      title: `tenant ${NEW_TENANT.name} added while the RDS Proxy is on`,
      environment: SCENARIO_ENVIRONMENT,
      base: {
        name: "proxy",
        edit: ({ environment }) => {
          environment.setIn(["proxy", "enabled"], true);
        },
      },
      edit: ({ tenants }) => {
        tenants.addIn(["tenants"], { ...NEW_TENANT });
      },
    },
    {
      name: "instance-class",
      title: `instance class changed to ${NEXT_INSTANCE_CLASS}`,
      environment: SCENARIO_ENVIRONMENT,
      edit: ({ environment }) => {
        environment.setIn(["database", "instanceClass"], NEXT_INSTANCE_CLASS);
      },
    },
    {
      name: "storage",
      title: `allocated storage raised to ${NEW_ALLOCATED_STORAGE_GB} GB`,
      environment: SCENARIO_ENVIRONMENT,
      edit: ({ environment }) => {
        environment.setIn(["database", "allocatedStorageGb"], NEW_ALLOCATED_STORAGE_GB);
      },
    },
    {
      name: "replace-instance",
      title: `master username changed to ${NEW_MASTER_USERNAME} (forces a new instance)`,
      environment: SCENARIO_ENVIRONMENT,
      edit: ({ environment }) => {
        environment.setIn(["database", "masterUsername"], NEW_MASTER_USERNAME);
      },
    },
    {
      name: "lower-protections",
      title: "tier development: Multi-AZ, deletion protection and most backups off",
      environment: SCENARIO_ENVIRONMENT,
      edit: ({ environment }) => {
        environment.set("tier", "development");
        environment.setIn(["database", "multiAz"], false);
        environment.setIn(["database", "deletionProtection"], false);
        environment.setIn(["database", "backupRetentionDays"], LOWERED_BACKUP_DAYS);
      },
    },
    {
      name: "huge-plan",
      title: `${huge.tenants} tenants added on ${huge.instanceClass}`,
      environment: SCENARIO_ENVIRONMENT,
      edit: ({ environment, tenants }) => {
        environment.setIn(["database", "instanceClass"], huge.instanceClass);
        for (let n = 1; n <= huge.tenants; n++) {
          tenants.addIn(["tenants"], {
            name: hugeTenantName(n),
            owner: `${hugeTenantName(n)}-team@example.com`,
            connectionLimit: HUGE_TENANT_CONNECTION_LIMIT,
          });
        }
      },
    },
  ];
}
