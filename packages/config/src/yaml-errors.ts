import { type Document, isMap, isScalar, isSeq, type LineCounter, type YAMLError } from "yaml";
import { formatPath } from "./errors";

/** One YAML syntax problem, phrased for the person who edits the file. */
export interface YamlErrorReport {
  readonly line?: number;
  readonly column?: number;
  /** Where in the document, e.g. `tenants[2].connectionLimit`; empty when unknown. */
  readonly path: string;
  readonly message: string;
}

interface Ranged {
  readonly range?: readonly number[] | null;
}

/** The path of the key that starts at `offset`, and the key's first occurrence in its mapping. */
function duplicateKeyAt(
  node: unknown,
  offset: number,
  path: PropertyKey[] = [],
): { path: PropertyKey[]; key: unknown; firstOffset?: number } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if ((pair.key as Ranged | null)?.range?.[0] === offset) {
        const first = node.items.find(
          (p) => (isScalar(p.key) ? p.key.value : p.key) === key && p !== pair,
        );
        return {
          path: [...path, String(key)],
          key,
          firstOffset: (first?.key as Ranged | null)?.range?.[0],
        };
      }
      const inner = duplicateKeyAt(pair.value, offset, [...path, String(key)]);
      if (inner) return inner;
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const inner = duplicateKeyAt(item, offset, [...path, i]);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** The first line of a YAML library message, without the position it repeats ("at line 3, column 5:"). */
function firstLine(error: YAMLError): string {
  const line = error.message.split("\n")[0] ?? "";
  return line.replace(/ at line \d+, column \d+:?$/, "").slice(0, 120);
}

/**
 * The YAML syntax errors of `doc` as one line each. Every duplicate key is named with its path
 * and the line of its first occurrence (each is a problem of its own); of the other errors only
 * the first is listed, with a count of the rest, which usually follow from it (one tab used for
 * indentation makes five errors). `lines` is the LineCounter the document was parsed with.
 */
export function describeYamlErrors(doc: Document, lines: LineCounter): YamlErrorReport[] {
  const reports: YamlErrorReport[] = [];
  const others = doc.errors.filter((e) => e.code !== "DUPLICATE_KEY");
  for (const error of doc.errors) {
    if (error.code !== "DUPLICATE_KEY") continue;
    const pos = lines.linePos(error.pos[0]);
    const found = duplicateKeyAt(doc.contents, error.pos[0]);
    const first = found?.firstOffset === undefined ? undefined : lines.linePos(found.firstOffset);
    reports.push({
      line: pos.line,
      column: pos.col,
      path: found ? formatPath(found.path) : "",
      message: found
        ? `duplicate key "${String(found.key)}"${first ? ` (first at line ${first.line})` : ""}; a key may appear once in a mapping: keep one`
        : `${firstLine(error)}; a key may appear once in a mapping: keep one`,
    });
  }
  const [first] = others;
  if (first) {
    const pos = lines.linePos(first.pos[0]);
    const message =
      first.code === "TAB_AS_INDENT"
        ? "a tab is used for indentation; YAML indents with spaces only: replace the tab with spaces"
        : firstLine(first);
    const rest = others.length - 1;
    reports.push({
      line: pos.line,
      column: pos.col,
      path: "",
      message: `${message}${rest > 0 ? ` (and ${rest} more YAML error${rest === 1 ? "" : "s"} after it, most likely caused by this one)` : ""}`,
    });
  }
  return reports.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
