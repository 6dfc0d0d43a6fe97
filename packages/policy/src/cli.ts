/**
 * `pgforks policy [env...]` (npm run policy): real terraform validate + offline plan of every AWS stack of the
 * environments (<env>-platform, bootstrap-<env>), then checkov and the project's own rules on the
 * plan JSON, against skips.yaml. Exit 1 on a failure no skip covers, on a stale skip, or when
 * checkov is not installed (nothing passes unchecked); 2 on bad configuration.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";

/** Exit code of bad configuration. */
export const POLICY_USAGE_EXIT = 2;

/** Declares `policy`'s arguments, help and action on `command`. */
export function describePolicyCommand(command: Command): Command {
  return command
    .description(
      "checkov and the project's own rules on the real plan JSON of every AWS stack, against packages/policy/skips.yaml",
    )
    .argument("[envs...]", "environments (default: all)")
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 a failed check no skip covers, a stale skip, or checkov not installed (bash tools/checkov/install.sh), 2 bad configuration or setup (Terraform).",
    )
    .action(async (envs: string[]) => {
      process.exitCode = await runPolicy(envs);
    });
}

/** Plans and checks the stacks of the named environments (all when none); returns the exit code. */
export async function runPolicy(names: readonly string[]): Promise<number> {
  // Loaded here, not at start-up: `pgforks --help` should not load cdktf and Terraform tooling.
  const [{ ConfigError, loadEnvironments }, { checkovMissing }, evaluate, { loadSkips }, plans] =
    await Promise.all([
      import("@pgforks/config"),
      import("./checkov"),
      import("./evaluate"),
      import("./skips"),
      import("./stack-plans"),
    ]);
  const { checkovReports, checkStacks, planBootstrapStacks, planPlatformStacks } = plans;
  const workDir = mkdtempSync(join(tmpdir(), "pgforks-policy-"));
  try {
    const skips = loadSkips();
    const environments = loadEnvironments(names.length > 0 ? [...names] : undefined);
    const planned = [
      ...(await planPlatformStacks(environments, join(workDir, "platform"))),
      ...(await planBootstrapStacks(environments, join(workDir, "bootstrap"))),
    ];
    for (const { stack, plan } of planned) {
      const c = plan.changes;
      console.log(
        `${stack}: terraform validate ✓, offline plan ✓ (+${c.add} ~${c.change} -${c.destroy})`,
      );
    }
    const missing = checkovMissing();
    const report = checkStacks(
      planned,
      skips,
      missing ? undefined : await checkovReports(planned, workDir),
    );
    console.log(evaluate.renderPolicyReport(report));
    if (missing) {
      console.error(`checkov NOT RUN: ${missing}`);
      return 1;
    }
    return evaluate.policyFailed(report) ? 1 : 0;
  } catch (error) {
    console.error(
      error instanceof ConfigError
        ? error.message
        : `policy: ${error instanceof Error ? error.message : String(error)}`,
    );
    return POLICY_USAGE_EXIT;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runPolicy(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
