/**
 * Terraform's plan JSON: `terraform show -json <planfile>` (developer.hashicorp.com/terraform/
 * internals/json-format, format_version 1.x as written by Terraform 1.11). One set of types for
 * every reader (terraform-harness, guard, plan-review, policy); only the fields they read are
 * typed, the rest stays available as unknown.
 */

/** A change action of a resource instance. */
export type ChangeAction = "no-op" | "create" | "read" | "update" | "delete" | "forget";

/** A planned change (resource_changes[].change, resource_drift[].change, output_changes.*). */
export interface PlanChange {
  /** ["create"], ["update"], ["delete", "create"] (replace), ["no-op"], ... */
  readonly actions: readonly ChangeAction[];
  /** Value before the change (null when creating). */
  readonly before: unknown;
  /** Known values after the change (null when deleting). */
  readonly after: unknown;
  /** Which parts of `after` are known only after apply (a mirror of it with `true` leaves). */
  readonly after_unknown?: unknown;
  /** Which parts of `before` are sensitive (a mirror with `true` leaves). */
  readonly before_sensitive?: unknown;
  /** Which parts of `after` are sensitive. */
  readonly after_sensitive?: unknown;
  /** Attribute paths that force replacement (lists of keys and indexes). */
  readonly replace_paths?: readonly unknown[];
  /** Present when the resource is being imported (`import` block); `id` is the import id. */
  readonly importing?: { readonly id?: string; readonly identity?: unknown };
  /** HCL Terraform generated for an imported resource (`-generate-config-out`). */
  readonly generated_config?: string;
}

/** One entry of resource_changes or resource_drift. */
export interface ResourceChange {
  /** Absolute address, e.g. "aws_kms_key.key" or "module.x.aws_vpc.this[0]". */
  readonly address: string;
  /** Address before a `moved` block moved it. */
  readonly previous_address?: string;
  readonly module_address?: string;
  readonly mode: "managed" | "data";
  /** Resource type, e.g. "aws_db_instance". */
  readonly type: string;
  readonly name: string;
  readonly index?: string | number;
  /** Full source of the provider, e.g. "registry.terraform.io/hashicorp/aws". */
  readonly provider_name: string;
  /** Deposed object key, for create_before_destroy leftovers. */
  readonly deposed?: string;
  readonly change: PlanChange;
  /** Why Terraform chose the action, e.g. "replace_because_cannot_update". */
  readonly action_reason?: string;
}

/** A resource in planned_values / prior_state. */
export interface StateResource {
  readonly address: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
  readonly provider_name: string;
  /** Attribute values known at plan time. */
  readonly values: Record<string, unknown>;
  readonly sensitive_values?: Record<string, unknown>;
}

/** A module in planned_values / prior_state. */
export interface StateModule {
  readonly resources?: readonly StateResource[];
  readonly child_modules?: readonly (StateModule & { readonly address?: string })[];
}

/** A constant or the references of one argument in `configuration`. */
export interface ConfigExpression {
  readonly constant_value?: unknown;
  readonly references?: readonly string[];
}

/** A resource in `configuration.root_module`. */
export interface ConfigResource {
  readonly address: string;
  readonly expressions?: Record<string, ConfigExpression | unknown>;
}

/** `terraform show -json plan.tfplan`. */
export interface PlanJson {
  readonly format_version: string;
  readonly terraform_version: string;
  /** Changes per resource instance (absent when there is none). */
  readonly resource_changes?: readonly ResourceChange[];
  /** Changes Terraform detected outside of Terraform while refreshing (absent with -refresh=false). */
  readonly resource_drift?: readonly ResourceChange[];
  /** Changes per root output. */
  readonly output_changes?: Readonly<Record<string, PlanChange>>;
  /** Values after apply, as far as known. */
  readonly planned_values?: {
    readonly outputs?: Readonly<
      Record<string, { readonly sensitive: boolean; readonly value?: unknown }>
    >;
    readonly root_module?: StateModule;
  };
  /** State the plan started from (present when a prior state existed). */
  readonly prior_state?: { readonly values?: { readonly root_module?: StateModule } };
  /** The configuration as Terraform understood it. */
  readonly configuration?: {
    readonly root_module?: { readonly resources?: readonly ConfigResource[] };
    readonly [key: string]: unknown;
  };
  readonly applyable?: boolean;
  readonly complete?: boolean;
  readonly errored?: boolean;
  readonly timestamp?: string;
}

/** What a planned change does, reduced to one word (Terraform's "actions" list, interpreted). */
export type PlanAction = "create" | "update" | "replace" | "delete" | "read" | "no-op" | "forget";

/** One word for an actions list: ["delete","create"] and ["create","delete"] are both a replacement. */
export function planActionOf(actions: readonly ChangeAction[]): PlanAction {
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
export function isPlanJson(value: unknown): value is PlanJson {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const plan = value as Record<string, unknown>;
  return (
    typeof plan.format_version === "string" &&
    (plan.resource_changes === undefined || Array.isArray(plan.resource_changes)) &&
    // A state (`terraform show -json` without a plan) has `values` and no planned_values.
    ("planned_values" in plan || "resource_changes" in plan || "configuration" in plan)
  );
}
