import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import type { TenantConfig } from "@pgforks/config";
import { environmentFixture, synthApp, synthScope, tenantFixture } from "@pgforks/testing";
import { type App, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { DEFAULT_FOOTPRINT_SCOPES, intentOf, tenantFootprint } from "../src/footprint";
import { RenderedBlocksStack, terraformExpression } from "../src/rendered-blocks";
import {
  DEFAULT_SECRET_RECOVERY_WINDOW_DAYS,
  SECRET_RECOVERY_WINDOW_DAYS,
  TenantSecrets,
  type TenantSecretsProps,
} from "../src/secrets";

const KMS = "arn:aws:kms:us-east-1:123456789012:key/abcd";
const ENVIRONMENT = environmentFixture({
  project: "pgforks",
  name: "test",
  proxy: { enabled: true },
});

const allStates: TenantConfig[] = [
  tenantFixture({ name: "alpha" }),
  tenantFixture({ name: "bravo", state: "suspended" }),
  tenantFixture({ name: "charlie", state: "retired" }),
  tenantFixture({ name: "delta", state: "dropped", confirmDrop: "delta" }),
];

interface Synth {
  json: string;
  secrets: Record<string, Record<string, unknown>>;
  construct: TenantSecrets;
}

function synth(tenants: readonly TenantConfig[], extra: Partial<TenantSecretsProps> = {}): Synth {
  let construct: TenantSecrets | undefined;
  const { json, resource } = synthScope(
    (scope) => {
      construct = new TenantSecrets(scope, "tenant-secrets", {
        environment: ENVIRONMENT,
        tenants,
        kmsKeyArn: KMS,
        ...extra,
      });
    },
    (app) => new RenderedBlocksStack(app, "stack"),
  );
  if (!construct) throw new Error("not constructed");
  const secrets = (resource.aws_secretsmanager_secret ?? {}) as Record<
    string,
    Record<string, unknown>
  >;
  return { json, secrets, construct };
}

function secretNames(s: Synth): string[] {
  return Object.values(s.secrets)
    .map((r) => r.name as string)
    .sort();
}

/**
 * What TenantSecrets synthesized while each secret was a construct: one SecretsmanagerSecret per
 * tenant with a secret, at `tenant-secrets/<tenant>`, from the footprint's arguments. Returns the
 * ARNs by tenant.
 */
function secretConstructs(
  scope: Construct,
  tenants: readonly TenantConfig[],
  kmsKeyId: string,
  recoveryWindowInDays: number,
): Record<string, string> {
  const secrets = new Construct(scope, "tenant-secrets");
  const environment = { adminRole: ENVIRONMENT.database.masterUsername, aws: ENVIRONMENT };
  const scopes = { ...DEFAULT_FOOTPRINT_SCOPES, secrets: ["tenant-secrets"] };
  const arns: Record<string, string> = {};
  for (const tenant of tenants) {
    const intent = intentOf(tenantFootprint(tenant, environment, scopes, "platform"), "secret");
    if (intent?.state !== "present") continue;
    arns[tenant.name] = new SecretsmanagerSecret(secrets, tenant.name, {
      ...intent.args,
      kmsKeyId,
      recoveryWindowInDays,
      lifecycle: { preventDestroy: true },
    }).arn;
  }
  return arns;
}

/**
 * An app of a platform stack (a KMS key and the tenants' secrets, their ARNs as an output) and a
 * consumer stack that reads every ARN (cdktf's cross-stack references), secrets from `secrets`.
 */
function appWithSecrets(
  platformStack: (app: App) => TerraformStack,
  secrets: (platform: TerraformStack, key: KmsKey) => Record<string, string>,
) {
  return synthApp((app) => {
    const platform = platformStack(app);
    new AwsProvider(platform, "aws", { region: "us-east-1" });
    const key = new KmsKey(platform, "key", { description: "secrets" });
    const arns = secrets(platform, key);
    new TerraformOutput(platform, "tenant_secret_arns", { value: arns });
    const consumer = new TerraformStack(app, "consumer");
    new AwsProvider(consumer, "aws", { region: "us-east-1" });
    for (const [tenant, arn] of Object.entries(arns)) {
      new TerraformOutput(consumer, `arn_${tenant}`, { value: arn });
    }
  });
}

describe("TenantSecrets", () => {
  it("renders exactly what one SecretsmanagerSecret construct per tenant synthesizes, cross-stack references included", () => {
    const tenants = [
      ...allStates,
      tenantFixture({ name: "echo", owner: 'team "quoted" \\ example' }),
    ];
    const rendered = appWithSecrets(
      (app) => new RenderedBlocksStack(app, "platform"),
      (platform, key) =>
        new TenantSecrets(platform, "tenant-secrets", {
          environment: ENVIRONMENT,
          tenants,
          kmsKeyArn: terraformExpression(platform, key, "arn"),
          recoveryWindowInDays: 14,
        }).secretArns,
    );
    const constructs = appWithSecrets(
      (app) => new TerraformStack(app, "platform"),
      (platform, key) => secretConstructs(platform, tenants, key.arn, 14),
    );
    const platform = constructs.platform as {
      resource: Record<string, object>;
      output: Record<string, object>;
    };
    expect(Object.keys(platform.resource.aws_secretsmanager_secret ?? {})).toHaveLength(4);
    expect(
      Object.keys(platform.output).filter((o) => o.startsWith("cross-stack-output-")),
    ).toHaveLength(4);
    expect(rendered).toEqual(constructs);
  });

  it("creates one secret per tenant that is not dropped, named <name>/tenants/<tenant>", () => {
    const s = synth(allStates);
    expect(secretNames(s)).toEqual([
      "pgforks-test/tenants/alpha",
      "pgforks-test/tenants/bravo",
      "pgforks-test/tenants/charlie",
    ]);
    expect(Object.values(s.secrets)).toContainEqual(
      expect.objectContaining({
        name: "pgforks-test/tenants/alpha",
        kms_key_id: KMS,
        recovery_window_in_days: 30,
      }),
    );
  });

  it("protects every secret with prevent_destroy and keeps deleted ones recoverable for 30 days by default", () => {
    const s = synth(allStates);
    expect(DEFAULT_SECRET_RECOVERY_WINDOW_DAYS).toBe(30);
    for (const secret of Object.values(s.secrets)) {
      expect(secret.lifecycle).toEqual({ prevent_destroy: true });
      expect(secret.recovery_window_in_days).toBe(DEFAULT_SECRET_RECOVERY_WINDOW_DAYS);
    }
  });

  it("writes no secret value", () => {
    const s = synth(allStates);
    expect(s.json).not.toContain("aws_secretsmanager_secret_version");
    expect(s.json).not.toContain("secret_string");
  });

  it("exposes the ARN of every tenant with a secret and refuses dropped or unknown tenants", () => {
    const { construct } = synth(allStates);
    expect(Object.keys(construct.secretArns).sort()).toEqual(["alpha", "bravo", "charlie"]);
    expect(construct.secretArn("bravo")).toBe(construct.secretArns.bravo);
    expect(() => construct.secretArn("delta")).toThrow(/has no secret/);
    expect(() => construct.secretArn("nobody")).toThrow(/has no secret/);
  });

  it("lists only active and suspended tenants for the proxy's auth list", () => {
    const { construct } = synth(allStates);
    expect(construct.proxyAuth()).toEqual([
      { tenant: "alpha", secretArn: construct.secretArns.alpha, description: "tenant alpha" },
      { tenant: "bravo", secretArn: construct.secretArns.bravo, description: "tenant bravo" },
    ]);
  });

  it("accepts recovery windows from 7 to 30 days only", () => {
    const { min, max } = SECRET_RECOVERY_WINDOW_DAYS;
    for (const secret of Object.values(synth(allStates, { recoveryWindowInDays: min }).secrets)) {
      expect(secret.recovery_window_in_days).toBe(min);
    }
    for (const bad of [0, min - 1, max + 1, 7.5]) {
      expect(() => synth(allStates, { recoveryWindowInDays: bad })).toThrow(
        /recoveryWindowInDays must be an integer from 7 to 30/,
      );
    }
  });

  it("adding a tenant adds exactly its secret and leaves the others untouched", () => {
    const before = synth(allStates);
    const after = synth([...allStates, tenantFixture({ name: "echo" })]);
    const added = Object.keys(after.secrets).filter((k) => !(k in before.secrets));
    const removed = Object.keys(before.secrets).filter((k) => !(k in after.secrets));
    expect(removed).toEqual([]);
    expect(added).toHaveLength(1);
    expect(after.secrets[added[0] ?? ""]?.name).toBe("pgforks-test/tenants/echo");
    for (const [address, secret] of Object.entries(before.secrets)) {
      expect(after.secrets[address]).toEqual(secret);
    }
  });

  it("dropping a tenant removes its secret from the configuration (so Terraform deletes it with the recovery window)", () => {
    const dropped = allStates.map((t) =>
      t.name === "alpha" ? { ...t, state: "dropped" as const, confirmDrop: "alpha" } : t,
    );
    expect(secretNames(synth(dropped))).not.toContain("pgforks-test/tenants/alpha");
  });
});
