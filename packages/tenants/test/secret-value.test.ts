import { databaseUrl, TENANT_SECRET_KEYS, tenantSecretValue } from "../src/secret-value";

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
      DATABASE_URL:
        "postgresql://fintech:Abc123@db.example:5432/fintech_prod?sslmode=verify-full&sslrootcert=/etc/ssl/certs/rds-global-bundle.pem",
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
    // The server is verified (certificate chain and host name), not only encrypted.
    expect(url.searchParams.get("sslmode")).toBe("verify-full");
    expect(url.searchParams.get("sslrootcert")).toBe("/etc/ssl/certs/rds-global-bundle.pem");
    expect([...url.searchParams.keys()]).toEqual(["sslmode", "sslrootcert"]);
  });
});
