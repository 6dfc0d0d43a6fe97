/**
 * How the values of each resource type the product uses nest, reduced from the providers' own
 * schemas (`terraform providers schema -json`) to what an attribute diff needs: which attributes
 * and nested blocks are lists, sets or maps, and what their elements hold. The extract is
 * generated into provider-shapes.json by `npm run provider-shapes -w @pgforks/plan-review`
 * (src/bin/write-provider-shapes.ts).
 */
import type {
  CtyType,
  NestingMode,
  ProviderSchemas,
  SchemaAttribute,
  SchemaBlock,
} from "@pgforks/terraform-harness";
import generated from "./provider-shapes.json";

/**
 * The nesting of one value. A value without a shape (undefined) is a primitive, or an object
 * whose attributes are all primitives.
 */
export interface ValueShape {
  /** A collection: list (by index), set (unordered, elements compared whole) or map (by key). */
  readonly kind?: "list" | "set" | "map";
  /** Shape of each element of a collection. Absent: primitive elements or flat objects. */
  readonly element?: ValueShape;
  /** Shapes of an object's attributes that nest further; the others are absent. */
  readonly attributes?: Readonly<Record<string, ValueShape>>;
}

/** The committed extract: per resource type, the shape of its values. */
export interface ProviderShapes {
  /** The providers the extract was made from (source → version). */
  readonly providers: Readonly<Record<string, string>>;
  /** Resource type → shape of its whole value (an object). */
  readonly resources: Readonly<Record<string, ValueShape>>;
}

/** The extract generated from the providers in the mirror (provider-shapes.json). */
export const PROVIDER_SHAPES: ProviderShapes = generated as ProviderShapes;

/** The shape of a resource type's values, or undefined for a type the extract does not know. */
export function resourceShape(type: string, shapes = PROVIDER_SHAPES): ValueShape | undefined {
  return shapes.resources[type];
}

function compact(shape: ValueShape): ValueShape | undefined {
  return shape.kind === undefined && shape.attributes === undefined ? undefined : shape;
}

function collection(kind: string, element: ValueShape | undefined): ValueShape | undefined {
  const k = kind === "single" || kind === "group" ? undefined : (kind as ValueShape["kind"]);
  if (k === undefined) return element;
  return element === undefined ? { kind: k } : { kind: k, element };
}

function ctyShape(type: CtyType): ValueShape | undefined {
  if (typeof type === "string") return undefined;
  const [kind, inner] = type;
  if (kind === "object") {
    return compact({ attributes: containerAttributes(inner as Record<string, CtyType>, ctyShape) });
  }
  if (kind === "tuple") return undefined;
  return collection(kind, ctyShape(inner as CtyType));
}

function containerAttributes<T>(
  entries: Readonly<Record<string, T>>,
  shapeOf: (value: T) => ValueShape | undefined,
): Record<string, ValueShape> | undefined {
  const out: Record<string, ValueShape> = {};
  for (const name of Object.keys(entries).sort()) {
    const shape = shapeOf(entries[name] as T);
    if (shape !== undefined) out[name] = shape;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function attributeShape(attribute: SchemaAttribute): ValueShape | undefined {
  if (attribute.nested_type) {
    const element = compact({
      attributes: containerAttributes(attribute.nested_type.attributes, attributeShape),
    });
    return collection(attribute.nested_type.nesting_mode, element);
  }
  return attribute.type === undefined ? undefined : ctyShape(attribute.type);
}

function blockShape(block: SchemaBlock): ValueShape {
  const attributes = {
    ...containerAttributes(block.attributes ?? {}, attributeShape),
    ...containerAttributes(block.block_types ?? {}, (nested) =>
      collection(nested.nesting_mode satisfies NestingMode, compact(blockShape(nested.block))),
    ),
  };
  const sorted = Object.fromEntries(
    Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return Object.keys(sorted).length > 0 ? { attributes: sorted } : {};
}

/** The extract of `schemas` for the resource `types` (each must be in the schemas). */
export function extractProviderShapes(
  schemas: ProviderSchemas,
  types: readonly string[],
  providers: Readonly<Record<string, string>>,
): ProviderShapes {
  const resources: Record<string, ValueShape> = {};
  for (const type of [...new Set(types)].sort()) {
    const schema = Object.values(schemas.provider_schemas)
      .map((p) => p.resource_schemas?.[type])
      .find((s) => s !== undefined);
    if (!schema) throw new Error(`no provider schema describes resource type ${type}`);
    resources[type] = blockShape(schema.block);
  }
  return { providers, resources };
}
