import { environmentFixture, tenantFixture } from "@pgforks/testing";
import { Fn, TerraformOutput, TerraformVariable, Testing } from "cdktf";
import {
  CREDENTIALS_HASH_LIMIT,
  connectionTarget,
  credentialsHashParts,
  credentialsVersion,
  credentialsVersionExpression,
  describeConnectionTarget,
  MAX_PASSWORD_VERSION,
  PASSWORD_VERSION_SCALE,
} from "../src/credentials";

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

describe("credentialsVersion (the value Terraform computes)", () => {
  const input = {
    passwordVersion: 1,
    target: { proxy: true, port: 5432, database: "fintech_experiment" },
    secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf",
    host: "h.example",
  };

  it("matches Terraform 1.11's own evaluation of the expression", () => {
    // `terraform console`: 1000000000 + parseint(substr(sha256(join("|", ["proxy:5432/fintech_experiment",
    // "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf", "h.example"])), 0, 7), 16)
    expect(credentialsVersion(input)).toBe(1043846339);
  });

  it("keeps passwordVersion readable in the leading digits, the hash below 16^7", () => {
    const v = credentialsVersion({ ...input, passwordVersion: 7 });
    expect(Math.floor(v / PASSWORD_VERSION_SCALE)).toBe(7);
    expect(v % PASSWORD_VERSION_SCALE).toBeLessThan(CREDENTIALS_HASH_LIMIT);
    expect(CREDENTIALS_HASH_LIMIT).toBe(268_435_456);
    expect(CREDENTIALS_HASH_LIMIT).toBeLessThan(PASSWORD_VERSION_SCALE);
  });

  it("changes with passwordVersion, each part of the target, the secret ARN and the host", () => {
    const base = credentialsVersion(input);
    expect(credentialsVersion({ ...input, target: { ...input.target } })).toBe(base);
    const others = [
      credentialsVersion({ ...input, passwordVersion: 2 }),
      credentialsVersion({ ...input, target: { ...input.target, proxy: false } }),
      credentialsVersion({ ...input, target: { ...input.target, port: 5433 } }),
      credentialsVersion({ ...input, target: { ...input.target, database: "fintech_v2" } }),
      credentialsVersion({ ...input, secretArn: `${input.secretArn.slice(0, -6)}ZyXwVu` }),
      credentialsVersion({ ...input, host: "h2.example" }),
    ];
    for (const other of others) expect(other).not.toBe(base);
  });

  it("stays an exact integer up to MAX_PASSWORD_VERSION and refuses more", () => {
    expect(MAX_PASSWORD_VERSION * PASSWORD_VERSION_SCALE + CREDENTIALS_HASH_LIMIT - 1).toBeLessThan(
      2 ** 53,
    );
    expect(
      Number.isSafeInteger(credentialsVersion({ ...input, passwordVersion: MAX_PASSWORD_VERSION })),
    ).toBe(true);
    for (const bad of [MAX_PASSWORD_VERSION + 1, 0, 1.5]) {
      expect(() => credentialsVersion({ ...input, passwordVersion: bad })).toThrow(
        /passwordVersion/,
      );
      expect(() => credentialsVersionExpression({ ...input, passwordVersion: bad })).toThrow(
        /passwordVersion/,
      );
    }
  });
});

describe("credentialsVersionExpression", () => {
  it("hashes the target, the secret ARN and the host as Terraform references, at plan time", () => {
    const json = JSON.parse(
      Testing.synthScope((scope) => {
        const arn = new TerraformVariable(scope, "arn", { type: "string" });
        const host = new TerraformVariable(scope, "host", { type: "string" });
        new TerraformOutput(scope, "version", {
          value: credentialsVersionExpression({
            passwordVersion: 3,
            target: { proxy: false, port: 5433, database: "shop_prod" },
            secretArn: arn.stringValue,
            host: host.stringValue,
          }),
        });
      }),
    ) as { output: Record<string, { value: string }> };
    expect(json.output.version?.value).toBe(
      `\${(3000000000 + parseint(substr(sha256(join("|", ["instance:5433/shop_prod", var.arn, var.host])), 0, 7), 16))}`,
    );
    expect(
      credentialsHashParts({
        target: { proxy: true, port: 5432, database: "d" },
        secretArn: "a",
        host: "h",
      }),
    ).toEqual(["proxy:5432/d", "a", "h"]);
  });

  it("refuses to evaluate tokens in JavaScript (Terraform knows them only at plan time)", () => {
    expect(() =>
      credentialsVersion({
        passwordVersion: 1,
        target: { proxy: true, port: 5432, database: "d" },
        secretArn: Fn.lower("ARN"),
        host: "h",
      }),
    ).toThrow(/literal secretArn and host/);
  });
});
