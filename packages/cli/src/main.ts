#!/usr/bin/env -S node --import tsx
// The `pgforks` command: bin/pgforks.mjs (the package's bin) runs this file, and the root
// package.json's scripts run it as `node --import tsx packages/cli/src/main.ts`: in the process
// that does the work, tsx as a loader. Not through the tsx program, which runs the command in a
// child and kills it (SIGKILL) when ctrl-C finds it busy: the environments/ lock's one-line note
// (nothing changed / every file written, or none) would never be printed.
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
