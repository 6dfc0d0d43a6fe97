/**
 * Tenant changes in words ("+ tenant healthtech in prod: database, role, secret, proxy auth").
 *
 * Resources are mapped to tenants by what they are, read from the plan's values (names are
 * configuration constants, so they are known at plan time):
 * - postgresql_database: its `name` (the tenant's database) or its `owner` (the tenant's role);
 * - postgresql_role: its `name` (the tenant, or `<tenant>_readonly`);
 * - postgresql_grant / _schema / _extension / _default_privileges: their `database`;
 * - aws_secretsmanager_secret: its `name` `<prefix>/tenants/<tenant>` (naming.ts) or its
 *   `pgforks:tenant` tag; aws_secretsmanager_secret_version: the secret ARN it writes;
 * - aws_db_proxy: the `auth` list, before against after (each entry is described "tenant <name>");
 * and, when the values say nothing, the construct path (`.../tenant-secrets/<tenant>`).
 * Stacks that were not planned (the tenants stack cannot be planned offline) are filled in from the
 * configuration, before against after, with the model @pgforks/tenant-cli uses for its own
 * previews (tenantResources), so both tools say the same thing.
 */
import {
  type EnvironmentConfig,
  type LoadedEnvironment,
  READ_ONLY_ROLE_SUFFIX,
  readOnlyRoleName,
  type TenantConfig,
  type TenantState,
  tenantDatabaseName,
} from "@pgforks/config";
import { type PlannedResource, stackName, tenantResources } from "@pgforks/tenant-cli";
import type { ReviewAction, ReviewResourceChange } from "./plan-json";
import { compareStrings } from "./values";

/** The parts of a tenant, in the order they are named. */
export const TENANT_COMPONENT_KINDS = [
  "database",
  "role",
  "read-only role",
  "secret",
  "secret value",
  "proxy auth",
  "extension",
  "grants",
] as const;
export type TenantComponentKind = (typeof TENANT_COMPONENT_KINDS)[number];

/** What happens to one part. */
export type ComponentAction = Extract<ReviewAction, "create" | "update" | "replace" | "delete">;

/** One part of a tenant that changes. */
export interface TenantComponent {
  readonly kind: TenantComponentKind;
  readonly action: ComponentAction;
  /** The stack it lives in. */
  readonly stack: string;
  /** Its resource address, when it comes from a plan. */
  readonly address?: string;
  /** Extension name, or what changes ("connection limit 20 → 30"). */
  readonly detail?: string;
  /** False when derived from the configuration because the stack was not planned. */
  readonly planned: boolean;
}

/** + added, − removed (data destroyed), ± replaced (data destroyed and recreated empty), ~ changed. */
export type TenantSign = "+" | "~" | "-" | "±";

/** One tenant's change in one environment. */
export interface TenantChange {
  readonly environment: string;
  readonly tenant: string;
  readonly sign: TenantSign;
  /** The sentence: "+ tenant healthtech in prod: database, role, secret, proxy auth". */
  readonly words: string;
  readonly stateBefore?: TenantState;
  readonly stateAfter?: TenantState;
  readonly components: readonly TenantComponent[];
  /** Stacks whose part of this sentence comes from the configuration (not planned). */
  readonly fromConfig: readonly string[];
}

/** Where a resource belongs, when it belongs to a tenant. */
export interface TenantOwnership {
  readonly tenant: string;
  readonly kind: TenantComponentKind;
  readonly detail?: string;
}

/** The tenants of one environment, before and after, for resolving names. */
export class TenantDirectory {
  readonly before: ReadonlyMap<string, TenantConfig>;
  readonly after: ReadonlyMap<string, TenantConfig>;
  private readonly byDatabase = new Map<string, string>();

  constructor(before: readonly TenantConfig[] = [], after: readonly TenantConfig[] = []) {
    this.before = new Map(before.map((t) => [t.name, t]));
    this.after = new Map(after.map((t) => [t.name, t]));
    for (const t of [...before, ...after]) this.byDatabase.set(tenantDatabaseName(t), t.name);
  }

  /** The tenant whose database is `database`, if configured (before or after). */
  tenantOfDatabase(database: string): string | undefined {
    return this.byDatabase.get(database);
  }

  knows(name: string): boolean {
    return this.before.has(name) || this.after.has(name);
  }

  /** A role name as tenant + kind: `x` -> role of x, `x_readonly` -> read-only role of x. */
  roleOwner(role: string): TenantOwnership {
    if (!this.knows(role) && role.endsWith(READ_ONLY_ROLE_SUFFIX)) {
      return { tenant: role.slice(0, -READ_ONLY_ROLE_SUFFIX.length), kind: "read-only role" };
    }
    return { tenant: role, kind: "role" };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function attributeValue(rc: ReviewResourceChange, key: string): unknown {
  const after = isObject(rc.change.after) ? rc.change.after[key] : undefined;
  if (after !== undefined && after !== null) return after;
  return isObject(rc.change.before) ? rc.change.before[key] : undefined;
}

function stringOf(rc: ReviewResourceChange, key: string): string | undefined {
  const value = attributeValue(rc, key);
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** `<anything>/tenants/<tenant>`: the secret name scheme of naming.ts (tenantSecretName). */
const SECRET_NAME = /\/tenants\/([^/]+)$/;
/** A secret ARN ends in `:secret:<name>-<6 random characters>` (Secrets Manager ARN format). */
const SECRET_ARN = /:secret:.*\/tenants\/([^/]+)-[A-Za-z0-9]{6}$/;
/** Proxy auth entries are described `tenant <name>` (@pgforks/proxy). */
const PROXY_AUTH_DESCRIPTION = /^tenant (\S+)$/;

/**
 * Which tenant a changed resource belongs to, and as what. `constructPath` is the cdktf path from
 * the synthesized JSON, used only when the values do not tell.
 */
export function tenantOwnership(
  rc: ReviewResourceChange,
  directory: TenantDirectory,
  constructPath?: string,
): TenantOwnership | undefined {
  switch (rc.type) {
    case "postgresql_database": {
      const name = stringOf(rc, "name");
      const owner = stringOf(rc, "owner");
      const tenant = (name && directory.tenantOfDatabase(name)) ?? owner ?? name;
      return tenant ? { tenant, kind: "database" } : undefined;
    }
    case "postgresql_role": {
      const name = stringOf(rc, "name");
      return name ? directory.roleOwner(name) : undefined;
    }
    case "postgresql_grant":
    case "postgresql_schema":
    case "postgresql_default_privileges":
    case "postgresql_extension": {
      const database = stringOf(rc, "database");
      const role = stringOf(rc, "role");
      const tenant =
        (database && directory.tenantOfDatabase(database)) ??
        (role && directory.knows(role) ? role : undefined) ??
        database;
      if (!tenant) return undefined;
      return rc.type === "postgresql_extension"
        ? { tenant, kind: "extension", detail: stringOf(rc, "name") }
        : { tenant, kind: "grants" };
    }
    case "aws_secretsmanager_secret": {
      const tags = attributeValue(rc, "tags");
      const tagged = isObject(tags) ? tags["pgforks:tenant"] : undefined;
      const tenant =
        SECRET_NAME.exec(stringOf(rc, "name") ?? "")?.[1] ??
        (typeof tagged === "string" ? tagged : undefined) ??
        /\/tenant-secrets\/([^/]+)$/.exec(constructPath ?? "")?.[1];
      return tenant ? { tenant, kind: "secret" } : undefined;
    }
    case "aws_secretsmanager_secret_version": {
      const tenant =
        SECRET_ARN.exec(stringOf(rc, "secret_id") ?? "")?.[1] ??
        /\/secret-value-([^/]+)$/.exec(constructPath ?? "")?.[1];
      return tenant ? { tenant, kind: "secret value" } : undefined;
    }
    default:
      return undefined;
  }
}

/** Tenants in a proxy `auth` list (by description, else by secret ARN). */
function proxyAuthTenants(value: unknown): Set<string> {
  const tenants = new Set<string>();
  const auth = isObject(value) && Array.isArray(value.auth) ? value.auth : [];
  for (const entry of auth) {
    if (!isObject(entry)) continue;
    const described =
      typeof entry.description === "string"
        ? PROXY_AUTH_DESCRIPTION.exec(entry.description)?.[1]
        : undefined;
    const byArn =
      typeof entry.secret_arn === "string" ? SECRET_ARN.exec(entry.secret_arn)?.[1] : undefined;
    const tenant = described ?? byArn;
    if (tenant) tenants.add(tenant);
  }
  return tenants;
}

/** Tenants whose proxy auth entry a change adds or removes. */
export function proxyAuthChanges(
  rc: ReviewResourceChange,
): Array<{ tenant: string; action: "create" | "delete" }> {
  if (rc.type !== "aws_db_proxy") return [];
  const before = proxyAuthTenants(rc.change.before);
  const after = proxyAuthTenants(rc.change.after);
  return [
    ...[...after]
      .filter((t) => !before.has(t))
      .map((tenant) => ({ tenant, action: "create" as const })),
    ...[...before]
      .filter((t) => !after.has(t))
      .map((tenant) => ({ tenant, action: "delete" as const })),
  ].sort((a, b) => compareStrings(a.tenant, b.tenant));
}

/** Attributes worth naming when a tenant's role, database or grant is updated. */
const NAMED_UPDATES: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>> = {
  postgresql_role: [
    ["login", "login"],
    ["connection_limit", "connection limit"],
    ["password_wo_version", "password version"],
  ],
  postgresql_database: [
    ["connection_limit", "connection limit"],
    ["owner", "owner"],
    ["allow_connections", "allow connections"],
  ],
  postgresql_grant: [["privileges", "privileges"]],
  aws_secretsmanager_secret_version: [["secret_string_wo_version", "version"]],
};

function show(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.join("/");
  return value === undefined || value === null ? "unset" : String(value);
}

/** "connection limit 20 → 30, login true → false" for an update of a tenant resource. */
export function updateDetail(rc: ReviewResourceChange): string | undefined {
  const named = NAMED_UPDATES[rc.type] ?? [];
  const before = isObject(rc.change.before) ? rc.change.before : {};
  const after = isObject(rc.change.after) ? rc.change.after : {};
  const parts = named.flatMap(([key, label]) => {
    const was = before[key];
    const now = after[key];
    if (JSON.stringify(was) === JSON.stringify(now)) return [];
    return [`${label} ${show(was)} → ${show(now)}`];
  });
  return parts.length > 0 ? parts.join(", ") : undefined;
}

/** The kind of a tenant-cli planned resource (its key prefix). */
function kindOfPlanned(resource: PlannedResource, tenant: TenantConfig): TenantComponentKind {
  const [prefix = "", ...rest] = resource.key.split(":");
  switch (prefix) {
    case "secret":
      return "secret";
    case "proxy-auth":
      return "proxy auth";
    case "role":
      return rest.join(":") === readOnlyRoleName(tenant) ? "read-only role" : "role";
    case "database":
      return "database";
    case "extension":
      return "extension";
    case "password":
      return "secret value";
    default:
      return "grants";
  }
}

/**
 * The parts of a tenant that change between two configurations, for the stacks in `stacks`
 * only (the ones not planned). Same model as `npm run tenant` previews (tenantResources).
 */
export function configComponents(
  env: string,
  before: { tenant?: TenantConfig; environment?: EnvironmentConfig },
  after: { tenant?: TenantConfig; environment?: EnvironmentConfig },
  stacks: ReadonlySet<string>,
): TenantComponent[] {
  const old = new Map(
    (before.tenant && before.environment
      ? tenantResources(before.tenant, before.environment)
      : []
    ).map((r) => [r.key, r] as const),
  );
  const next =
    after.tenant && after.environment ? tenantResources(after.tenant, after.environment) : [];
  const components: TenantComponent[] = [];
  const push = (
    resource: PlannedResource,
    tenant: TenantConfig,
    action: ComponentAction,
    detail?: string,
  ) => {
    const stack = stackName(env, resource.stack);
    if (!stacks.has(stack)) return;
    const kind = kindOfPlanned(resource, tenant);
    const extension = kind === "extension" ? resource.key.split(":").at(-1) : undefined;
    components.push({
      kind,
      action,
      stack,
      planned: false,
      ...((extension ?? detail) ? { detail: extension ?? detail } : {}),
    });
  };
  const nextKeys = new Set(next.map((r) => r.key));
  for (const resource of next) {
    const previous = old.get(resource.key);
    if (!previous) {
      push(resource, after.tenant as TenantConfig, "create");
      continue;
    }
    const changed = resource.attributes.flatMap((attribute) => {
      const was = previous.attributes.find((a) => a.name === attribute.name)?.value;
      return was === attribute.value
        ? []
        : [`${attribute.name} ${was ?? "unset"} → ${attribute.value}`];
    });
    if (changed.length > 0)
      push(resource, after.tenant as TenantConfig, "update", changed.join(", "));
  }
  for (const resource of old.values()) {
    if (!nextKeys.has(resource.key)) push(resource, before.tenant as TenantConfig, "delete");
  }
  return components;
}

/** Words for a lifecycle transition (config before → after). */
export function stateWords(from: TenantState, to: TenantState): string {
  if (to === "suspended") {
    return from === "retired"
      ? "suspended (login off, back in the proxy)"
      : "suspended (login off)";
  }
  if (to === "retired") return "retired (login off, removed from the proxy)";
  if (to === "active") {
    return from === "retired"
      ? "reactivated (login on, back in the proxy)"
      : "reactivated (login on)";
  }
  return "dropped";
}

const KIND_ORDER = new Map(TENANT_COMPONENT_KINDS.map((k, i) => [k, i]));

function sortComponents(components: readonly TenantComponent[]): TenantComponent[] {
  return [...components].sort(
    (a, b) =>
      (KIND_ORDER.get(a.kind) ?? 0) - (KIND_ORDER.get(b.kind) ?? 0) ||
      compareStrings(a.detail ?? "", b.detail ?? "") ||
      compareStrings(a.stack, b.stack) ||
      compareStrings(a.address ?? "", b.address ?? ""),
  );
}

/** The identity parts: their fate decides whether the tenant is added, removed or replaced. */
const MAIN_KINDS: ReadonlySet<TenantComponentKind> = new Set(["database", "role", "secret"]);

function signOf(components: readonly TenantComponent[]): TenantSign {
  const main = components.filter((c) => MAIN_KINDS.has(c.kind));
  if (main.some((c) => c.action === "replace")) return "±";
  if (main.length > 0 && main.every((c) => c.action === "create")) return "+";
  if (main.length > 0 && main.every((c) => c.action === "delete")) return "-";
  return "~";
}

function part(component: TenantComponent, sign: TenantSign): string | undefined {
  const { kind, action, detail } = component;
  if (kind === "database" && (action === "delete" || action === "replace")) {
    return action === "delete" ? "database DESTROYED" : "database REPLACED (data DESTROYED)";
  }
  if (sign === "+" && action === "create") {
    if (kind === "grants" || kind === "secret value") return undefined;
    return kind === "extension" ? `extension ${detail ?? ""}`.trim() : kind;
  }
  if (sign === "-" && action === "delete") {
    if (kind === "grants" || kind === "secret value" || kind === "extension") return undefined;
    return kind;
  }
  const name = kind === "extension" ? `extension ${detail ?? ""}`.trim() : kind;
  switch (action) {
    case "create":
      return `${name} added`;
    case "delete":
      return `${name} removed`;
    case "replace":
      return `${name} replaced`;
    default:
      if (kind === "secret value")
        return detail ? `credentials rewritten (${detail})` : "credentials rewritten";
      return detail && kind !== "extension" ? `${name}: ${detail}` : `${name} updated`;
  }
}

/** The sentence for one tenant. */
export function tenantWords(
  environment: string,
  tenant: string,
  components: readonly TenantComponent[],
  states: { before?: TenantState; after?: TenantState } = {},
): { sign: TenantSign; words: string } {
  const sign = signOf(components);
  const parts: string[] = [];
  for (const component of sortComponents(components)) {
    const text = part(component, sign);
    if (text !== undefined && !parts.includes(text)) parts.push(text);
  }
  const transition =
    states.before !== undefined && states.after !== undefined && states.before !== states.after
      ? stateWords(states.before, states.after)
      : undefined;
  const lead = sign === "~" ? transition : undefined;
  const body = [lead, parts.join(", ")].filter((p) => p !== undefined && p !== "").join("; ");
  return { sign, words: `${sign} tenant ${tenant} in ${environment}: ${body || "changed"}` };
}

/** A planned change of a tenant part, collected while reading the plans. */
export interface PlannedTenantComponent extends TenantComponent {
  readonly environment: string;
  readonly tenant: string;
}

/**
 * Builds the tenant sentences of every environment: the planned parts, plus the configuration's
 * view for stacks without a plan. Ordered by environment (`environmentOrder`), then tenant.
 */
export function tenantChanges(
  planned: readonly PlannedTenantComponent[],
  plannedStacks: ReadonlySet<string>,
  environments: {
    readonly after: readonly LoadedEnvironment[];
    readonly before: readonly LoadedEnvironment[];
  },
  environmentOrder: (env: string) => number,
): TenantChange[] {
  const byKey = new Map<
    string,
    { environment: string; tenant: string; components: TenantComponent[] }
  >();
  const entry = (environment: string, tenant: string) => {
    const key = `${environment}\u0000${tenant}`;
    let found = byKey.get(key);
    if (!found) {
      found = { environment, tenant, components: [] };
      byKey.set(key, found);
    }
    return found;
  };
  for (const { environment, tenant, ...component } of planned) {
    entry(environment, tenant).components.push(component);
  }

  const names = new Set([
    ...environments.after.map((e) => e.name),
    ...environments.before.map((e) => e.name),
  ]);
  const states = new Map<string, { before?: TenantState; after?: TenantState }>();
  for (const env of names) {
    const after = environments.after.find((e) => e.name === env);
    const before = environments.before.find((e) => e.name === env);
    const unplanned = new Set(
      (["platform", "tenants"] as const)
        .map((kind) => stackName(env, kind))
        .filter((s) => !plannedStacks.has(s)),
    );
    const tenantNames = new Set([
      ...(after?.tenants ?? []).map((t) => t.name),
      ...(before?.tenants ?? []).map((t) => t.name),
    ]);
    for (const name of tenantNames) {
      const a = after?.tenants.find((t) => t.name === name);
      const b = before?.tenants.find((t) => t.name === name);
      states.set(`${env}\u0000${name}`, { before: b?.state, after: a?.state });
      if (unplanned.size === 0) continue;
      const sameEnvironment =
        JSON.stringify(after?.environment) === JSON.stringify(before?.environment);
      if (sameEnvironment && JSON.stringify(a) === JSON.stringify(b)) continue;
      const components = configComponents(
        env,
        { tenant: b, environment: before?.environment },
        { tenant: a, environment: after?.environment },
        unplanned,
      );
      if (components.length > 0) entry(env, name).components.push(...components);
    }
  }

  return [...byKey.values()]
    .filter((e) => e.components.length > 0)
    .sort(
      (x, y) =>
        environmentOrder(x.environment) - environmentOrder(y.environment) ||
        compareStrings(x.environment, y.environment) ||
        compareStrings(x.tenant, y.tenant),
    )
    .map(({ environment, tenant, components }) => {
      const state = states.get(`${environment}\u0000${tenant}`) ?? {};
      const { sign, words } = tenantWords(environment, tenant, components, state);
      const fromConfig = [
        ...new Set(components.filter((c) => !c.planned).map((c) => c.stack)),
      ].sort(compareStrings);
      return {
        environment,
        tenant,
        sign,
        words,
        ...(state.before !== undefined ? { stateBefore: state.before } : {}),
        ...(state.after !== undefined ? { stateAfter: state.after } : {}),
        components: sortComponents(components),
        fromConfig,
      };
    });
}
