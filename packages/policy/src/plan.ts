/**
 * An index over Terraform's plan JSON (`terraform show -json <planfile>`, typed by
 * @pgforks/plan-json) for the policy checks: planned resources and the references of their
 * arguments.
 */
import type {
  ConfigExpression,
  ConfigResource,
  PlanJson,
  StateModule,
  StateResource,
} from "@pgforks/plan-json";

export type { PlanJson };

/** A planned resource (planned_values). */
export type PlanResource = StateResource;

/** Every `references` list inside an expression, nested blocks included. */
function collectReferences(expression: unknown, out: string[] = []): string[] {
  if (Array.isArray(expression)) {
    for (const item of expression) collectReferences(item, out);
  } else if (expression && typeof expression === "object") {
    const refs = (expression as ConfigExpression).references;
    if (Array.isArray(refs)) out.push(...refs);
    for (const value of Object.values(expression))
      if (typeof value === "object") collectReferences(value, out);
  }
  return out;
}

function collect(module: StateModule | undefined, out: PlanResource[]): PlanResource[] {
  for (const r of module?.resources ?? []) out.push(r);
  for (const child of module?.child_modules ?? []) collect(child, out);
  return out;
}

/** Planned resources by address and type, plus the references each argument makes. */
export class PlanIndex {
  readonly resources: readonly PlanResource[];
  private readonly byAddress: Map<string, PlanResource>;
  private readonly config: Map<string, ConfigResource>;

  constructor(readonly plan: PlanJson) {
    this.resources = collect(plan.planned_values?.root_module, []).filter(
      (r) => r.mode === "managed",
    );
    this.byAddress = new Map(this.resources.map((r) => [r.address, r]));
    this.config = new Map(
      (plan.configuration?.root_module?.resources ?? []).map((r) => [r.address, r]),
    );
  }

  ofType(type: string): PlanResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  get(address: string): PlanResource | undefined {
    return this.byAddress.get(address);
  }

  /**
   * Resources an argument of `address` refers to (for values only known after apply, such as
   * a parameter group's generated name). Terraform lists both `type.name.attr` and `type.name`.
   */
  referencedResources(address: string, argument: string): PlanResource[] {
    const refs = collectReferences(this.config.get(address)?.expressions?.[argument]);
    const found = new Map<string, PlanResource>();
    for (const ref of refs) {
      const [type, name] = ref.split(".");
      const resource = this.byAddress.get(`${type}.${name}`);
      if (resource) found.set(resource.address, resource);
    }
    return [...found.values()];
  }

  /** Resources whose `argument` refers to `target` (reverse of referencedResources). */
  referrers(type: string, argument: string, target: PlanResource): PlanResource[] {
    return this.ofType(type).filter((r) =>
      this.referencedResources(r.address, argument).some((t) => t.address === target.address),
    );
  }
}
