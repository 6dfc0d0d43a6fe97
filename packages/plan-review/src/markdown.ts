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

/**
 * Checks that every code fence is closed and that <details>/<summary> tags outside code are
 * balanced and properly nested (CommonMark fences: a closing fence uses the same character, is
 * at least as long and carries no info string).
 */
export function checkMarkdownStructure(markdown: string): StructureCheck {
  const problems: string[] = [];
  let fence: { char: string; length: number; line: number } | undefined;
  const stack: Array<{ tag: string; line: number }> = [];
  markdown.split("\n").forEach((line, i) => {
    const lineNo = i + 1;
    const match = FENCE_OPEN.exec(line);
    if (fence) {
      const marker = match?.[1];
      if (
        marker !== undefined &&
        marker[0] === fence.char &&
        marker.length >= fence.length &&
        (match?.[2] ?? "").trim() === ""
      ) {
        fence = undefined;
      }
      return;
    }
    if (match?.[1] !== undefined) {
      const marker = match[1];
      // A backtick fence's info string may not contain backticks; then it is not a fence.
      if (!(marker[0] === "`" && (match[2] ?? "").includes("`"))) {
        fence = { char: marker[0] as string, length: marker.length, line: lineNo };
        return;
      }
    }
    for (const tag of line.matchAll(DETAILS_TAG)) {
      const closing = tag[1] === "/";
      const name = (tag[2] ?? "").toLowerCase();
      if (!closing) {
        stack.push({ tag: name, line: lineNo });
        continue;
      }
      const open = stack.pop();
      if (!open) problems.push(`line ${lineNo}: </${name}> without an opening tag`);
      else if (open.tag !== name)
        problems.push(`line ${lineNo}: </${name}> closes <${open.tag}> of line ${open.line}`);
    }
  });
  if (fence) problems.push(`code fence opened on line ${fence.line} is never closed`);
  for (const open of stack) problems.push(`<${open.tag}> of line ${open.line} is never closed`);
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
  let fence: { char: string; length: number } | undefined;
  const stack: string[] = [];
  for (const line of markdown.split("\n")) {
    const match = FENCE_OPEN.exec(line);
    if (fence) {
      const marker = match?.[1];
      if (
        marker !== undefined &&
        marker[0] === fence.char &&
        marker.length >= fence.length &&
        (match?.[2] ?? "").trim() === ""
      )
        fence = undefined;
      continue;
    }
    if (match?.[1] !== undefined && !(match[1][0] === "`" && (match[2] ?? "").includes("`"))) {
      fence = { char: match[1][0] as string, length: match[1].length };
      continue;
    }
    for (const tag of line.matchAll(DETAILS_TAG)) {
      if (tag[1] === "/") stack.pop();
      else stack.push((tag[2] ?? "").toLowerCase());
    }
  }
  let out = "";
  if (fence) out += `\n${fence.char.repeat(fence.length)}`;
  for (const tag of stack.reverse()) out += `\n</${tag}>`;
  return out;
}
