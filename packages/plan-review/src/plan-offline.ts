#!/usr/bin/env tsx
/**
 * `npm run plan:offline -- --env <env> [--base <git ref>]`: what a pull request's plan comment
 * will show, on a laptop without AWS. Synthesizes the working tree's configuration, plans the
 * environment's platform stack with real Terraform through the offline harness and prints the
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
import { parseArgs } from "node:util";
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
import {
  APPROVE_ENV_VAR,
  EXIT_BLOCKED,
  EXIT_OK,
  EXIT_USAGE,
  isArgError,
  readApprovals,
  reportGuard,
} from "./run";

export const PLAN_OFFLINE_USAGE = `Usage:
  plan:offline --env <env> [--base <git ref>] [--out review.md] [--plan-out plan.json]
               [--approve-file <file>] [--max-chars 65536] [--work-dir .harness/plan-offline]

Plans <env>-platform of the working tree's configuration with real Terraform, offline (local
state, fake credentials, providers from the mirror), and prints the pull-request review.
  --base      git ref whose environments/<env> is the "before": the plan runs against a state
              fabricated from it, so you see the diff of your change (e.g. --base origin/main).
              Without it the stack is planned from an empty state.
  --out       write the review to a file instead of stdout
  --plan-out  also write the plan JSON (input of \`npm run review\`)
Approvals for the destroy guard: <stack>:<address>, in ${APPROVE_ENV_VAR} (comma separated) or
--approve-file (one per line); an approval for <env>-platform that matches nothing in its plan fails
the guard.
The <env>-tenants stack is not planned offline (it needs the applied platform and the database).
Exit codes: 0 ok, 1 the destroy guard fails (blocked resources or a stale approval), 2 usage,
configuration or setup error (also a bare <address> approval).`;

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

class UsageError extends Error {}

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

/** Runs the CLI; returns the exit code. */
export async function runPlanOffline(
  argv: readonly string[],
  io: PlanOfflineIo = defaultIo,
): Promise<number> {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        env: { type: "string" },
        base: { type: "string" },
        out: { type: "string" },
        "plan-out": { type: "string" },
        "approve-file": { type: "string" },
        "max-chars": { type: "string" },
        "work-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      io.out(PLAN_OFFLINE_USAGE);
      return EXIT_OK;
    }
    const env = values.env;
    if (!env) throw new UsageError("--env is required (e.g. --env prod)");
    const maxChars = values["max-chars"] === undefined ? undefined : Number(values["max-chars"]);
    if (maxChars !== undefined && (!Number.isInteger(maxChars) || maxChars < 1000)) {
      throw new UsageError("--max-chars must be an integer of at least 1000");
    }
    const root = io.root ?? repoRoot();
    const environments = defaultEnvironmentsDir(root);
    const at = (p: string) => resolve(io.cwd, p);
    const workDir = at(values["work-dir"] ?? join(root, ".harness", "plan-offline", env));
    const approvals = readApprovals(io.env, values["approve-file"], at);

    const started = performance.now();
    const after = loadEnvironment(env, environments);
    const stack = stackNames(env).platform;
    let head: PlannedHead;
    let context: ReviewContext;
    if (values.base !== undefined) {
      const baseDir = join(workDir, "base");
      const baseEnvironments = join(baseDir, "environments");
      rmSync(baseEnvironments, { recursive: true, force: true });
      readEnvironmentAtRef(root, environments, env, values.base, baseEnvironments);
      io.err(`${stack}: planning ${values.base}'s configuration and fabricating its state...`);
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
      `${stack}: plan ✓ (${formatChanges(summarizePlan(plan))}) against ${values.base !== undefined ? `a state fabricated from ${values.base}` : "an empty state"}, ${seconds(performance.now() - started)}`,
    );
    if (values["plan-out"] !== undefined)
      writeFileSync(at(values["plan-out"]), `${JSON.stringify(plan, null, 2)}\n`);

    const review = buildReview([{ stack, plan }], context);
    const notPlanned = head.notPlanned.map(
      (s) => `${s.stack} is not planned offline: ${s.reason}.`,
    );
    const tenantsNote =
      notPlanned.length > 0
        ? `${notPlanned.join(" ")} Its tenant lines come from the configuration; CI plans it through the SSM tunnel.`
        : undefined;
    const baseNote =
      values.base !== undefined
        ? [
            `Offline plan against a state fabricated from ${values.base}'s configuration (values only AWS knows are placeholders); the pull request plans against the real state.`,
          ]
        : [];
    const markdown = renderReview(
      { ...review, notes: [...review.notes, ...(tenantsNote ? [tenantsNote] : []), ...baseNote] },
      maxChars !== undefined ? { maxChars } : {},
    );
    if (values.out !== undefined) writeFileSync(at(values.out), markdown);
    else io.out(markdown);
    if (tenantsNote) io.err(`NOTE: ${tenantsNote}`);

    return reportGuard(review, io.err) ? EXIT_BLOCKED : EXIT_OK;
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`plan:offline: the configuration is invalid:\n${error.message}`);
      return EXIT_USAGE;
    }
    if (error instanceof UsageError || error instanceof ApprovalError || isArgError(error)) {
      io.err(`plan:offline: ${(error as Error).message}\n${PLAN_OFFLINE_USAGE}`);
      return EXIT_USAGE;
    }
    if (
      error instanceof GitRefError ||
      error instanceof TerraformNotFoundError ||
      error instanceof MirrorNotFoundError ||
      error instanceof OfflineModeRefusedError ||
      error instanceof TerraformCommandError
    ) {
      io.err(`plan:offline: ${error.message}`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

if (require.main === module) {
  runPlanOffline(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`plan:offline: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = EXIT_USAGE;
    },
  );
}
