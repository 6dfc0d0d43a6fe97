/**
 * The guard's decisions. A stateful deletion or replacement is blocked unless its tenant was
 * dropped on purpose (`state: dropped` with `confirmDrop`) or an approval names it; a lowered
 * protection in a production environment is blocked unless an approval names it. An approval is
 * good for one change: one that matches nothing in the plans of its stack is stale and fails the
 * guard until it is removed.
 */
import { type Approval, approvalKey } from "./approvals";
import type { ProtectionLowering } from "./protections";
import type { StatefulKind } from "./stateful";

/** A stateful resource a plan deletes or replaces. */
export interface DestroyCandidate {
  readonly stack: string;
  readonly address: string;
  readonly type: string;
  readonly action: "delete" | "replace";
  readonly stateful: StatefulKind;
}

/** The tenant a destroyed resource belongs to, as configured after the change. */
export interface TenantDrop {
  readonly name: string;
  readonly state: string;
  readonly confirmDrop?: string;
  /** The tenant's database name (what confirmDrop must repeat). */
  readonly database: string;
}

/** The guard's decision on one candidate. */
export interface Decision {
  /** Why it is allowed; undefined when blocked. */
  readonly allowedBy?: "dropped tenant" | "approval" | "not production";
  /** The decision in words. */
  readonly reason: string;
}

/**
 * Decides a stateful deletion or replacement. `databaseBefore` is the name of the database the
 * tenant's drop destroys (it must be the confirmed one): a postgresql_database's name in the
 * state, or for the tenant's other resources its database in the base configuration, when known.
 */
export function decideDestroy<T extends DestroyCandidate>(
  candidate: T,
  options: {
    readonly tenant?: TenantDrop;
    readonly databaseBefore?: unknown;
    readonly approvals: ReadonlySet<string>;
  },
): T & Decision {
  const tenant = options.tenant;
  if (
    tenant?.state === "dropped" &&
    tenant.confirmDrop === tenant.database &&
    candidate.action === "delete" &&
    (options.databaseBefore === undefined || options.databaseBefore === tenant.confirmDrop)
  ) {
    return {
      ...candidate,
      allowedBy: "dropped tenant",
      reason: `allowed: tenant ${tenant.name} is dropped with confirmDrop: ${tenant.confirmDrop}`,
    };
  }
  // Only <stack>:<address>: the same address exists in every environment's stack.
  const approval = approvalKey(candidate);
  if (options.approvals.has(approval)) {
    return { ...candidate, allowedBy: "approval", reason: `allowed: approved as ${approval}` };
  }
  if (
    tenant?.state === "dropped" &&
    tenant.confirmDrop === tenant.database &&
    candidate.action === "delete" &&
    typeof options.databaseBefore === "string" &&
    options.databaseBefore !== tenant.confirmDrop
  ) {
    return {
      ...candidate,
      reason: `blocked: tenant ${tenant.name} is dropped with confirmDrop: ${tenant.confirmDrop}, but the database this change drops is ${options.databaseBefore} (the entry's database was renamed in the same change): confirmDrop must repeat the name of the database that is dropped, so keep database: ${options.databaseBefore} and confirmDrop: ${options.databaseBefore}`,
    };
  }
  return { ...candidate, reason: lossReason(candidate) };
}

/**
 * The usual reason a stateful deletion or replacement is blocked ("blocked: deleting it loses
 * ..."): what it loses. Any other blocked reason says something more (a mismatched confirmDrop),
 * which the review prints beside the loss.
 */
export function lossReason(candidate: Pick<DestroyCandidate, "action" | "stateful">): string {
  return `blocked: ${candidate.action === "replace" ? "replacing" : "deleting"} it loses ${candidate.stateful.loses}`;
}

/**
 * Decides a change that is blocked in every tier unless an approval names it as
 * `<stack>:<address>` (a relocation, a lowered engine version or storage): `blocked` is the
 * reason when it is not approved.
 */
export function decideByApproval<T extends { readonly stack: string; readonly address: string }>(
  item: T,
  approvals: ReadonlySet<string>,
  blocked: string,
): T & Decision {
  const approval = approvalKey(item);
  if (approvals.has(approval))
    return { ...item, allowedBy: "approval", reason: `allowed: approved as ${approval}` };
  return { ...item, reason: blocked };
}

/** A resource (or, for the tier, an environment's platform stack) whose protections a change lowers. */
export interface LoweringCandidate {
  readonly stack: string;
  /** Resource address; `tier` for the environment's tier. */
  readonly address: string;
  readonly lowerings: readonly ProtectionLowering[];
  /** The environment is production (before or after the change). */
  readonly production: boolean;
}

/** Decides a lowered protection: outside production it is a warning; in production it needs an approval. */
export function decideLowering<T extends LoweringCandidate>(
  candidate: T,
  approvals: ReadonlySet<string>,
): T & Decision {
  if (!candidate.production) {
    return {
      ...candidate,
      allowedBy: "not production",
      reason: "allowed: not a production environment",
    };
  }
  const approval = approvalKey(candidate);
  if (approvals.has(approval))
    return { ...candidate, allowedBy: "approval", reason: `allowed: approved as ${approval}` };
  return { ...candidate, reason: "blocked: lowers a protection of a production environment" };
}

/** An approval for a planned stack that matches nothing the guard judged in its plan. */
export interface StaleApproval {
  readonly approval: Approval;
  /** "approval <stack>:<address> matches nothing in these plans: remove it from <source>". */
  readonly reason: string;
}

/**
 * Approvals for a planned stack that match none of `judged` (the `<stack>:<address>` of every
 * stateful deletion or replacement and every lowered protection, allowed or not). An approval
 * for a stack without a plan here is not judged: CI plans only the stacks a pull request changes.
 */
export function staleApprovals(
  approvals: readonly Approval[],
  judged: ReadonlySet<string>,
  plannedStacks: ReadonlySet<string>,
): StaleApproval[] {
  return approvals
    .filter((a) => plannedStacks.has(a.stack) && !judged.has(approvalKey(a)))
    .map((approval) => ({
      approval,
      reason: `approval ${approvalKey(approval)} matches nothing in these plans: remove it from ${approval.source ?? "the approvals"}`,
    }));
}
