import { z } from "zod";
import { environmentSchema } from "./schema/environment";
import { tenantsFileSchema } from "./schema/tenants";

/** The two configuration files of an environment, by kind. */
export const CONFIG_SCHEMAS = {
  environment: environmentSchema,
  tenants: tenantsFileSchema,
} as const;

export type ConfigKind = keyof typeof CONFIG_SCHEMAS;

/** File name of the committed JSON Schema, under environments/schema/. */
export function schemaFileName(kind: ConfigKind): string {
  return `${kind}.schema.json`;
}

interface JsonSchemaNode {
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  [key: string]: unknown;
}

const cache = new Map<ConfigKind, JsonSchemaNode>();

/** JSON Schema (draft 2020-12) of a config file as the user writes it (defaults optional). */
export function jsonSchemaFor(kind: ConfigKind): JsonSchemaNode {
  let schema = cache.get(kind);
  if (!schema) {
    schema = {
      ...(z.toJSONSchema(CONFIG_SCHEMAS[kind], {
        io: "input",
        unrepresentable: "any",
      }) as JsonSchemaNode),
      title:
        kind === "environment"
          ? "environments/<env>/environment.yaml"
          : "environments/<env>/tenants.yaml",
    };
    cache.set(kind, schema);
  }
  return schema;
}

/** The serialized schema file as committed (stable key order, trailing newline). */
export function renderJsonSchema(kind: ConfigKind): string {
  return `${JSON.stringify(jsonSchemaFor(kind), null, 2)}\n`;
}

/** The keys allowed in the object at `path` of a config file (for "unknown key" messages). */
export function allowedKeysAt(kind: ConfigKind, path: readonly PropertyKey[]): string[] {
  let node: JsonSchemaNode | undefined = jsonSchemaFor(kind);
  for (const key of path) {
    if (!node) return [];
    node = typeof key === "number" ? node.items : node.properties?.[String(key)];
  }
  return Object.keys(node?.properties ?? {});
}
