/**
 * A Terraform state (format version 4) fabricated from an earlier plan, so that offline plans can
 * show updates, replacements and deletions: there is no AWS to read the real state from.
 *
 * Known values come from the plan's planned values; every value the plan only knew "after apply"
 * (and every computed attribute it left out) gets a deterministic placeholder of the type that
 * `terraform providers schema -json` gives for it. Terraform then plans the configuration against
 * this state with -refresh=false, so the provider never reads AWS.
 */
import { createHash } from "node:crypto";
import type { PlanJson, ResourceChange, StateModule, StateResource } from "./json-output";
import {
  type CtyType,
  type ProviderSchemas,
  resourceSchemaOf,
  type SchemaAttribute,
  type SchemaBlock,
  type SchemaNestedBlock,
} from "./provider-schema";

/** One instance of a resource in a v4 state. */
export interface StateInstanceV4 {
  /** count index or for_each key; absent for a single instance. */
  readonly index_key?: number | string;
  /** Schema version of the resource type (from the provider schema). */
  readonly schema_version: number;
  /** Every attribute of the schema, nested blocks included. */
  readonly attributes: Record<string, unknown>;
  /** Paths of values marked sensitive by the configuration (not by the schema). */
  readonly sensitive_attributes: readonly unknown[];
  /** Provider-private data, base64; absent: none. */
  readonly private?: string;
  /** Addresses this instance depends on; absent: none recorded. */
  readonly dependencies?: readonly string[];
}

/** One resource in a v4 state. */
export interface StateResourceV4 {
  /** "module.x" for resources in child modules; absent in the root module. */
  readonly module?: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
  /** `provider["registry.terraform.io/hashicorp/aws"]`, with `.alias` for aliased providers. */
  readonly provider: string;
  readonly instances: readonly StateInstanceV4[];
}

/** A root output in a v4 state. */
export interface StateOutputV4 {
  readonly value: unknown;
  /** cty type of the value. */
  readonly type: CtyType;
  readonly sensitive?: boolean;
}

/** Terraform state, format version 4 (what `terraform.tfstate` holds since Terraform 0.12). */
export interface TerraformStateV4 {
  readonly version: 4;
  readonly terraform_version: string;
  readonly serial: number;
  readonly lineage: string;
  readonly outputs: Record<string, StateOutputV4>;
  readonly resources: readonly StateResourceV4[];
  readonly check_results: null;
}

/** Options of {@link fabricatePriorState}. */
export interface FabricateOptions {
  /**
   * AWS account id used in placeholder ARNs. Default: the aws provider's first
   * allowed_account_ids entry in the plan's configuration, else {@link PLACEHOLDER_ACCOUNT}.
   */
  readonly account?: string;
  /**
   * AWS region used in placeholder ARNs and host names. Default: the aws provider's region in
   * the plan's configuration, else {@link PLACEHOLDER_REGION}.
   */
  readonly region?: string;
  /** State lineage. Default: a UUID-shaped hash of the plan's resource addresses (deterministic). */
  readonly lineage?: string;
  /** State serial. Default 1. */
  readonly serial?: number;
  /**
   * The synthesized configuration the plan was made from (cdk.tf.json). When given, a value
   * known only after apply whose configuration is a plain reference ("${aws_vpc.x.id}") or a
   * template of plain references is resolved from the referenced resource's fabricated state,
   * so references between resources agree from the start. Default: no resolution (see
   * settlePriorState, which lets Terraform resolve what is left).
   */
  readonly config?: Record<string, unknown>;
}

/** Account id of placeholder ARNs when the plan names none (AWS documentation's example account). */
export const PLACEHOLDER_ACCOUNT = "123456789012";
/** Region of placeholder ARNs when the plan names none. */
export const PLACEHOLDER_REGION = "us-east-1";
/** Prefix of every fabricated string, so a placeholder is recognisable wherever it shows up. */
export const PLACEHOLDER_PREFIX = "placeholder";

/**
 * ARN service of resource types whose name does not start with their service
 * (docs.aws.amazon.com/service-authorization/latest/reference: "Actions, resources, and
 * condition keys for <service>"). Other types use their second name segment (aws_kms_key: kms).
 */
export const ARN_SERVICE_BY_TYPE_PREFIX: Readonly<Record<string, string>> = {
  aws_db_: "rds",
  aws_cloudwatch_log_: "logs",
  aws_cloudwatch_metric_alarm: "cloudwatch",
  aws_cloudwatch_dashboard: "cloudwatch",
  aws_vpc: "ec2",
  aws_subnet: "ec2",
  aws_security_group: "ec2",
  aws_default_security_group: "ec2",
  aws_route: "ec2",
  aws_instance: "ec2",
  aws_launch_template: "ec2",
  aws_flow_log: "ec2",
  aws_internet_gateway: "ec2",
  aws_nat_gateway: "ec2",
  aws_eip: "ec2",
  aws_network_acl: "ec2",
  aws_default_network_acl: "ec2",
};

/** ARN service named by the stem of an `<stem>_arn` attribute that points at another service. */
const ARN_SERVICE_BY_STEM: ReadonlyArray<readonly [RegExp, string]> = [
  [/kms/, "kms"],
  [/secret/, "secretsmanager"],
  [/role|profile|policy/, "iam"],
  [/topic|sns/, "sns"],
  [/log/, "logs"],
];

/** IAM is a global service: its ARNs have an empty region (IAM User Guide, "IAM ARNs"). */
const GLOBAL_SERVICES = new Set(["iam"]);

/**
 * Resource types whose `id` IS another attribute (the provider sets the id from it), so a
 * placeholder id equals that attribute, as in real state: the ARN for ARN-identified resources,
 * the name for name-identified ones (per the hashicorp/aws 5.100.0 docs, "Attribute Reference":
 * "id - ARN of ..." / "id - Name of ...").
 */
export const ID_ATTRIBUTE_BY_TYPE: Readonly<Record<string, string>> = {
  aws_sns_topic: "arn",
  aws_sns_topic_subscription: "arn",
  aws_secretsmanager_secret: "arn",
  aws_iam_policy: "arn",
  aws_iam_role: "name",
  aws_iam_instance_profile: "name",
  aws_db_subnet_group: "name",
  aws_db_parameter_group: "name",
  aws_db_proxy: "name",
  aws_db_event_subscription: "name",
  aws_cloudwatch_log_group: "name",
  aws_cloudwatch_metric_alarm: "alarm_name",
  aws_cloudwatch_dashboard: "dashboard_name",
  aws_kms_alias: "name",
};

/**
 * Prefixes of EC2 resource ids ("Resource IDs", Amazon EC2 User Guide: a prefix, a hyphen and
 * letters and digits). The provider validates some of them at plan time (launch_template.0.id
 * "must begin with 'lt-'"), so placeholder ids of these types keep the prefix:
 * "<prefix>-placeholder<8 hex>".
 */
export const EC2_ID_PREFIX_BY_TYPE: Readonly<Record<string, string>> = {
  aws_vpc: "vpc",
  aws_subnet: "subnet",
  aws_security_group: "sg",
  aws_default_security_group: "sg",
  aws_vpc_security_group_ingress_rule: "sgr",
  aws_vpc_security_group_egress_rule: "sgr",
  aws_instance: "i",
  aws_launch_template: "lt",
  aws_route_table: "rtb",
  aws_default_route_table: "rtb",
  aws_route_table_association: "rtbassoc",
  aws_vpc_endpoint: "vpce",
  aws_flow_log: "fl",
  aws_internet_gateway: "igw",
  aws_nat_gateway: "nat",
  aws_eip: "eipalloc",
  aws_network_interface: "eni",
  aws_network_acl: "acl",
  aws_default_network_acl: "acl",
};

type PathPart = string | number;

/** What a placeholder is derived from: the resource and where the value sits in it. */
interface PlaceholderContext {
  readonly type: string;
  readonly name: string;
  readonly index?: number | string;
  readonly account: string;
  readonly region: string;
  /** The resource's known top-level values (for ids equal to a known name). */
  readonly values: Record<string, unknown>;
  /** The value the configuration gives a path, resolved from other resources; undefined: none. */
  readonly resolve: (path: readonly PathPart[]) => unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function serviceOfType(type: string): string {
  const prefix = Object.keys(ARN_SERVICE_BY_TYPE_PREFIX)
    .filter((candidate) => type.startsWith(candidate))
    .sort((a, b) => b.length - a.length)[0];
  if (prefix !== undefined) return ARN_SERVICE_BY_TYPE_PREFIX[prefix] as string;
  return type.split("_")[1] ?? type;
}

/**
 * Lowercase letters, digits and hyphens only: AWS names (target groups, identifiers) reject
 * anything else, and cdktf's resource names have underscores and upper-case hashes.
 */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
}

/** 8 hex digits derived from a text: short, deterministic, unique enough within one stack. */
function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

/** The instance's name in placeholders: "<name>" or "<name>-<index>", slugged. */
function instanceLabel(ctx: PlaceholderContext): string {
  return slug(ctx.index === undefined ? ctx.name : `${ctx.name}-${ctx.index}`);
}

/** "arn:aws:<service>:<region>:<account>:placeholder/<resource>[/<path>]". */
function arnPlaceholder(ctx: PlaceholderContext, path: readonly PathPart[]): string {
  const leaf = String([...path].reverse().find((part) => typeof part === "string") ?? "");
  const own = path.length === 1 && (leaf === "arn" || leaf === "id");
  const stem = leaf.replace(/_?arn$/, "");
  const service =
    own || stem === ""
      ? serviceOfType(ctx.type)
      : (ARN_SERVICE_BY_STEM.find(([pattern]) => pattern.test(stem))?.[1] ??
        serviceOfType(ctx.type));
  const region = GLOBAL_SERVICES.has(service) ? "" : ctx.region;
  const suffix = own ? "" : `/${slug(leaf)}`;
  return `arn:aws:${service}:${region}:${ctx.account}:${PLACEHOLDER_PREFIX}/${instanceLabel(ctx)}${suffix}`;
}

/** A deterministic string placeholder, plausible where it matters (ids, ARNs). */
function stringPlaceholder(ctx: PlaceholderContext, path: readonly PathPart[]): string {
  const leaf = String([...path].reverse().find((part) => typeof part === "string") ?? "");
  if (path.length === 1 && leaf === "id") {
    const source = ID_ATTRIBUTE_BY_TYPE[ctx.type];
    if (source === "arn") return arnPlaceholder(ctx, ["arn"]);
    const known = source !== undefined ? ctx.values[source] : undefined;
    if (typeof known === "string") return known;
    const ec2Prefix = EC2_ID_PREFIX_BY_TYPE[ctx.type];
    if (ec2Prefix !== undefined) {
      return `${ec2Prefix}-${PLACEHOLDER_PREFIX}${shortHash(`${ctx.type}.${instanceLabel(ctx)}`)}`;
    }
    return `${PLACEHOLDER_PREFIX}-${slug(ctx.type)}-${instanceLabel(ctx)}`;
  }
  if (leaf === "arn" || leaf.endsWith("_arn")) return arnPlaceholder(ctx, path);
  return `${PLACEHOLDER_PREFIX}-${instanceLabel(ctx)}-${slug(leaf)}`;
}

/**
 * Values known only after apply that the provider validates or compares at plan time, so a
 * generic placeholder would make the plan fail or diff. Keyed "<type>.<attribute path>"; each
 * is the value AWS really reports, with its source.
 */
export const KNOWN_AFTER_APPLY_VALUES: Readonly<Record<string, unknown>> = {
  // A standard (non-FIFO) topic has no FIFO throughput scope; the provider rejects any value
  // ("FIFO throughput scope can only be set for FIFO topics", hashicorp/aws 5.100.0 aws_sns_topic).
  "aws_sns_topic.fifo_throughput_scope": "",
  // The provider stores a SHA-1 of user_data and hashes whatever the prior state holds when the
  // configuration leaves it unset (the bastion's user data lives in its launch template), so any
  // placeholder would change on every plan. An instance without its own user data has none.
  "aws_instance.user_data": null,
  "aws_instance.user_data_base64": null,
};

/** A type-correct placeholder for a value known only after apply (resolved from config when possible). */
function placeholderOf(type: CtyType, ctx: PlaceholderContext, path: readonly PathPart[]): unknown {
  const special = `${ctx.type}.${path.filter((part) => typeof part === "string").join(".")}`;
  if (Object.hasOwn(KNOWN_AFTER_APPLY_VALUES, special)) return KNOWN_AFTER_APPLY_VALUES[special];
  const resolved = ctx.resolve(path);
  if (resolved !== undefined) return type === "dynamic" ? dynamicValue(resolved) : resolved;
  return genericPlaceholder(type, ctx, path);
}

function genericPlaceholder(
  type: CtyType,
  ctx: PlaceholderContext,
  path: readonly PathPart[],
): unknown {
  if (type === "string") return stringPlaceholder(ctx, path);
  if (type === "number") return 0;
  if (type === "bool") return false;
  // A dynamic value's type is unknown too: a string is the most common (ids, ARNs in maps).
  if (type === "dynamic") return dynamicValue(stringPlaceholder(ctx, path));
  const [kind, element] = type;
  if (kind === "list" || kind === "set") {
    // A computed list of objects (master_user_secret, dns_entry) is read as `x[0].attr`: one
    // element keeps such references valid. Lists of primitives stay empty.
    return Array.isArray(element) && element[0] === "object"
      ? [placeholderOf(element, ctx, [...path, 0])]
      : [];
  }
  if (kind === "map") return {};
  if (kind === "tuple") return element.map((t, i) => placeholderOf(t, ctx, [...path, i]));
  return Object.fromEntries(
    Object.entries(element).map(([key, t]) => [key, placeholderOf(t, ctx, [...path, key])]),
  );
}

/** The cty type of a JSON value as HCL would type a literal (objects, tuples, primitives). */
export function inferCtyType(value: unknown): CtyType {
  if (typeof value === "string") return "string";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "bool";
  if (Array.isArray(value)) return ["tuple", value.map(inferCtyType)];
  if (isRecord(value)) {
    return [
      "object",
      Object.fromEntries(Object.entries(value).map(([key, v]) => [key, inferCtyType(v)])),
    ];
  }
  return "dynamic";
}

/** A dynamic attribute's value as state stores it: the value with its type. */
function dynamicValue(value: unknown): { value: unknown; type: CtyType } {
  return { value, type: inferCtyType(value) };
}

/** Merges a known value with its unknown marks for a dynamic attribute: {value, type} as state stores it. */
function fillDynamic(
  value: unknown,
  unknown: unknown,
  ctx: PlaceholderContext,
  path: readonly PathPart[],
): unknown {
  const resolve = (v: unknown, u: unknown, at: readonly PathPart[]): unknown => {
    if (u === true) return ctx.resolve(at) ?? stringPlaceholder(ctx, at);
    if (Array.isArray(v))
      return v.map((item, i) => resolve(item, Array.isArray(u) ? u[i] : u, [...at, i]));
    if (isRecord(v) || (isRecord(u) && v === undefined)) {
      const keys = new Set([
        ...Object.keys(isRecord(v) ? v : {}),
        ...Object.keys(isRecord(u) ? u : {}),
      ]);
      return Object.fromEntries(
        [...keys].map((key) => [
          key,
          resolve(isRecord(v) ? v[key] : undefined, isRecord(u) ? u[key] : undefined, [...at, key]),
        ]),
      );
    }
    return v === undefined ? null : v;
  };
  if (unknown !== true && (value === null || value === undefined) && !isRecord(unknown))
    return null;
  return dynamicValue(resolve(value, unknown, path));
}

/** Merges a known value with its after_unknown marks, filling unknowns with placeholders. */
function fillValue(
  type: CtyType,
  value: unknown,
  unknown: unknown,
  ctx: PlaceholderContext,
  path: readonly PathPart[],
): unknown {
  if (unknown === true) return placeholderOf(type, ctx, path);
  if (type === "dynamic") return fillDynamic(value, unknown, ctx, path);
  if (value === undefined || value === null) return null;
  if (typeof type === "string") return value;
  const [kind, element] = type;
  if (kind === "list" || kind === "set") {
    if (!Array.isArray(value)) return value;
    return value.map((item, i) =>
      fillValue(element, item, Array.isArray(unknown) ? unknown[i] : undefined, ctx, [...path, i]),
    );
  }
  if (kind === "tuple") {
    if (!Array.isArray(value)) return value;
    return element.map((t, i) =>
      fillValue(t, value[i], Array.isArray(unknown) ? unknown[i] : undefined, ctx, [...path, i]),
    );
  }
  if (!isRecord(value)) return value;
  const marks = isRecord(unknown) ? unknown : {};
  if (kind === "map") {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [
        key,
        fillValue(element, v, marks[key], ctx, [...path, key]),
      ]),
    );
  }
  return Object.fromEntries(
    Object.entries(element).map(([key, t]) => [
      key,
      value[key] === undefined && marks[key] !== true
        ? null
        : fillValue(t, value[key], marks[key], ctx, [...path, key]),
    ]),
  );
}

/** The cty type of an attribute, framework nested attributes included. */
export function attributeType(attribute: SchemaAttribute): CtyType {
  if (attribute.type !== undefined) return attribute.type;
  const nested = attribute.nested_type;
  if (!nested) return "dynamic";
  const object: CtyType = [
    "object",
    Object.fromEntries(
      Object.entries(nested.attributes).map(([key, a]) => [key, attributeType(a)]),
    ),
  ];
  if (nested.nesting_mode === "list" || nested.nesting_mode === "set") {
    return [nested.nesting_mode, object];
  }
  if (nested.nesting_mode === "map") return ["map", object];
  return object;
}

/** Fills one block: every attribute and nested block of the schema. */
function fillBlock(
  block: SchemaBlock,
  value: Record<string, unknown> | undefined,
  unknown: unknown,
  ctx: PlaceholderContext,
  path: readonly PathPart[],
): Record<string, unknown> {
  const marks = isRecord(unknown) ? unknown : {};
  const out: Record<string, unknown> = {};
  for (const [key, attribute] of Object.entries(block.attributes ?? {})) {
    const at = [...path, key];
    const type = attributeType(attribute);
    const known = value?.[key];
    if (attribute.write_only) {
      out[key] = null; // never stored in state
    } else if (unknown === true || marks[key] === true) {
      out[key] = placeholderOf(type, ctx, at);
    } else if (known === undefined) {
      // Left out of the planned values: unknown for a computed attribute, else unset.
      out[key] = attribute.computed ? placeholderOf(type, ctx, at) : null;
    } else {
      out[key] = fillValue(type, known, marks[key], ctx, at);
    }
  }
  for (const [key, nested] of Object.entries(block.block_types ?? {})) {
    out[key] = fillNestedBlock(nested, value?.[key], unknown === true || marks[key], ctx, [
      ...path,
      key,
    ]);
  }
  return out;
}

function fillNestedBlock(
  nested: SchemaNestedBlock,
  value: unknown,
  unknown: unknown,
  ctx: PlaceholderContext,
  path: readonly PathPart[],
): unknown {
  const mode = nested.nesting_mode;
  if (unknown === true) {
    const one = fillBlock(nested.block, undefined, true, ctx, [...path, 0]);
    if (mode === "list" || mode === "set") return [one];
    if (mode === "map") return {};
    return one;
  }
  if (mode === "list" || mode === "set") {
    if (!Array.isArray(value)) return [];
    return value.map((item, i) =>
      fillBlock(
        nested.block,
        isRecord(item) ? item : undefined,
        Array.isArray(unknown) ? unknown[i] : undefined,
        ctx,
        [...path, i],
      ),
    );
  }
  if (mode === "map") {
    if (!isRecord(value)) return {};
    const marks = isRecord(unknown) ? unknown : {};
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        fillBlock(nested.block, isRecord(item) ? item : undefined, marks[key], ctx, [...path, key]),
      ]),
    );
  }
  // single may be null; group never is (Terraform always has an object for it).
  if (!isRecord(value))
    return mode === "group" ? fillBlock(nested.block, {}, unknown, ctx, path) : null;
  return fillBlock(nested.block, value, unknown, ctx, path);
}

/** One step of a path in a v4 state's sensitive_attributes. */
export type StatePathStep =
  | { readonly type: "get_attr"; readonly value: string }
  | { readonly type: "index"; readonly value: { readonly value: unknown; readonly type: CtyType } };

/**
 * Paths of the schema's sensitive attributes in a fabricated object, as Terraform records them
 * in sensitive_attributes: without them, Terraform sees the sensitivity marks of the planned
 * value differ from the prior state's and plans an update that changes nothing. Elements of
 * sets cannot be addressed by index and are skipped.
 */
export function sensitivePaths(
  block: SchemaBlock,
  value: Record<string, unknown>,
  prefix: readonly StatePathStep[] = [],
): StatePathStep[][] {
  const paths: StatePathStep[][] = [];
  for (const [key, attribute] of Object.entries(block.attributes ?? {})) {
    const at: StatePathStep[] = [...prefix, { type: "get_attr", value: key }];
    if (attribute.sensitive) paths.push(at);
    else if (attribute.nested_type && isRecord(value[key])) {
      if (attribute.nested_type.nesting_mode === "single") {
        paths.push(
          ...sensitivePaths(
            { attributes: attribute.nested_type.attributes },
            value[key] as Record<string, unknown>,
            at,
          ),
        );
      }
    }
  }
  for (const [key, nested] of Object.entries(block.block_types ?? {})) {
    const at: StatePathStep[] = [...prefix, { type: "get_attr", value: key }];
    const item = value[key];
    if ((nested.nesting_mode === "single" || nested.nesting_mode === "group") && isRecord(item)) {
      paths.push(...sensitivePaths(nested.block, item, at));
    } else if (nested.nesting_mode === "list" && Array.isArray(item)) {
      item.forEach((element, i) => {
        if (isRecord(element)) {
          paths.push(
            ...sensitivePaths(nested.block, element, [
              ...at,
              { type: "index", value: { value: i, type: "number" } },
            ]),
          );
        }
      });
    } else if (nested.nesting_mode === "map" && isRecord(item)) {
      for (const [name, element] of Object.entries(item)) {
        if (isRecord(element)) {
          paths.push(
            ...sensitivePaths(nested.block, element, [
              ...at,
              { type: "index", value: { value: name, type: "string" } },
            ]),
          );
        }
      }
    }
  }
  return paths;
}

/** Every resource of a planned_values module tree, child modules included, with its module address. */
function allResources(
  module: StateModule | undefined,
  moduleAddress?: string,
): Array<{ resource: StateResource; module?: string }> {
  if (!module) return [];
  const own = (module.resources ?? []).map((resource) => ({
    resource,
    ...(moduleAddress ? { module: moduleAddress } : {}),
  }));
  const children = (module.child_modules ?? []).flatMap((child) =>
    allResources(child, child.address),
  );
  return [...own, ...children];
}

/** The address of a resource without its instance key: "module.m.aws_vpc.x" for "module.m.aws_vpc.x[0]". */
function resourceAddress(address: string): string {
  return address.replace(/\[[^\]]*\]$/, "");
}

function awsProviderExpression(plan: PlanJson, key: string): unknown {
  const providers = (
    plan.configuration as { provider_config?: Record<string, unknown> } | undefined
  )?.provider_config;
  const aws = providers?.aws as
    | { expressions?: Record<string, { constant_value?: unknown }> }
    | undefined;
  return aws?.expressions?.[key]?.constant_value;
}

/** Provider config key ("aws", "aws.east") per resource address, from the plan's configuration. */
function providerKeys(plan: PlanJson): Map<string, string> {
  const keys = new Map<string, string>();
  const walk = (module: unknown, prefix: string) => {
    if (!isRecord(module)) return;
    for (const resource of (module.resources as unknown[] | undefined) ?? []) {
      if (!isRecord(resource)) continue;
      if (
        typeof resource.address === "string" &&
        typeof resource.provider_config_key === "string"
      ) {
        keys.set(`${prefix}${resource.address}`, resource.provider_config_key);
      }
    }
    for (const [name, call] of Object.entries(
      (module.module_calls as Record<string, unknown> | undefined) ?? {},
    )) {
      if (isRecord(call)) walk(call.module, `${prefix}module.${name}.`);
    }
  };
  walk(plan.configuration?.root_module, "");
  return keys;
}

/** `provider["<source>"]`, or `provider["<source>"].<alias>` when the config key has an alias. */
function providerReference(source: string, configKey: string | undefined): string {
  const alias = configKey?.split(":").pop()?.split(".")[1];
  return `provider[${JSON.stringify(source)}]${alias ? `.${alias}` : ""}`;
}

/** A UUID-shaped, deterministic lineage from the plan's resource addresses. */
function lineageOf(addresses: readonly string[]): string {
  const hex = createHash("sha256").update(addresses.join("\n")).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A plain reference: "aws_vpc.x.id", "aws_db_instance.x.master_user_secret[0].secret_arn". */
const PLAIN_REFERENCE =
  /^([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)((?:\[\d+\])?)((?:\.[A-Za-z0-9_-]+|\[\d+\])*)$/;
/** One `${...}` interpolation (no nested braces: anything else is not a plain reference anyway). */
const INTERPOLATION = /\$\{([^}]*)\}/g;

/** Parses ".a[0].b" into ["a", 0, "b"]. */
function parseTraversal(text: string): PathPart[] {
  return [...text.matchAll(/\.([A-Za-z0-9_-]+)|\[(\d+)\]/g)].map((m) =>
    m[1] !== undefined ? m[1] : Number(m[2]),
  );
}

/** Follows a state path into a synthesized block; cdktf writes one-element blocks as objects. */
function configAt(block: unknown, path: readonly PathPart[]): unknown {
  let current = block;
  for (const part of path) {
    if (typeof part === "number") {
      if (Array.isArray(current)) current = current[part];
      else if (!(isRecord(current) && part === 0)) return undefined;
    } else {
      current = isRecord(current) ? current[part] : undefined;
    }
  }
  return current;
}

/** Walks a fabricated value along a path (dynamic values are unwrapped). */
function valueAt(value: unknown, path: readonly PathPart[]): unknown {
  let current = value;
  for (const part of path) {
    if (isRecord(current) && "type" in current && "value" in current && typeof part === "string") {
      current = current.value; // a dynamic attribute's {value, type}
    }
    if (typeof part === "number") current = Array.isArray(current) ? current[part] : undefined;
    else current = isRecord(current) ? current[part] : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

/**
 * Builds a v4 state from an earlier plan: one instance per managed resource of the planned
 * values, its known values kept, every value known only after apply (after_unknown) and every
 * computed attribute the plan left out replaced by a deterministic, type-correct placeholder
 * (schema from `terraform providers schema -json`), or, with `options.config`, by the value its
 * plain-reference configuration resolves to. Known root outputs are kept. Pure.
 *
 * Placeholders: strings "placeholder-<name>-<path>", ids "placeholder-<type>-<name>" (or the
 * attribute the provider uses as id, see {@link ID_ATTRIBUTE_BY_TYPE}), ARNs
 * "arn:aws:<service>:<region>:<account>:placeholder/<name>"; numbers 0; bools false; lists and
 * sets of primitives and maps empty; lists of objects one placeholder element (so `x[0].y`
 * references stay valid); objects and nested blocks filled attribute by attribute; the values in
 * {@link KNOWN_AFTER_APPLY_VALUES} where the provider checks them at plan time.
 */
export function fabricatePriorState(
  plan: PlanJson,
  schemas: ProviderSchemas,
  options: FabricateOptions = {},
): TerraformStateV4 {
  const allowed = awsProviderExpression(plan, "allowed_account_ids");
  const configuredRegion = awsProviderExpression(plan, "region");
  const account =
    options.account ??
    (Array.isArray(allowed) && typeof allowed[0] === "string" ? allowed[0] : PLACEHOLDER_ACCOUNT);
  const region =
    options.region ??
    (typeof configuredRegion === "string" ? configuredRegion : PLACEHOLDER_REGION);
  const changes = new Map<string, ResourceChange>(
    (plan.resource_changes ?? []).map((change) => [change.address, change]),
  );
  const configKeys = providerKeys(plan);
  const configResources = isRecord(options.config?.resource) ? options.config.resource : {};
  const planned = allResources(plan.planned_values?.root_module).filter(
    ({ resource }) => resource.mode === "managed",
  );
  const byAddress = new Map(planned.map((entry) => [entry.resource.address, entry]));
  const attributesByAddress = new Map<string, Record<string, unknown>>();
  const inProgress = new Set<string>();

  /** Resolves "aws_vpc.x.id" from the (fabricated) state of aws_vpc.x; undefined when it cannot. */
  const resolveReference = (reference: string): unknown => {
    const match = PLAIN_REFERENCE.exec(reference.trim());
    if (!match) return undefined;
    const [, type, name, index, rest] = match;
    const attributes = attributesOf(`${type}.${name}${index ?? ""}`);
    return attributes === undefined ? undefined : valueAt(attributes, parseTraversal(rest ?? ""));
  };

  /** The value a configuration expression evaluates to, when it only interpolates plain references. */
  const evaluate = (expression: unknown): unknown => {
    if (Array.isArray(expression)) {
      const items = expression.map(evaluate);
      return items.every((item) => item !== undefined) ? items : undefined;
    }
    if (isRecord(expression)) {
      const entries = Object.entries(expression).map(([key, v]) => [key, evaluate(v)] as const);
      return entries.every(([, v]) => v !== undefined) ? Object.fromEntries(entries) : undefined;
    }
    if (typeof expression === "number" || typeof expression === "boolean") return expression;
    if (typeof expression !== "string" || /\$\$\{|%\{/.test(expression)) return undefined;
    const whole = /^\$\{([^}]*)\}$/.exec(expression);
    if (whole) return resolveReference(whole[1] ?? "");
    let failed = false;
    const text = expression.replace(INTERPOLATION, (_m, reference: string) => {
      const value = resolveReference(reference);
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
        return String(value);
      }
      failed = true;
      return "";
    });
    return failed ? undefined : text;
  };

  function attributesOf(address: string): Record<string, unknown> | undefined {
    const done = attributesByAddress.get(address);
    if (done) return done;
    const entry = byAddress.get(address);
    // Unknown resources, data sources and reference cycles resolve to nothing.
    if (!entry || entry.module !== undefined || inProgress.has(address)) return undefined;
    inProgress.add(address);
    const { resource } = entry;
    const schema = resourceSchemaOf(schemas, resource.provider_name, resource.type);
    const index = (resource as { index?: number | string }).index;
    const block = isRecord(configResources[resource.type])
      ? (configResources[resource.type] as Record<string, unknown>)[resource.name]
      : undefined;
    const ctx: PlaceholderContext = {
      type: resource.type,
      name: resource.name,
      ...(index !== undefined ? { index } : {}),
      account,
      region,
      values: resource.values,
      resolve: (path) => (block === undefined ? undefined : evaluate(configAt(block, path))),
    };
    const unknown = changes.get(resource.address)?.change.after_unknown;
    const attributes = fillBlock(schema.block, resource.values, unknown, ctx, []);
    inProgress.delete(address);
    attributesByAddress.set(address, attributes);
    return attributes;
  }

  const grouped = new Map<string, StateResourceV4 & { instances: StateInstanceV4[] }>();
  for (const { resource, module } of planned) {
    const schema = resourceSchemaOf(schemas, resource.provider_name, resource.type);
    const index = (resource as { index?: number | string }).index;
    // Resources in child modules are filled without resolution (references are module-local).
    const attributes =
      module === undefined
        ? (attributesOf(resource.address) as Record<string, unknown>)
        : fillBlock(
            schema.block,
            resource.values,
            changes.get(resource.address)?.change.after_unknown,
            {
              type: resource.type,
              name: resource.name,
              ...(index !== undefined ? { index } : {}),
              account,
              region,
              values: resource.values,
              resolve: () => undefined,
            },
            [],
          );
    const key = resourceAddress(resource.address);
    let entry = grouped.get(key);
    if (!entry) {
      entry = {
        ...(module ? { module } : {}),
        mode: "managed",
        type: resource.type,
        name: resource.name,
        provider: providerReference(resource.provider_name, configKeys.get(key)),
        instances: [],
      };
      grouped.set(key, entry);
    }
    entry.instances.push({
      ...(index !== undefined ? { index_key: index } : {}),
      schema_version: schema.version,
      attributes,
      sensitive_attributes: sensitivePaths(schema.block, attributes),
    });
  }
  const outputs: Record<string, StateOutputV4> = {};
  for (const [name, output] of Object.entries(plan.planned_values?.outputs ?? {})) {
    if (!("value" in output) || output.value === undefined) continue;
    const declared = (output as { type?: CtyType }).type;
    outputs[name] = {
      value: output.value,
      type: declared ?? inferCtyType(output.value),
      ...(output.sensitive ? { sensitive: true } : {}),
    };
  }
  return {
    version: 4,
    terraform_version: plan.terraform_version,
    serial: options.serial ?? 1,
    lineage: options.lineage ?? lineageOf([...grouped.keys()]),
    outputs,
    resources: [...grouped.values()],
    check_results: null,
  };
}
