// The CLI on files. Plan JSON here is synthetic, shaped exactly like Terraform's "JSON Output
// Format" document (real plans are covered by the golden tests built on the offline harness).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APPROVALS_ENV_VAR } from "@pgforks/guard";
import { checkMarkdownStructure } from "@pgforks/markdown";
import { environmentInput } from "@pgforks/testing";
import { EXIT_BLOCKED, EXIT_OK, EXIT_USAGE, runReview, stackNameOfFile } from "../src/run";
import { planJson, resourceChange } from "./test-helpers";

let root: string;

function io(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (t: string) => out.push(t),
    err: (t: string) => err.push(t),
    env,
    cwd: root,
    stdout: out,
    stderr: err,
  };
}

function writeJson(file: string, value: unknown): string {
  writeFileSync(join(root, file), JSON.stringify(value));
  return file;
}

const dbDelete = resourceChange("aws_db_instance.database_instance_D7FC2283", {
  actions: ["delete"],
  before: { identifier: "pgforks-test" },
});

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "plan-review-cli-"));
  mkdirSync(join(root, "environments", "test"), { recursive: true });
  // JSON is YAML: no YAML writer needed.
  writeFileSync(
    join(root, "environments", "test", "environment.yaml"),
    JSON.stringify(environmentInput()),
  );
  writeFileSync(
    join(root, "environments", "test", "tenants.yaml"),
    JSON.stringify({ tenants: [{ name: "shop", owner: "shop@example.com" }] }),
  );
  mkdirSync(join(root, "base", "test"), { recursive: true });
  // The base branch had no tenant yet, hence no proxy (a proxy needs at least one secret).
  writeFileSync(
    join(root, "base", "test", "environment.yaml"),
    JSON.stringify({ ...environmentInput(), proxy: { enabled: false } }),
  );
  writeFileSync(join(root, "base", "test", "tenants.yaml"), JSON.stringify({ tenants: [] }));
  mkdirSync(join(root, "invalid-base", "test"), { recursive: true });
  writeFileSync(
    join(root, "invalid-base", "test", "environment.yaml"),
    JSON.stringify({ name: "test" }),
  );
  writeFileSync(
    join(root, "invalid-base", "test", "tenants.yaml"),
    JSON.stringify({ tenants: [] }),
  );
  // A minimal cdktf.out: the review reads manifest.json and cdk.tf.json only.
  mkdirSync(join(root, "cdktf.out", "stacks", "test-platform"), { recursive: true });
  writeFileSync(
    join(root, "cdktf.out", "manifest.json"),
    JSON.stringify({
      stacks: {
        "test-platform": {
          name: "test-platform",
          dependencies: [],
          synthesizedStackPath: "stacks/test-platform/cdk.tf.json",
        },
      },
    }),
  );
  writeFileSync(
    join(root, "cdktf.out", "stacks", "test-platform", "cdk.tf.json"),
    JSON.stringify({
      provider: { aws: [{ default_tags: [{ tags: { environment: "test" } }] }] },
      resource: {
        aws_db_instance: {
          database_instance_D7FC2283: {
            "//": { metadata: { path: "test-platform/database/instance" } },
          },
        },
      },
    }),
  );
  writeJson("test-platform.json", planJson([]));
  writeJson("destroy.json", planJson([dbDelete]));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const destroyPlan = { stack: "test-platform", file: "destroy.json" };

/** A plan's configuration whose AWS provider tags everything with environment = `env`. */
const awsTags = (env: string) => ({
  root_module: {},
  provider_config: {
    aws: { expressions: { default_tags: [{ tags: { constant_value: { environment: env } } }] } },
  },
});

describe("review CLI", () => {
  it("names stacks after their files", () => {
    expect(stackNameOfFile("plans/prod-platform.json")).toBe("prod-platform");
    expect(stackNameOfFile("prod-tenants.tfplan.json")).toBe("prod-tenants");
  });

  it("prints the review and exits 0 when nothing is destroyed", () => {
    const cli = io();
    expect(runReview({ plans: ["test-platform.json"] }, cli)).toBe(EXIT_OK);
    const markdown = cli.stdout.join("");
    expect(markdown).toContain("## Plan review");
    expect(markdown).toContain("| `test-platform` | no changes |");
    expect(checkMarkdownStructure(markdown).ok).toBe(true);
  });

  it("exits 1 and lists the blocked resources on stderr", () => {
    const cli = io();
    expect(runReview({ stack: [destroyPlan] }, cli)).toBe(EXIT_BLOCKED);
    expect(cli.stderr.join("\n")).toContain(
      "test-platform:aws_db_instance.database_instance_D7FC2283",
    );
    expect(cli.stdout.join("")).toContain("`test-platform/database/instance`");
  });

  it(`accepts approvals from ${APPROVALS_ENV_VAR} and from a file`, () => {
    const address = "test-platform:aws_db_instance.database_instance_D7FC2283";
    expect(runReview({ stack: [destroyPlan] }, io({ [APPROVALS_ENV_VAR]: `  ${address} ,` }))).toBe(
      EXIT_OK,
    );
    writeFileSync(join(root, "approvals.txt"), `# ticket 7\n${address}\n`);
    expect(runReview({ approveFile: "approvals.txt", stack: [destroyPlan] }, io())).toBe(EXIT_OK);
  });

  it("exits 2 on a bare <address> approval, naming where it was written", () => {
    // The bypass: without a stack this approved the address in every environment's stack.
    const bare = io({ [APPROVALS_ENV_VAR]: "aws_db_instance.database_instance_D7FC2283" });
    expect(runReview({ stack: [destroyPlan] }, bare)).toBe(EXIT_USAGE);
    expect(bare.stderr.join("\n")).toContain(
      `review: ${APPROVALS_ENV_VAR}: approval "aws_db_instance.database_instance_D7FC2283" names no stack: write <stack>:<address>`,
    );
    writeFileSync(
      join(root, "bare.txt"),
      "# ticket 7\naws_db_instance.database_instance_D7FC2283\n",
    );
    const fromFile = io();
    expect(runReview({ approveFile: "bare.txt", stack: [destroyPlan] }, fromFile)).toBe(EXIT_USAGE);
    expect(fromFile.stderr.join("\n")).toContain("review: bare.txt line 2: approval");
  });

  it.each([
    [
      "prod-plaform:aws_db_instance.database_instance_D7FC2283",
      `review: ${APPROVALS_ENV_VAR}: approval "prod-plaform:aws_db_instance.database_instance_D7FC2283" names no stack of this configuration (stacks: test-platform)`,
    ],
    [
      ":aws_db_instance.database_instance_D7FC2283",
      `review: ${APPROVALS_ENV_VAR}: approval ":aws_db_instance.database_instance_D7FC2283" names no stack: write <stack>:<address> (e.g. dev-platform:aws_db_instance.database_instance_D7FC2283); the same address exists in every environment's stack, so a bare one would approve it in all of them`,
    ],
  ])(
    "exits 2 on the approval %j, in one line (a typo'd stack never waits unmatched)",
    (value, line) => {
      const cli = io({ [APPROVALS_ENV_VAR]: value });
      expect(runReview({ stack: [destroyPlan] }, cli)).toBe(EXIT_USAGE);
      expect(cli.stderr).toEqual([line]);
      expect(cli.stdout).toEqual([]);
    },
  );

  it("exits 1 when an approval matches nothing in the plans, naming the file to remove it from", () => {
    writeFileSync(
      join(root, "stale.txt"),
      "test-platform:aws_db_instance.database_instance_D7FC2283\ntest-platform:aws_kms_key.old\n",
    );
    const cli = io();
    expect(runReview({ approveFile: "stale.txt", stack: [destroyPlan] }, cli)).toBe(EXIT_BLOCKED);
    expect(cli.stderr.join("\n")).toContain(
      "approval test-platform:aws_kms_key.old matches nothing in these plans: remove it from stale.txt",
    );
    expect(cli.stdout.join("")).toContain("**Destroy guard: failed.**");
    // Once the database was replaced, its approval is stale too: the next plan fails until the
    // line is removed.
    const after = io({
      [APPROVALS_ENV_VAR]: "test-platform:aws_db_instance.database_instance_D7FC2283",
    });
    expect(runReview({ plans: ["test-platform.json"] }, after)).toBe(EXIT_BLOCKED);
    expect(after.stderr.join("\n")).toContain(`remove it from ${APPROVALS_ENV_VAR}`);
  });

  it("writes --out instead of stdout", () => {
    const cli = io();
    expect(runReview({ out: "review.md", plans: ["test-platform.json"] }, cli)).toBe(EXIT_OK);
    expect(cli.stdout).toEqual([]);
    expect(readFileSync(join(root, "review.md"), "utf8")).toContain("## Plan review");
  });

  it("compares with the base branch's configuration (--base-env-dir)", () => {
    const cli = io();
    expect(runReview({ baseEnvDir: "base", plans: ["test-platform.json"] }, cli)).toBe(EXIT_OK);
    const markdown = cli.stdout.join("");
    // test-platform is planned (and its plan is empty), so only the unplanned tenants stack is
    // filled in from the configuration.
    expect(markdown).toContain(
      "- \\+ tenant shop in test: database, role _(from the configuration: test-tenants not planned)_",
    );
    // Before: synthesized from the base configuration; after: the (minimal) cdktf.out.
    expect(markdown).toMatch(/\| test \| \$[1-9][\d,.]+ \| \$0\.00 \| −\$[\d,.]+ \|/);
    expect(markdown).toContain("| test | db.t4g.small | 198 | 10 | no proxy → 178 |");
  });

  it("says so when the base configuration cannot be read with today's rules", () => {
    const cli = io();
    expect(runReview({ baseEnvDir: "invalid-base", plans: ["test-platform.json"] }, cli)).toBe(
      EXIT_OK,
    );
    expect(cli.stdout.join("")).toContain("The base configuration could not be loaded");
    // Not, at the top, that none was given.
    expect(cli.stdout.join("")).toContain(
      "The base configuration (invalid-base) could not be loaded with today's rules (see the notes at the end)",
    );
    expect(cli.stdout.join("")).not.toContain("No base configuration was given");
  });

  it("judges a lowered engine version or storage against a base today's rules refuse (a minor pinned before versions were major-only)", () => {
    /** A base whose test environment pins `engineVersion` (a YAML number, as unquoted) on 40 GB. */
    const pinnedBase = (engineVersion: number) => {
      const dir = `pinned-base-${engineVersion}`;
      mkdirSync(join(root, dir, "test"), { recursive: true });
      const input = environmentInput();
      writeFileSync(
        join(root, dir, "test", "environment.yaml"),
        JSON.stringify({
          ...input,
          database: { ...input.database, engineVersion, allocatedStorageGb: 40 },
        }),
      );
      writeFileSync(join(root, dir, "test", "tenants.yaml"), JSON.stringify({ tenants: [] }));
      return dir;
    };
    // 17.2 -> 16 (the change's default) and 40 GB -> 20 GB: RDS can do neither.
    const lowered = io();
    expect(
      runReview({ baseEnvDir: pinnedBase(17.2), plans: ["test-platform.json"] }, lowered),
    ).toBe(EXIT_BLOCKED);
    expect(lowered.stdout.join("")).toContain("The base configuration could not be loaded");
    expect(lowered.stderr.join("\n")).toContain(
      "Guard: 2 lowered engine version or storage (RDS cannot do it) without approval:",
    );
    expect(lowered.stderr.join("\n")).toContain(
      "test-platform:database.engineVersion (17.2 → 16): RDS cannot downgrade a DB engine",
    );
    expect(lowered.stderr.join("\n")).toContain(
      "test-platform:database.allocatedStorageGb (40 GB → 20 GB)",
    );
    // 16.8 -> 16, the change today's rules ask for, is no downgrade: only the storage is blocked.
    const unpinned = io();
    expect(
      runReview({ baseEnvDir: pinnedBase(16.8), plans: ["test-platform.json"] }, unpinned),
    ).toBe(EXIT_BLOCKED);
    expect(unpinned.stderr.join("\n")).toContain(
      "Guard: 1 lowered engine version or storage (RDS cannot do it) without approval:",
    );
    expect(unpinned.stderr.join("\n")).not.toContain("database.engineVersion");
  });

  it.each([
    [
      {},
      "review: no plan given: name <stack>.json files or --stack <stack>=<plan.json> (or only --base-env-dir, for the configuration's changes)",
    ],
    [{ plans: ["broken.json"] }, /^review: \S*broken\.json: not JSON \(/],
    [{ plans: ["state.json"] }, /^review: \S*state\.json: not the JSON of a saved plan/],
    [{ plans: ["missing.json"] }, /^review: \S*missing\.json: no such file$/],
    [
      { plans: ["test-platform.json"], out: "cdktf.out" },
      /^review: \S*cdktf\.out: cannot write the review \(--out\): is a directory, expected a file \(EISDIR\)$/,
    ],
    [
      { plans: ["test-platform.json"], approveFile: "cdktf.out" },
      /^review: \S*cdktf\.out: cannot read the approvals \(--approve-file\): is a directory, expected a file \(EISDIR\)$/,
    ],
    [
      { stack: [{ stack: "test-platform", file: "errored.json" }] },
      /^review: \S*errored\.json: the plan errored \(errored: true\): Terraform stopped before planning everything/,
    ],
    [
      {
        plans: ["test-platform.json"],
        stack: [{ stack: "test-platform", file: "test-platform.json" }],
      },
      "review: two plans for stack test-platform",
    ],
    [
      { envDir: "nowhere", plans: ["test-platform.json"] },
      /^review: --env-dir \S*nowhere does not exist$/,
    ],
    [
      { plans: ["plan.json"] },
      "review: plan.json: no stack named plan (stacks: test-platform): name the file <stack>.json or pass --stack <stack>=plan.json",
    ],
    [
      { stack: [{ stack: "test-platfrom", file: "plan.json" }] },
      "review: plan.json: no stack named test-platfrom (stacks: test-platform): name the file <stack>.json or pass --stack <stack>=plan.json",
    ],
    [
      { stack: [{ stack: "test-platform", file: "prod-platform.json" }] },
      "review: prod-platform.json: a plan of environment prod (its AWS provider's default tag environment = prod), not of stack test-platform (environment test): plan test-platform itself, or name the file after the stack it is of",
    ],
    [
      { stack: [{ stack: "test-platform", file: "tenants-plan.json" }] },
      "review: tenants-plan.json: 2 resource(s) it plans are not in stack test-platform (first: postgresql_role.shop): a plan of another stack, or cdktf.out is older than the plan (npm run synth); name the file after the stack it is of",
    ],
    [
      // The checkout's root instead of its environments/ (root holds environments/, base/, ...).
      { baseEnvDir: "." },
      /^review: --base-env-dir \S+ holds no environment folder \(no <env>\/environment\.yaml in [^)]*\benvironments\b[^)]*\): pass \S+\/environments$/,
    ],
  ] as const)("exits 2 on an input error (%j), in one line", (options, line) => {
    writeFileSync(join(root, "broken.json"), "{ not json");
    writeJson("prod-platform.json", planJson([dbDelete], { configuration: awsTags("prod") }));
    writeJson(
      "tenants-plan.json",
      planJson([
        resourceChange("postgresql_role.shop", { actions: ["create"] }),
        resourceChange("postgresql_database.shop", { actions: ["update"] }),
        // A deletion's resource is gone from the configuration: never a stranger.
        resourceChange("postgresql_grant.gone", { actions: ["delete"] }),
      ]),
    );
    writeJson("state.json", { format_version: "1.0", values: {} });
    writeJson("plan.json", planJson([]));
    writeJson("errored.json", planJson([], { errored: true }));
    const cli = io();
    expect(runReview(options, cli)).toBe(EXIT_USAGE);
    expect(cli.stderr).toEqual([typeof line === "string" ? line : expect.stringMatching(line)]);
    expect(cli.stdout).toEqual([]);
  });

  it("reviews a plan whose AWS provider tags the stack's own environment", () => {
    writeJson("own.json", planJson([], { configuration: awsTags("test") }));
    const cli = io();
    expect(runReview({ stack: [{ stack: "test-platform", file: "own.json" }] }, cli)).toBe(EXIT_OK);
    expect(cli.stderr).toEqual([]);
  });

  it("without plans but with a base, reviews the configuration's changes (a tenants stack alone)", () => {
    const cli = io();
    expect(runReview({ baseEnvDir: "base" }, cli)).toBe(EXIT_OK);
    const markdown = cli.stdout.join("");
    expect(markdown).toContain("0 stacks planned, 0 with changes.");
    // The base had no tenant: shop is described from the configuration, in both stacks.
    expect(markdown).toMatch(
      /\+ tenant shop in test: database, role, secret.*_\(from the configuration/,
    );
    expect(checkMarkdownStructure(markdown).ok).toBe(true);
  });

  it("refuses approvals under their earlier names, never ignoring them", () => {
    const oldVariable = io({ PGFORKS_APPROVE_DESTROY: "test-platform:aws_db_instance.x" });
    expect(runReview({ stack: [destroyPlan] }, oldVariable)).toBe(EXIT_USAGE);
    expect(oldVariable.stderr).toEqual([
      "review: PGFORKS_APPROVE_DESTROY was renamed to PGFORKS_APPROVED_CHANGES (approvals now cover destroys and lowered protections): set PGFORKS_APPROVED_CHANGES instead",
    ]);
    mkdirSync(join(root, ".github"));
    writeFileSync(
      join(root, ".github", "destroy-approvals.txt"),
      "test-platform:aws_db_instance.x\n",
    );
    try {
      const oldFile = io();
      expect(runReview({ stack: [destroyPlan] }, oldFile)).toBe(EXIT_USAGE);
      expect(oldFile.stderr).toEqual([
        "review: .github/destroy-approvals.txt was renamed to .github/approved-changes.txt (approvals now cover destroys and lowered protections): move its lines there",
      ]);
      expect(oldFile.stdout).toEqual([]);
    } finally {
      rmSync(join(root, ".github"), { recursive: true, force: true });
    }
  });
});
