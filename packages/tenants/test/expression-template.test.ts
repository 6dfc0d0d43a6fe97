import { countedToken, synthApp } from "@pgforks/testing";
import { Fn, Op, TerraformOutput, TerraformStack, Testing, Token } from "cdktf";
import { Construct } from "constructs";
import { EphemeralResource } from "../src/ephemeral";
import { ExpressionTemplate, type SlotValues } from "../src/expression-template";
import { RenderedBlocksStack } from "../src/rendered-blocks";

const SECRET_SLOTS = { user: "reference", target: "text" } as const;
const VERSION_SLOTS = { arn: "reference", target: "text", scaled: "integer" } as const;

/** The shapes the tenants stack writes: a secret-like jsonencode map and a version-like sum. */
function builders(host: string) {
  const secret = (v: SlotValues<typeof SECRET_SLOTS>) =>
    Fn.jsonencode({
      engine: "postgres",
      host,
      user: v.user,
      url: `x://${v.user}@${host}/${v.target}?a=b`,
    });
  const version = (v: SlotValues<typeof VERSION_SLOTS>) =>
    Op.add(
      v.scaled,
      Fn.parseint(Fn.substr(Fn.sha256(Fn.join("|", [v.target, v.arn, host])), 0, 7), 16),
    );
  return { secret, version };
}

const COPIES = 3;
const targetOf = (i: number) => `proxy:5432/db_${i}`;
const scaledOf = (i: number) => (i + 1) * 1_000_000_000;

/**
 * A platform stack whose attributes the tenants stack references, and a tenants stack with a
 * secret and a version per copy: written by cdktf from the expressions themselves (outputs), or
 * through templates into rendered blocks (`aws_thing.copy_<i>`). Returns both stacks' JSON.
 */
function synth(way: "template" | "expression") {
  return synthApp((app) => {
    const platform = new RenderedBlocksStack(app, "platform");
    const remote = new EphemeralResource(platform, "remote", "aws_thing", {});
    const tenants = new RenderedBlocksStack(app, "tenants");
    const local = new EphemeralResource(tenants, "local", "aws_thing", {});
    const owner = new Construct(tenants, "owner");
    const { secret, version } = builders(remote.getStringAttribute("host"));
    const arn = (i: number) => remote.getStringAttribute(`arn_${i}`);
    if (way === "expression") {
      for (let i = 0; i < COPIES; i++) {
        const user = local.getStringAttribute(`user_${i}`);
        const values = { user, arn: arn(i), target: targetOf(i), scaled: scaledOf(i) };
        new TerraformOutput(tenants, `secret_${i}`, { value: secret(values) });
        new TerraformOutput(tenants, `version_${i}`, { value: version(values) });
        new TerraformOutput(tenants, `version_string_${i}`, {
          value: Fn.tostring(Token.asString(version(values))),
        });
      }
      return;
    }
    const secrets = new ExpressionTemplate(owner, SECRET_SLOTS, secret).use();
    const versions = new ExpressionTemplate(owner, VERSION_SLOTS, version).use();
    const versionStrings = new ExpressionTemplate(owner, VERSION_SLOTS, (v) =>
      Fn.tostring(Token.asString(version(v))),
    ).use();
    for (let i = 0; i < COPIES; i++) {
      const resolvedArn = tenants.resolveOnce(owner, arn(i));
      tenants.addLateRenderedResource(owner, "aws_thing", `copy_${i}`, (texts) => {
        const values = {
          user: `ephemeral.aws_thing.local.user_${i}`,
          arn: texts.expression(resolvedArn),
          target: targetOf(i),
          scaled: scaledOf(i),
        };
        return {
          secret: secrets.fill(texts, values),
          version: versions.fill(texts, values),
          version_string: versionStrings.fill(texts, values),
        };
      });
    }
  });
}

describe("ExpressionTemplate", () => {
  it("writes for each copy the Terraform its expression writes, cross-stack references included", () => {
    const expression = synth("expression");
    const template = synth("template");
    const outputs = (expression.tenants as { output: Record<string, { value: string }> }).output;
    const copies = (template.tenants as { resource: { aws_thing: Record<string, object> } })
      .resource.aws_thing;
    for (let i = 0; i < COPIES; i++) {
      expect(copies[`copy_${i}`]).toEqual({
        secret: outputs[`secret_${i}`]?.value,
        version: outputs[`version_${i}`]?.value,
        version_string: outputs[`version_string_${i}`]?.value,
      });
    }
    // Each copy has its own values, and the references went through the cross-stack wiring.
    const written = JSON.stringify(copies);
    expect(written).toContain(`\\"user\\" = ephemeral.aws_thing.local.user_2`);
    expect(written).toContain(
      `x://\${ephemeral.aws_thing.local.user_1}@\${data.terraform_remote_state`,
    );
    expect(written).toContain(
      `(3000000000 + parseint(substr(sha256(join(\\"|\\", [\\"proxy:5432/db_2\\"`,
    );
    expect(written).toContain("cross-stack-output-ephemeralaws_thingremotearn_1");
    // The same outputs and remote state as cdktf wires for the expressions.
    expect(template.platform).toEqual(expression.platform);
    const { data } = template.tenants as { data: object };
    expect(data).toEqual((expression.tenants as { data: object }).data);
  });

  it("renders the shared expression once per stack, not once per copy", () => {
    const resolutions = (copies: number): number => {
      const host = countedToken("var.host");
      synthApp((app) => {
        const stack = new RenderedBlocksStack(app, "stack");
        const owner = new Construct(stack, "owner");
        const template = new ExpressionTemplate(
          owner,
          SECRET_SLOTS,
          builders(host.token).secret,
        ).use();
        for (let i = 0; i < copies; i++) {
          stack.addLateRenderedResource(owner, "aws_thing", `copy_${i}`, (texts) => ({
            secret: template.fill(texts, { user: `var.user_${i}`, target: "db" }),
          }));
        }
      });
      return host.count();
    };
    expect(resolutions(20)).toBe(resolutions(1));
  });

  /** The one copy `values` gives of `template`'s expression (a late block of a synthesized stack). */
  function copyOf<S extends Record<string, "reference" | "text" | "integer">>(
    slots: S,
    build: (values: SlotValues<S>) => string | number,
    values: SlotValues<S>,
  ): unknown {
    const written = synthApp((app) => {
      const stack = new RenderedBlocksStack(app, "stack");
      const owner = new Construct(stack, "owner");
      const template = new ExpressionTemplate(owner, slots, build).use();
      stack.addLateRenderedResource(owner, "aws_thing", "copy", (texts) => ({
        value: template.fill(texts, values),
      }));
    });
    return (written.stack as { resource: { aws_thing: { copy: { value: unknown } } } }).resource
      .aws_thing.copy.value;
  }

  it("puts a value in place once: a value spelled like another slot's marker stays as written", () => {
    expect(
      copyOf({ a: "text", b: "text" }, (v) => Fn.join("/", [v.a, v.b]), {
        a: "PGFORKS_TEMPLATE_SLOT_b_",
        b: "x",
      }),
    ).toBe(`\${join("/", ["PGFORKS_TEMPLATE_SLOT_b_", "x"])}`);
  });

  it("takes a quoted plain literal in a reference slot", () => {
    expect(copyOf({ arn: "reference" }, (v) => Fn.upper(v.arn), { arn: '"arn:aws:x:1"' })).toBe(
      `\${upper("arn:aws:x:1")}`,
    );
  });

  it("refuses a value its slot cannot stand for, naming the slot", () => {
    const slots = { user: "reference", target: "text", scaled: "integer" } as const;
    const build = (v: SlotValues<typeof slots>) =>
      Fn.join("/", [v.user, v.target, Token.asString(v.scaled)]);
    const fine = { user: "var.user", target: "db", scaled: 1 };
    expect(copyOf(slots, build, fine)).toBe(`\${join("/", [var.user, "db", 1])}`);
    for (const [values, message] of [
      [{ ...fine, user: `\${var.user}` }, `slot "user" (reference) cannot take "\${var.user}"`],
      [{ ...fine, user: '"say "hi""' }, 'slot "user" (reference) cannot take'],
      [{ ...fine, target: 'say "hi"\nnext' }, 'slot "target" (text) cannot take'],
      [{ ...fine, target: `\${file("/etc/hostname")}` }, 'slot "target" (text) cannot take'],
      [{ ...fine, scaled: 1.5 }, 'slot "scaled" (integer) cannot take 1.5'],
    ] as const) {
      expect(() => copyOf(slots, build, values)).toThrow(message);
    }
  });

  it("adds nothing to the stacks until used, and refuses a fill without use()", () => {
    const written = (use: boolean) =>
      synthApp((app) => {
        const platform = new RenderedBlocksStack(app, "platform");
        const remote = new EphemeralResource(platform, "remote", "aws_thing", {});
        const stack = new RenderedBlocksStack(app, "stack");
        new EphemeralResource(stack, "local", "aws_thing", {});
        const template = new ExpressionTemplate(
          new Construct(stack, "owner"),
          SECRET_SLOTS,
          builders(remote.getStringAttribute("host")).secret,
        );
        if (use) template.use();
      });
    // Unused: no cross-stack output for the host, no remote state.
    expect(JSON.stringify(written(false))).not.toContain("cross-stack");
    expect(JSON.stringify(written(true))).toContain(
      "cross-stack-output-ephemeralaws_thingremotehost",
    );
    const unused = () =>
      synthApp((app) => {
        const stack = new RenderedBlocksStack(app, "stack");
        const owner = new Construct(stack, "owner");
        const template = new ExpressionTemplate(owner, { a: "text" }, (v) => Fn.upper(v.a));
        stack.addLateRenderedResource(owner, "aws_thing", "copy", (texts) => ({
          value: template.fill(texts, { a: "x" }),
        }));
      });
    expect(unused).toThrow(
      "ExpressionTemplate: filled, but not used (use()) while the app was built",
    );
  });

  it("refuses a slot name that is not letters only, a slot the expression does not use, and a plain stack", () => {
    const owner = new Construct(new RenderedBlocksStack(Testing.app(), "stack"), "owner");
    expect(
      () => new ExpressionTemplate(owner, { "a-b": "text" }, (v) => Fn.upper(v["a-b"])),
    ).toThrow('bad slot name "a-b"');
    expect(() =>
      copyOf({ a: "text", b: "text" }, (v) => Fn.upper(v.a), { a: "x", b: "y" }),
    ).toThrow('slot "b" is not used');
    const plain = new Construct(new TerraformStack(Testing.app(), "plain"), "owner");
    expect(() => new ExpressionTemplate(plain, { a: "text" }, (v) => Fn.upper(v.a))).toThrow(
      "make the stack a RenderedBlocksStack",
    );
  });
});
