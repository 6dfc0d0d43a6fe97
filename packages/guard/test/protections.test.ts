// Plan JSON here is synthetic, shaped like Terraform's resource_changes entries; the
// lower-protections scenario of packages/plan-review checks the same on a real offline plan.
import type { ResourceChange } from "@pgforks/plan-json";
import {
  LOG_RETENTION_PROTECTION,
  loweredProtections,
  loweredTier,
  PERFORMANCE_INSIGHTS_RETENTION,
} from "../src/protections";

function change(
  type: string,
  before: unknown,
  after: unknown,
  actions = ["update"],
): ResourceChange {
  return {
    address: `${type}.x`,
    mode: "managed",
    type,
    name: "x",
    provider_name: "registry.terraform.io/hashicorp/aws",
    change: { actions: actions as ResourceChange["change"]["actions"], before, after },
  };
}

const SAFE = {
  multi_az: true,
  deletion_protection: true,
  backup_retention_period: 14,
  storage_encrypted: true,
  publicly_accessible: false,
};

describe("loweredProtections", () => {
  it("names every protection of an RDS instance that an update lowers", () => {
    const found = loweredProtections(
      change("aws_db_instance", SAFE, {
        multi_az: false,
        deletion_protection: false,
        backup_retention_period: 1,
        storage_encrypted: false,
        publicly_accessible: true,
      }),
    );
    expect(found).toEqual([
      { protection: "Multi-AZ", before: "true", after: "false" },
      { protection: "deletion protection", before: "true", after: "false" },
      { protection: "backup retention", before: "14 days", after: "1 day" },
      { protection: "storage encryption", before: "true", after: "false" },
      { protection: "publicly accessible", before: "false", after: "true" },
    ]);
  });

  it("says nothing when protections stay or rise, or on create and delete", () => {
    expect(
      loweredProtections(change("aws_db_instance", SAFE, { ...SAFE, backup_retention_period: 30 })),
    ).toEqual([]);
    expect(
      loweredProtections(change("aws_db_instance", { ...SAFE, multi_az: false }, SAFE)),
    ).toEqual([]);
    expect(
      loweredProtections(change("aws_db_instance", null, { multi_az: false }, ["create"])),
    ).toEqual([]);
    expect(loweredProtections(change("aws_db_instance", SAFE, null, ["delete"]))).toEqual([]);
  });

  it("names a shorter Performance Insights retention (the older samples are deleted)", () => {
    const pi = (before: number, after: number) =>
      loweredProtections(
        change(
          "aws_db_instance",
          { ...SAFE, performance_insights_retention_period: before },
          { ...SAFE, performance_insights_retention_period: after },
        ),
      );
    expect(pi(31, 7)).toEqual([
      {
        protection: PERFORMANCE_INSIGHTS_RETENTION,
        before: "31 days",
        after: "7 days",
        deletes: "Performance Insights data older than 7 days",
      },
    ]);
    expect(PERFORMANCE_INSIGHTS_RETENTION).toMatch(/deleted/);
    expect(pi(7, 31)).toEqual([]);
    expect(pi(7, 7)).toEqual([]);
  });

  it("counts a replacement that lowers a protection", () => {
    expect(
      loweredProtections(
        change("aws_db_instance", SAFE, { ...SAFE, storage_encrypted: false }, [
          "delete",
          "create",
        ]),
      ).map((l) => l.protection),
    ).toEqual(["storage encryption"]);
  });

  it("finds rds.force_ssl turned off or removed in a parameter group", () => {
    const params = (value?: string) => ({
      parameter: [
        { name: "log_min_duration_statement", value: "1000" },
        ...(value !== undefined ? [{ name: "rds.force_ssl", value }] : []),
      ],
    });
    expect(loweredProtections(change("aws_db_parameter_group", params("1"), params("0")))).toEqual([
      { protection: "TLS required (rds.force_ssl)", before: "1", after: "0" },
    ]);
    expect(
      loweredProtections(change("aws_db_parameter_group", params("1"), params())),
    ).toHaveLength(1);
    expect(loweredProtections(change("aws_db_parameter_group", params("0"), params("1")))).toEqual(
      [],
    );
  });
});

describe("loweredProtections of a log group", () => {
  const group = (before: unknown, after: unknown, actions?: string[]) =>
    loweredProtections(
      change(
        "aws_cloudwatch_log_group",
        { retention_in_days: before },
        { retention_in_days: after },
        actions,
      ),
    );

  it("names a shorter retention as deleted log events", () => {
    expect(group(365, 7)).toEqual([
      {
        protection: LOG_RETENTION_PROTECTION,
        before: "365 days",
        after: "7 days",
        deletes: "log events older than 7 days",
      },
    ]);
    expect(group(30, 1)).toEqual([
      {
        protection: LOG_RETENTION_PROTECTION,
        before: "30 days",
        after: "1 day",
        deletes: "log events older than 1 day",
      },
    ]);
    expect(LOG_RETENTION_PROTECTION).toMatch(/deleted/);
  });

  it("counts 0 (never expire) as the longest retention", () => {
    expect(group(0, 3653)).toEqual([
      {
        protection: LOG_RETENTION_PROTECTION,
        before: "forever",
        after: "3653 days",
        deletes: "log events older than 3653 days",
      },
    ]);
    expect(group(null, 90)).toHaveLength(1);
    expect(group(90, 0)).toEqual([]);
  });

  it("says nothing when the retention stays or grows, or on create and delete", () => {
    expect(group(30, 30)).toEqual([]);
    expect(group(30, 365)).toEqual([]);
    expect(
      loweredProtections(
        change("aws_cloudwatch_log_group", null, { retention_in_days: 1 }, ["create"]),
      ),
    ).toEqual([]);
    expect(
      loweredProtections(
        change("aws_cloudwatch_log_group", { retention_in_days: 30 }, null, ["delete"]),
      ),
    ).toEqual([]);
  });

  it("counts a replacement that shortens the retention", () => {
    expect(group(365, 30, ["delete", "create"])).toHaveLength(1);
  });
});

describe("loweredTier", () => {
  it("is a lowering only from a more protected tier to a less protected one", () => {
    expect(loweredTier("production", "development")).toEqual({
      protection: "tier",
      before: "production",
      after: "development",
    });
    expect(loweredTier("production", "staging")).toBeDefined();
    expect(loweredTier("development", "production")).toBeUndefined();
    expect(loweredTier("production", "production")).toBeUndefined();
    expect(loweredTier(undefined, "development")).toBeUndefined();
  });
});
