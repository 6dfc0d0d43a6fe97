import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnvironment } from "@pgforks/config";
import { TerraformHarness } from "@pgforks/terraform-harness";
import { type StackJson, synthesizeInto } from "./synth";

/**
 * The postgresql provider is not available offline, so `<env>-tenants` as a whole is never
 * validated here (`npm run validate` says so). Its AWS half is: the ephemeral master-credential
 * and password blocks, the write-only secret values and the cross-stack remote state. This test
 * strips the postgresql provider and resources from a copy (replacing the role/database names
 * the secret JSON reads with literals) and runs real `terraform validate` on the rest, so a wrong
 * ephemeral or write-only argument fails here rather than in CI.
 */
const POSTGRES_REFERENCE = /postgresql_[a-z_]+\.[A-Za-z0-9_-]+\.name/g;

function awsHalf(stack: StackJson): StackJson {
  const copy = JSON.parse(
    JSON.stringify(stack).replace(POSTGRES_REFERENCE, '\\"literal_name\\"'),
  ) as {
    terraform: { required_providers: Record<string, unknown> };
    provider: Record<string, unknown>;
    moved?: unknown;
    "//"?: { metadata?: { moved?: unknown } };
    resource: Record<string, Record<string, { depends_on?: string[] }>>;
  };
  delete copy.terraform.required_providers.postgresql;
  delete copy.provider.postgresql;
  // moved blocks of the postgresql resources (addresses keyed by tenant name) go with them.
  delete copy.moved;
  delete copy["//"]?.metadata?.moved;
  for (const type of Object.keys(copy.resource)) {
    if (type.startsWith("postgresql_")) delete copy.resource[type];
  }
  for (const byName of Object.values(copy.resource)) {
    for (const body of Object.values(byName)) {
      if (body.depends_on)
        body.depends_on = body.depends_on.filter((d) => !d.startsWith("postgresql_"));
    }
  }
  return copy as unknown as StackJson;
}

describe("the AWS half of prod-tenants", () => {
  const dir = mkdtempSync(join(tmpdir(), "pgforks-tenants-aws-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("passes real terraform validate (ephemeral resources, write-only secret values, remote state)", async () => {
    const outdir = join(dir, "cdktf.out");
    const stacks = synthesizeInto(outdir, [loadEnvironment("prod")]);
    const half = awsHalf(stacks["prod-tenants"] as StackJson);
    expect(JSON.stringify(half)).not.toMatch(/postgresql_/);
    expect(Object.keys(half.ephemeral ?? {}).sort()).toEqual([
      "aws_secretsmanager_random_password",
      "aws_secretsmanager_secret_version",
    ]);
    const name = "prod-tenants-aws-half";
    mkdirSync(join(outdir, "stacks", name), { recursive: true });
    writeFileSync(join(outdir, "stacks", name, "cdk.tf.json"), JSON.stringify(half));
    const manifestFile = join(outdir, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
    manifest.stacks[name] = {
      ...manifest.stacks["prod-tenants"],
      name,
      constructPath: name,
      synthesizedStackPath: `stacks/${name}/cdk.tf.json`,
      workingDirectory: `stacks/${name}`,
    };
    writeFileSync(manifestFile, JSON.stringify(manifest));

    const harness = new TerraformHarness({ outdir, workDir: join(dir, "harness") });
    const result = await harness.validate(name);
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.valid).toBe(true);
  }, 120_000);
});
