// Tenant wording. Plans of the tenants stacks (postgresql_* resources) cannot be produced offline:
// there is no cyrilgdn/postgresql provider binary on this machine and no database to plan against.
// So the plan JSON here is synthetic, shaped exactly like Terraform's "JSON Output Format"
// document (resource_changes[].change.before/after), with the values the constructs write.
import { tenantSecretName } from "@pgforks/config";
import { describeTenantChange } from "@pgforks/tenant-cli";
import { loadedEnvironment, planJson, resourceChange } from "../test/test-helpers";
import { renderReview } from "./render";
import { buildReview, type StackPlan } from "./review";

const healthtech = { name: "healthtech", database: "healthtech_experiment", connectionLimit: 20 };
const fintech = {
  name: "fintech",
  database: "fintech_experiment",
  extensions: ["pgcrypto" as const],
};

const prodBefore = loadedEnvironment("prod", "production", [fintech]);
const prodAfter = loadedEnvironment("prod", "production", [fintech, healthtech]);
const secretName = tenantSecretName("pgforks-prod", "healthtech");

/** What the platform stack's plan shows for a new tenant: its secret and its proxy auth entry. */
const platformAdd: StackPlan = {
  stack: "prod-platform",
  plan: planJson([
    resourceChange("aws_secretsmanager_secret.tenant-secrets_healthtech_2BFFC8D7", {
      actions: ["create"],
      after: { name: secretName, tags: { "pgforks:tenant": "healthtech" } },
      afterUnknown: { arn: true, id: true },
    }),
    resourceChange("aws_db_proxy.proxy_5B0EBCF1", {
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
    resourceChange("postgresql_role.tenants_role-healthtech_F5AE3A5B", {
      actions: ["create"],
      after: { name: "healthtech", login: true, connection_limit: 20 },
      afterSensitive: { password_wo: true },
    }),
    resourceChange("postgresql_database.tenants_database-healthtech_experiment_2985786B", {
      actions: ["create"],
      after: { name: "healthtech_experiment", owner: "healthtech", connection_limit: 20 },
    }),
    resourceChange("postgresql_grant.tenants_connect-healthtech_FBC06E03", {
      actions: ["create"],
      after: {
        database: "healthtech_experiment",
        role: "healthtech",
        privileges: ["CONNECT", "TEMPORARY"],
      },
    }),
    resourceChange("aws_secretsmanager_secret_version.tenants_secret-value-healthtech_77DDBC58", {
      actions: ["create"],
      after: { secret_string_wo_version: 1 },
      afterUnknown: { secret_id: true },
    }),
  ]),
};

describe("tenant changes in words", () => {
  it("names what an added tenant gets, from both stacks' plans", () => {
    const review = buildReview([platformAdd, tenantsAdd], {
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
    const review = buildReview([platformAdd], { after: [prodAfter], before: [prodBefore] });
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
    ]);
    const review = buildReview(
      [
        {
          stack: "dev-tenants",
          plan: planJson([
            resourceChange("postgresql_database.tenants_database-saas_1", {
              actions: ["delete"],
              before: { name: "saas", owner: "saas" },
            }),
            resourceChange("postgresql_role.tenants_role-saas_2", {
              actions: ["delete"],
              before: { name: "saas" },
            }),
            resourceChange("postgresql_grant.tenants_connect-saas_3", {
              actions: ["delete"],
              before: { database: "saas", role: "saas" },
            }),
          ]),
        },
        {
          stack: "dev-platform",
          plan: planJson([
            resourceChange("aws_secretsmanager_secret.tenant-secrets_saas_4", {
              actions: ["delete"],
              before: { name: "pgforks-dev/tenants/saas" },
            }),
          ]),
        },
      ],
      { after: [dev] },
    );
    expect(review.tenants.map((t) => t.words)).toEqual([
      "- tenant saas in dev: database DESTROYED, role, secret",
    ]);
  });

  it("says what a suspension does: login off, in words and in numbers", () => {
    const before = loadedEnvironment("staging", "staging", [
      { name: "saas", connectionLimit: 10, readOnlyRole: true },
    ]);
    const after = loadedEnvironment("staging", "staging", [
      { name: "saas", connectionLimit: 10, readOnlyRole: true, state: "suspended" },
    ]);
    const review = buildReview(
      [
        {
          stack: "staging-tenants",
          plan: planJson([
            resourceChange("postgresql_role.tenants_role-saas_1", {
              actions: ["update"],
              before: { name: "saas", login: true, connection_limit: 10 },
              after: { name: "saas", login: false, connection_limit: 0 },
            }),
            resourceChange("postgresql_grant.tenants_readonly-connect-saas_2", {
              actions: ["update"],
              before: { database: "saas", role: "saas_readonly", privileges: ["CONNECT"] },
              after: { database: "saas", role: "saas_readonly", privileges: [] },
            }),
          ]),
        },
        { stack: "staging-platform", plan: planJson([]) },
      ],
      { after: [after], before: [before] },
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
    const review = buildReview(
      [
        {
          stack: "prod-tenants",
          plan: planJson([
            resourceChange("postgresql_extension.tenants_extension-fintech_experiment-citext_1", {
              actions: ["create"],
              after: { database: "fintech_experiment", name: "citext" },
            }),
          ]),
        },
        {
          stack: "prod-platform",
          plan: planJson([
            resourceChange("aws_db_proxy.proxy_5B0EBCF1", {
              actions: ["update"],
              before: {
                auth: [{ description: "tenant fintech" }, { description: "tenant healthtech" }],
              },
              after: { auth: [{ description: "tenant fintech" }] },
            }),
          ]),
        },
      ],
      { after: [prodAfter] },
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
            resourceChange("postgresql_database.tenants_database-fintech_experiment_1", {
              actions: ["delete", "create"],
              before: { name: "fintech_experiment", owner: "fintech", lc_collate: "C" },
              after: { name: "fintech_experiment", owner: "fintech", lc_collate: "en_US.UTF-8" },
              replacePaths: [["lc_collate"]],
            }),
          ]),
        },
      ],
      { after: [prodAfter] },
    );
    expect(review.tenants.map((t) => t.words)).toEqual([
      "± tenant fintech in prod: database REPLACED (data DESTROYED)",
    ]);
  });
});
