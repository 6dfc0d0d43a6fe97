import { environmentFixture } from "@pgforks/testing";
import {
  databaseUrl,
  SECRET_REFRESH_NOTE,
  secretRefreshReason,
  TENANT_SECRET_KEYS,
  tenantSecretValue,
} from "./secret-value";

const input = {
  host: "db.example",
  port: 5432,
  username: "fintech",
  password: "Abc123",
  dbname: "fintech_prod",
};

describe("tenant secret value", () => {
  it("has exactly the RDS secret keys plus DATABASE_URL", () => {
    expect(Object.keys(tenantSecretValue(input)).sort()).toEqual([...TENANT_SECRET_KEYS].sort());
    expect(tenantSecretValue(input)).toEqual({
      engine: "postgres",
      host: "db.example",
      port: 5432,
      username: "fintech",
      password: "Abc123",
      dbname: "fintech_prod",
      DATABASE_URL: "postgresql://fintech:Abc123@db.example:5432/fintech_prod?sslmode=require",
    });
  });

  it("builds a DATABASE_URL that a URL parser reads back", () => {
    const url = new URL(databaseUrl(input));
    expect(url.protocol).toBe("postgresql:");
    expect([url.username, url.password, url.hostname, url.port, url.pathname]).toEqual([
      "fintech",
      "Abc123",
      "db.example",
      "5432",
      "/fintech_prod",
    ]);
    expect(url.searchParams.get("sslmode")).toBe("require");
  });
});

describe("secretRefreshReason", () => {
  const withProxy = environmentFixture({ proxy: { enabled: true } });
  const withoutProxy = environmentFixture({ proxy: { enabled: false } });

  it("says a passwordVersion bump is needed when the proxy is turned on or off", () => {
    expect(secretRefreshReason(withoutProxy, withProxy)).toContain(
      "proxy.enabled changed (false -> true)",
    );
    expect(secretRefreshReason(withProxy, withoutProxy)).toContain(SECRET_REFRESH_NOTE);
  });

  it("says so when the database port changes", () => {
    const moved = environmentFixture({ database: { port: 6432 } });
    expect(secretRefreshReason(withProxy, moved)).toContain("database.port changed (5432 -> 6432)");
  });

  it("says nothing when host and port stay", () => {
    expect(
      secretRefreshReason(withProxy, environmentFixture({ proxy: { enabled: true } })),
    ).toBeUndefined();
  });
});
