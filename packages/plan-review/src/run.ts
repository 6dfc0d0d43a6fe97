/**
 * `pgforks review <plan.json>...` (npm run review): reads plan JSON files, the synthesized stacks and the
 * configuration, prints the Markdown review and exits 1 when the destroy guard blocks.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import {
  ConfigError,
  ENVIRONMENT_FILE,
  ENVIRONMENTS_DIR_VARIABLE,
  environmentNames,
  environmentsDirOverride,
  FileSystemError,
  type LoadedEnvironment,
  loadEnvironments,
  onFile,
  readWrittenInstanceSizings,
  type WrittenInstanceSizing,
} from "@pgforks/config";
import {
  APPROVALS_ENV_VAR,
  type Approval,
  ApprovalError,
  approvalKey,
  lossReason,
  parseApprovals,
  refuseRenamedApprovals,
} from "@pgforks/guard";
import { isPlanJson, type ReviewPlanJson, reviewActionOf } from "./plan-json";
import { loweringsDo, plural, renderReview } from "./render";
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
  // Saved by `terraform plan -out` although planning failed (Terraform 1.4+): what it deletes is
  // unknown, so the guard could only say "passed" about a part of the change.
  if (value.errored === true) {
    throw new UsageError(
      `${file}: the plan errored (errored: true): Terraform stopped before planning everything and the plan cannot be applied; fix the error terraform plan printed and plan again`,
    );
  }
  return { stack, plan: value };
}

/** What names the default configuration folder in a message. */
function envDirWhat(): string {
  return environmentsDirOverride() === undefined ? "--env-dir" : ENVIRONMENTS_DIR_VARIABLE;
}

function loadConfig(dir: string, what: string): LoadedEnvironment[] {
  if (!existsSync(dir)) throw new UsageError(`${what} ${dir} does not exist`);
  const names = environmentNames(dir);
  // A checkout's root (or any folder) instead of its environments/: every subfolder would be
  // an environment without files, and the base would be "not loadable with today's rules".
  if (names.length > 0 && !names.some((name) => existsSync(join(dir, name, ENVIRONMENT_FILE)))) {
    const nested = join(dir, "environments");
    throw new UsageError(
      `${what} ${dir} holds no environment folder (no <env>/${ENVIRONMENT_FILE} in ${names.join(", ")})${existsSync(nested) ? `: pass ${nested}` : ": pass the environments/ folder of a checkout"}`,
    );
  }
  return loadEnvironments(names, dir);
}

/** A plan file with its stack named explicitly (`--stack <stack>=<plan.json>`). */
export interface StackPlanFile {
  readonly stack: string;
  readonly file: string;
}

/** What `pgforks review` reviews, as commander parsed and checked it. */
export interface ReviewOptions {
  /** Plan files named after their stack (`<stack>.json`). Default: none. */
  readonly plans?: readonly string[];
  /** Plan files with their stack named explicitly. Default: none. */
  readonly stack?: readonly StackPlanFile[];
  /** Synthesized stacks. Default: `cdktf.out`; synthesized in memory if absent. */
  readonly outdir?: string;
  /** Configuration after the change. Default: PGFORKS_ENVIRONMENTS_DIR, else `environments`. */
  readonly envDir?: string;
  /** Configuration before the change (a checkout of the base). Default: none, no "before". */
  readonly baseEnvDir?: string;
  /** Approvals, one `<stack>:<address>` per line. Default: only those of {@link APPROVALS_ENV_VAR}. */
  readonly approveFile?: string;
  /** Write the review here instead of to `io.out`. */
  readonly out?: string;
  /** Longest review. Default: the renderer's (GitHub's comment limit). */
  readonly maxChars?: number;
}

/** Reviews the plans; returns the exit code. Paths are relative to `io.cwd`. */
export function runReview(options: ReviewOptions, io: ReviewCliIo = defaultIo): number {
  try {
    const at = (p: string) => resolve(io.cwd, p);
    const files = [
      ...(options.stack ?? []),
      ...(options.plans ?? []).map((file) => ({ stack: stackNameOfFile(file), file })),
    ];
    const plans: StackPlan[] = files.map(({ stack, file }) => readPlan(stack, at(file)));
    // Without plans, a base still makes a review: the configuration's changes (tenants, budget,
    // cost) of stacks a pull request does not plan, such as a tenants stack alone.
    if (plans.length === 0 && options.baseEnvDir === undefined) {
      throw new UsageError(
        "no plan given: name <stack>.json files or --stack <stack>=<plan.json> (or only --base-env-dir, for the configuration's changes)",
      );
    }
    const names = plans.map((p) => p.stack);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw new UsageError(`two plans for stack ${duplicate}`);
    const maxChars = options.maxChars;

    const notes: string[] = [];
    const after = loadConfig(
      options.envDir !== undefined
        ? at(options.envDir)
        : (environmentsDirOverride() ?? at("environments")),
      options.envDir !== undefined ? "--env-dir" : envDirWhat(),
    );
    let before: LoadedEnvironment[] | undefined;
    let beforeInstances: WrittenInstanceSizing[] | undefined;
    let beforeSynth: SynthOutput | undefined;
    let noBaseHint: string | undefined;
    if (options.baseEnvDir !== undefined) {
      try {
        before = loadConfig(at(options.baseEnvDir), "--base-env-dir");
        beforeSynth = synthesizeForReview(before);
      } catch (error) {
        if (error instanceof UsageError) throw error;
        before = undefined;
        try {
          beforeInstances = readWrittenInstanceSizings(at(options.baseEnvDir));
        } catch {
          beforeInstances = undefined; // no folder to read: nothing to judge against
        }
        notes.push(
          `The base configuration could not be loaded with today's rules, so there is no "before": ${error instanceof ConfigError ? error.message : (error as Error).message}`,
        );
        noBaseHint = `The base configuration (${options.baseEnvDir}) could not be loaded with today's rules (see the notes at the end), so there is no diff of costs or configuration.`;
      }
    }
    const outdir = at(options.outdir ?? "cdktf.out");
    let synth: SynthOutput;
    if (existsSync(outdir)) synth = loadSynthOutput(outdir);
    else {
      synth = synthesizeForReview(after);
      notes.push(`${outdir} does not exist: the working tree was synthesized in memory.`);
    }

    // A plan under a name that is no stack would be reviewed as a stack of its own: nothing
    // attributed to tenants, no cost, and the real stack shown as "not planned".
    for (const { stack, file } of files) {
      if (synth.stacks[stack] !== undefined) continue;
      const known = Object.keys(synth.stacks).sort().join(", ");
      throw new UsageError(
        `${file}: no stack named ${stack} (stacks: ${known}): name the file <stack>.json or pass --stack <stack>=${file}`,
      );
    }
    // A plan of another environment's stack under this stack's name (a renamed artifact, a
    // `terraform show -json` run in the wrong folder) would be reviewed, and guarded, as this one.
    for (const { stack, plan } of plans) {
      const planned = environmentTag(planProviderTags(plan));
      const synthesized = environmentTag(stackProviderTags(synth.stacks[stack]?.json));
      if (planned === undefined || synthesized === undefined || planned === synthesized) continue;
      const file = files.find((f) => f.stack === stack)?.file ?? stack;
      throw new UsageError(
        `${file}: a plan of environment ${planned} (its AWS provider's default tag environment = ${planned}), not of stack ${stack} (environment ${synthesized}): plan ${stack} itself, or name the file after the stack it is of`,
      );
    }
    // The same for a plan of another stack of the environment (the tenants stack's plan named
    // <env>-platform.json): what it creates, changes or keeps must be in the synthesized stack.
    for (const { stack, plan } of plans) {
      const json = synth.stacks[stack]?.json;
      const strangers = (plan.resource_changes ?? []).filter(
        (c) =>
          c.mode === "managed" &&
          c.module_address === undefined &&
          c.deposed === undefined &&
          !["delete", "forget"].includes(reviewActionOf(c.change.actions)) &&
          dig(json, "resource", c.type, c.name) === undefined,
      );
      const first = strangers[0];
      if (first === undefined) continue;
      const file = files.find((f) => f.stack === stack)?.file ?? stack;
      throw new UsageError(
        `${file}: ${strangers.length} resource(s) it plans are not in stack ${stack} (first: ${first.address}): a plan of another stack, or ${options.outdir ?? "cdktf.out"} is older than the plan (npm run synth); name the file after the stack it is of`,
      );
    }
    const approvals = readApprovals(io.env, options.approveFile, at, io.cwd);
    // A stack no environment has (a typo: prod-plaform) would wait, unmatched, for ever.
    for (const approval of approvals) {
      if (synth.stacks[approval.stack] !== undefined) continue;
      const known = Object.keys(synth.stacks).sort().join(", ");
      throw new ApprovalError(
        `${approval.source ?? "the approvals"}: approval "${approval.stack}:${approval.address}" names no stack of this configuration (stacks: ${known})`,
      );
    }
    const review = buildReview(plans, {
      synth,
      after,
      ...(before ? { before, beforeSynth } : {}),
      ...(beforeInstances ? { beforeInstances } : {}),
      ...(noBaseHint ? { noBaseHint } : {}),
      approvals,
      staleApprovals: io.env[STALE_APPROVALS_ENV_VAR] === "warn" ? "warn" : "fail",
    });
    const withNotes = notes.length > 0 ? { ...review, notes: [...review.notes, ...notes] } : review;
    const markdown = renderReview(withNotes, maxChars !== undefined ? { maxChars } : {});
    const out = options.out;
    if (out !== undefined) {
      onFile(at(out), "write the review (--out)", () => writeFileSync(at(out), markdown));
    } else io.out(markdown);

    return reportGuard(review, io.err) ? EXIT_BLOCKED : EXIT_OK;
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof ApprovalError ||
      error instanceof ConfigError ||
      error instanceof FileSystemError
    ) {
      io.err(`review: ${error.message}`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

/** The value at `path` below `value`, when every step is an object. */
function dig(value: unknown, ...path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>(
    (v, key) =>
      v !== null && typeof v === "object"
        ? (v as Record<string | number, unknown>)[key]
        : undefined,
    value,
  );
}

/** The `environment` tag among an AWS provider's default tags, when it is a plain string. */
function environmentTag(tags: unknown): string | undefined {
  const value = dig(tags, "environment");
  return typeof value === "string" ? value : undefined;
}

/** The default tags of the plan's AWS provider (`configuration.provider_config.aws`), as planned. */
function planProviderTags(plan: ReviewPlanJson): unknown {
  const tags = dig(plan.configuration, "provider_config", "aws", "expressions", "default_tags", 0);
  return dig(tags, "tags", "constant_value");
}

/** The default tags of a synthesized stack's AWS provider (`provider.aws[0]`). */
function stackProviderTags(json: unknown): unknown {
  return dig(json, "provider", "aws", 0, "default_tags", 0, "tags");
}

/**
 * Approvals from {@link APPROVALS_ENV_VAR} and `--approve-file` (named as given, so a stale one says
 * which file to edit). Throws ApprovalError on a bare address, a missing file, or approvals
 * under their earlier names (the old variable in `env`, the old file in the repository `root`).
 */
export function readApprovals(
  env: NodeJS.ProcessEnv,
  file: string | undefined,
  at: (path: string) => string,
  root: string,
): Approval[] {
  refuseRenamedApprovals(env, root);
  const fromEnv = parseApprovals(env[APPROVALS_ENV_VAR] ?? "", APPROVALS_ENV_VAR);
  if (file === undefined) return fromEnv;
  if (!existsSync(at(file))) throw new ApprovalError(`--approve-file ${file} does not exist`);
  const text = onFile(at(file), "read the approvals (--approve-file)", () =>
    readFileSync(at(file), "utf8"),
  );
  return [...fromEnv, ...parseApprovals(text, file)];
}

/**
 * Writes the destroy guard's failures to `err`: stateful resources deleted or replaced without
 * approval, and stale approvals. Returns whether the guard fails.
 */
export function reportGuard(review: Review, err: (text: string) => void): boolean {
  const { blocked, stale, lowered, moved, irreversible } = destroyGuard(review);
  if (blocked.length > 0) {
    err(
      `Destroy guard: ${blocked.length} stateful resource(s) deleted or replaced without approval:`,
    );
    for (const f of blocked) {
      const more = f.reason !== lossReason(f) ? `: ${f.reason.replace(/^blocked: /, "")}` : "";
      err(`  ${f.stack}:${f.address} (${f.stateful.what}, ${f.action})${more}`);
    }
    err(
      `Approve by listing them as <stack>:<address> in ${APPROVALS_ENV_VAR} (comma separated) or --approve-file.`,
    );
  }
  if (stale.length > 0) {
    err(`Destroy guard: ${stale.length} approval(s) match nothing in these plans:`);
    for (const s of stale) err(`  ${s.reason}`);
  }
  if (lowered.length > 0) {
    err(
      `Guard: ${plural(lowered.length, "change")} without approval ${loweringsDo(lowered)} of a production environment:`,
    );
    for (const l of lowered)
      err(
        `  ${l.stack}:${l.address} (${l.lowerings.map((x) => (x.deletes !== undefined ? `${x.deletes} DELETED: ${x.protection} ${x.before} → ${x.after}` : `${x.protection} ${x.before} → ${x.after}`)).join(", ")})`,
      );
    err(
      `Approve by listing them as <stack>:<address> in ${APPROVALS_ENV_VAR} (comma separated) or --approve-file.`,
    );
  }
  if (moved.length > 0) {
    err(
      `Guard: ${moved.length} change(s) of an environment's region, account or state backend without approval:`,
    );
    for (const m of moved)
      err(`  ${approvalKey(m)} (${m.before} → ${m.after}): ${m.reason.replace(/^blocked: /, "")}`);
    err(
      `Approve by listing them as <stack>:<address> in ${APPROVALS_ENV_VAR} (comma separated) or --approve-file.`,
    );
  }
  if (irreversible.length > 0) {
    err(
      `Guard: ${irreversible.length} lowered engine version or storage (RDS cannot do it) without approval:`,
    );
    for (const c of irreversible)
      err(`  ${approvalKey(c)} (${c.before} → ${c.after}): ${c.reason.replace(/^blocked: /, "")}`);
    err(
      `Approve by listing them as <stack>:<address> in ${APPROVALS_ENV_VAR} (comma separated) or --approve-file.`,
    );
  }
  return (
    blocked.length > 0 ||
    stale.length > 0 ||
    lowered.length > 0 ||
    moved.length > 0 ||
    irreversible.length > 0
  );
}
