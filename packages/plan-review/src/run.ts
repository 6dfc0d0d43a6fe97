/**
 * `npm run review -- <plan.json>...`: reads plan JSON files, the synthesized stacks and the
 * configuration, prints the Markdown review and exits 1 when the destroy guard blocks.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  ConfigError,
  environmentNames,
  type LoadedEnvironment,
  loadEnvironments,
} from "@pgforks/config";
import { type Approval, ApprovalError, parseApprovals } from "@pgforks/guard";
import { isPlanJson } from "./plan-json";
import { renderReview } from "./render";
import { buildReview, destroyGuard, type Review, type StackPlan } from "./review";
import { loadSynthOutput, type SynthOutput } from "./synth-output";
import { synthesizeForReview } from "./synthesize";

/** Exit codes: 0 reviewed, 1 the destroy guard blocks, 2 usage or input error. */
export const EXIT_OK = 0;
export const EXIT_BLOCKED = 1;
export const EXIT_USAGE = 2;

/**
 * Environment variable that turns stale approvals into warnings ("warn"); the default fails the
 * guard. Main's deploy sets it: after an approved change is applied, re-plans of that stack must
 * not fail until a pull request removes the line.
 */
export const STALE_APPROVALS_ENV_VAR = "PGFORKS_STALE_APPROVALS";

/** Environment variable with approvals for the destroy guard (`<stack>:<address>`, comma separated). */
export const APPROVE_ENV_VAR = "PGFORKS_APPROVE_DESTROY";

export const USAGE = `Usage:
  review [--outdir cdktf.out] [--env-dir environments] [--base-env-dir <dir>]
         [--approve-file <file>] [--out review.md] [--max-chars 65536]
         [--stack <stack>=<plan.json>]... [<plan.json>...]

Reads \`terraform show -json\` output of saved plans and prints a Markdown review.
A positional <plan.json> is named after its file: <stack>.json (also <stack>.plan.json,
<stack>.tfplan.json); --stack gives the name explicitly.
  --outdir        synthesized stacks (manifest.json, cdk.tf.json); synthesized in memory if absent
  --env-dir       configuration after the change (default: environments)
  --base-env-dir  configuration before the change, e.g. a checkout of the base branch
  --approve-file  approvals for the destroy guard, one <stack>:<address> per line (# comments)
Approvals also come from ${APPROVE_ENV_VAR} (comma separated). The stack is required: the same
address exists in every environment's stack. An approval for a planned stack that matches no
stateful deletion or replacement in its plan fails the guard: remove it once its change is applied.
Exit codes: 0 ok, 1 the destroy guard fails (a stateful resource deleted or replaced without
approval, or a stale approval; the reasons go to stderr), 2 usage or input error (also a bare
<address> approval).`;

/** Where the CLI reads and writes. */
export interface ReviewCliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

const defaultIo: ReviewCliIo = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  cwd: process.cwd(),
};

class UsageError extends Error {}

/** The stack a plan file is named after: `prod-platform.json` -> prod-platform. */
export function stackNameOfFile(file: string): string {
  return basename(file)
    .replace(/\.json$/i, "")
    .replace(/\.(tf)?plan$/i, "");
}

function readPlan(stack: string, file: string): StackPlan {
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${file}: not JSON (${(error as Error).message})`);
  }
  if (!isPlanJson(value)) {
    throw new UsageError(
      `${file}: not the JSON of a saved plan (expected \`terraform show -json <planfile>\` output with format_version and resource_changes)`,
    );
  }
  return { stack, plan: value };
}

function loadConfig(dir: string, what: string): LoadedEnvironment[] {
  if (!existsSync(dir)) throw new UsageError(`${what} ${dir} does not exist`);
  return loadEnvironments(environmentNames(dir), dir);
}

/** Runs the CLI; returns the exit code. */
export function runReviewCli(argv: readonly string[], io: ReviewCliIo = defaultIo): number {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        outdir: { type: "string" },
        "env-dir": { type: "string" },
        "base-env-dir": { type: "string" },
        "approve-file": { type: "string" },
        out: { type: "string" },
        "max-chars": { type: "string" },
        stack: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      io.out(USAGE);
      return EXIT_OK;
    }
    const at = (p: string) => resolve(io.cwd, p);
    const plans: StackPlan[] = [];
    for (const pair of values.stack ?? []) {
      const [stack, file] = pair.split(/=(.*)/s);
      if (!stack || !file)
        throw new UsageError(`--stack expects <stack>=<plan.json>, got "${pair}"`);
      plans.push(readPlan(stack, at(file)));
    }
    for (const file of positionals) plans.push(readPlan(stackNameOfFile(file), at(file)));
    if (plans.length === 0) throw new UsageError("no plan given");
    const names = plans.map((p) => p.stack);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw new UsageError(`two plans for stack ${duplicate}`);
    const maxChars = values["max-chars"] === undefined ? undefined : Number(values["max-chars"]);
    if (maxChars !== undefined && (!Number.isInteger(maxChars) || maxChars < 1000)) {
      throw new UsageError("--max-chars must be an integer of at least 1000");
    }

    const notes: string[] = [];
    const after = loadConfig(at(values["env-dir"] ?? "environments"), "--env-dir");
    let before: LoadedEnvironment[] | undefined;
    let beforeSynth: SynthOutput | undefined;
    if (values["base-env-dir"] !== undefined) {
      try {
        before = loadConfig(at(values["base-env-dir"]), "--base-env-dir");
        beforeSynth = synthesizeForReview(before);
      } catch (error) {
        if (error instanceof UsageError) throw error;
        before = undefined;
        notes.push(
          `The base configuration could not be loaded with today's rules, so there is no "before": ${error instanceof ConfigError ? error.message : (error as Error).message}`,
        );
      }
    }
    const outdir = at(values.outdir ?? "cdktf.out");
    let synth: SynthOutput;
    if (existsSync(outdir)) synth = loadSynthOutput(outdir);
    else {
      synth = synthesizeForReview(after);
      notes.push(`${outdir} does not exist: the working tree was synthesized in memory.`);
    }

    const approvals = readApprovals(io.env, values["approve-file"], at);
    const review = buildReview(plans, {
      synth,
      after,
      ...(before ? { before, beforeSynth } : {}),
      approvals,
      staleApprovals: io.env[STALE_APPROVALS_ENV_VAR] === "warn" ? "warn" : "fail",
    });
    const withNotes = notes.length > 0 ? { ...review, notes: [...review.notes, ...notes] } : review;
    const markdown = renderReview(withNotes, maxChars !== undefined ? { maxChars } : {});
    if (values.out !== undefined) writeFileSync(at(values.out), markdown);
    else io.out(markdown);

    return reportGuard(review, io.err) ? EXIT_BLOCKED : EXIT_OK;
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof ApprovalError ||
      error instanceof ConfigError ||
      isArgError(error)
    ) {
      io.err(`review: ${(error as Error).message}`);
      if (!(error instanceof ConfigError)) io.err(USAGE);
      return EXIT_USAGE;
    }
    throw error;
  }
}

/**
 * Approvals from {@link APPROVE_ENV_VAR} and `--approve-file` (named as given, so a stale one says
 * which file to edit). Throws ApprovalError on a bare address or a missing file.
 */
export function readApprovals(
  env: NodeJS.ProcessEnv,
  file: string | undefined,
  at: (path: string) => string,
): Approval[] {
  const fromEnv = parseApprovals(env[APPROVE_ENV_VAR] ?? "", APPROVE_ENV_VAR);
  if (file === undefined) return fromEnv;
  if (!existsSync(at(file))) throw new ApprovalError(`--approve-file ${file} does not exist`);
  return [...fromEnv, ...parseApprovals(readFileSync(at(file), "utf8"), file)];
}

/**
 * Writes the destroy guard's failures to `err`: stateful resources deleted or replaced without
 * approval, and stale approvals. Returns whether the guard fails.
 */
export function reportGuard(review: Review, err: (text: string) => void): boolean {
  const { blocked, stale, lowered } = destroyGuard(review);
  if (blocked.length > 0) {
    err(
      `Destroy guard: ${blocked.length} stateful resource(s) deleted or replaced without approval:`,
    );
    for (const f of blocked) err(`  ${f.stack}:${f.address} (${f.stateful.what}, ${f.action})`);
    err(
      `Approve by listing them as <stack>:<address> in ${APPROVE_ENV_VAR} (comma separated) or --approve-file.`,
    );
  }
  if (stale.length > 0) {
    err(`Destroy guard: ${stale.length} approval(s) match nothing in these plans:`);
    for (const s of stale) err(`  ${s.reason}`);
  }
  if (lowered.length > 0) {
    err(`Guard: ${lowered.length} protection lowering(s) in production without approval:`);
    for (const l of lowered)
      err(
        `  ${l.stack}:${l.address} (${l.lowerings.map((x) => `${x.protection} ${x.before} → ${x.after}`).join(", ")})`,
      );
    err(
      `Approve by listing them as <stack>:<address> in ${APPROVE_ENV_VAR} (comma separated) or --approve-file.`,
    );
  }
  return blocked.length > 0 || stale.length > 0 || lowered.length > 0;
}

/** node:util parseArgs errors (unknown option, missing value). */
export function isArgError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}
