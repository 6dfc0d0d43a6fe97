// No config string can inject Terraform syntax: every string field of both schemas gets a
// template payload; the loader refuses it, or the synthesized JSON carries it escaped.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConfigError,
  type EnvironmentInput,
  environmentSchema,
  loadEnvironment,
  type TenantInput,
  tenantsFileSchema,
} from "@pgforks/config";
import { environmentInput } from "@pgforks/testing";
import { stringify } from "yaml";
import type { z } from "zod";
import { synthesizeInto } from "../src/synth";

// biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform template, on purpose
const PAYLOADS = ['${file("/etc/hostname")}', "%{ for x in [1] }x%{ endfor }"];
/** The payloads as Terraform would evaluate them: not preceded by their escape. */
const UNESCAPED = [/(^|[^$])\$\{file/, /(^|[^%])%\{ for/];

/** A path to a string field; KEY stands for "the first key of this record". */
const KEY = Symbol("record key");
type Step = string | number | typeof KEY;

/** Every string field of a zod schema, as paths (array items and record entries: the first). */
function stringPaths(schema: z.ZodType, prefix: Step[] = []): Step[][] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  switch (def.type) {
    case "string":
      return [prefix];
    case "optional":
    case "default":
    case "nullable":
      return stringPaths(def.innerType as z.ZodType, prefix);
    case "pipe":
      return stringPaths(def.in as z.ZodType, prefix);
    case "array":
      return stringPaths(def.element as z.ZodType, [...prefix, 0]);
    case "record":
      return [[...prefix, KEY], ...stringPaths(def.valueType as z.ZodType, [...prefix, "team"])];
    case "object":
      return Object.entries(def.shape as Record<string, z.ZodType>).flatMap(([key, value]) =>
        stringPaths(value, [...prefix, key]),
      );
    default:
      return [];
  }
}

/** A copy of `value` with `payload` at `path` (a record key is renamed). */
function withPayload(value: unknown, path: readonly Step[], payload: string): unknown {
  const copy = structuredClone(value) as Record<PropertyKey, unknown>;
  let node = copy;
  for (const step of path.slice(0, -2)) node = node[step as PropertyKey] as typeof node;
  const last = path.at(-1);
  if (last === KEY) {
    const parent = path.length >= 2 ? (node[path.at(-2) as PropertyKey] as typeof node) : node;
    const [key, v] = Object.entries(parent)[0] as [string, unknown];
    delete parent[key];
    parent[payload] = v;
  } else {
    if (path.length >= 2) node = node[path.at(-2) as PropertyKey] as typeof node;
    node[last as PropertyKey] = payload;
  }
  return copy;
}

/** Every optional string is present, so that each one is exercised. */
const environment: EnvironmentInput = {
  ...environmentInput(),
  tags: { team: "platform" },
  database: {
    instanceClass: "db.t4g.small",
    multiAz: true,
    deletionProtection: true,
    readReplicas: [{ name: "reader", availabilityZone: "use1-az1" }],
  },
  stateBackend: {
    bucket: "example-state-bucket",
    region: "us-east-1",
    keyPrefix: "pgforks/test",
    kmsKeyId: "alias/pgforks-tfstate",
  },
  tunnel: { localPort: 15432 },
  ci: { githubRepository: "example-org/example-repo", githubEnvironment: "test" },
};
const tenants: { tenants: TenantInput[] } = {
  tenants: [
    {
      name: "app",
      database: "app_db",
      owner: "team@example.com",
      description: "the app",
      extensions: ["citext"],
    },
    { name: "gone", owner: "other@example.com", state: "dropped", confirmDrop: "gone" },
  ],
};

const scratch = mkdtempSync(join(tmpdir(), "pgforks-injection-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const cases = [
  ...stringPaths(environmentSchema).map((path) => ({ file: "environment", path })),
  ...stringPaths(tenantsFileSchema).map((path) => ({ file: "tenants", path })),
].flatMap((c) => PAYLOADS.map((payload) => ({ ...c, payload })));
const show = (path: readonly Step[]) => path.map((s) => (s === KEY ? "<key>" : s)).join(".");

/** Which fields accepted a payload and carried it (escaped) into the JSON. */
const accepted: string[] = [];

describe("a Terraform template in any config string", () => {
  it("walks both schemas (a field added later is covered without a change here)", () => {
    const fields = cases.map((c) => `${c.file}:${show(c.path)}`);
    for (const field of [
      "environment:region",
      "environment:tags.<key>",
      "environment:tags.team",
      "environment:stateBackend.kmsKeyId",
      "environment:database.readReplicas.0.availabilityZone",
      "tenants:tenants.0.owner",
      "tenants:tenants.0.description",
    ]) {
      expect(fields).toContain(field);
    }
  });

  it("starts from a valid configuration (else every case would be refused)", () => {
    const dir = mkdtempSync(join(scratch, "base-"));
    mkdirSync(join(dir, "test"));
    writeFileSync(join(dir, "test", "environment.yaml"), stringify(environment));
    writeFileSync(join(dir, "test", "tenants.yaml"), stringify(tenants));
    expect(loadEnvironment("test", dir).tenants).toHaveLength(2);
  });

  it.each(cases.map((c) => [c.file, show(c.path), c.payload, c] as const))(
    "%s %s = %s is refused or reaches cdk.tf.json escaped",
    (_file, field, payload, c) => {
      const dir = mkdtempSync(join(scratch, "case-"));
      mkdirSync(join(dir, "test"));
      const env =
        c.file === "environment" ? withPayload(environment, c.path, payload) : environment;
      const ten = c.file === "tenants" ? withPayload(tenants, c.path, payload) : tenants;
      writeFileSync(join(dir, "test", "environment.yaml"), stringify(env));
      writeFileSync(join(dir, "test", "tenants.yaml"), stringify(ten));
      let loaded: ReturnType<typeof loadEnvironment>;
      try {
        loaded = loadEnvironment("test", dir);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return;
      }
      const stacks = synthesizeInto(join(dir, "cdktf.out"), [loaded]);
      const strings: string[] = [];
      const collect = (value: unknown): void => {
        if (typeof value === "string") strings.push(value);
        else if (value && typeof value === "object") {
          for (const [k, v] of Object.entries(value)) {
            strings.push(k);
            collect(v);
          }
        }
      };
      collect(stacks);
      for (const pattern of UNESCAPED) {
        expect(strings.filter((s) => pattern.test(s))).toEqual([]);
      }
      if (strings.some((s) => s.includes(payload.replace(/([$%])\{/g, "$1$1{")))) {
        accepted.push(field);
      }
    },
  );

  it("carries the free-text owner into the JSON, escaped (the check above is not vacuous)", () => {
    expect(accepted).toContain("tenants.0.owner");
  });
});
