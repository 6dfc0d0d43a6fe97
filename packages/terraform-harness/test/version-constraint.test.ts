import { newestMatching, satisfiesConstraint } from "../src/version-constraint";

describe("satisfiesConstraint", () => {
  it.each([
    ["5.100.0", "5.100.0", true],
    ["5.100.1", "5.100.0", false],
    ["5.100.0", "= 5.100.0", true],
    ["5.100.0", "!= 5.100.0", false],
    ["5.100.0", "~> 5.0", true],
    ["6.0.0", "~> 5.0", false],
    ["5.100.3", "~> 5.100.0", true],
    ["5.101.0", "~> 5.100.0", false],
    ["5.3.0", "~> 5", true],
    ["6.0.0", "~> 5", false],
    ["1.26.0", ">= 1.20, < 2.0.0", true],
    ["2.0.0", ">= 1.20, < 2.0.0", false],
    ["1.19.9", ">= 1.20, < 2.0.0", false],
    ["5.100.0", undefined, true],
    ["5.100.0", "", true],
  ])("%s against %p is %p", (version, constraint, expected) => {
    expect(satisfiesConstraint(version, constraint)).toBe(expected);
  });

  it("matches a pre-release only when a constraint names it exactly", () => {
    expect(satisfiesConstraint("6.0.0-beta1", ">= 5.0")).toBe(false);
    expect(satisfiesConstraint("6.0.0-beta1", "6.0.0-beta1")).toBe(true);
  });

  it("rejects malformed constraints", () => {
    expect(() => satisfiesConstraint("5.0.0", "~> five")).toThrow(/Invalid version/);
  });
});

describe("newestMatching", () => {
  it("picks the newest version the constraint allows", () => {
    expect(newestMatching(["5.99.0", "5.100.0", "6.1.0"], "~> 5.0")).toBe("5.100.0");
    expect(newestMatching(["5.99.0"], "5.100.0")).toBeUndefined();
  });
});
