import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@pgforks/config";

// .github/scripts/review-plan.sh with a fake `npm` that records its arguments, writes the --out
// file and exits with a chosen status (0 ok, 1 guard blocked, 2 error), in a throw-away git repo.
const script = join(repoRoot(), ".github/scripts/review-plan.sh");
const tmp = mkdtempSync(join(tmpdir(), "pgforks-review-sh-"));
const repo = join(tmp, "repo");
const bin = join(tmp, "bin");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function git(...args: string[]) {
  const run = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
    cwd: repo,
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return run.stdout.trim();
}

beforeAll(() => {
  mkdirSync(join(repo, "environments", "dev"), { recursive: true });
  writeFileSync(join(repo, "environments", "dev", "tenants.yaml"), "before\n");
  git("init", "-q");
  git("add", ".");
  git("commit", "-qm", "base");
  writeFileSync(join(repo, "environments", "dev", "tenants.yaml"), "after\n");
  mkdirSync(bin);
  writeFileSync(
    join(bin, "npm"),
    `#!/usr/bin/env node
const args = process.argv.slice(2);
const fs = require("fs");
fs.writeFileSync(${JSON.stringify(join(tmp, "npm-args.json"))}, JSON.stringify(args));
const base = args[args.indexOf("--base-env-dir") + 1];
const seen = args.includes("--base-env-dir") ? fs.readFileSync(base + "/dev/tenants.yaml", "utf8").trim() : "none";
fs.writeFileSync(args[args.indexOf("--out") + 1], "## review (base: " + seen + ")\\n");
process.exit(Number(process.env.FAKE_STATUS || 0));
`,
  );
  chmodSync(join(bin, "npm"), 0o755);
});

function review(env: Record<string, string>, ...args: string[]) {
  const summary = join(tmp, "summary.md");
  writeFileSync(summary, "");
  rmSync(join(tmp, "npm-args.json"), { force: true });
  const run = spawnSync("bash", [script, ...args], {
    cwd: repo,
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      RUNNER_TEMP: tmp,
      GITHUB_STEP_SUMMARY: summary,
      ...env,
    },
    encoding: "utf8",
  });
  // Absent when the script stopped before running the review.
  const argsFile = join(tmp, "npm-args.json");
  const npmArgs = existsSync(argsFile)
    ? (JSON.parse(readFileSync(argsFile, "utf8")) as string[])
    : [];
  return { ...run, npmArgs, summary: readFileSync(summary, "utf8") };
}

describe("review-plan.sh", () => {
  it("runs the review CLI on the plans and appends its Markdown to the job summary", () => {
    const run = review({}, "--stack", "dev-platform=cdktf.out/stacks/dev-platform/plan.json");
    expect(run.status).toBe(0);
    expect(run.npmArgs).toEqual([
      "run",
      "--silent",
      "review",
      "--",
      "--outdir",
      "cdktf.out",
      "--out",
      join(tmp, "plan-review.md"),
      "--stack",
      "dev-platform=cdktf.out/stacks/dev-platform/plan.json",
    ]);
    expect(run.summary).toBe("## review (base: none)\n");
  });

  it("passes the base revision's environments/ and the committed approvals", () => {
    mkdirSync(join(repo, ".github"), { recursive: true });
    writeFileSync(
      join(repo, ".github", "approved-changes.txt"),
      "dev-platform:aws_db_instance.x\n",
    );
    try {
      const run = review(
        { BASE_REF: "HEAD", REVIEW_OUT: join(tmp, "review.md") },
        "plans/dev-platform.json",
      );
      expect(run.status).toBe(0);
      expect(run.npmArgs).toEqual(
        expect.arrayContaining([
          "--approve-file",
          ".github/approved-changes.txt",
          "--base-env-dir",
          join(tmp, "review-base", "environments"),
        ]),
      );
      // The committed (base) content, not the working tree's.
      expect(readFileSync(join(tmp, "review.md"), "utf8")).toBe("## review (base: before)\n");
    } finally {
      rmSync(join(repo, ".github"), { recursive: true, force: true });
    }
  });

  it("with no plan but a base, reviews the configuration's changes (a tenants stack alone)", () => {
    const run = review({ BASE_REF: "HEAD" });
    expect(run.status).toBe(0);
    expect(run.npmArgs.slice(4)).toEqual([
      "--outdir",
      "cdktf.out",
      "--base-env-dir",
      join(tmp, "review-base", "environments"),
      "--out",
      join(tmp, "plan-review.md"),
    ]);
    expect(run.summary).toBe("## review (base: before)\n");
  });

  it("with neither a plan nor a base, is a usage error (exit 2) and runs nothing", () => {
    const run = review({});
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("usage: ");
    expect(run.npmArgs).toEqual([]);
  });

  it("ignores a base revision that does not exist (first push, zero SHA)", () => {
    const run = review(
      { BASE_REF: "0000000000000000000000000000000000000000" },
      "plans/dev-platform.json",
    );
    expect(run.status).toBe(0);
    expect(run.npmArgs).not.toContain("--base-env-dir");
  });

  it("exits 1 with an error annotation when the destroy guard blocks, after writing the summary", () => {
    const run = review({ FAKE_STATUS: "1" }, "plans/prod-platform.json");
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("::error::the destroy guard blocked this plan");
    // Exit 1 also means a stale approval: the annotation says where to look.
    expect(run.stdout).toContain("an approval in .github/approved-changes.txt matches nothing");
    expect(run.summary).toContain("## review");
  });

  it("refuses approvals in the file's earlier name instead of ignoring them, exit 2", () => {
    mkdirSync(join(repo, ".github"), { recursive: true });
    writeFileSync(
      join(repo, ".github", "destroy-approvals.txt"),
      "dev-platform:aws_db_instance.x\n",
    );
    try {
      const run = review({}, "plans/dev-platform.json");
      expect(run.status).toBe(2);
      expect(run.stdout).toBe(
        "::error::.github/destroy-approvals.txt was renamed to .github/approved-changes.txt (approvals now cover destroys and lowered protections): move its lines there\n",
      );
      // The review never ran.
      expect(run.npmArgs).toEqual([]);
    } finally {
      rmSync(join(repo, ".github"), { recursive: true, force: true });
    }
  });

  it("exits with the CLI's error status otherwise", () => {
    const run = review({ FAKE_STATUS: "2" }, "plans/prod-platform.json");
    expect(run.status).toBe(2);
    expect(run.stdout).toContain("::error::the plan review failed (exit 2)");
  });
});
