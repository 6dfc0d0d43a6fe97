#!/usr/bin/env tsx
// Entry point: `npm run review -- <plan.json>...` (tsx packages/plan-review/src/cli.ts).
import { runReviewCli } from "./run";

try {
  process.exitCode = runReviewCli(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 2;
}
