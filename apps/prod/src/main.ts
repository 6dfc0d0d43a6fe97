// Synthesizes only this environment: `npx tsx apps/prod/src/main.ts` (or `cdktf synth` in apps/prod).
import "@pgforks/stacks/src/synth-process";
import { runSynth } from "@pgforks/stacks";
import { app } from "./index";

runSynth([app]);
