import { tenantFixture } from "@pgforks/testing";
import { readOnlyRoleName, readOnlyRoleNameProblem, tenantSecretName } from "../src/naming";

describe("naming", () => {
  it("names the read-only role <name>_readonly and the secret <prefix>/tenants/<name>", () => {
    expect(readOnlyRoleName({ name: "fintech" })).toBe("fintech_readonly");
    expect(tenantSecretName("pgforks-prod", "fintech")).toBe("pgforks-prod/tenants/fintech");
  });

  it("refuses read-only role names PostgreSQL would truncate (63 bytes)", () => {
    expect(readOnlyRoleNameProblem(tenantFixture({ name: "a".repeat(54) }))).toBeUndefined();
    expect(readOnlyRoleNameProblem(tenantFixture({ name: "a".repeat(55) }))).toMatch(
      /at most 54 bytes/,
    );
  });
});
