import { environmentFixture, tenantFixture } from "@pgforks/testing";
import {
  connectionTarget,
  connectionTargetFingerprint,
  credentialsVersion,
  describeConnectionTarget,
  fnv1a32,
  MAX_PASSWORD_VERSION,
  TARGET_FINGERPRINT_MODULUS,
} from "./credentials";

const shop = tenantFixture({ name: "shop", database: "shop_prod" });

describe("connectionTarget", () => {
  it("points at the proxy on 5432 when it is on, whatever the instance port", () => {
    const env = environmentFixture({ proxy: { enabled: true }, database: { port: 6543 } });
    expect(connectionTarget(env, shop)).toEqual({ proxy: true, port: 5432, database: "shop_prod" });
    expect(describeConnectionTarget(connectionTarget(env, shop))).toBe("proxy:5432/shop_prod");
  });

  it("points at the instance port when the proxy is off", () => {
    const env = environmentFixture({ proxy: { enabled: false }, database: { port: 6543 } });
    expect(describeConnectionTarget(connectionTarget(env, shop))).toBe("instance:6543/shop_prod");
  });
});

describe("credentialsVersion", () => {
  const target = { proxy: true, port: 5432, database: "shop_prod" };

  it("hashes with 32-bit FNV-1a (published test vectors)", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
  });

  it("keeps passwordVersion readable in the leading digits", () => {
    const v = credentialsVersion(7, target);
    expect(Math.floor(v / TARGET_FINGERPRINT_MODULUS)).toBe(7);
    expect(v % TARGET_FINGERPRINT_MODULUS).toBe(connectionTargetFingerprint(target));
  });

  it("changes with passwordVersion and with each part of the target, and only with them", () => {
    const base = credentialsVersion(1, target);
    expect(credentialsVersion(1, { ...target })).toBe(base);
    for (const other of [
      credentialsVersion(2, target),
      credentialsVersion(1, { ...target, proxy: false }),
      credentialsVersion(1, { ...target, port: 5433 }),
      credentialsVersion(1, { ...target, database: "shop_v2" }),
    ]) {
      expect(other).not.toBe(base);
    }
  });

  it("stays an exact integer up to MAX_PASSWORD_VERSION and refuses more", () => {
    expect(Number.isSafeInteger(credentialsVersion(MAX_PASSWORD_VERSION, target))).toBe(true);
    expect(() => credentialsVersion(MAX_PASSWORD_VERSION + 1, target)).toThrow(/passwordVersion/);
    expect(() => credentialsVersion(0, target)).toThrow(/passwordVersion/);
  });
});
