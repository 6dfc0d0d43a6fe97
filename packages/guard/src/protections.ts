/**
 * Changes that lower a protection of the data: the database loses its standby, its deletion
 * protection, days of backups, its encryption or TLS enforcement, or becomes reachable from the
 * internet; a log group keeps its events for fewer days (the older ones are deleted); or the
 * environment leaves the production tier. Each is read from the plan's before and
 * after values (or from the configuration, for the tier), so what the review warns about is what
 * Terraform will do.
 */
import type { ResourceChange } from "@pgforks/plan-json";

/** One protection a change lowers. */
export interface ProtectionLowering {
  /** The protection, in words ("Multi-AZ"). */
  readonly protection: string;
  /** Value before ("true", "14 days"). */
  readonly before: string;
  /** Value after ("false", "1 day"). */
  readonly after: string;
  /**
   * Set when the lowering deletes data that exists (a shortened retention): what is deleted,
   * e.g. "log events older than 30 days". The review then words it as data loss, not as a
   * lowered protection. Undefined for the protections that delete nothing by themselves.
   */
  readonly deletes?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A boolean attribute that protects when `safe` and is planned to the other value. */
function flag(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  key: string,
  protection: string,
  safe: boolean,
): ProtectionLowering[] {
  const was = before[key];
  const now = after[key];
  if (was !== safe || now === safe || now === undefined) return [];
  return [{ protection, before: String(was), after: String(now ?? "unset") }];
}

/** `rds.force_ssl` of a parameter group's `parameter` set ("1" forces TLS). */
function forceSsl(values: Record<string, unknown>): string | undefined {
  const parameters = Array.isArray(values.parameter) ? values.parameter : [];
  const found = parameters.find((p) => isObject(p) && p.name === "rds.force_ssl");
  return isObject(found) && found.value !== undefined ? String(found.value) : undefined;
}

/** What a shortened Performance Insights retention is called: the older samples are deleted. */
export const PERFORMANCE_INSIGHTS_RETENTION =
  "Performance Insights retention (older performance data is deleted)";

/** What a lowered log retention is called: the change deletes data without deleting a resource. */
export const LOG_RETENTION_PROTECTION = "log retention (older log events are deleted)";

/**
 * A CloudWatch log group's `retention_in_days` planned shorter. CloudWatch Logs deletes every
 * event older than the new retention once it applies, so this loses logs (the PostgreSQL log,
 * the VPC flow log: the audit trail) without deleting the group. 0 or unset keeps events forever.
 */
function loweredLogRetention(was: unknown, now: unknown): ProtectionLowering | undefined {
  const days = (v: unknown) => (typeof v === "number" && v > 0 ? v : Number.POSITIVE_INFINITY);
  const words = (v: unknown) => {
    const n = days(v);
    // A value, not a verb: the review says "keeps them 30 days instead of forever".
    return n === Number.POSITIVE_INFINITY ? "forever" : `${n} day${n === 1 ? "" : "s"}`;
  };
  if (was === undefined || now === undefined || days(now) >= days(was)) return undefined;
  return {
    protection: LOG_RETENTION_PROTECTION,
    before: words(was),
    after: words(now),
    deletes: `log events older than ${words(now)}`,
  };
}

/**
 * The protections a planned update or replacement lowers (an RDS instance's Multi-AZ, deletion
 * protection, backup and Performance Insights retention, storage encryption and public
 * accessibility; a log group's retention; a parameter group's `rds.force_ssl`). Creations and
 * deletions lower nothing here: a deletion is the destroy guard's.
 */
export function loweredProtections(rc: ResourceChange): ProtectionLowering[] {
  const { before, after, actions } = rc.change;
  if (!actions.includes("update") && !(actions.includes("create") && actions.includes("delete")))
    return [];
  if (!isObject(before) || !isObject(after)) return [];
  if (rc.type === "aws_db_instance") {
    const retention = (v: unknown) => (typeof v === "number" ? v : undefined);
    const days = (n: number) => `${n} day${n === 1 ? "" : "s"}`;
    const was = retention(before.backup_retention_period);
    const now = retention(after.backup_retention_period);
    const piWas = retention(before.performance_insights_retention_period);
    const piNow = retention(after.performance_insights_retention_period);
    return [
      ...flag(before, after, "multi_az", "Multi-AZ", true),
      ...flag(before, after, "deletion_protection", "deletion protection", true),
      ...(was !== undefined && now !== undefined && now < was
        ? [{ protection: "backup retention", before: days(was), after: days(now) }]
        : []),
      ...(piWas !== undefined && piNow !== undefined && piNow < piWas
        ? [
            {
              protection: PERFORMANCE_INSIGHTS_RETENTION,
              before: days(piWas),
              after: days(piNow),
              deletes: `Performance Insights data older than ${days(piNow)}`,
            },
          ]
        : []),
      ...flag(before, after, "storage_encrypted", "storage encryption", true),
      ...flag(before, after, "publicly_accessible", "not publicly accessible", false).map((l) => ({
        ...l,
        protection: "publicly accessible",
      })),
    ];
  }
  if (rc.type === "aws_cloudwatch_log_group") {
    const lowered = loweredLogRetention(before.retention_in_days, after.retention_in_days);
    return lowered ? [lowered] : [];
  }
  if (rc.type === "aws_db_parameter_group") {
    const was = forceSsl(before);
    const now = forceSsl(after);
    if (was === "1" && now !== "1")
      return [{ protection: "TLS required (rds.force_ssl)", before: was, after: now ?? "unset" }];
  }
  return [];
}

/** Tiers from most to least protected. */
const TIER_RANK: Readonly<Record<string, number>> = { production: 2, staging: 1, development: 0 };

/** The tier lowering of an environment's configuration (production → development), if any. */
export function loweredTier(
  before: string | undefined,
  after: string | undefined,
): ProtectionLowering | undefined {
  if (before === undefined || after === undefined) return undefined;
  const was = TIER_RANK[before];
  const now = TIER_RANK[after];
  if (was === undefined || now === undefined || now >= was) return undefined;
  return { protection: "tier", before, after };
}
