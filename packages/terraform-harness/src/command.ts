import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { TerraformHarness } from "./harness";
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

export const USAGE = `Usage:
  terraform-harness validate [--stack <name>]... [--outdir cdktf.out] [--work-dir .harness] [--no-synth]
  terraform-harness plan --stack <name> [--json-out plan.json] [--prior-state state.json]
                         [--outdir cdktf.out] [--work-dir .harness] [--no-synth]

Runs real Terraform offline (local backend, fake AWS credentials, providers from the filesystem
mirror only) on copies of the synthesized stacks. Synthesizes first (npm run synth) unless --no-synth.
Environment: PGFORKS_TF_MIRROR (provider mirror), TERRAFORM_BINARY (terraform binary).`;

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

class UsageError extends Error {}

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
    throw new UsageError(
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

function parse(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      stack: { type: "string", multiple: true },
      outdir: { type: "string" },
      "work-dir": { type: "string" },
      synth: { type: "boolean" },
      "no-synth": { type: "boolean" },
      "json-out": { type: "string" },
      "prior-state": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  return { values, command: positionals[0], extra: positionals.slice(1) };
}

/** The CLI; returns the exit code (0 ok, 1 a stack failed, 2 usage or setup error). */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  try {
    const { values, command, extra } = parse(argv);
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    if ((command !== "validate" && command !== "plan") || extra.length > 0) {
      throw new UsageError(`Unknown command "${[command, ...extra].join(" ")}".`);
    }
    const repoRoot = findRepoRoot(io.cwd);
    const outdir = resolve(io.cwd, values.outdir ?? join(repoRoot, DEFAULT_OUTDIR));
    const workDir = resolve(io.cwd, values["work-dir"] ?? join(repoRoot, DEFAULT_WORK_DIR));
    const harness = new TerraformHarness({ outdir, workDir, env: io.env });
    if (!values["no-synth"]) {
      const code = await synthesize(repoRoot, outdir, io);
      if (code !== 0) {
        io.err(`Synth failed (exit ${code}); nothing validated.`);
        return EXIT_SETUP_ERROR;
      }
    }
    const known = harness.stacks();
    for (const name of values.stack ?? []) harness.stack(name);
    if (command === "plan") {
      const name = values.stack?.[0];
      if (!name || (values.stack?.length ?? 0) > 1)
        throw new UsageError("plan needs exactly one --stack.");
      return await planCommand(harness, name, values["json-out"], values["prior-state"], io);
    }
    const names = values.stack ?? known.map((stack) => stack.name);
    // Without --stack or --outdir, the bootstrap app's stacks are validated too.
    const withBootstrap =
      values.stack === undefined &&
      values.outdir === undefined &&
      !values["no-synth"] &&
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
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof TerraformNotFoundError ||
      error instanceof MirrorNotFoundError ||
      error instanceof OfflineModeRefusedError ||
      error instanceof OutdirError ||
      (error instanceof Error && error.name === "StackNotRunnableError") ||
      (error as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
    ) {
      io.err(`error: ${(error as Error).message}`);
      if (error instanceof UsageError) io.err(USAGE);
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
