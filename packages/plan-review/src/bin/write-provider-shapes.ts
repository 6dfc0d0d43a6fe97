/**
 * Regenerates src/provider-shapes.json from the providers in the mirror:
 * `npm run provider-shapes -w @pgforks/plan-review` (needs terraform and both providers in the
 * mirror; see the README, "Providers").
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateProviderShapes } from "../provider-shapes-source";

const file = join(__dirname, "..", "provider-shapes.json");
generateProviderShapes()
  .then((shapes) => {
    writeFileSync(file, `${JSON.stringify(shapes, null, 2)}\n`);
    console.log(`wrote ${file} (${Object.keys(shapes.resources).length} resource types)`);
  })
  .catch((error: Error) => {
    console.error(`provider-shapes: ${error.message}`);
    process.exitCode = 1;
  });
