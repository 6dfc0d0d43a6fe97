import { TENANT_STATES } from "@pgforks/config";
import { environmentFixture, tenantFixture } from "@pgforks/testing";
import { footprintEnvironment, tenantFootprint } from "../src/footprint";

describe("tenantFootprint of one stack", () => {
  // Every state, with and without the read-only group and extensions, proxy on and off, and the
  // local target (no AWS parts).
  const tenants = TENANT_STATES.flatMap((state) => [
    tenantFixture({ name: `plain_${state}`, state, confirmDrop: `plain_${state}` }),
    tenantFixture({
      name: `full_${state}`,
      state,
      confirmDrop: `full_${state}`,
      readOnlyRole: true,
      extensions: ["pg_trgm", "citext"],
    }),
  ]);
  const environments = [
    footprintEnvironment(environmentFixture({ proxy: { enabled: true } })),
    footprintEnvironment(environmentFixture({ proxy: { enabled: false } })),
    { adminRole: "forks_admin" },
  ];

  it("is the whole footprint's intents in that stack, in the same order", () => {
    for (const environment of environments) {
      for (const tenant of tenants) {
        const all = tenantFootprint(tenant, environment);
        for (const stack of ["platform", "tenants"] as const) {
          expect(tenantFootprint(tenant, environment, undefined, stack)).toEqual(
            all.filter((i) => i.address.stack === stack),
          );
        }
      }
    }
  });

  it("has intents in both stacks for a tenant of an AWS environment", () => {
    const [aws] = environments;
    const tenant = tenants[0];
    if (!aws || !tenant) throw new Error("fixtures");
    expect(tenantFootprint(tenant, aws, undefined, "platform").map((i) => i.kind)).toEqual([
      "secret",
      "proxy auth",
    ]);
    expect(tenantFootprint(tenant, aws, undefined, "tenants").map((i) => i.kind)).toContain(
      "secret value",
    );
  });
});
