// The package README's promises that code can check: its list of the guard's stateful types.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { STATEFUL_RESOURCE_TYPES } from "@pgforks/guard";

const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");

describe("packages/plan-review/README.md", () => {
  it("lists exactly the resource types the destroy guard treats as stateful", () => {
    const section = readme.split("## Stateful types")[1]?.split("(see")[0] ?? "";
    const listed = [...section.matchAll(/`([a-z0-9_]+)`/g)].map((m) => m[1]).sort();
    expect(listed).toEqual(Object.keys(STATEFUL_RESOURCE_TYPES).sort());
  });
});
