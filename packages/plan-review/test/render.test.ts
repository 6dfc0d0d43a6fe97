// Plan JSON here is synthetic, shaped exactly like Terraform's "JSON Output Format" document.

import {
  checkMarkdownStructure,
  code,
  codeBlock,
  GITHUB_COMMENT_LIMIT,
  paragraph,
  stringify,
} from "@pgforks/markdown";
import { REVIEW_MARKER, renderReview } from "../src/render";
import { buildReview, orderStacks, type Review, type StackPlan } from "../src/review";
import { synthOutputFromStacks } from "../src/synth-output";
import { synthesizeForReview } from "../src/synthesize";
import { loadedEnvironment, planJson, resourceChange, tenantAddressOf } from "./test-helpers";

const LONG = "x".repeat(300);

/** A stack with `n` updates of `attrs` long attributes each (and a create with long values). */
function bigStack(stack: string, n: number, attrs = 20): StackPlan {
  const changes = Array.from({ length: n }, (_, i) =>
    resourceChange(`aws_ssm_parameter.p${String(i).padStart(5, "0")}`, {
      actions: ["update"],
      before: Object.fromEntries(
        Array.from({ length: attrs }, (_, a) => [`a${a}`, `${LONG}-${i}-old`]),
      ),
      after: Object.fromEntries(
        Array.from({ length: attrs }, (_, a) => [`a${a}`, `${LONG}-${i}-new`]),
      ),
    }),
  );
  return { stack, plan: planJson(changes) };
}

const envs = [
  loadedEnvironment("dev", "development", [{ name: "saas" }]),
  loadedEnvironment("prod", "production", [{ name: "fintech" }, { name: "healthtech" }]),
];
const synth = synthesizeForReview(envs);

/** A huge review: two big stacks, one stateful replacement, a tenant change. */
function hugeReview(): Review {
  const dev = bigStack("dev-platform", 1500);
  const prod = bigStack("prod-platform", 800);
  const withReplace: StackPlan = {
    ...prod,
    plan: planJson([
      ...(prod.plan.resource_changes ?? []),
      resourceChange("aws_db_instance.database_instance_D7FC2283", {
        actions: ["delete", "create"],
        before: { engine: "postgres", storage_encrypted: false },
        after: { engine: "postgres", storage_encrypted: true },
        replacePaths: [["storage_encrypted"]],
      }),
      resourceChange(tenantAddressOf(synth, "prod-platform", "healthtech", "secret"), {
        actions: ["create"],
        after: { name: "pgforks-prod/tenants/healthtech" },
      }),
    ]),
  };
  return buildReview([withReplace, dev], { synth, after: envs });
}

describe("renderReview budget", () => {
  const review = hugeReview();
  const full = renderReview(review, { maxChars: Number.MAX_SAFE_INTEGER });

  it("is far over the limit without a budget (the test means something)", () => {
    expect(full.length).toBeGreaterThan(20 * GITHUB_COMMENT_LIMIT);
  });

  it("keeps a huge plan under 65,536 characters, summary intact, structure balanced", () => {
    const markdown = renderReview(review);
    expect(markdown.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(checkMarkdownStructure(markdown)).toEqual({ ok: true, problems: [] });
    for (const heading of [
      REVIEW_MARKER,
      "### Stacks",
      "### Tenants",
      "### Connection budget",
      "### Monthly cost (estimate)",
      "**Destroy guard: blocked.**",
    ]) {
      expect(markdown).toContain(heading);
    }
    expect(markdown).toContain("| `dev-platform` | changes | 0 | 1500 | 0 | 0 |");
    expect(markdown).toContain("| `prod-platform` | **blocked** | 1 | 800 | 0 | 1 |");
    expect(markdown).toContain("+ tenant healthtech in prod: secret");
    expect(markdown).toMatch(
      /> - ± \*\*RDS instance\*\* `aws_db_instance\.database_instance_D7FC2283`/,
    );
    // It says what it left out and where the rest is.
    expect(markdown).toContain("Left out to stay under GitHub's 65,536-character comment limit");
    expect(markdown).toContain("plan artifacts");
  });

  it("drops raw output first, then attribute details, then shortens lists", () => {
    // Sweep limits from the full size down: whichever tier is cut, every earlier tier is gone.
    const small = buildReview([bigStack("dev-platform", 40, 4), bigStack("prod-platform", 30, 4)], {
      after: envs,
    });
    const whole = renderReview(small, { maxChars: Number.MAX_SAFE_INTEGER });
    let sawAttributesOnly = false;
    for (let max = whole.length; max > 4000; max = Math.floor(max * 0.93)) {
      const markdown = renderReview(small, { maxChars: max });
      expect(markdown.length).toBeLessThanOrEqual(max);
      expect(checkMarkdownStructure(markdown).ok).toBe(true);
      const raw = markdown.includes("<summary>Raw plan of");
      const attributes = markdown.includes("<summary>Attribute changes in");
      const shortened = markdown.includes("not listed (comment size limit)");
      if (!raw && attributes) sawAttributesOnly = true;
      // Attribute details are only cut once every raw plan is gone...
      if (markdown.includes("attribute details of")) expect(raw).toBe(false);
      // ...and lists only shortened once every attribute detail is gone.
      if (shortened) expect(raw || attributes).toBe(false);
    }
    expect(sawAttributesOnly).toBe(true);
  });

  it("cuts even the summary safely when a tiny limit is asked for", () => {
    for (const max of [1000, 1777, 3000]) {
      const markdown = renderReview(review, { maxChars: max });
      expect(markdown.length).toBeLessThanOrEqual(max);
      expect(checkMarkdownStructure(markdown).ok).toBe(true);
      expect(markdown.startsWith(REVIEW_MARKER)).toBe(true);
    }
  });

  it("is deterministic: plan order does not matter and nothing depends on the clock", () => {
    const a = bigStack("dev-platform", 3);
    const b = bigStack("prod-platform", 2);
    const one = renderReview(
      buildReview([a, { ...b, plan: { ...b.plan, timestamp: "2026-01-01T00:00:00Z" } }], {
        after: envs,
      }),
    );
    const two = renderReview(
      buildReview([{ ...b, plan: { ...b.plan, timestamp: "2027-12-31T23:59:59Z" } }, a], {
        after: envs,
      }),
    );
    expect(one).toBe(two);
    expect(one).not.toContain("2026-01-01");
  });
});

describe("checkMarkdownStructure", () => {
  it("finds unclosed fences and details, and ignores tags inside code", () => {
    expect(checkMarkdownStructure("```\ncode\n").ok).toBe(false);
    expect(checkMarkdownStructure("<details><summary>x</summary>\n\nbody").problems).toEqual([
      "<details> of line 1 is never closed",
    ]);
    expect(checkMarkdownStructure("</details>").ok).toBe(false);
    expect(checkMarkdownStructure("<details><summary>a</details></summary>").ok).toBe(false);
    expect(checkMarkdownStructure("````\n```\n<details>\n````").ok).toBe(true);
    expect(checkMarkdownStructure(stringify([codeBlock("a ``` b\n```\n<details>")]))).toEqual({
      ok: true,
      problems: [],
    });
  });

  it("inline code and code blocks survive backticks", () => {
    expect(stringify([paragraph(code("a`b"))])).toBe("``a`b``\n");
    expect(stringify([paragraph(code("`x"))])).toBe("`` `x ``\n");
    expect(stringify([codeBlock("```\nx")])).toBe("````\n```\nx\n````\n");
  });
});

describe("stack order", () => {
  const rank = (env: string) => ({ zeta: 0, mid: 1, alpha: 2 })[env] ?? 3;

  it("applies environments by tier (dev → staging → prod), platform before tenants", () => {
    const ordered = orderStacks(
      [
        "alpha-tenants",
        "zeta-platform",
        "mid-tenants",
        "alpha-platform",
        "mid-platform",
        "zeta-tenants",
      ],
      () => [],
      rank,
    );
    expect(ordered).toEqual([
      "zeta-platform",
      "zeta-tenants",
      "mid-platform",
      "mid-tenants",
      "alpha-platform",
      "alpha-tenants",
    ]);
  });

  it("puts a stack after the stacks it depends on (manifest dependencies)", () => {
    const deps: Record<string, string[]> = {
      "zeta-platform": ["shared"],
      "zeta-tenants": ["zeta-platform"],
    };
    expect(
      orderStacks(["zeta-tenants", "zeta-platform", "shared"], (s) => deps[s] ?? [], rank),
    ).toEqual(["shared", "zeta-platform", "zeta-tenants"]);
  });

  it("orders the stack table the same way, using the configuration's tiers", () => {
    const review = buildReview(
      [
        { stack: "prod-tenants", plan: planJson([]) },
        { stack: "prod-platform", plan: planJson([]) },
        { stack: "dev-tenants", plan: planJson([]) },
      ],
      {
        after: envs,
        synth: synthOutputFromStacks({
          "dev-platform": {},
          "dev-tenants": {},
          "prod-platform": {},
          "prod-tenants": {},
        }),
      },
    );
    expect(review.stacks.map((s) => `${s.stack}:${s.status}`)).toEqual([
      "dev-platform:not planned",
      "dev-tenants:no changes",
      "prod-platform:no changes",
      "prod-tenants:no changes",
    ]);
  });
});

describe("turning the RDS Proxy on or off", () => {
  const tenants = [{ name: "fintech" }];
  const off = loadedEnvironment("prod", "production", tenants, { proxy: { enabled: false } });
  const on = loadedEnvironment("prod", "production", tenants, { proxy: { enabled: true } });
  const warning = (before: typeof on, after: typeof on) => {
    const markdown = renderReview(buildReview([], { after: [after], before: [before] }));
    return markdown.split("\n").find((l) => l.startsWith("> **This change turns the RDS Proxy"));
  };

  it("warns at the top that apps lose their path until the tenants apply, in both directions", () => {
    expect(warning(off, on)).toBe(
      "> **This change turns the RDS Proxy on in prod: every tenant connects to the proxy from then on.**",
    );
    expect(warning(on, off)).toBe(
      "> **This change turns the RDS Proxy off in prod: every tenant connects to the instance from then on.**",
    );
    const markdown = renderReview(buildReview([], { after: [on], before: [off] }));
    expect(markdown).toContain("restart apps that cache their secret");
    expect(markdown.indexOf("turns the RDS Proxy")).toBeLessThan(markdown.indexOf("### Stacks"));
  });

  it("says nothing when the proxy stays as it was", () => {
    expect(warning(on, on)).toBeUndefined();
    expect(warning(off, off)).toBeUndefined();
  });
});
