import { MAX_PROXY_SECRETS, proxySecretProblem } from "../src/proxy-quota";

describe("proxySecretProblem", () => {
  it("pins the RDS Proxy quota of 200 secrets per proxy", () => {
    expect(MAX_PROXY_SECRETS).toBe(200);
  });

  it("accepts 1 to MAX_PROXY_SECRETS secrets", () => {
    expect(proxySecretProblem(1)).toBeUndefined();
    expect(proxySecretProblem(MAX_PROXY_SECRETS)).toBeUndefined();
  });

  it("rejects zero secrets and says how to fix it", () => {
    const message = proxySecretProblem(0);
    expect(message).toMatch(/at least 1 tenant secret/);
    expect(message).toMatch(/there are 0 active or suspended tenants/);
    expect(message).toMatch(/proxy\.enabled: false/);
  });

  it("rejects more than the quota, naming the count, the excess and the fix", () => {
    const message = proxySecretProblem(MAX_PROXY_SECRETS + 3);
    expect(message).toMatch(/at most 200 Secrets Manager secrets/);
    expect(message).toMatch(/but 203 active or suspended tenants/);
    expect(message).toMatch(/3 too many/);
    expect(message).toMatch(/state: retired on at least 3 tenants/);
  });
});
