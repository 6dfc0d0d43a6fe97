import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// The floors `npm run bench` compares must build the same Terraform: the merged-JSON floor
// (option B2 of docs/decisions/0001) is only a fair measure if its cdk.tf.json is cdktf's own.
const root = resolve(__dirname, "../../..");
const bench = join(root, "packages/testing/src/bench");
const tsx = join(root, "node_modules/.bin/tsx");

function synthesized(program: string, tenants: number, dir: string): unknown {
  const outdir = join(dir, program);
  const result = spawnSync(tsx, [join(bench, program), String(tenants), outdir], {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
  });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return JSON.parse(readFileSync(join(outdir, "stacks/floor/cdk.tf.json"), "utf8"));
}

describe("bench floors", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "pgforks-floors-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the merged-JSON floor writes exactly cdktf's JSON for the same tenants", () => {
    const constructs = synthesized("cdktf-floor.ts", 3, dir) as {
      resource: Record<string, object>;
    };
    expect(Object.keys(constructs.resource.postgresql_grant ?? {})).toHaveLength(6);
    expect(synthesized("cdktf-merged-floor.ts", 3, dir)).toEqual(constructs);
  }, 240_000);
});
