import { Testing } from "cdktf";
import type { Construct } from "constructs";

/** One synthesized block (resource, data source, provider), as cdktf writes it. */
export type SynthesizedBlock = Record<string, unknown>;

/** The Terraform JSON of a test scope, parsed, with accessors. */
export interface SynthesizedScope {
  /** The JSON text cdktf wrote (for whole-document assertions such as `not.toContain`). */
  readonly json: string;
  /** The parsed document. */
  readonly parsed: {
    readonly resource?: Record<string, Record<string, SynthesizedBlock>>;
    readonly data?: Record<string, Record<string, SynthesizedBlock>>;
    readonly [key: string]: unknown;
  };
  /** The resources of one type, keyed by their Terraform name (empty when there are none). */
  readonly resource: Record<string, Record<string, SynthesizedBlock>>;
  /** The resources of one type (empty when there are none), typed as the test describes them. */
  all<T = SynthesizedBlock>(type: string): T[];
}

/**
 * The one synth helper of the construct tests: synthesizes what `build` adds to a fresh cdktf
 * test stack (`Testing.synthScope`) and parses it.
 */
export function synthScope(build: (scope: Construct) => void): SynthesizedScope {
  const json = Testing.synthScope(build);
  const parsed = JSON.parse(json) as SynthesizedScope["parsed"];
  const resource = parsed.resource ?? {};
  const all = <T>(type: string) => Object.values(resource[type] ?? {}) as T[];
  return { json, parsed, resource, all };
}
