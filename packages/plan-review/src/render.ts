/**
 * The review as Markdown for a pull-request comment, within a hard character budget (GitHub
 * rejects comments over 65,536 characters). The summary (banner, guard, stack table, tenants,
 * connection budget, cost) is always kept; when the whole does not fit, the raw plans go first
 * (largest first), then the attribute details, then the per-resource lists are shortened, and
 * the comment says what was left out and where to find it. Deterministic: no timestamps.
 */
import type { ConnectionBudget } from "@pgforks/config";
import { type CostEstimate, EXCLUDED_COSTS, formatUsd } from "./cost";
import { instanceChangesSection } from "./instance-changes";
import {
  cell,
  codeBlock,
  details,
  GITHUB_COMMENT_LIMIT,
  inlineCode,
  prose,
  truncateMarkdown,
} from "./markdown";
import { PRICE_REGION, PRICES_READ_ON } from "./prices";
import {
  type DestroyedResource,
  RESOURCE_GROUPS,
  type ResourceGroup,
  type ResourceReview,
  type Review,
  type StackReview,
} from "./review";
import { attributeChanges, KNOWN_AFTER_APPLY, maskSensitive, renderValue } from "./values";

/** Marks the comment so CI can find and update it in place (sticky comment). */
export const REVIEW_MARKER = "<!-- pgforks:plan-review -->";

/** Options of {@link renderReview}. */
export interface RenderOptions {
  /** Hard limit on the output length in characters (UTF-16 code units). Default 65,536. */
  readonly maxChars?: number;
  /** Where the full plans are, said when something is left out. Default: the plan artifacts. */
  readonly artifactsHint?: string;
}

const DEFAULT_ARTIFACTS_HINT =
  "the workflow's plan artifacts (one `<stack>.json` per stack); render them locally with `npm run review -- <stack>.json...`";

const GROUP_TITLES: Readonly<Record<ResourceGroup, string>> = {
  replace: "± Replace",
  delete: "− Delete",
  create: "+ Create",
  update: "~ Update in place",
  forget: "Forget (removed from state, not destroyed)",
  move: "Move",
  import: "Import",
};

const ACTION_SYMBOL: Readonly<Record<string, string>> = {
  create: "+",
  update: "~",
  delete: "−",
  replace: "±",
  forget: "⊘",
  "no-op": "·",
  read: "·",
};

/** Longest value in the raw rendering before it is shortened. */
const RAW_VALUE_MAX = 500;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function destroyedLine(d: DestroyedResource, blocked: boolean, reason?: string): string {
  const symbol = d.action === "replace" ? "±" : "−";
  const what = d.stateful ? `**${prose(d.stateful.what)}** ` : "";
  const where = d.constructPath ? ` (${inlineCode(d.constructPath)})` : "";
  const tenant = d.tenant ? `, tenant ${prose(d.tenant)}` : "";
  const forced =
    d.replacePaths.length > 0 ? `; forced by ${d.replacePaths.map(inlineCode).join(", ")}` : "";
  const verdict = reason ? ` — ${blocked ? "**BLOCKED**" : prose(reason)}` : "";
  const loses = blocked && d.stateful ? `; would lose ${prose(d.stateful.loses)}` : "";
  return `${symbol} ${what}${inlineCode(d.address)} in ${inlineCode(d.stack)}${where}${tenant}${forced}${loses}${verdict}`;
}

/** Most non-stateful deletions/replacements the banner lists by name. */
const BANNER_OTHERS_SHOWN = 10;

function banner(review: Review): string {
  if (review.destroyed.length === 0) return "";
  const stateful = review.destroyed.filter((d) => d.stateful);
  const others = review.destroyed.filter((d) => !d.stateful);
  const blocked = review.guard.blocked.length > 0;
  const lines = [
    blocked ? "> [!CAUTION]" : "> [!WARNING]",
    `> **This change deletes or replaces ${plural(review.destroyed.length, "resource")}, ${stateful.length} of them stateful.**`,
  ];
  const findings = [...review.guard.blocked, ...review.guard.allowed];
  for (const d of stateful) {
    const finding = findings.find((f) => f.stack === d.stack && f.address === d.address);
    lines.push(`> - ${destroyedLine(d, finding?.allowedBy === undefined, finding?.reason)}`);
  }
  for (const d of others.slice(0, BANNER_OTHERS_SHOWN))
    lines.push(`> - ${destroyedLine(d, false)}`);
  if (others.length > BANNER_OTHERS_SHOWN) {
    lines.push(
      `> - and ${plural(others.length - BANNER_OTHERS_SHOWN, "other resource")} (not stateful), listed below`,
    );
  }
  return lines.join("\n");
}

function guardLine(review: Review): string {
  const { blocked, allowed } = review.guard;
  const stale = staleLine(review);
  if (blocked.length > 0) {
    const names = blocked.map((f) => inlineCode(`${f.stack}:${f.address}`)).join(", ");
    const line = `**Destroy guard: blocked.** ${plural(blocked.length, "stateful resource")} would be deleted or replaced. If that is intended, approve each one by name: add ${names} to \`PGFORKS_APPROVE_DESTROY\` (comma separated) or to the approval file. A tenant's own resources are allowed once it is \`state: dropped\` with \`confirmDrop\`.`;
    return stale ? `${line}\n\n${stale}` : line;
  }
  if (stale) return `**Destroy guard: failed.** ${stale}`;
  if (allowed.length > 0) {
    return `**Destroy guard: passed** — ${plural(allowed.length, "stateful deletion")} allowed (${allowed
      .map((f) => `${inlineCode(f.address)}: ${prose(f.reason)}`)
      .join("; ")}).`;
  }
  return "**Destroy guard: passed** — no stateful resource is deleted or replaced.";
}

/** Stale approvals, each with where to remove it from; "" when there is none. */
function staleLine(review: Review): string {
  const { stale } = review.guard;
  if (stale.length === 0) return "";
  const items = stale.map(
    ({ approval }) =>
      `approval ${inlineCode(`${approval.stack}:${approval.address}`)} matches nothing in these plans: remove it from ${inlineCode(approval.source ?? "the approvals")}`,
  );
  return `${plural(stale.length, "approval")} no longer ${stale.length === 1 ? "matches" : "match"} a stateful deletion or replacement (an approval is good for one change only): ${items.join("; ")}.`;
}

function statusCell(stack: StackReview): string {
  return stack.status === "blocked" || stack.status === "error"
    ? `**${stack.status}**`
    : stack.status;
}

function stackTable(review: Review): string {
  const rows = [
    "| Stack | Status | + create | ~ update | − delete | ± replace | moved | imported | drift |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const s of review.stacks) {
    const c = s.counts;
    const n = (v: number | undefined) => (v === undefined ? "–" : String(v));
    rows.push(
      `| ${inlineCode(s.stack)} | ${statusCell(s)} | ${n(c?.create)} | ${n(c?.update)} | ${n(c?.delete)} | ${n(c?.replace)} | ${n(c?.move)} | ${n(c?.import)} | ${n(c?.drift)} |`,
    );
  }
  return rows.join("\n");
}

function tenantSection(review: Review): string {
  if (review.tenants.length === 0) return "No tenant changes.";
  return review.tenants
    .map((t) => {
      const note =
        t.fromConfig.length > 0
          ? ` _(from the configuration: ${t.fromConfig.join(", ")} not planned)_`
          : "";
      return `- ${prose(t.words)}${note}`;
    })
    .join("\n");
}

function change<T>(before: T | undefined, after: T | undefined, show: (v: T) => string): string {
  if (before === undefined && after === undefined) return "n/a";
  if (before === undefined) return `(new) → ${show(after as T)}`;
  if (after === undefined) return `${show(before)} → (removed)`;
  const a = show(before);
  const b = show(after);
  return a === b ? b : `${a} → ${b}`;
}

function budgetSection(review: Review): string {
  if (review.budgets.length === 0) return "No environment configuration was given.";
  const rows = [
    "| Environment | Instance class | max_connections | Reserve | Proxy share | Available to tenants | Active tenants' limits | Headroom |",
    "|---|---|--:|--:|--:|--:|--:|--:|",
  ];
  const headroom = (b: ConnectionBudget) => b.available - b.requested;
  for (const b of review.budgets) {
    const over = b.after !== undefined && headroom(b.after) < 0 ? " **over budget**" : "";
    rows.push(
      `| ${prose(b.environment)} | ${change(b.before, b.after, (x) => x.instanceClass)} | ${change(b.before, b.after, (x) => String(x.maxConnections))} | ${change(b.before, b.after, (x) => String(x.reserve))} | ${change(b.before, b.after, (x) => (x.proxyShare === undefined ? "no proxy" : String(x.proxyShare)))} | ${change(b.before, b.after, (x) => String(x.available))} | ${change(b.before, b.after, (x) => String(x.requested))} | ${change(b.before, b.after, (x) => String(headroom(x)))}${over} |`,
    );
  }
  return rows.join("\n");
}

function costDelta(before?: CostEstimate, after?: CostEstimate): string {
  if (!before || !after) return "n/a";
  const delta = Math.round((after.total - before.total) * 100) / 100;
  if (delta === 0) return "unchanged";
  return delta > 0 ? `+${formatUsd(delta)}` : `−${formatUsd(-delta)}`;
}

function costLinesTable(estimate: CostEstimate): string {
  const rows = ["| Item | Quantity | Unit price | Monthly |", "|---|--:|--:|--:|"];
  for (const line of estimate.lines) {
    const mark = line.price.confirmed ? "" : "\\*";
    rows.push(
      `| ${cell(line.item)} | ${line.quantity} ${cell(line.price.unit)} | $${line.price.usd}${mark} | ${formatUsd(line.monthly)} |`,
    );
  }
  rows.push(`| **Total** | | | **${formatUsd(estimate.total)}** |`);
  const notes = [
    ...estimate.unpriced.map((u) => `not priced: ${u}`),
    ...(estimate.regionNote ? [estimate.regionNote] : []),
  ];
  return [rows.join("\n"), ...notes.map((n) => `- ${prose(n)}`)].join("\n");
}

function costSection(review: Review): string {
  if (review.costs.length === 0) return "No environment configuration was given.";
  const rows = ["| Environment | Before | After | Change |", "|---|--:|--:|--:|"];
  for (const c of review.costs) {
    rows.push(
      `| ${prose(c.environment)} | ${c.before ? formatUsd(c.before.total) : "n/a"} | ${c.after ? formatUsd(c.after.total) : "n/a"} | ${costDelta(c.before, c.after)} |`,
    );
  }
  const breakdown = review.costs
    .filter((c) => c.after ?? c.before)
    .map((c) => {
      const shown = (c.after ?? c.before) as CostEstimate;
      return `**${prose(c.environment)}** (${c.after ? "after" : "before"})\n\n${costLinesTable(shown)}`;
    });
  const unconfirmed = review.costs.some(
    (c) => c.after?.usesUnconfirmedPrices || c.before?.usesUnconfirmedPrices,
  );
  const footnote = [
    `On-demand ${PRICE_REGION} list prices read on ${PRICES_READ_ON}, ${inlineCode("packages/plan-review/src/prices.ts")} (each with its AWS pricing page).`,
    unconfirmed
      ? "\\* price not confirmed by a stored copy of the AWS page; verify before relying on it."
      : "",
    `Not included: ${EXCLUDED_COSTS.join("; ")}.`,
  ]
    .filter(Boolean)
    .join(" ");
  const parts = [rows.join("\n")];
  if (breakdown.length > 0) parts.push(details("How the cost is counted", breakdown.join("\n\n")));
  parts.push(`<sub>${footnote}</sub>`);
  return parts.join("\n\n");
}

function resourceItem(r: ResourceReview): string {
  const parts = [`${ACTION_SYMBOL[r.action] ?? "·"} ${inlineCode(r.address)}`];
  if (r.constructPath) parts.push(`— ${inlineCode(r.constructPath)}`);
  const notes: string[] = [];
  if (r.stateful && (r.action === "delete" || r.action === "replace"))
    notes.push(`**stateful: ${prose(r.stateful.what)}**`);
  if (r.tenant) notes.push(`tenant ${prose(r.tenant)}`);
  if (r.previousAddress) notes.push(`moved from ${inlineCode(r.previousAddress)}`);
  if (r.importId !== undefined) notes.push(`import id ${inlineCode(r.importId)}`);
  if (r.replacePaths.length > 0)
    notes.push(`forced by ${r.replacePaths.map(inlineCode).join(", ")}`);
  if (r.actionReason && r.action !== "create" && r.action !== "update")
    notes.push(prose(r.actionReason.replace(/_/g, " ")));
  return `- ${parts.join(" ")}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`;
}

interface StackSection {
  readonly stack: StackReview;
  readonly heading: string;
  /** List items per group, in group order. */
  readonly groups: ReadonlyArray<{ readonly title: string; readonly items: readonly string[] }>;
  readonly attributes?: string;
  readonly raw?: string;
  /** Set when the block alone would not fit the budget, so it was not rendered at all. */
  readonly tooLarge: { readonly raw: boolean; readonly attributes: boolean };
}

/** Collects lines until `limit` characters are exceeded (then `overflow` is set). */
class BoundedLines {
  readonly lines: string[] = [];
  private size = 0;
  overflow = false;
  constructor(private readonly limit: number) {}
  push(line: string): boolean {
    this.size += line.length + 1;
    if (this.size > this.limit) this.overflow = true;
    else this.lines.push(line);
    return !this.overflow;
  }
}

function attributeBlock(
  resources: readonly ResourceReview[],
  drift: readonly ResourceReview[],
  limit: number,
): string | undefined | "too large" {
  const blocks: string[] = [];
  let size = 0;
  const diff = (r: ResourceReview, title: string) => {
    const lines = [`# ${title} ${r.address}${r.constructPath ? ` (${r.constructPath})` : ""}`];
    for (const a of r.attributes) {
      const forced = a.forcesReplacement ? "   # forces replacement" : "";
      if (a.before !== undefined) lines.push(`- ${a.path} = ${a.before}`);
      if (a.after !== undefined) lines.push(`+ ${a.path} = ${a.after}${forced}`);
      else if (forced) lines.push(`  ${a.path} removed${forced}`);
    }
    return lines.length > 1 ? codeBlock(lines.join("\n"), "diff") : undefined;
  };
  const add = (block: string | undefined) => {
    if (block === undefined) return true;
    size += block.length + 2;
    blocks.push(block);
    return size <= limit;
  };
  for (const r of resources) {
    if (r.action !== "update" && r.action !== "replace") continue;
    if (!add(diff(r, r.action === "replace" ? "± replace" : "~ update"))) return "too large";
  }
  for (const r of drift) {
    if (!add(diff(r, "drift (changed outside Terraform):"))) return "too large";
  }
  return blocks.length > 0 ? blocks.join("\n\n") : undefined;
}

/** A compact text rendering of a stack's plan, close to `terraform show` (sensitive values masked). */
export function renderRawPlan(stack: StackReview): string {
  return rawPlanText(stack, Number.POSITIVE_INFINITY) as string;
}

/** {@link renderRawPlan}, or undefined as soon as the text exceeds `limit` characters. */
function rawPlanText(stack: StackReview, limit: number): string | undefined {
  const lines = new BoundedLines(limit);
  if (stack.terraformVersion) lines.push(`# Terraform ${stack.terraformVersion}`);
  const verbs: Record<string, string> = {
    create: "will be created",
    update: "will be updated in-place",
    delete: "will be destroyed",
    replace: "must be replaced",
    forget: "will be removed from state (not destroyed)",
    "no-op": "has no changes",
    read: "will be read",
  };
  for (const r of stack.resources) {
    const extra = [
      r.previousAddress ? `moved from ${r.previousAddress}` : "",
      r.importId !== undefined ? `imported (id ${r.importId})` : "",
      r.actionReason ? `reason: ${r.actionReason}` : "",
    ].filter(Boolean);
    if (lines.overflow) return undefined;
    lines.push(
      `${ACTION_SYMBOL[r.action] ?? "·"} ${r.address} ${verbs[r.action] ?? r.action}${r.constructPath ? `  [${r.constructPath}]` : ""}${extra.length > 0 ? `  (${extra.join("; ")})` : ""}`,
    );
    const mode = r.action === "update" ? "changed" : "all";
    for (const a of attributeChanges(r.change, { mode, maxValueLength: RAW_VALUE_MAX })) {
      const forced = a.forcesReplacement ? "  # forces replacement" : "";
      if (a.before !== undefined && a.after !== undefined && a.before === a.after)
        lines.push(`      ${a.path} = ${a.after}`);
      else if (a.before !== undefined && a.after !== undefined)
        lines.push(`    ~ ${a.path} = ${a.before} -> ${a.after}${forced}`);
      else if (a.after !== undefined) lines.push(`    + ${a.path} = ${a.after}${forced}`);
      else if (a.before !== undefined) lines.push(`    - ${a.path} = ${a.before}${forced}`);
    }
  }
  for (const r of stack.drift) {
    lines.push(`! ${r.address} changed outside of Terraform`);
    for (const a of r.attributes)
      lines.push(`    ~ ${a.path} = ${a.before ?? "null"} -> ${a.after ?? "null"}`);
  }
  for (const o of stack.outputs) lines.push(`${ACTION_SYMBOL[o.action] ?? "·"} output ${o.name}`);
  if (lines.lines.length === (stack.terraformVersion ? 1 : 0)) lines.push("No changes.");
  return lines.overflow ? undefined : lines.lines.join("\n");
}

function stackSection(stack: StackReview, max: number): StackSection | undefined {
  if (stack.status === "not planned") return undefined;
  const hasContent =
    stack.resources.length > 0 || stack.drift.length > 0 || stack.outputs.length > 0;
  if (!hasContent) return undefined;
  const c = stack.counts;
  const summary = c
    ? [
        c.create ? `${c.create} to create` : "",
        c.update ? `${c.update} to update` : "",
        c.replace ? `${c.replace} to replace` : "",
        c.delete ? `${c.delete} to delete` : "",
        c.move ? `${c.move} moved` : "",
        c.import ? `${c.import} imported` : "",
        c.forget ? `${c.forget} to forget` : "",
        c.drift ? `${c.drift} drifted` : "",
      ].filter(Boolean)
    : [];
  const heading = `#### ${inlineCode(stack.stack)}${summary.length > 0 ? ` — ${summary.join(", ")}` : ""}`;
  const groups = RESOURCE_GROUPS.map((group) => ({
    title: GROUP_TITLES[group],
    items: stack.resources.filter((r) => r.group === group).map(resourceItem),
  })).filter((g) => g.items.length > 0);
  if (stack.outputs.length > 0) {
    groups.push({
      title: "Outputs",
      items: stack.outputs.map((o) => `- ${ACTION_SYMBOL[o.action] ?? "·"} ${inlineCode(o.name)}`),
    });
  }
  const attributes = attributeBlock(stack.resources, stack.drift, max);
  const raw = rawPlanText(stack, max);
  return {
    stack,
    heading,
    groups,
    ...(attributes !== undefined && attributes !== "too large"
      ? { attributes: details(`Attribute changes in ${stack.stack}`, attributes) }
      : {}),
    ...(raw !== undefined
      ? { raw: details(`Raw plan of ${stack.stack}`, codeBlock(raw, "text")) }
      : {}),
    tooLarge: { raw: raw === undefined, attributes: attributes === "too large" },
  };
}

interface BudgetState {
  raw: Set<string>;
  attributes: Set<string>;
  /** Most list items kept per stack (absent: all). */
  listLimit: Map<string, number>;
}

function renderGroups(section: StackSection, limit: number | undefined): string {
  const out: string[] = [];
  let left = limit ?? Number.POSITIVE_INFINITY;
  let omitted = 0;
  for (const group of section.groups) {
    const shown = group.items.slice(0, Math.max(0, left));
    omitted += group.items.length - shown.length;
    left -= shown.length;
    if (shown.length > 0)
      out.push(`**${group.title} (${group.items.length})**\n\n${shown.join("\n")}`);
  }
  if (omitted > 0)
    out.push(`_… ${plural(omitted, "more resource")} not listed (comment size limit)._`);
  return out.join("\n\n");
}

function itemCount(section: StackSection): number {
  return section.groups.reduce((n, g) => n + g.items.length, 0);
}

function omissionNote(sections: readonly StackSection[], state: BudgetState, hint: string): string {
  const dropped = (key: "raw" | "attributes") =>
    sections
      .filter((s) => s.tooLarge[key] || (s[key] !== undefined && !state[key].has(s.stack.stack)))
      .map((s) => s.stack.stack);
  const raw = dropped("raw");
  const attributes = dropped("attributes");
  const lists = sections
    .filter((s) => (state.listLimit.get(s.stack.stack) ?? Number.POSITIVE_INFINITY) < itemCount(s))
    .map((s) => s.stack.stack);
  if (raw.length + attributes.length + lists.length === 0) return "";
  const parts = [
    raw.length > 0 ? `raw plan of ${raw.map(inlineCode).join(", ")}` : "",
    attributes.length > 0 ? `attribute details of ${attributes.map(inlineCode).join(", ")}` : "",
    lists.length > 0 ? `part of the resource lists of ${lists.map(inlineCode).join(", ")}` : "",
  ].filter(Boolean);
  return `> [!NOTE]\n> Left out to stay under GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString("en-US")}-character comment limit: ${parts.join("; ")}. The full plans are in ${hint}.`;
}

/** The comment's parts (joined with blank lines); measured without joining. */
function assemble(
  summaryTop: readonly string[],
  summaryBottom: readonly string[],
  sections: readonly StackSection[],
  state: BudgetState,
  hint: string,
): string[] {
  const note = omissionNote(sections, state, hint);
  const body: string[] = [];
  for (const section of sections) {
    const limit = state.listLimit.get(section.stack.stack);
    body.push(section.heading);
    const groups = renderGroups(section, limit);
    if (groups !== "") body.push(groups);
    if (section.attributes && state.attributes.has(section.stack.stack))
      body.push(section.attributes);
    if (section.raw && state.raw.has(section.stack.stack)) body.push(section.raw);
  }
  const changes = body.length > 0 ? ["### Changes", ...body] : [];
  return [...summaryTop, ...(note ? [note] : []), ...summaryBottom, ...changes];
}

/** Length of `parts` joined with blank lines plus the final newline. */
function joinedLength(parts: readonly string[]): number {
  return parts.reduce((n, p) => n + p.length, 0) + 2 * Math.max(0, parts.length - 1) + 1;
}

/** Renders the review as Markdown of at most `maxChars` characters (default 65,536). */
export function renderReview(review: Review, opts: RenderOptions = {}): string {
  const max = opts.maxChars ?? GITHUB_COMMENT_LIMIT;
  const hint = opts.artifactsHint ?? DEFAULT_ARTIFACTS_HINT;
  const planned = review.stacks.filter((s) => s.status !== "not planned");
  const changed = planned.filter((s) => s.status !== "no changes");
  const headline = `${plural(planned.length, "stack")} planned, ${changed.length} with changes${review.guard.blocked.length > 0 ? ", **destroy guard blocked**" : review.guard.stale.length > 0 ? ", **destroy guard failed**" : ""}.`;
  const summaryTop = [
    REVIEW_MARKER,
    "## Plan review",
    headline,
    banner(review),
    guardLine(review),
  ].filter((p) => p !== "");
  const summaryBottom = [
    "### Stacks",
    stackTable(review),
    "### Tenants",
    tenantSection(review),
    "### Connection budget",
    budgetSection(review),
    ...instanceChangesSection(review),
    "### Monthly cost (estimate)",
    costSection(review),
    ...(review.notes.length > 0 ? [review.notes.map((n) => `- ${prose(n)}`).join("\n")] : []),
  ];
  const sections = review.stacks
    .map((s) => stackSection(s, max))
    .filter((s): s is StackSection => s !== undefined);
  const state: BudgetState = {
    raw: new Set(sections.filter((s) => s.raw).map((s) => s.stack.stack)),
    attributes: new Set(sections.filter((s) => s.attributes).map((s) => s.stack.stack)),
    listLimit: new Map(),
  };
  const order = new Map(sections.map((s, i) => [s.stack.stack, i]));
  const measure = () => joinedLength(assemble(summaryTop, summaryBottom, sections, state, hint));
  let size = measure();

  // Largest first; among equals the later stack goes first, so the stacks that apply first keep
  // their detail longest.
  const dropLargest = (key: "raw" | "attributes") => {
    while (size > max && state[key].size > 0) {
      const victim = sections
        .filter((s) => state[key].has(s.stack.stack))
        .sort(
          (a, b) =>
            (b[key]?.length ?? 0) - (a[key]?.length ?? 0) ||
            (order.get(b.stack.stack) ?? 0) - (order.get(a.stack.stack) ?? 0),
        )[0];
      if (!victim) break;
      state[key].delete(victim.stack.stack);
      size = measure();
    }
  };
  dropLargest("raw");
  dropLargest("attributes");
  while (size > max) {
    const candidates = sections
      .map((s) => ({ s, limit: state.listLimit.get(s.stack.stack) ?? itemCount(s) }))
      .filter((c) => c.limit > 0)
      .sort(
        (a, b) =>
          b.limit - a.limit ||
          (order.get(b.s.stack.stack) ?? 0) - (order.get(a.s.stack.stack) ?? 0),
      );
    const victim = candidates[0];
    if (!victim) break;
    state.listLimit.set(victim.s.stack.stack, Math.floor(victim.limit / 2));
    size = measure();
  }
  let text = `${assemble(summaryTop, summaryBottom, sections, state, hint).join("\n\n")}\n`;
  if (text.length > max) {
    text = truncateMarkdown(
      text,
      max,
      `_The summary alone exceeds ${max.toLocaleString("en-US")} characters and was cut here; the full plans are in ${hint}._`,
    );
  }
  return text;
}

export { KNOWN_AFTER_APPLY, maskSensitive, renderValue };
