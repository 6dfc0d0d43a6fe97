import {
  decideIrreversible,
  type InstanceSizing,
  irreversibleChanges,
  isEngineDowngrade,
} from "../src/irreversible";

const prod: InstanceSizing = {
  name: "prod",
  database: { engineVersion: "16", allocatedStorageGb: 40, allowMajorVersionUpgrade: false },
};
const lowered = (
  engineVersion: string,
  allocatedStorageGb: number,
  allowMajorVersionUpgrade = true,
): InstanceSizing => ({
  name: "prod",
  database: { engineVersion, allocatedStorageGb, allowMajorVersionUpgrade },
});

describe("isEngineDowngrade", () => {
  it.each([
    ["16", "15", true],
    ["16.8", "15", true],
    ["16.8", "16.4", true],
    ["17", "16", true],
    ["16", "16", false],
    ["16", "17", false],
    ["16.8", "16", false], // the instance keeps its minor
    ["15", "16.2", false],
    ["16", "not a version", false],
  ])("%s -> %s: %s", (before, after, expected) => {
    expect(isEngineDowngrade(before, after)).toBe(expected);
  });
});

describe("irreversibleChanges", () => {
  it("finds nothing without a base, when both stay, or when they go up", () => {
    expect(irreversibleChanges(undefined, lowered("15", 20))).toEqual([]);
    expect(irreversibleChanges(prod, prod)).toEqual([]);
    expect(irreversibleChanges(prod, lowered("17", 100))).toEqual([]);
  });

  it("names an engine downgrade and a storage decrease, each with AWS's reason and its approval address", () => {
    const found = irreversibleChanges(prod, lowered("15", 20));
    expect(found.map((c) => [c.stack, c.address, c.before, c.after])).toEqual([
      ["prod-platform", "database.engineVersion", "16", "15"],
      ["prod-platform", "database.allocatedStorageGb", "40 GB", "20 GB"],
    ]);
    expect(found[0]?.why).toContain(
      'RDS cannot downgrade a DB engine (RDS API Reference, ModifyDBInstance: EngineVersion is "the version number of the database engine to upgrade to"',
    );
    expect(found[1]?.why).toContain(
      "You can't reduce the amount of storage for a DB instance after storage has been allocated",
    );
    expect(found[1]?.why).toContain(
      "the FreeStorageSpace alarm and the cost estimate follow 20 GB",
    );
    expect(found[1]?.fix).toBe(
      "keep database.allocatedStorageGb at 40 or raise it; a smaller disk needs a new instance and a move of the data",
    );
  });

  it("names a raise to a new major that is not allowed, with AWS's reason and the fix", () => {
    const [upgrade, ...rest] = irreversibleChanges(prod, lowered("17", 40, false));
    expect(rest).toEqual([]);
    expect(upgrade).toMatchObject({
      address: "database.engineVersion",
      before: "16",
      after: "17",
      fix: 'set database.allowMajorVersionUpgrade: true in the same change (docs/operations.md, "Upgrading PostgreSQL to a new major version")',
    });
    expect(upgrade?.why).toContain(
      "Major version upgrades must be allowed when specifying a value for the EngineVersion parameter",
    );
    // Allowed, or within the major: nothing to say.
    expect(irreversibleChanges(prod, lowered("17", 40, true))).toEqual([]);
    expect(irreversibleChanges(prod, lowered("16", 40, false))).toEqual([]);
  });

  it("blocks in every tier until an approval names <env>-platform:<setting>", () => {
    const [engine] = irreversibleChanges(prod, lowered("15", 40));
    if (!engine) throw new Error("expected the downgrade");
    expect(decideIrreversible(engine, new Set()).allowedBy).toBeUndefined();
    expect(decideIrreversible(engine, new Set()).reason).toMatch(
      /^blocked: RDS cannot downgrade a DB engine .*\. Instead: keep database\.engineVersion at 16 or newer/,
    );
    expect(
      decideIrreversible(engine, new Set(["prod-platform:database.engineVersion"])),
    ).toMatchObject({
      allowedBy: "approval",
      reason: "allowed: approved as prod-platform:database.engineVersion",
    });
  });
});
