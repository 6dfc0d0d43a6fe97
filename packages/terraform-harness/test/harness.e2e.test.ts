// Runs the real Terraform binary offline against the provider mirror of this machine
// (PGFORKS_TF_MIRROR or a well-known mirror directory).
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { testWhen } from "@pgforks/testing";
import { runValidate } from "../src/command";
import { StackNotRunnableError, TerraformHarness } from "../src/harness";
import { addressesWithActions } from "../src/json-output";
import { discoverProviderMirror, type ProviderMirror } from "../src/mirror";
import { FAKE_AWS_ACCESS_KEY, FAKE_AWS_SECRET_KEY } from "../src/offline";
import { synthFixture, tempDir } from "./fixture";

jest.setTimeout(180_000);

const fullMirror = discoverProviderMirror();
const POSTGRESQL = "registry.terraform.io/cyrilgdn/postgresql";
const withPostgresqlProvider = testWhen(
  fullMirror.providers.some((p) => p.source === POSTGRESQL)
    ? undefined
    : `${POSTGRESQL} is not in ${fullMirror.path}`,
);

/** The machine's mirror without the postgresql provider (what a mirror lacking it looks like). */
function awsOnlyMirror(): ProviderMirror {
  return { ...fullMirror, providers: fullMirror.providers.filter((p) => p.source !== POSTGRESQL) };
}

let awsOnlyDir: string | undefined;
/** A filesystem mirror folder holding only hashicorp/aws (symlinks to the machine's binaries). */
function awsOnlyMirrorDir(): string {
  if (awsOnlyDir) return awsOnlyDir;
  const dir = tempDir("aws-only-mirror");
  const aws = join("registry.terraform.io", "hashicorp", "aws");
  for (const version of readdirSync(join(fullMirror.path, aws))) {
    const platformDir = join(aws, version, fullMirror.platform);
    mkdirSync(join(dir, platformDir), { recursive: true });
    for (const file of readdirSync(join(fullMirror.path, platformDir))) {
      symlinkSync(join(fullMirror.path, platformDir, file), join(dir, platformDir, file));
    }
  }
  awsOnlyDir = dir;
  return dir;
}
afterAll(() => {
  if (awsOnlyDir) rmSync(awsOnlyDir, { recursive: true, force: true });
});

/** Every file under `dir` with its bytes, to compare before and after. */
function snapshot(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (current: string) => {
    for (const entry of readdirSync(current)) {
      const path = join(current, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

describe("TerraformHarness against real Terraform", () => {
  const outdir = synthFixture("e2e");
  const workDir = tempDir("work");
  const before = snapshot(outdir);
  const harness = new TerraformHarness({ outdir, workDir });
  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
    rmSync(join(outdir, ".."), { recursive: true, force: true });
  });

  it("validates and plans the AWS stack offline: every resource is created", async () => {
    const validate = await harness.validate("e2e-platform");
    expect(validate.valid).toBe(true);
    expect(validate.timings.init).toBeGreaterThan(0);

    const { plan, changes, timings } = await harness.plan("e2e-platform");
    expect(addressesWithActions(plan, ["create"]).sort()).toEqual([
      "aws_kms_key.key",
      "aws_vpc.vpc",
      "terraform_data.marker",
    ]);
    expect(changes).toEqual({ add: 3, change: 0, destroy: 0, replace: 0 });
    expect(plan.output_changes?.vpc_id?.actions).toEqual(["create"]);
    expect(timings.plan).toBeGreaterThan(0);
    expect(timings.show).toBeGreaterThan(0);
    // Already initialised by validate: plan does not init again.
    expect(timings.init).toBeUndefined();
  });

  it("never modifies the outdir; only the offline copy has the local backend and fake credentials", () => {
    expect(snapshot(outdir)).toEqual(before);

    const original = JSON.parse(
      before.get(join("stacks", "e2e-platform", "cdk.tf.json"))?.toString() ?? "{}",
    );
    expect(Object.keys(original.terraform.backend)).toEqual(["s3"]);
    expect(JSON.stringify(original)).not.toContain(FAKE_AWS_ACCESS_KEY);

    const copy = JSON.parse(readFileSync(join(workDir, "e2e-platform", "cdk.tf.json"), "utf8"));
    expect(copy.terraform.backend).toEqual({
      local: { path: join(workDir, "e2e-platform", "terraform.tfstate") },
    });
    expect(copy.provider.aws[0]).toMatchObject({
      access_key: FAKE_AWS_ACCESS_KEY,
      secret_key: FAKE_AWS_SECRET_KEY,
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
    });
    expect(copy.provider.aws[0]).not.toHaveProperty("profile");
  });

  it("plans against a prior state: an existing resource is no longer created", async () => {
    const { plan } = await harness.plan("e2e-platform", {
      priorState: {
        version: 4,
        terraform_version: "1.11.4",
        serial: 1,
        lineage: "00000000-0000-4000-8000-000000000001",
        outputs: {},
        resources: [
          {
            mode: "managed",
            type: "terraform_data",
            name: "marker",
            provider: 'provider["terraform.io/builtin/terraform"]',
            instances: [
              {
                schema_version: 0,
                attributes: { id: "m-1", input: null, output: null, triggers_replace: null },
              },
            ],
          },
        ],
      },
    });
    expect(addressesWithActions(plan, ["create"])).not.toContain("terraform_data.marker");
    expect(
      plan.resource_changes?.find((r) => r.address === "terraform_data.marker")?.change.before,
    ).toMatchObject({
      id: "m-1",
    });
  });

  it("keeps provider schemas between harnesses; a torn file, or one lacking a type of the configuration, is asked again", async () => {
    const schemaCacheDir = tempDir("schema-cache");
    const fresh = () =>
      new TerraformHarness({ outdir, workDir: tempDir("schema-work"), schemaCacheDir });
    try {
      const schemas = await fresh().providerSchemas("e2e-platform");
      const aws = "registry.terraform.io/hashicorp/aws";
      expect(schemas.provider_schemas[aws]?.resource_schemas?.aws_vpc).toBeDefined();
      const [name, ...others] = readdirSync(schemaCacheDir);
      expect(others).toEqual([]);
      const file = join(schemaCacheDir, name as string);
      expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(schemas);

      // A second harness (another work dir) reads the file instead of asking Terraform.
      writeFileSync(file, JSON.stringify({ ...schemas, format_version: "kept" }));
      expect((await fresh().providerSchemas("e2e-platform")).format_version).toBe("kept");

      // A file whose providers lack a type the configuration declares (aws_vpc here) is stale.
      const { aws_vpc: _vpc, ...withoutVpc } =
        schemas.provider_schemas[aws]?.resource_schemas ?? {};
      writeFileSync(
        file,
        JSON.stringify({
          ...schemas,
          provider_schemas: {
            [aws]: { ...schemas.provider_schemas[aws], resource_schemas: withoutVpc },
          },
        }),
      );
      expect(await fresh().providerSchemas("e2e-platform")).toEqual(schemas);
      expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(schemas);

      writeFileSync(file, '{"format_version": "1.0", "provider_sch');
      expect(await fresh().providerSchemas("e2e-platform")).toEqual(schemas);
      expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(schemas);

      const uncached = new TerraformHarness({
        outdir,
        workDir: tempDir("schema-work"),
        schemaCacheDir: false,
      });
      rmSync(file);
      expect(await uncached.providerSchemas("e2e-platform")).toEqual(schemas);
      expect(existsSync(file)).toBe(false);
    } finally {
      rmSync(schemaCacheDir, { recursive: true, force: true });
    }
  });

  it("reports a postgresql stack as not validated, and refuses to run it, when the mirror lacks the provider", async () => {
    const awsOnly = new TerraformHarness({
      outdir,
      workDir: join(workDir, "aws-only"),
      mirror: awsOnlyMirror(),
    });
    const report = await awsOnly.check("e2e-tenants");
    expect(report.status).toBe("not-validated");
    expect(report.reason).toBe(
      "provider unavailable offline (registry.terraform.io/cyrilgdn/postgresql 1.26.0)",
    );
    await expect(awsOnly.validate("e2e-tenants")).rejects.toThrow(StackNotRunnableError);
  });

  withPostgresqlProvider(
    "validates a postgresql stack with the real provider and says why it is not planned offline",
    async () => {
      const report = await harness.check("e2e-tenants");
      expect(report.status).toBe("passed");
      expect(report.validate?.valid).toBe(true);
      expect(report.changes).toBeUndefined();
      expect(report.planNotOffline).toMatch(/needs a live database \(cyrilgdn\/postgresql\)/);
    },
  );
});

describe("validate CLI", () => {
  it("prints one line per stack, locates errors by construct path, and exits 1 on a failure", async () => {
    const outdir = synthFixture("cli", { broken: true });
    const out: string[] = [];
    const code = await runValidate(
      { synth: false, outdir, workDir: tempDir("cli-work") },
      {
        out: (text) => out.push(text),
        err: (text) => out.push(text),
        env: { ...process.env, PGFORKS_TF_MIRROR: awsOnlyMirrorDir() },
        cwd: process.cwd(),
      },
    );
    const text = out.join("\n");
    expect(code).toBe(1);
    expect(text).toMatch(/^cli-platform\s+validate ✓ {2}plan ✓ \(\+3 ~0 -0\) {2}\d+\.\ds/m);
    expect(text).toMatch(
      /^cli-tenants\s+not validated: provider unavailable offline \(registry\.terraform\.io\/cyrilgdn\/postgresql 1\.26\.0\)$/m,
    );
    expect(text).toMatch(/^cli-broken\s+validate ✗ \(1 error\(s\)\)/m);
    expect(text).toContain("deletion_window_in_days");
    expect(text).toContain("construct cli-broken/key");
    expect(text).toContain("terraform-harness summary: 1 passed, 1 failed, 1 NOT VALIDATED");
    expect(text).toMatch(/WARNING: 1 stack\(s\) were NOT validated .*: cli-tenants/);
  });
});
