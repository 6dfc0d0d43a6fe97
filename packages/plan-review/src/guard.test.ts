// Plan JSON here is synthetic, shaped exactly like Terraform's "JSON Output Format" document.
// Postgres-provider plans (the tenants stacks) cannot be produced offline: there is no
// cyrilgdn/postgresql binary, so these unit tests stand in for them.
import { renderReview } from "./render";
import { buildReview, destroyGuard, parseApprovals, type StackPlan } from "./review";
import { loadedEnvironment, planJson, resourceChange } from "./test-helpers";

const dev = loadedEnvironment("dev", "development", [
  { name: "saas", state: "dropped", confirmDrop: "saas" },
  { name: "fintech", database: "fintech_experiment" },
  { name: "sloppy", state: "dropped", confirmDrop: "not-the-database" },
]);

const dbInstanceReplace = resourceChange("aws_db_instance.database_instance_D7FC2283", {
  actions: ["delete", "create"],
  before: { identifier: "pgforks-dev", engine: "postgres", storage_encrypted: false },
  after: { identifier: "pgforks-dev", engine: "postgres", storage_encrypted: true },
  replacePaths: [["storage_encrypted"]],
  actionReason: "replace_because_cannot_update",
});

function plans(
  extra: Partial<Record<string, ReturnType<typeof resourceChange>[]>> = {},
): StackPlan[] {
  return [
    {
      stack: "dev-platform",
      plan: planJson([
        dbInstanceReplace,
        resourceChange("aws_kms_key.key_F64E54E4", {
          actions: ["delete"],
          before: { description: "k" },
        }),
        resourceChange("aws_secretsmanager_secret.tenant-secrets_saas_87FF4810", {
          actions: ["delete"],
          before: { name: "pgforks-dev/tenants/saas", tags: { "pgforks:tenant": "saas" } },
        }),
        resourceChange("aws_db_proxy.proxy_5B0EBCF1", {
          actions: ["delete"],
          before: { name: "p" },
        }),
        ...(extra["dev-platform"] ?? []),
      ]),
    },
    {
      stack: "dev-tenants",
      plan: planJson([
        resourceChange("postgresql_database.tenants_database-saas_1", {
          actions: ["delete"],
          before: { name: "saas", owner: "saas" },
        }),
        resourceChange("postgresql_role.tenants_role-saas_2", {
          actions: ["delete"],
          before: { name: "saas", login: true },
        }),
        resourceChange("postgresql_database.tenants_database-fintech_experiment_3", {
          actions: ["delete"],
          before: { name: "fintech_experiment", owner: "fintech" },
        }),
        ...(extra["dev-tenants"] ?? []),
      ]),
    },
  ];
}

describe("destroy guard", () => {
  it("blocks stateful deletions and counts a replacement as a destruction", () => {
    const review = buildReview(plans(), { after: [dev] });
    const { blocked } = destroyGuard(review);
    expect(blocked.map((f) => `${f.stack}:${f.address}:${f.action}`)).toEqual([
      "dev-platform:aws_db_instance.database_instance_D7FC2283:replace",
      "dev-platform:aws_kms_key.key_F64E54E4:delete",
      "dev-tenants:postgresql_database.tenants_database-fintech_experiment_3:delete",
    ]);
    expect(blocked[0]?.replacePaths).toEqual(["storage_encrypted"]);
    expect(review.stacks.find((s) => s.stack === "dev-platform")?.status).toBe("blocked");
  });

  it("allows the resources of a tenant dropped with confirmDrop", () => {
    const { allowed } = destroyGuard(buildReview(plans(), { after: [dev] }));
    expect(allowed.map((f) => [f.address, f.allowedBy, f.tenant])).toEqual([
      ["aws_secretsmanager_secret.tenant-secrets_saas_87FF4810", "dropped tenant", "saas"],
      ["postgresql_database.tenants_database-saas_1", "dropped tenant", "saas"],
      ["postgresql_role.tenants_role-saas_2", "dropped tenant", "saas"],
    ]);
  });

  it("does not allow a dropped tenant's database when it is not the confirmed one, nor a replacement", () => {
    const review = buildReview(
      plans({
        "dev-tenants": [
          // owned by saas (dropped, confirmDrop: saas) but another database
          resourceChange("postgresql_database.tenants_database-other_4", {
            actions: ["delete"],
            before: { name: "other", owner: "saas" },
          }),
          // sloppy is dropped but confirmDrop does not repeat its database
          resourceChange("postgresql_role.tenants_role-sloppy_5", {
            actions: ["delete"],
            before: { name: "sloppy" },
          }),
          // a replacement is never covered by "dropped" (only deletions are)
          resourceChange("postgresql_role.tenants_role-saas_readonly_6", {
            actions: ["create", "delete"],
            before: { name: "saas_readonly" },
            after: { name: "saas_readonly" },
          }),
        ],
      }),
      { after: [dev] },
    );
    const blocked = destroyGuard(review).blocked.map((f) => f.address);
    expect(blocked).toEqual(
      expect.arrayContaining([
        "postgresql_database.tenants_database-other_4",
        "postgresql_role.tenants_role-sloppy_5",
        "postgresql_role.tenants_role-saas_readonly_6",
      ]),
    );
  });

  it("allows what an approval names, as <stack>:<address> or as <address>", () => {
    const approvals = parseApprovals(
      "# approved in review #42\ndev-platform:aws_kms_key.key_F64E54E4\n aws_db_instance.database_instance_D7FC2283 , prod-platform:aws_kms_key.key_F64E54E4",
    );
    const { blocked, allowed } = destroyGuard(buildReview(plans(), { after: [dev], approvals }));
    expect(blocked.map((f) => f.address)).toEqual([
      "postgresql_database.tenants_database-fintech_experiment_3",
    ]);
    expect(allowed.filter((f) => f.allowedBy === "approval").map((f) => f.address)).toEqual([
      "aws_db_instance.database_instance_D7FC2283",
      "aws_kms_key.key_F64E54E4",
    ]);
  });

  it("ignores approvals for another stack", () => {
    const approvals = ["prod-platform:aws_kms_key.key_F64E54E4"];
    const { blocked } = destroyGuard(buildReview(plans(), { after: [dev], approvals }));
    expect(blocked.map((f) => f.address)).toContain("aws_kms_key.key_F64E54E4");
  });

  it("leaves non-stateful deletions to the banner", () => {
    const review = buildReview(plans(), { after: [dev] });
    const all = [...review.guard.blocked, ...review.guard.allowed].map((f) => f.address);
    expect(all).not.toContain("aws_db_proxy.proxy_5B0EBCF1");
    expect(review.destroyed.map((d) => d.address)).toContain("aws_db_proxy.proxy_5B0EBCF1");
    // Stateful first in the banner.
    expect(review.destroyed.at(-1)?.address).toBe("aws_db_proxy.proxy_5B0EBCF1");
  });

  it("says it in the banner: what, where, which attributes force it, and the verdict", () => {
    const markdown = renderReview(buildReview(plans(), { after: [dev] }));
    expect(markdown).toContain("> [!CAUTION]");
    expect(markdown).toContain("**Destroy guard: blocked.**");
    const line = markdown
      .split("\n")
      .find((l) => l.includes("aws_db_instance.database_instance_D7FC2283") && l.startsWith("> -"));
    expect(line).toContain("**RDS instance**");
    expect(line).toContain("forced by `storage_encrypted`");
    expect(line).toContain("**BLOCKED**");
    expect(markdown).toContain("`dev-platform:aws_db_instance.database_instance_D7FC2283`");
  });

  it("passes when nothing stateful goes", () => {
    const review = buildReview(
      [
        {
          stack: "dev-platform",
          plan: planJson([resourceChange("aws_db_proxy.p", { actions: ["delete"] })]),
        },
      ],
      { after: [dev] },
    );
    expect(destroyGuard(review).blocked).toEqual([]);
    expect(renderReview(review)).toContain("> [!WARNING]");
  });
});
