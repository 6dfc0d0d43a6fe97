import { READ_REPLICA, STATEFUL_RESOURCE_TYPES, statefulKind } from "../src/stateful";

describe("statefulKind", () => {
  it("tells a read replica from the primary by replicate_source_db in the state", () => {
    const primary = STATEFUL_RESOURCE_TYPES.aws_db_instance;
    expect(statefulKind("aws_db_instance")).toBe(primary);
    expect(statefulKind("aws_db_instance", { identifier: "pgforks-dev" })).toBe(primary);
    expect(statefulKind("aws_db_instance", { replicate_source_db: "" })).toBe(primary);
    expect(statefulKind("aws_db_instance", { replicate_source_db: "pgforks-dev" })).toBe(
      READ_REPLICA,
    );
    expect(READ_REPLICA.loses).not.toContain("every tenant database");
  });

  it("knows only the listed types", () => {
    expect(statefulKind("aws_db_parameter_group")).toBeUndefined();
    expect(statefulKind("toString")).toBeUndefined();
    expect(statefulKind("aws_kms_key", { replicate_source_db: "x" })).toBe(
      STATEFUL_RESOURCE_TYPES.aws_kms_key,
    );
  });
});
