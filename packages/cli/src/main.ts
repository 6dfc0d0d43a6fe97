#!/usr/bin/env tsx
// The `pgforks` command (bin of @pgforks/cli; the root package.json's scripts run it with tsx).
import { buildProgram } from "./program";

// A reader that stops early (`| head`, `| true`) closes the pipe: end quietly, as other
// command-line tools do, instead of Node's unhandled-error stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(0);
});

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(`pgforks: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
