/**
 * Types of `terraform providers schema -json`
 * (developer.hashicorp.com/terraform/cli/commands/providers/schema) and lookups into it.
 * Only the fields the prior-state fabrication reads are typed.
 */

/**
 * A cty type in JSON form: "string" | "number" | "bool" | "dynamic", or ["list", T],
 * ["set", T], ["map", T], ["object", { attr: T }], ["tuple", [T, ...]].
 */
export type CtyType =
  | "string"
  | "number"
  | "bool"
  | "dynamic"
  | readonly ["list" | "set" | "map", CtyType]
  | readonly ["object", Readonly<Record<string, CtyType>>]
  | readonly ["tuple", readonly CtyType[]];

/** How a nested block (or a framework nested attribute) repeats. */
export type NestingMode = "single" | "group" | "list" | "set" | "map";

/** One attribute of a schema block. */
export interface SchemaAttribute {
  /** cty type; absent when the attribute is a framework nested attribute (see nested_type). */
  readonly type?: CtyType;
  /** Plugin-framework nested attribute: its own attributes and nesting. */
  readonly nested_type?: {
    readonly attributes: Readonly<Record<string, SchemaAttribute>>;
    readonly nesting_mode: NestingMode;
  };
  readonly required?: boolean;
  readonly optional?: boolean;
  readonly computed?: boolean;
  readonly sensitive?: boolean;
  /** Write-only attributes are never stored in state (Terraform 1.11). */
  readonly write_only?: boolean;
}

/** A schema block: attributes and nested block types. */
export interface SchemaBlock {
  readonly attributes?: Readonly<Record<string, SchemaAttribute>>;
  readonly block_types?: Readonly<Record<string, SchemaNestedBlock>>;
}

/** A nested block type. */
export interface SchemaNestedBlock {
  readonly nesting_mode: NestingMode;
  readonly block: SchemaBlock;
  readonly min_items?: number;
  readonly max_items?: number;
}

/** The schema of one resource type. */
export interface ResourceSchema {
  /** Schema version, stored in state as the instance's schema_version. */
  readonly version: number;
  readonly block: SchemaBlock;
}

/** One provider's schemas. */
export interface ProviderSchema {
  readonly resource_schemas?: Readonly<Record<string, ResourceSchema>>;
  readonly data_source_schemas?: Readonly<Record<string, ResourceSchema>>;
}

/** `terraform providers schema -json`. */
export interface ProviderSchemas {
  readonly format_version: string;
  /** Keyed by full provider source ("registry.terraform.io/hashicorp/aws"). */
  readonly provider_schemas: Readonly<Record<string, ProviderSchema>>;
}

/** Raised when a plan names a resource type the schemas do not describe. */
export class SchemaNotFoundError extends Error {
  override readonly name = "SchemaNotFoundError";
}

/**
 * The schema of a managed resource type of a provider (full source, as in a plan's
 * provider_name). Throws {@link SchemaNotFoundError} when absent.
 */
export function resourceSchemaOf(
  schemas: ProviderSchemas,
  providerName: string,
  type: string,
): ResourceSchema {
  const schema = schemas.provider_schemas[providerName]?.resource_schemas?.[type];
  if (!schema) {
    throw new SchemaNotFoundError(
      `No schema for resource type ${type} of provider ${providerName} (providers with schemas: ${Object.keys(schemas.provider_schemas).join(", ") || "none"}).`,
    );
  }
  return schema;
}
