import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { liveOnlyProviders, TerraformHarness } from "./harness";
import { MirrorNotFoundError } from "./mirror";
import { OfflineModeRefusedError } from "./offline";
import { DEFAULT_OUTDIR, DEFAULT_WORK_DIR, findRepoRoot } from "./repo";
import {
  countStatuses,
  exitCodeOf,
  formatChanges,
  formatReport,
  formatSummary,
  formatTimings,
} from "./report";
import { OutdirError } from "./stacks";
import { TerraformCommandError, TerraformNotFoundError } from "./terraform";

/** Exit code for usage and setup errors (no terraform, no mirror, synth failed, unknown stack). */
export const EXIT_SETUP_ERROR = 2;

/** Where the CLI writes; defaults to the process streams. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  cwd: process.cwd(),
};

class SetupError extends Error {}

/** The bootstrap app (one `bootstrap-<env>` stack per environment), synthesized beside the root app's. */
export const BOOTSTRAP_APP = join("apps", "bootstrap", "src", "main.ts");

/** Where `validate` writes the bootstrap stacks: `<outdir>.bootstrap`. */
export function bootstrapOutdir(outdir: string): string {
  return `${outdir}.bootstrap`;
}

/** Runs `npm run synth --silent` at the repo root (or `command`), writing to `outdir`. */
function synthesize(
  repoRoot: string,
  outdir: string,
  io: CliIo,
  command: readonly string[] = ["npm", "run", "synth", "--silent"],
  label = "synth",
): Promise<number> {
  if (!existsSync(join(repoRoot, "apps", "main.ts"))) {
    throw new SetupError(
      `Cannot synthesize: ${join(repoRoot, "apps", "main.ts")} does not exist. Pass --no-synth to use an existing --outdir.`,
    );
  }
  const started = performance.now();
  const [binary, ...args] = command;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(binary ?? "npm", args, {
      cwd: repoRoot,
      env: { ...io.env, CDKTF_OUTDIR: outdir },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", reject);
    child.on("close", (code) => {
      io.out(
        `${label} ${code === 0 ? "✓" : "✗"}  ${((performance.now() - started) / 1000).toFixed(1)}s`,
      );
      resolvePromise(code ?? 1);
    });
  });
}

/** The options `validate` and `plan` share, as commander parsed them. */
export interface HarnessOptions {
  /** Synthesized stacks. Default: `<repo>/cdktf.out`. */
  readonly outdir?: string;
  /** Scratch copies. Default: `<repo>/.harness`. */
  readonly workDir?: string;
  /** Synthesize first (`npm run synth`). Default: true (`--no-synth` sets false). */
  readonly synth?: boolean;
}

/** `pgforks validate`'s options. */
export interface ValidateOptions extends HarnessOptions {
  /** Only these stacks. Default: every stack, and the bootstrap app's too (without --outdir). */
  readonly stack?: readonly string[];
}

/** `pgforks plan`'s options. */
export interface PlanCommandOptions extends HarnessOptions {
  /** The stack to plan. Required. */
  readonly stack: string;
  /** Write the plan JSON (`terraform show -json`) here. Default: not written. */
  readonly jsonOut?: string;
  /** Plan against this state file. Default: an empty state. */
  readonly priorState?: string;
}

interface Prepared {
  readonly repoRoot: string;
  readonly outdir: string;
  readonly workDir: string;
  readonly harness: TerraformHarness;
}

/**
 * The repository, the outdir and its harness, synthesized first unless `synth` is false; the exit
 * code instead when synth failed.
 */
async function prepare(options: HarnessOptions, io: CliIo): Promise<Prepared | number> {
  const repoRoot = findRepoRoot(io.cwd);
  const outdir = resolve(io.cwd, options.outdir ?? join(repoRoot, DEFAULT_OUTDIR));
  const workDir = resolve(io.cwd, options.workDir ?? join(repoRoot, DEFAULT_WORK_DIR));
  const harness = new TerraformHarness({ outdir, workDir, env: io.env });
  if (options.synth !== false) {
    const code = await synthesize(repoRoot, outdir, io);
    if (code !== 0) {
      io.err(`Synth failed (exit ${code}); nothing validated.`);
      return EXIT_SETUP_ERROR;
    }
  }
  return { repoRoot, outdir, workDir, harness };
}

/** `validate`: returns the exit code (0 ok, 1 a stack failed, 2 setup error). */
export function runValidate(options: ValidateOptions, io: CliIo = defaultIo): Promise<number> {
  return reportSetupErrors(io, async () => {
    const prepared = await prepare(options, io);
    if (typeof prepared === "number") return prepared;
    const { repoRoot, outdir, workDir, harness } = prepared;
    const known = harness.stacks();
    for (const name of options.stack ?? []) harness.stack(name);
    const names = options.stack ?? known.map((stack) => stack.name);
    // Without --stack or --outdir, the bootstrap app's stacks are validated too.
    const withBootstrap =
      options.stack === undefined &&
      options.outdir === undefined &&
      options.synth !== false &&
      existsSync(join(repoRoot, BOOTSTRAP_APP));
    let bootstrap: TerraformHarness | undefined;
    if (withBootstrap) {
      const bootstrapDir = bootstrapOutdir(outdir);
      const code = await synthesize(
        repoRoot,
        bootstrapDir,
        io,
        ["npx", "tsx", BOOTSTRAP_APP],
        "bootstrap synth",
      );
      if (code !== 0) {
        io.err(`Bootstrap synth failed (exit ${code}); nothing validated.`);
        return EXIT_SETUP_ERROR;
      }
      bootstrap = new TerraformHarness({
        outdir: bootstrapDir,
        workDir: join(workDir, "bootstrap"),
        env: io.env,
      });
    }
    const bootstrapNames = bootstrap?.stacks().map((stack) => stack.name) ?? [];
    const width = Math.max(...[...names, ...bootstrapNames].map((name) => name.length)) + 3;
    io.out(
      `mirror ${harness.mirror.path} (${harness.mirror.providers.map((p) => `${p.source} ${p.versions.join("|")}`).join(", ")})`,
    );
    const reports = [
      ...(await harness.checkAll(names, (report) => io.out(formatReport(report, width)))),
      ...(bootstrap
        ? await bootstrap.checkAll(bootstrapNames, (report) => io.out(formatReport(report, width)))
        : []),
    ];
    io.out(formatSummary(reports));
    const counts = countStatuses(reports);
    if (counts.passed === 0 && counts.failed === 0) io.out("Nothing was validated.");
    return exitCodeOf(reports);
  });
}

/** `plan`: returns the exit code (0 planned, 1 the plan failed, 2 setup error). */
export function runPlan(options: PlanCommandOptions, io: CliIo = defaultIo): Promise<number> {
  return reportSetupErrors(io, async () => {
    const prepared = await prepare(options, io);
    if (typeof prepared === "number") return prepared;
    return planCommand(prepared.harness, options.stack, options.jsonOut, options.priorState, io);
  });
}

/** Setup errors (no terraform, no mirror, unknown stack, ...) as one line, exit 2. */
async function reportSetupErrors(io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (
      error instanceof SetupError ||
      error instanceof TerraformNotFoundError ||
      error instanceof MirrorNotFoundError ||
      error instanceof OfflineModeRefusedError ||
      error instanceof OutdirError ||
      (error instanceof Error && error.name === "StackNotRunnableError")
    ) {
      io.err(`error: ${error.message}`);
      return EXIT_SETUP_ERROR;
    }
    throw error;
  }
}

async function planCommand(
  harness: TerraformHarness,
  name: string,
  jsonOut: string | undefined,
  priorStateFile: string | undefined,
  io: CliIo,
): Promise<number> {
  const stack = harness.stack(name);
  if (!stack.offline.runnable) {
    io.err(`${name}: not validated: ${stack.offline.reason}`);
    return EXIT_SETUP_ERROR;
  }
  // Its plan would stop at "No value for required variable tenant_passwords" (the offline run
  // drops TF_VAR_*), and past that at a connection error: say why before running Terraform.
  const live = liveOnlyProviders(stack);
  if (live) {
    io.err(
      `${name}: not planned offline: it ${live}; validate checks it offline (npm run validate -- --stack ${name})`,
    );
    return EXIT_SETUP_ERROR;
  }
  const priorState = priorStateFile
    ? (JSON.parse(readFileSync(resolve(io.cwd, priorStateFile), "utf8")) as object)
    : undefined;
  let result: Awaited<ReturnType<TerraformHarness["plan"]>>;
  try {
    result = await harness.plan(name, priorState ? { priorState } : {});
  } catch (error) {
    if (!(error instanceof TerraformCommandError)) throw error;
    io.out(`${name}  plan ✗\n${error.message}`);
    return 1;
  }
  for (const change of result.plan.resource_changes ?? []) {
    const actions = change.change.actions.join(",");
    if (actions !== "no-op") io.out(`  ${actions.padEnd(14)} ${change.address}`);
  }
  io.out(`${name}  plan ✓ (${formatChanges(result.changes)})  ${formatTimings(result.timings)}`);
  if (jsonOut) {
    const file = resolve(io.cwd, jsonOut);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(result.plan, null, 2)}\n`);
    io.out(`plan JSON written to ${file}`);
  }
  return 0;
}
