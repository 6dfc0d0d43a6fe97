/**
 * Makes the provider-shapes extract from the real providers: synthesizes every environment of
 * environments/ (and each once more with its optional resources on, so types like aws_db_proxy
 * are in even where the committed configuration leaves them off), collects the resource types and
 * required providers of the stacks, and runs `terraform init` + `terraform providers schema -json`
 * in a scratch directory that declares those providers, installing them only from the provider
 * mirror the terraform-harness uses (no registry).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LoadedEnvironment, loadEnvironments } from "@pgforks/config";
import { synthesizeInMemory } from "@pgforks/stacks";
import {
  discoverProviderMirror,
  offlineEnvironment,
  type ProviderSchemas,
  resolveTerraformBinary,
  runTerraform,
  TerraformCommandError,
  writeCliConfig,
} from "@pgforks/terraform-harness";
import { extractProviderShapes, type ProviderShapes } from "./provider-shapes";

/** Why the extract cannot be made here (terraform or a provider missing), or undefined. */
export function providerShapesUnavailable(
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  try {
    resolveTerraformBinary(env);
  } catch {
    return "terraform is not on PATH";
  }
  try {
    const mirror = discoverProviderMirror(env);
    const missing = ["hashicorp/aws", "cyrilgdn/postgresql"].filter(
      (p) => !mirror.providers.some((m) => m.source.endsWith(`/${p}`)),
    );
    return missing.length > 0 ? `${missing.join(", ")} not in ${mirror.path}` : undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Each environment as committed and with its optional resources (proxy, dashboard) on. */
function variants(loaded: readonly LoadedEnvironment[]): LoadedEnvironment[][] {
  const full = loaded.map((l) => ({
    ...l,
    environment: {
      ...l.environment,
      proxy: { ...l.environment.proxy, enabled: true },
      alarms: { ...l.environment.alarms, dashboard: true },
    },
  }));
  return [[...loaded], full];
}

interface RequiredProvider {
  readonly source: string;
  readonly version?: string;
}

/** Resource types and required providers of the synthesized stacks. */
export function typesAndProviders(loaded = loadEnvironments()): {
  types: string[];
  providers: Record<string, RequiredProvider>;
} {
  const types = new Set<string>();
  const providers: Record<string, RequiredProvider> = {};
  for (const environments of variants(loaded)) {
    for (const stack of Object.values(synthesizeInMemory(environments))) {
      const json = stack as {
        resource?: Record<string, unknown>;
        terraform?: { required_providers?: Record<string, RequiredProvider> };
      };
      // terraform_data is built into Terraform, not a provider: it has no provider schema.
      for (const type of Object.keys(json.resource ?? {}))
        if (!type.startsWith("terraform_")) types.add(type);
      Object.assign(providers, json.terraform?.required_providers ?? {});
    }
  }
  return { types: [...types].sort(), providers };
}

/** The extract, from the providers in the mirror. Throws when terraform fails. */
export async function generateProviderShapes(
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProviderShapes> {
  const { types, providers } = typesAndProviders();
  const dir = mkdtempSync(join(tmpdir(), "pgforks-provider-shapes-"));
  try {
    const cliConfigFile = join(dir, "terraform.tfrc");
    writeCliConfig(cliConfigFile, { mirror: discoverProviderMirror(env) });
    writeFileSync(
      join(dir, "main.tf.json"),
      `${JSON.stringify({ terraform: { required_providers: providers } }, null, 2)}\n`,
    );
    const binary = resolveTerraformBinary(env);
    const childEnv = offlineEnvironment(env, { cliConfigFile });
    const run = async (args: string[]) => {
      const result = await runTerraform(binary, args, { cwd: dir, env: childEnv });
      if (result.exitCode !== 0) {
        throw new TerraformCommandError(
          `terraform ${args[0]} failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim()}`,
          args,
          result.exitCode,
          result.stdout,
          result.stderr,
        );
      }
      return result.stdout;
    };
    await run(["init", "-input=false", "-no-color", "-backend=false"]);
    const schemas = JSON.parse(await run(["providers", "schema", "-json"])) as ProviderSchemas;
    const versions = Object.fromEntries(
      Object.values(providers)
        .map((p) => [p.source, p.version ?? "any"] as const)
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    return extractProviderShapes(schemas, types, versions);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
