import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type LoadedEnvironment, resourcePrefix } from "@pgforks/config";
import { instanceIdentifiers } from "@pgforks/rds";
import { CI_ROLE_SESSION_NAME, deliveryNames } from "./names";

/**
 * What a workflow job needs to know about one environment, as GitHub step outputs: where to plan
 * (account, region, stacks), which role to assume, which GitHub environment gates apply, and how
 * to reach the database (bastion, ports), which database instances to wait for.
 */
export function ciEnvironmentOutputs(loaded: LoadedEnvironment): Record<string, string> {
  const { environment } = loaded;
  const names = deliveryNames(environment);
  const instances = instanceIdentifiers(resourcePrefix(environment), environment.database);
  return {
    environment: environment.name,
    account: environment.account,
    region: environment.region,
    state_bucket: environment.stateBackend.bucket,
    state_region: environment.stateBackend.region,
    plan_role_arn: names.planRoleArn,
    tenants_plan_role_arn: names.tenantsPlanRoleArn,
    apply_role_arn: names.applyRoleArn,
    role_session_name: CI_ROLE_SESSION_NAME,
    github_environment: names.githubEnvironment,
    platform_stack: names.stacks.platform,
    tenants_stack: names.stacks.tenants,
    bastion: String(environment.network.bastion),
    database_port: String(environment.database.port),
    tunnel_local_port: environment.tunnel ? String(environment.tunnel.localPort) : "",
    // Primary first, then the replicas: what instance-settle.sh waits for and reboots.
    database_instances: [instances.primary, ...instances.replicas].join(" "),
    // What zone-offerings.sh checks before the platform plan.
    instance_class: environment.database.instanceClass,
    availability_zones: environment.availabilityZones.join(" "),
    bastion_availability_zone: environment.network.bastion
      ? (environment.network.bastionAvailabilityZone ?? environment.availabilityZones[0] ?? "")
      : "",
    bastion_instance_type: environment.network.bastion
      ? environment.network.bastionInstanceType
      : "",
  };
}

/** `name=value` lines for $GITHUB_OUTPUT; refuses values that would break the format. */
export function formatGithubOutputs(outputs: Readonly<Record<string, string>>): string {
  return Object.entries(outputs)
    .map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) throw new Error(`bad output name "${name}"`);
      if (/[\r\n]/.test(value)) throw new Error(`output ${name} spans lines`);
      return `${name}=${value}\n`;
    })
    .join("");
}

/** Stable serialization: object keys sorted, so key order never counts as a change. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  );
}

/** How a stack's synthesized JSON differs between the base branch and the pull request. */
export type StackChange = "added" | "changed" | "unchanged" | "removed";

function readStacks(outdir: string | undefined): Map<string, string> {
  const stacks = new Map<string, string>();
  const dir = outdir ? join(outdir, "stacks") : undefined;
  if (!dir || !existsSync(dir)) return stacks;
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name, "cdk.tf.json");
    if (existsSync(file)) stacks.set(name, canonicalJson(JSON.parse(readFileSync(file, "utf8"))));
  }
  return stacks;
}

/**
 * Compares every stack's cdk.tf.json in two cdktf outdirs. A missing base outdir (the base branch
 * failed to synthesize, or predates the stacks) makes every head stack "added": plan them all.
 */
export function compareSynth(
  baseOutdir: string | undefined,
  headOutdir: string,
): Record<string, StackChange> {
  const base = readStacks(baseOutdir);
  const head = readStacks(headOutdir);
  if (head.size === 0) throw new Error(`${headOutdir} holds no synthesized stacks`);
  const result: Record<string, StackChange> = {};
  for (const [name, json] of head) {
    const before = base.get(name);
    result[name] = before === undefined ? "added" : before === json ? "unchanged" : "changed";
  }
  for (const name of base.keys()) if (!head.has(name)) result[name] = "removed";
  return result;
}

/** Whether each of an environment's stacks needs a plan: true unless unchanged (or removed). */
export function stacksToPlan(
  changes: Readonly<Record<string, StackChange>>,
  loaded: LoadedEnvironment,
): { platform: boolean; tenants: boolean } {
  const { stacks } = deliveryNames(loaded.environment);
  const needsPlan = (name: string) => changes[name] === "added" || changes[name] === "changed";
  return { platform: needsPlan(stacks.platform), tenants: needsPlan(stacks.tenants) };
}

/** `terraform output -json` as Terraform prints it. */
export type TerraformOutputs = Readonly<Record<string, { readonly value?: unknown }>>;

/** Whether the tenants stack can be planned now, and how to reach the database. */
export interface TenantsReadiness {
  /** True when every platform output the tenants stack reads exists in the platform's state. */
  readonly ready: boolean;
  /** Platform outputs the tenants stack reads that the applied platform does not have yet. */
  readonly missing: readonly string[];
  /** EC2 instance id of the bastion (tunnel target), when the platform has one. */
  readonly bastionInstanceId?: string;
  /** Address of the database instance (the tunnel's remote host), when known. */
  readonly databaseAddress?: string;
}

/** Output names a stack reads from terraform_remote_state (`...remote_state.<x>.outputs.<name>`). */
export function remoteOutputsReadBy(stackJson: unknown): string[] {
  const names = new Set<string>();
  const text = JSON.stringify(stackJson);
  for (const match of text.matchAll(
    /data\.terraform_remote_state\.[A-Za-z0-9_-]+\.outputs\.([A-Za-z0-9_-]+)/g,
  )) {
    if (match[1]) names.add(match[1]);
  }
  return [...names].sort();
}

/**
 * Compares what the tenants stack reads with the platform's current outputs. A pull request that
 * adds a tenant also adds platform outputs (the tenant's secret ARN) that exist only after the
 * platform is applied; its tenants plan is then deferred to main, where the platform applies first.
 */
export function tenantsReadiness(
  platformOutputs: TerraformOutputs,
  tenantsStackJson: unknown,
): TenantsReadiness {
  const missing = remoteOutputsReadBy(tenantsStackJson).filter(
    (name) => !(name in platformOutputs),
  );
  const text = (name: string) => {
    const value = platformOutputs[name]?.value;
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const bastionInstanceId = text("bastion_instance_id");
  const databaseAddress = text("database_address");
  return {
    ready: missing.length === 0,
    missing,
    ...(bastionInstanceId ? { bastionInstanceId } : {}),
    ...(databaseAddress ? { databaseAddress } : {}),
  };
}
