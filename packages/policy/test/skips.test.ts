import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@pgforks/config";
import { loadSkips } from "../src/skips";

function skipsFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "skips-")), "skips.yaml");
  writeFileSync(file, text);
  return file;
}

function problemsOf(text: string): string[] {
  try {
    loadSkips(skipsFile(text));
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split("\n").slice(1);
    throw error;
  }
  throw new Error("loadSkips accepted the file");
}

describe("loadSkips", () => {
  it("reads the committed file: every entry has a check, stacks and a reason", () => {
    const skips = loadSkips();
    expect(skips.length).toBeGreaterThan(0);
    for (const s of skips) {
      expect(s.stacks.length).toBeGreaterThan(0);
      expect(s.reason.length).toBeGreaterThanOrEqual(20);
    }
  });

  it("names file, field, found and allowed, one line per problem", () => {
    const problems = problemsOf(
      [
        "skips:",
        "  - check: CKV_AWS_88x",
        "    stacks: [prod-platform]",
        "    reason: a reason long enough to count",
        "  - check: RDS.23",
        "    stacks: []",
        "    resource: '('",
        "    reason: short",
      ].join("\n"),
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /skips\.yaml skips\[0\]\.check: must be a checkov id .* \(found "CKV_AWS_88x"\)$/,
      ),
      expect.stringMatching(
        /skips\.yaml skips\[1\]\.stacks: must list at least one stack \(found \[\]\)$/,
      ),
      expect.stringMatching(
        /skips\.yaml skips\[1\]\.resource: must be a regular expression \(found "\("\)$/,
      ),
      expect.stringMatching(
        /skips\.yaml skips\[1\]\.reason: must say why, in at least 20 characters \(found "short"\)$/,
      ),
    ]);
  });

  it("refuses unknown keys", () => {
    expect(
      problemsOf(
        "skips:\n  - check: RDS.23\n    stack: [prod-platform]\n    reason: a reason long enough to count\n",
      ),
    ).toEqual([
      expect.stringMatching(/skips\[0\]\.stacks: must be a list of stack names$/),
      expect.stringMatching(
        /skips\[0\]\.stack: unknown key \(allowed: check, stacks, resource, reason\)$/,
      ),
    ]);
  });
});
