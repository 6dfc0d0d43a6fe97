/**
 * Monthly cost estimate of one environment, from its synthesized `<env>-platform` stack: the
 * resources are counted by type exactly as the stack creates them (alarms, secrets, endpoints per
 * AZ...), so the estimate cannot drift from the constructs. Priced with the committed table in
 * prices.ts. The tenants stack (postgresql provider) costs nothing by itself.
 */
import { INSTANCE_CLASSES, type InstanceClass, isInstanceClass } from "@pgforks/config";
import type { StackJson } from "@pgforks/stacks";
import {
  EC2_HOURLY,
  EXCLUDED_COSTS,
  HOURS_PER_MONTH,
  KMS_ROTATION_NOTE,
  MULTI_AZ_INSTANCE_FACTOR,
  MULTI_AZ_STORAGE_FACTOR,
  PERFORMANCE_INSIGHTS_FREE_DAYS,
  PRICE_REGION,
  PRICES,
  PRICES_READ_ON,
  type Price,
  RDS_POSTGRES_SINGLE_AZ_HOURLY,
} from "./prices";

/** RDS Proxy bills at least this many vCPUs per target instance (RDS Proxy pricing page). */
export const RDS_PROXY_MIN_VCPUS = 2;

/** High-resolution alarms are those with a period under 60 seconds (CloudWatch pricing page). */
export const HIGH_RESOLUTION_PERIOD_SECONDS = 60;

/**
 * Hours a month an on-demand bastion is assumed to run (network.bastionSchedule: on-demand): CI
 * starts it for each tenants plan and apply on main and for the nightly audit, about 10 minutes
 * each: 30 audits (5 h) plus about 40 deploy jobs (7 h), rounded up to 20 h for retries and
 * manual tunnels (docs/operations.md). An assumption, shown on the line it prices.
 */
export const ON_DEMAND_BASTION_HOURS_PER_MONTH = 20;

/** One line of an estimate. */
export interface CostLine {
  /** What is priced ("RDS instance db.t4g.small, Multi-AZ"). */
  readonly item: string;
  /** How many `price.unit` per month. */
  readonly quantity: number;
  readonly price: Price;
  /** quantity × price, in USD, rounded to cents. */
  readonly monthly: number;
}

/** The estimate of one environment. */
export interface CostEstimate {
  readonly lines: readonly CostLine[];
  /** Sum of the lines, USD per month, rounded to cents. */
  readonly total: number;
  /** Things present but not priced (unknown instance class, PI retention beyond the free tier...). */
  readonly unpriced: readonly string[];
  /** True when a line uses a price no stored page confirmed. */
  readonly usesUnconfirmedPrices: boolean;
  /** Set when the environment's region is not the table's region (prices are us-east-1). */
  readonly regionNote?: string;
}

type Block = Record<string, Record<string, unknown>>;

function resources(stack: StackJson, type: string): Array<[string, Record<string, unknown>]> {
  const byName = ((stack.resource ?? {}) as Block)[type] ?? {};
  return Object.entries(byName)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, body]) => [name, (body ?? {}) as Record<string, unknown>]);
}

function cents(usd: number): number {
  return Math.round(usd * 100) / 100;
}

function line(item: string, quantity: number, price: Price): CostLine {
  return { item, quantity, price, monthly: cents(quantity * price.usd) };
}

/** `${aws_db_instance.NAME.identifier}` -> NAME. */
function referencedName(value: unknown, type: string): string | undefined {
  if (typeof value !== "string") return undefined;
  return new RegExp(`\\$\\{${type}\\.([^.}]+)\\.`).exec(value)?.[1];
}

function numberOf(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

/** The gp3 root volume size of an instance's launch template, if it sets one. */
function rootVolumeGib(stack: StackJson, body: Record<string, unknown>): number | undefined {
  const template = (body.launch_template ?? {}) as Record<string, unknown>;
  const name = referencedName(template.id ?? template.name, "aws_launch_template");
  const found = resources(stack, "aws_launch_template").find(([n]) => n === name)?.[1];
  const mappings = Array.isArray(found?.block_device_mappings) ? found.block_device_mappings : [];
  const ebs = (mappings[0] as Record<string, unknown> | undefined)?.ebs as
    | Record<string, unknown>
    | undefined;
  return ebs?.volume_type === "gp3" ? numberOf(ebs.volume_size) : undefined;
}

/** The bastion's instance type: its own instance_type, else the launch template it references. */
function instanceType(stack: StackJson, body: Record<string, unknown>): string | undefined {
  if (typeof body.instance_type === "string") return body.instance_type;
  const template = (body.launch_template ?? {}) as Record<string, unknown>;
  const name = referencedName(template.id ?? template.name, "aws_launch_template");
  const found = resources(stack, "aws_launch_template").find(([n]) => n === name)?.[1];
  return typeof found?.instance_type === "string" ? found.instance_type : undefined;
}

/**
 * Estimates the monthly cost of a synthesized `<env>-platform` stack. `region` is the
 * environment's region (the table is for us-east-1; other regions are priced the same and said so).
 */
export function estimatePlatformCost(stack: StackJson, region = PRICE_REGION): CostEstimate {
  const lines: CostLine[] = [];
  const unpriced: string[] = [];
  const instances = new Map<string, Record<string, unknown>>(resources(stack, "aws_db_instance"));

  for (const [name, db] of instances) {
    const source = referencedName(db.replicate_source_db, "aws_db_instance");
    const primary = source !== undefined ? instances.get(source) : undefined;
    const cls = typeof db.instance_class === "string" ? db.instance_class : undefined;
    const multiAz = db.multi_az === true;
    const role = primary ? "read replica" : "RDS instance";
    if (cls !== undefined && isInstanceClass(cls)) {
      const price = RDS_POSTGRES_SINGLE_AZ_HOURLY[cls];
      const factor = multiAz ? MULTI_AZ_INSTANCE_FACTOR : 1;
      lines.push(
        line(
          `${role} ${cls}${multiAz ? ", Multi-AZ (primary + standby)" : ", Single-AZ"}`,
          HOURS_PER_MONTH * factor,
          price,
        ),
      );
      if (INSTANCE_CLASSES[cls].burstable) {
        unpriced.push(
          `CPU credits beyond the baseline (${role} ${cls}): RDS runs T classes in Unlimited mode, so load above the baseline is billed as surplus credits per vCPU-hour (the CPUSurplusCreditsCharged alarm says when)`,
        );
      }
    } else {
      unpriced.push(
        `${role} ${name}: instance class ${cls ?? "(unknown)"} is not in the price table`,
      );
    }
    const storageType = db.storage_type ?? primary?.storage_type;
    const gb = numberOf(db.allocated_storage) ?? numberOf(primary?.allocated_storage);
    if (gb !== undefined && storageType === "gp3") {
      const factor = multiAz ? MULTI_AZ_STORAGE_FACTOR : 1;
      lines.push(
        line(
          `gp3 storage ${gb} GB${multiAz ? " × 2 (standby)" : ""} (${role})`,
          gb * factor,
          PRICES.rdsGp3Storage,
        ),
      );
    } else if (gb !== undefined) {
      unpriced.push(
        `${role} ${name}: storage type ${String(storageType)} is not in the price table`,
      );
    }
    const piDays = numberOf(db.performance_insights_retention_period);
    if (
      db.performance_insights_enabled === true &&
      (piDays ?? 0) > PERFORMANCE_INSIGHTS_FREE_DAYS
    ) {
      unpriced.push(
        `Performance Insights retention of ${piDays} days (${role} ${name}): beyond the free ${PERFORMANCE_INSIGHTS_FREE_DAYS} days, priced per vCPU-month, not in the table`,
      );
    }
    if (db.manage_master_user_password === true) {
      lines.push(line(`RDS-managed master user secret (${role})`, 1, PRICES.secret));
    }
  }

  for (const [, target] of resources(stack, "aws_db_proxy_target")) {
    const db = instances.get(
      referencedName(target.db_instance_identifier, "aws_db_instance") ?? "",
    );
    const cls = typeof db?.instance_class === "string" ? db.instance_class : undefined;
    if (cls !== undefined && isInstanceClass(cls)) {
      const vcpus = Math.max(RDS_PROXY_MIN_VCPUS, INSTANCE_CLASSES[cls as InstanceClass].vcpu);
      lines.push(
        line(
          `RDS Proxy on ${cls} (${vcpus} vCPUs billed)`,
          vcpus * HOURS_PER_MONTH,
          PRICES.rdsProxyVcpu,
        ),
      );
    } else {
      unpriced.push("RDS Proxy: the target instance's class is unknown");
    }
  }

  const secrets = resources(stack, "aws_secretsmanager_secret").length;
  if (secrets > 0) lines.push(line(`Secrets Manager secrets (${secrets})`, secrets, PRICES.secret));

  let standard = 0;
  let highResolution = 0;
  for (const [, alarm] of resources(stack, "aws_cloudwatch_metric_alarm")) {
    // Priced per alarm metric: a metric-math alarm pays for each metric it reads.
    const queries = Array.isArray(alarm.metric_query) ? alarm.metric_query : [];
    const metrics = Math.max(
      1,
      queries.filter((q) => q !== null && typeof q === "object" && "metric" in q).length,
    );
    const periods = [
      numberOf(alarm.period),
      ...queries.map((q) =>
        numberOf(((q as Record<string, unknown>)?.metric as Record<string, unknown>)?.period),
      ),
    ].filter((p): p is number => p !== undefined);
    const high = periods.some((p) => p < HIGH_RESOLUTION_PERIOD_SECONDS);
    if (high) highResolution += metrics;
    else standard += metrics;
  }
  if (standard > 0)
    lines.push(
      line(`CloudWatch alarms, standard resolution (${standard})`, standard, PRICES.alarmStandard),
    );
  if (highResolution > 0)
    lines.push(
      line(
        `CloudWatch alarms, high resolution (${highResolution})`,
        highResolution,
        PRICES.alarmHighResolution,
      ),
    );

  const dashboards = resources(stack, "aws_cloudwatch_dashboard").length;
  if (dashboards > 0)
    lines.push(line(`CloudWatch dashboards (${dashboards})`, dashboards, PRICES.dashboard));

  const keys = resources(stack, "aws_kms_key");
  if (keys.length > 0)
    lines.push(line(`KMS customer managed keys (${keys.length})`, keys.length, PRICES.kmsKey));
  const rotating = keys.filter(([, key]) => key.enable_key_rotation === true).length;
  if (rotating > 0) {
    unpriced.push(`automatic rotation of ${rotating} KMS key(s): ${KMS_ROTATION_NOTE}`);
  }

  const nats = resources(stack, "aws_nat_gateway").length;
  if (nats > 0)
    lines.push(line(`NAT gateways (${nats})`, nats * HOURS_PER_MONTH, PRICES.natGateway));
  const eips = resources(stack, "aws_eip").length;
  if (eips > 0)
    lines.push(line(`public IPv4 addresses (${eips})`, eips * HOURS_PER_MONTH, PRICES.publicIpv4));

  let endpointAzs = 0;
  let endpoints = 0;
  for (const [, endpoint] of resources(stack, "aws_vpc_endpoint")) {
    if (endpoint.vpc_endpoint_type !== "Interface") continue;
    endpoints++;
    endpointAzs += Array.isArray(endpoint.subnet_ids) ? endpoint.subnet_ids.length : 1;
  }
  if (endpoints > 0)
    lines.push(
      line(
        `interface endpoints (${endpoints}, ${endpointAzs} endpoint-AZs)`,
        endpointAzs * HOURS_PER_MONTH,
        PRICES.interfaceEndpointAz,
      ),
    );

  const stopped = new Set(
    resources(stack, "aws_ec2_instance_state")
      .filter(([, s]) => s.state === "stopped")
      .map(([, s]) => referencedName(s.instance_id, "aws_instance")),
  );
  for (const [name, instance] of resources(stack, "aws_instance")) {
    const type = instanceType(stack, instance);
    const price = type !== undefined ? EC2_HOURLY[type] : undefined;
    const onDemand = stopped.has(name);
    const hours = onDemand ? ON_DEMAND_BASTION_HOURS_PER_MONTH : HOURS_PER_MONTH;
    const when = onDemand ? `, stopped between jobs: ~${hours} h/month assumed` : "";
    if (price) lines.push(line(`EC2 ${type} (${name}${when})`, hours, price));
    else
      unpriced.push(`EC2 instance ${name}: type ${type ?? "(unknown)"} is not in the price table`);
    if (instance.associate_public_ip_address === true) {
      lines.push(line(`public IPv4 address of ${name}${when}`, hours, PRICES.publicIpv4));
    }
    const gib = rootVolumeGib(stack, instance);
    if (gib !== undefined) {
      lines.push(line(`EBS gp3 root volume ${gib} GB (${name})`, gib, PRICES.ebsGp3Storage));
    }
  }

  const total = cents(lines.reduce((sum, l) => sum + l.monthly, 0));
  return {
    lines,
    total,
    unpriced,
    usesUnconfirmedPrices: lines.some((l) => !l.price.confirmed),
    ...(region !== PRICE_REGION
      ? { regionNote: `priced at ${PRICE_REGION} rates; ${region} may differ` }
      : {}),
  };
}

/** Formats USD as `$1,234.56`. */
export function formatUsd(usd: number): string {
  const sign = usd < 0 ? "-" : "";
  const [whole = "0", fraction = "00"] = Math.abs(usd).toFixed(2).split(".");
  return `${sign}$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${fraction}`;
}

export { EXCLUDED_COSTS };

/** Active tenants of an environment (the ones the per-tenant cost is shared by). */
function activeTenantCount(tenants: ReadonlyArray<{ readonly state: string }>): number {
  return tenants.filter((t) => t.state === "active").length;
}

/**
 * The monthly cost lines `npm run synth` prints: per environment the total, the share of each
 * active tenant, and every priced line, from the synthesized platform stacks.
 */
export function renderCostSummary(result: {
  readonly stacks: Readonly<Record<string, StackJson>>;
  readonly environments: ReadonlyArray<{
    readonly name: string;
    readonly environment: { readonly region: string };
    readonly tenants: ReadonlyArray<{ readonly state: string }>;
  }>;
}): string {
  const out = [
    `Monthly cost at ${PRICE_REGION} on-demand list prices (${HOURS_PER_MONTH} h/month; packages/plan-review/src/prices.ts, read ${PRICES_READ_ON}; * unconfirmed price):`,
  ];
  for (const env of result.environments) {
    const stack = result.stacks[`${env.name}-platform`];
    if (!stack) continue;
    const estimate = estimatePlatformCost(stack, env.environment.region);
    const active = activeTenantCount(env.tenants);
    const perTenant =
      active > 0 ? `, ${formatUsd(estimate.total / active)} per active tenant (${active})` : "";
    out.push(`  ${env.name}: ${formatUsd(estimate.total)}/month${perTenant}`);
    for (const l of estimate.lines) {
      out.push(
        `    ${formatUsd(l.monthly).padStart(8)}  ${l.item}${l.price.confirmed ? "" : " *"}`,
      );
    }
    for (const u of estimate.unpriced) out.push(`    unpriced: ${u}`);
  }
  out.push(`  Not included: ${EXCLUDED_COSTS.join("; ")}.`);
  return out.join("\n");
}

/** One line of an estimate that a change adds, removes or reprices. */
export interface CostLineChange {
  /** The item, changed counts and classes as "before → after": "CloudWatch alarms, standard resolution (10 → 14)". */
  readonly item: string;
  /** Monthly USD before (0 when the line is new). */
  readonly before: number;
  /** Monthly USD after (0 when the line goes). */
  readonly after: number;
}

/** The parts of an item a change may vary: counts "(3)" and instance classes "db.t4g.small". */
const VARYING = /\(\d+\)|db\.[a-z0-9]+\.[a-z0-9]+/g;

/** An item with its counts and classes taken out, so "secrets (3)" and "secrets (4)" pair up. */
function itemKey(item: string): string {
  return item.replace(VARYING, "*");
}

/** `after`'s item with each count or class that differs from `before`'s written "before → after". */
function itemWithChanges(before: string, after: string): string {
  const was = [...before.matchAll(VARYING)].map((m) => m[0]);
  let i = 0;
  return after.replace(VARYING, (now) => {
    const old = was[i++];
    if (old === undefined || old === now) return now;
    return now.startsWith("(") ? `(${old.slice(1, -1)} → ${now.slice(1, -1)})` : `${old} → ${now}`;
  });
}

/**
 * What a change does to an environment's monthly cost, line by line: new lines, lines gone, and
 * lines whose amount changed (paired by item, counts and instance classes aside), largest change first. Lines equal in
 * both estimates are left out.
 */
export function costLineChanges(before: CostEstimate, after: CostEstimate): CostLineChange[] {
  const old = new Map<string, CostLine>();
  for (const line of before.lines) old.set(itemKey(line.item), line);
  const changes: CostLineChange[] = [];
  for (const line of after.lines) {
    const key = itemKey(line.item);
    const was = old.get(key);
    old.delete(key);
    if (!was) changes.push({ item: line.item, before: 0, after: line.monthly });
    else if (was.monthly !== line.monthly || was.item !== line.item)
      changes.push({
        item: itemWithChanges(was.item, line.item),
        before: was.monthly,
        after: line.monthly,
      });
  }
  for (const line of old.values())
    changes.push({ item: line.item, before: line.monthly, after: 0 });
  return changes
    .filter((c) => c.before !== c.after)
    .sort((a, b) => Math.abs(b.after - b.before) - Math.abs(a.after - a.before));
}
