/**
 * The review as Markdown for a pull-request comment, within a hard character budget (GitHub
 * rejects comments over 65,536 characters). The comment is an mdast tree (see ./markdown), built
 * from blocks: the summary (banner, guard, stack table, tenants, connection budget, cost) is
 * always kept; when the whole does not fit, the raw plans go first (largest first), then the
 * attribute details, then the per-resource lists are shortened, and the comment says what was
 * left out and where to find it. Deterministic: no timestamps.
 */
import type { ConnectionBudget } from "@pgforks/config";
import { APPROVALS_ENV_VAR, approvalKey, lossReason } from "@pgforks/guard";
import {
  alert,
  bulletList,
  code,
  codeBlock,
  details,
  emphasis,
  GITHUB_COMMENT_LIMIT,
  heading,
  type Inline,
  inlineHtml,
  paragraph,
  parseMarkdown,
  stringify,
  strong,
  table,
} from "@pgforks/markdown";
import type { RootContent } from "mdast";
import { type CostEstimate, costLineChanges, EXCLUDED_COSTS, formatUsd } from "./cost";
import { instanceChangesSection } from "./instance-changes";
import { PRICE_REGION, PRICES_READ_ON } from "./prices";
import { resourceShape } from "./provider-shapes";
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
  /**
   * Where the full plans are (inline Markdown), said when something is left out. Default: the
   * plan artifacts.
   */
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

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A block of the comment: flow nodes kept or dropped together. */
type Block = readonly RootContent[];

/** `parts` joined with `sep` (inline nodes between the parts). */
function joined(parts: ReadonlyArray<readonly Inline[]>, sep: string): Inline[] {
  return parts.flatMap((p, i) => (i === 0 ? [...p] : [sep, ...p]));
}

function destroyedLine(d: DestroyedResource, blocked: boolean, reason?: string): Inline[] {
  const out: Inline[] = [`${d.action === "replace" ? "±" : "−"} `];
  if (d.stateful) out.push(strong(d.stateful.what), " ");
  out.push(code(d.address), " in ", code(d.stack));
  if (d.constructPath) out.push(" (", code(d.constructPath), ")");
  if (d.tenant) out.push(`, tenant ${d.tenant}`);
  if (d.replacePaths.length > 0)
    out.push(
      "; forced by ",
      ...joined(
        d.replacePaths.map((p) => [code(p)]),
        ", ",
      ),
    );
  if (blocked && d.stateful) out.push(`; would lose ${d.stateful.loses}`);
  if (reason) out.push(" — ", blocked ? strong("BLOCKED") : reason);
  // A reason beyond the loss (a confirmDrop that names another database) is the fix to read.
  if (blocked && reason && d.stateful && reason !== lossReason({ ...d, stateful: d.stateful }))
    out.push(`: ${reason.replace(/^blocked: /, "")}`);
  return out;
}

/** Most non-stateful deletions/replacements the banner lists by name. */
const BANNER_OTHERS_SHOWN = 10;

/**
 * Tenant databases that the configuration deletes in a stack not planned here (a pull request
 * never plans `<env>-tenants`): the data loss the banner must name although no plan shows it yet.
 */
function unplannedDatabaseLosses(review: Review): Inline[][] {
  return review.tenants.flatMap((t) =>
    t.components
      .filter(
        (c) =>
          c.kind === "database" && !c.planned && (c.action === "delete" || c.action === "replace"),
      )
      .map((c): Inline[] => [
        `${c.action === "replace" ? "±" : "−"} `,
        strong("tenant database"),
        ` of tenant ${t.tenant} in `,
        code(c.stack),
        " — ",
        strong(c.action === "replace" ? "data DESTROYED and recreated empty" : "data DESTROYED"),
        ` at the apply of ${c.stack}; from the configuration (${c.stack} is not planned here: the destroy guard judges it from the configuration, and its plan on main)`,
      ]),
  );
}

function banner(review: Review): Block {
  const unplanned = unplannedDatabaseLosses(review);
  if (review.destroyed.length === 0 && unplanned.length === 0) return [];
  const stateful = review.destroyed.filter((d) => d.stateful);
  const others = review.destroyed.filter((d) => !d.stateful);
  const blocked = review.guard.blocked.length > 0;
  const findings = [...review.guard.blocked, ...review.guard.allowed];
  const items: Inline[][] = [];
  for (const d of stateful) {
    const finding = findings.find((f) => f.stack === d.stack && f.address === d.address);
    items.push(destroyedLine(d, finding?.allowedBy === undefined, finding?.reason));
  }
  items.push(...unplanned);
  for (const d of others.slice(0, BANNER_OTHERS_SHOWN)) items.push(destroyedLine(d, false));
  if (others.length > BANNER_OTHERS_SHOWN) {
    items.push([
      `and ${plural(others.length - BANNER_OTHERS_SHOWN, "other resource")} (not stateful), listed below`,
    ]);
  }
  const deleted =
    review.destroyed.length > 0
      ? `deletes or replaces ${plural(review.destroyed.length, "resource")}, ${stateful.length} of them stateful`
      : undefined;
  const lost =
    unplanned.length > 0
      ? `destroys the data of ${plural(unplanned.length, "tenant database")} in a stack not planned here`
      : undefined;
  const headline = `This change ${[deleted, lost].filter((p) => p !== undefined).join(", and ")}.`;
  return [alert(blocked ? "CAUTION" : "WARNING", [strong(headline)], [bulletList(items)])];
}

/**
 * The top-level warning of an RDS Proxy turned on or off: every tenant's connection target moves,
 * and between the platform apply (security-group path) and the tenants apply (secrets) the apps
 * still hold a host their group no longer reaches (docs/operations.md, "Turning the proxy on or off").
 */
function proxySwitchBanner(review: Review): Block {
  const switched = review.budgets.filter(
    (b) =>
      b.before &&
      b.after &&
      (b.before.proxyShare === undefined) !== (b.after.proxyShare === undefined),
  );
  return switched.map((b) => {
    const on = b.after?.proxyShare !== undefined;
    const env = b.environment;
    return alert(
      "WARNING",
      [
        strong(
          `This change turns the RDS Proxy ${on ? "on" : "off"} in ${env}: every tenant connects to ${on ? "the proxy" : "the instance"} from then on.`,
        ),
      ],
      [
        paragraph(
          "The ",
          code(`${env}-platform`),
          ` apply moves the clients' security-group path to the ${on ? "proxy" : "instance"} (the direct rules to the ${on ? "instance" : "proxy"} are deleted); apps keep the old host, which their group no longer reaches, until the `,
          code(`${env}-tenants`),
          " apply writes the new host and a new password into every tenant's secret. Merge in a maintenance window, approve both applies in the same run, and restart apps that cache their secret (",
          code("docs/operations.md"),
          ', "Turning the proxy on or off").',
        ),
      ],
    );
  });
}

/** The verdict on a lowering: its approval when blocked, else why it is allowed. */
function loweringVerdict(l: Review["guard"]["lowered"][number]): Inline {
  return l.allowedBy === undefined ? strong(`needs an approval: ${approvalKey(l)}`) : l.reason;
}

/**
 * The top-level warning of lowered protections (blocked in production without approval). A
 * lowering that deletes data (a shortened log or Performance Insights retention) is not a
 * protection: {@link retentionDeletionBanner} says it as data loss.
 */
function loweredBanner(review: Review): Block {
  const lowered = review.guard.lowered
    .map((l) => ({ l, lowerings: l.lowerings.filter((x) => x.deletes === undefined) }))
    .filter(({ lowerings }) => lowerings.length > 0);
  if (lowered.length === 0) return [];
  const blocked = lowered.filter(({ l }) => l.allowedBy === undefined);
  const items = lowered.flatMap(({ l, lowerings }) =>
    lowerings.map((x): Inline[] => [
      `↓ ${x.protection} ${x.before} → ${x.after} `,
      ...(l.address === "tier"
        ? ["of environment ", l.environment]
        : [code(l.address), " in ", code(l.stack)]),
      " — ",
      loweringVerdict(l),
    ]),
  );
  return [
    alert(
      blocked.length > 0 ? "CAUTION" : "WARNING",
      [
        strong(
          `This change lowers ${plural(items.length, "protection")}${blocked.length > 0 ? " of a production environment" : ""}.`,
        ),
      ],
      [bulletList(items)],
    ),
  ];
}

/**
 * The top-level warning of shortened retentions: data loss, worded like the other data loss of
 * the review (what is DELETED, where, and the verdict). CloudWatch Logs and Performance Insights
 * delete what is older than the new retention once the apply sets it; nothing brings it back.
 */
function retentionDeletionBanner(review: Review): Block {
  const items = review.guard.lowered.flatMap((l) =>
    l.lowerings.flatMap((x): Inline[][] =>
      x.deletes === undefined
        ? []
        : [
            [
              "− ",
              strong(`${x.deletes} DELETED`),
              " at the apply: ",
              code(l.address),
              " in ",
              code(l.stack),
              ` keeps them ${x.after} instead of ${x.before}, and the older ones are gone for good — `,
              loweringVerdict(l),
            ],
          ],
    ),
  );
  if (items.length === 0) return [];
  const blocked = review.guard.lowered.some(
    (l) => l.allowedBy === undefined && l.lowerings.some((x) => x.deletes !== undefined),
  );
  return [
    alert(
      blocked ? "CAUTION" : "WARNING",
      [
        strong(
          `This change deletes data: ${plural(items.length, "retention")} shortened, so the older logs or performance data are deleted.`,
        ),
      ],
      [bulletList(items)],
    ),
  ];
}

/**
 * The top-level warning of an environment moved to another region, account or state backend: no
 * plan shows the loss (the old resources only vanish from the state), so the configuration says it.
 */
function movedBanner(review: Review): Block {
  const { moved } = review.guard;
  if (moved.length === 0) return [];
  const blocked = moved.some((m) => m.allowedBy === undefined);
  const items = moved.map((m): Inline[] => [
    `${m.address} of environment ${m.environment}: ${m.before} → ${m.after}. ${m.loses} — `,
    m.allowedBy === undefined ? strong(`needs an approval: ${approvalKey(m)}`) : m.reason,
  ]);
  return [
    alert(
      blocked ? "CAUTION" : "WARNING",
      [
        strong(
          `This change moves ${plural(new Set(moved.map((m) => m.environment)).size, "environment")}: Terraform plans its resources anew, empty, and no longer manages the existing ones, with the data.`,
        ),
      ],
      [bulletList(items)],
    ),
  ];
}

/**
 * The top-level warning of a lowered engine version or allocated storage: RDS cannot do either,
 * and no plan says so (the storage decrease is not even planned), so the configuration does.
 */
function irreversibleBanner(review: Review): Block {
  const { irreversible } = review.guard;
  if (irreversible.length === 0) return [];
  const blocked = irreversible.some((c) => c.allowedBy === undefined);
  const items = irreversible.map((c): Inline[] => [
    code(c.address),
    ` of environment ${c.environment}: ${c.before} → ${c.after}. ${c.why}. Instead: ${c.fix} — `,
    c.allowedBy === undefined ? strong(`needs an approval: ${approvalKey(c)}`) : c.reason,
  ]);
  return [
    alert(
      blocked ? "CAUTION" : "WARNING",
      [
        strong(
          `This change asks RDS for what it cannot do: ${plural(irreversible.length, "setting")} of the instance lowered (an engine downgrade or smaller storage), or raised to a new major version without allowing it.`,
        ),
      ],
      [bulletList(items)],
    ),
  ];
}

/** "Guard: blocked." with what `said` and the approvals that would let `items` through. */
function approvalsNeeded(said: string, items: ReadonlyArray<Parameters<typeof approvalKey>[0]>) {
  return paragraph(
    strong("Guard: blocked."),
    ` ${said} If that is intended, approve each one by name: add `,
    ...joined(
      items.map((i) => [code(approvalKey(i))]),
      ", ",
    ),
    " to ",
    code(APPROVALS_ENV_VAR),
    " (comma separated) or to the approval file.",
  );
}

/**
 * The guard's verdict: a "Guard: blocked." paragraph for each kind of change blocked (RDS
 * refuses it, a move, a lowering in production), then the destroy guard's own. `blockedAbove`:
 * a paragraph before it already blocks the change, so the destroy guard never says "passed"
 * (the change is blocked all the same): it says it has nothing to approve.
 */
function guardBlock(review: Review, blockedAbove = false): Block {
  const irreversible = review.guard.irreversible.filter((c) => c.allowedBy === undefined);
  if (irreversible.length > 0) {
    return [
      approvalsNeeded(
        `${plural(irreversible.length, "change")} ask${irreversible.length === 1 ? "s" : ""} RDS for what it refuses: a lower engine version or storage, or a new major version not allowed.`,
        irreversible,
      ),
      ...guardBlock({ ...review, guard: { ...review.guard, irreversible: [] } }, true),
    ];
  }
  const moved = review.guard.moved.filter((m) => m.allowedBy === undefined);
  if (moved.length > 0) {
    return [
      approvalsNeeded(
        `${plural(moved.length, "change")} of an environment's region, account or state backend.`,
        moved,
      ),
      ...guardBlock({ ...review, guard: { ...review.guard, moved: [] } }, true),
    ];
  }
  const { blocked, allowed } = review.guard;
  const lowered = review.guard.lowered.filter((l) => l.allowedBy === undefined);
  if (blocked.length === 0 && lowered.length > 0) {
    return [
      approvalsNeeded(
        `${plural(lowered.length, "change")} ${loweringsDo(lowered)} of a production environment.`,
        lowered,
      ),
      ...guardBlock({ ...review, guard: { ...review.guard, lowered: [] } }, true),
    ];
  }
  const stale = staleLine(review);
  if (blocked.length > 0) {
    const names = joined(
      blocked.map((f) => [code(`${f.stack}:${f.address}`)]),
      ", ",
    );
    const line = paragraph(
      strong("Destroy guard: blocked."),
      ` ${plural(blocked.length, "stateful resource")} would be deleted or replaced. If that is intended, approve each one by name: add `,
      ...names,
      " to ",
      code(APPROVALS_ENV_VAR),
      " (comma separated) or to the approval file. A tenant's own resources are allowed once it is ",
      code("state: dropped"),
      " with ",
      code("confirmDrop"),
      ".",
    );
    return stale ? [line, paragraph(...stale)] : [line];
  }
  if (stale) return [paragraph(strong("Destroy guard: failed."), " ", ...stale)];
  // Under a "Guard: blocked." the change does not pass: the destroy guard only adds nothing to it.
  const verdict = blockedAbove ? "Destroy guard: nothing to approve" : "Destroy guard: passed";
  const stillBlocked = blockedAbove ? "; the change stays blocked by the guard above" : "";
  if (allowed.length > 0) {
    return [
      paragraph(
        strong(verdict),
        ` — ${plural(allowed.length, "stateful deletion")} allowed (`,
        ...joined(
          allowed.map((f) => [code(f.address), `: ${f.reason}`]),
          "; ",
        ),
        `)${stillBlocked}.`,
      ),
    ];
  }
  return [
    paragraph(strong(verdict), ` — no stateful resource is deleted or replaced${stillBlocked}.`),
  ];
}

/** Stale approvals, each with where to remove it from; undefined when there is none. */
function staleLine(review: Review): Inline[] | undefined {
  const { stale } = review.guard;
  if (stale.length === 0) return undefined;
  const items = stale.map(({ approval }) => [
    "approval ",
    code(`${approval.stack}:${approval.address}`),
    " matches nothing in these plans: remove it from ",
    code(approval.source ?? "the approvals"),
  ]);
  return [
    `${plural(stale.length, "approval")} no longer ${stale.length === 1 ? "matches" : "match"} a stateful deletion or replacement (an approval is good for one change only): `,
    ...joined(items, "; "),
    ".",
  ];
}

function statusCell(stack: StackReview): Inline {
  return stack.status === "blocked" || stack.status === "error"
    ? strong(stack.status)
    : stack.status;
}

const NUMBER_COLUMNS = (n: number) => Array.from({ length: n }, () => "right" as const);

function stackTable(review: Review): Block {
  const n = (v: number | undefined) => (v === undefined ? "–" : String(v));
  return [
    table(
      [null, null, ...NUMBER_COLUMNS(7)],
      [
        [
          "Stack",
          "Status",
          "+ create",
          "~ update",
          "− delete",
          "± replace",
          "moved",
          "imported",
          "drift",
        ],
        ...review.stacks.map((s) => {
          const c = s.counts;
          return [
            code(s.stack),
            statusCell(s),
            n(c?.create),
            n(c?.update),
            n(c?.delete),
            n(c?.replace),
            n(c?.move),
            n(c?.import),
            n(c?.drift),
          ];
        }),
      ],
    ),
  ];
}

function tenantSection(review: Review): Block {
  if (review.tenants.length === 0) return [paragraph("No tenant changes.")];
  return [
    bulletList(
      review.tenants.map((t) =>
        t.fromConfig.length > 0
          ? [
              t.words,
              " ",
              emphasis(`(from the configuration: ${t.fromConfig.join(", ")} not planned)`),
            ]
          : [t.words],
      ),
    ),
  ];
}

function change<T>(before: T | undefined, after: T | undefined, show: (v: T) => string): string {
  if (before === undefined && after === undefined) return "n/a";
  if (before === undefined) return `(new) → ${show(after as T)}`;
  if (after === undefined) return `${show(before)} → (removed)`;
  const a = show(before);
  const b = show(after);
  return a === b ? b : `${a} → ${b}`;
}

function budgetSection(review: Review): Block {
  if (review.budgets.length === 0) return [paragraph("No environment configuration was given.")];
  const headroom = (b: ConnectionBudget) => b.available - b.requested;
  const rows = review.budgets.map((b) => {
    const over = b.after !== undefined && headroom(b.after) < 0;
    const c = (show: (x: ConnectionBudget) => string) => change(b.before, b.after, show);
    return [
      b.environment,
      c((x) => x.instanceClass),
      c((x) => String(x.maxConnections)),
      c((x) => String(x.reserve)),
      c((x) => (x.proxyShare === undefined ? "no proxy" : String(x.proxyShare))),
      c((x) => String(x.available)),
      c((x) => String(x.requested)),
      over
        ? [c((x) => String(headroom(x))), " ", strong("over budget")]
        : c((x) => String(headroom(x))),
    ];
  });
  return [
    table(
      [null, null, ...NUMBER_COLUMNS(6)],
      [
        [
          "Environment",
          "Instance class",
          "max_connections",
          "Reserve",
          "Proxy share",
          "Available to tenants",
          "Active tenants' limits",
          "Headroom",
        ],
        ...rows,
      ],
    ),
  ];
}

function signedUsd(delta: number): string {
  const cents = Math.round(delta * 100) / 100;
  if (cents === 0) return "unchanged";
  return cents > 0 ? `+${formatUsd(cents)}` : `−${formatUsd(-cents)}`;
}

function costDelta(before?: CostEstimate, after?: CostEstimate): string {
  if (!before || !after) return "n/a";
  return signedUsd(after.total - before.total);
}

/**
 * The lines behind each environment's cost change (a new RDS Proxy, a larger class, more
 * secrets), outside the collapsed breakdown so a reviewer sees what the money is for.
 */
function costChangeList(review: Review): Block {
  const items: Inline[][] = review.costs.flatMap((c) =>
    c.before && c.after
      ? costLineChanges(c.before, c.after).map((line): Inline[] => [
          `${c.environment}: `,
          line.before === 0
            ? `+ ${line.item}: `
            : line.after === 0
              ? `− ${line.item}: `
              : `~ ${line.item}: ${formatUsd(line.before)} → ${formatUsd(line.after)}, `,
          strong(signedUsd(line.after - line.before)),
        ])
      : [],
  );
  if (items.length === 0) return [];
  return [paragraph("What changes the cost:"), bulletList(items)];
}

function costLinesTable(estimate: CostEstimate): RootContent[] {
  const rows: Array<Array<Inline | Inline[]>> = [["Item", "Quantity", "Unit price", "Monthly"]];
  for (const line of estimate.lines) {
    rows.push([
      line.item,
      `${line.quantity} ${line.price.unit}`,
      `$${line.price.usd}${line.price.confirmed ? "" : "*"}`,
      formatUsd(line.monthly),
    ]);
  }
  rows.push([strong("Total"), "", "", strong(formatUsd(estimate.total))]);
  const notes = [
    ...estimate.unpriced.map((u) => `not priced: ${u}`),
    ...(estimate.regionNote ? [estimate.regionNote] : []),
  ];
  return [
    table([null, ...NUMBER_COLUMNS(3)], rows),
    ...(notes.length > 0 ? [bulletList(notes.map((n) => [n]))] : []),
  ];
}

function costSection(review: Review): Block {
  if (review.costs.length === 0) return [paragraph("No environment configuration was given.")];
  const overview =
    review.noBase !== undefined
      ? table(
          [null, "right"],
          [
            ["Environment", "Monthly (after the change)"],
            ...review.costs.map((c) => [c.environment, c.after ? formatUsd(c.after.total) : "n/a"]),
          ],
        )
      : table(
          [null, ...NUMBER_COLUMNS(3)],
          [
            ["Environment", "Before", "After", "Change"],
            ...review.costs.map((c) => [
              c.environment,
              c.before ? formatUsd(c.before.total) : "n/a",
              c.after ? formatUsd(c.after.total) : "n/a",
              costDelta(c.before, c.after),
            ]),
          ],
        );
  const breakdown = review.costs
    .filter((c) => c.after ?? c.before)
    .flatMap((c) => [
      paragraph(strong(c.environment), ` (${c.after ? "after" : "before"})`),
      ...costLinesTable((c.after ?? c.before) as CostEstimate),
    ]);
  const unconfirmed = review.costs.some(
    (c) => c.after?.usesUnconfirmedPrices || c.before?.usesUnconfirmedPrices,
  );
  const footnote = paragraph(
    inlineHtml("<sub>"),
    `On-demand ${PRICE_REGION} list prices read on ${PRICES_READ_ON}, `,
    code("packages/plan-review/src/prices.ts"),
    " (each with its AWS pricing page).",
    unconfirmed
      ? " * price not confirmed by a stored copy of the AWS page; verify before relying on it."
      : "",
    ` Not included: ${EXCLUDED_COSTS.join("; ")}.`,
    inlineHtml("</sub>"),
  );
  return [
    overview,
    ...(review.noBase === undefined ? costChangeList(review) : []),
    ...(breakdown.length > 0 ? details("How the cost is counted", breakdown) : []),
    footnote,
  ];
}

function resourceItem(r: ResourceReview): Inline[] {
  const out: Inline[] = [`${ACTION_SYMBOL[r.action] ?? "·"} `, code(r.address)];
  if (r.constructPath) out.push(" — ", code(r.constructPath));
  const notes: Inline[][] = [];
  if (r.stateful && (r.action === "delete" || r.action === "replace"))
    notes.push([strong(`stateful: ${r.stateful.what}`)]);
  if (r.tenant) notes.push([`tenant ${r.tenant}`]);
  if (r.previousAddress) notes.push(["moved from ", code(r.previousAddress)]);
  if (r.importId !== undefined) notes.push(["import id ", code(r.importId)]);
  if (r.replacePaths.length > 0)
    notes.push([
      "forced by ",
      ...joined(
        r.replacePaths.map((p) => [code(p)]),
        ", ",
      ),
    ]);
  if (r.actionReason && r.action !== "create" && r.action !== "update")
    notes.push([r.actionReason.replace(/_/g, " ")]);
  if (notes.length > 0) out.push(" (", ...joined(notes, "; "), ")");
  return out;
}

interface StackSection {
  readonly stack: StackReview;
  readonly heading: Block;
  /** List items per group, in group order. */
  readonly groups: ReadonlyArray<{ readonly title: string; readonly items: readonly Inline[][] }>;
  readonly attributes?: Block;
  readonly raw?: Block;
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
): RootContent[] | undefined | "too large" {
  const blocks: RootContent[] = [];
  let size = 0;
  const diff = (r: ResourceReview, title: string) => {
    const lines = [`# ${title} ${r.address}${r.constructPath ? ` (${r.constructPath})` : ""}`];
    for (const a of r.attributes) {
      const forced = a.forcesReplacement ? "   # forces replacement" : "";
      if (a.before !== undefined) lines.push(`- ${a.path} = ${a.before}`);
      if (a.after !== undefined) lines.push(`+ ${a.path} = ${a.after}${forced}`);
      else if (forced) lines.push(`  ${a.path} removed${forced}`);
    }
    return lines.length > 1 ? lines.join("\n") : undefined;
  };
  const add = (text: string | undefined) => {
    if (text === undefined) return true;
    size += text.length + 12;
    blocks.push(codeBlock(text, "diff"));
    return size <= limit;
  };
  for (const r of resources) {
    if (r.action !== "update" && r.action !== "replace") continue;
    if (!add(diff(r, r.action === "replace" ? "± replace" : "~ update"))) return "too large";
  }
  for (const r of drift) {
    if (!add(diff(r, "drift (changed outside Terraform):"))) return "too large";
  }
  return blocks.length > 0 ? blocks : undefined;
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
    for (const a of attributeChanges(r.change, {
      mode,
      maxValueLength: RAW_VALUE_MAX,
      shape: resourceShape(r.type),
    })) {
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
  const groups = RESOURCE_GROUPS.map((group) => ({
    title: GROUP_TITLES[group],
    items: stack.resources.filter((r) => r.group === group).map(resourceItem),
  })).filter((g) => g.items.length > 0);
  if (stack.outputs.length > 0) {
    groups.push({
      title: "Outputs",
      items: stack.outputs.map((o) => [`${ACTION_SYMBOL[o.action] ?? "·"} `, code(o.name)]),
    });
  }
  const attributes = attributeBlock(stack.resources, stack.drift, max);
  const raw = rawPlanText(stack, max);
  return {
    stack,
    heading: [heading(4, code(stack.stack), summary.length > 0 ? ` — ${summary.join(", ")}` : "")],
    groups,
    ...(attributes !== undefined && attributes !== "too large"
      ? { attributes: details(`Attribute changes in ${stack.stack}`, attributes) }
      : {}),
    ...(raw !== undefined
      ? { raw: details(`Raw plan of ${stack.stack}`, [codeBlock(raw, "text")]) }
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

const renderedGroups = new WeakMap<StackSection, Map<number | undefined, Block[]>>();

/** The section's resource lists, at most `limit` items (the same blocks for the same limit). */
function renderGroups(section: StackSection, limit: number | undefined): Block[] {
  let cache = renderedGroups.get(section);
  if (!cache) {
    cache = new Map();
    renderedGroups.set(section, cache);
  }
  let out = cache.get(limit);
  if (!out) {
    out = groupBlocks(section, limit);
    cache.set(limit, out);
  }
  return out;
}

function groupBlocks(section: StackSection, limit: number | undefined): Block[] {
  const out: Block[] = [];
  let left = limit ?? Number.POSITIVE_INFINITY;
  let omitted = 0;
  for (const group of section.groups) {
    const shown = group.items.slice(0, Math.max(0, left));
    omitted += group.items.length - shown.length;
    left -= shown.length;
    if (shown.length > 0)
      out.push([paragraph(strong(`${group.title} (${group.items.length})`)), bulletList(shown)]);
  }
  if (omitted > 0)
    out.push([
      paragraph(emphasis(`… ${plural(omitted, "more resource")} not listed (comment size limit).`)),
    ]);
  return out;
}

function itemCount(section: StackSection): number {
  return section.groups.reduce((n, g) => n + g.items.length, 0);
}

function omissionNote(
  sections: readonly StackSection[],
  state: BudgetState,
  hint: Inline[],
): Block {
  const dropped = (key: "raw" | "attributes") =>
    sections
      .filter((s) => s.tooLarge[key] || (s[key] !== undefined && !state[key].has(s.stack.stack)))
      .map((s) => [code(s.stack.stack)]);
  const raw = dropped("raw");
  const attributes = dropped("attributes");
  const lists = sections
    .filter((s) => (state.listLimit.get(s.stack.stack) ?? Number.POSITIVE_INFINITY) < itemCount(s))
    .map((s) => [code(s.stack.stack)]);
  if (raw.length + attributes.length + lists.length === 0) return [];
  const parts = [
    raw.length > 0 ? ["raw plan of ", ...joined(raw, ", ")] : [],
    attributes.length > 0 ? ["attribute details of ", ...joined(attributes, ", ")] : [],
    lists.length > 0 ? ["part of the resource lists of ", ...joined(lists, ", ")] : [],
  ].filter((p) => p.length > 0);
  return [
    alert("NOTE", [
      `Left out to stay under GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString("en-US")}-character comment limit: `,
      ...joined(parts, "; "),
      ". The full plans are in ",
      ...hint,
      ".",
    ]),
  ];
}

/** The comment's blocks, in order. */
function assemble(
  summaryTop: readonly Block[],
  summaryBottom: readonly Block[],
  sections: readonly StackSection[],
  state: BudgetState,
  hint: Inline[],
): Block[] {
  const note = omissionNote(sections, state, hint);
  const body: Block[] = [];
  for (const section of sections) {
    const limit = state.listLimit.get(section.stack.stack);
    body.push(section.heading, ...renderGroups(section, limit));
    if (section.attributes && state.attributes.has(section.stack.stack))
      body.push(section.attributes);
    if (section.raw && state.raw.has(section.stack.stack)) body.push(section.raw);
  }
  const changes = body.length > 0 ? [[heading(3, "Changes")], ...body] : [];
  return [...summaryTop, note, ...summaryBottom, ...changes].filter((b) => b.length > 0);
}

const blockLengths = new WeakMap<Block, number>();

/** Characters of one block serialized (without its final newline); cached per block. */
function blockLength(block: Block): number {
  let length = blockLengths.get(block);
  if (length === undefined) {
    length = stringify(block).length - 1;
    blockLengths.set(block, length);
  }
  return length;
}

/** Length of the blocks serialized together: each block, a blank line between, a final newline. */
function joinedLength(blocks: readonly Block[]): number {
  return blocks.reduce((n, b) => n + blockLength(b), 0) + 2 * Math.max(0, blocks.length - 1) + 1;
}

/** Inline Markdown (one paragraph) as phrasing nodes. */
function inlineMarkdown(markdown: string): Inline[] {
  const first = parseMarkdown(markdown).children[0];
  return first?.type === "paragraph" ? first.children : [markdown];
}

/** Renders the review as Markdown of at most `maxChars` characters (default 65,536). */
export function renderReview(review: Review, opts: RenderOptions = {}): string {
  const max = opts.maxChars ?? GITHUB_COMMENT_LIMIT;
  const hint = inlineMarkdown(opts.artifactsHint ?? DEFAULT_ARTIFACTS_HINT);
  const planned = review.stacks.filter((s) => s.status !== "not planned");
  const changed = planned.filter((s) => s.status !== "no changes");
  // Which guard blocks: the destroy guard only for stateful deletions (guardBlock says the same).
  const otherGuardBlocks =
    review.guard.lowered.some((l) => l.allowedBy === undefined) ||
    review.guard.moved.some((m) => m.allowedBy === undefined) ||
    review.guard.irreversible.some((c) => c.allowedBy === undefined);
  const guardState =
    review.guard.blocked.length > 0
      ? [", ", strong("destroy guard blocked")]
      : otherGuardBlocks
        ? [", ", strong("guard blocked")]
        : review.guard.stale.length > 0
          ? [", ", strong("destroy guard failed")]
          : [];
  const summaryTop: Block[] = [
    [{ type: "html", value: REVIEW_MARKER }],
    [heading(2, "Plan review")],
    [
      paragraph(
        `${plural(planned.length, "stack")} planned, ${changed.length} with changes`,
        ...guardState,
        ".",
      ),
    ],
    review.noBase !== undefined ? [alert("NOTE", inlineMarkdown(review.noBase))] : [],
    banner(review),
    proxySwitchBanner(review),
    movedBanner(review),
    irreversibleBanner(review),
    retentionDeletionBanner(review),
    loweredBanner(review),
    guardBlock(review),
  ];
  const summaryBottom: Block[] = [
    [heading(3, "Stacks")],
    stackTable(review),
    [heading(3, "Tenants")],
    tenantSection(review),
    [heading(3, "Connection budget")],
    budgetSection(review),
    instanceChangesSection(review),
    [heading(3, "Monthly cost (estimate)")],
    costSection(review),
    review.notes.length > 0 ? [bulletList(review.notes.map((n) => [n]))] : [],
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
            blockLength(b[key] ?? []) - blockLength(a[key] ?? []) ||
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
  const blocks = assemble(summaryTop, summaryBottom, sections, state, hint);
  let text = stringify(blocks.flat());
  if (text.length <= max) return text;
  // The summary alone does not fit: whole blocks go from the end, then a notice says so.
  const cut: Block = [
    paragraph(
      emphasis(
        `The summary alone exceeds ${max.toLocaleString("en-US")} characters and was cut here; the full plans are in `,
        ...hint,
        ".",
      ),
    ),
  ];
  while (blocks.length > 0) {
    blocks.pop();
    text = stringify([...blocks, cut].flat());
    if (text.length <= max) return text;
  }
  return text.slice(0, max);
}

export { KNOWN_AFTER_APPLY, maskSensitive, renderValue };

/**
 * What unapproved lowerings do, as the verb phrase after "N change(s)": lower a protection,
 * delete older data (a shortened retention), or both. The review and the guard's terminal lines
 * say the same.
 */
export function loweringsDo(
  lowered: readonly { readonly lowerings: readonly { readonly deletes?: unknown }[] }[],
): string {
  const all = lowered.flatMap((l) => l.lowerings);
  const deletes = all.some((x) => x.deletes !== undefined);
  const protects = all.some((x) => x.deletes === undefined);
  const what =
    deletes && protects
      ? "lower{s} a protection or delete{s} older data"
      : deletes
        ? "delete{s} older data (a shortened retention)"
        : "lower{s} a protection";
  return what.replace(/\{s\}/g, lowered.length === 1 ? "s" : "");
}
