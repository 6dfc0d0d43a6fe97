// Plan JSON here is synthetic, shaped exactly like Terraform's "JSON Output Format" document.
// Postgres-provider plans (the tenants stacks) cannot be produced offline: there is no
// cyrilgdn/postgresql binary, so these unit tests stand in for them.

import { APPROVALS_ENV_VAR, ApprovalError, parseApprovals } from "@pgforks/guard";
import { renderReview } from "../src/render";
import { buildReview, destroyGuard, type StackPlan } from "../src/review";
import { reportGuard } from "../src/run";
import { synthesizeForReview } from "../src/synthesize";
import { loadedEnvironment, planJson, resourceChange, tenantAddressOf } from "./test-helpers";

const dev = loadedEnvironment("dev", "development", [
  { name: "saas", state: "dropped", confirmDrop: "saas" },
  { name: "fintech", database: "fintech_experiment" },
  { name: "sloppy", state: "dropped", confirmDrop: "not-the-database" },
]);
/** The synth of `dev`: its pgforks-manifest.json names each tenant address. */
const synth = synthesizeForReview([dev]);
const SAAS_SECRET = tenantAddressOf(synth, "dev-platform", "saas", "secret");
const SAAS_DATABASE = tenantAddressOf(synth, "dev-tenants", "saas", "database");
const SAAS_ROLE = tenantAddressOf(synth, "dev-tenants", "saas", "role");
const SAAS_READ_ONLY_ROLE = tenantAddressOf(synth, "dev-tenants", "saas", "read-only role");
const FINTECH_DATABASE = tenantAddressOf(synth, "dev-tenants", "fintech", "database");
const SLOPPY_ROLE = tenantAddressOf(synth, "dev-tenants", "sloppy", "role");

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
        resourceChange(`${SAAS_SECRET}`, {
          actions: ["delete"],
          before: { name: "pgforks-dev/tenants/saas", tags: { "pgforks:tenant": "saas" } },
        }),
        resourceChange("aws_db_parameter_group.database_parameter-group_33D396C4", {
          actions: ["delete"],
          before: { name: "pgforks-dev-postgres16-1" },
        }),
        ...(extra["dev-platform"] ?? []),
      ]),
    },
    {
      stack: "dev-tenants",
      plan: planJson([
        resourceChange(`${SAAS_DATABASE}`, {
          actions: ["delete"],
          before: { name: "saas", owner: "saas" },
        }),
        resourceChange(`${SAAS_ROLE}`, {
          actions: ["delete"],
          before: { name: "saas", login: true },
        }),
        resourceChange(`${FINTECH_DATABASE}`, {
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
    const review = buildReview(plans(), { synth, after: [dev] });
    const { blocked } = destroyGuard(review);
    expect(blocked.map((f) => `${f.stack}:${f.address}:${f.action}`)).toEqual([
      "dev-platform:aws_db_instance.database_instance_D7FC2283:replace",
      "dev-platform:aws_kms_key.key_F64E54E4:delete",
      `dev-tenants:${FINTECH_DATABASE}:delete`,
    ]);
    expect(blocked[0]?.replacePaths).toEqual(["storage_encrypted"]);
    expect(review.stacks.find((s) => s.stack === "dev-platform")?.status).toBe("blocked");
  });

  it("allows the resources of a tenant dropped with confirmDrop", () => {
    const { allowed } = destroyGuard(buildReview(plans(), { synth, after: [dev] }));
    expect(allowed.map((f) => [f.address, f.allowedBy, f.tenant])).toEqual([
      [`${SAAS_SECRET}`, "dropped tenant", "saas"],
      [`${SAAS_DATABASE}`, "dropped tenant", "saas"],
      [`${SAAS_ROLE}`, "dropped tenant", "saas"],
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
          resourceChange(`${SLOPPY_ROLE}`, {
            actions: ["delete"],
            before: { name: "sloppy" },
          }),
          // a replacement is never covered by "dropped" (only deletions are)
          resourceChange(`${SAAS_READ_ONLY_ROLE}`, {
            actions: ["create", "delete"],
            before: { name: "saas_readonly" },
            after: { name: "saas_readonly" },
          }),
        ],
      }),
      { synth, after: [dev] },
    );
    const blocked = destroyGuard(review).blocked.map((f) => f.address);
    expect(blocked).toEqual(
      expect.arrayContaining([
        "postgresql_database.tenants_database-other_4",
        `${SLOPPY_ROLE}`,
        `${SAAS_READ_ONLY_ROLE}`,
      ]),
    );
  });

  it("does not allow a drop whose entry's database was renamed in the same change: the base's database is the one dropped", () => {
    // healthtech stays active: the fixture's RDS Proxy needs one tenant secret.
    const base = loadedEnvironment("dev", "development", [
      { name: "healthtech" },
      { name: "fintech", database: "fintech_experiment" },
    ]);
    const dropped = (database: string) =>
      loadedEnvironment("dev", "development", [
        { name: "healthtech" },
        { name: "fintech", database, state: "dropped", confirmDrop: database },
      ]);
    const baseSynth = synthesizeForReview([base]);
    const secret = tenantAddressOf(baseSynth, "dev-platform", "fintech", "secret");
    const review = (head: ReturnType<typeof dropped>) =>
      buildReview(
        [
          {
            stack: "dev-platform",
            plan: planJson([
              resourceChange(secret, {
                actions: ["delete"],
                before: {
                  name: "pgforks-dev/tenants/fintech",
                  tags: { "pgforks:tenant": "fintech" },
                },
              }),
            ]),
          },
        ],
        {
          synth: synthesizeForReview([head]),
          beforeSynth: baseSynth,
          after: [head],
          before: [base],
        },
      );

    const renamed = review(dropped("fintech_x"));
    const reason =
      "blocked: tenant fintech is dropped with confirmDrop: fintech_x, but the database this change drops is fintech_experiment (the entry's database was renamed in the same change): confirmDrop must repeat the name of the database that is dropped, so keep database: fintech_experiment and confirmDrop: fintech_experiment";
    expect(destroyGuard(renamed).allowed).toEqual([]);
    // The secret from the plan; the database and role from the configuration (dev-tenants is
    // not planned here, and main's guard would refuse them).
    expect(destroyGuard(renamed).blocked.map((f) => [f.stack, f.address, f.reason])).toEqual([
      ["dev-platform", secret, reason],
      ["dev-tenants", tenantAddressOf(baseSynth, "dev-tenants", "fintech", "database"), reason],
      ["dev-tenants", tenantAddressOf(baseSynth, "dev-tenants", "fintech", "role"), reason],
    ]);
    // The comment says why, beside what the deletion loses.
    expect(renderReview(renamed)).toContain(
      "— **BLOCKED**: tenant fintech is dropped with confirmDrop: fintech_x, but the database this change drops is fintech_experiment",
    );
    // The same drop with the database kept is allowed.
    expect(
      destroyGuard(review(dropped("fintech_experiment"))).allowed.map((f) => f.address),
    ).toEqual([secret]);
  });

  it("blocks moving an environment to another region, account or state backend, which no plan shows as a deletion", () => {
    const base = loadedEnvironment("dev", "development", [{ name: "healthtech" }]);
    const moved = {
      ...base,
      environment: {
        ...base.environment,
        region: "us-east-2",
        stateBackend: { ...base.environment.stateBackend, keyPrefix: "pgforks/elsewhere" },
      },
    };
    const planned: StackPlan[] = [{ stack: "dev-platform", plan: planJson([]) }];
    const review = (approvals = "") =>
      buildReview(planned, {
        after: [moved],
        before: [base],
        approvals: parseApprovals(approvals, "test"),
      });

    const blocked = review();
    expect(destroyGuard(blocked).moved.map((m) => `${m.stack}:${m.address}`)).toEqual([
      "dev-platform:region",
      "dev-platform:stateBackend",
    ]);
    expect(blocked.stacks.find((s) => s.stack === "dev-platform")?.status).toBe("blocked");
    const markdown = renderReview(blocked);
    expect(markdown).toContain("1 stack planned, 1 with changes, **guard blocked**.");
    expect(markdown).not.toMatch(/destroy guard blocked|Destroy guard: passed/);
    expect(markdown).toContain("**This change moves 1 environment:");
    expect(markdown).toContain("region of environment dev: us-east-1 → us-east-2.");
    expect(markdown).toContain("**needs an approval: dev-platform:region**");

    const approved = review("dev-platform:region\ndev-platform:stateBackend");
    expect(destroyGuard(approved)).toMatchObject({ moved: [], stale: [] });
    // Without a move, the approval is stale: it would approve a later one.
    expect(
      destroyGuard(
        buildReview(planned, {
          after: [base],
          before: [base],
          approvals: parseApprovals("dev-platform:region", "test"),
        }),
      ).stale.map((s) => s.reason),
    ).toEqual(["approval dev-platform:region matches nothing in these plans: remove it from test"]);
  });

  it("blocks an engine downgrade and a storage decrease between the base and the change, which RDS cannot do", () => {
    const base = loadedEnvironment("dev", "development", [{ name: "healthtech" }]);
    const bigger = {
      ...base,
      environment: {
        ...base.environment,
        database: { ...base.environment.database, engineVersion: "16", allocatedStorageGb: 40 },
      },
    };
    const smaller = {
      ...bigger,
      environment: {
        ...bigger.environment,
        database: { ...bigger.environment.database, engineVersion: "15", allocatedStorageGb: 20 },
      },
    };
    // The instance is not even in the plan: the provider ignores a smaller allocated_storage.
    const planned: StackPlan[] = [{ stack: "dev-platform", plan: planJson([]) }];
    const review = (approvals = "") =>
      buildReview(planned, {
        after: [smaller],
        before: [bigger],
        approvals: parseApprovals(approvals, "test"),
      });

    const blocked = review();
    expect(destroyGuard(blocked).irreversible.map((c) => `${c.stack}:${c.address}`)).toEqual([
      "dev-platform:database.engineVersion",
      "dev-platform:database.allocatedStorageGb",
    ]);
    expect(blocked.stacks.find((s) => s.stack === "dev-platform")?.status).toBe("blocked");
    const markdown = renderReview(blocked);
    expect(markdown).toContain("1 stack planned, 1 with changes, **guard blocked**.");
    expect(markdown).not.toMatch(/destroy guard blocked|Destroy guard: passed/);
    expect(markdown).toContain(
      "**This change asks RDS for what it cannot do: 2 settings of the instance lowered (an engine downgrade or smaller storage), or raised to a new major version without allowing it.**",
    );
    expect(markdown).toContain(
      "`database.engineVersion` of environment dev: 16 → 15. RDS cannot downgrade a DB engine",
    );
    expect(markdown).toContain(
      "`database.allocatedStorageGb` of environment dev: 40 GB → 20 GB. RDS cannot shrink an instance's storage",
    );
    expect(markdown).toContain("**needs an approval: dev-platform:database.allocatedStorageGb**");
    expect(markdown).toContain(
      "**Guard: blocked.** 2 changes ask RDS for what it refuses: a lower engine version or storage, or a new major version not allowed.",
    );
    const err: string[] = [];
    expect(reportGuard(blocked, (line) => err.push(line))).toBe(true);
    expect(err.join("\n")).toContain(
      "dev-platform:database.allocatedStorageGb (40 GB → 20 GB): RDS cannot shrink an instance's storage",
    );

    const approved = review(
      "dev-platform:database.engineVersion\ndev-platform:database.allocatedStorageGb",
    );
    expect(destroyGuard(approved)).toMatchObject({ irreversible: [], stale: [] });
    // Raising them is no finding, and an approval for it is stale.
    const raised = buildReview(planned, {
      after: [bigger],
      before: [base],
      approvals: parseApprovals("dev-platform:database.allocatedStorageGb", "test"),
    });
    expect(destroyGuard(raised).irreversible).toEqual([]);
    expect(destroyGuard(raised).stale.map((s) => s.reason)).toEqual([
      "approval dev-platform:database.allocatedStorageGb matches nothing in these plans: remove it from test",
    ]);
  });

  it("blocks a raise to a new major version unless database.allowMajorVersionUpgrade allows it", () => {
    const base = loadedEnvironment("dev", "development", [{ name: "healthtech" }]);
    const raised = (allowMajorVersionUpgrade: boolean) => ({
      ...base,
      environment: {
        ...base.environment,
        database: { ...base.environment.database, engineVersion: "17", allowMajorVersionUpgrade },
      },
    });
    const planned: StackPlan[] = [{ stack: "dev-platform", plan: planJson([]) }];
    const review = (allowed: boolean) =>
      buildReview(planned, {
        after: [raised(allowed)],
        before: [base],
        approvals: parseApprovals("", "test"),
      });
    const blocked = review(false);
    expect(destroyGuard(blocked).irreversible.map((c) => `${c.stack}:${c.address}`)).toEqual([
      "dev-platform:database.engineVersion",
    ]);
    expect(renderReview(blocked)).toContain(
      "`database.engineVersion` of environment dev: 16 → 17. RDS refuses a major version upgrade that is not allowed",
    );
    expect(destroyGuard(review(true)).irreversible).toEqual([]);
  });

  it("judges an unplanned tenants stack from the configuration: what main's guard would refuse needs its approval in the pull request", () => {
    const base = loadedEnvironment("dev", "development", [
      { name: "healthtech", readOnlyRole: true },
      { name: "edtech" },
    ]);
    const head = loadedEnvironment("dev", "development", [{ name: "healthtech" }]);
    const baseSynth = synthesizeForReview([base]);
    const at = (tenant: string, kind: Parameters<typeof tenantAddressOf>[3]) =>
      tenantAddressOf(baseSynth, "dev-tenants", tenant, kind);
    // No plan at all: a pull request that changes only tenants.yaml plans no stack.
    const review = (approvals = "") =>
      buildReview([], {
        synth: synthesizeForReview([head]),
        beforeSynth: baseSynth,
        after: [head],
        before: [base],
        approvals: parseApprovals(approvals, "test"),
      });
    const blocked = destroyGuard(review()).blocked;
    // The fixture's proxy loses edtech's auth entry: an update of the proxy, not its deletion.
    expect(blocked.map((f) => `${f.stack}:${f.address}`)).toEqual([
      `dev-platform:${tenantAddressOf(baseSynth, "dev-platform", "edtech", "secret")}`,
      `dev-tenants:${at("edtech", "database")}`,
      `dev-tenants:${at("healthtech", "read-only role")}`,
      `dev-tenants:${at("edtech", "role")}`,
      `dev-tenants:${tenantAddressOf(baseSynth, "dev-tenants", "edtech", "schema")}`,
    ]);
    const markdown = renderReview(review());
    expect(markdown).toContain("**Destroy guard: blocked.** 5 stateful resources");
    expect(markdown).toContain(`\`dev-tenants:${at("healthtech", "read-only role")}\``);
    // Approved in the pull request, as main will read it: allowed, and the guard passes.
    const approved = review(blocked.map((f) => `${f.stack}:${f.address}`).join("\n"));
    expect(destroyGuard(approved).blocked).toEqual([]);
    expect(destroyGuard(approved).allowed.map((f) => f.allowedBy)).toEqual(
      blocked.map(() => "approval"),
    );
  });

  it("says what removing a read-only group loses from the tenant footprint: read access, not a login or a password", () => {
    const base = loadedEnvironment("dev", "development", [
      { name: "healthtech", readOnlyRole: true },
    ]);
    const head = loadedEnvironment("dev", "development", [{ name: "healthtech" }]);
    const baseSynth = synthesizeForReview([base]);
    const group = tenantAddressOf(baseSynth, "dev-tenants", "healthtech", "read-only role");
    const context = {
      synth: synthesizeForReview([head]),
      beforeSynth: baseSynth,
      after: [head],
      before: [base],
    };
    const noLogin =
      /healthtech_readonly is a NOLOGIN group without a password \(no login is lost\)/;
    // Judged from the configuration (a pull request, dev-tenants not planned) ...
    const fromConfig = destroyGuard(buildReview([], context)).blocked;
    expect(fromConfig.map((f) => f.address)).toEqual([group]);
    expect(fromConfig[0]?.reason).toMatch(noLogin);
    expect(fromConfig[0]?.reason).not.toContain("password;");
    // ... and from main's plan of dev-tenants: the banner and the guard say the same.
    const planned = buildReview(
      [
        {
          stack: "dev-tenants",
          plan: planJson([
            resourceChange(group, {
              actions: ["delete"],
              before: { name: "healthtech_readonly", login: false },
            }),
          ]),
        },
      ],
      context,
    );
    expect(destroyGuard(planned).blocked[0]?.reason).toMatch(noLogin);
    const markdown = renderReview(planned);
    expect(markdown).toMatch(noLogin);
    expect(markdown).toContain("SELECT on the tables of healthtech");
    expect(markdown).not.toContain("the login and its password");
  });

  it("says a shortened log or Performance Insights retention deletes data, apart from lowered protections", () => {
    const logGroup = "aws_cloudwatch_log_group.database_log-groups_postgresql_1A2B3C4D";
    const instance = "aws_db_instance.database_instance_D7FC2283";
    const prod = loadedEnvironment("prod", "production", []);
    const shortened = resourceChange(logGroup, {
      actions: ["update"],
      before: { retention_in_days: 365 },
      after: { retention_in_days: 30 },
    });
    const review = buildReview(
      [
        {
          stack: "prod-platform",
          plan: planJson([
            shortened,
            resourceChange(instance, {
              actions: ["update"],
              before: { multi_az: true, performance_insights_retention_period: 31 },
              after: { multi_az: false, performance_insights_retention_period: 7 },
            }),
          ]),
        },
      ],
      { after: [prod], before: [prod] },
    );
    const markdown = renderReview(review);
    expect(markdown).toContain(
      "**This change deletes data: 2 retentions shortened, so the older logs or performance data are deleted.**",
    );
    expect(markdown).toContain(
      `− **log events older than 30 days DELETED** at the apply: \`${logGroup}\` in \`prod-platform\` keeps them 30 days instead of 365 days, and the older ones are gone for good — **needs an approval: prod-platform:${logGroup}**`,
    );
    expect(markdown).toContain("− **Performance Insights data older than 7 days DELETED**");
    // Only Multi-AZ is a lowered protection; the retentions are not counted there.
    expect(markdown).toContain("**This change lowers 1 protection of a production environment.**");
    expect(markdown).not.toMatch(/↓ (log retention|Performance Insights retention)/);
    expect(markdown).toContain(
      "**Guard: blocked.** 2 changes lower a protection or delete older data of a production environment.",
    );
    // A retention alone: no "lowers" banner at all.
    const logOnly = renderReview(
      buildReview(
        [
          {
            stack: "prod-platform",
            plan: planJson([shortened]),
          },
        ],
        { after: [prod], before: [prod] },
      ),
    );
    expect(logOnly).not.toContain("lowers");
    expect(logOnly).toContain(
      "1 change deletes older data (a shortened retention) of a production environment.",
    );
  });

  it("words a blocked retention change without contradicting itself: forever, and no destroy guard 'passed' under 'Guard: blocked'", () => {
    const logGroup = "aws_cloudwatch_log_group.network_flow-log_1A2B3C4D";
    const prod = loadedEnvironment("prod", "production", []);
    const review = (approvals = "") =>
      buildReview(
        [
          {
            stack: "prod-platform",
            plan: planJson([
              resourceChange(logGroup, {
                actions: ["update"],
                before: { retention_in_days: 0 },
                after: { retention_in_days: 30 },
              }),
            ]),
          },
        ],
        { after: [prod], before: [prod], approvals: parseApprovals(approvals, "test") },
      );
    const blocked = renderReview(review());
    expect(blocked).toContain(
      `− **log events older than 30 days DELETED** at the apply: \`${logGroup}\` in \`prod-platform\` keeps them 30 days instead of forever, and the older ones are gone for good`,
    );
    expect(blocked).not.toContain("never expire");
    expect(blocked).toContain("1 stack planned, 1 with changes, **guard blocked**.");
    expect(blocked).toContain("**Guard: blocked.** 1 change deletes older data");
    expect(blocked).toContain(
      "**Destroy guard: nothing to approve** — no stateful resource is deleted or replaced; the change stays blocked by the guard above.",
    );
    expect(blocked).not.toMatch(/destroy guard blocked|Destroy guard: passed/);
    // The terminal says the same as the review: a deletion of older data, no lowered protection.
    const err: string[] = [];
    expect(reportGuard(review(), (line) => err.push(line))).toBe(true);
    expect(err[0]).toBe(
      "Guard: 1 change without approval deletes older data (a shortened retention) of a production environment:",
    );
    expect(err[1]).toBe(
      `  prod-platform:${logGroup} (log events older than 30 days DELETED: log retention (older log events are deleted) forever → 30 days)`,
    );
    // Approved, nothing blocks: the destroy guard passes and the summary says no guard blocked.
    const approved = renderReview(review(`prod-platform:${logGroup}`));
    expect(approved).toContain(
      "**Destroy guard: passed** — no stateful resource is deleted or replaced.",
    );
    expect(approved).not.toMatch(/Guard: blocked|guard blocked|stays blocked/);
  });

  it("allows what an approval names as <stack>:<address>", () => {
    const approvals = parseApprovals(
      "# approved in review #42\ndev-platform:aws_kms_key.key_F64E54E4\n dev-platform:aws_db_instance.database_instance_D7FC2283 , prod-platform:aws_kms_key.key_F64E54E4",
      "approvals.txt",
    );
    const { blocked, allowed } = destroyGuard(
      buildReview(plans(), { synth, after: [dev], approvals }),
    );
    expect(blocked.map((f) => f.address)).toEqual([`${FINTECH_DATABASE}`]);
    expect(allowed.filter((f) => f.allowedBy === "approval").map((f) => f.address)).toEqual([
      "aws_db_instance.database_instance_D7FC2283",
      "aws_kms_key.key_F64E54E4",
    ]);
  });

  it("ignores approvals for another stack", () => {
    const approvals = parseApprovals("prod-platform:aws_kms_key.key_F64E54E4", "approvals.txt");
    const { blocked } = destroyGuard(buildReview(plans(), { synth, after: [dev], approvals }));
    expect(blocked.map((f) => f.address)).toContain("aws_kms_key.key_F64E54E4");
  });

  it("refuses a bare <address>: construct addresses repeat in every environment", () => {
    // The same construct id, hence the same address, in dev and prod: a bare address approved
    // for dev would also approve replacing prod's database.
    expect(() =>
      parseApprovals("aws_db_instance.database_instance_D7FC2283", APPROVALS_ENV_VAR),
    ).toThrow(ApprovalError);
    expect(() =>
      parseApprovals(
        "# ok\ndev-platform:aws_kms_key.key_F64E54E4\naws_db_instance.database_instance_D7FC2283\n",
        ".github/approved-changes.txt",
      ),
    ).toThrow(
      '.github/approved-changes.txt line 3: approval "aws_db_instance.database_instance_D7FC2283" names no stack: write <stack>:<address>',
    );
    // An index key may hold a colon; what precedes it is still not a stack name.
    expect(() => parseApprovals('aws_s3_bucket.b["a:b"]', APPROVALS_ENV_VAR)).toThrow(
      /names no stack/,
    );
    expect(() => parseApprovals("dev-platform:", APPROVALS_ENV_VAR)).toThrow(/names no address/);
  });

  it("approves a replacement only in the stack it names, though the address is the same elsewhere", () => {
    const replaceIn = (stack: string): StackPlan => ({
      stack,
      plan: planJson([dbInstanceReplace]),
    });
    const prod = loadedEnvironment("prod", "production", []);
    const review = buildReview([replaceIn("dev-platform"), replaceIn("prod-platform")], {
      after: [dev, prod],
      approvals: parseApprovals(
        "dev-platform:aws_db_instance.database_instance_D7FC2283",
        "approvals.txt",
      ),
    });
    const { blocked, allowed } = destroyGuard(review);
    expect(blocked.map((f) => `${f.stack}:${f.address}`)).toEqual([
      "prod-platform:aws_db_instance.database_instance_D7FC2283",
    ]);
    expect(allowed.map((f) => `${f.stack}:${f.address}`)).toEqual([
      "dev-platform:aws_db_instance.database_instance_D7FC2283",
    ]);
  });

  it("fails on an approval that matches nothing in the plans of its stack (stale approvals go)", () => {
    const approvals = parseApprovals(
      [
        "dev-platform:aws_kms_key.key_F64E54E4", // matches a stateful deletion
        "dev-platform:aws_s3_bucket.gone", // nothing of that name in dev-platform's plan
        "dev-platform:aws_db_proxy.proxy_5B0EBCF1", // deleted, but not stateful
        `dev-tenants:${SAAS_ROLE}`, // already allowed by the dropped tenant
        "prod-platform:aws_kms_key.key_F64E54E4", // prod-platform is not in these plans
      ].join("\n"),
      ".github/approved-changes.txt",
    );
    const review = buildReview(plans(), { synth, after: [dev], approvals });
    expect(destroyGuard(review).stale.map((s) => s.reason)).toEqual([
      "approval dev-platform:aws_s3_bucket.gone matches nothing in these plans: remove it from .github/approved-changes.txt",
      "approval dev-platform:aws_db_proxy.proxy_5B0EBCF1 matches nothing in these plans: remove it from .github/approved-changes.txt",
    ]);
    // Blocked resources and stale approvals are both reported.
    expect(renderReview(review)).toContain(
      "approval `dev-platform:aws_s3_bucket.gone` matches nothing in these plans: remove it from `.github/approved-changes.txt`",
    );
    // Nothing blocked, one stale approval: the guard still fails, and says so.
    const onlyStale = buildReview(plans(), {
      synth,
      after: [dev],
      approvals: parseApprovals(
        `dev-platform:aws_kms_key.key_F64E54E4\ndev-platform:aws_db_instance.database_instance_D7FC2283\ndev-tenants:${FINTECH_DATABASE}\ndev-platform:aws_s3_bucket.gone`,
        ".github/approved-changes.txt",
      ),
    });
    expect(destroyGuard(onlyStale).blocked).toEqual([]);
    const markdown = renderReview(onlyStale);
    expect(markdown).toContain("with changes, **destroy guard failed**.");
    expect(markdown).toContain(
      "**Destroy guard: failed.** 1 approval no longer matches a stateful deletion or replacement (an approval is good for one change only): approval `dev-platform:aws_s3_bucket.gone` matches nothing in these plans: remove it from `.github/approved-changes.txt`.",
    );
    // Nothing stale, nothing blocked: the guard passes.
    const clean = buildReview(plans(), {
      synth,
      after: [dev],
      approvals: parseApprovals(
        `dev-platform:aws_kms_key.key_F64E54E4\ndev-platform:aws_db_instance.database_instance_D7FC2283\ndev-tenants:${FINTECH_DATABASE}`,
        "approvals.txt",
      ),
    });
    expect(destroyGuard(clean)).toMatchObject({ blocked: [], stale: [] });
  });

  it("only warns about stale approvals when asked to (main's re-plans after the approved apply)", () => {
    const approvals = parseApprovals(
      `dev-platform:aws_kms_key.key_F64E54E4\ndev-platform:aws_db_instance.database_instance_D7FC2283\ndev-tenants:${FINTECH_DATABASE}\ndev-platform:aws_s3_bucket.gone`,
      ".github/approved-changes.txt",
    );
    const warned = buildReview(plans(), { synth, after: [dev], approvals, staleApprovals: "warn" });
    expect(destroyGuard(warned)).toMatchObject({ blocked: [], stale: [] });
    expect(warned.notes).toContain(
      "Warning: approval dev-platform:aws_s3_bucket.gone matches nothing in these plans: remove it from .github/approved-changes.txt (stale approvals only warn here).",
    );
    // The default still fails.
    expect(
      destroyGuard(buildReview(plans(), { synth, after: [dev], approvals })).stale,
    ).toHaveLength(1);
  });

  it("names a read replica's deletion as such, not as the loss of every tenant database", () => {
    const review = buildReview(
      [
        {
          stack: "dev-platform",
          plan: planJson([
            resourceChange("aws_db_instance.database_replica-reader_59AB96BD", {
              actions: ["delete"],
              before: { identifier: "pgforks-dev-reader", replicate_source_db: "pgforks-dev" },
            }),
          ]),
        },
      ],
      { synth, after: [dev] },
    );
    const [finding] = destroyGuard(review).blocked;
    expect(finding?.stateful.what).toBe("RDS read replica");
    const markdown = renderReview(review);
    expect(markdown).toContain(
      "**RDS read replica** `aws_db_instance.database_replica-reader_59AB96BD`",
    );
    expect(markdown).not.toContain("every tenant database on it");
  });

  it("leaves non-stateful deletions to the banner", () => {
    const review = buildReview(plans(), { synth, after: [dev] });
    const group = "aws_db_parameter_group.database_parameter-group_33D396C4";
    const all = [...review.guard.blocked, ...review.guard.allowed].map((f) => f.address);
    expect(all).not.toContain(group);
    expect(review.destroyed.map((d) => d.address)).toContain(group);
    // Stateful first in the banner.
    expect(review.destroyed.at(-1)?.address).toBe(group);
  });

  it("blocks replacing the RDS Proxy (a new endpoint: every tenant's connection path is down)", () => {
    const proxyReplace = resourceChange("aws_db_proxy.proxy_5B0EBCF1", {
      actions: ["delete", "create"],
      before: { name: "pgforks-dev", vpc_subnet_ids: ["subnet-0a1b2c3d"] },
      after: { name: "pgforks-dev", vpc_subnet_ids: ["subnet-0a1b2c3d", "subnet-4e5f6a7b"] },
      replacePaths: [["vpc_subnet_ids"]],
      actionReason: "replace_because_cannot_update",
    });
    const review = buildReview([{ stack: "dev-platform", plan: planJson([proxyReplace]) }], {
      synth,
      after: [dev],
    });
    expect(destroyGuard(review).blocked.map((f) => `${f.address}:${f.action}`)).toEqual([
      "aws_db_proxy.proxy_5B0EBCF1:replace",
    ]);
    const line = renderReview(review)
      .split("\n")
      .find((l) => l.includes("aws_db_proxy.proxy_5B0EBCF1") && l.startsWith("> -"));
    expect(line).toContain("**RDS Proxy**");
    expect(line).toContain("forced by `vpc_subnet_ids`");
    expect(line).toContain("**BLOCKED**");
  });

  it("says it in the banner: what, where, which attributes force it, and the verdict", () => {
    const markdown = renderReview(buildReview(plans(), { synth, after: [dev] }));
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
          plan: planJson([
            resourceChange("aws_cloudwatch_metric_alarm.alarms_db-load_F2E8A2AE", {
              actions: ["delete"],
            }),
          ]),
        },
      ],
      { synth, after: [dev] },
    );
    expect(destroyGuard(review).blocked).toEqual([]);
    expect(renderReview(review)).toContain("> [!WARNING]");
  });
});
