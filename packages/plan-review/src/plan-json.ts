/**
 * The plan JSON the review reads: `terraform show -json <planfile>` (Terraform docs, "JSON Output
 * Format", format_version 1.x). The harness's {@link HarnessPlanJson} types what it needs; this
 * extends it with the fields a reviewer needs: moves, imports, drift and why an action was chosen.
 */
import type {
  ChangeAction,
  PlanChange as HarnessPlanChange,
  PlanJson as HarnessPlanJson,
  ResourceChange as HarnessResourceChange,
} from "@pgforks/terraform-harness";

export type { ChangeAction };

/** resource_changes[].change with the import marker (Terraform >= 1.5). */
export interface ReviewPlanChange extends HarnessPlanChange {
  /** Present when the resource is being imported (`import` block); `id` is the import id. */
  readonly importing?: { readonly id?: string; readonly identity?: unknown };
  /** HCL Terraform generated for an imported resource (`-generate-config-out`). */
  readonly generated_config?: string;
}

/** One entry of resource_changes or resource_drift. */
export interface ReviewResourceChange extends Omit<HarnessResourceChange, "change"> {
  readonly change: ReviewPlanChange;
  /** Address before a `moved` block (or a cdktf logical id change with a moved block) moved it. */
  readonly previous_address?: string;
  /** Deposed object key, for create_before_destroy leftovers. */
  readonly deposed?: string;
  /** Why Terraform chose the action, e.g. "replace_because_cannot_update", "delete_because_no_resource_config". */
  readonly action_reason?: string;
}

/** `terraform show -json plan.tfplan`, as the review reads it. */
export interface ReviewPlanJson extends Omit<HarnessPlanJson, "resource_changes"> {
  readonly resource_changes?: readonly ReviewResourceChange[];
  /** Changes Terraform detected outside of Terraform while refreshing (absent with -refresh=false). */
  readonly resource_drift?: readonly ReviewResourceChange[];
  readonly timestamp?: string;
}

/** What a planned change does, reduced to one word (Terraform's "actions" list, interpreted). */
export type ReviewAction = "create" | "update" | "replace" | "delete" | "read" | "no-op" | "forget";

/** One word for an actions list: ["delete","create"] and ["create","delete"] are both a replacement. */
export function reviewActionOf(actions: readonly ChangeAction[]): ReviewAction {
  const has = (a: ChangeAction) => actions.includes(a);
  if (has("create") && has("delete")) return "replace";
  if (has("create")) return "create";
  if (has("delete")) return "delete";
  if (has("update")) return "update";
  if (has("forget")) return "forget";
  if (has("read")) return "read";
  return "no-op";
}

/** True when `value` looks like `terraform show -json` output of a saved plan. */
export function isPlanJson(value: unknown): value is ReviewPlanJson {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const plan = value as Record<string, unknown>;
  return (
    typeof plan.format_version === "string" &&
    (plan.resource_changes === undefined || Array.isArray(plan.resource_changes)) &&
    // A state (`terraform show -json` without a plan) has `values` and no planned_values.
    ("planned_values" in plan || "resource_changes" in plan || "configuration" in plan)
  );
}
