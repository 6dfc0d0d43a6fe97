/**
 * `load-config.ts <environments folder>`: loads environments/prod of that folder once, as every
 * command does (loadEnvironment), and prints one JSON line: how long the load took in this
 * process and how many tenants it read. Run by `npm run bench:config` in a fresh process per run.
 * Not a test.
 */
import { loadEnvironment } from "@pgforks/config";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: load-config.ts <environments folder>");
  process.exit(2);
}
const started = performance.now();
const loaded = loadEnvironment("prod", dir);
const loadMs = performance.now() - started;
console.log(JSON.stringify({ loadMs, tenants: loaded.tenants.length }));
