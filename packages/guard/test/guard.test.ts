import { decideDestroy, decideLowering, staleApprovals } from "../src/guard";
import { STATEFUL_RESOURCE_TYPES } from "../src/stateful";

const instance = {
  stack: "prod-platform",
  address: "aws_db_instance.db",
  type: "aws_db_instance",
  action: "replace" as const,
  stateful: STATEFUL_RESOURCE_TYPES.aws_db_instance as NonNullable<
    (typeof STATEFUL_RESOURCE_TYPES)["aws_db_instance"]
  >,
};

describe("decideDestroy", () => {
  it("blocks a stateful replacement unless <stack>:<address> is approved", () => {
    expect(decideDestroy(instance, { approvals: new Set() }).allowedBy).toBeUndefined();
    expect(
      decideDestroy(instance, { approvals: new Set(["dev-platform:aws_db_instance.db"]) })
        .allowedBy,
    ).toBeUndefined();
    expect(
      decideDestroy(instance, { approvals: new Set(["prod-platform:aws_db_instance.db"]) })
        .allowedBy,
    ).toBe("approval");
  });

  it("allows a dropped tenant's deletion only with confirmDrop naming its database", () => {
    const database = {
      ...instance,
      address: "postgresql_database.shop",
      type: "postgresql_database",
      action: "delete" as const,
    };
    const tenant = { name: "shop", state: "dropped", database: "shop_prod" };
    const approvals = new Set<string>();
    expect(
      decideDestroy(database, { approvals, tenant, databaseBefore: "shop_prod" }).allowedBy,
    ).toBeUndefined();
    expect(
      decideDestroy(database, {
        approvals,
        tenant: { ...tenant, confirmDrop: "shop_prod" },
        databaseBefore: "shop_prod",
      }).allowedBy,
    ).toBe("dropped tenant");
    expect(
      decideDestroy(database, {
        approvals,
        tenant: { ...tenant, confirmDrop: "shop_prod" },
        databaseBefore: "other",
      }).allowedBy,
    ).toBeUndefined();
  });
});

describe("decideLowering", () => {
  const lowering = {
    stack: "prod-platform",
    address: "aws_db_instance.db",
    lowerings: [],
    production: true,
  };
  it("needs an approval in production and only warns elsewhere", () => {
    expect(decideLowering(lowering, new Set()).allowedBy).toBeUndefined();
    expect(decideLowering(lowering, new Set(["prod-platform:aws_db_instance.db"])).allowedBy).toBe(
      "approval",
    );
    expect(decideLowering({ ...lowering, production: false }, new Set()).allowedBy).toBe(
      "not production",
    );
  });
});

describe("staleApprovals", () => {
  it("flags approvals of planned stacks that match nothing judged", () => {
    const approvals = [
      { stack: "prod-platform", address: "aws_db_instance.db", source: "a.txt" },
      { stack: "prod-platform", address: "aws_kms_key.k", source: "a.txt" },
      { stack: "dev-platform", address: "aws_kms_key.k", source: "a.txt" },
    ];
    const stale = staleApprovals(
      approvals,
      new Set(["prod-platform:aws_db_instance.db"]),
      new Set(["prod-platform"]),
    );
    expect(stale.map((s) => s.reason)).toEqual([
      "approval prod-platform:aws_kms_key.k matches nothing in these plans: remove it from a.txt",
    ]);
  });
});
