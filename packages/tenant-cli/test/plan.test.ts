import { ADMIN_CONNECTION_HEADROOM, readOnlyRoleName } from "@pgforks/config";
import { environmentFixture, tenantFixture } from "@pgforks/testing";
import {
  DATABASE_RENAMED_NOTE,
  describeTenantChange,
  formatStackChanges,
  type StackChange,
  tenantSecretNameOf as tenantSecretName,
} from "../src/plan";

const proxyOn = environmentFixture({ proxy: { enabled: true } });
const proxyOff = environmentFixture({ proxy: { enabled: false } });
const env = proxyOn.name;

function changesOf(
  changes: readonly StackChange[],
  kind: "platform" | "tenants",
): readonly string[] {
  return changes.find((c) => c.stack === `${env}-${kind}`)?.changes ?? [];
}

describe("describeTenantChange", () => {
  const shop = tenantFixture({
    name: "shop",
    database: "shop_prod",
    connectionLimit: 15,
    extensions: ["pg_trgm", "citext"],
    readOnlyRole: true,
  });

  it("lists everything an added tenant creates, per stack", () => {
    const changes = describeTenantChange(env, undefined, shop, proxyOn);
    expect(changes.map((c) => c.stack)).toEqual([`${env}-platform`, `${env}-tenants`]);
    expect(changesOf(changes, "platform")).toEqual([
      `+ Secrets Manager secret ${tenantSecretName(shop, proxyOn)}`,
      "+ RDS Proxy auth entry (proxy on)",
    ]);
    const tenants = changesOf(changes, "tenants");
    expect(tenants).toContain("+ role shop (login true, connection limit 15)");
    expect(tenants).toContain(
      `+ database shop_prod (UTF8, owner ${proxyOn.database.masterUsername}, connection limit ${15 + ADMIN_CONNECTION_HEADROOM})`,
    );
    expect(tenants).toContain("+ revoke PUBLIC CONNECT/TEMP on shop_prod");
    expect(tenants).toContain("+ grant CONNECT/TEMPORARY on shop_prod to shop");
    expect(tenants).toContain(
      '+ schema shop in shop_prod (owner shop, where the app\'s tables go (search_path "$user", public))',
    );
    expect(tenants.join("\n")).not.toMatch(/grant role shop to/);
    expect(tenants).toContain("+ extension pg_trgm (in shop_prod)");
    expect(tenants).toContain("+ extension citext (in shop_prod)");
    expect(tenants.some((l) => l.startsWith(`+ read-only role ${readOnlyRoleName(shop)}`))).toBe(
      true,
    );
    expect(tenants).toContain(
      "+ secret value and role password of shop (password version 1, write-only, never in state)",
    );
    expect(tenantSecretName(shop, proxyOn)).toBe(`pgforks-${env}/tenants/shop`);
  });

  it("leaves out the proxy entry and the read-only role when they are off", () => {
    const plain = tenantFixture({ name: "plain" });
    const changes = describeTenantChange(env, undefined, plain, proxyOff);
    expect(changesOf(changes, "platform")).toEqual([
      `+ Secrets Manager secret ${tenantSecretName(plain, proxyOff)}`,
    ]);
    expect(changesOf(changes, "tenants").join("\n")).not.toMatch(/read-only|extension/);
  });

  it("suspend: role NOLOGIN with limit 0, read-only group loses CONNECT, nothing else", () => {
    const suspended = { ...shop, state: "suspended" as const };
    const changes = describeTenantChange(env, shop, suspended, proxyOn);
    // The database keeps its limit: the master user (no superuser on RDS) must still reach it.
    expect(changes).toEqual([
      {
        stack: `${env}-tenants`,
        changes: [
          "~ role shop: login true -> false, connection limit 15 -> 0",
          `~ read-only role ${readOnlyRoleName(shop)}: CONNECT granted -> revoked`,
        ],
      },
    ]);
  });

  it("retire: as suspend, and the RDS Proxy auth entry goes", () => {
    const retired = { ...shop, state: "retired" as const };
    const changes = describeTenantChange(env, shop, retired, proxyOn);
    expect(changesOf(changes, "platform")).toEqual([
      "- RDS Proxy auth entry (the tenant can no longer connect through the proxy)",
    ]);
    expect(changesOf(changes, "tenants")).toHaveLength(2);
    // Without a proxy there is nothing to remove from it.
    expect(changesOf(describeTenantChange(env, shop, retired, proxyOff), "platform")).toEqual([]);
  });

  it("activate after suspend restores the limit", () => {
    const suspended = { ...shop, state: "suspended" as const };
    const changes = describeTenantChange(env, suspended, shop, proxyOn);
    expect(changesOf(changes, "tenants")).toContain(
      "~ role shop: login false -> true, connection limit 0 -> 15",
    );
  });

  it("drop destroys the database (loudly), the role and the secret", () => {
    const dropped = { ...shop, state: "dropped" as const, confirmDrop: "shop_prod" };
    const changes = describeTenantChange(env, shop, dropped, proxyOn);
    const tenants = changesOf(changes, "tenants");
    expect(tenants).toContain("- database shop_prod (DESTROYED: data lost unless backed up)");
    expect(tenants).toContain("- role shop");
    expect(changesOf(changes, "platform")).toContain(
      `- Secrets Manager secret ${tenantSecretName(shop, proxyOn)} (deletion scheduled, recoverable during its recovery window)`,
    );
    expect(changes.flatMap((c) => c.changes).every((l) => l.startsWith("- "))).toBe(true);
  });

  it("a database rename is refused, and nothing else is described", () => {
    const renamed = { ...shop, database: "shop_new" };
    expect(describeTenantChange(env, shop, renamed, proxyOn)).toEqual([
      {
        stack: `${env}-tenants`,
        changes: [`! database shop_prod -> shop_new: ${DATABASE_RENAMED_NOTE}`],
      },
    ]);
  });

  it("turning the proxy on rotates the password because the connection target changed", () => {
    const changes = describeTenantChange(env, shop, shop, proxyOn, proxyOff);
    expect(changesOf(changes, "tenants")).toEqual([
      `~ secret value and role password of shop: password rotated because the connection target changed (instance:${proxyOff.database.port}/shop_prod -> proxy:5432/shop_prod)`,
    ]);
    expect(changesOf(changes, "platform")).toEqual(["+ RDS Proxy auth entry (proxy on)"]);
    // The same environment on both sides: nothing rotates.
    expect(describeTenantChange(env, shop, shop, proxyOn)).toEqual([]);
  });

  it("a removed entry destroys everything", () => {
    const tenants = changesOf(describeTenantChange(env, shop, undefined, proxyOn), "tenants");
    expect(tenants).toContain("- database shop_prod (DESTROYED: data lost unless backed up)");
  });

  it("a password rotation re-sends the write-only value", () => {
    const rotated = { ...shop, passwordVersion: 2 };
    expect(describeTenantChange(env, shop, rotated, proxyOn)).toEqual([
      {
        stack: `${env}-tenants`,
        changes: ["~ secret value and role password of shop: password version 1 -> 2"],
      },
    ]);
  });

  it("documentation fields change nothing", () => {
    const described = { ...shop, description: "now with a description", owner: "new-owner" };
    const changes = describeTenantChange(env, shop, described, proxyOn);
    expect(changes).toEqual([]);
    expect(formatStackChanges(changes)).toEqual([
      "no infrastructure change (only documentation fields)",
    ]);
  });

  it("says why suspended -> retired changes nothing without a proxy (not 'documentation fields')", () => {
    const suspended = { ...shop, state: "suspended" as const };
    const retired = { ...shop, state: "retired" as const };
    const changes = describeTenantChange(env, suspended, retired, proxyOff);
    expect(changes).toEqual([]);
    expect(formatStackChanges(changes, { before: "suspended", after: "retired", env })).toEqual([
      `no infrastructure change: suspended and retired differ only in the RDS Proxy's auth list, and ${env} has no proxy (proxy.enabled is off)`,
    ]);
  });
});
