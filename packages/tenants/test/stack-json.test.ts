import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { PostgresqlProvider } from "@cdktf/provider-postgresql/lib/provider";
import { environmentFixture, synthApp, tenantFixture } from "@pgforks/testing";
import { App, TerraformOutput, TerraformStack, Testing } from "cdktf";
import stableStringify from "json-stable-stringify";
import { EphemeralVariableCredentials, SecretsManagerCredentials } from "../src/credential-sources";
import { TenantDatabases } from "../src/databases";
import { RenderedBlocksStack } from "../src/rendered-blocks";
import { TenantSecrets } from "../src/secrets";
import { stackJson } from "../src/stack-json";

/** What cdktf 0.21 writes for a stack's JSON (its StackSynthesizer). */
const library = (value: unknown) => stableStringify(value, { space: 2 });

const tenants = [
  tenantFixture({ name: "alpha", readOnlyRole: true, extensions: ["citext"] }),
  tenantFixture({ name: "bravo", state: "suspended" }),
  tenantFixture({ name: "delta", state: "dropped", confirmDrop: "delta" }),
];

/** Two stacks as the environments have them, rendered blocks and constructs mixed. */
function buildApp(app: App): RenderedBlocksStack[] {
  const platform = new RenderedBlocksStack(app, "platform");
  new AwsProvider(platform, "aws", { region: "us-east-1" });
  const secrets = new TenantSecrets(platform, "tenant-secrets", {
    environment: environmentFixture(),
    tenants,
    kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/abcd",
  });
  new TerraformOutput(platform, "empty", { value: {} });
  const stack = new RenderedBlocksStack(app, "tenants");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  new PostgresqlProvider(stack, "postgresql", { host: "db.example.com" });
  new TenantDatabases(stack, "tenants", {
    tenants,
    adminRole: "forks_admin",
    credentials: new SecretsManagerCredentials(stack, "credentials", {
      secretArns: secrets.secretArns,
      applicationHost: "db.example.com",
      applicationPort: 5432,
      connectionTarget: { proxy: false, port: 5432 },
    }),
  });
  const local = new RenderedBlocksStack(app, "local");
  new PostgresqlProvider(local, "postgresql", { host: "localhost" });
  new TenantDatabases(local, "tenants", {
    tenants,
    adminRole: "forks_admin",
    credentials: new EphemeralVariableCredentials(local, "credentials", {
      versions: { alpha: "1-abc", bravo: "1-abc" },
    }),
  });
  return [platform, stack, local];
}

describe("stackJson", () => {
  it("writes every stack's cdk.tf.json byte for byte as cdktf's json-stable-stringify would", () => {
    const outdir = Testing.app().outdir;
    const app = new App({ outdir, stackTraces: false });
    const stacks = buildApp(app);
    app.synth();
    for (const stack of stacks) {
      const written = readFileSync(join(outdir, "stacks", stack.node.id, "cdk.tf.json"), "utf8");
      expect(written).toBe(library(stack.toTerraform()));
      expect(written.length).toBeGreaterThan(1000);
    }
    // The placeholder cdktf's synthesizer got is never what is left on disk or in the manifest.
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks)).toEqual(["local", "platform", "tenants"]);
    expect(readFileSync(join(outdir, "stacks", "platform", "cdk.tf.json"), "utf8")).toContain(
      '"empty": {\n      "value": {\n      }\n    }',
    );
  });

  it("leaves a plain TerraformStack to cdktf", () => {
    const written = synthApp((app) => {
      new TerraformOutput(new TerraformStack(app, "plain"), "x", { value: "y" });
    });
    expect(written.plain).toMatchObject({ output: { x: { value: "y" } } });
  });

  it("agrees with the library on the edge cases", () => {
    const cases: unknown[] = [
      {},
      [],
      { a: {}, b: [], c: { d: { e: [] } }, f: [[], {}, [[]]] },
      { skipped: undefined, fn: () => 1, kept: null },
      { onlySkipped: { a: undefined } },
      [undefined, () => 1, null, 0, -0, 1e21, 1.5, true, "x"],
      { b: 1, a: 2, B: 3, _: 4, "a-b": 5, ä: 6, "😀": 7 },
      { "0": "a", "10": "b", "9": "c", x: "d" },
      { nested: { "1": [] } },
      { when: new Date(0) },
      { text: "\u0000pgforks-empty {} 3\u0000", other: {} },
      { text: `\u0000\u001f\u2028 " \\ \${file("x")} %{ for }` },
      "plain",
      42,
      null,
    ];
    for (const value of cases) expect(stackJson(value)).toBe(library(value));
  });

  it("agrees with the library on 3000 random documents", () => {
    // A fixed seed: the same documents on every run.
    let seed = 20261207;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const KEYS = ["a", "b", "A", "z", "0", "7", "12", "01", "a.b", "//", "-", "\u0000", "é", ""];
    const STRINGS = ["", "x", `\${a}`, '"', "\\", "\n", "\u0000pgforks-empty [] 1\u0000", "é😀"];
    const value = (depth: number): unknown => {
      const kind =
        depth > 4
          ? pick(["s", "n", "b", "z"])
          : pick(["s", "n", "b", "z", "o", "a", "o", "a", "u"]);
      switch (kind) {
        case "s":
          return pick(STRINGS);
        case "n":
          return pick([0, 1, -1, 0.5, 1e300, 123456789]);
        case "b":
          return random() < 0.5;
        case "z":
          return null;
        case "u":
          return undefined;
        case "a":
          return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
        default: {
          const object: Record<string, unknown> = {};
          for (let i = Math.floor(random() * 4); i > 0; i--) object[pick(KEYS)] = value(depth + 1);
          return object;
        }
      }
    };
    for (let i = 0; i < 3000; i++) {
      const document = { root: value(0) };
      expect(stackJson(document)).toBe(library(document));
    }
  });
});
