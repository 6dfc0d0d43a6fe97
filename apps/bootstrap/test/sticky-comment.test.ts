import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@pgforks/config";

// .github/scripts/sticky-comment.cjs, run by actions/github-script: ONE comment per pull request.
interface Comment {
  id: number;
  body: string;
  user: { type: string; login: string };
}
interface StickyComment {
  MARKER: string;
  GITHUB_COMMENT_LIMIT: number;
  composeBody(input: { review: string; notes?: string[]; sha?: string; runUrl?: string }): string;
  run(
    args: { github: unknown; context: unknown; core: { info(m: string): void } },
    files: { reviewFile: string; notesDir: string },
  ): Promise<{
    action: string;
    id: number;
  }>;
}
// CommonJS on purpose: actions/github-script require()s the script.
const sticky = require(join(repoRoot(), ".github/scripts/sticky-comment.cjs")) as StickyComment;

/** A fake of the Octokit surface the script uses, over an in-memory comment list. */
function fakeGithub(initial: Comment[]) {
  const comments = [...initial];
  const calls: string[] = [];
  let next = 1000;
  const github = {
    paginate: async (_fn: unknown, params: { issue_number: number }) => {
      calls.push(`list #${params.issue_number}`);
      return comments;
    },
    rest: {
      issues: {
        listComments: () => undefined,
        updateComment: async (p: { comment_id: number; body: string }) => {
          calls.push(`update ${p.comment_id}`);
          const found = comments.find((c) => c.id === p.comment_id);
          if (found) found.body = p.body;
        },
        createComment: async (p: { issue_number: number; body: string }) => {
          calls.push(`create #${p.issue_number}`);
          const comment = {
            id: next++,
            body: p.body,
            user: { type: "Bot", login: "github-actions[bot]" },
          };
          comments.push(comment);
          return { data: comment };
        },
      },
    },
  };
  return { github, comments, calls };
}

const context = {
  repo: { owner: "example-org", repo: "example-repo" },
  payload: { pull_request: { number: 7, head: { sha: "0123456789abcdef" } } },
  serverUrl: "https://github.com",
  runId: 42,
  sha: "fedcba",
};
const core = { info: () => undefined };
const tmp = mkdtempSync(join(tmpdir(), "pgforks-sticky-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function runWith(github: unknown, review: string, notes: Record<string, string> = {}) {
  const reviewFile = join(tmp, "review.md");
  const notesDir = mkdtempSync(join(tmp, "notes-"));
  writeFileSync(reviewFile, review);
  for (const [name, text] of Object.entries(notes)) writeFileSync(join(notesDir, name), text);
  return sticky.run({ github, context, core }, { reviewFile, notesDir });
}

describe("sticky plan-review comment", () => {
  it("uses the hidden marker the workflow looks for", () => {
    expect(sticky.MARKER).toBe("<!-- pgforks-plan-review -->");
    expect(sticky.GITHUB_COMMENT_LIMIT).toBe(65536);
  });

  it("creates the comment once, then updates the same comment in place", async () => {
    const fake = fakeGithub([{ id: 1, body: "LGTM", user: { type: "User", login: "alice" } }]);
    const first = await runWith(fake.github, "## Plan\n1 to add");
    const second = await runWith(fake.github, "## Plan\n2 to add");
    expect(first).toEqual({ action: "created", id: 1000 });
    expect(second).toEqual({ action: "updated", id: 1000 });
    expect(fake.calls).toEqual(["list #7", "create #7", "list #7", "update 1000"]);
    const mine = fake.comments.filter((c) => c.body.includes(sticky.MARKER));
    expect(mine).toHaveLength(1);
    expect(mine[0]?.body).toContain("2 to add");
    expect(mine[0]?.body).toContain("for `0123456`");
    expect(mine[0]?.body).toContain("https://github.com/example-org/example-repo/actions/runs/42");
  });

  it("never overwrites a person's comment that quotes the marker", async () => {
    const fake = fakeGithub([
      { id: 5, body: `quoting ${sticky.MARKER}`, user: { type: "User", login: "bob" } },
    ]);
    expect(await runWith(fake.github, "review")).toEqual({ action: "created", id: 1000 });
    expect(fake.comments.find((c) => c.id === 5)?.body).toBe(`quoting ${sticky.MARKER}`);
  });

  it("never overwrites another app's comment, even one that starts with the marker", async () => {
    // E.g. a bot that quotes the pull request's description, which anyone can make start with it.
    const quoted = `${sticky.MARKER}\n### Terraform plan review\nNo changes. (quoted from the PR body)`;
    const fake = fakeGithub([
      { id: 7, body: quoted, user: { type: "Bot", login: "summary-helper[bot]" } },
    ]);
    expect(await runWith(fake.github, "review")).toEqual({ action: "created", id: 1000 });
    expect(fake.comments.find((c) => c.id === 7)?.body).toBe(quoted);
  });

  it("shows the plan jobs' notes (deferred or failed plans) above the review", async () => {
    const fake = fakeGithub([]);
    await runWith(fake.github, "the review", {
      "prod-tenants.md": "**prod-tenants** is planned on main after **prod-platform** is applied",
      "ignored.txt": "not a note",
    });
    const body = fake.comments[0]?.body ?? "";
    expect(body.indexOf("planned on main")).toBeGreaterThan(-1);
    expect(body.indexOf("planned on main")).toBeLessThan(body.indexOf("the review"));
    expect(body).not.toContain("not a note");
  });

  it("stays under GitHub's 65,536-character limit, pointing at the run summary instead", () => {
    const review = "x".repeat(sticky.GITHUB_COMMENT_LIMIT);
    const body = sticky.composeBody({ review, runUrl: "https://run", notes: ["a note"] });
    expect(body.length).toBeLessThanOrEqual(sticky.GITHUB_COMMENT_LIMIT);
    expect(body).toContain(sticky.MARKER);
    expect(body).toContain("a note");
    expect(body).toContain("[run summary](https://run)");
    const small = sticky.composeBody({ review: "short", runUrl: "https://run" });
    expect(small).toContain("short");
  });
});
