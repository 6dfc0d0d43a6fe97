// Entry point of `npm run tenant -- <command>` (root script: tsx packages/tenant-cli/src/cli.ts).
import { runTenantCli } from "./run";

process.exitCode = runTenantCli(process.argv.slice(2));
