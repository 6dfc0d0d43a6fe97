/**
 * `npm run policy`: real terraform validate + offline plan of every <env>-platform stack, then
 * the security controls on the plan JSON. Exit 1 on any violation or stale waiver.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadEnvironments } from "@pgforks/config";
import { renderPolicyReport } from "./evaluate";
import { planPlatformStacks } from "./platform-plans";

async function main(): Promise<number> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const workDir = mkdtempSync(join(tmpdir(), "pgforks-policy-"));
  try {
    const environments = loadEnvironments(names.length > 0 ? names : undefined);
    let failed = false;
    for (const result of await planPlatformStacks(environments, workDir)) {
      const c = result.plan.changes;
      console.log(
        `${result.stack}: terraform validate ✓, offline plan ✓ (+${c.add} ~${c.change} -${c.destroy})`,
      );
      console.log(renderPolicyReport(result.stack, result.policy));
      failed ||= result.policy.violations.length > 0 || result.policy.unusedWaivers.length > 0;
    }
    return failed ? 1 : 0;
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    return 2;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().then((code) => {
  process.exitCode = code;
});
