/**
 * Tenant changes in words ("+ tenant healthtech in prod: database, role, secret, proxy auth").
 *
 * Which tenant a planned resource belongs to, and as what, is read from the stack's
 * pgforks-manifest.json, which the synth writes from the tenant footprint (@pgforks/tenants):
 * Terraform address -> tenant and kind, and for the proxy the `description` of each tenant's
 * `auth` entry. The working tree's manifest is read first, then the base branch's (for tenants
 * whose entry left the configuration). A planned stack without a manifest is not attributed at
 * all, and the review says so.
 * Stacks that were not planned (the tenants stack cannot be planned offline) are filled in from the
 * configuration, before against after, with the footprint's previews that @pgforks/tenant-cli
 * renders too (tenantResources), so both tools say the same thing.
 */
import type {
  EnvironmentConfig,
  LoadedEnvironment,
  TenantConfig,
  TenantState,
} from "@pgforks/config";
import { type PlannedResource, stackName, tenantResources } from "@pgforks/tenant-cli";
import {
  footprintEnvironment,
  type IntentKind,
  type ManifestEntry,
  type TenantManifest,
  tenantFootprint,
} from "@pgforks/tenants/footprint";
import type { ReviewAction, ReviewResourceChange } from "./plan-json";
import { resourceAddress } from "./synth-output";
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

/** The review's part for each footprint kind: grants, schema and default privileges are "grants". */
export const COMPONENT_OF_INTENT: Readonly<Record<IntentKind, TenantComponentKind>> = {
  role: "role",
  "read-only role": "read-only role",
  database: "database",
  grant: "grants",
  schema: "grants",
  extension: "extension",
  "default privileges": "grants",
  secret: "secret",
  "secret value": "secret value",
  "proxy auth": "proxy auth",
};

/** What happens to one part. */
export type ComponentAction = Extract<ReviewAction, "create" | "update" | "replace" | "delete">;

/** One part of a tenant that changes. */
export interface TenantComponent {
  readonly kind: TenantComponentKind;
  readonly action: ComponentAction;
  /** The stack it lives in. */
  readonly stack: string;
  /** Its resource address: from the plan, or from the footprint when the stack is not planned. */
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

/**
 * The tenant addresses of one stack, from its pgforks-manifest.json files: the working tree's
 * first, then the base branch's (a tenant whose entry is gone from tenants.yaml is only there).
 */
export class TenantAddressBook {
  private readonly resources = new Map<string, ManifestEntry>();
  /** aws_db_proxy address -> auth entry description -> entry. */
  private readonly proxyEntries = new Map<string, Map<string, ManifestEntry>>();

  constructor(manifests: ReadonlyArray<TenantManifest | undefined>) {
    for (const manifest of manifests) {
      for (const entry of manifest?.resources ?? []) {
        if (entry.kind === "proxy auth") {
          const byDescription = this.proxyEntries.get(entry.address) ?? new Map();
          if (entry.detail !== undefined && !byDescription.has(entry.detail))
            byDescription.set(entry.detail, entry);
          this.proxyEntries.set(entry.address, byDescription);
        } else if (!this.resources.has(entry.address)) {
          this.resources.set(entry.address, entry);
        }
      }
    }
  }

  /** The tenant and kind of a resource address (`type.name`, or an instance of it). */
  ownerOf(address: string): TenantOwnership | undefined {
    const entry = this.resources.get(resourceAddress(address));
    if (!entry) return undefined;
    return {
      tenant: entry.tenant,
      kind: COMPONENT_OF_INTENT[entry.kind],
      ...(entry.detail !== undefined ? { detail: entry.detail } : {}),
    };
  }

  /** The tenant whose proxy `auth` entry has this description, in the proxy at `address`. */
  proxyAuthOwner(address: string, description: string): string | undefined {
    return this.proxyEntries.get(resourceAddress(address))?.get(description)?.tenant;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Which tenant a changed resource belongs to, and as what, per the stack's manifest. */
export function tenantOwnership(
  rc: ReviewResourceChange,
  book: TenantAddressBook,
): TenantOwnership | undefined {
  return book.ownerOf(rc.address);
}

/** Descriptions of the entries of a proxy's `auth` set. */
function authDescriptions(value: unknown): Set<string> {
  const auth = isObject(value) && Array.isArray(value.auth) ? value.auth : [];
  return new Set(
    auth.flatMap((entry) =>
      isObject(entry) && typeof entry.description === "string" ? [entry.description] : [],
    ),
  );
}

/** Tenants whose proxy auth entry a change adds or removes (entries the manifest names). */
export function proxyAuthChanges(
  rc: ReviewResourceChange,
  book: TenantAddressBook,
): Array<{ tenant: string; action: "create" | "delete" }> {
  if (rc.type !== "aws_db_proxy") return [];
  const before = authDescriptions(rc.change.before);
  const after = authDescriptions(rc.change.after);
  const changes = [
    ...[...after].filter((d) => !before.has(d)).map((d) => [d, "create"] as const),
    ...[...before].filter((d) => !after.has(d)).map((d) => [d, "delete"] as const),
  ];
  return changes
    .flatMap(([description, action]) => {
      const tenant = book.proxyAuthOwner(rc.address, description);
      return tenant ? [{ tenant, action }] : [];
    })
    .sort((a, b) => compareStrings(a.tenant, b.tenant));
}

/**
 * What destroying a tenant's resource loses, in the footprint's words (`destroyLoses` of the
 * intent at `address`), or undefined when the footprint says nothing for it. The tenant is looked
 * up in each configuration in turn (the base first: a resource that goes away was configured
 * there), so the words follow what the tenant was, e.g. a NOLOGIN read-only group has no password.
 */
export function footprintDestroyLoses(
  configurations: ReadonlyArray<readonly LoadedEnvironment[] | undefined>,
  environment: string,
  tenant: string,
  address: string,
): string | undefined {
  const wanted = resourceAddress(address);
  for (const environments of configurations) {
    const env = environments?.find((e) => e.name === environment);
    const config = env?.tenants.find((t) => t.name === tenant);
    if (!env || !config) continue;
    const intent = tenantFootprint(config, footprintEnvironment(env.environment)).find(
      (i) => i.address.terraformAddress === wanted,
    );
    if (intent) return intent.preview?.destroyLoses;
  }
  return undefined;
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
  const push = (resource: PlannedResource, action: ComponentAction, detail?: string) => {
    const stack = stackName(env, resource.stack);
    if (!stacks.has(stack)) return;
    const kind = COMPONENT_OF_INTENT[resource.kind];
    const extension = kind === "extension" ? resource.detail : undefined;
    components.push({
      kind,
      action,
      stack,
      address: resource.key,
      planned: false,
      ...((extension ?? detail) ? { detail: extension ?? detail } : {}),
    });
  };
  const nextKeys = new Set(next.map((r) => r.key));
  for (const resource of next) {
    const previous = old.get(resource.key);
    if (!previous) {
      push(resource, "create");
      continue;
    }
    const changed = resource.attributes.flatMap((attribute) => {
      const was = previous.attributes.find((a) => a.name === attribute.name)?.value;
      return was === attribute.value
        ? []
        : [`${attribute.name} ${was ?? "unset"} → ${attribute.value}`];
    });
    if (changed.length > 0) push(resource, "update", changed.join(", "));
  }
  for (const resource of old.values()) {
    if (!nextKeys.has(resource.key)) push(resource, "delete");
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
