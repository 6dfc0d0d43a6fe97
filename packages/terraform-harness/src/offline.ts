import { realpathSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import type { TerraformJson } from "./stacks";

/** Obviously fake AWS access key written into the offline copy: AWS rejects it, and no real key looks like it. */
export const FAKE_AWS_ACCESS_KEY = "offline-harness-not-a-real-key";
/** Obviously fake AWS secret key written into the offline copy. */
export const FAKE_AWS_SECRET_KEY = "offline-harness-not-a-real-secret";
/** A local port nothing listens on (discard, RFC 863): every proxied request fails at once. */
export const CLOSED_PROXY_URL = "http://127.0.0.1:9";
/** When set to anything but "" or "0", the harness refuses to run (a real deploy is in progress). */
export const REAL_DEPLOY_ENV_VAR = "PGFORKS_REAL_DEPLOY";

/**
 * AWS provider arguments that make it skip every call it would otherwise make while configuring
 * (registry.terraform.io/providers/hashicorp/aws/5.100.0/docs#argument-reference).
 */
export const AWS_OFFLINE_SETTINGS = {
  access_key: FAKE_AWS_ACCESS_KEY,
  secret_key: FAKE_AWS_SECRET_KEY,
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: true,
  skip_region_validation: true,
} as const;

/**
 * AWS provider arguments removed from the offline copy: other credential sources (they would be
 * tried, or call STS), and account allow/deny lists, which fail without a real account id.
 */
export const AWS_REMOVED_SETTINGS = [
  "profile",
  "token",
  "shared_credentials_files",
  "shared_config_files",
  "assume_role",
  "assume_role_with_web_identity",
  "allowed_account_ids",
  "forbidden_account_ids",
] as const;

/** Options of {@link rewriteForOffline}. */
export interface OfflineRewriteOptions {
  /** Absolute path of the local state file that replaces the stack's backend. */
  readonly statePath: string;
  /**
   * Local state file to read instead of a terraform_remote_state data source's remote backend.
   * When it returns undefined (or is not given): `<dirname(statePath)>/remote-state/<data source
   * name>.tfstate` (absent: no outputs).
   */
  readonly remoteStatePath?: (
    name: string,
    backend: string,
    config: Record<string, unknown>,
  ) => string | undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function offlineAwsProvider(block: unknown): Record<string, unknown> {
  const rewritten: Record<string, unknown> = { ...record(block) };
  for (const key of AWS_REMOVED_SETTINGS) delete rewritten[key];
  return { ...rewritten, ...AWS_OFFLINE_SETTINGS };
}

/**
 * Pure: returns a copy of a synthesized stack made safe to plan offline. The backend becomes a
 * local state file, every `aws` provider block gets fake credentials and skips its AWS calls, and
 * terraform_remote_state data sources read local state files. The input is not modified.
 */
export function rewriteForOffline(
  config: TerraformJson,
  options: OfflineRewriteOptions,
): TerraformJson {
  const copy = structuredClone(config) as TerraformJson;
  const terraformBlock = record(copy.terraform) ?? {};
  const originalBackend = Object.keys(record(terraformBlock.backend) ?? {})[0] ?? "local";
  delete terraformBlock.cloud;
  terraformBlock.backend = { local: { path: options.statePath } };
  copy.terraform = terraformBlock;

  const providers = record(copy.provider);
  if (providers?.aws !== undefined) {
    providers.aws = Array.isArray(providers.aws)
      ? providers.aws.map(offlineAwsProvider)
      : offlineAwsProvider(providers.aws);
  }

  const remoteStates = record(record(copy.data)?.terraform_remote_state);
  for (const [name, block] of Object.entries(remoteStates ?? {})) {
    const entry = record(block);
    if (!entry || entry.backend === "local") continue;
    const path =
      options.remoteStatePath?.(name, String(entry.backend), record(entry.config) ?? {}) ??
      resolve(dirname(options.statePath), "remote-state", `${name}.tfstate`);
    entry.backend = "local";
    entry.config = { path };
    delete entry.workspace;
  }

  const comment = record(copy["//"]) ?? {};
  comment.offlineHarness = {
    note: "Offline copy written by @pgforks/terraform-harness: local backend, fake AWS credentials. Never deploy it.",
    originalBackend,
  };
  copy["//"] = comment;
  return copy;
}

/** Options of {@link offlineEnvironment}. */
export interface OfflineEnvironmentOptions {
  /** The harness's CLI config file, passed as TF_CLI_CONFIG_FILE. */
  readonly cliConfigFile: string;
}

const STRIPPED_VARIABLE = /^(AWS_|TF_CLI_ARGS|TF_VAR_)/;
const STRIPPED_NAMES = new Set([
  "TF_CLI_CONFIG_FILE",
  "TF_PLUGIN_CACHE_DIR",
  "TF_DATA_DIR",
  "TF_WORKSPACE",
  "TF_TOKEN",
]);

/**
 * Environment for Terraform child processes: the base environment without AWS_* variables (no
 * credentials or profiles to find), without TF_* variables that would change the configuration,
 * with every proxy variable pointing at a closed local port and NO_PROXY empty, so even a mistake
 * cannot reach AWS, and with the harness's own CLI config.
 */
export function offlineEnvironment(
  base: NodeJS.ProcessEnv,
  options: OfflineEnvironmentOptions,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    const upper = name.toUpperCase();
    if (STRIPPED_VARIABLE.test(upper) || STRIPPED_NAMES.has(upper) || upper.startsWith("TF_TOKEN_"))
      continue;
    if (/^(HTTPS?|ALL|NO)_PROXY$/.test(upper)) continue;
    env[name] = value;
  }
  return {
    ...env,
    TF_CLI_CONFIG_FILE: options.cliConfigFile,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    HTTPS_PROXY: CLOSED_PROXY_URL,
    HTTP_PROXY: CLOSED_PROXY_URL,
    ALL_PROXY: CLOSED_PROXY_URL,
    https_proxy: CLOSED_PROXY_URL,
    http_proxy: CLOSED_PROXY_URL,
    all_proxy: CLOSED_PROXY_URL,
    NO_PROXY: "",
    no_proxy: "",
  };
}

/** Raised when offline mode would be unsafe. */
export class OfflineModeRefusedError extends Error {
  override readonly name = "OfflineModeRefusedError";
}

function realOrResolved(path: string): string {
  // The work dir may not exist yet: resolve its nearest existing parent's real path.
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    const parent = dirname(absolute);
    return parent === absolute
      ? absolute
      : resolve(realOrResolved(parent), relative(parent, absolute));
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/**
 * Refuses offline mode when a real deploy is flagged (PGFORKS_REAL_DEPLOY) or when the work dir
 * lies inside the synthesized outdir (the offline copies must never land where a deploy reads).
 */
export function assertOfflineAllowed(options: {
  readonly workDir: string;
  readonly outdir: string;
  readonly env: NodeJS.ProcessEnv;
}): void {
  const flag = options.env[REAL_DEPLOY_ENV_VAR];
  if (flag !== undefined && flag !== "" && flag !== "0") {
    throw new OfflineModeRefusedError(
      `${REAL_DEPLOY_ENV_VAR}=${flag} is set: the offline harness (fake credentials, local backend) ` +
        "refuses to run during a real deploy. Unset it to validate offline.",
    );
  }
  const workDir = realOrResolved(options.workDir);
  const outdir = realOrResolved(options.outdir);
  if (isInside(workDir, outdir)) {
    throw new OfflineModeRefusedError(
      `Work dir ${workDir} is inside the synthesized outdir ${outdir}: offline copies (local ` +
        "backend, fake credentials) must never be written there. Choose a work dir outside it.",
    );
  }
}
