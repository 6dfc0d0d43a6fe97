import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectionTarget, loadEnvironment } from "@pgforks/config";
import { credentialsVersion } from "@pgforks/tenants";
import { resolveTerraformBinary, TerraformHarness } from "@pgforks/terraform-harness";
import { type StackJson, synthesizeInto } from "./synth";

/**
 * The postgresql provider is not available offline, so `<env>-tenants` as a whole is never
 * validated here (`npm run validate` says so). Its AWS half is: the ephemeral master-credential
 * and password blocks, the write-only secret values, their credentials-version expressions (over
 * the secret ARN and host from the cross-stack remote state) and the remote state itself. This test
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

/** A reference to an output of the platform stack, as cdktf writes cross-stack references. */
const REMOTE_STATE_REFERENCE =
  /data\.terraform_remote_state\.[A-Za-z0-9_-]+\.outputs\.[A-Za-z0-9_-]+/g;

/** `${expr}` -> `expr`. */
const unwrap = (value: unknown) => String(value).replace(/^\$\{([\s\S]*)\}$/, "$1");

/**
 * Evaluates HCL expressions with a real `terraform console` (built-in functions only, so no
 * provider, no init) in `dir`; returns their values in order.
 */
function terraformEvaluate(dir: string, expressions: readonly string[]): unknown[] {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "cli.tfrc"), "");
  const result = spawnSync(resolveTerraformBinary(), ["console"], {
    cwd: dir,
    input: `jsonencode([${expressions.join(", ")}])\n`,
    env: { ...process.env, TF_CLI_CONFIG_FILE: join(dir, "cli.tfrc"), TF_IN_AUTOMATION: "1" },
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`terraform console failed: ${result.stderr}`);
  // The console prints the JSON as a quoted string.
  return JSON.parse(JSON.parse(result.stdout.trim()) as string) as unknown[];
}

describe("the AWS half of prod-tenants", () => {
  const dir = mkdtempSync(join(tmpdir(), "pgforks-tenants-aws-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("versions each tenant's credentials by an expression over the secret ARN and host from the platform", () => {
    const loaded = loadEnvironment("prod");
    const stacks = synthesizeInto(join(dir, "expr.out"), [loaded]);
    const stack = stacks["prod-tenants"] as StackJson;
    const resource = stack.resource as Record<string, Record<string, Record<string, unknown>>>;
    const secrets = Object.values(resource.aws_secretsmanager_secret_version ?? {});
    const roles = Object.values(resource.postgresql_role ?? {}).filter(
      (r) => r.password_wo_version !== undefined,
    );
    expect(secrets.length).toBeGreaterThan(0);
    expect(roles).toHaveLength(secrets.length);
    const host = loaded.environment.proxy.enabled ? "endpoint" : "address";
    for (const secret of secrets) {
      const version = unwrap(secret.secret_string_wo_version);
      const references = [...new Set(version.match(REMOTE_STATE_REFERENCE))];
      // The secret's own ARN (its secret_id) and the host, nothing from the postgresql provider.
      expect(references).toHaveLength(2);
      expect(references).toContain(unwrap(secret.secret_id));
      expect(references.find((r) => r !== unwrap(secret.secret_id))).toMatch(
        new RegExp(`${host}$`),
      );
      expect(version).not.toMatch(/postgresql_/);
      // Exactly one role carries the same expression, as a string.
      expect(
        roles.filter((r) => r.password_wo_version === `\${tostring(${version})}`),
      ).toHaveLength(1);
    }
  });

  it("evaluates with real Terraform to the integer credentialsVersion computes, and moves with ARN and host", () => {
    const loaded = loadEnvironment("prod");
    const stacks = synthesizeInto(join(dir, "eval.out"), [loaded]);
    const resource = (stacks["prod-tenants"] as StackJson).resource as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    const tenant = loaded.tenants.find((t) => t.state === "active");
    if (!tenant) throw new Error("prod has no active tenant");
    const secret = Object.values(resource.aws_secretsmanager_secret_version ?? {}).find((s) =>
      String(s.secret_id).includes(`tenant-secrets_${tenant.name}_`),
    );
    const role = Object.values(resource.postgresql_role ?? {}).find((r) => r.name === tenant.name);
    if (!secret || !role) throw new Error(`no secret version or role for ${tenant.name}`);
    const arnRef = unwrap(secret.secret_id);
    const version = unwrap(secret.secret_string_wo_version);
    const hostRef = [...new Set(version.match(REMOTE_STATE_REFERENCE))].find((r) => r !== arnRef);
    if (!hostRef) throw new Error("no host reference");
    const arn = `arn:aws:secretsmanager:${loaded.environment.region}:${loaded.environment.account}:secret:pgforks/tenants/${tenant.name}-AbCdEf`;
    const host = `pgforks-prod.proxy-c1a2b3.${loaded.environment.region}.rds.amazonaws.com`;
    const withValues = (expression: string, a: string, h: string) =>
      expression.replaceAll(arnRef, JSON.stringify(a)).replaceAll(hostRef, JSON.stringify(h));
    const [base, newArn, newHost, roleVersion] = terraformEvaluate(join(dir, "console"), [
      withValues(version, arn, host),
      withValues(version, arn.replace(/-AbCdEf$/, "-ZyXwVu"), host),
      withValues(version, arn, host.replace("c1a2b3", "d4e5f6")),
      withValues(unwrap(role.password_wo_version), arn, host),
    ]);
    const expected = credentialsVersion({
      passwordVersion: tenant.passwordVersion,
      target: connectionTarget(loaded.environment, tenant),
      secretArn: arn,
      host,
    });
    expect(base).toBe(expected);
    expect(Number.isSafeInteger(base)).toBe(true);
    expect(Math.floor(Number(base) / 1e9)).toBe(tenant.passwordVersion);
    expect(roleVersion).toBe(String(expected)); // no exponent, no decimals
    expect(newArn).not.toBe(base);
    expect(newHost).not.toBe(base);
  }, 60_000);

  it("passes real terraform validate (ephemeral resources, write-only secret values, remote state)", async () => {
    const outdir = join(dir, "cdktf.out");
    const stacks = synthesizeInto(outdir, [loadEnvironment("prod")]);
    const half = awsHalf(stacks["prod-tenants"] as StackJson);
    expect(JSON.stringify(half)).not.toMatch(/postgresql_/);
    expect(Object.keys(half.ephemeral ?? {}).sort()).toEqual([
      "aws_secretsmanager_random_password",
      "aws_secretsmanager_secret_version",
    ]);
    // The credentials versions stay in, over remote state only, so validate type-checks them.
    const versions = Object.values(
      (half.resource as Record<string, Record<string, Record<string, unknown>>>)
        .aws_secretsmanager_secret_version ?? {},
    ).map((v) => String(v.secret_string_wo_version));
    expect(versions.length).toBeGreaterThan(0);
    for (const version of versions) {
      expect(version).toMatch(/^\$\{\(\d+ \+ parseint\(substr\(sha256\(join\(/);
      expect(version.match(REMOTE_STATE_REFERENCE)).toHaveLength(2);
    }
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
