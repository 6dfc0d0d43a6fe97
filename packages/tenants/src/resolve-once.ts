import { type IResolvable, type IResolveContext, TerraformStack, Token, Tokenization } from "cdktf";

/**
 * A token that stands for one Terraform expression and resolves it once per stack and rendering,
 * then hands out that same text again.
 *
 * Why: cdktf resolves an argument of a Terraform function up to three times over
 * (TFExpression.resolveArg resolves it, resolveExpressionPart again, then each list element or
 * map value once more), in both of its passes over every resource (prepareStack, then the stack's
 * synthesis). A tenant's values nest (credentials version, secret JSON) and their leaves are
 * mostly cross-stack references, each a remote-state lookup resolved in turn: resolved over and
 * over, they were most of a tenants stack's synth time. The Terraform written is the same text.
 *
 * The text depends on the stack resolving it (a cross-stack reference reads as a remote-state
 * lookup there) and on the rendering flags cdktf passes down (braces, escapes): together they are
 * the key. The preparing pass must resolve the expression itself once (that is where a
 * cross-stack reference registers its output and remote state), so a text resolved outside it is
 * never handed to it; the text the preparing pass gives is the synthesis's too (that pass only
 * registers). Inside an iterator (for-expression, dynamic block) nothing is reused.
 */
class ResolvedOnce implements IResolvable {
  public readonly creationStack: string[] = [];
  private readonly texts = new Map<
    TerraformStack,
    Map<string, { text: unknown; prepared: boolean }>
  >();

  constructor(private readonly expression: string | number) {}

  public resolve(context: IResolveContext): unknown {
    if (context.iteratorContext !== undefined) return context.resolve(this.expression);
    const stack = TerraformStack.of(context.scope);
    const key = `${context.suppressBraces}|${context.ignoreEscapes}|${context.warnEscapes}`;
    let texts = this.texts.get(stack);
    if (!texts) {
      texts = new Map();
      this.texts.set(stack, texts);
    }
    const known = texts.get(key);
    if (known && (known.prepared || !context.preparing)) return known.text;
    const text = context.resolve(this.expression);
    texts.set(key, { text, prepared: context.preparing });
    return text;
  }

  public toString(): string {
    return Token.asString(this);
  }
}

/**
 * `value` as a token of the same kind that is resolved once per stack and rendering (see
 * ResolvedOnce). Only a value that is one whole token (a reference, a function call, an
 * operator) is wrapped: cdktf writes a string that mixes literal text and tokens inside a
 * function argument from that string's own pieces (quotes, `${...}`), which a single token
 * standing for it would lose; such a string, and a value without tokens, is returned as is.
 */
export function resolvedOnce<T extends string | number>(value: T): T {
  if (!Token.isUnresolved(value)) return value;
  if (typeof value === "number") return Token.asNumber(new ResolvedOnce(value)) as T;
  const fragments = Tokenization.reverseString(value);
  if (fragments.length !== 1 || fragments.firstToken === undefined) return value;
  return Token.asString(new ResolvedOnce(value)) as T;
}
