// Golden-file tests of the review on REAL plan JSON: Terraform plans each scenario's platform
// stack offline (provider mirror, -refresh=false) against a prior state fabricated from the
// committed configuration's own plan. The tenants stack is not planned (no postgresql provider
// offline); its tenant wording is covered by tenants.test.ts on plan JSON shaped like Terraform's.
//
// Golden files: test/golden/<scenario>.md, file snapshots (jest-file-snapshot's toMatchFile).
// After an intended change to the review, update them with `npx jest test/scenarios.test.ts -u`
// (in packages/plan-review) and READ the diff (`git diff test/golden`) before committing: the key
// facts below must still hold, and the golden diff is what reviewers of this repository will see
// in their pull requests. golden-structure.test.ts parses them as GitHub Markdown.
import { join } from "node:path";
import {
  connectionBudget,
  instanceCapacity,
  loadEnvironment,
  MAX_PROXY_SECRETS,
  tempFileLimitKb,
} from "@pgforks/config";
import { checkMarkdownStructure, GITHUB_COMMENT_LIMIT } from "@pgforks/markdown";
import { toMatchFile } from "jest-file-snapshot";
import { instanceEffects } from "../src/instance-changes";
import { renderReview } from "../src/render";
import { buildReview, destroyGuard, type Review } from "../src/review";
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
import { runScenarios, type ScenarioRun, scenarioReviewInput } from "./scenarios";

// One synth + base plan + settling (~15 s) and one plan per changed scenario (~5-8 s each) on 2
// idle cores; several minutes when other jobs share them.
jest.setTimeout(900_000);

expect.extend({ toMatchFile });

const GOLDEN_DIR = join(__dirname, "golden");
const STACK = `${SCENARIO_ENVIRONMENT}-platform`;

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
    expect(markdown).toMatchFile(join(GOLDEN_DIR, `${name}.md`));
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

  it("add a tenant with the RDS Proxy on: exactly one added auth entry of aws_db_proxy, none changed", () => {
    const { run, review, markdown } = get("add-tenant-proxy");
    // The plan itself: the proxy's auth set gains one element, the others stay as they are.
    const rc = run.plan.resource_changes?.find((r) => r.type === "aws_db_proxy");
    expect(rc?.change.actions).toEqual(["update"]);
    const auth = (side: unknown) => (side as { auth?: unknown[] } | null)?.auth ?? [];
    expect(auth(rc?.change.after)).toHaveLength(auth(rc?.change.before).length + 1);

    const proxy = platform(review).resources.find((r) => r.type === "aws_db_proxy");
    const authChanges = proxy?.attributes.filter((a) => /^auth(\[|$)/.test(a.path)) ?? [];
    expect(authChanges).toHaveLength(1);
    expect(authChanges[0]?.before).toBeUndefined();
    expect(authChanges[0]?.after).toContain(`"description":"tenant ${NEW_TENANT.name}"`);
    // The attribute details say the same: one "+ auth" line, no "- auth" line.
    const details = markdown.slice(markdown.indexOf("<summary>Attribute changes"));
    expect(details.match(/^\+ auth = /gm)).toHaveLength(1);
    expect(details).not.toMatch(/^- auth/m);

    const tenant = review.tenants.find((t) => t.tenant === NEW_TENANT.name);
    expect(tenant?.components.filter((c) => c.planned).map((c) => c.kind)).toEqual(
      expect.arrayContaining(["secret", "proxy auth"]),
    );
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

  it("raise the storage: applied now, no outage expected, the storage alarm and the temporary-file cap follow", () => {
    const { run, review, markdown } = get("storage");
    const instance = run.plan.resource_changes?.find((r) => r.type === "aws_db_instance");
    expect(instance?.change.actions).toEqual(["update"]);
    const effects = instanceEffects(review);
    const kb = (allocatedStorageGb: number) => tempFileLimitKb({ allocatedStorageGb });
    expect(effects.map((e) => [e.change, e.takesEffect])).toEqual([
      [
        `allocated storage: ${base.environment.database.allocatedStorageGb} → ${NEW_ALLOCATED_STORAGE_GB}`,
        "this apply",
      ],
      // temp_file_limit defaults to a tenth of the allocated storage; dynamic, so no reboot.
      [
        `parameter temp_file_limit (dynamic): ${kb(base.environment.database.allocatedStorageGb)} → ${kb(NEW_ALLOCATED_STORAGE_GB)}`,
        "this apply",
      ],
    ]);
    expect(effects[1]?.downtime).toBe("none");
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

  it("lower the protections of prod: a top-level warning per protection, the guard blocks until approved", () => {
    const { run, review, markdown } = get("lower-protections");
    const rc = run.plan.resource_changes?.find((r) => r.type === "aws_db_instance");
    expect(rc?.change.actions).toEqual(["update"]);
    const instance = review.guard.lowered.find((l) => l.address === rc?.address);
    expect(instance?.lowerings.map((l) => l.protection)).toEqual([
      "Multi-AZ",
      "deletion protection",
      "backup retention",
    ]);
    expect(review.guard.lowered.find((l) => l.address === "tier")?.lowerings).toEqual([
      { protection: "tier", before: "production", after: "development" },
    ]);
    // In prod each needs an approval, like a destroy.
    expect(destroyGuard(review).lowered.map((l) => `${l.stack}:${l.address}`)).toEqual(
      [`${STACK}:${rc?.address}`, `${STACK}:tier`].sort(),
    );
    expect(platform(review).status).toBe("blocked");
    const top = markdown.slice(0, markdown.indexOf("### Stacks"));
    expect(top).toContain("[!CAUTION]");
    expect(top).toContain("↓ Multi-AZ true → false");
    expect(top).toContain(`needs an approval: ${STACK}:${rc?.address}`);

    const { plans, context } = scenarioReviewInput(run);
    const approved = buildReview(plans, {
      ...context,
      approvals: [
        { stack: STACK, address: rc?.address ?? "" },
        { stack: STACK, address: "tier" },
      ],
    });
    expect(destroyGuard(approved)).toMatchObject({ blocked: [], stale: [], lowered: [] });
    expect(approved.guard.lowered).toHaveLength(2);
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
