import {
  code,
  heading,
  type Inline,
  link,
  paragraph,
  type RootContent,
  stringify,
  strong,
  table,
} from "@pgforks/markdown";
import { CONFIG_SCHEMAS, type ConfigKind, jsonSchemaFor, schemaFileName } from "./json-schema";

/** Where the reference is committed, relative to environments/. */
export const CONFIG_REFERENCE_FILE = "README.md";

/** The part of a JSON Schema node the reference reads. */
interface FieldSchema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: FieldSchema;
  properties?: Record<string, FieldSchema>;
  required?: string[];
  propertyNames?: FieldSchema;
  additionalProperties?: FieldSchema | boolean;
}

/** One row of a file's table: a field at a dotted path (`[]` for list items). */
export interface ReferenceRow {
  readonly path: string;
  readonly required: boolean;
  readonly schema: FieldSchema;
}

/**
 * Every field of a config file, depth first in schema order: objects are rows of their own
 * followed by their fields, a list of objects by its items' fields (`path[].field`).
 */
export function referenceRows(kind: ConfigKind): ReferenceRow[] {
  const rows: ReferenceRow[] = [];
  const visit = (node: FieldSchema, prefix: string): void => {
    const required = new Set(node.required ?? []);
    for (const [key, field] of Object.entries(node.properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      rows.push({ path, required: required.has(key), schema: field });
      if (field.properties) visit(field, path);
      if (field.items?.properties) visit(field.items, `${path}[]`);
    }
  };
  visit(jsonSchemaFor(kind) as FieldSchema, "");
  return rows;
}

/**
 * "1 to 100", "at least 1", "at most 500": a range without the bounds zod writes for any integer
 * (±Number.MAX_SAFE_INTEGER), which say nothing.
 */
function range(min: number | undefined, max: number | undefined, unit = ""): string | undefined {
  const hasMin = min !== undefined && min > Number.MIN_SAFE_INTEGER;
  const hasMax = max !== undefined && max < Number.MAX_SAFE_INTEGER;
  if (hasMin && hasMax) return `${min} to ${max}${unit}`;
  if (hasMin) return `at least ${min}${unit}`;
  if (hasMax) return `at most ${max}${unit}`;
  return undefined;
}

/** Longer lists of allowed values are counted, not listed: the JSON Schema has them all. */
const MAX_LISTED_VALUES = 24;

/** What a value of `schema` may be: its type, then the limits the schema states. */
function allowed(schema: FieldSchema): Inline[] {
  if (schema.enum && schema.enum.length > MAX_LISTED_VALUES) {
    return [
      `one of the ${schema.enum.length} values the JSON Schema lists, e.g. `,
      code(String(schema.enum[0])),
    ];
  }
  if (schema.enum) {
    const parts: Inline[] = ["one of "];
    schema.enum.forEach((value, i) => {
      if (i > 0) parts.push(", ");
      parts.push(code(String(value)));
    });
    return parts;
  }
  const limits: Inline[] = [];
  const add = (...parts: Inline[]) => limits.push(limits.length > 0 ? "; " : " ", ...parts);
  switch (schema.type) {
    case "array": {
      const items = schema.items ?? {};
      const count = range(schema.minItems, schema.maxItems, " items");
      const of = items.properties ? ["objects"] : allowed(items);
      return ["list of ", ...of, ...(count ? [` (${count})`] : [])];
    }
    case "object": {
      if (schema.properties) return ["object"];
      const keys = schema.propertyNames;
      const values =
        typeof schema.additionalProperties === "object" ? schema.additionalProperties : {};
      return [
        "map; keys ",
        ...(keys ? allowed(keys) : ["string"]),
        ", values ",
        ...allowed(values),
      ];
    }
    case "string": {
      const length = range(schema.minLength, schema.maxLength, " characters");
      if (length) add(length);
      if (schema.format) add(schema.format);
      if (schema.pattern) add("matching ", code(schema.pattern));
      return ["string", ...limits];
    }
    default: {
      const bounds = range(schema.minimum, schema.maximum);
      if (bounds) add(bounds);
      return [schema.type ?? "any", ...limits];
    }
  }
}

/** The default column: the default as YAML would spell it, "required", or "optional". */
function defaultCell(row: ReferenceRow): Inline[] {
  if (row.schema.default !== undefined) return [code(JSON.stringify(row.schema.default))];
  return row.required ? [strong("required")] : ["optional"];
}

const INTRO: RootContent[] = [
  heading(1, "Configuration reference"),
  paragraph(
    "Each folder here is one environment (its name is the folder's) with two files: ",
    code("environment.yaml"),
    " (the shared instance, network, proxy, alarms, state backend, CI) and ",
    code("tenants.yaml"),
    " (the forks). ",
    code("local/"),
    " holds only a ",
    code("tenants.yaml"),
    ", the forks of ",
    code("npm start"),
    ". Every field of both files is below: its type and allowed values, its default, and why.",
  ),
  paragraph(
    code("npm run validate"),
    " (or ",
    code("npm run synth"),
    ") checks every file and reports every problem at once with its file, line and field; rules that span fields or files (a dropped tenant's ",
    code("confirmDrop"),
    ", the tier's minimums, the connection budget of the instance class, subnets that fit the VPC) are checked there too and named in the descriptions. Edit ",
    code("tenants.yaml"),
    " with ",
    code("npm run tenant"),
    " to have it validated, locked and written atomically; see ",
    link("../README.md#adding-a-tenant-end-to-end", "Adding a tenant, end to end"),
    " and, for what each setting costs per month, ",
    link("../README.md#per-environment-differences", "Per-environment differences"),
    ".",
  ),
  paragraph(
    "Generated by ",
    code("npm run schema"),
    " from the zod schemas that validate the files (",
    link("../packages/config/src/schema", code("packages/config/src/schema")),
    "), like the JSON Schemas in ",
    link("schema", code("schema/")),
    " that editors read; a test fails when this file is stale. Do not edit it by hand.",
  ),
];

/** The reference Markdown committed as environments/README.md. */
export function renderConfigReference(): string {
  const sections = (Object.keys(CONFIG_SCHEMAS) as ConfigKind[]).flatMap((kind) => [
    heading(2, code(`<env>/${kind}.yaml`)),
    paragraph(
      "JSON Schema: ",
      link(`schema/${schemaFileName(kind)}`, code(`schema/${schemaFileName(kind)}`)),
      ". A field whose default is ",
      strong("required"),
      " must be set; an ",
      code("optional"),
      " one without a default may be left out.",
    ),
    table(
      [null, null, null, null],
      [
        ["Field", "Allowed", "Default", "Description"],
        ...referenceRows(kind).map((row) => [
          code(row.path),
          allowed(row.schema),
          defaultCell(row),
          row.schema.description ?? "",
        ]),
      ],
    ),
  ]);
  return stringify([...INTRO, ...sections]);
}
