import {
  CRITICAL_INSTANCE_EVENT_CATEGORIES,
  majorVersion,
  POSTGRES_PARAMETERS,
  parameterGroupFamily,
  rdsLogGroupName,
} from "../src/engine";

describe("parameterGroupFamily", () => {
  test.each([
    ["16.8", "postgres16"],
    ["16", "postgres16"],
    ["15.7", "postgres15"],
    ["14.12", "postgres14"],
    ["17.2", "postgres17"],
  ])("%s -> %s", (version, family) => {
    expect(parameterGroupFamily(version)).toBe(family);
  });

  test("rejects a string that is not a version", () => {
    expect(() => majorVersion("latest")).toThrow(/not a PostgreSQL engine version/);
    expect(() => parameterGroupFamily("16.")).toThrow(/not a PostgreSQL engine version/);
  });
});

describe("POSTGRES_PARAMETERS", () => {
  const byName = new Map(POSTGRES_PARAMETERS.map((p) => [p.name, p]));

  test("forces TLS (Security Hub RDS.38) and logs slow statements after 1000 ms (seed 004)", () => {
    expect(byName.get("rds.force_ssl")?.value).toBe("1");
    expect(byName.get("log_min_duration_statement")?.value).toBe("1000");
    expect(byName.get("log_statement")?.value).toBe("ddl");
    expect(byName.get("log_connections")?.value).toBe("1");
    expect(byName.get("log_disconnections")?.value).toBe("1");
  });

  test("the static shared_preload_libraries waits for a reboot; dynamic ones apply at once", () => {
    expect(byName.get("shared_preload_libraries")).toEqual({
      name: "shared_preload_libraries",
      value: "pg_stat_statements",
      applyMethod: "pending-reboot",
    });
    const dynamic = POSTGRES_PARAMETERS.filter((p) => p.name !== "shared_preload_libraries");
    expect(dynamic.map((p) => p.applyMethod)).toEqual(dynamic.map(() => "immediate"));
  });
});

test("event categories cover Security Hub RDS.20 and use RDS's spelling", () => {
  expect(CRITICAL_INSTANCE_EVENT_CATEGORIES).toEqual(
    expect.arrayContaining(["maintenance", "configuration change", "failure"]),
  );
  expect(CRITICAL_INSTANCE_EVENT_CATEGORIES).toContain("low storage");
});

test("log group names follow RDS's /aws/rds/instance/<identifier>/<log> convention", () => {
  expect(rdsLogGroupName("pgforks-prod", "postgresql")).toBe(
    "/aws/rds/instance/pgforks-prod/postgresql",
  );
});
