/**
 * What the review reads from a cdktf outdir: each stack's cdk.tf.json (for construct paths and
 * resource counts) and manifest.json (for the stacks' dependencies, i.e. the apply order).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { StackJson } from "@pgforks/stacks";
import {
  TENANT_MANIFEST_FILE,
  TENANT_MANIFEST_VERSION,
  type TenantManifest,
} from "@pgforks/tenants/footprint";

/** One synthesized stack. */
export interface SynthStack {
  /** The synthesized Terraform JSON (cdk.tf.json). */
  readonly json: StackJson;
  /** Stacks whose outputs it reads (manifest.json `dependencies`); they apply first. */
  readonly dependencies: readonly string[];
  /**
   * pgforks-manifest.json beside its cdk.tf.json: which tenant each address belongs to. Absent
   * when the synth wrote none (or another format version): the review then says so.
   */
  readonly tenantManifest?: TenantManifest;
}

/** The stack's pgforks-manifest.json in `folder`, when there is one of this format version. */
function readTenantManifest(folder: string): TenantManifest | undefined {
  const file = join(folder, TENANT_MANIFEST_FILE);
  if (!existsSync(file)) return undefined;
  const manifest = JSON.parse(readFileSync(file, "utf8")) as Partial<TenantManifest>;
  return manifest.version === TENANT_MANIFEST_VERSION && Array.isArray(manifest.resources)
    ? (manifest as TenantManifest)
    : undefined;
}

/** A cdktf outdir as the review needs it. */
export interface SynthOutput {
  /** Stacks by name. */
  readonly stacks: Readonly<Record<string, SynthStack>>;
}

/** Raised when an outdir holds no synthesized stacks. */
export class SynthOutputError extends Error {
  override readonly name = "SynthOutputError";
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * Reads `<outdir>/manifest.json` and every stack's cdk.tf.json it lists; without a manifest,
 * every `<outdir>/stacks/<name>/cdk.tf.json` (no dependencies known then).
 */
export function loadSynthOutput(outdir: string): SynthOutput {
  const root = resolve(outdir);
  const manifestFile = join(root, "manifest.json");
  const stacks: Record<string, SynthStack> = {};
  if (existsSync(manifestFile)) {
    const manifest = asRecord(JSON.parse(readFileSync(manifestFile, "utf8")));
    for (const [key, raw] of Object.entries(asRecord(manifest.stacks))) {
      const entry = asRecord(raw);
      const name = typeof entry.name === "string" ? entry.name : key;
      const path =
        typeof entry.synthesizedStackPath === "string"
          ? entry.synthesizedStackPath
          : join("stacks", key, "cdk.tf.json");
      const dependencies = Array.isArray(entry.dependencies)
        ? entry.dependencies.filter((d): d is string => typeof d === "string")
        : [];
      const manifest = readTenantManifest(dirname(join(root, path)));
      stacks[name] = {
        json: JSON.parse(readFileSync(join(root, path), "utf8")) as StackJson,
        dependencies,
        ...(manifest ? { tenantManifest: manifest } : {}),
      };
    }
  } else if (existsSync(join(root, "stacks"))) {
    for (const name of readdirSync(join(root, "stacks")).sort()) {
      const file = join(root, "stacks", name, "cdk.tf.json");
      if (!existsSync(file)) continue;
      const manifest = readTenantManifest(dirname(file));
      stacks[name] = {
        json: JSON.parse(readFileSync(file, "utf8")) as StackJson,
        dependencies: [],
        ...(manifest ? { tenantManifest: manifest } : {}),
      };
    }
  }
  if (Object.keys(stacks).length === 0) {
    throw new SynthOutputError(
      `${root} holds no synthesized stacks (no manifest.json, no stacks/<name>/cdk.tf.json). Run \`npm run synth\` first.`,
    );
  }
  return { stacks };
}

/**
 * A SynthOutput from stacks' JSON (e.g. synthesizeInMemory). Dependencies default to the
 * project's composition: `<env>-tenants` depends on `<env>-platform` when both are present.
 */
export function synthOutputFromStacks(
  stacks: Readonly<Record<string, StackJson>>,
  dependencies: Readonly<Record<string, readonly string[]>> = {},
  /** pgforks-manifest.json by stack name. Default none. */
  tenantManifests: Readonly<Record<string, TenantManifest>> = {},
): SynthOutput {
  const out: Record<string, SynthStack> = {};
  for (const [name, json] of Object.entries(stacks)) {
    const platform = name.endsWith("-tenants") ? name.replace(/-tenants$/, "-platform") : undefined;
    const manifest = tenantManifests[name];
    out[name] = {
      json,
      dependencies:
        dependencies[name] ?? (platform !== undefined && platform in stacks ? [platform] : []),
      ...(manifest ? { tenantManifest: manifest } : {}),
    };
  }
  return { stacks: out };
}

/** `type.name` of every resource in a stack, mapped to its cdktf construct path. */
export function constructPaths(stack: StackJson | undefined): Map<string, string> {
  const paths = new Map<string, string>();
  for (const block of ["resource", "data"] as const) {
    for (const [type, byName] of Object.entries(asRecord(stack?.[block]))) {
      for (const [name, body] of Object.entries(asRecord(byName))) {
        const path = asRecord(asRecord(asRecord(body)["//"]).metadata).path;
        if (typeof path === "string") {
          paths.set(block === "data" ? `data.${type}.${name}` : `${type}.${name}`, path);
        }
      }
    }
  }
  return paths;
}

/** The resource part of an instance address: `aws_subnet.x[0]` -> `aws_subnet.x` (root module only). */
export function resourceAddress(address: string): string {
  return address.replace(/\[[^\]]*\]$/, "");
}
