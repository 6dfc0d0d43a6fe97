/**
 * The review's Markdown as an mdast tree (mdast-util-to-markdown with the GFM extension for
 * tables): the library escapes what text would otherwise turn into syntax (a leading `+` or `-`
 * that would start a nested list, a `|` in a table cell, a backtick in inline code), so the
 * builders below only say what the content is. `<details>` and GitHub's alert markers are raw
 * HTML/text nodes, the one place where the tree carries literal Markdown.
 */
import type {
  BlockContent,
  Html,
  InlineCode,
  List,
  ListItem,
  Paragraph,
  PhrasingContent,
  Root,
  RootContent,
  Table,
  TableCell,
  TableRow,
} from "mdast";
import { fromMarkdown } from "mdast-util-from-markdown";
import { gfmFromMarkdown, gfmToMarkdown } from "mdast-util-gfm";
import { toMarkdown } from "mdast-util-to-markdown";
import { gfm } from "micromark-extension-gfm";

/** GitHub rejects issue and pull-request comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65536;

export type { RootContent };

/** Phrasing content given as a plain string (text) or as nodes. */
export type Inline = string | PhrasingContent;

const inlineNode = (part: Inline): PhrasingContent =>
  typeof part === "string" ? { type: "text", value: part } : part;

/** `text` as an inline code span (backticks inside are handled by the serializer). */
export function code(value: string): InlineCode {
  return { type: "inlineCode", value: value.replace(/\r?\n/g, " ") };
}

/** A link to `url` (relative links resolve from the file the Markdown is committed as). */
export function link(url: string, ...parts: Inline[]): PhrasingContent {
  return { type: "link", url, children: parts.map(inlineNode) };
}

export function strong(...parts: Inline[]): PhrasingContent {
  return { type: "strong", children: parts.map(inlineNode) };
}

export function emphasis(...parts: Inline[]): PhrasingContent {
  return { type: "emphasis", children: parts.map(inlineNode) };
}

/** Raw inline HTML (`<sub>`), written as is. */
export function inlineHtml(value: string): PhrasingContent {
  return { type: "html", value };
}

export function paragraph(...parts: Inline[]): Paragraph {
  return { type: "paragraph", children: parts.map(inlineNode) };
}

export function heading(depth: 1 | 2 | 3 | 4 | 5 | 6, ...parts: Inline[]): RootContent {
  return { type: "heading", depth, children: parts.map(inlineNode) };
}

/** A tight bullet list; each item is one paragraph. */
export function bulletList(items: ReadonlyArray<readonly Inline[]>): List {
  return {
    type: "list",
    ordered: false,
    spread: false,
    children: items.map(
      (parts): ListItem => ({ type: "listItem", spread: false, children: [paragraph(...parts)] }),
    ),
  };
}

/** A fenced code block (the fence grows past any backtick run in `value`). */
export function codeBlock(value: string, lang?: string): RootContent {
  return { type: "code", lang: lang ?? null, value: value.replace(/\n$/, "") };
}

/** A GFM table: the first row is the header; `align` per column ("right" for numbers). */
export function table(
  align: ReadonlyArray<"left" | "right" | "center" | null>,
  rows: ReadonlyArray<ReadonlyArray<Inline | readonly Inline[]>>,
): Table {
  return {
    type: "table",
    align: [...align],
    children: rows.map(
      (row): TableRow => ({
        type: "tableRow",
        children: row.map(
          (c): TableCell => ({
            type: "tableCell",
            children: (Array.isArray(c) ? c : [c]).map(inlineNode),
          }),
        ),
      }),
    ),
  };
}

/** HTML-significant characters escaped, for text inside raw HTML (`<summary>`). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A folded section: `<details><summary>` … `</details>` around Markdown content. */
export function details(summary: string, children: readonly RootContent[]): RootContent[] {
  const open: Html = { type: "html", value: `<details><summary>${escapeHtml(summary)}</summary>` };
  return [open, ...children, { type: "html", value: "</details>" }];
}

/** A GitHub alert (`> [!WARNING]`): a blockquote whose first line is the marker. */
export function alert(
  kind: "NOTE" | "WARNING" | "CAUTION",
  first: readonly Inline[],
  rest: readonly BlockContent[] = [],
): RootContent {
  return {
    type: "blockquote",
    children: [
      {
        type: "paragraph",
        children: [
          { type: "html", value: `[!${kind}]` },
          { type: "text", value: "\n" },
          ...first.map(inlineNode),
        ],
      },
      ...rest,
    ],
  };
}

/** Serializes flow content to GitHub Markdown (ends with one newline). */
export function stringify(children: readonly RootContent[]): string {
  const root: Root = { type: "root", children: [...children] };
  return toMarkdown(root, {
    extensions: [gfmToMarkdown({ tablePipeAlign: false })],
    bullet: "-",
    emphasis: "_",
    strong: "*",
    fences: true,
    listItemIndent: "one",
    rule: "-",
  });
}

/** Parses GitHub Markdown (CommonMark + GFM tables) into an mdast tree. */
export function parseMarkdown(markdown: string): Root {
  return fromMarkdown(markdown, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
}

/** What {@link checkMarkdownStructure} found. */
export interface StructureCheck {
  readonly ok: boolean;
  readonly problems: readonly string[];
}

const DETAILS_TAG = /<(\/?)(details|summary)(?:\s[^>]*)?>/gi;

/**
 * Parses the Markdown and checks the two structures a cut comment most often breaks: every
 * fenced code block is closed by a fence, and the `<details>`/`<summary>` tags of the HTML nodes
 * (never those inside code) are balanced and properly nested.
 */
export function checkMarkdownStructure(markdown: string): StructureCheck {
  const problems: string[] = [];
  const open: Array<{ tag: string; line: number }> = [];
  const visit = (node: Root | RootContent): void => {
    const line = node.position?.start.line ?? 0;
    if (node.type === "code") {
      const source = markdown.slice(node.position?.start.offset, node.position?.end.offset);
      const fence = /^ {0,3}(`{3,}|~{3,})/.exec(source)?.[1];
      const lastLine = source.slice(source.lastIndexOf("\n") + 1).trim();
      const closed =
        fence !== undefined &&
        source.includes("\n") &&
        lastLine.startsWith(fence) &&
        /^(`+|~+)$/.test(lastLine);
      if (fence !== undefined && !closed)
        problems.push(`code fence opened on line ${line} is never closed`);
      return;
    }
    if (node.type === "html") {
      for (const tag of node.value.matchAll(DETAILS_TAG)) {
        const name = (tag[2] ?? "").toLowerCase();
        if (tag[1] !== "/") {
          open.push({ tag: name, line });
          continue;
        }
        const last = open.pop();
        if (!last) problems.push(`line ${line}: </${name}> without an opening tag`);
        else if (last.tag !== name)
          problems.push(`line ${line}: </${name}> closes <${last.tag}> of line ${last.line}`);
      }
      return;
    }
    if ("children" in node) for (const c of node.children) visit(c as RootContent);
  };
  visit(parseMarkdown(markdown));
  for (const o of open) problems.push(`<${o.tag}> of line ${o.line} is never closed`);
  return { ok: problems.length === 0, problems };
}
