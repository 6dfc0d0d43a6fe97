/**
 * Writes environments/schema/*.schema.json and the configuration reference
 * (environments/README.md) from the zod schemas (`npm run schema`), under the environments/ lock
 * and all together. A test fails when the committed files differ from what this writes.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  interruptibleUntilLocked,
  LockBusyError,
  withEnvironmentsLock,
} from "../environments-lock";
import { FileSystemError } from "../fs-errors";
import { CONFIG_SCHEMAS, type ConfigKind, renderJsonSchema, schemaFileName } from "../json-schema";
import { environmentsDir } from "../load";
import { CONFIG_REFERENCE_FILE, renderConfigReference } from "../reference";

// Ctrl-C: nothing written before the lock is taken; after, the schemas are written together or none.
interruptibleUntilLocked();
const dir = join(environmentsDir(), "schema");
mkdirSync(dir, { recursive: true });
withEnvironmentsLock(environmentsDir(), (tx) => {
  const written = (Object.keys(CONFIG_SCHEMAS) as ConfigKind[]).map((kind) => {
    const file = join(dir, schemaFileName(kind));
    tx.write(file, renderJsonSchema(kind));
    return file;
  });
  const reference = join(environmentsDir(), CONFIG_REFERENCE_FILE);
  tx.write(reference, renderConfigReference());
  return [...written, reference];
}).then(
  (written) => {
    for (const file of written) console.log(`wrote ${file}`);
  },
  (error: unknown) => {
    // Another command holds the lock, an unwritable file: one line, nothing written.
    if (!(error instanceof LockBusyError || error instanceof FileSystemError)) throw error;
    console.error(`error: ${error.message}`);
    process.exitCode = 1;
  },
);
