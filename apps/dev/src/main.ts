// Synthesizes only this environment: `npx tsx apps/dev/src/main.ts` (or `cdktf synth` in apps/dev).
import "@pgforks/stacks/src/synth-process";
import { runSynth } from "@pgforks/stacks";
import { app } from "./index";

runSynth([app]);
