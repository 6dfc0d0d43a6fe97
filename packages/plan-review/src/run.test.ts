// The CLI on files. Plan JSON here is synthetic, shaped exactly like Terraform's "JSON Output
// Format" document (real plans are covered by the golden tests built on the offline harness).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environmentInput } from "@pgforks/testing";
import { planJson, resourceChange } from "../test/test-helpers";
import { checkMarkdownStructure } from "./markdown";
import {
  APPROVE_ENV_VAR,
  EXIT_BLOCKED,
  EXIT_OK,
  EXIT_USAGE,
  runReviewCli,
  stackNameOfFile,
} from "./run";

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

describe("review CLI", () => {
  it("names stacks after their files", () => {
    expect(stackNameOfFile("plans/prod-platform.json")).toBe("prod-platform");
    expect(stackNameOfFile("prod-tenants.tfplan.json")).toBe("prod-tenants");
  });

  it("prints the review and exits 0 when nothing is destroyed", () => {
    const cli = io();
    expect(runReviewCli(["test-platform.json"], cli)).toBe(EXIT_OK);
    const markdown = cli.stdout.join("");
    expect(markdown).toContain("## Plan review");
    expect(markdown).toContain("| `test-platform` | no changes |");
    expect(checkMarkdownStructure(markdown).ok).toBe(true);
  });

  it("exits 1 and lists the blocked resources on stderr", () => {
    const cli = io();
    expect(runReviewCli(["--stack", "test-platform=destroy.json"], cli)).toBe(EXIT_BLOCKED);
    expect(cli.stderr.join("\n")).toContain(
      "test-platform:aws_db_instance.database_instance_D7FC2283",
    );
    expect(cli.stdout.join("")).toContain("`test-platform/database/instance`");
  });

  it(`accepts approvals from ${APPROVE_ENV_VAR} and from a file`, () => {
    const address = "test-platform:aws_db_instance.database_instance_D7FC2283";
    expect(
      runReviewCli(
        ["--stack", "test-platform=destroy.json"],
        io({ [APPROVE_ENV_VAR]: `  ${address} ,` }),
      ),
    ).toBe(EXIT_OK);
    writeFileSync(join(root, "approvals.txt"), `# ticket 7\n${address}\n`);
    expect(
      runReviewCli(
        ["--approve-file", "approvals.txt", "--stack", "test-platform=destroy.json"],
        io(),
      ),
    ).toBe(EXIT_OK);
  });

  it("exits 2 on a bare <address> approval, naming where it was written", () => {
    // The bypass: without a stack this approved the address in every environment's stack.
    const bare = io({ [APPROVE_ENV_VAR]: "aws_db_instance.database_instance_D7FC2283" });
    expect(runReviewCli(["--stack", "test-platform=destroy.json"], bare)).toBe(EXIT_USAGE);
    expect(bare.stderr.join("\n")).toContain(
      `review: ${APPROVE_ENV_VAR}: approval "aws_db_instance.database_instance_D7FC2283" names no stack: write <stack>:<address>`,
    );
    writeFileSync(
      join(root, "bare.txt"),
      "# ticket 7\naws_db_instance.database_instance_D7FC2283\n",
    );
    const fromFile = io();
    expect(
      runReviewCli(
        ["--approve-file", "bare.txt", "--stack", "test-platform=destroy.json"],
        fromFile,
      ),
    ).toBe(EXIT_USAGE);
    expect(fromFile.stderr.join("\n")).toContain("review: bare.txt line 2: approval");
  });

  it("exits 1 when an approval matches nothing in the plans, naming the file to remove it from", () => {
    writeFileSync(
      join(root, "stale.txt"),
      "test-platform:aws_db_instance.database_instance_D7FC2283\ntest-platform:aws_kms_key.old\n",
    );
    const cli = io();
    expect(
      runReviewCli(["--approve-file", "stale.txt", "--stack", "test-platform=destroy.json"], cli),
    ).toBe(EXIT_BLOCKED);
    expect(cli.stderr.join("\n")).toContain(
      "approval test-platform:aws_kms_key.old matches nothing in these plans: remove it from stale.txt",
    );
    expect(cli.stdout.join("")).toContain("**Destroy guard: failed.**");
    // Once the database was replaced, its approval is stale too: the next plan fails until the
    // line is removed.
    const after = io({
      [APPROVE_ENV_VAR]: "test-platform:aws_db_instance.database_instance_D7FC2283",
    });
    expect(runReviewCli(["test-platform.json"], after)).toBe(EXIT_BLOCKED);
    expect(after.stderr.join("\n")).toContain(`remove it from ${APPROVE_ENV_VAR}`);
  });

  it("writes --out instead of stdout", () => {
    const cli = io();
    expect(runReviewCli(["--out", "review.md", "test-platform.json"], cli)).toBe(EXIT_OK);
    expect(cli.stdout).toEqual([]);
    expect(readFileSync(join(root, "review.md"), "utf8")).toContain("## Plan review");
  });

  it("compares with the base branch's configuration (--base-env-dir)", () => {
    const cli = io();
    expect(runReviewCli(["--base-env-dir", "base", "test-platform.json"], cli)).toBe(EXIT_OK);
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
    expect(runReviewCli(["--base-env-dir", "invalid-base", "test-platform.json"], cli)).toBe(
      EXIT_OK,
    );
    expect(cli.stdout.join("")).toContain("The base configuration could not be loaded");
  });

  it("exits 2 on usage and input errors", () => {
    writeFileSync(join(root, "broken.json"), "{ not json");
    writeJson("state.json", { format_version: "1.0", values: {} });
    for (const argv of [
      [],
      ["--bogus", "test-platform.json"],
      ["broken.json"],
      ["state.json"],
      ["missing.json"],
      ["test-platform.json", "--stack", "test-platform=test-platform.json"],
      ["--env-dir", "nowhere", "test-platform.json"],
      ["--stack", "no-equals-sign"],
    ]) {
      const cli = io();
      expect({ argv, code: runReviewCli(argv, cli) }).toEqual({ argv, code: EXIT_USAGE });
      expect(cli.stderr.join("\n")).toMatch(/^review: /);
    }
  });
});
