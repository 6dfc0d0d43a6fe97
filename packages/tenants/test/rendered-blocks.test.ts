import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { environmentFixture, synthScope, tenantFixture } from "@pgforks/testing";
import { App, TerraformOutput, TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import {
  RenderedBlocksStack,
  renderedAttribute,
  renderedBlocksStackOf,
  renderedReferenceText,
  terraformExpression,
} from "../src/rendered-blocks";
import { TenantSecrets } from "../src/secrets";

const body = { name: "a", "//": { metadata: { path: "stack/owner/a", uniqueId: "a" } } };

function renderedStack(): { stack: RenderedBlocksStack; owner: Construct } {
  const stack = new RenderedBlocksStack(Testing.app(), "stack");
  return { stack, owner: new Construct(stack, "owner") };
}

describe("RenderedBlocksStack", () => {
  it("merges a rendered block after cdktf's resolve, beside the constructs' blocks", () => {
    const { resource } = synthScope(
      (scope) => {
        new SecretsmanagerSecret(scope, "real", { name: "real" });
        const stack = renderedBlocksStackOf(scope);
        stack.addRenderedResource(scope, "aws_secretsmanager_secret", "rendered", { name: "r" });
        stack.addRenderedResource(scope, "aws_kms_key", "k", { description: "k" });
      },
      (app) => new RenderedBlocksStack(app, "stack"),
    );
    expect(resource.aws_secretsmanager_secret).toEqual({
      real: { name: "real" },
      rendered: { name: "r" },
    });
    expect(resource.aws_kms_key).toEqual({ k: { description: "k" } });
  });

  it("writes exactly a plain stack's JSON when nothing is rendered", () => {
    const build = (stack: TerraformStack) => new KmsKey(stack, "key", { description: "k" });
    const plain = new TerraformStack(Testing.app(), "stack");
    build(plain);
    const rendered = new RenderedBlocksStack(Testing.app(), "stack");
    build(rendered);
    expect(rendered.toTerraform()).toEqual(plain.toTerraform());
    expect(Object.keys(new RenderedBlocksStack(Testing.app(), "s").toTerraform())).not.toContain(
      "resource",
    );
  });

  it("refuses a cdktf token in a block, naming the construct and the field", () => {
    const { stack, owner } = renderedStack();
    const key = new KmsKey(stack, "key", {});
    expect(() =>
      stack.addRenderedResource(owner, "aws_secretsmanager_secret", "a", {
        ...body,
        kms_key_id: key.arn,
      }),
    ).toThrow(
      /^stack\/owner: rendered block resource\.aws_secretsmanager_secret\.a\.kms_key_id holds a cdktf token/,
    );
    expect(() =>
      stack.addRenderedResource(owner, "t", "n", { tags: { list: ["x", key.keyId] } }),
    ).toThrow(/resource\.t\.n\.tags\.list\[1\] holds a cdktf token/);
    expect(() =>
      stack.addRenderedResource(owner, "t", "n", { port: key.deletionWindowInDays }),
    ).toThrow(/resource\.t\.n\.port holds a cdktf token/);
    expect(() => stack.addRenderedResource(owner, "t", "n", { policy: key })).toThrow(
      /resource\.t\.n\.policy holds a KmsKey object/,
    );
    expect(() => stack.addRenderedResource(owner, "t", "n", { tags: undefined })).toThrow(
      /resource\.t\.n\.tags holds undefined, not JSON data/,
    );
    expect(stack.toTerraform()).not.toHaveProperty("resource.t");
  });

  it("refuses an address rendered twice, or rendered and written by a construct", () => {
    const { stack, owner } = renderedStack();
    stack.addRenderedResource(owner, "aws_kms_key", "key", { description: "rendered" });
    const other = new Construct(stack, "other");
    expect(() => stack.addRenderedResource(other, "aws_kms_key", "key", {})).toThrow(
      "stack/other: resource.aws_kms_key.key is already rendered by stack/owner",
    );
    new KmsKey(stack, "key", {});
    expect(() => stack.toTerraform()).toThrow(
      "stack/owner: resource.aws_kms_key.key is rendered and also written by a construct of stack",
    );
  });

  it("is required of the stack of a construct that renders blocks", () => {
    const stack = new TerraformStack(Testing.app(), "plain");
    const tenantSecrets = () =>
      new TenantSecrets(stack, "tenant-secrets", {
        environment: environmentFixture(),
        tenants: [tenantFixture({ name: "alpha" })],
        kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/abcd",
      });
    expect(tenantSecrets).toThrow(
      "plain/tenant-secrets: renders Terraform JSON blocks, but its stack plain (TerraformStack) does not merge them; make the stack a RenderedBlocksStack",
    );
  });

  it("refuses HCL output when it holds rendered blocks", () => {
    const { stack, owner } = renderedStack();
    expect(() => stack.toHclTerraform()).not.toThrow();
    stack.addRenderedResource(owner, "aws_kms_key", "key", {});
    expect(() => stack.toHclTerraform()).toThrow(/have no HCL form/);
  });
});

describe("terraformExpression and renderedAttribute", () => {
  it("write what cdktf writes for a construct's attribute in its own stack", () => {
    const { stack, owner } = renderedStack();
    const key = new KmsKey(new Construct(stack, "nested"), "key", {});
    const expression = terraformExpression(owner, key, "arn");
    expect(expression).toBe(`\${aws_kms_key.${key.friendlyUniqueId}.arn}`);
    new TerraformOutput(stack, "cdktf", { value: key.arn });
    new TerraformOutput(stack, "rendered", { value: renderedAttribute(stack, "aws_x.y", "arn") });
    const { output } = stack.toTerraform() as { output: Record<string, { value: string }> };
    expect(output.cdktf?.value).toBe(expression);
    expect(output.rendered?.value).toBe(`\${aws_x.y.arn}`);
  });

  it("refuses a resource of another stack", () => {
    const app = new App({ outdir: Testing.app().outdir });
    const here = new RenderedBlocksStack(app, "here");
    const key = new KmsKey(new TerraformStack(app, "there"), "key", {});
    expect(() => terraformExpression(here, key, "arn")).toThrow(
      "here: there/key is in another stack; a rendered block can only name resources of its own stack",
    );
  });
});

describe("RenderedBlocksStack.resolveOnce and addLateRenderedResource", () => {
  it("writes a late block with the texts cdktf wrote for its tokens, across stacks too, and nothing else", () => {
    const app = Testing.app();
    const origin = new RenderedBlocksStack(app, "origin");
    const key = new KmsKey(origin, "key", {});
    const stack = new RenderedBlocksStack(app, "stack");
    const owner = new Construct(stack, "owner");
    const local = new KmsKey(stack, "local", {});
    const remoteArn = stack.resolveOnce(owner, key.arn);
    const localArn = stack.resolveOnce(owner, local.arn);
    stack.addLateRenderedResource(owner, "aws_secretsmanager_secret", "a", (texts) => ({
      ...body,
      kms_key_id: texts.text(remoteArn),
      description: `arn ${texts.expression(localArn)}`,
    }));
    // What app.synth() runs first: cdktf's preparing pass over each stack.
    for (const s of [origin, stack]) s.prepareStack();
    const tf = stack.toTerraform() as {
      resource: Record<string, Record<string, Record<string, unknown>>>;
      data: Record<string, Record<string, unknown>>;
    };
    expect(tf.resource.aws_secretsmanager_secret?.a).toEqual({
      ...body,
      kms_key_id: `\${data.terraform_remote_state.cross-stack-reference-input-origin.outputs.cross-stack-output-aws_kms_keykeyarn}`,
      description: "arn aws_kms_key.local.arn",
    });
    expect(Object.keys(tf.data.terraform_remote_state ?? {})).toEqual([
      "cross-stack-reference-input-origin",
    ]);
    expect(Object.keys((origin.toTerraform() as { output: object }).output)).toEqual([
      "cross-stack-output-aws_kms_keykeyarn",
    ]);
    expect(Object.keys(tf).filter((k) => k.includes("pgforks"))).toEqual([]);
    expect(() => stack.toHclTerraform()).toThrow(/have no HCL form/);
  });

  it("refuses what is not one whole token, a value of another stack, and a late block that is not plain JSON", () => {
    const { stack, owner } = renderedStack();
    const key = new KmsKey(stack, "key", {});
    expect(() => stack.resolveOnce(owner, "arn:aws:kms:x")).toThrow(
      'stack/owner: resolveOnce takes one whole cdktf token (a reference or a function call), found "arn:aws:kms:x"',
    );
    expect(() => stack.resolveOnce(owner, `arn/${key.arn}`)).toThrow(/one whole cdktf token/);
    const other = new RenderedBlocksStack(Testing.app(), "other");
    const elsewhere = other.resolveOnce(new Construct(other, "o"), key.keyId);
    stack.addLateRenderedResource(owner, "t", "n", (texts) => ({ id: texts.text(elsewhere) }));
    expect(() => stack.toTerraform()).toThrow(
      "stack: a resolved value of other is used in a rendered block of stack",
    );
    const { stack: second, owner: secondOwner } = renderedStack();
    const token = new KmsKey(second, "key", {});
    second.addLateRenderedResource(secondOwner, "t", "n", () => ({
      tags: { list: [token.keyId] },
    }));
    expect(() => second.toTerraform()).toThrow(
      /^stack\/owner: rendered block resource\.t\.n\.tags\.list\[0\] holds a cdktf token/,
    );
  });

  it("refuses an address rendered twice, late or not, or also written by a construct", () => {
    const { stack, owner } = renderedStack();
    const other = new Construct(stack, "other");
    stack.addLateRenderedResource(owner, "aws_kms_key", "r", () => ({ description: "r" }));
    expect(() => stack.addLateRenderedResource(other, "aws_kms_key", "r", () => ({}))).toThrow(
      "stack/other: resource.aws_kms_key.r is already rendered by stack/owner",
    );
    expect(() => stack.addRenderedResource(other, "aws_kms_key", "r", {})).toThrow(
      "stack/other: resource.aws_kms_key.r is already rendered by stack/owner",
    );
    stack.addRenderedResource(owner, "aws_kms_key", "p", {});
    expect(() => stack.addLateRenderedResource(other, "aws_kms_key", "p", () => ({}))).toThrow(
      "stack/other: resource.aws_kms_key.p is already rendered by stack/owner",
    );
    new KmsKey(stack, "r", {}).overrideLogicalId("r");
    expect(() => stack.toTerraform()).toThrow(
      "stack/owner: resource.aws_kms_key.r is rendered and also written by a construct of stack",
    );
  });
});

describe("renderedReferenceText", () => {
  it("names a rendered attribute in its own stack, and refuses an output cdktf also writes", () => {
    const app = Testing.app();
    const platform = new RenderedBlocksStack(app, "platform");
    const owner = new Construct(platform, "owner");
    platform.addRenderedResource(owner, "aws_secretsmanager_secret", "a", { name: "a" });
    const arn = renderedAttribute(platform, "aws_secretsmanager_secret.a", "arn");
    expect(renderedReferenceText(platform, arn)).toBe("aws_secretsmanager_secret.a.arn");
    expect(renderedReferenceText(platform, "arn:aws:x")).toBeUndefined();
    const tenants = new RenderedBlocksStack(app, "tenants");
    expect(renderedReferenceText(tenants, arn)).toBe(
      "data.terraform_remote_state.cross-stack-reference-input-platform.outputs.cross-stack-output-aws_secretsmanager_secretaarn",
    );
    expect(tenants.dependencies).toEqual([platform]);
    // A third stack reading the same ARN through cdktf: cdktf writes the same output.
    new TerraformOutput(new TerraformStack(app, "other"), "arn", { value: arn });
    expect(() => app.synth()).toThrow(
      "platform: output cross-stack-output-aws_secretsmanager_secretaarn is rendered and also written by a construct",
    );
  });
});
