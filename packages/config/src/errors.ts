/** One thing wrong with a configuration file, phrased for the person who edits it. */
export interface ConfigProblem {
  /** File path, relative to the repository root when possible. */
  readonly file: string;
  /** Path inside the file, e.g. `tenants[2].name`; empty for the whole file. */
  readonly path: string;
  /** 1-based line and column of the offending node, when known. */
  readonly line?: number;
  readonly column?: number;
  /** What was found, rendered as YAML-ish text; absent when the value is missing. */
  readonly found?: string;
  /** What is wrong and what is allowed. */
  readonly message: string;
}

/**
 * `params.whenUnwritten` of a schema's custom issue: when the file does not write the field the
 * issue names (its default is in play), the loader reports `message` on the sibling `key` instead,
 * if the file writes that one: the problem then points at what the person wrote.
 */
export interface WhenUnwritten {
  readonly key: string;
  readonly message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line
    ? `${problem.file}:${problem.line}:${problem.column ?? 1}`
    : problem.file;
  const path = problem.path ? ` ${problem.path}:` : "";
  const found = problem.found === undefined ? "" : ` (found ${problem.found})`;
  return `${where}${path} ${problem.message}${found}`;
}

/** Most problems listed one by one; the rest are counted, so a report stays one screen. */
export const MAX_LISTED_PROBLEMS = 20;

/** Most items a one-line list names; the rest are counted (a message stays one screen). */
export const MAX_LISTED_ITEMS = 10;

/** `a, b, c` for a short list; `a, b, ..., j and 490 more` past `max` items. */
export function listWithCount(items: readonly string[], max = MAX_LISTED_ITEMS): string {
  if (items.length <= max) return items.join(", ");
  return `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

/** The problems as `  - ...` lines, at most MAX_LISTED_PROBLEMS, then "... and N more". */
export function formatProblemList(problems: readonly ConfigProblem[]): string[] {
  const lines = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `  - ${formatProblem(p)}`);
  const rest = problems.length - MAX_LISTED_PROBLEMS;
  if (rest > 0) lines.push(`  ... and ${rest} more problem${rest === 1 ? "" : "s"}`);
  return lines;
}

/** Thrown when configuration is invalid; carries every problem found, not just the first. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `${problems.length} configuration problem${problems.length === 1 ? "" : "s"}:\n${formatProblemList(
        problems,
      ).join("\n")}`,
    );
    this.name = "ConfigError";
  }
}
