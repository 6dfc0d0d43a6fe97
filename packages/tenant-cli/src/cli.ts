// Entry point of `npm run tenant -- <command>` (root script: tsx packages/tenant-cli/src/cli.ts).
import { deferSignals } from "@pgforks/config";
import { runTenantCli } from "./run";

deferSignals(
  (signal) =>
    `interrupted (${signal}) after the command had finished: every file it changes was written, or none`,
);
process.exitCode = runTenantCli(process.argv.slice(2));
