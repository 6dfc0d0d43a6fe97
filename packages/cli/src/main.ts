#!/usr/bin/env tsx
// The `pgforks` command (bin of @pgforks/cli; the root package.json's scripts run it with tsx).
import { buildProgram } from "./program";

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(`pgforks: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
