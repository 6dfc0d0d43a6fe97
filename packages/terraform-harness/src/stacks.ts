import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ProviderMirror } from "./mirror";
import { isBuiltinProvider, normalizeProviderSource } from "./provider-address";
import { newestMatching } from "./version-constraint";

/** A synthesized Terraform JSON configuration (cdk.tf.json), loosely typed. */
export type TerraformJson = Record<string, unknown>;

/** A provider a stack needs. */
export interface RequiredProvider {
  /** Local name used in the configuration ("aws", "postgresql"). */
  readonly localName: string;
  /** Full source address ("registry.terraform.io/cyrilgdn/postgresql"). */
  readonly source: string;
  /** Version constraint from required_providers; undefined for implied providers (any version). */
  readonly version?: string;
  /** True when not declared in required_providers but implied by a resource, data source or provider block. */
  readonly implied: boolean;
}

/** Whether a stack can run offline, and why not. */
export type OfflineAvailability =
  | {
      readonly runnable: true;
      /** Version the mirror will provide, per provider source. */
      readonly selected: Readonly<Record<string, string>>;
    }
  | {
      readonly runnable: false;
      /** "provider unavailable offline (registry.terraform.io/cyrilgdn/postgresql 1.26.0)". */
      readonly reason: string;
      /** Providers the mirror cannot satisfy. */
      readonly missing: readonly RequiredProvider[];
      /** Module sources that would need a download. */
      readonly remoteModules: readonly string[];
    };

/** One synthesized stack. */
export interface StackInfo {
  /** Stack name ("prod-platform"). */
  readonly name: string;
  /** Absolute path of the stack's directory in the outdir. */
  readonly dir: string;
  /** Absolute path of its cdk.tf.json. */
  readonly file: string;
  /** Stacks it reads outputs from (cdktf cross-stack references), from manifest.json. */
  readonly dependencies: readonly string[];
  /** Providers it needs, declared and implied. */
  readonly requiredProviders: readonly RequiredProvider[];
  /** Whether every provider is in the mirror. */
  readonly offline: OfflineAvailability;
}

/** Raised when the outdir holds no synthesized stacks. */
export class OutdirError extends Error {
  override readonly name = "OutdirError";
}

interface ManifestStack {
  name?: string;
  synthesizedStackPath?: string;
  dependencies?: string[];
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Entries of a block that cdktf writes either as an object or as an array of objects. */
function blockEntries(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.map(asRecord);
  return value === undefined ? [] : [asRecord(value)];
}

/** Reads required_providers plus the providers implied by provider blocks, resources and data sources. */
export function requiredProvidersOf(config: TerraformJson): RequiredProvider[] {
  const terraformBlock = asRecord(config.terraform);
  const declared = new Map<string, RequiredProvider>();
  for (const [localName, raw] of Object.entries(asRecord(terraformBlock.required_providers))) {
    // Legacy shorthand `aws = "~> 5.0"` is a version only.
    const spec = typeof raw === "string" ? { version: raw } : asRecord(raw);
    const source = typeof spec.source === "string" ? spec.source : localName;
    const version = typeof spec.version === "string" ? spec.version : undefined;
    declared.set(localName, {
      localName,
      source: normalizeProviderSource(source),
      ...(version !== undefined ? { version } : {}),
      implied: false,
    });
  }
  const usedLocalNames = new Set<string>(Object.keys(asRecord(config.provider)));
  for (const blockType of ["resource", "data", "ephemeral"]) {
    for (const [type, instances] of Object.entries(asRecord(config[blockType]))) {
      usedLocalNames.add(type.split("_")[0] ?? type);
      for (const instance of Object.values(asRecord(instances))) {
        for (const entry of blockEntries(instance)) {
          if (typeof entry.provider === "string") {
            usedLocalNames.add(entry.provider.split(".")[0] ?? entry.provider);
          }
        }
      }
    }
  }
  const result = [...declared.values()];
  for (const localName of usedLocalNames) {
    if (declared.has(localName)) continue;
    result.push({ localName, source: normalizeProviderSource(localName), implied: true });
  }
  return result.sort((a, b) => a.localName.localeCompare(b.localName));
}

/** Module sources that `terraform init` would have to download (anything not a local path). */
export function remoteModuleSources(config: TerraformJson): string[] {
  const sources: string[] = [];
  for (const instance of Object.values(asRecord(config.module))) {
    for (const entry of blockEntries(instance)) {
      const source = entry.source;
      if (typeof source === "string" && !/^(\.\.?\/|\/)/.test(source)) sources.push(source);
    }
  }
  return sources;
}

/** Decides whether the mirror satisfies every provider (source and version constraint) of a stack. */
export function offlineAvailability(
  providers: readonly RequiredProvider[],
  mirror: ProviderMirror,
  remoteModules: readonly string[] = [],
): OfflineAvailability {
  const selected: Record<string, string> = {};
  const missing: RequiredProvider[] = [];
  for (const provider of providers) {
    if (isBuiltinProvider(provider.source)) continue;
    const inMirror = mirror.providers.find((candidate) => candidate.source === provider.source);
    const version = inMirror ? newestMatching(inMirror.versions, provider.version) : undefined;
    if (version === undefined) missing.push(provider);
    else selected[provider.source] = version;
  }
  if (missing.length === 0 && remoteModules.length === 0) return { runnable: true, selected };
  const reasons: string[] = [];
  if (missing.length > 0) {
    const list = missing.map((p) => `${p.source} ${p.version ?? "(any version)"}`).join(", ");
    reasons.push(`provider unavailable offline (${list})`);
  }
  if (remoteModules.length > 0) {
    reasons.push(`module unavailable offline (${remoteModules.join(", ")})`);
  }
  return { runnable: false, reason: reasons.join("; "), missing, remoteModules };
}

/** Reads and parses a stack's cdk.tf.json. */
export function readStackConfig(file: string): TerraformJson {
  return asRecord(JSON.parse(readFileSync(file, "utf8")));
}

/**
 * Lists the stacks of a cdktf outdir, in manifest order: from manifest.json when present, else by
 * scanning stacks/<name>/cdk.tf.json.
 */
export function listStacks(outdir: string, mirror: ProviderMirror): StackInfo[] {
  const root = resolve(outdir);
  const manifestFile = join(root, "manifest.json");
  const entries: { name: string; file: string; dependencies: string[] }[] = [];
  if (existsSync(manifestFile)) {
    const manifest = asRecord(JSON.parse(readFileSync(manifestFile, "utf8")));
    for (const [key, raw] of Object.entries(asRecord(manifest.stacks))) {
      const stack = raw as ManifestStack;
      entries.push({
        name: stack.name ?? key,
        file: join(root, stack.synthesizedStackPath ?? join("stacks", key, "cdk.tf.json")),
        dependencies: stack.dependencies ?? [],
      });
    }
  } else {
    const stacksDir = join(root, "stacks");
    if (!existsSync(stacksDir)) {
      throw new OutdirError(
        `${root} holds no synthesized stacks (no manifest.json, no stacks/). Run \`npm run synth\` first.`,
      );
    }
    for (const name of readdirSync(stacksDir).sort()) {
      const file = join(stacksDir, name, "cdk.tf.json");
      if (existsSync(file)) entries.push({ name, file, dependencies: [] });
    }
  }
  return entries.map(({ name, file, dependencies }) => {
    const config = readStackConfig(file);
    const requiredProviders = requiredProvidersOf(config);
    return {
      name,
      dir: dirname(file),
      file,
      dependencies,
      requiredProviders,
      offline: offlineAvailability(requiredProviders, mirror, remoteModuleSources(config)),
    };
  });
}
