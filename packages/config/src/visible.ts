// On its own (no YAML, no schema): command-line parsers import it without loading the config model.

/**
 * Characters a terminal does not show, or shows elsewhere: zero-width and bidirectional
 * controls, other format characters, unusual spaces, line/paragraph separators, private-use
 * and unassigned code points. A found value "saas" that is really "saas\u200b" must say so.
 */
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/gu;

/** JSON of `value` with every {@link INVISIBLE} character written as a \u escape. */
export function visibleJson(value: unknown): string {
  return JSON.stringify(value).replace(INVISIBLE, (c) => {
    const code = c.codePointAt(0) as number;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * What a command line says of a value option given twice (commander keeps the last one silently:
 * `--env dev --env prod` acted on prod): both values, visibly.
 */
export function repeatedOptionMessage(flag: string, previous: unknown, value: string): string {
  return `Give ${flag} once (found ${visibleJson(String(previous))}, then ${visibleJson(value)}).`;
}

/** Whether `text` is a whole number in decimal digits only (no spaces, sign, 0x, exponent or point). */
export function isDecimalDigits(text: string): boolean {
  return /^[0-9]+$/.test(text);
}
