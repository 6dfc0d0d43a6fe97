import {
  type IResolvable,
  ref,
  TerraformElement,
  type TerraformResource,
  TerraformStack,
  Token,
} from "cdktf";
import type { Construct } from "constructs";

/**
 * Pre-rendered Terraform JSON (option B2 of docs/decisions/0001-tenant-resources-and-synth-time.md):
 * a construct registers resource blocks as plain JSON, and its stack merges them into its JSON
 * after cdktf has resolved everything else, so cdktf never walks them (no construct, no
 * preparing pass, no resolve). The synthesized cdk.tf.json is the one a construct per block would
 * give: the renderer writes the same keys, values and `//` metadata, and a conformance test per
 * resource kind compares it with the provider binding's construct.
 *
 * What a block may contain: plain JSON data (strings, numbers, booleans, null, arrays, plain
 * objects) and no cdktf token, since nothing resolves it. Values from constructs of the same
 * stack are written as the expression text cdktf writes for them (`terraformExpression`).
 */

/** The body of one `resource.<type>.<name>` block, exactly as it goes into cdk.tf.json. */
export type RenderedBody = Readonly<Record<string, unknown>>;

interface Registered {
  readonly body: RenderedBody;
  /** Construct path of the construct that registered it (named in errors). */
  readonly owner: string;
}

/**
 * A stack that can hold pre-rendered resource blocks: it merges them into its JSON after cdktf's
 * resolve. The project's stacks extend it; a construct that renders blocks refuses any other stack.
 */
export class RenderedBlocksStack extends TerraformStack {
  private readonly rendered = new Map<string, Map<string, Registered>>();
  /** Blocks holding cdktf tokens, resolved by cdktf through one element (addResolvedResource). */
  private resolved?: ResolvedBlocks;

  /**
   * Registers `resource.<type>.<name>` for `owner` (a construct of this stack). Throws when the
   * body holds a cdktf token or something that is not JSON data, or when another construct
   * registered the same address.
   */
  public addRenderedResource(owner: Construct, type: string, name: string, body: RenderedBody) {
    const found = notPlainJson(body, `resource.${type}.${name}`);
    if (found) {
      throw new Error(
        `${owner.node.path}: rendered block ${found}; a rendered block is merged after cdktf's resolve, so it must hold plain JSON (values of this stack's constructs as terraformExpression(resource, attribute))`,
      );
    }
    let byName = this.rendered.get(type);
    if (!byName) {
      byName = new Map();
      this.rendered.set(type, byName);
    }
    const other = byName.get(name) ?? this.resolved?.ownerOf(type, name);
    if (other) {
      throw new Error(
        `${owner.node.path}: resource.${type}.${name} is already rendered by ${typeof other === "string" ? other : other.owner}`,
      );
    }
    byName.set(name, { body, owner: owner.node.path });
  }

  /**
   * Registers `resource.<type>.<name>` for `owner`: a block that may hold cdktf tokens (a
   * cross-stack reference, a function call). It is not a construct: one element of the stack
   * hands every such block to cdktf under a key of its own, so cdktf resolves them like any
   * element's JSON (its preparing pass registers their cross-stack outputs and remote-state
   * reads, its synthesis writes the same text), and toTerraform() moves them into `resource`.
   * Throws when another construct registered the same address.
   */
  public addResolvedResource(owner: Construct, type: string, name: string, body: RenderedBody) {
    if (this.rendered.get(type)?.has(name)) {
      throw new Error(
        `${owner.node.path}: resource.${type}.${name} is already rendered by ${this.rendered.get(type)?.get(name)?.owner}`,
      );
    }
    this.resolved ??= new ResolvedBlocks(this, RESOLVED_BLOCKS_ID);
    this.resolved.add(owner, type, name, body);
  }

  /** cdktf's HCL output has no place for rendered blocks: refused when there are any. */
  public override toHclTerraform(): Record<string, unknown> {
    if (this.rendered.size > 0 || this.resolved) {
      throw new Error(
        `${this.node.path}: holds rendered Terraform JSON blocks, which have no HCL form; synthesize JSON (SYNTH_HCL_OUTPUT unset)`,
      );
    }
    return super.toHclTerraform() as Record<string, unknown>;
  }

  /** cdktf's JSON of the stack, with the rendered blocks merged in. */
  public override toTerraform(): Record<string, unknown> {
    const tf = super.toTerraform() as Record<string, unknown>;
    const resolved = tf[RESOLVED_BLOCKS_KEY] as Record<string, Record<string, unknown>> | undefined;
    delete tf[RESOLVED_BLOCKS_KEY];
    if (this.rendered.size === 0 && !resolved) return tf;
    tf.resource ??= {};
    const resource = tf.resource as Record<string, Record<string, unknown>>;
    for (const [type, byName] of Object.entries(resolved ?? {})) {
      resource[type] ??= {};
      const blocks = resource[type];
      for (const [name, body] of Object.entries(byName)) {
        if (name in blocks) {
          throw new Error(
            `${this.resolved?.ownerOf(type, name)}: resource.${type}.${name} is rendered and also written by a construct of ${this.node.path}`,
          );
        }
        blocks[name] = body;
      }
    }
    for (const [type, byName] of this.rendered) {
      resource[type] ??= {};
      const blocks = resource[type];
      for (const [name, { body, owner }] of byName) {
        if (name in blocks) {
          throw new Error(
            `${owner}: resource.${type}.${name} is rendered and also written by a construct of ${this.node.path}`,
          );
        }
        blocks[name] = body;
      }
    }
    return tf;
  }
}

/** The key under which ResolvedBlocks hands its blocks to cdktf; never written to cdk.tf.json. */
const RESOLVED_BLOCKS_KEY = "//pgforks-resolved-blocks";
const RESOLVED_BLOCKS_ID = "pgforks-resolved-blocks";

/**
 * The element that carries a stack's token-holding rendered blocks (addResolvedResource) through
 * cdktf's resolve: its JSON is `{ [RESOLVED_BLOCKS_KEY]: { <type>: { <name>: body } } }`, which
 * cdktf resolves in its preparing pass and in the stack's synthesis like any element's, and
 * which RenderedBlocksStack.toTerraform() moves into `resource`.
 */
class ResolvedBlocks extends TerraformElement {
  private readonly blocks = new Map<string, Map<string, { body: RenderedBody; owner: string }>>();

  public add(owner: Construct, type: string, name: string, body: RenderedBody) {
    let byName = this.blocks.get(type);
    if (!byName) {
      byName = new Map();
      this.blocks.set(type, byName);
    }
    const other = byName.get(name);
    if (other) {
      throw new Error(
        `${owner.node.path}: resource.${type}.${name} is already rendered by ${other.owner}`,
      );
    }
    byName.set(name, { body, owner: owner.node.path });
  }

  public ownerOf(type: string, name: string): string | undefined {
    return this.blocks.get(type)?.get(name)?.owner;
  }

  public override toTerraform(): Record<string, unknown> {
    const out: Record<string, Record<string, RenderedBody>> = {};
    for (const [type, byName] of this.blocks) {
      out[type] = {};
      for (const [name, { body }] of byName) out[type][name] = body;
    }
    return { [RESOLVED_BLOCKS_KEY]: out };
  }
}

/** The stack of `construct`, which must merge rendered blocks (RenderedBlocksStack). */
export function renderedBlocksStackOf(construct: Construct): RenderedBlocksStack {
  const stack = TerraformStack.of(construct);
  if (!(stack instanceof RenderedBlocksStack)) {
    throw new Error(
      `${construct.node.path}: renders Terraform JSON blocks, but its stack ${stack.node.path} (${stack.constructor.name}) does not merge them; make the stack a RenderedBlocksStack`,
    );
  }
  return stack;
}

/**
 * The expression text cdktf writes for `resource`'s `attribute` within its own stack
 * (`${aws_kms_key.key_F64E54E4.arn}`), for a rendered block in the same stack as `scope`.
 */
export function terraformExpression(
  scope: Construct,
  resource: TerraformResource,
  attribute: string,
): string {
  const stack = TerraformStack.of(scope);
  if (TerraformStack.of(resource) !== stack) {
    throw new Error(
      `${scope.node.path}: ${resource.node.path} is in another stack; a rendered block can only name resources of its own stack`,
    );
  }
  return `\${${resource.terraformResourceType}.${resource.friendlyUniqueId}.${attribute}}`;
}

/**
 * A string token for `attribute` of the rendered resource at `address` (`type.name`) of `stack`:
 * the same reference cdktf's binding gives (`getStringAttribute`), so within the stack it
 * resolves to `${type.name.attribute}`, and in another stack cdktf creates the same cross-stack
 * output and remote-state reference as for a construct.
 */
export function renderedAttribute(stack: TerraformStack, address: string, attribute: string) {
  const reference: IResolvable = ref(`${address}.${attribute}`, stack);
  return Token.asString(reference);
}

/**
 * Where `value` is not plain JSON data: undefined when it is, else the path and what was found.
 * One pass over the block; a string is checked for cdktf's token markers.
 */
function notPlainJson(value: unknown, path: string): string | undefined {
  switch (typeof value) {
    case "boolean":
      return undefined;
    case "string":
      return Token.isUnresolved(value) ? `${path} holds a cdktf token (${value})` : undefined;
    case "number":
      return Number.isFinite(value) && !Token.isUnresolved(value)
        ? undefined
        : `${path} holds a cdktf token or a non-finite number (${value})`;
    case "object": {
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        for (const [i, item] of value.entries()) {
          const found = notPlainJson(item, `${path}[${i}]`);
          if (found) return found;
        }
        return undefined;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        return `${path} holds a ${value.constructor?.name ?? "non-plain"} object (a cdktf token or construct?), not JSON data`;
      }
      for (const [key, item] of Object.entries(value)) {
        const found = notPlainJson(item, `${path}.${key}`);
        if (found) return found;
      }
      return undefined;
    }
    default:
      return `${path} holds ${typeof value === "undefined" ? "undefined" : `a ${typeof value}`}, not JSON data`;
  }
}
