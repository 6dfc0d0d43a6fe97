import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ProviderMirror } from "./mirror";

/** Options of {@link renderCliConfig}. */
export interface CliConfigOptions {
  /** The mirror whose providers Terraform may install; its providers become the `include` list. */
  readonly mirror: ProviderMirror;
  /**
   * Directory for `plugin_cache_dir`, or undefined for none. Default: none. Useful for packed
   * (.zip) mirrors, which Terraform would otherwise extract into every working directory; for an
   * unpacked mirror Terraform 1.11 symlinks the mirror's binary directly, and a cache would add one
   * full copy of it.
   */
  readonly pluginCacheDir?: string;
}

function hclString(value: string): string {
  // The CLI config is HCL 1 and Terraform expands environment variables in paths ($HOME), so a
  // literal "$" cannot be written; such a path is refused rather than silently changed.
  if (value.includes("$")) {
    throw new Error(`Path "${value}" contains "$", which Terraform's CLI config would expand.`);
  }
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * The harness's own Terraform CLI configuration: install providers only from the filesystem
 * mirror, and only those it holds. There is deliberately no `direct {}` block, so `terraform init`
 * can never download anything (developer.hashicorp.com/terraform/cli/config/config-file#provider-installation).
 */
export function renderCliConfig(options: CliConfigOptions): string {
  const include = options.mirror.providers.map((provider) => hclString(provider.source));
  const lines = [
    "# Written by @pgforks/terraform-harness and passed via TF_CLI_CONFIG_FILE.",
    "# Providers come only from the local filesystem mirror: nothing is ever downloaded.",
    "disable_checkpoint = true",
  ];
  if (options.pluginCacheDir !== undefined) {
    lines.push(`plugin_cache_dir = ${hclString(options.pluginCacheDir)}`);
  }
  lines.push(
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${hclString(options.mirror.path)}`,
    `    include = [${include.join(", ")}]`,
    "  }",
    "}",
    "",
  );
  return lines.join("\n");
}

/** Writes {@link renderCliConfig} to `file` (and creates the plugin cache directory, which Terraform requires to exist). */
export function writeCliConfig(file: string, options: CliConfigOptions): void {
  mkdirSync(dirname(file), { recursive: true });
  if (options.pluginCacheDir !== undefined) mkdirSync(options.pluginCacheDir, { recursive: true });
  writeFileSync(file, renderCliConfig(options));
}
