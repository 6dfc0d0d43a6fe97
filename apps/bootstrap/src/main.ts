// The bootstrap app (apps/bootstrap/cdktf.json): one `bootstrap-<env>` stack per environment
// folder under environments/ (or per --env).
//   npx tsx apps/bootstrap/src/main.ts [--env <name>]... [--first-run]
// See apps/bootstrap/README.md for the first-run procedure.
import { relative } from "node:path";
import {
  ConfigError,
  environmentNames,
  environmentsDir,
  type LoadedEnvironment,
  loadEnvironment,
  loadEnvironments,
  sharedAccountProblems,
} from "@pgforks/config";
import { synthesizeBootstrap } from "./app";

/**
 * The environment folders not selected with --env that share an account with a selected one:
 * bootstrapping only the new copy of prod (`--env <copy>`, as the first run does) still meets
 * prod's OIDC provider and key alias in that account. A folder that does not load is left out
 * (its own bootstrap synth names its problems).
 */
function otherEnvironmentsInTheirAccounts(
  selected: readonly LoadedEnvironment[],
  dir: string,
): LoadedEnvironment[] {
  const accounts = new Set(selected.map((e) => e.environment.account));
  const names = new Set(selected.map((e) => e.name));
  return environmentNames(dir).flatMap((name) => {
    if (names.has(name)) return [];
    try {
      const other = loadEnvironment(name, dir);
      return accounts.has(other.environment.account) ? [other] : [];
    } catch (error) {
      if (error instanceof ConfigError) return [];
      throw error;
    }
  });
}

function main(argv: readonly string[]): number {
  const envs: string[] = [];
  let firstRun = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--first-run") firstRun = true;
    else if (arg === "--env" && argv[i + 1]) envs.push(String(argv[++i]));
    else {
      console.error(`unknown argument ${arg}\nusage: main.ts [--env <name>]... [--first-run]`);
      return 2;
    }
  }
  try {
    // Every environment folder by default, of environmentsDir() (PGFORKS_ENVIRONMENTS_DIR when
    // set), as for the root app.
    const dir = environmentsDir();
    const environments = loadEnvironments(envs.length > 0 ? envs : environmentNames(dir), dir);
    const shared = sharedAccountProblems([
      ...environments,
      ...otherEnvironmentsInTheirAccounts(environments, dir),
    ]);
    if (shared.length > 0) {
      console.error(`Bootstrap synth stopped: ${shared.join("\n")}`);
      return 1;
    }
    const stacks = synthesizeBootstrap(environments, {
      ...(process.env.CDKTF_OUTDIR ? { outdir: process.env.CDKTF_OUTDIR } : {}),
      firstRun,
    });
    for (const stack of stacks) {
      const dir = relative(process.cwd(), stack.dir) || ".";
      console.log(`${stack.name}: ${dir}`);
      if (stack.localStateFile) {
        console.log(`  first run: local state in ${relative(process.cwd(), stack.localStateFile)}`);
      }
      if (stack.removedOverride) {
        console.log(
          `  first-run override removed: run \`terraform -chdir=${dir} init -migrate-state\` to move the local state into the bucket`,
        );
      }
    }
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Bootstrap synth stopped: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = main(process.argv.slice(2));
