/**
 * `pgforks review offline --env <env> [--base <git ref>]` (npm run plan:offline): what a pull
 * request's plan comment will show, on a laptop without AWS. Synthesizes the working tree's
 * configuration, plans the environment's platform stack with real Terraform through the offline harness and prints the
 * review. With --base, the prior state is fabricated from the base ref's configuration (read
 * with `git show`), so the review shows the diff of your change; without it, the stack is
 * planned from an empty state (everything is created).
 *
 * The tenants stack is not planned offline: it needs the platform's applied outputs and a live
 * database, even where the postgresql provider is in the mirror.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import {
  ConfigError,
  environmentsDir as defaultEnvironmentsDir,
  ENVIRONMENT_FILE,
  loadEnvironment,
  repoRoot,
  TENANTS_FILE,
} from "@pgforks/config";
import { ApprovalError } from "@pgforks/guard";
import { stackNames } from "@pgforks/stacks";
import {
  formatChanges,
  MirrorNotFoundError,
  OfflineModeRefusedError,
  summarizePlan,
  TerraformCommandError,
  TerraformNotFoundError,
} from "@pgforks/terraform-harness";
import { type PlannedHead, planAgainstBase, planBase, planFromEmpty } from "./offline-plans";
import { renderReview } from "./render";
import { buildReview, type ReviewContext } from "./review";
import { EXIT_BLOCKED, EXIT_OK, EXIT_USAGE, readApprovals, reportGuard } from "./run";

/** Where the CLI reads and writes. */
export interface PlanOfflineIo {
  /** The review (stdout). */
  readonly out: (text: string) => void;
  /** Progress and errors (stderr). */
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Repository root (environments/, git). Default: found from this package. */
  readonly root?: string;
}

const defaultIo: PlanOfflineIo = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  cwd: process.cwd(),
};

/** Raised when a file cannot be read at a git ref. */
export class GitRefError extends Error {
  override readonly name = "GitRefError";
}

/**
 * Writes `<target>/<env>/environment.yaml` and tenants.yaml as they are at `ref`
 * (`git show <ref>:<path>`), `environmentsDir` being the environments folder inside the
 * repository at `root`. Throws {@link GitRefError} when git cannot show them.
 */
export function readEnvironmentAtRef(
  root: string,
  environmentsDir: string,
  env: string,
  ref: string,
  target: string,
): void {
  mkdirSync(join(target, env), { recursive: true });
  for (const file of [ENVIRONMENT_FILE, TENANTS_FILE]) {
    // git paths are relative to the repository root and always use "/".
    const path = relative(root, join(environmentsDir, env, file))
      .split("\\")
      .join("/");
    const shown = spawnSync("git", ["show", `${ref}:${path}`], {
      cwd: root,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (shown.error) throw new GitRefError(`cannot run git: ${shown.error.message}`);
    if (shown.status !== 0) {
      throw new GitRefError(`git show ${ref}:${path} failed: ${shown.stderr.trim()}`);
    }
    writeFileSync(join(target, env, file), shown.stdout);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** What `pgforks review offline` plans, as commander parsed and checked it. */
export interface PlanOfflineOptions {
  /** The environment whose `<env>-platform` stack is planned. Required. */
  readonly env: string;
  /** Git ref whose configuration is the "before". Default: none, planned from an empty state. */
  readonly base?: string;
  /** Write the review here instead of to `io.out`. */
  readonly out?: string;
  /** Also write the plan JSON here. Default: not written. */
  readonly planOut?: string;
  /** Approvals, one `<stack>:<address>` per line. Default: only those of the environment variable. */
  readonly approveFile?: string;
  /** Longest review. Default: the renderer's (GitHub's comment limit). */
  readonly maxChars?: number;
  /** Scratch folder. Default: `<root>/.harness/plan-offline/<env>`. */
  readonly workDir?: string;
}

/** Plans and reviews; returns the exit code. Paths are relative to `io.cwd`. */
export async function runPlanOffline(
  options: PlanOfflineOptions,
  io: PlanOfflineIo = defaultIo,
): Promise<number> {
  try {
    const { env, base: baseRef, maxChars } = options;
    const root = io.root ?? repoRoot();
    // PGFORKS_ENVIRONMENTS_DIR too, as every command (a root given by the caller wins).
    const environments = defaultEnvironmentsDir(io.root);
    const at = (p: string) => resolve(io.cwd, p);
    const workDir = at(options.workDir ?? join(root, ".harness", "plan-offline", env));
    const approvals = readApprovals(io.env, options.approveFile, at, root);

    const started = performance.now();
    const after = loadEnvironment(env, environments);
    const stack = stackNames(env).platform;
    let head: PlannedHead;
    let context: ReviewContext;
    if (baseRef !== undefined) {
      const baseDir = join(workDir, "base");
      const baseEnvironments = join(baseDir, "environments");
      rmSync(baseEnvironments, { recursive: true, force: true });
      readEnvironmentAtRef(root, environments, env, baseRef, baseEnvironments);
      io.err(`${stack}: planning ${baseRef}'s configuration and fabricating its state...`);
      const base = await planBase(env, baseDir, {
        environmentsDir: baseEnvironments,
        reuseSettled: true,
      });
      io.err(`${stack}: base state settled in ${base.rounds} round(s), ${seconds(base.ms)}`);
      head = await planAgainstBase(base, environments, join(workDir, "head"));
      context = {
        synth: head.synth,
        beforeSynth: base.synth,
        after: [head.environment],
        before: [base.environment],
        approvals,
      };
    } else {
      head = await planFromEmpty(after, join(workDir, "head"));
      context = {
        synth: head.synth,
        after: [after],
        approvals,
        noBaseHint:
          "Offline plan against an empty state: everything shows as created and only the cost after the change is known. Pass `--base origin/main` (or any git ref) to see the diff of your change.",
      };
    }
    const { plan } = head;
    io.err(
      `${stack}: plan ✓ (${formatChanges(summarizePlan(plan))}) against ${baseRef !== undefined ? `a state fabricated from ${baseRef}` : "an empty state"}, ${seconds(performance.now() - started)}`,
    );
    if (options.planOut !== undefined)
      writeFileSync(at(options.planOut), `${JSON.stringify(plan, null, 2)}\n`);

    const review = buildReview([{ stack, plan }], context);
    const notPlanned = head.notPlanned.map(
      (s) => `${s.stack} is not planned offline: ${s.reason}.`,
    );
    const tenantsNote =
      notPlanned.length > 0
        ? `${notPlanned.join(" ")} Its tenant lines come from the configuration; CI plans it through the SSM tunnel.`
        : undefined;
    const baseNote =
      baseRef !== undefined
        ? [
            `Offline plan against a state fabricated from ${baseRef}'s configuration (values only AWS knows are placeholders); the pull request plans against the real state.`,
          ]
        : [];
    const markdown = renderReview(
      { ...review, notes: [...review.notes, ...(tenantsNote ? [tenantsNote] : []), ...baseNote] },
      maxChars !== undefined ? { maxChars } : {},
    );
    if (options.out !== undefined) writeFileSync(at(options.out), markdown);
    else io.out(markdown);
    if (tenantsNote) io.err(`NOTE: ${tenantsNote}`);

    return reportGuard(review, io.err) ? EXIT_BLOCKED : EXIT_OK;
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`review offline: the configuration is invalid:\n${error.message}`);
      return EXIT_USAGE;
    }
    if (
      error instanceof ApprovalError ||
      error instanceof GitRefError ||
      error instanceof TerraformNotFoundError ||
      error instanceof MirrorNotFoundError ||
      error instanceof OfflineModeRefusedError ||
      error instanceof TerraformCommandError
    ) {
      io.err(`review offline: ${error.message}`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
