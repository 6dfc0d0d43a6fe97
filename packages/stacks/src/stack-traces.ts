/** PGFORKS_STACK_TRACES=1 turns cdktf's stack traces (and source-mapped frames) back on. */
export function stackTracesRequested(): boolean {
  return process.env.PGFORKS_STACK_TRACES === "1";
}

/**
 * Makes a synth process skip work nobody reads: cdktf captures a full stack trace for every
 * token it creates (tokens/private/stack-trace.js, used only in error messages), and tsx turns
 * on source maps, so every module that loads has its inline source map parsed and each capture
 * is translated through the maps. With traces off (the default) both are switched off.
 */
export function skipStackTraceCapture(): void {
  if (stackTracesRequested()) return;
  process.setSourceMapsEnabled(false);
  const capture = require("cdktf/lib/tokens/private/stack-trace") as {
    captureStackTrace: () => string[];
  };
  capture.captureStackTrace = () => [];
}
