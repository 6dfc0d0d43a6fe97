// Tenant wording. Plans of the tenants stacks (postgresql_* resources) cannot be produced offline:
// there is no database to plan against. So the plan JSON here is synthetic, shaped exactly like
// Terraform's "JSON Output Format" document (resource_changes[].change.before/after), with the
// values the constructs write; its addresses come from a real synth of the same configuration,
// and so does the pgforks-manifest.json the review reads them with.
import { type LoadedEnvironment, tenantSecretName } from "@pgforks/config";
import { describeTenantChange } from "@pgforks/tenant-cli";
import type { IntentKind } from "@pgforks/tenants/footprint";
import { renderReview } from "../src/render";
import { buildReview, type StackPlan } from "../src/review";
import type { SynthOutput } from "../src/synth-output";
import { synthesizeForReview } from "../src/synthesize";
import { loadedEnvironment, planJson, resourceChange, tenantAddressOf } from "./test-helpers";

/** The synth of `environments`, and the address its manifest gives a tenant's part. */
function synthOf(...environments: LoadedEnvironment[]) {
  const synth: SynthOutput = synthesizeForReview(environments);
  const address = (stack: string, tenant: string, kind: IntentKind, detail?: string): string =>
    tenantAddressOf(synth, stack, tenant, kind, detail);
  return { synth, address };
}

const healthtech = { name: "healthtech", database: "healthtech_experiment", connectionLimit: 20 };
const fintech = {
  name: "fintech",
  database: "fintech_experiment",
  extensions: ["pgcrypto" as const],
};

const prodBefore = loadedEnvironment("prod", "production", [fintech]);
const prodAfter = loadedEnvironment("prod", "production", [fintech, healthtech]);
const secretName = tenantSecretName("pgforks-prod", "healthtech");
const prod = synthOf(prodAfter);
const prodBase = synthOf(prodBefore);

/** What the platform stack's plan shows for a new tenant: its secret and its proxy auth entry. */
const platformAdd: StackPlan = {
  stack: "prod-platform",
  plan: planJson([
    resourceChange(prod.address("prod-platform", "healthtech", "secret"), {
      actions: ["create"],
      after: { name: secretName, tags: { "pgforks:tenant": "healthtech" } },
      afterUnknown: { arn: true, id: true },
    }),
    resourceChange(prod.address("prod-platform", "healthtech", "proxy auth"), {
      actions: ["update"],
      before: {
        auth: [
          {
            description: "tenant fintech",
            secret_arn:
              "arn:aws:secretsmanager:us-east-1:1:secret:pgforks-prod/tenants/fintech-AbC123",
          },
        ],
      },
      after: {
        auth: [
          {
            description: "tenant fintech",
            secret_arn:
              "arn:aws:secretsmanager:us-east-1:1:secret:pgforks-prod/tenants/fintech-AbC123",
          },
          { description: "tenant healthtech" },
        ],
      },
      afterUnknown: { auth: [{}, { secret_arn: true }] },
    }),
  ]),
};

/** What the tenants stack's plan shows for a new tenant. */
const tenantsAdd: StackPlan = {
  stack: "prod-tenants",
  plan: planJson([
    resourceChange(prod.address("prod-tenants", "healthtech", "role"), {
      actions: ["create"],
      after: { name: "healthtech", login: true, connection_limit: 20 },
      afterSensitive: { password_wo: true },
    }),
    resourceChange(prod.address("prod-tenants", "healthtech", "database"), {
      actions: ["create"],
      after: { name: "healthtech_experiment", owner: "healthtech", connection_limit: 20 },
    }),
    resourceChange(prod.address("prod-tenants", "healthtech", "grant"), {
      actions: ["create"],
      after: {
        database: "healthtech_experiment",
        role: "healthtech",
        privileges: ["CONNECT", "TEMPORARY"],
      },
    }),
    resourceChange(prod.address("prod-tenants", "healthtech", "secret value"), {
      actions: ["create"],
      after: { secret_string_wo_version: 1 },
      afterUnknown: { secret_id: true },
    }),
  ]),
};

describe("tenant changes in words", () => {
  it("names what an added tenant gets, from both stacks' plans", () => {
    const review = buildReview([platformAdd, tenantsAdd], {
      synth: prod.synth,
      beforeSynth: prodBase.synth,
      after: [prodAfter],
      before: [prodBefore],
    });
    expect(review.tenants.map((t) => t.words)).toEqual([
      "+ tenant healthtech in prod: database, role, secret, proxy auth",
    ]);
    expect(review.tenants[0]?.fromConfig).toEqual([]);
    expect(renderReview(review)).toContain(
      // The + is escaped so that GitHub shows it as text, not as a nested list.
      "- \\+ tenant healthtech in prod: database, role, secret, proxy auth",
    );
  });

  it("fills in the unplanned tenants stack from the configuration, and says so", () => {
    const review = buildReview([platformAdd], {
      synth: prod.synth,
      after: [prodAfter],
      before: [prodBefore],
    });
    const [change] = review.tenants;
    expect(change?.words).toBe("+ tenant healthtech in prod: database, role, secret, proxy auth");
    expect(change?.fromConfig).toEqual(["prod-tenants"]);
    expect(
      change?.components.filter((c) => !c.planned).every((c) => c.stack === "prod-tenants"),
    ).toBe(true);
    // The configuration's view is tenant-cli's: the same resources its preview lists for that stack.
    const preview = describeTenantChange(
      "prod",
      undefined,
      prodAfter.tenants[1],
      prodAfter.environment,
    );
    const tenantsLines = preview.find((p) => p.stack === "prod-tenants")?.changes ?? [];
    expect(change?.components.filter((c) => !c.planned)).toHaveLength(tenantsLines.length);
    expect(renderReview(review)).toContain("_(from the configuration: prod-tenants not planned)_");
  });

  it("says DESTROYED when a dropped tenant's database goes", () => {
    const dev = loadedEnvironment("dev", "development", [
      { name: "saas", state: "dropped", confirmDrop: "saas" },
      { name: "shop" },
    ]);
    const { synth, address } = synthOf(dev);
    const review = buildReview(
      [
        {
          stack: "dev-tenants",
          plan: planJson([
            resourceChange(address("dev-tenants", "saas", "database"), {
              actions: ["delete"],
              before: { name: "saas", owner: "saas" },
            }),
            resourceChange(address("dev-tenants", "saas", "role"), {
              actions: ["delete"],
              before: { name: "saas" },
            }),
            resourceChange(address("dev-tenants", "saas", "grant"), {
              actions: ["delete"],
              before: { database: "saas", role: "saas" },
            }),
          ]),
        },
        {
          stack: "dev-platform",
          plan: planJson([
            resourceChange(address("dev-platform", "saas", "secret"), {
              actions: ["delete"],
              before: { name: "pgforks-dev/tenants/saas" },
            }),
          ]),
        },
      ],
      { synth, after: [dev] },
    );
    expect(review.tenants.map((t) => t.words)).toEqual([
      "- tenant saas in dev: database DESTROYED, role, secret",
    ]);
    // The manifest names the dropped tenant's database: its confirmed drop passes the guard.
    expect(review.guard.blocked).toEqual([]);
  });

  it("names a dropped tenant's database in the top warning when its stack is not planned (pull requests)", () => {
    const before = loadedEnvironment("dev", "development", [{ name: "saas" }, { name: "shop" }]);
    const after = loadedEnvironment("dev", "development", [
      { name: "saas", state: "dropped", confirmDrop: "saas" },
      { name: "shop" },
    ]);
    const { synth, address } = synthOf(after);
    // A pull request plans dev-platform only: the plan shows the secret going, not the database.
    const review = buildReview(
      [
        {
          stack: "dev-platform",
          plan: planJson([
            resourceChange(address("dev-platform", "saas", "secret"), {
              actions: ["delete"],
              before: { name: "pgforks-dev/tenants/saas" },
            }),
          ]),
        },
      ],
      { synth, after: [after], before: [before] },
    );
    const markdown = renderReview(review);
    const warning = markdown.slice(markdown.indexOf("> [!"), markdown.indexOf("**Destroy guard"));
    expect(warning).toContain(
      "**This change deletes or replaces 1 resource, 1 of them stateful, and destroys the data of 1 tenant database in a stack not planned here.**",
    );
    expect(warning).toContain(
      "> - − **tenant database** of tenant saas in `dev-tenants` — **data DESTROYED** at the apply of dev-tenants",
    );
  });

  it("says what a suspension does: login off, in words and in numbers", () => {
    const before = loadedEnvironment("staging", "staging", [
      { name: "saas", connectionLimit: 10, readOnlyRole: true },
    ]);
    const after = loadedEnvironment("staging", "staging", [
      { name: "saas", connectionLimit: 10, readOnlyRole: true, state: "suspended" },
    ]);
    const { synth, address } = synthOf(after);
    const grant = (id: string) =>
      synth.stacks["staging-tenants"]?.tenantManifest?.resources.find(
        (e) => e.tenant === "saas" && e.address.includes(id),
      )?.address ?? id;
    const review = buildReview(
      [
        {
          stack: "staging-tenants",
          plan: planJson([
            resourceChange(address("staging-tenants", "saas", "role"), {
              actions: ["update"],
              before: { name: "saas", login: true, connection_limit: 10 },
              after: { name: "saas", login: false, connection_limit: 0 },
            }),
            resourceChange(grant("readonly-connect-saas"), {
              actions: ["update"],
              before: { database: "saas", role: "saas_readonly", privileges: ["CONNECT"] },
              after: { database: "saas", role: "saas_readonly", privileges: [] },
            }),
          ]),
        },
        { stack: "staging-platform", plan: planJson([]) },
      ],
      { synth, after: [after], before: [before] },
    );
    expect(review.tenants.map((t) => t.words)).toEqual([
      "~ tenant saas in staging: suspended (login off); role: login true → false, connection limit 10 → 0, grants: privileges CONNECT → none",
    ]);
  });

  it("describes an environment without plans from the configuration alone", () => {
    const before = loadedEnvironment("staging", "staging", [{ name: "saas" }, { name: "shop" }]);
    const after = loadedEnvironment("staging", "staging", [
      { name: "saas", state: "retired" },
      { name: "shop" },
    ]);
    const review = buildReview([], { after: [after], before: [before] });
    expect(review.tenants).toHaveLength(1);
    const [change] = review.tenants;
    expect(change?.words).toBe(
      "~ tenant saas in staging: retired (login off, removed from the proxy); role: login true → false, connection limit 10 → 0, proxy auth removed",
    );
    expect(change?.fromConfig).toEqual(["staging-platform", "staging-tenants"]);
  });

  it("names extensions and proxy auth changes of an existing tenant", () => {
    const withCitext = loadedEnvironment("prod", "production", [
      { ...fintech, extensions: ["pgcrypto", "citext"] },
      healthtech,
    ]);
    const { synth, address } = synthOf(withCitext);
    const review = buildReview(
      [
        {
          stack: "prod-tenants",
          plan: planJson([
            resourceChange(address("prod-tenants", "fintech", "extension", "citext"), {
              actions: ["create"],
              after: { database: "fintech_experiment", name: "citext" },
            }),
          ]),
        },
        {
          stack: "prod-platform",
          plan: planJson([
            resourceChange(address("prod-platform", "healthtech", "proxy auth"), {
              actions: ["update"],
              before: {
                auth: [{ description: "tenant fintech" }, { description: "tenant healthtech" }],
              },
              after: { auth: [{ description: "tenant fintech" }] },
            }),
          ]),
        },
      ],
      { synth, after: [withCitext] },
    );
    expect(review.tenants.map((t) => t.words)).toEqual([
      "~ tenant fintech in prod: extension citext added",
      "~ tenant healthtech in prod: proxy auth removed",
    ]);
  });

  it("says REPLACED when a tenant database is recreated", () => {
    const review = buildReview(
      [
        {
          stack: "prod-tenants",
          plan: planJson([
            resourceChange(prod.address("prod-tenants", "fintech", "database"), {
              actions: ["delete", "create"],
              before: { name: "fintech_experiment", owner: "fintech", lc_collate: "C" },
              after: { name: "fintech_experiment", owner: "fintech", lc_collate: "en_US.UTF-8" },
              replacePaths: [["lc_collate"]],
            }),
          ]),
        },
      ],
      { synth: prod.synth, after: [prodAfter] },
    );
    expect(review.tenants.map((t) => t.words)).toEqual([
      "± tenant fintech in prod: database REPLACED (data DESTROYED)",
    ]);
  });

  it("without a manifest, attributes nothing to tenants and says so", () => {
    const noManifest: SynthOutput = {
      stacks: Object.fromEntries(
        Object.entries(prod.synth.stacks).map(([name, stack]) => [
          name,
          { json: stack.json, dependencies: stack.dependencies },
        ]),
      ),
    };
    const review = buildReview([platformAdd, tenantsAdd], {
      synth: noManifest,
      after: [prodAfter],
      before: [prodBefore],
    });
    expect(review.notes.join("\n")).toMatch(
      /prod-tenants: no pgforks-manifest\.json beside its cdk\.tf\.json, so its resources are not attributed to tenants/,
    );
    expect(review.stacks.flatMap((s) => s.resources).every((r) => r.tenant === undefined)).toBe(
      true,
    );
    expect(review.tenants).toEqual([]);
  });
});
