// Every golden review, parsed as GitHub Markdown (CommonMark + GFM tables, mdast-util-from-markdown
// with micromark-extension-gfm): what a reader sees on GitHub, not what the string looks like.
// The +, ~, −, ± markers must be text at the start of their list items (a `- + x` line that
// CommonMark reads as an empty item holding a nested list loses the marker), and the summary's
// tables must be tables.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseMarkdown } from "@pgforks/markdown";
import type { List, Nodes, Root, RootContent } from "mdast";

const GOLDEN_DIR = join(__dirname, "golden");
const goldens = readdirSync(GOLDEN_DIR)
  .filter((f) => f.endsWith(".md"))
  .sort();

/** The text a reader sees (inline code included, markup dropped). */
function textOf(node: Nodes): string {
  if ("value" in node && node.type !== "html") return node.value;
  if ("children" in node) return node.children.map((c) => textOf(c as Nodes)).join("");
  return "";
}

function walk(node: Nodes, visit: (n: Nodes) => void): void {
  visit(node);
  if ("children" in node) for (const c of node.children) walk(c as Nodes, visit);
}

/** The node right after the level-3 heading `title`. */
function afterHeading(root: Root, title: string): RootContent | undefined {
  const i = root.children.findIndex((n) => n.type === "heading" && textOf(n) === title);
  return i === -1 ? undefined : root.children[i + 1];
}

/** Item texts of a list. */
function items(list: List): string[] {
  return list.children.map((item) => textOf(item));
}

/** Each "**+ Create (n)**" group title with the list after it. */
function resourceGroups(root: Root): Array<{ title: string; items: string[] }> {
  const out: Array<{ title: string; items: string[] }> = [];
  root.children.forEach((node, i) => {
    const next = root.children[i + 1];
    const strongOnly =
      node.type === "paragraph" &&
      node.children.length === 1 &&
      node.children[0]?.type === "strong";
    if (strongOnly && next?.type === "list") out.push({ title: textOf(node), items: items(next) });
  });
  return out;
}

const GROUP_MARKER: Readonly<Record<string, RegExp>> = {
  "+ Create": /^\+ /,
  "~ Update in place": /^~ /,
  "− Delete": /^− /,
  "± Replace": /^± /,
  Outputs: /^[+~−±] /,
};

describe.each(goldens)("golden review %s, parsed as GitHub Markdown", (file) => {
  const markdown = readFileSync(join(GOLDEN_DIR, file), "utf8");
  const root = parseMarkdown(markdown);

  it("has no list item that starts with a nested list (a marker read as a bullet)", () => {
    const broken: string[] = [];
    walk(root, (n) => {
      if (n.type === "listItem" && n.children[0]?.type === "list") broken.push(textOf(n));
    });
    expect(broken).toEqual([]);
  });

  it("parses the stack, connection budget and cost sections as tables", () => {
    const stacks = afterHeading(root, "Stacks");
    expect(stacks?.type).toBe("table");
    if (stacks?.type !== "table") return;
    expect(stacks.children[0]?.children.map((c) => textOf(c))).toEqual([
      "Stack",
      "Status",
      "+ create",
      "~ update",
      "− delete",
      "± replace",
      "moved",
      "imported",
      "drift",
    ]);
    expect(afterHeading(root, "Connection budget")?.type).toBe("table");
    expect(afterHeading(root, "Monthly cost (estimate)")?.type).toBe("table");
  });

  it("starts each tenant line with its +, ~ or - marker as text", () => {
    const tenants = afterHeading(root, "Tenants");
    if (tenants?.type === "paragraph") {
      expect(textOf(tenants)).toBe("No tenant changes.");
      return;
    }
    expect(tenants?.type).toBe("list");
    if (tenants?.type !== "list") return;
    for (const line of items(tenants)) expect(line).toMatch(/^[+~-] tenant \S+ in \S+/);
  });

  it("starts each resource line with its group's marker as text", () => {
    for (const group of resourceGroups(root)) {
      const name = group.title.replace(/ \(\d+\)$/, "");
      const marker = GROUP_MARKER[name];
      if (!marker) continue;
      for (const line of group.items)
        expect({ group: name, line }).toEqual({ group: name, line: expect.stringMatching(marker) });
    }
  });
});

describe("the golden reviews hold what the structure tests check", () => {
  const parsed = new Map(
    goldens.map((f) => [f, parseMarkdown(readFileSync(join(GOLDEN_DIR, f), "utf8"))]),
  );
  const root = (file: string): Root => {
    const found = parsed.get(file);
    if (!found) throw new Error(`no golden ${file}`);
    return found;
  };

  it("add-tenant: one tenant line with + and a created secret with +", () => {
    const tenants = afterHeading(root("add-tenant.md"), "Tenants");
    expect(tenants?.type === "list" ? items(tenants) : []).toEqual([
      expect.stringMatching(/^\+ tenant edtech in prod: /),
    ]);
    const created = resourceGroups(root("add-tenant.md")).find((g) =>
      g.title.startsWith("+ Create"),
    );
    expect(created?.items.length).toBeGreaterThan(0);
  });

  it("add-tenant-proxy: the attribute diff adds one auth entry and removes none", () => {
    const diffs: string[] = [];
    walk(root("add-tenant-proxy.md"), (n) => {
      if (n.type === "code" && n.lang === "diff") diffs.push(n.value);
    });
    const lines = diffs.join("\n").split("\n");
    expect(lines.filter((l) => l.startsWith("+ auth = "))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("- auth"))).toEqual([]);
  });

  it("lower-protections: a warning at the top lists each lowered protection with ↓", () => {
    const tree = root("lower-protections.md");
    const first = tree.children.findIndex((n) => n.type === "heading" && textOf(n) === "Stacks");
    const alerts = tree.children
      .slice(0, first)
      .filter((n) => n.type === "blockquote" && textOf(n).includes("lowers"));
    expect(alerts).toHaveLength(1);
    const list = alerts[0]?.type === "blockquote" ? alerts[0].children[1] : undefined;
    expect(list?.type).toBe("list");
    const lowered = list?.type === "list" ? items(list) : [];
    expect(lowered.length).toBeGreaterThanOrEqual(4);
    for (const line of lowered) expect(line).toMatch(/^↓ /);
  });

  it("instance-class and replace-instance: ~ and ± resource lines", () => {
    const titles = (file: string) => resourceGroups(root(file)).map((g) => g.title);
    expect(titles("instance-class.md")).toContainEqual(expect.stringMatching(/^~ Update in place/));
    expect(titles("replace-instance.md")).toContainEqual(expect.stringMatching(/^± Replace/));
  });
});
