/**
 * `npm run bench [-- --runs N]`: how synth time scales. Spawns each case N times (default 5)
 * as a fresh process, the way a person or CI runs it, and prints the median and the range:
 *
 * - bare tsx start-up (`tsx -e ''`), the floor every TypeScript command pays;
 * - the six default stacks as `npm run synth` runs them (without npm): the launcher
 *   (`node packages/launcher/src/launch.cjs apps/main.ts`), its bundle already built; the
 *   first run after a source change, which builds the bundle, is printed on its own;
 * - the same through tsx (`tsx apps/main.ts`), for comparison;
 * - prod with 5 and with 200 tenants (the launcher, `apps/main.ts prod`, generated config);
 * - cdktf's floor for the same tenants (`src/bench/cdktf-floor.ts`, the launcher): one stack of
 *   the six resources an active tenant has, from literal values through the provider bindings;
 * - the same six resources as one block per kind with `for_each` over a map of the tenants
 *   (`src/bench/cdktf-for-each-floor.ts`): what cdktf would cost if the tenants stack were written
 *   that way (docs/decisions/0001-tenant-resources-and-synth-time.md);
 * - the same six resources as Terraform JSON merged into the stack's JSON after cdktf's resolve
 *   (`src/bench/cdktf-merged-floor.ts`, option B2 of that record): the same cdk.tf.json as
 *   cdktf-floor.ts (test/floors.test.ts), with no construct per resource.
 *
 * and the two ratios the project holds itself to: six stacks at most 1.5x bare tsx, 200
 * tenants at most 1.5x 5 tenants, with what the 195 extra tenants cost the app, what they cost
 * cdktf alone, and what the 1.5x target allows them; and the absolute budget docs/decisions/0001
 * proposes instead of the second ratio.
 * A measurement, not a test: nothing fails on a slow machine.
 *
 * `npm run bench -- --plan-offline [--runs N]` measures `npm run plan:offline -- --env prod
 * --base HEAD` instead (target: at most 20 s): the first run with an empty work dir (synth, plan
 * from empty, fabricate and settle the base state, plan the change), the others reusing the
 * work dir (the settled base state is kept there).
 * Every run writes into a temporary folder, removed at the end (also on ctrl-C).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { join, resolve } from "node:path";
import { median, signedSeconds } from "../bench/format";
import { prodWithTenants as generatedProd } from "../bench/generated-environments";
import { benchOptions, positiveInteger } from "../bench/options";
import { benchScratch } from "../bench/scratch";

const root = resolve(__dirname, "../../../..");
const tsx = join(root, "node_modules", ".bin", "tsx");
const launcher = join(root, "packages", "launcher", "src", "launch.cjs");

const USAGE = "usage: npm run bench [-- --runs N] [-- --plan-offline]";

const values = benchOptions(
  {
    options: {
      runs: { type: "string", default: "5" },
      "plan-offline": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  },
  USAGE,
  "  --runs N        medians of N runs (default 5)\n  --plan-offline  time `npm run plan:offline -- --env prod --base HEAD` instead of the synth",
);
const runs = positiveInteger("runs", values.runs);

const { scratch, cleanup } = benchScratch("pgforks-bench-");

/**
 * The synth budget docs/decisions/0001 proposes instead of the 200/5 ratio, for prod on the
 * project's 2-core machine: a base plus a cost per tenant.
 */
const PROPOSED_BUDGET = { baseMs: 500, perTenantMs: 5 } as const;

/**
 * Instance class of the generated environments: prod's own class may hold fewer than 200
 * connections (db.t4g.small: 188 after the reserve); db.t4g.medium holds about 400.
 */
const BENCH_INSTANCE_CLASS = "db.t4g.medium";

/** environments/prod with `count` generated tenants on BENCH_INSTANCE_CLASS. */
const prodWithTenants = (count: number) =>
  generatedProd(root, scratch, count, BENCH_INSTANCE_CLASS);

interface Case {
  readonly label: string;
  /** The program run. Default: tsx. */
  readonly command?: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
}

function measure(c: Case, cwd = mkdtempSync(join(scratch, "run-")), count = runs): number[] {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const result = spawnSync(c.command ?? tsx, c.args, {
      cwd,
      env: { ...process.env, PGFORKS_LAUNCH_CACHE: launchCache, ...c.env },
      encoding: "utf8",
    });
    const ms = performance.now() - started;
    if (result.status !== 0) {
      console.error(`error: ${c.label} failed (exit ${result.status}):\n${result.stderr}`);
      cleanup();
      process.exit(1);
    }
    times.push(ms);
  }
  return times;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The launcher's bundle cache of this benchmark (empty at the start: the first run builds). */
const launchCache = join(scratch, "launch-cache");
const synth = (...args: string[]) => [launcher, join(root, "apps", "main.ts"), ...args];
const floor = (tenants: number, program = "cdktf-floor.ts") => [
  launcher,
  join(root, "packages", "testing", "src", "bench", program),
  String(tenants),
  join(scratch, `${program}-${tenants}`),
];
const forEachFloor = (tenants: number) => floor(tenants, "cdktf-for-each-floor.ts");
const mergedFloor = (tenants: number) => floor(tenants, "cdktf-merged-floor.ts");

const cases: Case[] = [
  { label: "bare tsx start-up (tsx -e '')", args: ["-e", ""] },
  { label: "six stacks (npm run synth)", command: process.execPath, args: synth() },
  { label: "six stacks (tsx apps/main.ts)", args: [join(root, "apps", "main.ts")] },
  {
    label: "prod, 5 tenants",
    command: process.execPath,
    args: synth("prod"),
    env: { PGFORKS_ENVIRONMENTS_DIR: prodWithTenants(5) },
  },
  {
    label: "prod, 200 tenants",
    command: process.execPath,
    args: synth("prod"),
    env: { PGFORKS_ENVIRONMENTS_DIR: prodWithTenants(200) },
  },
  { label: "cdktf floor, 5 tenants", command: process.execPath, args: floor(5) },
  { label: "cdktf floor, 200 tenants", command: process.execPath, args: floor(200) },
  { label: "for_each floor, 5 tenants", command: process.execPath, args: forEachFloor(5) },
  { label: "for_each floor, 200 tenants", command: process.execPath, args: forEachFloor(200) },
  { label: "merged-JSON floor, 5 tenants", command: process.execPath, args: mergedFloor(5) },
  { label: "merged-JSON floor, 200 tenants", command: process.execPath, args: mergedFloor(200) },
];

/** `plan:offline --base HEAD` of prod: the first run cold, the others with the work dir kept. */
function benchPlanOffline(): void {
  const workDir = join(scratch, "plan-offline");
  const [cold, ...warm] = measure(
    {
      label: "plan:offline --env prod --base HEAD",
      args: [
        join(root, "packages", "cli", "src", "main.ts"),
        ...["review", "offline", "--env", "prod", "--base", "HEAD", "--work-dir", workDir],
        ...["--out", join(scratch, "review.md")],
      ],
    },
    root,
  );
  console.log(`plan:offline --env prod --base HEAD (target at most 20 s)`);
  console.log(`  first run (empty work dir):   ${seconds(cold as number)}`);
  if (warm.length > 0)
    console.log(
      `  next runs (work dir kept):    ${seconds(median(warm))} median of ${warm.length} (${seconds(Math.min(...warm))}-${seconds(Math.max(...warm))})`,
    );
}

if (values["plan-offline"]) {
  try {
    benchPlanOffline();
  } finally {
    cleanup();
  }
  process.exit(0);
}

try {
  const [built] = measure(
    { label: "bundle build", command: process.execPath, args: synth() },
    undefined,
    1,
  );
  console.log(
    `first npm run synth after a change (builds the bundle): ${seconds(built as number)}`,
  );
  // The floors' own bundles, built before their timed runs.
  for (const args of [floor(0), forEachFloor(0), mergedFloor(0)])
    measure({ label: "floor bundle build", command: process.execPath, args }, undefined, 1);
  console.log(`median of ${runs} runs each (min-max), fresh process per run`);
  const medians: number[] = [];
  for (const c of cases) {
    const times = measure(c);
    const m = median(times);
    medians.push(m);
    const range = `${(Math.min(...times) / 1000).toFixed(2)}-${(Math.max(...times) / 1000).toFixed(2)}`;
    console.log(`  ${c.label.padEnd(32)} ${(m / 1000).toFixed(2)} s  (${range})`);
  }
  const [
    bare,
    six,
    ,
    five,
    twoHundred,
    floorFive,
    floorTwoHundred,
    forEachFive,
    forEachTwoHundred,
    mergedFive,
    mergedTwoHundred,
  ] = medians as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  console.log(`six stacks / bare tsx:        ${ratio(six, bare)} (target at most 1.5x)`);
  console.log(`200 tenants / 5 tenants:      ${ratio(twoHundred, five)} (target at most 1.5x)`);
  console.log("the 195 tenants beyond the first 5:");
  console.log(`  cost the app                ${signedSeconds(twoHundred - five)}`);
  console.log(
    `  cost cdktf alone            ${signedSeconds(floorTwoHundred - floorFive)} (1170 literal resources)`,
  );
  console.log(
    `  cost cdktf with for_each    ${signedSeconds(forEachTwoHundred - forEachFive)} (195 map entries)`,
  );
  console.log(
    `  cost merged JSON blocks     ${signedSeconds(mergedTwoHundred - mergedFive)} (1170 blocks, not walked by cdktf)`,
  );
  console.log(`  the 1.5x target allows      ${signedSeconds(five / 2)}`);
  const budget = PROPOSED_BUDGET.baseMs + PROPOSED_BUDGET.perTenantMs * 200;
  console.log(
    `absolute budget proposed in docs/decisions/0001 (${PROPOSED_BUDGET.baseMs / 1000} s + ${PROPOSED_BUDGET.perTenantMs} ms a tenant): 200 tenants at most ${seconds(budget)}, measured ${(twoHundred / 1000).toFixed(2)} s: ${twoHundred <= budget ? "met" : "NOT met"}`,
  );
} finally {
  cleanup();
}
