/**
 * Synthetic plan JSON for unit tests, shaped exactly like Terraform's "JSON Output Format"
 * (developer.hashicorp.com/terraform/internals/json-format, format_version 1.2 as written by
 * Terraform 1.11): a root object with format_version, terraform_version, resource_changes,
 * resource_drift, output_changes, planned_values, configuration, applyable/complete/errored; each
 * resource change with address, previous_address, mode, type, name, index, provider_name,
 * action_reason and change {actions, before, after, after_unknown, before_sensitive,
 * after_sensitive, replace_paths, importing}. The postgresql provider has no binary here, so plans
 * of the tenants stacks cannot be produced offline: tests of tenant wording use these instead.
 */
import type { LoadedEnvironment } from "@pgforks/config";
import type { IntentKind } from "@pgforks/tenants/footprint";
import { environmentFixture, tenantFixture } from "@pgforks/testing";
import type { ChangeAction, ReviewPlanJson, ReviewResourceChange } from "../src/plan-json";
import type { SynthOutput } from "../src/synth-output";

export const AWS = "registry.terraform.io/hashicorp/aws";
export const POSTGRESQL = "registry.terraform.io/cyrilgdn/postgresql";

/** Options of {@link resourceChange}. */
export interface ChangeSpec {
  readonly actions: readonly ChangeAction[];
  readonly before?: Record<string, unknown> | null;
  readonly after?: Record<string, unknown> | null;
  readonly afterUnknown?: unknown;
  readonly beforeSensitive?: unknown;
  readonly afterSensitive?: unknown;
  readonly replacePaths?: ReadonlyArray<ReadonlyArray<string | number>>;
  readonly previousAddress?: string;
  readonly importingId?: string;
  readonly actionReason?: string;
  readonly provider?: string;
}

/** One resource_changes entry, as Terraform writes it. */
export function resourceChange(address: string, spec: ChangeSpec): ReviewResourceChange {
  const [type = "", name = ""] = address.replace(/\[[^\]]*\]$/, "").split(".");
  const index = /\[(\d+)\]$/.exec(address)?.[1];
  const creating = spec.actions.includes("create") && !spec.actions.includes("delete");
  const deleting = spec.actions.includes("delete") && !spec.actions.includes("create");
  return {
    address,
    ...(spec.previousAddress ? { previous_address: spec.previousAddress } : {}),
    mode: "managed",
    type,
    name,
    ...(index !== undefined ? { index: Number(index) } : {}),
    provider_name: spec.provider ?? (type.startsWith("postgresql_") ? POSTGRESQL : AWS),
    change: {
      actions: [...spec.actions],
      before: spec.before ?? (creating ? null : {}),
      after: spec.after ?? (deleting ? null : {}),
      after_unknown: spec.afterUnknown ?? (deleting ? false : {}),
      before_sensitive: spec.beforeSensitive ?? (creating ? false : {}),
      after_sensitive: spec.afterSensitive ?? (deleting ? false : {}),
      ...(spec.replacePaths ? { replace_paths: spec.replacePaths.map((p) => [...p]) } : {}),
      ...(spec.importingId !== undefined ? { importing: { id: spec.importingId } } : {}),
    },
    ...(spec.actionReason ? { action_reason: spec.actionReason } : {}),
  };
}

/** A plan document around some resource changes. */
export function planJson(
  changes: readonly ReviewResourceChange[],
  extra: Partial<ReviewPlanJson> = {},
): ReviewPlanJson {
  return {
    format_version: "1.2",
    terraform_version: "1.11.4",
    planned_values: { root_module: {} },
    resource_changes: changes,
    configuration: { root_module: {} },
    applyable: changes.some((c) => !c.change.actions.every((a) => a === "no-op")),
    complete: true,
    errored: false,
    ...extra,
  };
}

/** A loaded environment from the shared fixtures (name, tier and tenants given). */
export function loadedEnvironment(
  name: string,
  tier: "development" | "staging" | "production",
  tenants: ReadonlyArray<Parameters<typeof tenantFixture>[0]>,
  patch: NonNullable<Parameters<typeof environmentFixture>[0]> = {},
): LoadedEnvironment {
  const production = tier === "production";
  return {
    name,
    dir: `/environments/${name}`,
    environment: environmentFixture({
      ...patch,
      name,
      tier,
      database: { multiAz: production, deletionProtection: production, ...patch.database },
    }),
    tenants: tenants.map((t) => tenantFixture(t)),
  };
}

/** The Terraform address a synth's pgforks-manifest.json gives a tenant's part in `stack`. */
export function tenantAddressOf(
  synth: SynthOutput,
  stack: string,
  tenant: string,
  kind: IntentKind,
  detail?: string,
): string {
  const entry = synth.stacks[stack]?.tenantManifest?.resources.find(
    (e) => e.tenant === tenant && e.kind === kind && (detail === undefined || e.detail === detail),
  );
  if (!entry) throw new Error(`no ${kind} of ${tenant} in the manifest of ${stack}`);
  return entry.address;
}
