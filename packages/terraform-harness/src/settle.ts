import type { TerraformHarness } from "./harness";
import type { PlanChange, PlanJson } from "./json-output";
import { type FabricateOptions, fabricatePriorState, type TerraformStateV4 } from "./prior-state";

/** Options of {@link settlePriorState}. */
export interface SettleOptions extends FabricateOptions {
  /** Plan to start from. Default: a plan of the stack from an empty state. */
  readonly basePlan?: PlanJson;
  /**
   * Most plans against the fabricated state before giving up. Default 8: each round resolves one
   * more level of references between resources (vpc id -> subnet -> subnet group -> instance).
   */
  readonly maxRounds?: number;
}

/** Result of {@link settlePriorState}. */
export interface SettledState {
  /** A state the stack's configuration plans no change against. */
  readonly state: TerraformStateV4;
  /** The final plan against `state` (no changes). */
  readonly plan: PlanJson;
  /** Plans run against fabricated states (the base plan not counted). */
  readonly rounds: number;
  /** Milliseconds spent in Terraform, base plan and schemas included. */
  readonly ms: number;
}

/** Raised when the fabricated state does not settle within maxRounds. */
export class PriorStateNotSettledError extends Error {
  override readonly name = "PriorStateNotSettledError";
}

/** A change that is not a no-op: actions other than ["no-op"]. */
function isChange(change: PlanChange): boolean {
  return !(change.actions.length === 1 && change.actions[0] === "no-op");
}

/** Addresses (and output names) a plan still changes; empty when it plans nothing. */
export function pendingChanges(plan: PlanJson): string[] {
  const resources = (plan.resource_changes ?? [])
    .filter((resource) => resource.mode === "managed" && isChange(resource.change))
    .map((resource) => `${resource.change.actions.join(",")} ${resource.address}`);
  const outputs = Object.entries(plan.output_changes ?? {})
    .filter(([, change]) => isChange(change))
    .map(([name, change]) => `${change.actions.join(",")} output.${name}`);
  return [...resources, ...outputs];
}

/**
 * A prior state the stack's current configuration plans NO change against: fabricates a state
 * from the base plan ({@link fabricatePriorState}), plans against it with -refresh=false, and
 * fabricates again from that plan until nothing changes. Each round, values the base plan only
 * knew after apply because they referenced other resources (a subnet's vpc_id, a policy naming a
 * key ARN) become known from the placeholders the previous round gave those resources, so the
 * state converges to one that is consistent across references, as a real state is.
 */
export async function settlePriorState(
  harness: TerraformHarness,
  stack: string,
  options: SettleOptions = {},
): Promise<SettledState> {
  const started = performance.now();
  const { basePlan, maxRounds = 8, ...fabricate } = options;
  const schemas = await harness.providerSchemas(stack);
  const { config } = await harness.prepare(stack);
  let plan = basePlan ?? (await harness.plan(stack)).plan;
  let pending: string[] = [];
  for (let round = 1; round <= maxRounds; round++) {
    const state = fabricatePriorState(plan, schemas, { config, ...fabricate, serial: round });
    plan = (await harness.plan(stack, { priorState: state })).plan;
    pending = pendingChanges(plan);
    if (pending.length === 0) {
      return { state, plan, rounds: round, ms: performance.now() - started };
    }
  }
  throw new PriorStateNotSettledError(
    `${stack}: the fabricated prior state still plans changes after ${maxRounds} rounds:\n  ${pending.join("\n  ")}`,
  );
}
