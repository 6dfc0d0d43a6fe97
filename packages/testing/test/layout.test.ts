import { readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";

// Each package keeps its code in src/ and its tests in test/. The Jest preset only looks in test/,
// so a test file written under src/ would never run: this test makes that visible.
const root = resolve(__dirname, "../../..");

function testFilesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...testFilesUnder(path));
    else if (/\.(test|spec)\.[cm]?[jt]sx?$/.test(entry.name)) found.push(relative(root, path));
  }
  return found;
}

describe("the repository layout", () => {
  it("has no test file under any package's or app's src/ (Jest runs test/ only)", () => {
    const misplaced = ["packages", "apps"].flatMap((group) =>
      readdirSync(join(root, group), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .flatMap((entry) => {
          const src = join(root, group, entry.name, "src");
          try {
            return testFilesUnder(src);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
            throw error;
          }
        }),
    );
    expect(misplaced).toEqual([]);
  });
});
