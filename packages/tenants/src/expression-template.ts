import { type IResolvable, type IResolveContext, Token, Tokenization } from "cdktf";
import { resolvedOnce } from "./resolve-once";

/**
 * What a slot of an {@link ExpressionTemplate} takes:
 * - reference: one whole token (a reference, a function call), written as its text;
 * - text: a literal string of letters, digits and `_ . : / @ -`, written in quotes;
 * - integer: a literal safe integer, written in decimal.
 */
export type SlotKind = "reference" | "text" | "integer";

/** The values of a template's slots, by slot name. */
export type SlotValues<S extends Record<string, SlotKind>> = {
  readonly [P in keyof S]: S[P] extends "integer" ? number : string;
};

/**
 * A Terraform expression that is the same for every tenant but for a few places (the tenant's
 * references, its database name, its password version): cdktf renders it once per stack, with a
 * marker in each such place, and every tenant's copy is that text with the markers replaced by
 * the tenant's values.
 *
 * Why: cdktf renders a function's arguments by resolving them up to three times over and
 * re-tokenizing their strings piece by piece (TFExpression.resolveArg), and every Fn call and
 * operator creates and validates tokens. In the preparing pass of prod with 1000 tenants, the
 * secret value's `jsonencode` took about 1.1 ms a tenant and the role's credentials version
 * 0.3 ms, where a grant, schema or database took 0.3 to 0.5 ms. A copy is one token that resolves
 * only the tenant's references, once each.
 *
 * Sound because of how cdktf writes what a slot takes, wherever it stands in an expression: a
 * whole token as its text resolved without braces (bare as an argument, operand or map value,
 * inside `${...}` in a string), a plain literal string as itself in quotes, an integer in decimal;
 * and a marker stands exactly where the value would. A value a slot cannot stand for (a literal
 * in a reference slot, a string needing escapes) gets its own full expression, and so does every
 * copy of an expression that is not one token (text and tokens mixed). Inside an iterator
 * (for-expression, dynamic block) the rendered text is resolved anew (ResolvedOnce).
 */
export class ExpressionTemplate<S extends Record<string, SlotKind>, T extends string | number> {
  /** The expression with a marker in each slot, resolved once per stack and rendering. */
  private readonly rendered: T;

  /**
   * @param slots the kind of each place that differs per copy, by name (letters only).
   * @param build the expression from a value for each slot.
   */
  constructor(
    private readonly slots: S,
    private readonly build: (values: SlotValues<S>) => T,
  ) {
    const markers: Record<string, string | number> = {};
    for (const [slot, kind] of Object.entries(slots)) {
      if (!/^[A-Za-z]+$/.test(slot)) throw new Error(`ExpressionTemplate: bad slot name "${slot}"`);
      markers[slot] =
        kind === "text"
          ? marker(slot)
          : kind === "integer"
            ? Token.asNumber(markerToken(slot))
            : Token.asString(markerToken(slot));
    }
    this.rendered = resolvedOnce(build(markers as SlotValues<S>));
  }

  /** The expression `build(values)` stands for, as a token of the same kind. */
  public fill(values: SlotValues<S>): T {
    // One token can only stand for an expression that is one token itself: cdktf writes a string
    // mixing text and tokens from its pieces (quotes and `${...}` where it stands).
    if (!isWholeToken(this.rendered)) return this.build(values);
    const fits = Object.entries(this.slots).every(([slot, kind]) =>
      slotTakes(kind, values[slot] as string | number),
    );
    if (!fits) return this.build(values);
    const copy = new TemplateCopy(this, values);
    // resolvedOnce: the synthesis reuses the text the preparing pass wrote.
    return resolvedOnce(
      (typeof this.rendered === "number" ? Token.asNumber(copy) : Token.asString(copy)) as T,
    );
  }

  /** @internal The text of one copy in `context`. */
  public resolveCopy(context: IResolveContext, values: SlotValues<S>): unknown {
    const text = context.resolve(this.rendered);
    if (typeof text !== "string") {
      throw new Error(`ExpressionTemplate: the expression resolved to a ${typeof text}`);
    }
    // One pass over the rendered text: a value put in place is never read again as a marker.
    const filled = new Map<string, string>();
    const result = text.replace(MARKER, (found, slot: string) => {
      const kind = this.slots[slot];
      if (kind === undefined) return found;
      let value = filled.get(slot);
      if (value === undefined) {
        value = slotText(context, kind, values[slot] as string | number);
        filled.set(slot, value);
      }
      return value;
    });
    for (const slot of Object.keys(this.slots)) {
      if (!filled.has(slot)) throw new Error(`ExpressionTemplate: slot "${slot}" is not used`);
    }
    return result;
  }
}

/** Whether `value` is one whole token (a reference, a function call, an operator), nothing else. */
function isWholeToken(value: string | number): boolean {
  if (typeof value === "number") return Token.isUnresolved(value);
  const fragments = Tokenization.reverseString(value);
  return fragments.length === 1 && fragments.firstToken !== undefined;
}

/** What stands in a slot of the rendered text: letters and underscores, nothing cdktf parses. */
function marker(slot: string): string {
  return `PGFORKS_TEMPLATE_SLOT_${slot}_`;
}

/** Every marker in a rendered text, with its slot name. */
const MARKER = /PGFORKS_TEMPLATE_SLOT_([A-Za-z]+)_/g;

function markerToken(slot: string): IResolvable {
  const resolvable: IResolvable = {
    creationStack: [],
    resolve: () => marker(slot),
    toString: () => Token.asString(resolvable),
  };
  return resolvable;
}

/** Literal strings cdktf writes as they are, in quotes (no escapes, no token, no number token). */
const PLAIN_TEXT = /^[A-Za-z0-9_.:/@-]*$/;

function slotTakes(kind: SlotKind, value: string | number): boolean {
  switch (kind) {
    case "reference":
      return typeof value === "string" && isWholeToken(value);
    case "text":
      return typeof value === "string" && !Token.isUnresolved(value) && PLAIN_TEXT.test(value);
    case "integer":
      return typeof value === "number" && Number.isSafeInteger(value) && !Token.isUnresolved(value);
  }
}

/** What cdktf writes for a slot's value inside an expression (see ExpressionTemplate). */
function slotText(context: IResolveContext, kind: SlotKind, value: string | number): string {
  if (kind === "integer") return String(value);
  if (kind === "text") return value as string;
  const braces = context.suppressBraces;
  context.suppressBraces = true;
  try {
    return String(context.resolve(value));
  } finally {
    context.suppressBraces = braces;
  }
}

/** One copy of a template (ExpressionTemplate.fill). */
class TemplateCopy<S extends Record<string, SlotKind>, T extends string | number>
  implements IResolvable
{
  public readonly creationStack: string[] = [];

  constructor(
    private readonly template: ExpressionTemplate<S, T>,
    private readonly values: SlotValues<S>,
  ) {}

  public resolve(context: IResolveContext): unknown {
    return this.template.resolveCopy(context, this.values);
  }

  public toString(): string {
    return Token.asString(this);
  }
}
