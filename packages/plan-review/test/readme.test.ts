// The package README's promises that code can check: its list of the guard's stateful types.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { STATEFUL_RESOURCE_TYPES } from "@pgforks/guard";
import { NEW_TENANT } from "./review-scenarios";

const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");

describe("packages/plan-review/README.md", () => {
  it("lists exactly the resource types the destroy guard treats as stateful", () => {
    const section = readme.split("## Stateful types")[1]?.split("(see")[0] ?? "";
    const listed = [...section.matchAll(/`([a-z0-9_]+)`/g)].map((m) => m[1]).sort();
    expect(listed).toEqual(Object.keys(STATEFUL_RESOURCE_TYPES).sort());
  });
});

describe("the root README's sample pull-request comment", () => {
  const root = readFileSync(join(__dirname, "..", "..", "..", "README.md"), "utf8");

  it("is the add-tenant golden review, as the README says, to the character", () => {
    const start = root.indexOf("<!-- pgforks:plan-review -->");
    const end = root.indexOf("~~~~\n\n</details>", start);
    const golden = readFileSync(join(__dirname, "golden", "add-tenant.md"), "utf8");
    expect(start).toBeGreaterThan(-1);
    expect(root.slice(start, end)).toBe(golden);
  });

  it("explains its budget line, which differs from the tenant add example's", () => {
    const limit = NEW_TENANT.connectionLimit;
    expect(root).toContain(`The scenario gives \`edtech\` a connection limit of ${limit},`);
  });
});
