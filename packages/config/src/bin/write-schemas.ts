/**
 * Writes environments/schema/*.schema.json from the zod schemas (`npm run schema`), under the
 * environments/ lock and all together. A test fails when the committed files differ from what
 * this writes.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { withEnvironmentsLock } from "../environments-lock";
import { CONFIG_SCHEMAS, type ConfigKind, renderJsonSchema, schemaFileName } from "../json-schema";
import { environmentsDir } from "../load";
import { deferSignals } from "../processes";

deferSignals((signal) => `interrupted (${signal}): the schemas were written together, or none`);
const dir = join(environmentsDir(), "schema");
mkdirSync(dir, { recursive: true });
const written = withEnvironmentsLock(environmentsDir(), (tx) =>
  (Object.keys(CONFIG_SCHEMAS) as ConfigKind[]).map((kind) => {
    const file = join(dir, schemaFileName(kind));
    tx.write(file, renderJsonSchema(kind));
    return file;
  }),
);
for (const file of written) console.log(`wrote ${file}`);
