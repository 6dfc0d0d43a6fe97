// Synthesizes only this environment: `npx tsx apps/staging/src/main.ts` (or `cdktf synth` in apps/staging).
import "@pgforks/stacks/src/synth-process";
import { runSynth } from "@pgforks/stacks";
import { app } from "./index";

runSynth([app]);
