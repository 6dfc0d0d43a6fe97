import { decideRelocation, type LocatedEnvironment, relocations } from "../src/relocation";

const dev: LocatedEnvironment = {
  name: "dev",
  account: "111111111111",
  region: "us-east-1",
  stateBackend: { bucket: "example-tfstate-dev", region: "us-east-1", keyPrefix: "pgforks/dev" },
};

describe("relocations", () => {
  it("finds nothing without a base or when region, account and state backend stay", () => {
    expect(relocations(undefined, dev)).toEqual([]);
    expect(relocations(dev, { ...dev })).toEqual([]);
  });

  it("names a region change: everything is created anew, empty, and the old instance left behind", () => {
    const [moved, ...more] = relocations(dev, { ...dev, region: "us-east-2" });
    expect(more).toEqual([]);
    expect(moved).toMatchObject({
      stack: "dev-platform",
      address: "region",
      environment: "dev",
      before: "us-east-1",
      after: "us-east-2",
    });
    expect(moved?.loses).toContain("creates them all anew there, empty");
    expect(moved?.loses).toContain(
      "the existing instance in us-east-1, with every tenant database",
    );
  });

  it("names an account change and a state backend change, each with its own approval address", () => {
    const found = relocations(dev, {
      ...dev,
      account: "222222222222",
      stateBackend: { ...dev.stateBackend, keyPrefix: "pgforks/dev2" },
    });
    expect(found.map((r) => [r.address, r.before, r.after])).toEqual([
      ["account", "111111111111", "222222222222"],
      [
        "stateBackend",
        "s3://example-tfstate-dev/pgforks/dev (us-east-1)",
        "s3://example-tfstate-dev/pgforks/dev2 (us-east-1)",
      ],
    ]);
    expect(found[1]?.loses).toContain("terraform init -migrate-state");
    for (const bucket of [{ bucket: "other-bucket" }, { region: "eu-west-1" }]) {
      expect(
        relocations(dev, { ...dev, stateBackend: { ...dev.stateBackend, ...bucket } }).map(
          (r) => r.address,
        ),
      ).toEqual(["stateBackend"]);
    }
  });
});

describe("decideRelocation", () => {
  const [moved] = relocations(dev, { ...dev, region: "us-east-2" });

  it("blocks a relocation in every tier unless an approval names <env>-platform:<setting>", () => {
    if (!moved) throw new Error("no relocation found");
    const blocked = decideRelocation(moved, new Set());
    expect(blocked.allowedBy).toBeUndefined();
    expect(blocked.reason).toBe(`blocked: ${moved.loses}`);
    expect(decideRelocation(moved, new Set(["prod-platform:region", "region"])).allowedBy).toBe(
      undefined,
    );
    expect(decideRelocation(moved, new Set(["dev-platform:region"]))).toMatchObject({
      allowedBy: "approval",
      reason: "allowed: approved as dev-platform:region",
    });
  });
});
