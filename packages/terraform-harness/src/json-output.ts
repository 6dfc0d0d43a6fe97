/**
 * Types of Terraform's machine-readable output that the harness reads: `terraform validate -json`
 * here, and `terraform show -json <planfile>` from @pgforks/plan-json (re-exported)
 * (developer.hashicorp.com/terraform/internals/json-format).
 */

import type { ChangeAction, PlanJson } from "@pgforks/plan-json";

export type {
  ChangeAction,
  PlanChange,
  PlanJson,
  ResourceChange,
  StateModule,
  StateResource,
} from "@pgforks/plan-json";

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
