// The cdktf app: every environment folder under environments/ (adding an environment is adding
// a folder), or only the environments named.
//   npx tsx apps/main.ts [environment...]
// The root cdktf.json and `npm run synth` run it for all; apps/<env>/cdktf.json for one.
import "@pgforks/stacks/src/synth-process";
import { parseArgs } from "node:util";
import { renderCostSummary } from "@pgforks/plan-review/src/cost";
import { runSynth } from "@pgforks/stacks";

let environments: string[];
try {
  environments = parseArgs({ allowPositionals: true }).positionals;
} catch (error) {
  console.error(`error: ${(error as Error).message}\nusage: main.ts [environment...]`);
  process.exit(2);
}
runSynth({
  ...(environments.length > 0 ? { environments } : {}),
  extraSummary: renderCostSummary,
});
