/**
 * Synthesizes configurations in memory for the review: the base branch's configuration (for the
 * "before" cost) or the working tree's when no cdktf.out is at hand. Loads @pgforks/stacks (every
 * construct), so it lives apart from the pure review modules.
 */
import type { LoadedEnvironment } from "@pgforks/config";
import { synthesizeWithManifestsInMemory } from "@pgforks/stacks";
import { type SynthOutput, synthOutputFromStacks } from "./synth-output";

/** Synthesizes `environments` with today's constructs (dependencies: tenants after platform). */
export function synthesizeForReview(environments: readonly LoadedEnvironment[]): SynthOutput {
  if (environments.length === 0) return { stacks: {} };
  const { stacks, manifests } = synthesizeWithManifestsInMemory(environments);
  return synthOutputFromStacks(stacks, {}, manifests);
}
