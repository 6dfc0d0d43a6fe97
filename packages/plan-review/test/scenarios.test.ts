// Golden-file tests of the review on REAL plan JSON: Terraform plans each scenario's platform
// stack offline (provider mirror, -refresh=false) against a prior state fabricated from the
// committed configuration's own plan. The tenants stack is not planned (no postgresql provider
// offline); its tenant wording is covered by tenants.test.ts on plan JSON shaped like Terraform's.
//
// Golden files: test/golden/<scenario>.md. After an intended change to the review, regenerate
// them with `UPDATE_GOLDEN=1 npx jest test/scenarios.test.ts` (in packages/plan-review) and READ
// the diff (`git diff test/golden`) before committing: the key facts below must still hold, and
// the golden diff is what reviewers of this repository will see in their pull requests.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  connectionBudget,
  instanceCapacity,
  loadEnvironment,
  MAX_PROXY_SECRETS,
} from "@pgforks/config";
import { instanceEffects } from "../src/instance-changes";
import { checkMarkdownStructure, GITHUB_COMMENT_LIMIT } from "../src/markdown";
import { renderReview } from "../src/render";
import { buildReview, destroyGuard, type Review } from "../src/review";
import { runScenarios, type ScenarioRun, scenarioReviewInput } from "../src/scenarios";
import {
  hugePlanShape,
  hugeTenantName,
  NEW_ALLOCATED_STORAGE_GB,
  NEW_MASTER_USERNAME,
  NEW_TENANT,
  NEXT_INSTANCE_CLASS,
  reviewScenarios,
  SCENARIO_ENVIRONMENT,
} from "./review-scenarios";

// One synth + base plan + settling (~15 s) and one plan per changed scenario (~5-8 s each) on 2 cores.
jest.setTimeout(300_000);

const GOLDEN_DIR = join(__dirname, "golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const STACK = `${SCENARIO_ENVIRONMENT}-platform`;

/** Compares with test/golden/<name>.md, or rewrites it under UPDATE_GOLDEN=1. */
function expectGolden(name: string, actual: string): void {
  const file = join(GOLDEN_DIR, `${name}.md`);
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) {
    throw new Error(`No golden file ${file}: run UPDATE_GOLDEN=1 npx jest test/scenarios.test.ts`);
  }
  const expected = readFileSync(file, "utf8");
  if (actual === expected) return;
  const a = actual.split("\n");
  const e = expected.split("\n");
  const line = a.findIndex((text, i) => text !== e[i]);
  const at = line === -1 ? a.length : line;
  throw new Error(
    `The review of scenario "${name}" differs from ${file} at line ${at + 1}:\n` +
      `  golden: ${JSON.stringify(e[at])}\n  actual: ${JSON.stringify(a[at])}\n` +
      "If the change is intended: UPDATE_GOLDEN=1 npx jest test/scenarios.test.ts, then read `git diff test/golden`.",
  );
}

interface Rendered {
  readonly run: ScenarioRun;
  readonly review: Review;
  readonly markdown: string;
}

function platform(review: Review) {
  const stack = review.stacks.find((s) => s.stack === STACK);
  if (!stack) throw new Error(`${STACK} missing from the review`);
  return stack;
}

/** Addresses of the plan's managed changes with their actions ("update", "delete,create"). */
function planned(run: ScenarioRun): Map<string, string> {
  return new Map(
    (run.plan.resource_changes ?? [])
      .filter((r) => r.mode === "managed" && r.change.actions.join(",") !== "no-op")
      .map((r) => [r.address, r.change.actions.join(",")]),
  );
}

describe("plan review of real offline plans (golden files)", () => {
  const scenarios = reviewScenarios();
  const base = loadEnvironment(SCENARIO_ENVIRONMENT);
  let rendered: Map<string, Rendered>;

  beforeAll(async () => {
    const runs = await runScenarios(scenarios);
    rendered = new Map(
      runs.map((run) => {
        const { plans, context } = scenarioReviewInput(run);
        const review = buildReview(plans, context);
        return [run.scenario.name, { run, review, markdown: renderReview(review) }];
      }),
    );
  });

  const get = (name: string): Rendered => {
    const found = rendered.get(name);
    if (!found) throw new Error(`scenario ${name} did not run`);
    return found;
  };

  it.each(scenarios.map((s) => s.name))("%s matches its golden file", (name) => {
    const { markdown } = get(name);
    expect(checkMarkdownStructure(markdown).problems).toEqual([]);
    expect(markdown).not.toMatch(/\/tmp\/|pgforks-scenarios-/);
    expectGolden(name, markdown);
  });

  it("no change: Terraform plans nothing, the review says so and the guard passes", () => {
    const { run, review, markdown } = get("no-change");
    expect([...planned(run)]).toEqual([]);
    expect(platform(review)).toMatchObject({
      status: "no changes",
      counts: { create: 0, update: 0, delete: 0, replace: 0 },
    });
    expect(review.tenants).toEqual([]);
    expect(destroyGuard(review).blocked).toEqual([]);
    expect(markdown).toMatch(/\| `prod-platform` \| no changes \|/);
    expect(markdown).not.toContain("### Changes");
  });

  it("add a tenant: a new secret, in words (prod runs no proxy by default)", () => {
    const { run, review, markdown } = get("add-tenant");
    const changes = planned(run);
    const secret = [...changes].find(([address]) =>
      address.startsWith(`aws_secretsmanager_secret.tenant-secrets_${NEW_TENANT.name}_`),
    );
    expect(secret?.[1]).toBe("create");
    // No proxy in prod by default ($21.90/month, docs/architecture.md): nothing else changes.
    expect([...changes].filter(([address]) => address.startsWith("aws_db_proxy."))).toEqual([]);

    const tenant = review.tenants.find((t) => t.tenant === NEW_TENANT.name);
    expect(tenant).toMatchObject({ environment: SCENARIO_ENVIRONMENT, sign: "+" });
    const plannedKinds = tenant?.components.filter((c) => c.planned).map((c) => c.kind);
    expect(plannedKinds).toEqual(expect.arrayContaining(["secret"]));
    expect(plannedKinds).not.toContain("proxy auth");
    expect(markdown).toContain(`+ tenant ${NEW_TENANT.name} in ${SCENARIO_ENVIRONMENT}:`);
    expect(destroyGuard(review).blocked).toEqual([]);
  });

  it("change the instance class: an in-place update, budget and cost before → after", () => {
    const { run, review, markdown } = get("instance-class");
    const changes = planned(run);
    const instance = [...changes].find(([address]) => address.startsWith("aws_db_instance."));
    expect(instance?.[1]).toBe("update");
    expect([...changes.values()].every((actions) => actions === "update")).toBe(true);
    const resource = platform(review).resources.find((r) => r.address === instance?.[0]);
    expect(resource?.attributes).toContainEqual(
      expect.objectContaining({
        path: "instance_class",
        before: JSON.stringify(base.environment.database.instanceClass),
        after: JSON.stringify(NEXT_INSTANCE_CLASS),
        forcesReplacement: false,
      }),
    );
    expect(markdown).toMatch(/~ `aws_db_instance\./);

    // max_connections by RDS's formula on DBInstanceClassMemory (0.879 of the listed memory):
    // 2 GiB => 198, 4 GiB => 396; the nominal memory would give 225 and 450.
    const before = instanceCapacity(base.environment.database.instanceClass).maxConnections;
    const after = instanceCapacity(NEXT_INSTANCE_CLASS).maxConnections;
    expect([before, after]).toEqual([198, 396]);
    const budget = review.budgets.find((b) => b.environment === SCENARIO_ENVIRONMENT);
    expect(budget?.before?.maxConnections).toBe(before);
    expect(budget?.after?.maxConnections).toBe(after);
    expect(markdown).toContain(`${before} → ${after}`);
    expect(markdown).toContain(
      `${base.environment.database.instanceClass} → ${NEXT_INSTANCE_CLASS}`,
    );

    const cost = review.costs.find((c) => c.environment === SCENARIO_ENVIRONMENT);
    expect(cost?.after?.total).toBeGreaterThan(cost?.before?.total ?? Number.POSITIVE_INFINITY);
    expect(destroyGuard(review).blocked).toEqual([]);

    // What happens and when: in this apply (apply_immediately), a Multi-AZ failover of 60-120 s,
    // with max_connections, the budget and the connection alarms moving in the same deploy.
    expect(base.environment.database.multiAz).toBe(true);
    const effects = instanceEffects(review);
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({
      target: "pgforks-prod",
      change: `instance class (CPU, memory, max_connections): ${base.environment.database.instanceClass} → ${NEXT_INSTANCE_CLASS}`,
      takesEffect: "this apply",
      downtime: expect.stringContaining("typically 60-120 s unavailable (standby modified first)"),
    });
    expect(effects[0]?.dependents).toEqual([
      `max_connections ${before} → ${after} (RDS default formula, follows the class)`,
      expect.stringMatching(/^connection budget available to tenants \d+ → \d+/),
      expect.stringContaining("connections-critical 178 → 356"),
    ]);
    expect(markdown).toContain("### Instance changes: what happens and when");
  });

  it("raise the storage: applied now, no outage expected, the storage alarm follows", () => {
    const { run, review, markdown } = get("storage");
    const instance = run.plan.resource_changes?.find((r) => r.type === "aws_db_instance");
    expect(instance?.change.actions).toEqual(["update"]);
    const effects = instanceEffects(review);
    expect(effects.map((e) => [e.change, e.takesEffect])).toEqual([
      [
        `allocated storage: ${base.environment.database.allocatedStorageGb} → ${NEW_ALLOCATED_STORAGE_GB}`,
        "this apply",
      ],
    ]);
    expect(effects[0]?.dependents).toEqual([
      expect.stringMatching(/^alarm thresholds: free-storage-space \d+ → \d+$/),
    ]);
    expect(effects[0]?.downtime).toMatch(
      /^none expected \(storage-optimization runs online; no further storage change for 6 h\)$/,
    );
    expect(markdown).toContain("### Instance changes: what happens and when");
    expect(destroyGuard(review).blocked).toEqual([]);
  });

  it("force a new DB instance: the banner names it and replace_paths, the guard blocks", () => {
    const { run, review, markdown } = get("replace-instance");
    const rc = run.plan.resource_changes?.find((r) => r.type === "aws_db_instance");
    expect(rc?.change.actions).toEqual(["delete", "create"]);
    expect(rc?.change.replace_paths).toEqual([["username"]]);
    expect(rc?.change.after).toMatchObject({ username: NEW_MASTER_USERNAME });

    const destroyed = review.destroyed.find((d) => d.address === rc?.address);
    expect(destroyed).toMatchObject({ action: "replace", replacePaths: ["username"] });
    expect(destroyed?.stateful).toBeDefined();
    expect(markdown).toContain("[!CAUTION]");
    const banner = markdown.slice(markdown.indexOf("[!CAUTION]"), markdown.indexOf("### Stacks"));
    expect(banner).toContain(`\`${rc?.address}\``);
    expect(banner).toContain("forced by `username`");

    const guard = destroyGuard(review);
    expect(guard.blocked.map((f) => f.address)).toEqual([rc?.address]);
    expect(platform(review).status).toBe("blocked");
  });

  it("huge plan: the review keeps to GitHub's limit with the summary intact", () => {
    const { run, review, markdown } = get("huge-plan");
    const shape = hugePlanShape(base);
    expect(shape.tenants + base.tenants.length).toBe(MAX_PROXY_SECRETS);
    const secrets = [...planned(run)].filter(
      ([address, actions]) =>
        address.startsWith("aws_secretsmanager_secret.tenant-secrets_fork") && actions === "create",
    );
    expect(secrets).toHaveLength(shape.tenants);

    // Untruncated, it would not fit in one comment: the budget had to work.
    const full = renderReview(review, { maxChars: Number.MAX_SAFE_INTEGER });
    expect(full.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT);
    expect(markdown.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(checkMarkdownStructure(markdown).problems).toEqual([]);

    // The summary survives whole: stack table, every tenant, budget and cost.
    expect(markdown).toContain(`| \`${STACK}\` | changes | ${shape.tenants} | `);
    for (let n = 1; n <= shape.tenants; n++) {
      expect(markdown).toContain(`+ tenant ${hugeTenantName(n)} in ${SCENARIO_ENVIRONMENT}:`);
    }
    const after = connectionBudget(
      {
        ...base.environment,
        database: { ...base.environment.database, instanceClass: shape.instanceClass },
      },
      run.environment.tenants,
    );
    expect(markdown).toContain(
      `${base.environment.database.instanceClass} → ${shape.instanceClass}`,
    );
    expect(markdown).toContain(`→ ${after.requested}`);
    for (const heading of [
      "### Stacks",
      "### Tenants",
      "### Connection budget",
      "### Monthly cost (estimate)",
    ]) {
      expect(markdown).toContain(heading);
    }
    // What was dropped is said, not silently lost.
    expect(markdown).toMatch(/Left out to stay under GitHub's 65,536-character comment limit/);
  });
});
