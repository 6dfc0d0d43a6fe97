/**
 * The first import of every synth entry point (apps/main.ts, apps/<env>/src/main.ts):
 * `import "@pgforks/stacks/src/synth-process"`. It switches source maps and cdktf's stack-trace
 * capture off (unless PGFORKS_STACK_TRACES=1) before cdktf and the provider bindings load, so
 * their inline source maps are never parsed. Free of cdktf imports: loading it costs nothing.
 */
import { skipStackTraceCapture } from "./stack-traces";

skipStackTraceCapture();
