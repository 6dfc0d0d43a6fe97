import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Role } from "@cdktf/provider-postgresql/lib/role";
import { connectionTarget, loadEnvironment } from "@pgforks/config";
import { credentialsVersion } from "@pgforks/tenants";
import {
  discoverProviderMirror,
  resolveTerraformBinary,
  TerraformHarness,
} from "@pgforks/terraform-harness";
import { testWhen } from "@pgforks/testing";
import { App } from "cdktf";
import { composeEnvironment } from "../src/compose";
import { type StackJson, synthesizeInto } from "../src/synth";

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

describe("the credentials version of prod-tenants", () => {
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
});

const validateWith = testWhen(postgresqlProviderMissing());

/** Why the real postgresql provider is not usable here, or undefined. */
function postgresqlProviderMissing(): string | undefined {
  const mirror = discoverProviderMirror();
  return mirror.providers.some((p) => p.source === "registry.terraform.io/cyrilgdn/postgresql")
    ? undefined
    : `registry.terraform.io/cyrilgdn/postgresql is not in ${mirror.path} (tools/providers/install.sh)`;
}

describe("every tenants stack, as synthesized, under real terraform validate with the real providers", () => {
  const dir = mkdtempSync(join(tmpdir(), "pgforks-tenants-validate-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  validateWith(
    "dev-tenants, staging-tenants and prod-tenants are valid",
    async () => {
      const outdir = join(dir, "cdktf.out");
      synthesizeInto(
        outdir,
        ["dev", "staging", "prod"].map((name) => loadEnvironment(name)),
      );
      const harness = new TerraformHarness({ outdir, workDir: join(dir, "harness") });
      for (const name of ["dev-tenants", "staging-tenants", "prod-tenants"]) {
        const report = await harness.check(name);
        expect({ name, status: report.status, error: report.error }).toEqual({
          name,
          status: "passed",
          error: undefined,
        });
        expect(report.validate?.valid).toBe(true);
      }
    },
    300_000,
  );

  validateWith(
    "a tenants stack with a configuration error fails validate",
    async () => {
      const outdir = join(dir, "broken.out");
      const loaded = loadEnvironment("staging");
      const app = new App({ outdir, stackTraces: false });
      const stacks = composeEnvironment(app, loaded);
      // A construct-level mistake: a value the provider's schema refuses (the tenants' own roles
      // are rendered blocks, so a construct of the binding added to the stack carries it).
      new Role(stacks.tenants, "broken-role", { name: "broken" }).addOverride(
        "connection_limit",
        "many",
      );
      app.synth();
      const harness = new TerraformHarness({ outdir, workDir: join(dir, "broken-harness") });
      const report = await harness.check("staging-tenants");
      expect(report.status).toBe("failed");
      expect(report.error).toMatch(/connection_limit/);
    },
    300_000,
  );
});
