import { type IResolvable, Token } from "cdktf";
import type { Construct } from "constructs";
import { type ResolvedTexts, type ResolvedValue, renderedBlocksStackOf } from "./rendered-blocks";

/**
 * What a slot of an {@link ExpressionTemplate} takes:
 * - reference: a Terraform expression, as text without `${}` (`postgresql_role.x.name`);
 * - text: a literal string of letters, digits and `_ . : / @ -`, written in quotes;
 * - integer: a literal safe integer, written in decimal.
 */
export type SlotKind = "reference" | "text" | "integer";

/** The values of a template's slots, by slot name, as `build` takes them (cdktf tokens for references). */
export type SlotValues<S extends Record<string, SlotKind>> = {
  readonly [P in keyof S]: S[P] extends "integer" ? number : string;
};

/**
 * A Terraform expression that is the same for every tenant but for a few places (the tenant's
 * references, its database name, its password version), for rendered blocks: cdktf renders it
 * once per stack, with a marker in each such place (RenderedBlocksStack.resolveOnce), and every
 * tenant's copy is that text with the markers replaced by the tenant's values, as text.
 *
 * Why: cdktf renders a function's arguments by resolving them up to three times over and
 * re-tokenizing their strings piece by piece (TFExpression.resolveArg), in both of its passes
 * over a stack; a tenant's secret value (`jsonencode` of eight entries) and credentials version
 * written as cdktf expressions cost more than all its other resources together. A copy costs one
 * text replacement.
 *
 * Sound because of how cdktf writes what a slot takes, wherever it stands in an expression: a
 * whole token as its text without braces (bare as an argument, operand or map value, inside
 * `${...}` in a string), a plain literal string as itself in quotes, an integer in decimal; and a
 * marker stands exactly where the value would. A value a slot cannot stand for (a string needing
 * escapes, a number that is no safe integer) is refused.
 */
export class ExpressionTemplate<S extends Record<string, SlotKind>> {
  /** The expression with a marker in each slot, resolved once by cdktf (once used). */
  private rendered?: ResolvedValue;
  /** The last rendered text split at its markers (partsOf). */
  private split?: { readonly text: string; readonly parts: readonly string[] };

  /**
   * @param owner the construct whose stack (a RenderedBlocksStack) the copies are written in.
   * @param slots the kind of each place that differs per copy, by name (letters only).
   * @param build the expression from a value for each slot; one whole cdktf token.
   */
  constructor(
    private readonly owner: Construct,
    private readonly slots: S,
    private readonly build: (values: SlotValues<S>) => string | number,
  ) {
    renderedBlocksStackOf(owner);
    for (const slot of Object.keys(slots)) {
      if (!/^[A-Za-z]+$/.test(slot)) throw new Error(`ExpressionTemplate: bad slot name "${slot}"`);
    }
  }

  /**
   * Hands the expression to cdktf (once; later calls do nothing), so that copies can be filled
   * once the stack is resolved. Called while the app is built, by what will write a copy: an
   * unused template adds nothing to the stack (not even the cross-stack outputs its expression
   * references).
   */
  public use(): this {
    if (this.rendered) return this;
    const markers: Record<string, string | number> = {};
    for (const [slot, kind] of Object.entries(this.slots)) {
      markers[slot] =
        kind === "text"
          ? marker(slot)
          : kind === "integer"
            ? Token.asNumber(markerToken(slot))
            : Token.asString(markerToken(slot));
    }
    this.rendered = renderedBlocksStackOf(this.owner).resolveOnce(
      this.owner,
      this.build(markers as SlotValues<S>),
    );
    return this;
  }

  /**
   * The copy for `values`, as cdktf writes the expression for a whole argument (`${...}`).
   * Reference slots take expression texts (ResolvedTexts.expression, or an address's attribute
   * written out), text slots a plain literal, integer slots a safe integer. Throws on a value
   * its slot cannot stand for, and when the template was not used (use()) before cdktf resolved.
   */
  public fill(texts: ResolvedTexts, values: SlotValues<S>): string {
    if (!this.rendered) {
      throw new Error("ExpressionTemplate: filled, but not used (use()) while the app was built");
    }
    const rendered = this.rendered;
    for (const [slot, kind] of Object.entries(this.slots)) {
      const value = values[slot] as string | number;
      if (!slotTakes(kind, value)) {
        throw new Error(
          `ExpressionTemplate: slot "${slot}" (${kind}) cannot take ${JSON.stringify(value)}`,
        );
      }
    }
    // The text between markers, then each slot in turn: a value put in place is never read
    // again as a marker.
    const parts = this.partsOf(texts.text(rendered));
    let result = parts[0] as string;
    for (let i = 1; i < parts.length; i += 2) {
      result += String(values[parts[i] as string]) + parts[i + 1];
    }
    return result;
  }

  /** The rendered text split at its markers: text, slot, text, ... (split once per text). */
  private partsOf(text: string): readonly string[] {
    if (this.split?.text === text) return this.split.parts;
    const parts: string[] = [""];
    const used = new Set<string>();
    let last = 0;
    for (const found of text.matchAll(MARKER)) {
      const slot = found[1] as string;
      // A marker-like text that is no slot of this template stays as written.
      if (this.slots[slot] === undefined) continue;
      parts[parts.length - 1] += text.slice(last, found.index);
      parts.push(slot, "");
      used.add(slot);
      last = (found.index as number) + found[0].length;
    }
    parts[parts.length - 1] += text.slice(last);
    for (const slot of Object.keys(this.slots)) {
      if (!used.has(slot)) {
        throw new Error(`ExpressionTemplate: slot "${slot}" is not used`);
      }
    }
    this.split = { text, parts };
    return parts;
  }
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
export const PLAIN_TEXT = /^[A-Za-z0-9_.:/@-]*$/;

/** A Terraform expression's text as a reference slot takes it: no `${`, no quotes, no token. */
const EXPRESSION_TEXT = /^[^"${}\s]+$/;

function slotTakes(kind: SlotKind, value: string | number): boolean {
  switch (kind) {
    case "reference":
      // An attribute path or a quoted plain literal (a literal ARN: `"arn:aws:..."`).
      return (
        typeof value === "string" &&
        (EXPRESSION_TEXT.test(value) ||
          (value.startsWith('"') && value.endsWith('"') && PLAIN_TEXT.test(value.slice(1, -1))))
      );
    case "text":
      return typeof value === "string" && PLAIN_TEXT.test(value);
    case "integer":
      return typeof value === "number" && Number.isSafeInteger(value) && !Token.isUnresolved(value);
  }
}
