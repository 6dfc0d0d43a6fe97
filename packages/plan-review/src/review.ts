/**
 * The review as data: one pass over the plans (`terraform show -json` per stack), the synthesized
 * stacks and the configuration before and after. Deterministic: same input, same Review, whatever
 * the order of the plans; nothing reads the clock.
 */
import {
  type ConnectionBudget,
  connectionBudget,
  type LoadedEnvironment,
  type Tier,
  tenantDatabaseName,
} from "@pgforks/config";
import {
  type Approval,
  approvalKey,
  type Decision,
  decideDestroy,
  decideIrreversible,
  decideLowering,
  decideRelocation,
  type InstanceSizing,
  type IrreversibleChange,
  irreversibleChanges,
  type LoweringCandidate,
  loweredProtections,
  loweredTier,
  type Relocation,
  relocations,
  type StaleApproval,
  type StatefulKind,
  staleApprovals,
  statefulKind,
} from "@pgforks/guard";
import { type CostEstimate, estimatePlatformCost } from "./cost";
import {
  type ReviewAction,
  type ReviewPlanChange,
  type ReviewPlanJson,
  type ReviewResourceChange,
  reviewActionOf,
} from "./plan-json";
import { resourceShape } from "./provider-shapes";
import { constructPaths, resourceAddress, type SynthOutput } from "./synth-output";
import {
  footprintDestroyLoses,
  type PlannedTenantComponent,
  proxyAuthChanges,
  TenantAddressBook,
  type TenantChange,
  tenantChanges,
  tenantOwnership,
  updateDetail,
} from "./tenants";
import { type AttributeChange, attributeChanges, compareStrings, replacePathsOf } from "./values";

/** One stack's plan: `terraform show -json` of `<stack>`'s saved plan. */
export interface StackPlan {
  /** Stack name (`prod-platform`). */
  readonly stack: string;
  /** The plan JSON. The harness's PlanJson fits (this type only adds optional fields). */
  readonly plan: ReviewPlanJson;
}

/** Everything besides the plans. */
export interface ReviewContext {
  /**
   * cdktf.out (manifest.json + every stack's cdk.tf.json) of the working tree: construct paths,
   * the stacks' dependency order and, for `<env>-platform`, the resources the cost is counted
   * from. Read it with `loadSynthOutput(outdir)`. Default: none (no paths, no "after" cost).
   */
  readonly synth?: SynthOutput;
  /** Configuration after the change (the working tree). Required (may be empty). */
  readonly after: readonly LoadedEnvironment[];
  /**
   * Configuration before the change (the base branch). Default: none: tenants are judged against
   * `after` alone, there is no cost before (only the cost after is shown), and the review says at
   * its top how to get a diff ({@link ReviewContext.noBaseHint}).
   */
  readonly before?: readonly LoadedEnvironment[];
  /**
   * Without `before` (a base today's rules refuse): each base environment's engine version and
   * storage as written ({@link readWrittenInstanceSizings}), so that a lowered engine version or
   * storage is still judged. Ignored when `before` is given.
   */
  readonly beforeInstances?: readonly InstanceSizing[];
  /**
   * Inline Markdown said at the top of a review without `before`: how to get the diff of the
   * change. Default: {@link DEFAULT_NO_BASE_HINT}.
   */
  readonly noBaseHint?: string;
  /**
   * The base branch's configuration synthesized (`synthesizeForReview(before)`), for the "before"
   * cost. Default: none (cost before unknown).
   */
  readonly beforeSynth?: SynthOutput;
  /**
   * Approvals for the destroy guard (`parseApprovals` of PGFORKS_APPROVED_CHANGES or an approval
   * file). Each must match a stateful deletion or replacement in the plan of its stack; one that
   * matches nothing there fails the guard (see {@link StaleApproval}). Approvals for stacks
   * without a plan here are not judged. Default none.
   */
  readonly approvals?: readonly Approval[];
  /**
   * What a stale approval (one that matches no deletion or replacement of its planned stack)
   * does: "fail" the guard, so pull requests clean the approvals file up, or only "warn" in the
   * review's notes, for main's re-plans of a stack whose approved change is already applied.
   * Default "fail".
   */
  readonly staleApprovals?: "fail" | "warn";
}

/** Status of a stack in the table. */
export type StackStatus = "no changes" | "changes" | "blocked" | "error" | "not planned";

/** The stack table's counts. A replacement counts once, as ±, not as + and −. */
export interface ChangeCounts {
  readonly create: number;
  readonly update: number;
  readonly delete: number;
  readonly replace: number;
  /** Resources with a previous_address (moved blocks). */
  readonly move: number;
  /** Resources being imported (change.importing). */
  readonly import: number;
  /** Objects changed outside Terraform (resource_drift). */
  readonly drift: number;
  /** Resources removed from state without being destroyed (removed blocks, destroy = false). */
  readonly forget: number;
}

/** The list a resource is shown in. A moved or imported resource that also changes is listed by its change. */
export type ResourceGroup =
  | "create"
  | "update"
  | "replace"
  | "delete"
  | "forget"
  | "move"
  | "import";

/** Display order of the groups. */
export const RESOURCE_GROUPS: readonly ResourceGroup[] = [
  "replace",
  "delete",
  "create",
  "update",
  "forget",
  "move",
  "import",
];

/** One changed resource instance. */
export interface ResourceReview {
  readonly stack: string;
  readonly address: string;
  readonly type: string;
  readonly action: ReviewAction;
  readonly group: ResourceGroup;
  /** cdktf construct path from the synthesized JSON ("prod-platform/database/instance"). */
  readonly constructPath?: string;
  readonly previousAddress?: string;
  /** Import id, when imported. */
  readonly importId?: string;
  readonly actionReason?: string;
  /** Attributes forcing the replacement (replace_paths as attribute paths). */
  readonly replacePaths: readonly string[];
  /** Set when the type holds data (see stateful.ts). */
  readonly stateful?: StatefulKind;
  /** The tenant it belongs to, when it does. */
  readonly tenant?: string;
  /** Changed attributes (masked, unknowns marked); empty for deletions. */
  readonly attributes: readonly AttributeChange[];
  /** The change as planned (for the raw rendering). */
  readonly change: ReviewPlanChange;
}

/** One row of the stack table and its resources. */
export interface StackReview {
  readonly stack: string;
  readonly environment: string;
  readonly status: StackStatus;
  /** Undefined for a stack without a plan. */
  readonly counts?: ChangeCounts;
  /** Changed resources, by group then address. */
  readonly resources: readonly ResourceReview[];
  /** Drifted objects (resource_drift). */
  readonly drift: readonly ResourceReview[];
  /** Root outputs that change: name and action. */
  readonly outputs: ReadonlyArray<{ readonly name: string; readonly action: ReviewAction }>;
  readonly terraformVersion?: string;
}

/** A deleted or replaced resource, stateful or not. */
export interface DestroyedResource {
  readonly stack: string;
  readonly environment: string;
  readonly address: string;
  readonly type: string;
  readonly action: "delete" | "replace";
  readonly constructPath?: string;
  readonly replacePaths: readonly string[];
  readonly stateful?: StatefulKind;
  readonly tenant?: string;
}

/** A stateful deletion or replacement and the guard's decision on it. */
export interface GuardFinding extends DestroyedResource {
  readonly stateful: StatefulKind;
  /** Why it is allowed; undefined when blocked. */
  readonly allowedBy?: "dropped tenant" | "approval";
  /** The decision in words. */
  readonly reason: string;
}

export type { StaleApproval };

/** A resource (or, as `tier`, an environment) whose protections the change lowers, with the guard's decision. */
export interface LoweredProtection extends LoweringCandidate, Decision {
  readonly environment: string;
  readonly type?: string;
  readonly constructPath?: string;
}

/** A region, account or state backend changed for an environment, with the guard's decision. */
export interface MovedEnvironment extends Relocation, Decision {}

/** An engine version or allocated storage lowered, which RDS cannot do, with the guard's decision. */
export interface IrreversibleInstanceChange extends IrreversibleChange, Decision {}

/** Connection budget of an environment, before and after. */
export interface BudgetChange {
  readonly environment: string;
  readonly before?: ConnectionBudget;
  readonly after?: ConnectionBudget;
}

/** Monthly cost of an environment, before and after. */
export interface CostChange {
  readonly environment: string;
  readonly before?: CostEstimate;
  readonly after?: CostEstimate;
}

/** The review. */
export interface Review {
  /** Stacks in apply order: dependencies first, environments dev → staging → prod. */
  readonly stacks: readonly StackReview[];
  /** Every deletion and replacement (the banner), stateful ones first. */
  readonly destroyed: readonly DestroyedResource[];
  /**
   * The destroy guard's decisions on stateful deletions and replacements, and the approvals that
   * match none of them. The guard fails when `blocked` or `stale` is not empty.
   */
  readonly guard: {
    readonly blocked: readonly GuardFinding[];
    readonly allowed: readonly GuardFinding[];
    readonly stale: readonly StaleApproval[];
    /**
     * Every lowered protection (Multi-AZ, deletion protection, backup retention, encryption, TLS,
     * public access, log retention, tier), each a top-level warning; in production one without an
     * approval (`allowedBy` undefined) fails the guard.
     */
    readonly lowered: readonly LoweredProtection[];
    /**
     * Every change of an environment's region, account or state backend: Terraform recreates the
     * environment empty and leaves the existing resources, with the data, unmanaged. Blocked in
     * every tier without an approval (`allowedBy` undefined).
     */
    readonly moved: readonly MovedEnvironment[];
    /**
     * Every lowered engine version or allocated storage (configuration before -> after): RDS
     * cannot do either to the instance. Blocked in every tier without an approval.
     */
    readonly irreversible: readonly IrreversibleInstanceChange[];
  };
  readonly tenants: readonly TenantChange[];
  readonly budgets: readonly BudgetChange[];
  readonly costs: readonly CostChange[];
  /** Things the reader should know about the inputs (missing synth, base config...). */
  readonly notes: readonly string[];
  /**
   * Set when no base configuration was given (inline Markdown): there is nothing to diff against,
   * so costs are after-only, and this says how to get a diff.
   */
  readonly noBase?: string;
}

/** What a review without a base configuration says at its top. */
export const DEFAULT_NO_BASE_HINT =
  "No base configuration was given, so there is no diff of costs or configuration: pass `--base-env-dir <checkout of the base branch>/environments` to compare with the base branch.";

const TIER_ORDER: Readonly<Record<Tier, number>> = { development: 0, staging: 1, production: 2 };
const STACK_KIND_ORDER: Readonly<Record<string, number>> = { platform: 0, tenants: 1 };

/** `<env>` of `<env>-platform` / `<env>-tenants` (other names are their own environment). */
export function environmentOfStack(stack: string): string {
  return stack.replace(/-(platform|tenants)$/, "");
}

function kindOfStack(stack: string): string {
  return /-(platform|tenants)$/.exec(stack)?.[1] ?? "";
}

/** Orders environments dev → staging → prod by tier (then name); unknown ones last. */
export function environmentRanker(
  environments: readonly LoadedEnvironment[],
): (env: string) => number {
  const tiers = new Map(environments.map((e) => [e.name, TIER_ORDER[e.environment.tier]]));
  return (env) => tiers.get(env) ?? Object.keys(TIER_ORDER).length;
}

/**
 * Stacks in apply order: a stack after the stacks it depends on (manifest.json), and otherwise by
 * environment (dev → staging → prod), platform before tenants, then name.
 */
export function orderStacks(
  stacks: readonly string[],
  dependencies: (stack: string) => readonly string[],
  rank: (env: string) => number,
): string[] {
  const compare = (a: string, b: string) =>
    rank(environmentOfStack(a)) - rank(environmentOfStack(b)) ||
    compareStrings(environmentOfStack(a), environmentOfStack(b)) ||
    (STACK_KIND_ORDER[kindOfStack(a)] ?? 2) - (STACK_KIND_ORDER[kindOfStack(b)] ?? 2) ||
    compareStrings(a, b);
  const pending = new Set(stacks);
  const done: string[] = [];
  while (pending.size > 0) {
    const ready = [...pending]
      .filter((s) => dependencies(s).every((d) => !pending.has(d) || d === s))
      .sort(compare);
    // A dependency cycle cannot be synthesized by cdktf; fall back to the plain order.
    const next = ready[0] ?? [...pending].sort(compare)[0];
    if (next === undefined) break;
    pending.delete(next);
    done.push(next);
  }
  return done;
}

function countsOf(resources: readonly ResourceReview[], drift: number): ChangeCounts {
  const count = (action: ReviewAction) => resources.filter((r) => r.action === action).length;
  return {
    create: count("create"),
    update: count("update"),
    delete: count("delete"),
    replace: count("replace"),
    move: resources.filter((r) => r.previousAddress !== undefined).length,
    import: resources.filter((r) => r.importId !== undefined).length,
    drift,
    forget: count("forget"),
  };
}

function groupOf(
  action: ReviewAction,
  moved: boolean,
  imported: boolean,
): ResourceGroup | undefined {
  switch (action) {
    case "create":
    case "update":
    case "replace":
    case "delete":
    case "forget":
      return action;
    default:
      if (moved) return "move";
      if (imported) return "import";
      return undefined;
  }
}

function resourceReview(
  stack: string,
  rc: ReviewResourceChange,
  paths: ReadonlyMap<string, string>,
  book: TenantAddressBook,
): ResourceReview | undefined {
  if (rc.mode !== "managed") return undefined;
  const action = reviewActionOf(rc.change.actions);
  const moved = rc.previous_address !== undefined && rc.previous_address !== rc.address;
  const importing = rc.change.importing;
  const group = groupOf(action, moved, importing !== undefined);
  if (group === undefined) return undefined;
  const constructPath = paths.get(resourceAddress(rc.address));
  const tenant = tenantOwnership(rc, book)?.tenant;
  const stateful = statefulKind(rc.type, rc.change.before);
  return {
    stack,
    address: rc.address,
    type: rc.type,
    action,
    group,
    ...(constructPath !== undefined ? { constructPath } : {}),
    ...(moved ? { previousAddress: rc.previous_address } : {}),
    ...(importing !== undefined ? { importId: importing.id ?? "" } : {}),
    ...(rc.action_reason !== undefined ? { actionReason: rc.action_reason } : {}),
    replacePaths: replacePathsOf(rc.change),
    ...(stateful ? { stateful } : {}),
    ...(tenant !== undefined ? { tenant } : {}),
    attributes:
      action === "delete" || action === "forget"
        ? []
        : attributeChanges(rc.change, { shape: resourceShape(rc.type) }),
    change: rc.change,
  };
}

function driftReview(
  stack: string,
  rc: ReviewResourceChange,
  paths: ReadonlyMap<string, string>,
): ResourceReview {
  const constructPath = paths.get(resourceAddress(rc.address));
  return {
    stack,
    address: rc.address,
    type: rc.type,
    action: reviewActionOf(rc.change.actions),
    group: "update",
    ...(constructPath !== undefined ? { constructPath } : {}),
    replacePaths: [],
    attributes: attributeChanges(rc.change, { shape: resourceShape(rc.type) }),
    change: rc.change,
  };
}

function sortResources(resources: ResourceReview[]): ResourceReview[] {
  return resources.sort(
    (a, b) =>
      RESOURCE_GROUPS.indexOf(a.group) - RESOURCE_GROUPS.indexOf(b.group) ||
      compareStrings(a.address, b.address),
  );
}

function guardDecision(
  destroyed: DestroyedResource & { stateful: StatefulKind },
  change: ReviewPlanChange,
  after: readonly LoadedEnvironment[],
  approvals: ReadonlySet<string>,
  base: readonly LoadedEnvironment[] | undefined,
): GuardFinding {
  const tenantIn = (environments: readonly LoadedEnvironment[] | undefined) =>
    destroyed.tenant
      ? environments
          ?.find((e) => e.name === destroyed.environment)
          ?.tenants.find((t) => t.name === destroyed.tenant)
      : undefined;
  const tenant = tenantIn(after);
  const before = change.before as Record<string, unknown> | null;
  // The database a dropped tenant's other resources go with: the one of the base configuration
  // (an entry whose database is renamed in the same change drops the old one, not the confirmed).
  const baseTenant = tenantIn(base);
  const databaseBefore =
    destroyed.type === "postgresql_database" && before?.name !== undefined
      ? before.name
      : baseTenant
        ? tenantDatabaseName(baseTenant)
        : undefined;
  return decideDestroy(destroyed, {
    approvals,
    ...(tenant
      ? {
          tenant: {
            name: tenant.name,
            state: tenant.state,
            database: tenantDatabaseName(tenant),
            ...(tenant.confirmDrop !== undefined ? { confirmDrop: tenant.confirmDrop } : {}),
          },
        }
      : {}),
    ...(databaseBefore !== undefined ? { databaseBefore } : {}),
  }) as GuardFinding;
}

/** Builds the review. Throws when two plans name the same stack. */
export function buildReview(plans: readonly StackPlan[], ctx: ReviewContext): Review {
  const seen = new Set<string>();
  for (const { stack } of plans) {
    if (seen.has(stack)) throw new Error(`two plans for stack ${stack}`);
    seen.add(stack);
  }
  const after = ctx.after;
  const before = ctx.before ?? ctx.after;
  const beforeSynth = ctx.before === undefined ? undefined : ctx.beforeSynth;
  const rank = environmentRanker([...after, ...before]);
  const approvals = new Set((ctx.approvals ?? []).map(approvalKey));
  const notes: string[] = [];
  if (!ctx.synth) {
    notes.push(
      "No synthesized stacks were given: construct paths and the cost after are unavailable.",
    );
  }

  const byStack = new Map(plans.map((p) => [p.stack, p.plan]));
  const stackNames = [...new Set([...byStack.keys(), ...Object.keys(ctx.synth?.stacks ?? {})])];
  const ordered = orderStacks(stackNames, (s) => ctx.synth?.stacks[s]?.dependencies ?? [], rank);

  const plannedComponents: PlannedTenantComponent[] = [];
  const destroyed: DestroyedResource[] = [];
  const findings: GuardFinding[] = [];
  const lowered: LoweredProtection[] = [];
  const stacks: StackReview[] = [];
  const production = (env: string) =>
    [...before, ...after].some((e) => e.name === env && e.environment.tier === "production");
  // What a tenant's stateful resource loses is the footprint's to say (a read-only group has no
  // password to lose); other resources keep the guard's words for their type.
  const tenantStateful = (
    stateful: StatefulKind | undefined,
    env: string,
    tenant: string,
    address: string,
  ): StatefulKind | undefined => {
    const loses = stateful
      ? footprintDestroyLoses([ctx.before, after], env, tenant, address)
      : undefined;
    return stateful && loses !== undefined ? { ...stateful, loses } : stateful;
  };
  const withTenantLoss = (r: ResourceReview, env: string): ResourceReview => {
    if (!r.stateful || r.tenant === undefined) return r;
    const stateful = tenantStateful(r.stateful, env, r.tenant, r.address);
    return stateful === r.stateful || !stateful ? r : { ...r, stateful };
  };

  // Region, account and state backend are configuration too: judged for every environment with a base.
  const moved: MovedEnvironment[] = (ctx.before === undefined ? [] : after).flatMap((a) =>
    relocations(before.find((e) => e.name === a.name)?.environment, {
      ...a.environment,
      name: a.name,
    }).map((r) => decideRelocation(r, approvals)),
  );

  // Engine version and storage only go up on RDS: judged from the configuration, like the moves,
  // and from the base as written when today's rules refuse it (a minor pinned before they did).
  const baseInstances: readonly InstanceSizing[] | undefined =
    ctx.before?.map((e) => ({ ...e.environment, name: e.name })) ?? ctx.beforeInstances;
  const irreversible: IrreversibleInstanceChange[] = (
    baseInstances === undefined ? [] : after
  ).flatMap((a) =>
    irreversibleChanges(
      baseInstances?.find((e) => e.name === a.name),
      { ...a.environment, name: a.name },
    ).map((c) => decideIrreversible(c, approvals)),
  );

  for (const stack of ordered) {
    const environment = environmentOfStack(stack);
    const plan = byStack.get(stack);
    if (!plan) {
      stacks.push({
        stack,
        environment,
        status: "not planned",
        resources: [],
        drift: [],
        outputs: [],
      });
      continue;
    }
    const paths = constructPaths(ctx.synth?.stacks[stack]?.json);
    const manifest = ctx.synth?.stacks[stack]?.tenantManifest;
    if (!manifest) {
      notes.push(
        `${stack}: no pgforks-manifest.json beside its cdk.tf.json, so its resources are not attributed to tenants (nothing is guessed): the tenant summary leaves this stack out, and the destroy guard allows no dropped tenant's deletion in it without an approval. Synthesize with \`npm run synth\` to write the manifest.`,
      );
    }
    const book = new TenantAddressBook([manifest, beforeSynth?.stacks[stack]?.tenantManifest]);
    const resources: ResourceReview[] = [];
    for (const rc of plan.resource_changes ?? []) {
      const reviewed = resourceReview(stack, rc, paths, book);
      if (!reviewed) continue;
      const review = withTenantLoss(reviewed, environment);
      resources.push(review);
      const ownership = tenantOwnership(rc, book);
      if (
        ownership &&
        (review.action === "create" ||
          review.action === "update" ||
          review.action === "replace" ||
          review.action === "delete")
      ) {
        const detail =
          ownership.kind === "extension"
            ? ownership.detail
            : review.action === "update"
              ? updateDetail(rc)
              : undefined;
        plannedComponents.push({
          environment,
          tenant: ownership.tenant,
          kind: ownership.kind,
          action: review.action,
          stack,
          address: rc.address,
          planned: true,
          ...(detail !== undefined ? { detail } : {}),
        });
      }
      for (const { tenant, action } of proxyAuthChanges(rc, book)) {
        plannedComponents.push({
          environment,
          tenant,
          kind: "proxy auth",
          action,
          stack,
          address: rc.address,
          planned: true,
        });
      }
      const lowerings = loweredProtections(rc);
      if (lowerings.length > 0) {
        lowered.push(
          decideLowering(
            {
              stack,
              environment,
              address: review.address,
              type: review.type,
              ...(review.constructPath !== undefined
                ? { constructPath: review.constructPath }
                : {}),
              lowerings,
              production: production(environment),
            },
            approvals,
          ),
        );
      }
      if (review.action === "delete" || review.action === "replace") {
        const item: DestroyedResource = {
          stack,
          environment,
          address: review.address,
          type: review.type,
          action: review.action,
          replacePaths: review.replacePaths,
          ...(review.constructPath !== undefined ? { constructPath: review.constructPath } : {}),
          ...(review.stateful ? { stateful: review.stateful } : {}),
          ...(review.tenant !== undefined ? { tenant: review.tenant } : {}),
        };
        destroyed.push(item);
        if (item.stateful) {
          findings.push(
            guardDecision(
              { ...item, stateful: item.stateful },
              rc.change,
              after,
              approvals,
              ctx.before,
            ),
          );
        }
      }
    }
    sortResources(resources);
    const drift = (plan.resource_drift ?? [])
      .map((rc) => driftReview(stack, rc, paths))
      .sort((a, b) => compareStrings(a.address, b.address));
    const outputs = Object.entries(plan.output_changes ?? {})
      .map(([name, change]) => ({ name, action: reviewActionOf(change.actions) }))
      .filter((o) => o.action !== "no-op" && o.action !== "read")
      .sort((a, b) => compareStrings(a.name, b.name));
    const counts = countsOf(resources, drift.length);
    const blocked = [...findings, ...lowered, ...moved, ...irreversible].some(
      (f) => f.stack === stack && f.allowedBy === undefined,
    );
    const status: StackStatus =
      plan.errored === true
        ? "error"
        : blocked
          ? "blocked"
          : resources.length > 0 || outputs.length > 0
            ? "changes"
            : "no changes";
    stacks.push({
      stack,
      environment,
      status,
      counts,
      resources,
      drift,
      outputs,
      ...(plan.terraform_version ? { terraformVersion: plan.terraform_version } : {}),
    });
  }

  const envNames = [...new Set([...after.map((e) => e.name), ...before.map((e) => e.name)])].sort(
    (a, b) => rank(a) - rank(b) || compareStrings(a, b),
  );
  const budgets: BudgetChange[] = envNames.map((environment) => {
    const a = after.find((e) => e.name === environment);
    const b = before.find((e) => e.name === environment);
    return {
      environment,
      ...(b ? { before: connectionBudget(b.environment, b.tenants) } : {}),
      ...(a ? { after: connectionBudget(a.environment, a.tenants) } : {}),
    };
  });
  const costs: CostChange[] = envNames.map((environment) => {
    const stack = `${environment}-platform`;
    const a = after.find((e) => e.name === environment);
    const b = before.find((e) => e.name === environment);
    const afterJson = a ? ctx.synth?.stacks[stack]?.json : undefined;
    const beforeJson = b ? beforeSynth?.stacks[stack]?.json : undefined;
    return {
      environment,
      ...(beforeJson && b && ctx.before !== undefined
        ? { before: estimatePlatformCost(beforeJson, b.environment.region) }
        : {}),
      ...(afterJson && a ? { after: estimatePlatformCost(afterJson, a.environment.region) } : {}),
    };
  });
  if (ctx.before !== undefined && !beforeSynth && envNames.length > 0) {
    notes.push("The base branch was not synthesized: the cost before is unavailable.");
  }

  const plannedStacks = new Set(plans.map((p) => p.stack));
  const tenants = tenantChanges(plannedComponents, plannedStacks, { after, before }, rank);
  // A stack not planned here (a pull request never plans <env>-tenants) is judged from the
  // configuration: main's guard will judge its plan the same way, so a deletion it would block
  // (a tenant's role, schema or database that is not dropped with confirmDrop, a read-only role
  // turned off) needs its approval in this pull request, not after the merge.
  for (const t of tenants) {
    for (const c of t.components) {
      // A proxy auth entry is part of the proxy (an update of it), never its deletion.
      if (c.planned || c.address === undefined || c.kind === "proxy auth") continue;
      if (c.action !== "delete" && c.action !== "replace") continue;
      const type = c.address.slice(0, c.address.indexOf("."));
      const stateful = tenantStateful(statefulKind(type), t.environment, t.tenant, c.address);
      if (!stateful) continue;
      // A dropped tenant's schema is forgotten (a removed block), not deleted: DROP DATABASE takes it.
      const dropped =
        after.find((e) => e.name === t.environment)?.tenants.find((x) => x.name === t.tenant)
          ?.state === "dropped";
      if (dropped && type === "postgresql_schema") continue;
      const finding = guardDecision(
        {
          stack: c.stack,
          environment: t.environment,
          address: c.address,
          type,
          action: c.action,
          replacePaths: [],
          stateful,
          tenant: t.tenant,
        },
        { actions: [c.action === "replace" ? "create" : "delete"], before: null, after: null },
        after,
        approvals,
        ctx.before,
      );
      if (finding.allowedBy !== "dropped tenant") findings.push(finding);
    }
  }

  const order = new Map(ordered.map((s, i) => [s, i]));
  const byPosition = <T extends DestroyedResource>(list: T[]) =>
    list.sort(
      (x, y) =>
        Number(!x.stateful) - Number(!y.stateful) ||
        (order.get(x.stack) ?? 0) - (order.get(y.stack) ?? 0) ||
        compareStrings(x.address, y.address),
    );
  byPosition(destroyed);
  byPosition(findings);
  // The tier is configuration, not a resource: judged for every environment with a base.
  for (const a of ctx.before === undefined ? [] : after) {
    const b = before.find((e) => e.name === a.name);
    const tier = loweredTier(b?.environment.tier, a.environment.tier);
    if (!tier) continue;
    lowered.push(
      decideLowering(
        {
          stack: `${a.name}-platform`,
          environment: a.name,
          address: "tier",
          lowerings: [tier],
          production: true,
        },
        approvals,
      ),
    );
  }
  const judged = new Set([...findings, ...lowered, ...moved, ...irreversible].map(approvalKey));
  const stale = staleApprovals(ctx.approvals ?? [], judged, plannedStacks);
  if (ctx.staleApprovals === "warn") {
    for (const s of stale) notes.push(`Warning: ${s.reason} (stale approvals only warn here).`);
  }
  return {
    stacks,
    destroyed,
    guard: {
      blocked: findings.filter((f) => f.allowedBy === undefined),
      allowed: findings.filter((f) => f.allowedBy !== undefined),
      stale: ctx.staleApprovals === "warn" ? [] : stale,
      lowered: lowered.sort(
        (x, y) =>
          (order.get(x.stack) ?? rank(x.environment)) -
            (order.get(y.stack) ?? rank(y.environment)) || compareStrings(x.address, y.address),
      ),
      moved,
      irreversible,
    },
    tenants,
    budgets,
    costs,
    notes,
    ...(ctx.before === undefined ? { noBase: ctx.noBaseHint ?? DEFAULT_NO_BASE_HINT } : {}),
  };
}

/**
 * The guard's decision: exit non-zero when `blocked`, `stale`, `lowered` (protections of
 * production lowered without approval), `moved` (an environment's region, account or state
 * backend changed without approval) or `irreversible` (an engine version or allocated storage
 * lowered without approval) is not empty.
 */
export function destroyGuard(review: Review): {
  blocked: GuardFinding[];
  allowed: GuardFinding[];
  stale: StaleApproval[];
  lowered: LoweredProtection[];
  moved: MovedEnvironment[];
  irreversible: IrreversibleInstanceChange[];
} {
  return {
    blocked: [...review.guard.blocked],
    allowed: [...review.guard.allowed],
    stale: [...review.guard.stale],
    lowered: review.guard.lowered.filter((l) => l.allowedBy === undefined),
    moved: review.guard.moved.filter((m) => m.allowedBy === undefined),
    irreversible: review.guard.irreversible.filter((c) => c.allowedBy === undefined),
  };
}
