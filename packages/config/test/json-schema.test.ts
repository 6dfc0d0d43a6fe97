import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CONFIG_SCHEMAS,
  type ConfigKind,
  environmentNames,
  environmentsDir,
  renderJsonSchema,
  schemaFileName,
} from "../src";

describe("the committed JSON Schemas", () => {
  it.each(Object.keys(CONFIG_SCHEMAS) as ConfigKind[])(
    "%s.schema.json is up to date (run `npm run schema`)",
    (kind) => {
      const committed = readFileSync(
        join(environmentsDir(), "schema", schemaFileName(kind)),
        "utf8",
      );
      expect(committed).toBe(renderJsonSchema(kind));
    },
  );

  it("are referenced from every YAML file for editor completion", () => {
    for (const env of environmentNames()) {
      for (const kind of Object.keys(CONFIG_SCHEMAS) as ConfigKind[]) {
        const text = readFileSync(join(environmentsDir(), env, `${kind}.yaml`), "utf8");
        expect(text.split("\n")[0]).toBe(
          `# yaml-language-server: $schema=../schema/${schemaFileName(kind)}`,
        );
      }
    }
  });

  it("documents every property and forbids unknown keys", () => {
    const schema = JSON.parse(renderJsonSchema("tenants"));
    const tenant = schema.properties.tenants.items;
    expect(tenant.additionalProperties).toBe(false);
    for (const [key, prop] of Object.entries<{ description?: string }>(tenant.properties)) {
      expect([key, typeof prop.description]).toEqual([key, "string"]);
    }
  });
});
