import {
  type ConnectionBudget,
  type EnvironmentConfig,
  type TenantConfig,
  type TenantState,
  tenantDatabaseName,
} from "@pgforks/config";
import {
  DATABASE_RENAMED_NOTE,
  footprintEnvironment,
  type IntentKind,
  intentOf,
  type PreviewAttribute,
  TARGET_CHANGED_NOTE,
  tenantFootprint,
} from "@pgforks/tenants/footprint";

export { DATABASE_RENAMED_NOTE, TARGET_CHANGED_NOTE };

/** The two stacks every environment synthesizes. */
export type StackKind = "platform" | "tenants";

/** `<env>-platform` / `<env>-tenants`. */
export function stackName(env: string, kind: StackKind): string {
  return `${env}-${kind}`;
}

/** One attribute a reviewer cares about; an empty name renders the value alone ("UTF8"). */
export type PlannedAttribute = PreviewAttribute;

/** Something a tenant puts in a stack, in words: a footprint intent's preview. */
export interface PlannedResource {
  readonly stack: StackKind;
  /** Identity: its Terraform address (the same before and after means "the same thing, maybe changed"). */
  readonly key: string;
  /** What the footprint calls it. */
  readonly kind: IntentKind;
  /** The extension, for extensions. */
  readonly detail?: string;
  readonly label: string;
  readonly attributes: readonly PlannedAttribute[];
  /** Said when it is created. */
  readonly createNote?: string;
  /** Said when it is destroyed. */
  readonly destroyNote?: string;
}

/**
 * What one tenant amounts to in the two stacks, in its lifecycle state: the present intents of
 * its footprint (@pgforks/tenants) that have a preview, in words.
 */
export function tenantResources(
  tenant: TenantConfig,
  environment: EnvironmentConfig,
): PlannedResource[] {
  return tenantFootprint(tenant, footprintEnvironment(environment)).flatMap((intent) =>
    intent.state === "present" && intent.preview
      ? [
          {
            stack: intent.address.stack,
            key: intent.address.terraformAddress,
            kind: intent.kind,
            ...(intent.kind === "extension" ? { detail: intent.args.name } : {}),
            ...intent.preview,
          },
        ]
      : [],
  );
}

/**
 * A tenant's role connection limit as lists show it: the footprint's ("0 (10 when active)" when
 * the tenant is not active, with `whenInactive` between the parentheses).
 */
export function roleLimitCell(
  tenant: TenantConfig,
  environment: EnvironmentConfig,
  whenInactive: (configured: number) => string = (configured) => `${configured} when active`,
): string {
  const role = intentOf(tenantFootprint(tenant, footprintEnvironment(environment)), "role");
  const limit = role?.state === "present" ? (role.args.connectionLimit ?? 0) : 0;
  return limit === tenant.connectionLimit
    ? String(limit)
    : `${limit} (${whenInactive(tenant.connectionLimit)})`;
}

/** The Secrets Manager name of a tenant's secret, or undefined when it has none (dropped). */
export function tenantSecretNameOf(
  tenant: TenantConfig,
  environment: EnvironmentConfig,
): string | undefined {
  const secret = intentOf(tenantFootprint(tenant, footprintEnvironment(environment)), "secret");
  return secret?.state === "present" ? secret.args.name : undefined;
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

/**
 * `<stack>: change, change` lines; a single line saying so, and why, when nothing changes:
 * suspended and retired differ only in the RDS Proxy's auth list, so without a proxy moving
 * between them changes nothing; otherwise only fields no stack reads (owner, description) changed.
 */
export function formatStackChanges(
  changes: readonly StackChange[],
  states?: { readonly before?: TenantState; readonly after?: TenantState; readonly env: string },
): string[] {
  if (changes.length > 0) return changes.map((c) => `${c.stack}: ${c.changes.join(", ")}`);
  const { before, after, env } = states ?? {};
  if (before && after && before !== after) {
    return [
      `no infrastructure change: ${before} and ${after} differ only in the RDS Proxy's auth list, and ${env} has no proxy (proxy.enabled is off)`,
    ];
  }
  return ["no infrastructure change (only documentation fields)"];
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
