// The root cdktf app (cdktf.json, `npm run synth`): every environment, six stacks.
import "@pgforks/stacks/src/synth-process";
import { app as dev } from "@pgforks/app-dev";
import { app as prod } from "@pgforks/app-prod";
import { app as staging } from "@pgforks/app-staging";
import { renderCostSummary } from "@pgforks/plan-review/src/cost";
import { runSynth } from "@pgforks/stacks";

runSynth([dev, staging, prod], { extraSummary: renderCostSummary });
