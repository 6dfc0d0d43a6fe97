/**
 * The plan JSON the review reads: the shared types of @pgforks/plan-json under the names the
 * review's modules use.
 */
import {
  type ChangeAction,
  isPlanJson,
  type PlanAction,
  type PlanChange,
  type PlanJson,
  planActionOf,
  type ResourceChange,
} from "@pgforks/plan-json";

export type { ChangeAction };
export { isPlanJson };
/** resource_changes[].change. */
export type ReviewPlanChange = PlanChange;
/** One entry of resource_changes or resource_drift. */
export type ReviewResourceChange = ResourceChange;
/** `terraform show -json plan.tfplan`. */
export type ReviewPlanJson = PlanJson;
/** What a planned change does, in one word. */
export type ReviewAction = PlanAction;
/** One word for an actions list. */
export const reviewActionOf = planActionOf;
