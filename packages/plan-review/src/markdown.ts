/**
 * Markdown building blocks that stay well-formed whatever text goes into them (a backtick in a
 * value cannot close a code span or fence early, a `|` cannot split a table cell), and a checker
 * for the two structures a truncated comment most often breaks: code fences and <details>.
 */

/** GitHub rejects issue and pull-request comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65536;

function longestRun(text: string, char: string): number {
  let longest = 0;
  let current = 0;
  for (const c of text) {
    current = c === char ? current + 1 : 0;
    if (current > longest) longest = current;
  }
  return longest;
}

/** An inline code span that holds any text (CommonMark: a longer backtick string delimits). */
export function inlineCode(text: string): string {
  const single = text.replace(/\r?\n/g, " ");
  const ticks = "`".repeat(longestRun(single, "`") + 1);
  const pad = single.startsWith("`") || single.endsWith("`") ? " " : "";
  return `${ticks}${pad}${single}${pad}${ticks}`;
}

/** A fenced code block whose fence is longer than any backtick run in the content. */
export function codeBlock(content: string, info = ""): string {
  const fence = "`".repeat(Math.max(3, longestRun(content, "`") + 1));
  const body = content.endsWith("\n") ? content : `${content}\n`;
  return `${fence}${info}\n${body}${fence}`;
}

/** Text safe in a table cell: pipes escaped, newlines flattened. */
export function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** Text safe as Markdown prose outside code: HTML-significant characters escaped. */
export function prose(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A folded section. `summary` is prose (escaped); `body` is Markdown. */
export function details(summary: string, body: string): string {
  return `<details><summary>${prose(summary)}</summary>\n\n${body}\n\n</details>`;
}

/** What {@link checkMarkdownStructure} found. */
export interface StructureCheck {
  readonly ok: boolean;
  readonly problems: readonly string[];
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const DETAILS_TAG = /<(\/?)(details|summary)(?:\s[^>]*)?>/gi;

interface OpenFence {
  readonly char: string;
  readonly length: number;
  readonly line: number;
}

/**
 * One pass over Markdown lines: code fences (CommonMark: a closing fence uses the same
 * character, is at least as long and carries no info string; a backtick fence's info string
 * may not contain backticks) and <details>/<summary> tags outside code. Returns what is still
 * open at the end and every mis-nesting found on the way.
 */
function scanStructure(markdown: string): {
  fence?: OpenFence;
  open: Array<{ tag: string; line: number }>;
  problems: string[];
} {
  const problems: string[] = [];
  let fence: OpenFence | undefined;
  const open: Array<{ tag: string; line: number }> = [];
  markdown.split("\n").forEach((line, i) => {
    const lineNo = i + 1;
    const match = FENCE_OPEN.exec(line);
    const marker = match?.[1];
    const info = match?.[2] ?? "";
    if (fence) {
      if (marker?.[0] === fence.char && marker.length >= fence.length && info.trim() === "") {
        fence = undefined;
      }
      return;
    }
    if (marker !== undefined && !(marker[0] === "`" && info.includes("`"))) {
      fence = { char: marker[0] as string, length: marker.length, line: lineNo };
      return;
    }
    for (const tag of line.matchAll(DETAILS_TAG)) {
      const name = (tag[2] ?? "").toLowerCase();
      if (tag[1] !== "/") {
        open.push({ tag: name, line: lineNo });
        continue;
      }
      const last = open.pop();
      if (!last) problems.push(`line ${lineNo}: </${name}> without an opening tag`);
      else if (last.tag !== name)
        problems.push(`line ${lineNo}: </${name}> closes <${last.tag}> of line ${last.line}`);
    }
  });
  return { fence, open, problems };
}

/**
 * Checks that every code fence is closed and that <details>/<summary> tags outside code are
 * balanced and properly nested.
 */
export function checkMarkdownStructure(markdown: string): StructureCheck {
  const { fence, open, problems } = scanStructure(markdown);
  if (fence) problems.push(`code fence opened on line ${fence.line} is never closed`);
  for (const o of open) problems.push(`<${o.tag}> of line ${o.line} is never closed`);
  return { ok: problems.length === 0, problems };
}

/**
 * Cuts Markdown to at most `max` characters at a line boundary, then closes whatever the cut left
 * open (a code fence, <summary>, <details>) and appends `notice`. The last resort of the budget.
 */
export function truncateMarkdown(markdown: string, max: number, notice: string): string {
  if (markdown.length <= max) return markdown;
  const tail = `\n\n${notice}\n`;
  // Room for the closers: a fence of any length plus one </details> per level still open.
  let limit = Math.max(0, max - tail.length - 256);
  for (;;) {
    let cut = markdown.slice(0, limit);
    const newline = cut.lastIndexOf("\n");
    cut = newline >= 0 ? cut.slice(0, newline) : "";
    const closers = closersFor(cut);
    const out = `${cut}${closers}${tail}`;
    if (out.length <= max || limit === 0) return out.length <= max ? out : tail.slice(0, max);
    limit = Math.max(0, limit - (out.length - max) - 1);
  }
}

/** The text that closes what `markdown` leaves open. */
function closersFor(markdown: string): string {
  const { fence, open } = scanStructure(markdown);
  let out = "";
  if (fence) out += `\n${fence.char.repeat(fence.length)}`;
  for (const o of [...open].reverse()) out += `\n</${o.tag}>`;
  return out;
}
