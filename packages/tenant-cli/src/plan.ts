import {
  type ConnectionBudget,
  connectionTarget,
  describeConnectionTarget,
  type EnvironmentConfig,
  readOnlyRoleName,
  resourcePrefix,
  TENANT_DATABASE_PRIVILEGES,
  type TenantConfig,
  tenantDatabaseConnectionLimit,
  tenantDatabaseName,
  tenantHoldsConnections,
  tenantRoleConnectionLimit,
  tenantSecretName,
} from "@pgforks/config";

/** The two stacks every environment synthesizes. */
export type StackKind = "platform" | "tenants";

/** `<env>-platform` / `<env>-tenants`. */
export function stackName(env: string, kind: StackKind): string {
  return `${env}-${kind}`;
}

/** Secrets Manager name of a tenant's credentials: `<project>-<env>/tenants/<name>`. */
export function environmentTenantSecretName(
  environment: Pick<EnvironmentConfig, "project" | "name">,
  tenant: Pick<TenantConfig, "name">,
): string {
  return tenantSecretName(resourcePrefix(environment), tenant.name);
}

/** One attribute a reviewer cares about; an empty name renders the value alone ("UTF8"). */
export interface PlannedAttribute {
  readonly name: string;
  readonly value: string;
  /** Said instead of the name when the value changes ("... (old -> new)"). Default: the name. */
  readonly changeNote?: string;
  /** Listed when the resource is created. Default true. */
  readonly onCreate?: boolean;
}

/** Something a tenant puts in a stack, in words. */
export interface PlannedResource {
  readonly stack: StackKind;
  /** Identity: the same key before and after means "the same thing, maybe changed". */
  readonly key: string;
  readonly label: string;
  readonly attributes: readonly PlannedAttribute[];
  /** Said when it is created. */
  readonly createNote?: string;
  /** Said when it is destroyed. */
  readonly destroyNote?: string;
}

/** Encoding of every tenant database (seed 001: "proper permissions and encoding (UTF8)"). */
export const TENANT_DATABASE_ENCODING = "UTF8";

/**
 * Where a tenant's secret sends applications, in the words of @pgforks/tenants'
 * describeConnectionTarget ("proxy:5432/shop_prod", "instance:5433/shop_prod"): the proxy listens
 * on RDS_PROXY_POSTGRESQL_PORT whatever the instance's port. The tenants stack's credentials
 * version covers it, so when it changes the password rotates and the secret is rewritten. The
 * version also covers the secret's ARN and the host, which only Terraform knows (at plan time):
 * a recreated secret or a new endpoint rotates too, and shows in the Terraform plan, not here.
 */
export function connectionTargetOf(
  tenant: Pick<TenantConfig, "name" | "database">,
  environment: Pick<EnvironmentConfig, "proxy" | "database">,
): string {
  return describeConnectionTarget(connectionTarget(environment, tenant));
}

/** What the plan line says when the connection target of a tenant's secret changes. */
export const TARGET_CHANGED_NOTE = "password rotated because the connection target changed";

/** What the plan line says when a tenant's database is renamed (same address, updated in place). */
export const DATABASE_RENAMED_NOTE =
  "REFUSED at plan time: a tenant database is never renamed by an apply (docs/operations.md)";

/**
 * What one tenant amounts to in the two stacks, in its lifecycle state. Mirrors the constructs of
 * @pgforks/tenants (TenantSecrets in the platform stack, TenantDatabases in the tenants stack),
 * with the same identities (every address keyed by the tenant's name; a database rename is refused
 * at plan time):
 * - active: login role with the tenant's connection limit; the read-only group may CONNECT;
 * - suspended: role NOLOGIN with CONNECTION LIMIT 0, read-only group loses CONNECT; the database
 *   (the master user's) keeps its limit and its data;
 * - retired: as suspended, and its secret leaves the RDS Proxy's auth list;
 * - dropped: nothing (database, role, grants and secret are destroyed).
 */
export function tenantResources(
  tenant: TenantConfig,
  environment: EnvironmentConfig,
): PlannedResource[] {
  if (tenant.state === "dropped") return [];
  const active = tenantHoldsConnections(tenant);
  const database = tenantDatabaseName(tenant);
  const secret = environmentTenantSecretName(environment, tenant);
  const admin = environment.database.masterUsername;
  const resources: PlannedResource[] = [
    {
      stack: "platform",
      key: `secret:${tenant.name}`,
      label: `Secrets Manager secret ${secret}`,
      attributes: [],
      destroyNote: "deletion scheduled, recoverable during its recovery window",
    },
  ];
  if (environment.proxy.enabled && tenant.state !== "retired") {
    resources.push({
      stack: "platform",
      key: `proxy-auth:${tenant.name}`,
      label: "RDS Proxy auth entry",
      attributes: [],
      createNote: "proxy on",
      destroyNote: "the tenant can no longer connect through the proxy",
    });
  }
  resources.push(
    {
      stack: "tenants",
      key: `role:${tenant.name}`,
      label: `role ${tenant.name}`,
      attributes: [
        { name: "login", value: String(active) },
        { name: "connection limit", value: String(tenantRoleConnectionLimit(tenant)) },
      ],
    },
    {
      stack: "tenants",
      key: `database:${tenant.name}`,
      label: `database ${database}`,
      attributes: [
        { name: "", value: TENANT_DATABASE_ENCODING },
        { name: "name", value: database, changeNote: DATABASE_RENAMED_NOTE, onCreate: false },
        { name: "owner", value: admin },
        { name: "connection limit", value: String(tenantDatabaseConnectionLimit(tenant)) },
      ],
      destroyNote: "DESTROYED: data lost unless backed up",
    },
    {
      stack: "tenants",
      key: `revoke:${database}`,
      label: `revoke PUBLIC CONNECT/TEMP on ${database}`,
      attributes: [],
    },
    {
      stack: "tenants",
      key: `grant:${database}:${tenant.name}`,
      label: `grant ${TENANT_DATABASE_PRIVILEGES.join("/")} on ${database} to ${tenant.name}`,
      attributes: [],
    },
    {
      stack: "tenants",
      key: `schema:${database}:${tenant.name}`,
      label: `schema ${tenant.name} in ${database}`,
      attributes: [{ name: "owner", value: tenant.name }],
      createNote: 'where the app\'s tables go (search_path "$user", public)',
    },
    ...tenant.extensions.map(
      (extension): PlannedResource => ({
        stack: "tenants",
        key: `extension:${database}:${extension}`,
        label: `extension ${extension}`,
        attributes: [],
        createNote: `in ${database}`,
      }),
    ),
  );
  if (tenant.readOnlyRole) {
    resources.push({
      stack: "tenants",
      key: `role:${readOnlyRoleName(tenant)}`,
      label: `read-only role ${readOnlyRoleName(tenant)}`,
      attributes: [{ name: "CONNECT", value: active ? "granted" : "revoked" }],
      createNote: `NOLOGIN group, SELECT on ${database}'s tables via default privileges`,
    });
  }
  resources.push({
    stack: "tenants",
    key: `password:${tenant.name}`,
    label: `secret value and role password of ${tenant.name}`,
    attributes: [
      { name: "password version", value: String(tenant.passwordVersion) },
      {
        name: "connection target",
        value: connectionTargetOf(tenant, environment),
        changeNote: TARGET_CHANGED_NOTE,
        onCreate: false,
      },
    ],
    createNote: "write-only, never in state",
  });
  return resources;
}

function renderAttributes(attributes: readonly PlannedAttribute[]): string[] {
  return attributes
    .filter((a) => a.onCreate !== false)
    .map((a) => (a.name ? `${a.name} ${a.value}` : a.value));
}

function parenthesized(parts: readonly (string | undefined)[]): string {
  const present = parts.filter((p): p is string => p !== undefined && p !== "");
  return present.length > 0 ? ` (${present.join(", ")})` : "";
}

/** The changes one stack gets, each "+ ...", "~ ..." or "- ...". */
export interface StackChange {
  /** `<env>-platform` or `<env>-tenants`. */
  readonly stack: string;
  readonly changes: readonly string[];
}

/**
 * What the next plan will contain for one tenant, in words, per stack: `before` is the tenant as
 * configured now (undefined when it is new), `after` as it will be (undefined when the entry is
 * removed), in `environment` (and `environmentBefore` before, when the environment changes too).
 * Stacks without changes are left out. Pure: derived from the configuration only.
 */
export function describeTenantChange(
  env: string,
  before: TenantConfig | undefined,
  after: TenantConfig | undefined,
  environment: EnvironmentConfig,
  /** The environment as configured now, when it changes too (e.g. the proxy). Default: `environment`. */
  environmentBefore: EnvironmentConfig = environment,
): StackChange[] {
  if (
    before &&
    after &&
    before.state !== "dropped" &&
    after.state !== "dropped" &&
    tenantDatabaseName(before) !== tenantDatabaseName(after)
  ) {
    // The plan fails before anything changes (the database's postcondition in @pgforks/tenants).
    return [
      {
        stack: stackName(env, "tenants"),
        changes: [
          `! database ${tenantDatabaseName(before)} -> ${tenantDatabaseName(after)}: ${DATABASE_RENAMED_NOTE}`,
        ],
      },
    ];
  }
  const old = new Map(
    (before ? tenantResources(before, environmentBefore) : []).map((r) => [r.key, r] as const),
  );
  const next = after ? tenantResources(after, environment) : [];
  const nextKeys = new Set(next.map((r) => r.key));
  const lines: Record<StackKind, string[]> = { platform: [], tenants: [] };
  for (const resource of next) {
    const previous = old.get(resource.key);
    if (!previous) {
      lines[resource.stack].push(
        `+ ${resource.label}${parenthesized([...renderAttributes(resource.attributes), resource.createNote])}`,
      );
      continue;
    }
    const changed = resource.attributes.flatMap((attribute) => {
      const was = previous.attributes.find((a) => a.name === attribute.name)?.value;
      if (was === attribute.value) return [];
      if (attribute.changeNote) {
        return [`${attribute.changeNote} (${was ?? "unset"} -> ${attribute.value})`];
      }
      return [
        `${attribute.name ? `${attribute.name} ` : ""}${was ?? "unset"} -> ${attribute.value}`,
      ];
    });
    if (changed.length > 0)
      lines[resource.stack].push(`~ ${resource.label}: ${changed.join(", ")}`);
  }
  for (const resource of old.values()) {
    if (nextKeys.has(resource.key)) continue;
    lines[resource.stack].push(`- ${resource.label}${parenthesized([resource.destroyNote])}`);
  }
  return (["platform", "tenants"] as const)
    .filter((kind) => lines[kind].length > 0)
    .map((kind) => ({ stack: stackName(env, kind), changes: lines[kind] }));
}

/** `<stack>: change, change` lines; a single line saying so when nothing changes. */
export function formatStackChanges(changes: readonly StackChange[]): string[] {
  if (changes.length === 0) return ["no infrastructure change (only documentation fields)"];
  return changes.map((c) => `${c.stack}: ${c.changes.join(", ")}`);
}

/** "80/202 connections (max_connections 225 of db.t4g.small, reserve 10, proxy share 202)". */
export function formatBudget(budget: ConnectionBudget): string {
  const share = budget.proxyShare === undefined ? "" : `, proxy share ${budget.proxyShare}`;
  return `${budget.requested}/${budget.available} connections (max_connections ${budget.maxConnections} of ${budget.instanceClass}, reserve ${budget.reserve}${share})`;
}

/** "connection budget prod: 80 -> 90 of 202 available (...)". */
export function formatBudgetChange(
  env: string,
  before: ConnectionBudget,
  after: ConnectionBudget,
): string {
  if (before.requested === after.requested) {
    return `connection budget ${env}: unchanged, ${formatBudget(after)}`;
  }
  return `connection budget ${env}: ${before.requested} -> ${formatBudget(after)}`;
}
