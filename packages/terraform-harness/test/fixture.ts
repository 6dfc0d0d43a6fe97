// Test-only: a tiny cdktf app shaped like the real one (an AWS platform stack with an S3 backend,
// a tenants stack on the postgresql provider reading the platform's outputs). Not exported.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Database } from "@cdktf/provider-postgresql/lib/database";
import { PostgresqlProvider } from "@cdktf/provider-postgresql/lib/provider";
import { App, DataResource, S3Backend, TerraformOutput, TerraformStack } from "cdktf";

/** Account id used by the fixture (AWS documentation's example account). */
export const FIXTURE_ACCOUNT = "123456789012";
/** Region used by the fixture. */
export const FIXTURE_REGION = "eu-west-1";

/** A fresh temp directory under the OS temp dir. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tf-harness-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Every folder tempDir made in this test file; all removed when the file's tests are done. */
const created: string[] = [];
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Synthesizes `<prefix>-platform` (AWS: VPC, KMS key, terraform_data; S3 backend) and
 * `<prefix>-tenants` (postgresql: one database) into a new temp outdir, and returns it. With
 * `broken`, also `<prefix>-broken`: a KMS key with a deletion window the provider rejects.
 */
export function synthFixture(prefix = "dev", options: { broken?: boolean } = {}): string {
  const outdir = join(tempDir("synth"), "cdktf.out");
  const app = new App({ outdir });

  const platform = new TerraformStack(app, `${prefix}-platform`);
  new AwsProvider(platform, "aws", {
    region: FIXTURE_REGION,
    allowedAccountIds: [FIXTURE_ACCOUNT],
    profile: "pgforks-deploy",
  });
  new S3Backend(platform, {
    bucket: "pgforks-state",
    key: `${prefix}/platform.tfstate`,
    region: FIXTURE_REGION,
    encrypt: true,
    kmsKeyId: `arn:aws:kms:${FIXTURE_REGION}:${FIXTURE_ACCOUNT}:alias/pgforks-state`,
  });
  // cdktf 0.21's S3BackendConfig has no useLockfile (S3-native locking, Terraform >= 1.10).
  platform.addOverride("terraform.backend.s3.use_lockfile", true);
  const vpc = new Vpc(platform, "vpc", { cidrBlock: "10.42.0.0/16", enableDnsHostnames: true });
  new KmsKey(platform, "key", { description: "fixture key", enableKeyRotation: true });
  new DataResource(platform, "marker", { input: { vpc: vpc.id } });
  new TerraformOutput(platform, "vpc_id", { value: vpc.id });

  const tenants = new TerraformStack(app, `${prefix}-tenants`);
  new S3Backend(tenants, {
    bucket: "pgforks-state",
    key: `${prefix}/tenants.tfstate`,
    region: FIXTURE_REGION,
    encrypt: true,
  });
  // A cross-stack reference: cdktf turns it into a terraform_remote_state data source.
  new PostgresqlProvider(tenants, "postgresql", { host: vpc.id, superuser: false });
  new Database(tenants, "db", { name: "fork_a" });

  if (options.broken) {
    const broken = new TerraformStack(app, `${prefix}-broken`);
    new AwsProvider(broken, "aws", { region: FIXTURE_REGION });
    // The AWS API (and the provider's validation) allow 7-30 days (KMS ScheduleKeyDeletion).
    new KmsKey(broken, "key", { deletionWindowInDays: 2 });
  }

  app.synth();
  return outdir;
}

/** Platform the fake mirrors are made for. */
export const FIXTURE_PLATFORM = "linux_amd64";

/** Creates <mirror>/<host>/<ns>/<type>/<version>/<platform>/terraform-provider-<type>_v<version>_x5. */
export function addUnpacked(
  mirror: string,
  source: string,
  version: string,
  platform = FIXTURE_PLATFORM,
): void {
  const type = source.split("/")[2] ?? "";
  const dir = join(mirror, source, version, platform);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `terraform-provider-${type}_v${version}_x5`), "#!/bin/sh\n");
}

/** A fake mirror: hashicorp/aws 5.100.0 and 5.99.1 for linux_amd64, hashicorp/random for darwin_arm64 only. */
export function fakeMirror(): string {
  const mirror = tempDir("mirror");
  addUnpacked(mirror, "registry.terraform.io/hashicorp/aws", "5.100.0");
  addUnpacked(mirror, "registry.terraform.io/hashicorp/aws", "5.99.1");
  addUnpacked(mirror, "registry.terraform.io/hashicorp/random", "3.7.2", "darwin_arm64");
  return mirror;
}
