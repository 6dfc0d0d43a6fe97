// The ONE plan-review comment of a pull request, created once and then updated in place
// (run by actions/github-script in .github/workflows/pull-request.yml).
"use strict";
const { readFileSync, existsSync, readdirSync } = require("node:fs");
const { join } = require("node:path");

/** Hidden marker that identifies the comment among the pull request's comments. */
const MARKER = "<!-- pgforks-plan-review -->";
/** The author of comments made with a workflow's GITHUB_TOKEN. */
const WORKFLOW_BOT = "github-actions[bot]";
/** GitHub rejects an issue comment body longer than this many characters. */
const GITHUB_COMMENT_LIMIT = 65536;

/**
 * The comment body: marker, header (commit and run), notes (deferred or failed plans), then the
 * review. A review that would push the body over GitHub's limit is replaced by a pointer to the
 * run's summary, so the comment is always accepted (the review CLI has its own budget; notes and
 * header come on top of it).
 */
function composeBody({ review, notes = [], sha = "", runUrl = "" }) {
  const header = [
    MARKER,
    `### Terraform plan review${sha ? ` for \`${sha.slice(0, 7)}\`` : ""}`,
    runUrl ? `[Workflow run](${runUrl}) (plans and raw output are kept as artifacts)` : "",
  ]
    .filter(Boolean)
    .join("\n");
  const noteText = notes.length > 0 ? `\n\n${notes.map((n) => `> ${n}`).join("\n>\n")}` : "";
  const full = `${header}${noteText}\n\n${review.trim()}\n`;
  if (full.length <= GITHUB_COMMENT_LIMIT) return full;
  const pointer = `The review is too long for a comment (${review.length} characters); read it in the [run summary](${runUrl || "#"}).`;
  return `${header}${noteText}\n\n${pointer}\n`.slice(0, GITHUB_COMMENT_LIMIT);
}

/** Creates the marked comment, or updates the one the workflow posted before. */
async function upsertComment({ github, context }, body) {
  const { owner, repo } = context.repo;
  const issue_number = context.payload.pull_request.number;
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner,
    repo,
    issue_number,
    per_page: 100,
  });
  // Only this workflow's own comment (github-actions[bot]): neither a person nor another app
  // (which may quote a pull request's text, marker included) is ever overwritten.
  const existing = comments.find(
    (c) =>
      c.user &&
      c.user.type === "Bot" &&
      c.user.login === WORKFLOW_BOT &&
      typeof c.body === "string" &&
      c.body.startsWith(MARKER),
  );
  if (existing) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
    return { action: "updated", id: existing.id };
  }
  const created = await github.rest.issues.createComment({ owner, repo, issue_number, body });
  return { action: "created", id: created.data.id };
}

/** Notes the plan jobs left (one Markdown line per *.md file in `dir`), sorted by file name. */
function readNotes(dir) {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => readFileSync(join(dir, f), "utf8").trim())
    .filter(Boolean);
}

/**
 * Entry point for actions/github-script: posts `reviewFile` (the review CLI's Markdown) with the
 * notes found in `notesDir`.
 */
async function run({ github, context, core }, { reviewFile = "review.md", notesDir } = {}) {
  const review = readFileSync(reviewFile, "utf8");
  const notes = readNotes(notesDir);
  const runUrl = `${context.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${context.runId}`;
  const sha = context.payload.pull_request?.head.sha || context.sha;
  const body = composeBody({ review, notes, sha, runUrl });
  const result = await upsertComment({ github, context }, body);
  core.info(`plan review comment ${result.action} (id ${result.id}, ${body.length} characters)`);
  return result;
}

module.exports = { MARKER, GITHUB_COMMENT_LIMIT, composeBody, upsertComment, readNotes, run };
