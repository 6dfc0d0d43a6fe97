/**
 * Types of Terraform's machine-readable output that the harness reads: `terraform validate -json`
 * and `terraform show -json <planfile>` (developer.hashicorp.com/terraform/internals/json-format).
 * Only the fields we use are typed; the rest stays available as unknown.
 */

/** A change action of a resource instance. */
export type ChangeAction = "no-op" | "create" | "read" | "update" | "delete" | "forget";

/** A planned change (resource_changes[].change, output_changes.*). */
export interface PlanChange {
  /** ["create"], ["update"], ["delete", "create"] (replace), ["no-op"], ... */
  readonly actions: readonly ChangeAction[];
  /** Value before the change (null when creating). */
  readonly before: unknown;
  /** Known values after the change (null when deleting). */
  readonly after: unknown;
  /** Which parts of `after` are known only after apply. */
  readonly after_unknown?: unknown;
  readonly before_sensitive?: unknown;
  readonly after_sensitive?: unknown;
  /** Attribute paths that force replacement. */
  readonly replace_paths?: readonly unknown[];
}

/** One entry of resource_changes. */
export interface ResourceChange {
  /** Absolute address, e.g. "aws_kms_key.key" or "module.x.aws_vpc.this[0]". */
  readonly address: string;
  readonly module_address?: string;
  readonly mode: "managed" | "data";
  /** Resource type, e.g. "aws_db_instance". */
  readonly type: string;
  readonly name: string;
  readonly index?: string | number;
  /** Full source of the provider, e.g. "registry.terraform.io/hashicorp/aws". */
  readonly provider_name: string;
  readonly change: PlanChange;
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
  readonly child_modules?: readonly (StateModule & { readonly address: string })[];
}

/** `terraform show -json plan.tfplan`. */
export interface PlanJson {
  readonly format_version: string;
  readonly terraform_version: string;
  /** Changes per resource instance (absent when there is none). */
  readonly resource_changes?: readonly ResourceChange[];
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
  readonly configuration?: Record<string, unknown>;
  readonly applyable?: boolean;
  readonly complete?: boolean;
  readonly errored?: boolean;
}

/** A source position in a diagnostic. */
export interface DiagnosticPos {
  readonly line: number;
  readonly column: number;
  readonly byte: number;
}

/** One diagnostic of `terraform validate -json`. */
export interface Diagnostic {
  readonly severity: "error" | "warning";
  readonly summary: string;
  readonly detail: string;
  /** Resource address, when the provider reported it. */
  readonly address?: string;
  readonly range?: {
    readonly filename: string;
    readonly start: DiagnosticPos;
    readonly end: DiagnosticPos;
  };
  readonly snippet?: {
    /** Enclosing block, e.g. "resource.aws_kms_key.key". */
    readonly context: string | null;
    readonly code: string;
    readonly start_line: number;
  };
}

/** `terraform validate -json`. */
export interface ValidateJson {
  readonly format_version: string;
  readonly valid: boolean;
  readonly error_count: number;
  readonly warning_count: number;
  readonly diagnostics: readonly Diagnostic[];
}

/** Counts as in Terraform's "Plan: X to add, Y to change, Z to destroy" (a replacement counts in add and destroy). */
export interface ChangeSummary {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  /** Replacements, already included in add and destroy. */
  readonly replace: number;
}

/** Summarises resource_changes (managed resources only; data reads are not changes). */
export function summarizePlan(plan: PlanJson): ChangeSummary {
  let add = 0;
  let change = 0;
  let destroy = 0;
  let replace = 0;
  for (const resource of plan.resource_changes ?? []) {
    if (resource.mode !== "managed") continue;
    const actions = resource.change.actions;
    const creates = actions.includes("create");
    const deletes = actions.includes("delete");
    if (creates && deletes) replace++;
    if (creates) add++;
    if (deletes) destroy++;
    if (actions.includes("update")) change++;
  }
  return { add, change, destroy, replace };
}

/** Addresses of the resources planned with exactly `actions` (e.g. ["create"]). */
export function addressesWithActions(plan: PlanJson, actions: readonly ChangeAction[]): string[] {
  return (plan.resource_changes ?? [])
    .filter(
      (resource) =>
        resource.change.actions.length === actions.length &&
        resource.change.actions.every((action, i) => action === actions[i]),
    )
    .map((resource) => resource.address);
}
