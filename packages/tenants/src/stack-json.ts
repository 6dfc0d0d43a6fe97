import stableStringify from "json-stable-stringify";

/**
 * A stack's cdk.tf.json text exactly as cdktf 0.21 writes it (json-stable-stringify 1.x with
 * `space: 2`: keys sorted by UTF-16 code unit, two-space indentation, an empty object or array
 * written over two lines as `{`, newline, indentation, `}`), at the speed of the native
 * JSON.stringify. With 200 tenants the library took about 20 ms of a 0.35 s synth; this about a
 * quarter of that.
 *
 * How: a copy of the value with its keys in sorted order and each empty object or array replaced
 * by a marker string naming its bracket and depth, written by JSON.stringify, the markers then
 * replaced by the library's form. Two cases go to the library itself: an object with a key that
 * is an array index ("0", "17": JavaScript orders those numerically, the library as text), and a
 * value holding a marker's text (the number of markers replaced would differ).
 * test/stack-json.test.ts compares both on every synthesized stack and on edge cases.
 */
export function stackJson(value: unknown): string {
  const markers = { count: 0 };
  let copy: unknown;
  try {
    copy = sortedCopy(value, 0, markers);
  } catch (error) {
    if (error !== INDEX_KEY) throw error;
    return libraryJson(value);
  }
  let replaced = 0;
  const text = JSON.stringify(copy, null, 2).replace(MARKER_TEXT, (_found, bracket, depth) => {
    replaced++;
    return `${bracket === "{}" ? "{" : "["}\n${"  ".repeat(Number(depth))}${bracket === "{}" ? "}" : "]"}`;
  });
  return replaced === markers.count ? text : libraryJson(value);
}

/** What cdktf itself writes (json-stable-stringify, `space: 2`). */
function libraryJson(value: unknown): string {
  return stableStringify(value, { space: 2 }) ?? "";
}

/** Thrown by sortedCopy on a key JavaScript would order as an array index. */
const INDEX_KEY = Symbol("array index key");

const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

/** The marker of an empty object or array at `depth`, as a string value (U+0000 around it). */
function marker(bracket: "{}" | "[]", depth: number): string {
  return `\u0000pgforks-empty ${bracket} ${depth}\u0000`;
}

/** A marker as JSON.stringify writes it, quoted, with U+0000 escaped. */
const MARKER_TEXT = /"\\u0000pgforks-empty (\{\}|\[\]) ([0-9]+)\\u0000"/g;

/**
 * `value` as the library walks it: toJSON() called first, keys sorted, keys whose value the
 * library leaves out (undefined, a function, a symbol) left out, empty collections as markers.
 */
function sortedCopy(value: unknown, depth: number, markers: { count: number }): unknown {
  let node = value;
  if (
    node !== null &&
    typeof node === "object" &&
    typeof (node as { toJSON?: unknown }).toJSON === "function"
  ) {
    node = (node as { toJSON: () => unknown }).toJSON();
  }
  if (node === null || typeof node !== "object") return node;
  if (Array.isArray(node)) {
    if (node.length === 0) {
      markers.count++;
      return marker("[]", depth);
    }
    return node.map((item) => sortedCopy(item, depth + 1, markers));
  }
  const keys = Object.keys(node).sort();
  const copy: Record<string, unknown> = {};
  let written = 0;
  for (const key of keys) {
    const item = sortedCopy((node as Record<string, unknown>)[key], depth + 1, markers);
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    // An array index starts with a digit (0-9: char codes 48-57).
    const first = key.charCodeAt(0);
    if (first >= 48 && first <= 57 && ARRAY_INDEX.test(key)) throw INDEX_KEY;
    copy[key] = item;
    written++;
  }
  if (written === 0) {
    markers.count++;
    return marker("{}", depth);
  }
  return copy;
}
