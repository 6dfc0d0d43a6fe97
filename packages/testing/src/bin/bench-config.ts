/**
 * `npm run bench:config [-- --runs N] [-- --counts 5,200,2000]`: how long loading an
 * environment's configuration takes (environment.yaml and tenants.yaml of prod, read, parsed and
 * validated: loadEnvironment, which the synth, the tenant CLI, npm start, the audit and the plan
 * review all call), with 5, 200 and 2000 generated tenants.
 *
 * Each run is a fresh process (`src/bench/load-config.ts` through tsx). Every run is made twice,
 * one after the other: with the quick YAML path (the default) and with the precise path only
 * (PGFORKS_PRECISE_YAML=1, as before the quick path), so both see the same machine load. It
 * prints the medians (default 9 runs) of the load itself, timed inside the process, and of the
 * whole process, and the machine's load average before and after.
 * A measurement, not a test: nothing fails on a slow machine.
 */
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { PRECISE_YAML_VARIABLE } from "@pgforks/config";
import { median } from "../bench/format";
import { prodWithTenants } from "../bench/generated-environments";
import { benchOptions, positiveInteger } from "../bench/options";
import { benchScratch } from "../bench/scratch";

const root = resolve(__dirname, "../../../..");
const tsx = join(root, "node_modules", ".bin", "tsx");
const program = join(root, "packages", "testing", "src", "bench", "load-config.ts");
const USAGE = "usage: npm run bench:config [-- --runs N] [-- --counts 5,200,2000]";

/**
 * A class whose max_connections (about 5000) holds 2000 tenants of connection limit 1, so that
 * every count loads without a problem (a problem sends the file to the precise path).
 */
const INSTANCE_CLASS = "db.r6g.2xlarge";

const values = benchOptions(
  {
    options: {
      runs: { type: "string", default: "9" },
      counts: { type: "string", default: "5,200,2000" },
      help: { type: "boolean", short: "h", default: false },
    },
  },
  USAGE,
  "  --runs N      medians of N runs (default 9)\n  --counts L    tenant counts",
);
const runs = positiveInteger("runs", values.runs);
const counts = values.counts.split(",").map(Number);
if (counts.some((n) => !Number.isInteger(n) || n < 1)) {
  console.error(`error: --counts must list positive integers (found "${values.counts}")`);
  process.exit(2);
}

const { scratch, cleanup } = benchScratch("pgforks-bench-config-");

interface Run {
  readonly loadMs: number;
  readonly processMs: number;
}

function runOnce(dir: string, count: number, precise: boolean): Run {
  const env = { ...process.env };
  if (precise) env[PRECISE_YAML_VARIABLE] = "1";
  else delete env[PRECISE_YAML_VARIABLE];
  const started = performance.now();
  const result = spawnSync(tsx, [program, dir], { cwd: scratch, env, encoding: "utf8" });
  const processMs = performance.now() - started;
  if (result.status !== 0) {
    console.error(
      `error: loading ${count} tenants failed (exit ${result.status}):\n${result.stderr}`,
    );
    cleanup();
    process.exit(1);
  }
  const printed = JSON.parse(result.stdout) as { loadMs: number; tenants: number };
  if (printed.tenants !== count) {
    console.error(`error: loaded ${printed.tenants} tenants, expected ${count}`);
    cleanup();
    process.exit(1);
  }
  return { loadMs: printed.loadMs, processMs };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(", ");

try {
  console.log(`load average before: ${load()}`);
  console.log(`median of ${runs} runs each, fresh process per run, quick and precise interleaved`);
  console.log(
    `${"tenants".padStart(8)} ${"load, quick".padStart(14)} ${"load, precise".padStart(14)} ${"saved".padStart(7)} ${"process, quick".padStart(16)} ${"process, precise".padStart(17)}`,
  );
  for (const count of counts) {
    const dir = prodWithTenants(root, scratch, count, INSTANCE_CLASS);
    runOnce(dir, count, false); // warm the file cache and tsx's cache; not counted
    const quick: Run[] = [];
    const precise: Run[] = [];
    for (let i = 0; i < runs; i++) {
      // Alternate which goes first, so neither always runs right after the other.
      if (i % 2 === 0) {
        quick.push(runOnce(dir, count, false));
        precise.push(runOnce(dir, count, true));
      } else {
        precise.push(runOnce(dir, count, true));
        quick.push(runOnce(dir, count, false));
      }
    }
    const [q, p] = [quick, precise].map((list) => median(list.map((r) => r.loadMs))) as [
      number,
      number,
    ];
    const [qp, pp] = [quick, precise].map((list) => median(list.map((r) => r.processMs))) as [
      number,
      number,
    ];
    const saved = `${Math.round((1 - q / p) * 100)}%`;
    console.log(
      `${String(count).padStart(8)} ${ms(q).padStart(14)} ${ms(p).padStart(14)} ${saved.padStart(7)} ${ms(qp).padStart(16)} ${ms(pp).padStart(17)}`,
    );
  }
  console.log(`load average after: ${load()}`);
} finally {
  cleanup();
}
