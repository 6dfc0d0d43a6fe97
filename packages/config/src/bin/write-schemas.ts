/**
 * Writes environments/schema/*.schema.json from the zod schemas (`npm run schema`).
 * A test fails when the committed files differ from what this writes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_SCHEMAS, type ConfigKind, renderJsonSchema, schemaFileName } from "../json-schema";
import { environmentsDir } from "../load";

const dir = join(environmentsDir(), "schema");
mkdirSync(dir, { recursive: true });
for (const kind of Object.keys(CONFIG_SCHEMAS) as ConfigKind[]) {
  const file = join(dir, schemaFileName(kind));
  writeFileSync(file, renderJsonSchema(kind));
  console.log(`wrote ${file}`);
}
