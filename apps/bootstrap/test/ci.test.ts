import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnvironment } from "@pgforks/config";
import { synthesizeInMemory } from "@pgforks/stacks";
import {
  canonicalJson,
  ciEnvironmentOutputs,
  compareSynth,
  formatGithubOutputs,
  remoteOutputsReadBy,
  stacksToPlan,
  tenantsReadiness,
} from "../src/ci";
import { type CiRequest, parseChanges, runCi } from "../src/ci-cli";

const prod = loadEnvironment("prod");
const stacks = synthesizeInMemory([prod]);
const tenantsJson = stacks["prod-tenants"];
const tmp = mkdtempSync(join(tmpdir(), "pgforks-ci-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Writes a fake cdktf outdir with the given stacks. */
function outdir(name: string, content: Record<string, unknown>): string {
  const dir = join(tmp, name);
  for (const [stack, json] of Object.entries(content)) {
    mkdirSync(join(dir, "stacks", stack), { recursive: true });
    writeFileSync(join(dir, "stacks", stack, "cdk.tf.json"), JSON.stringify(json));
  }
  return dir;
}

/** Platform outputs as `terraform output -json` prints them, for every output the platform declares. */
function appliedOutputs(except: (name: string) => boolean = () => false) {
  const declared = Object.keys((stacks["prod-platform"]?.output ?? {}) as Record<string, unknown>);
  return Object.fromEntries(
    declared
      .filter((name) => !except(name))
      .map((name) => [
        name,
        {
          value:
            name === "bastion_instance_id"
              ? "i-0abc"
              : name === "database_address"
                ? "db.internal"
                : "x",
        },
      ]),
  );
}

function cli(request: CiRequest) {
  let out = "";
  let err = "";
  const code = runCi(request, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe("environment facts for the workflows", () => {
  it("derives account, roles, stacks and ports from environments/prod", () => {
    expect(ciEnvironmentOutputs(prod)).toEqual({
      environment: "prod",
      account: prod.environment.account,
      region: "us-east-1",
      state_bucket: prod.environment.stateBackend.bucket,
      state_region: prod.environment.stateBackend.region,
      plan_role_arn: `arn:aws:iam::${prod.environment.account}:role/pgforks-prod-terraform-plan`,
      tenants_plan_role_arn: `arn:aws:iam::${prod.environment.account}:role/pgforks-prod-terraform-tenants-plan`,
      apply_role_arn: `arn:aws:iam::${prod.environment.account}:role/pgforks-prod-terraform-apply`,
      role_session_name: "pgforks-ci",
      github_environment: "prod",
      platform_stack: "prod-platform",
      tenants_stack: "prod-tenants",
      bastion: "true",
      database_port: String(prod.environment.database.port),
      tunnel_local_port: String(prod.environment.tunnel?.localPort),
      database_instances: "pgforks-prod",
      instance_class: prod.environment.database.instanceClass,
      availability_zones: "use1-az1 use1-az2 use1-az4",
      bastion_availability_zone: "use1-az1",
      bastion_instance_type: "t4g.nano",
    });
  });

  it("lists the replicas after the primary as the instances to wait for and reboot", () => {
    const withReplica = {
      ...prod,
      environment: {
        ...prod.environment,
        database: { ...prod.environment.database, readReplicas: [{ name: "reporting" }] },
      },
    };
    expect(ciEnvironmentOutputs(withReplica).database_instances).toBe(
      "pgforks-prod pgforks-prod-reporting",
    );
  });

  it("prints GITHUB_OUTPUT lines and refuses values that would inject more", () => {
    expect(formatGithubOutputs({ a: "1", b_c: "x y" })).toBe("a=1\nb_c=x y\n");
    expect(() => formatGithubOutputs({ a: "1\nplan_role_arn=evil" })).toThrow(/spans lines/);
    expect(() => formatGithubOutputs({ "a=b": "1" })).toThrow(/bad output name/);
  });

  it("answers `env`, and fails on an unknown environment", () => {
    const ok = cli({ command: "env", env: "prod" });
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("plan_role_arn=arn:aws:iam::");
    const bad = cli({ command: "env", env: "nope" });
    expect(bad.code).toBe(1);
    expect(bad.out).toBe("");
    expect(bad.err).toMatch(/nope/);
  });
});

describe("which stacks changed", () => {
  const base = outdir("base", {
    "prod-platform": { resource: { a: { x: 1, y: 2 } } },
    "prod-tenants": { resource: { t: 1 } },
    "old-stack": {},
  });

  it("compares canonical JSON: key order is not a change, a value is", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,1]},"b":1}',
    );
    const head = outdir("head", {
      "prod-platform": { resource: { a: { y: 2, x: 1 } } },
      "prod-tenants": { resource: { t: 2 } },
      "new-stack": {},
    });
    expect(compareSynth(base, head)).toEqual({
      "prod-platform": "unchanged",
      "prod-tenants": "changed",
      "new-stack": "added",
      "old-stack": "removed",
    });
  });

  it("plans everything when the base did not synthesize", () => {
    const head = outdir("head2", { "prod-platform": {}, "prod-tenants": {} });
    expect(compareSynth(undefined, head)).toEqual({
      "prod-platform": "added",
      "prod-tenants": "added",
    });
    expect(compareSynth(join(tmp, "missing"), head)).toEqual({
      "prod-platform": "added",
      "prod-tenants": "added",
    });
    expect(() => compareSynth(base, join(tmp, "missing"))).toThrow(/no synthesized stacks/);
  });

  it("turns the comparison into per-environment plan targets", () => {
    expect(stacksToPlan({ "prod-platform": "unchanged", "prod-tenants": "changed" }, prod)).toEqual(
      {
        platform: false,
        tenants: true,
      },
    );
    expect(stacksToPlan({ "prod-platform": "added", "dev-tenants": "changed" }, prod)).toEqual({
      platform: true,
      tenants: false,
    });
    const out = cli({
      command: "plan-targets",
      env: "prod",
      changes: parseChanges('{"prod-platform":"changed"}'),
    });
    expect(out.out).toBe("platform=true\ntenants=false\n");
    const changed = cli({
      command: "changed",
      base,
      head: outdir("head3", { "prod-platform": {} }),
    });
    expect(changed.out).toMatch(/^changes=\{.*"prod-platform":"changed".*\}\n$/);
  });
});

describe("can the tenants stack be planned now?", () => {
  it("reads the platform outputs the real prod-tenants stack references", () => {
    const read = remoteOutputsReadBy(tenantsJson);
    expect(read.length).toBeGreaterThan(3);
    expect(read.every((name) => name.startsWith("cross-stack-output-"))).toBe(true);
    expect(read.filter((name) => name.includes("tenant-secrets"))).toHaveLength(
      prod.tenants.filter((t) => t.state !== "dropped").length,
    );
  });

  it("is ready when the applied platform has every output, and gives the tunnel target", () => {
    expect(tenantsReadiness(appliedOutputs(), tenantsJson)).toEqual({
      ready: true,
      missing: [],
      bastionInstanceId: "i-0abc",
      databaseAddress: "db.internal",
    });
  });

  it("is deferred when a new tenant's secret output is not applied yet", () => {
    const readiness = tenantsReadiness(
      appliedOutputs((name) => name.includes("tenant-secrets_healthtech")),
      tenantsJson,
    );
    expect(readiness.ready).toBe(false);
    expect(readiness.missing).toEqual([expect.stringContaining("tenant-secrets_healthtech")]);
  });

  it("answers `tenants-ready` on the command line", () => {
    const outputs = join(tmp, "outputs.json");
    const stack = join(tmp, "tenants.json");
    writeFileSync(outputs, JSON.stringify(appliedOutputs((n) => n.includes("fintech"))));
    writeFileSync(stack, JSON.stringify(tenantsJson));
    const result = cli({ command: "tenants-ready", outputs, stack });
    expect(result.code).toBe(0);
    expect(result.out).toMatch(
      /^ready=false\nmissing=cross-stack-output-\S*fintech\S*\nbastion_instance_id=i-0abc\ndatabase_address=db.internal\n$/,
    );
    expect(result.err).toContain("not applied yet");
  });
});

describe("the command line's inputs", () => {
  it("--changes takes the JSON object `changed` prints, and names what is wrong otherwise", () => {
    expect(parseChanges('{"prod-platform":"changed","dev-tenants":"added"}')).toEqual({
      "prod-platform": "changed",
      "dev-tenants": "added",
    });
    expect(() => parseChanges("{nope")).toThrow(/Expected JSON such as/);
    expect(() => parseChanges('["prod-platform"]')).toThrow(/Expected a JSON object/);
    expect(() => parseChanges('{"prod-platform":"gone"}')).toThrow(
      'prod-platform: found "gone", allowed added, changed, unchanged, removed.',
    );
  });

  // A missing file (ENOENT, one line naming it) is tested through the real command in
  // packages/cli: node's errors are not instances of Error inside a jest sandbox.
  it("tenants-ready: a malformed file is one line naming it, exit 1", () => {
    const broken = join(tmp, "broken.json");
    writeFileSync(broken, "{ not json");
    const malformed = cli({ command: "tenants-ready", outputs: broken, stack: broken });
    expect(malformed.code).toBe(1);
    expect(malformed.err).toMatch(/^\S*broken\.json: not JSON \(.*\)\n$/);
    expect(malformed.out).toBe("");
  });
});
