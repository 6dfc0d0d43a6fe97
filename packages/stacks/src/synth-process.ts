/**
 * The first import of every synth entry point (apps/main.ts, apps/<env>/src/main.ts):
 * `import "@pgforks/stacks/src/synth-process"`. It switches source maps and cdktf's stack-trace
 * capture off (unless PGFORKS_STACK_TRACES=1) before cdktf and the provider bindings load, so
 * their inline source maps are never parsed, and drops the one deprecation warning cdktf causes
 * on Node 24. Free of cdktf imports: loading it costs nothing.
 */
import { skipStackTraceCapture } from "./stack-traces";

/** Node's code for the deprecated `util.isArray` (a warning at run time on Node 24, silent on 20). */
export const UTIL_IS_ARRAY_DEPRECATION = "DEP0044";

/**
 * cdktf 0.21.0 (its last release, archived upstream) calls `util.isArray` for every output it
 * synthesizes (lib/terraform-output.js). On Node 20 that is silent; on Node 24 every synth prints
 * "[DEP0044] DeprecationWarning: The `util.isArray` API is deprecated" on stderr, which the synth's
 * one-line error and warning contract does not allow (the synth tests expect an empty stderr). Only warnings with that code are dropped;
 * every other warning is emitted as before.
 */
export function dropUtilIsArrayDeprecation(): void {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((...args: unknown[]) => {
    const [, typeOrOptions, code] = args;
    const found =
      typeof typeOrOptions === "object" && typeOrOptions !== null
        ? (typeOrOptions as { code?: unknown }).code
        : code;
    if (found === UTIL_IS_ARRAY_DEPRECATION) return;
    Reflect.apply(emitWarning, process, args);
  }) as typeof process.emitWarning;
}

skipStackTraceCapture();
dropUtilIsArrayDeprecation();
