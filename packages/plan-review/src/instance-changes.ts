/**
 * "Instance changes: what happens and when": for each change of the database instance or its
 * parameter group in the plans, when it takes effect in the deploy (this apply, the reboot step of
 * deploy.yml, or the maintenance window), the downtime to expect, and what depends on it
 * (max_connections, the connection budget, alarm thresholds). The timing and downtime come from
 * @pgforks/rds (modifications.ts), where each statement names its AWS source.
 */
import type { ConnectionBudget } from "@pgforks/config";
import { isEngineDowngrade } from "@pgforks/guard";
import { code, heading, parseMarkdown, table } from "@pgforks/markdown";
import {
  type ExplainedInstanceSetting,
  INSTANCE_SETTING_EFFECTS,
  PARAMETER_CHANGE_EFFECTS,
  type TakesEffect,
} from "@pgforks/rds";
import type { RootContent } from "mdast";
import type { BudgetChange, ResourceReview, Review } from "./review";

/** One change and its consequences. */
export interface InstanceEffect {
  /** `<stack>`. */
  readonly stack: string;
  /** The instance identifier, or the parameter group's name (prefix). */
  readonly target: string;
  /** What changes, e.g. "instance class db.t4g.small → db.t4g.medium". */
  readonly change: string;
  readonly takesEffect: TakesEffect;
  /** Expected unavailability. */
  readonly downtime: string;
  /** What changes with it in the same deploy. */
  readonly dependents: readonly string[];
}

type Attributes = Readonly<Record<string, unknown>>;

function attributes(value: unknown): Attributes {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Attributes)
    : {};
}

function shown(value: unknown, unknownAfterApply: boolean): string {
  if (unknownAfterApply) return "(known after apply)";
  return value === null || value === undefined ? "(none)" : String(value);
}

/** `[before → after]` dependents of a class change: max_connections and the budget. */
function budgetDependents(budget: BudgetChange | undefined): string[] {
  const { before, after } = budget ?? {};
  if (!before || !after) return [];
  const pair = (f: (b: ConnectionBudget) => number) =>
    f(before) === f(after) ? String(f(after)) : `${f(before)} → ${f(after)}`;
  return [
    `max_connections ${pair((b) => b.maxConnections)} (RDS default formula, follows the class)`,
    `connection budget available to tenants ${pair((b) => b.available)} (active tenants' limits ${after.requested})`,
  ];
}

/** "connections-critical 178 → 356" for each alarm of the stack whose threshold changes. */
function alarmDependents(resources: readonly ResourceReview[]): string[] {
  const alarms = resources
    .filter((r) => r.type === "aws_cloudwatch_metric_alarm" && r.action === "update")
    .flatMap((r) => {
      const before = attributes(r.change.before);
      const after = attributes(r.change.after);
      if (before.threshold === after.threshold) return [];
      const name = r.constructPath?.split("/").pop() ?? String(after.alarm_name ?? r.address);
      return [`${name} ${String(before.threshold)} → ${String(after.threshold)}`];
    });
  return alarms.length === 0 ? [] : [`alarm thresholds: ${alarms.join(", ")}`];
}

function instanceEffectsOf(
  r: ResourceReview,
  stackResources: readonly ResourceReview[],
  budget: BudgetChange | undefined,
): InstanceEffect[] {
  const before = attributes(r.change.before);
  const after = attributes(r.change.after);
  const unknown = attributes(r.change.after_unknown);
  const target = String(after.identifier ?? before.identifier ?? r.address);
  const multiAz = after.multi_az === true;
  const immediate = after.apply_immediately !== false;
  const effects: InstanceEffect[] = [];
  for (const [key, effect] of Object.entries(INSTANCE_SETTING_EFFECTS) as Array<
    [ExplainedInstanceSetting, (typeof INSTANCE_SETTING_EFFECTS)[ExplainedInstanceSetting]]
  >) {
    const isUnknown = unknown[key] === true;
    if (!isUnknown && before[key] === after[key]) continue;
    const dependents =
      key === "instance_class"
        ? [...budgetDependents(budget), ...alarmDependents(stackResources)]
        : key === "allocated_storage"
          ? alarmDependents(stackResources)
          : [];
    // RDS only upgrades an engine: a lower version is refused, not applied (the guard blocks it).
    if (
      key === "engine_version" &&
      !isUnknown &&
      isEngineDowngrade(String(before[key]), String(after[key]))
    ) {
      effects.push({
        stack: r.stack,
        target,
        change: `${effect.what}: ${shown(before[key], false)} → ${shown(after[key], false)}, a DOWNGRADE`,
        takesEffect: "this apply",
        downtime:
          "none: RDS refuses a downgrade, so the apply fails and the instance keeps its version",
        dependents: [],
      });
      continue;
    }
    effects.push({
      stack: r.stack,
      target,
      change: `${effect.what}: ${shown(before[key], false)} → ${shown(after[key], isUnknown)}`,
      takesEffect: effect.needsReboot
        ? "after the reboot step"
        : immediate
          ? "this apply"
          : "maintenance window",
      downtime: multiAz ? effect.multiAz : effect.singleAz,
      dependents,
    });
  }
  return effects;
}

interface Parameter {
  readonly name: string;
  readonly value: string;
  readonly applyMethod: keyof typeof PARAMETER_CHANGE_EFFECTS;
}

function parameters(value: unknown): Map<string, Parameter> {
  const list = Array.isArray(attributes(value).parameter)
    ? (attributes(value).parameter as unknown[])
    : [];
  return new Map(
    list.map((p) => {
      const a = attributes(p);
      const method = a.apply_method === "pending-reboot" ? "pending-reboot" : "immediate";
      return [
        String(a.name),
        { name: String(a.name), value: String(a.value), applyMethod: method },
      ];
    }),
  );
}

function parameterEffectsOf(r: ResourceReview): InstanceEffect[] {
  const before = parameters(r.change.before);
  const after = parameters(r.change.after);
  const target = String(
    attributes(r.change.after).name_prefix ??
      attributes(r.change.before).name_prefix ??
      attributes(r.change.after).name ??
      r.address,
  );
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  return names.flatMap((name) => {
    const was = before.get(name);
    const now = after.get(name);
    if (was && now && was.value === now.value && was.applyMethod === now.applyMethod) return [];
    // A removed parameter returns to the family default; a static one only at a reboot.
    const method = (now ?? was)?.applyMethod ?? "immediate";
    const effect = PARAMETER_CHANGE_EFFECTS[method];
    const kind = method === "pending-reboot" ? "static" : "dynamic";
    return [
      {
        stack: r.stack,
        target,
        change: `parameter ${name} (${kind}): ${was?.value ?? "(default)"} → ${now?.value ?? "(default)"}`,
        takesEffect: effect.takesEffect,
        downtime: effect.downtime,
        dependents: name === "max_connections" ? ["connection budget, alarm thresholds"] : [],
      },
    ];
  });
}

/**
 * The effects of every update of an `aws_db_instance` and every change of an
 * `aws_db_parameter_group` in the review's stacks. Creations and replacements of instances are
 * left to the rest of the review (the destroy guard speaks for replacements).
 */
export function instanceEffects(review: Pick<Review, "stacks" | "budgets">): InstanceEffect[] {
  return review.stacks.flatMap((stack) => {
    const budget = review.budgets.find((b) => b.environment === stack.environment);
    return stack.resources.flatMap((r) => {
      if (r.type === "aws_db_instance" && r.action === "update") {
        return instanceEffectsOf(r, stack.resources, budget);
      }
      if (r.type === "aws_db_parameter_group" && r.action !== "delete" && r.action !== "create") {
        return parameterEffectsOf(r);
      }
      return [];
    });
  });
}

const WHEN_NOTE =
  "_This apply_: `apply_immediately` is on, so RDS makes the change while the approved apply job runs. " +
  "_After the reboot step_: in the same approved job, deploy.yml reboots an instance only when its parameter group is `pending-reboot` (restarts PostgreSQL, no failover). " +
  "The tenants stack is planned and applied only once no modification is pending (`.github/scripts/instance-settle.sh`). " +
  "Downtime figures: RDS User Guide (Multi-AZ failover typically 60-120 s; storage scaling online), see `packages/rds/src/modifications.ts`.";

/**
 * The review section as mdast blocks: a heading, a table and the note on timing, or nothing when
 * no instance or parameter group changes.
 */
export function instanceChangesSection(review: Pick<Review, "stacks" | "budgets">): RootContent[] {
  const effects = instanceEffects(review);
  if (effects.length === 0) return [];
  return [
    heading(3, "Instance changes: what happens and when"),
    table(
      [null, null, null, null, null, null],
      [
        [
          "Stack",
          "Instance or parameter group",
          "Change",
          "Takes effect",
          "Expected downtime",
          "Changes with it",
        ],
        ...effects.map((e) => [
          code(e.stack),
          code(e.target),
          e.change,
          e.takesEffect,
          e.downtime,
          e.dependents.length === 0 ? "–" : e.dependents.join("; "),
        ]),
      ],
    ),
    ...parseMarkdown(WHEN_NOTE).children,
  ];
}
