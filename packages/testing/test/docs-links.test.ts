import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseMarkdown, type RootContent } from "@pgforks/markdown";
import type { Root } from "mdast";

// Every Markdown file git tracks: its relative links must reach a file (and a heading, for an
// anchor), and each repository path it names in backticks (`packages/x/test/y.test.ts`) must exist.
// A newcomer follows these literally; a moved test or renamed heading breaks them silently.
const root = resolve(__dirname, "../../..");
const markdownFiles = execFileSync("git", ["ls-files", "*.md"], { cwd: root, encoding: "utf8" })
  .split("\n")
  .filter(Boolean);

/** Every node of an mdast tree, depth first. */
function nodes(node: Root | RootContent): (Root | RootContent)[] {
  return [node, ...("children" in node ? node.children.flatMap((c) => nodes(c)) : [])];
}

/** The text of a node as GitHub reads it for an anchor: text and code, markup dropped. */
function plainText(node: Root | RootContent): string {
  if (node.type === "text" || node.type === "inlineCode") return node.value;
  return "children" in node ? node.children.map((c) => plainText(c)).join("") : "";
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const node of nodes(parseMarkdown(markdown))) {
    if (node.type !== "heading") continue;
    const slug = plainText(node)
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    let anchor = slug;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${slug}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

/** Relative link targets, as the Markdown parser finds them (never inside code). */
function linkTargets(markdown: string): string[] {
  return nodes(parseMarkdown(markdown))
    .flatMap((node) => (node.type === "link" || node.type === "definition" ? [node.url] : []))
    .filter((target) => !/^[a-z]+:/i.test(target));
}

/** Repository paths named in backticks, such as `packages/guard/src/stateful.ts`. */
function namedPaths(markdown: string): string[] {
  return [
    ...markdown.matchAll(
      /`((?:packages|apps|tools|docs|environments)\/[\w./-]+\.(?:ts|cjs|mjs|md|sh|yaml|json|mod|txt))`/g,
    ),
  ].map((m) => m[1] as string);
}

describe("links and paths in the Markdown files", () => {
  it("finds the Markdown files", () => {
    expect(markdownFiles).toContain("README.md");
    expect(markdownFiles).toContain("docs/operations.md");
  });

  it("computes GitHub's anchors", () => {
    const anchors = headingAnchors(
      "# A `b` (c)\n```\n# not a heading\n```\n## Lifecycle of a fork\n## A b c\n",
    );
    expect([...anchors]).toEqual(["a-b-c", "lifecycle-of-a-fork", "a-b-c-1"]);
  });

  it("finds links in prose and tables, never in code", () => {
    const targets = linkTargets(
      "[a](x.md) and `[b](y.md)`\n\n| c |\n| - |\n| [d](z.md#h) `^1[4-7](\\.\\d+)?$` |\n\n```\n[e](w.md)\n```\n[f]: v.md\n",
    );
    expect(targets).toEqual(["x.md", "z.md#h", "v.md"]);
  });

  it.each(markdownFiles)("%s: every relative link reaches its file and heading", (file) => {
    const text = readFileSync(join(root, file), "utf8");
    const broken = linkTargets(text).flatMap((target) => {
      const [path = "", anchor] = target.split("#");
      const resolved = path ? resolve(root, dirname(file), path) : join(root, file);
      if (!existsSync(resolved)) return [`${target}: no such file`];
      if (anchor === undefined) return [];
      if (statSync(resolved).isDirectory() || !resolved.endsWith(".md"))
        return [`${target}: an anchor on a file that is not Markdown`];
      return headingAnchors(readFileSync(resolved, "utf8")).has(anchor)
        ? []
        : [`${target}: no heading #${anchor}`];
    });
    expect(broken).toEqual([]);
  });

  it.each(markdownFiles)("%s: every repository path it names exists", (file) => {
    const text = readFileSync(join(root, file), "utf8");
    const missing = namedPaths(text).filter(
      (path) => !existsSync(join(root, path)) && !existsSync(resolve(root, dirname(file), path)),
    );
    expect(missing).toEqual([]);
  });
});
