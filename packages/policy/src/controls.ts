import type { PlanIndex, PlanResource } from "./plan";

/**
 * A Security Hub control that checkov has no check for, evaluated on the planned values of a
 * plan. `check` returns why the resource fails, or undefined when it passes. Everything checkov
 * checks is left to checkov (checkov.ts); the two share one skips file (skips.yaml).
 */
export interface Control {
  /** Security Hub control id (RDS.20, ...). */
  readonly id: string;
  readonly title: string;
  /** Resource types the control evaluates. */
  readonly resourceTypes: readonly string[];
  /** Only for resources that match (e.g. the PostgreSQL instances, not every aws_db_instance). */
  readonly applies?: (resource: PlanResource) => boolean;
  readonly check: (resource: PlanResource, plan: PlanIndex) => string | undefined;
}

const v = (r: PlanResource, key: string): unknown => r.values[key];
const isPostgres = (r: PlanResource) =>
  v(r, "engine") === "postgres" || v(r, "replicate_source_db") != null;
const isPrimaryPostgres = (r: PlanResource) => isPostgres(r) && v(r, "replicate_source_db") == null;

/** Security Hub's defaults (AWS Security Hub User Guide, "Security Hub controls for Amazon RDS"). */
export const RDS_BACKUP_RETENTION_MINIMUM_DAYS = 7;
const WELL_KNOWN_ADMIN_NAMES = ["admin", "postgres", "root", "administrator"];
/** RDS.20: the event categories the control requires for db-instance subscriptions. */
const RDS20_CATEGORIES = ["maintenance", "configuration change", "failure"];

const instance: Pick<Control, "resourceTypes" | "applies"> = {
  resourceTypes: ["aws_db_instance"],
  applies: isPostgres,
};

function subnetsOf(r: PlanResource, plan: PlanIndex): PlanResource[] {
  return plan
    .referencedResources(r.address, "db_subnet_group_name")
    .flatMap((group) => plan.referencedResources(group.address, "subnet_ids"));
}

/** Route tables associated with a subnet, and whether any routes to an internet gateway. */
function subnetRoutesToInternet(subnet: PlanResource, plan: PlanIndex): boolean {
  const tables = plan
    .referrers("aws_route_table_association", "subnet_id", subnet)
    .flatMap((assoc) => plan.referencedResources(assoc.address, "route_table_id"));
  return tables.some((table) =>
    plan
      .referrers("aws_route", "route_table_id", table)
      .some((route) =>
        plan
          .referencedResources(route.address, "gateway_id")
          .some((g) => g.type === "aws_internet_gateway"),
      ),
  );
}

export const CONTROLS: readonly Control[] = [
  {
    ...instance,
    id: "RDS.9",
    title: "RDS DB instances should publish logs to CloudWatch Logs",
    check: (r) => {
      const exports = (v(r, "enabled_cloudwatch_logs_exports") as string[] | null) ?? [];
      const missing = ["postgresql", "upgrade"].filter((l) => !exports.includes(l));
      return missing.length
        ? `enabled_cloudwatch_logs_exports lacks ${missing.join(", ")}`
        : undefined;
    },
  },
  {
    ...instance,
    id: "RDS.11",
    title: "RDS instances should have automatic backups enabled",
    applies: isPrimaryPostgres,
    check: (r) => {
      const days = v(r, "backup_retention_period") as number;
      return days >= RDS_BACKUP_RETENTION_MINIMUM_DAYS
        ? undefined
        : `backup_retention_period is ${days} (minimum ${RDS_BACKUP_RETENTION_MINIMUM_DAYS})`;
    },
  },
  {
    ...instance,
    id: "RDS.20",
    title:
      "An RDS event notifications subscription should be configured for critical database instance events",
    applies: isPrimaryPostgres,
    check: (r, plan) => {
      const subscription = plan
        .ofType("aws_db_event_subscription")
        .find(
          (s) =>
            v(s, "source_type") === "db-instance" &&
            v(s, "enabled") !== false &&
            RDS20_CATEGORIES.every((c) =>
              ((v(s, "event_categories") as string[]) ?? []).includes(c),
            ) &&
            ((v(s, "source_ids") as string[] | null) ?? []).includes(v(r, "identifier") as string),
        );
      return subscription
        ? undefined
        : `no enabled db-instance event subscription covers ${String(v(r, "identifier"))} with ${RDS20_CATEGORIES.join(", ")}`;
    },
  },
  {
    ...instance,
    id: "RDS.23",
    title: "RDS instances should not use a database engine default port",
    check: (r) => (v(r, "port") === 5432 ? "port is the PostgreSQL default 5432" : undefined),
  },
  {
    ...instance,
    id: "RDS.25",
    title: "RDS database instances should use a custom administrator username",
    applies: isPrimaryPostgres,
    check: (r) =>
      WELL_KNOWN_ADMIN_NAMES.includes(String(v(r, "username")))
        ? `username is "${String(v(r, "username"))}"`
        : undefined,
  },
  {
    ...instance,
    id: "RDS.36",
    title: "RDS for PostgreSQL DB instances should publish logs to CloudWatch Logs",
    check: (r) =>
      ((v(r, "enabled_cloudwatch_logs_exports") as string[] | null) ?? []).includes("postgresql")
        ? undefined
        : "the postgresql log is not exported",
  },
  {
    resourceTypes: ["aws_db_proxy"],
    id: "RDS.43",
    title: "RDS DB proxies should require TLS encryption",
    check: (r) =>
      v(r, "require_tls") === true
        ? undefined
        : `require_tls is ${JSON.stringify(v(r, "require_tls") ?? null)}`,
  },
  {
    ...instance,
    id: "RDS.46",
    title:
      "RDS DB instances should not be deployed to public subnets with routes to internet gateways",
    check: (r, plan) => {
      const subnets = subnetsOf(r, plan);
      if (subnets.length === 0) return "its subnets cannot be found in the plan";
      const exposed = subnets.filter(
        (s) => subnetRoutesToInternet(s, plan) || v(s, "map_public_ip_on_launch") === true,
      );
      return exposed.length
        ? `subnets ${exposed.map((s) => s.address).join(", ")} route to an internet gateway`
        : undefined;
    },
  },
];
