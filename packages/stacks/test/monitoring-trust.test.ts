// The Enhanced Monitoring role as synthesized: RDS's monitoring service may assume it only on
// behalf of this environment's instances in its own account. RDS User Guide, "Setting up and
// enabling Enhanced Monitoring", "Protecting against the confused deputy problem": aws:SourceArn
// with the full DB instance ARN and aws:SourceAccount in the role's trust policy.
import { environmentNames, type LoadedEnvironment, loadEnvironment } from "@pgforks/config";
import { resourcesOfType, type StackJson, synthesizeInMemory } from "../src/synth";

const MONITORING_PRINCIPAL = "monitoring.rds.amazonaws.com";

interface Statement {
  readonly Principal?: { Service?: string };
  readonly Condition?: Record<string, Record<string, unknown>>;
}

function platform(loaded: LoadedEnvironment): StackJson {
  return synthesizeInMemory([loaded])[`${loaded.environment.name}-platform`] as StackJson;
}

/**
 * The trust-policy statements that let the monitoring service in, across the stack's roles. Only
 * policies naming the service are parsed: others may hold Terraform expressions with quotes.
 */
function monitoringTrust(stack: StackJson): Statement[] {
  return resourcesOfType(stack, "aws_iam_role")
    .map((role) => role.assume_role_policy as string)
    .filter((policy) => policy.includes(MONITORING_PRINCIPAL))
    .flatMap((policy) =>
      (JSON.parse(policy).Statement as Statement[]).filter(
        (s) => s.Principal?.Service === MONITORING_PRINCIPAL,
      ),
    );
}

/** The account the stack's provider is pinned to, as synthesized. */
function account(stack: StackJson): string {
  const [provider] = (stack.provider?.aws ?? []) as Array<{ allowed_account_ids?: string[] }>;
  const [id] = provider?.allowed_account_ids ?? [];
  if (!id) throw new Error("no allowed_account_ids");
  return id;
}

/** ARNs of the stack's DB instances (identifiers are literals in the synthesized JSON). */
function instanceArns(stack: StackJson, region: string): string[] {
  return resourcesOfType(stack, "aws_db_instance")
    .map((db) => `arn:aws:rds:${region}:${account(stack)}:db:${db.identifier as string}`)
    .sort();
}

function withReadReplica(loaded: LoadedEnvironment): LoadedEnvironment {
  const { environment } = loaded;
  return {
    ...loaded,
    environment: {
      ...environment,
      database: { ...environment.database, readReplicas: [{ name: "reader" }] },
    },
  };
}

describe.each(environmentNames())("%s-platform", (name) => {
  const loaded = loadEnvironment(name);

  it.each([
    ["as committed", loaded],
    ["with a read replica", withReadReplica(loaded)],
  ])("%s: the monitoring role trusts RDS only for its own instances and account", (_, env) => {
    const stack = platform(env);
    const statements = monitoringTrust(stack);
    expect(statements).toHaveLength(1);
    const condition = statements[0]?.Condition ?? {};
    expect(condition.StringEquals).toEqual({ "aws:SourceAccount": account(stack) });
    const arns = instanceArns(stack, env.environment.region);
    expect(arns).toHaveLength(1 + env.environment.database.readReplicas.length);
    expect([...((condition.StringLike?.["aws:SourceArn"] ?? []) as string[])].sort()).toEqual(arns);
  });
});
