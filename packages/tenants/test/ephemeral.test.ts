import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { App, LocalBackend, TerraformStack, Testing } from "cdktf";
import { EphemeralResource } from "../src/ephemeral";

describe("EphemeralResource", () => {
  it("writes an ephemeral block in Terraform's JSON shape and references its attributes", () => {
    let reference = "";
    const json = Testing.synthScope((scope) => {
      const e = new EphemeralResource(scope, "pw", "aws_secretsmanager_random_password", {
        password_length: 40,
      });
      reference = e.getStringAttribute("random_password");
      new SecretsmanagerSecretVersion(scope, "v", {
        secretId: "arn",
        secretStringWo: reference,
        secretStringWoVersion: 1,
      });
    });
    const tf = JSON.parse(json);
    const blocks = tf.ephemeral.aws_secretsmanager_random_password;
    const [name] = Object.keys(blocks);
    expect(blocks[name as string]).toEqual({ password_length: 40 });
    expect(tf.resource.aws_secretsmanager_secret_version.v.secret_string_wo).toBe(
      `\${ephemeral.aws_secretsmanager_random_password.${name}.random_password}`,
    );
  });

  it("turns a reference to another stack into a remote-state lookup (a raw stack override would not)", () => {
    const dir = mkdtempSync(join(tmpdir(), "pgforks-ephemeral-"));
    try {
      const app = new App({ outdir: dir, stackTraces: false });
      const platform = new TerraformStack(app, "platform");
      new LocalBackend(platform, { path: "platform.tfstate" });
      new AwsProvider(platform, "aws", { region: "us-east-1" });
      const secret = new SecretsmanagerSecret(platform, "master", { name: "master" });
      const tenants = new TerraformStack(app, "tenants");
      new LocalBackend(tenants, { path: "tenants.tfstate" });
      new AwsProvider(tenants, "aws", { region: "us-east-1" });
      new EphemeralResource(tenants, "master", "aws_secretsmanager_secret_version", {
        secret_id: secret.arn,
      });
      app.synth();
      const tf = JSON.parse(readFileSync(join(dir, "stacks", "tenants", "cdk.tf.json"), "utf8"));
      const secretId = tf.ephemeral.aws_secretsmanager_secret_version.master.secret_id;
      expect(secretId).toMatch(/^\$\{data\.terraform_remote_state\.[^.]+\.outputs\.[^}]+\}$/);
      expect(Object.keys(tf.data.terraform_remote_state)).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
