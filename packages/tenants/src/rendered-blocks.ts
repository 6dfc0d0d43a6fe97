import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type IResolvable,
  type IStackSynthesizer,
  type ISynthesisSession,
  ref,
  TerraformElement,
  type TerraformResource,
  TerraformStack,
  Token,
  Tokenization,
} from "cdktf";
import type { Construct } from "constructs";
import { logicalIdOfPath } from "./construct-address";
import { stackJson } from "./stack-json";

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
 * stack are written as the expression text cdktf writes for them (`terraformExpression`); an
 * attribute of a rendered resource of another stack through a rendered cross-stack output
 * (`renderedReferenceText`); any other token is handed to cdktf once (`resolveOnce`) and its
 * text put in by a late body (`addLateRenderedResource`).
 */

/** The body of one `resource.<type>.<name>` block, exactly as it goes into cdk.tf.json. */
export type RenderedBody = Readonly<Record<string, unknown>>;

/**
 * A cdktf token of a stack, resolved once by cdktf for rendered blocks
 * (RenderedBlocksStack.resolveOnce): its text is known only after cdktf's resolve, by
 * ResolvedTexts.
 */
export class ResolvedValue {
  /** @internal */
  constructor(
    /** @internal */ public readonly stack: RenderedBlocksStack,
    /** @internal */ public readonly index: number,
  ) {}
}

/** The texts cdktf wrote for a stack's resolved values, handed to late bodies. */
export interface ResolvedTexts {
  /** The value as cdktf writes it for a whole argument: `${data.terraform_remote_state.x.outputs.y}`. */
  text(value: ResolvedValue): string;
  /** The value inside an expression, without `${}`: `data.terraform_remote_state.x.outputs.y`. */
  expression(value: ResolvedValue): string;
}

/**
 * A block some of whose values are the texts of resolved values (a cross-stack reference, an
 * expression rendered once per stack): RenderedBlocksStack calls it after cdktf's resolve.
 */
export type LateBody = (texts: ResolvedTexts) => RenderedBody;

interface Registered {
  /** The body, or the function that renders it once the resolved values' texts are known. */
  readonly body: RenderedBody | LateBody;
  /** The construct that registered it (its path is named in errors). */
  readonly owner: Construct;
}

/**
 * A stack that can hold pre-rendered resource blocks: it merges them into its JSON after cdktf's
 * resolve. The project's stacks extend it; a construct that renders blocks refuses any other stack.
 */
export class RenderedBlocksStack extends TerraformStack {
  private readonly rendered = new Map<string, Map<string, Registered>>();
  /** Tokens resolved by cdktf for rendered blocks (resolveOnce), through one element. */
  private resolved?: ResolvedValues;
  /** Set while cdktf's synthesizer runs: its JSON of the stack is replaced (see the constructor). */
  private synthesizing = false;
  /** Rendered outputs (crossStackOutput), by output name: the construct id cdktf would give and the body. */
  private readonly renderedOutputs = new Map<
    string,
    { readonly id: string; readonly body: RenderedBody }
  >();

  /**
   * The stack's synthesizer is cdktf's, run as always (aspects, validations, annotations, the
   * manifest), except for writing cdk.tf.json: while it runs, toTerraform() gives it an empty
   * document, and the stack then writes its JSON itself with stackJson, the same text at the
   * native JSON.stringify's speed. In HCL output (refused anyway) cdktf's synthesizer is left alone.
   */
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const cdktf = this.synthesizer;
    this.synthesizer = new StackJsonSynthesizer(this, cdktf);
  }

  /** @internal Runs cdktf's synthesizer with toTerraform() giving it an empty document. */
  public synthesizeWithoutJson(cdktf: IStackSynthesizer, session: ISynthesisSession): void {
    this.synthesizing = true;
    try {
      cdktf.synthesize(session);
    } finally {
      this.synthesizing = false;
    }
  }

  /**
   * Registers `resource.<type>.<name>` for `owner` (a construct of this stack). Throws when the
   * body holds a cdktf token or something that is not JSON data, or when another construct
   * registered the same address.
   */
  public addRenderedResource(owner: Construct, type: string, name: string, body: RenderedBody) {
    const found = notPlainJson(body, `resource.${type}.${name}`);
    if (found) throw new Error(notPlainMessage(owner.node.path, found));
    this.register(owner, type, name, body);
  }

  /**
   * Registers `resource.<type>.<name>` for `owner`, rendered by `render` once cdktf has resolved
   * the stack: for a block that holds texts of resolved values (resolveOnce). The body it returns
   * must hold plain JSON, like addRenderedResource's.
   */
  public addLateRenderedResource(owner: Construct, type: string, name: string, render: LateBody) {
    this.register(owner, type, name, render);
  }

  /**
   * Hands `value` (one whole cdktf token: a reference, also to another stack, or a function
   * call) to cdktf, which resolves it once, through one element of this stack, like any
   * element's JSON: its preparing pass registers the cross-stack output and remote state a
   * reference needs, its synthesis writes the text. A late body gets that text by the returned
   * handle. Throws when `value` is not one whole token.
   */
  public resolveOnce(owner: Construct, value: string | number): ResolvedValue {
    if (!isWholeToken(value)) {
      throw new Error(
        `${owner.node.path}: resolveOnce takes one whole cdktf token (a reference or a function call), found ${JSON.stringify(value)}`,
      );
    }
    this.resolved ??= new ResolvedValues(this, RESOLVED_VALUES_ID);
    return new ResolvedValue(this, this.resolved.add(value));
  }

  /**
   * The output by which another stack reads `identifier` (`type.name.attribute` of this stack),
   * as cdktf writes it for a cross-stack reference (TerraformStack.registerOutgoingCrossStackReference):
   * `cross-stack-output-<identifier>`, sensitive, named by its logical id; rendered, and once per
   * identifier. Returns the output's name.
   */
  public crossStackOutput(identifier: string): string {
    const id = `cross-stack-output-${identifier}`;
    const name = logicalIdOfPath([id]);
    const known = this.renderedOutputs.get(name);
    if (known && known.id !== id) {
      throw new Error(`${this.node.path}: outputs ${known.id} and ${id} are both named ${name}`);
    }
    this.renderedOutputs.set(name, { id, body: { sensitive: true, value: `\${${identifier}}` } });
    return name;
  }

  private register(owner: Construct, type: string, name: string, body: RenderedBody | LateBody) {
    let byName = this.rendered.get(type);
    if (!byName) {
      byName = new Map();
      this.rendered.set(type, byName);
    }
    const other = byName.get(name);
    if (other) {
      throw new Error(
        `${owner.node.path}: resource.${type}.${name} is already rendered by ${other.owner.node.path}`,
      );
    }
    byName.set(name, { body, owner });
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
    if (this.synthesizing) return {};
    const tf = super.toTerraform() as Record<string, unknown>;
    const texts = resolvedTexts(this, tf[RESOLVED_VALUES_KEY]);
    delete tf[RESOLVED_VALUES_KEY];
    this.mergeOutputs(tf);
    if (this.rendered.size === 0) return tf;
    tf.resource ??= {};
    const resource = tf.resource as Record<string, Record<string, unknown>>;
    for (const [type, byName] of this.rendered) {
      resource[type] ??= {};
      const blocks = resource[type];
      for (const [name, { body, owner }] of byName) {
        if (name in blocks) {
          throw new Error(
            `${owner.node.path}: resource.${type}.${name} is rendered and also written by a construct of ${this.node.path}`,
          );
        }
        if (typeof body === "function") {
          const late = body(texts);
          const found = notPlainJson(late, `resource.${type}.${name}`);
          if (found) throw new Error(notPlainMessage(owner.node.path, found));
          blocks[name] = late;
        } else {
          blocks[name] = body;
        }
      }
    }
    return tf;
  }

  /** Merges the rendered outputs into `tf` (`output` and the `//` outputs map, as cdktf writes them). */
  private mergeOutputs(tf: Record<string, unknown>): void {
    if (this.renderedOutputs.size === 0) return;
    tf.output ??= {};
    const output = tf.output as Record<string, unknown>;
    tf["//"] ??= {};
    const meta = tf["//"] as Record<string, unknown>;
    meta.outputs ??= {};
    // cdktf nests each output's friendly id under its construct path's parts.
    let paths = meta.outputs as Record<string, unknown>;
    for (const part of this.node.path.split("/")) {
      paths[part] ??= {};
      paths = paths[part] as Record<string, unknown>;
    }
    for (const [name, { id, body }] of this.renderedOutputs) {
      if (name in output) {
        throw new Error(
          `${this.node.path}: output ${name} is rendered and also written by a construct`,
        );
      }
      output[name] = body;
      paths[id] = name;
    }
  }
}

/** cdktf's synthesizer, with the stack's cdk.tf.json written by stackJson (see RenderedBlocksStack). */
class StackJsonSynthesizer implements IStackSynthesizer {
  constructor(
    private readonly stack: RenderedBlocksStack,
    private readonly cdktf: IStackSynthesizer,
  ) {}

  public synthesize(session: ISynthesisSession): void {
    if (session.manifest.hclOutput) {
      this.cdktf.synthesize(session);
      return;
    }
    this.stack.synthesizeWithoutJson(this.cdktf, session);
    const file = join(session.outdir, session.manifest.forStack(this.stack).synthesizedStackPath);
    writeFileSync(file, stackJson(this.stack.toTerraform()));
  }
}

/**
 * The expression text (without `${}`) by which a rendered block of `consumer` reads `value`, when
 * `value` is an attribute of a rendered resource (renderedAttribute): `type.name.attribute` in its
 * own stack; from another RenderedBlocksStack, wired as cdktf wires a cross-stack reference (a
 * rendered output in that stack, crossStackOutput; the remote state of that stack in `consumer`,
 * cdktf's own data source; `consumer` depending on it), with nothing for cdktf to resolve.
 * Undefined for any other value.
 */
export function renderedReferenceText(consumer: TerraformStack, value: string): string | undefined {
  const reference = RENDERED_ATTRIBUTES.get(value);
  if (!reference) return undefined;
  const identifier = `${reference.address}.${reference.attribute}`;
  const producer = reference.stack;
  if (producer === consumer) return identifier;
  if (!(producer instanceof RenderedBlocksStack)) return undefined;
  const output = producer.crossStackOutput(identifier);
  consumer.addDependency(producer);
  const remoteState = consumer.registerIncomingCrossStackReference(producer);
  return `data.terraform_remote_state.${remoteState.friendlyUniqueId}.outputs.${output}`;
}

/** What renderedAttribute's tokens stand for, by token. */
const RENDERED_ATTRIBUTES = new Map<
  string,
  { readonly stack: TerraformStack; readonly address: string; readonly attribute: string }
>();

function notPlainMessage(owner: string, found: string): string {
  return `${owner}: rendered block ${found}; a rendered block is merged after cdktf's resolve, so it must hold plain JSON (values of this stack's constructs as terraformExpression(resource, attribute), other tokens through resolveOnce)`;
}

/** The key under which ResolvedValues hands its tokens to cdktf; never written to cdk.tf.json. */
const RESOLVED_VALUES_KEY = "//pgforks-resolved-values";
const RESOLVED_VALUES_ID = "pgforks-resolved-values";

/**
 * The element that carries a stack's resolveOnce tokens through cdktf's resolve: its JSON is
 * `{ [RESOLVED_VALUES_KEY]: [token, ...] }`, which cdktf resolves in its preparing pass and in the
 * stack's synthesis like any element's, and which RenderedBlocksStack.toTerraform() removes.
 */
class ResolvedValues extends TerraformElement {
  private readonly values: Array<string | number> = [];

  /** Adds `value`; returns its index. */
  public add(value: string | number): number {
    this.values.push(value);
    return this.values.length - 1;
  }

  public override toTerraform(): Record<string, unknown> {
    return { [RESOLVED_VALUES_KEY]: [...this.values] };
  }
}

/** The texts of `stack`'s resolved values, from what cdktf wrote for them. */
function resolvedTexts(stack: RenderedBlocksStack, written: unknown): ResolvedTexts {
  const texts = (written ?? []) as readonly unknown[];
  const text = (value: ResolvedValue): string => {
    if (value.stack !== stack) {
      throw new Error(
        `${stack.node.path}: a resolved value of ${value.stack.node.path} is used in a rendered block of ${stack.node.path}`,
      );
    }
    const found = texts[value.index];
    // One whole token: cdktf writes it as one interpolation.
    if (typeof found !== "string" || !found.startsWith("${") || !found.endsWith("}")) {
      throw new Error(
        `${stack.node.path}: resolved value ${value.index} was written as ${JSON.stringify(found)}, not as one \${...} expression`,
      );
    }
    return found;
  };
  return { text, expression: (value) => text(value).slice(2, -1) };
}

/** Whether `value` is one whole token (a reference, a function call, an operator), nothing else. */
export function isWholeToken(value: string | number): boolean {
  if (typeof value === "number") return Token.isUnresolved(value);
  const fragments = Tokenization.reverseString(value);
  return fragments.length === 1 && fragments.firstToken !== undefined;
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
  const token = Token.asString(reference);
  RENDERED_ATTRIBUTES.set(token, { stack, address, attribute });
  return token;
}

/**
 * Where `value` is not plain JSON data: undefined when it is, else the path (below `path`) and
 * what was found. One pass over the block, building no path unless something is found; a string
 * is checked for cdktf's token markers.
 */
function notPlainJson(value: unknown, path: string): string | undefined {
  const found = problemOf(value);
  return found && `${path}${found.at}${found.what}`;
}

/** What problemOf found, and where below the value it was checked from (`.key[1]`). */
interface Problem {
  at: string;
  readonly what: string;
}

function problemOf(value: unknown): Problem | undefined {
  switch (typeof value) {
    case "boolean":
      return undefined;
    case "string":
      // cdktf's string, list and map token markers all contain "{TfToken[" (Token.isUnresolved).
      return value.includes("{TfToken[")
        ? { at: "", what: ` holds a cdktf token (${value})` }
        : undefined;
    case "number":
      // cdktf encodes a number token as a negative double of magnitude 2^960 (about 1e289) or more.
      return Number.isFinite(value) && (Math.abs(value) < 1e200 || !Token.isUnresolved(value))
        ? undefined
        : { at: "", what: ` holds a cdktf token or a non-finite number (${value})` };
    case "object": {
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const found = problemOf(value[i]);
          if (found) {
            found.at = `[${i}]${found.at}`;
            return found;
          }
        }
        return undefined;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        return {
          at: "",
          what: ` holds a ${value.constructor?.name ?? "non-plain"} object (a cdktf token or construct?), not JSON data`,
        };
      }
      for (const key in value) {
        const found = problemOf((value as Record<string, unknown>)[key]);
        if (found) {
          found.at = `.${key}${found.at}`;
          return found;
        }
      }
      return undefined;
    }
    default:
      return {
        at: "",
        what: ` holds ${typeof value === "undefined" ? "undefined" : `a ${typeof value}`}, not JSON data`,
      };
  }
}
