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
import { CONFIG_REFERENCE_FILE, referenceRows, renderConfigReference } from "../src/reference";

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

describe("the configuration reference (environments/README.md)", () => {
  it("is up to date (run `npm run schema`)", () => {
    const committed = readFileSync(join(environmentsDir(), CONFIG_REFERENCE_FILE), "utf8");
    expect(committed).toBe(renderConfigReference());
  });

  /** Every property path of a JSON Schema, walked here independently of the reference. */
  interface Node {
    properties?: Record<string, Node>;
    items?: Node;
  }
  function propertyPaths(node: Node, prefix = ""): string[] {
    return Object.entries(node.properties ?? {}).flatMap(([key, field]) => {
      const path = prefix ? `${prefix}.${key}` : key;
      return [
        path,
        ...propertyPaths(field, path),
        ...(field.items ? propertyPaths(field.items, `${path}[]`) : []),
      ];
    });
  }

  it.each(Object.keys(CONFIG_SCHEMAS) as ConfigKind[])(
    "has one described row per field of %s.yaml",
    (kind) => {
      const schema = JSON.parse(renderJsonSchema(kind));
      const paths = propertyPaths(schema);
      expect(referenceRows(kind).map((row) => row.path)).toEqual(paths);
      const markdown = renderConfigReference();
      for (const row of referenceRows(kind)) {
        expect([row.path, typeof row.schema.description]).toEqual([row.path, "string"]);
        expect(markdown).toContain(`| \`${row.path}\` |`);
      }
    },
  );

  it("states each field's allowed values, default or requirement", () => {
    const rowOf = (path: string) =>
      renderConfigReference()
        .split("\n")
        .find((line) => line.startsWith(`| \`${path}\` |`));
    expect(rowOf("database.backupRetentionDays")).toMatch(
      /^\| `[^|]+` \| integer 1 to 35 \| `7` \|/,
    );
    expect(rowOf("database.multiAz")).toMatch(/\| \*\*required\*\* \|/);
    expect(rowOf("tenants[].state")).toContain(
      "one of `active`, `suspended`, `retired`, `dropped`",
    );
    expect(rowOf("tenants[].confirmDrop")).toMatch(/\| optional \|/);
    // Refinements the editors and the reference would not otherwise know about.
    expect(rowOf("database.monitoringIntervalSeconds")).toContain(
      "one of `1`, `5`, `10`, `15`, `30`, `60`",
    );
    expect(rowOf("region")).toContain("one of the 37 values the JSON Schema lists");
    // No bound zod writes for any integer.
    expect(renderConfigReference()).not.toContain(String(Number.MAX_SAFE_INTEGER));
  });
});
