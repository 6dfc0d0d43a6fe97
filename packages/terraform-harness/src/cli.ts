#!/usr/bin/env tsx
// Entry point: `npm run validate` (tsx packages/terraform-harness/src/cli.ts validate).
import { runCli } from "./command";

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  },
);
