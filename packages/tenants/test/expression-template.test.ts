import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { countedToken, synthApp } from "@pgforks/testing";
import {
  Fn,
  type ListTerraformIterator,
  Op,
  TerraformIterator,
  TerraformOutput,
  TerraformStack,
  Token,
} from "cdktf";
import { EphemeralResource } from "../src/ephemeral";
import { ExpressionTemplate, type SlotValues } from "../src/expression-template";

const SECRET_SLOTS = { user: "reference", target: "text" } as const;
const VERSION_SLOTS = { arn: "reference", target: "text", scaled: "integer" } as const;
/** What a tenant has: the values of both templates' slots. */
type Values = SlotValues<typeof SECRET_SLOTS> & SlotValues<typeof VERSION_SLOTS>;

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

type Way = "template" | "expression";

/**
 * Synthesizes a platform stack whose attributes the tenants stack references, and a tenants
 * stack with one secret and one version per tenant, written through templates or as the
 * expressions themselves. Returns both stacks' JSON.
 */
function synth(
  way: Way,
  values: (local: EphemeralResource, remote: EphemeralResource, i: number) => Values,
): Record<string, Record<string, unknown>> {
  return synthApp((app) => {
    const platform = new TerraformStack(app, "platform");
    const remote = new EphemeralResource(platform, "remote", "aws_thing", {});
    const tenants = new TerraformStack(app, "tenants");
    const local = new EphemeralResource(tenants, "local", "aws_thing", {});
    const { secret, version } = builders(remote.getStringAttribute("host"));
    const secrets = new ExpressionTemplate(SECRET_SLOTS, secret);
    const versions = new ExpressionTemplate(VERSION_SLOTS, version);
    for (let i = 0; i < 3; i++) {
      const v = values(local, remote, i);
      new TerraformOutput(tenants, `secret_${i}`, {
        value: way === "template" ? secrets.fill(v) : secret(v),
      });
      new TerraformOutput(tenants, `version_${i}`, {
        value: way === "template" ? versions.fill(v) : version(v),
      });
      new TerraformOutput(tenants, `version_string_${i}`, {
        value: Fn.tostring(Token.asString(way === "template" ? versions.fill(v) : version(v))),
      });
    }
  });
}

const references = (local: EphemeralResource, remote: EphemeralResource, i: number): Values => ({
  user: local.getStringAttribute(`user_${i}`),
  arn: remote.getStringAttribute(`arn_${i}`),
  target: `proxy:5432/db_${i}`,
  scaled: (i + 1) * 1_000_000_000,
});

describe("ExpressionTemplate", () => {
  it("writes for each copy the Terraform its expression writes, cross-stack references included", () => {
    const expression = synth("expression", references);
    const template = synth("template", references);
    expect(template).toEqual(expression);
    // Each copy has its own values, and the references went through the cross-stack wiring.
    const outputs = JSON.stringify(template.tenants?.output);
    expect(outputs).toContain(`\\"user\\" = ephemeral.aws_thing.local.user_2`);
    expect(outputs).toContain(
      `x://\${ephemeral.aws_thing.local.user_1}@\${data.terraform_remote_state`,
    );
    expect(outputs).toContain(
      `(3000000000 + parseint(substr(sha256(join(\\"|\\", [\\"proxy:5432/db_2\\"`,
    );
    expect(outputs).toContain("cross-stack-output-ephemeralaws_thingremotearn_1");
    expect(JSON.stringify(template.platform)).toContain(
      "cross-stack-output-ephemeralaws_thingremotearn_2",
    );
  });

  it("writes a value a slot cannot stand for through the expression itself", () => {
    const unfit = (local: EphemeralResource, remote: EphemeralResource, i: number): Values => ({
      ...references(local, remote, i),
      // A literal in a reference slot, text that needs escaping, a number that is no integer.
      ...(i === 0 ? { user: "alice" } : {}),
      ...(i === 1 ? { target: 'say "hi"\nnext' } : {}),
      ...(i === 2 ? { scaled: 1.5 } : {}),
    });
    const template = synth("template", unfit);
    expect(template).toEqual(synth("expression", unfit));
    expect(JSON.stringify(template.tenants?.output)).toContain(`\\"user\\" = \\"alice\\"`);
  });

  it("renders the shared expression once per stack and rendering, not once per copy", () => {
    const resolutions = (way: Way, copies: number): number => {
      const host = countedToken("var.host");
      synthApp((app) => {
        const stack = new TerraformStack(app, "stack");
        const local = new EphemeralResource(stack, "local", "aws_thing", {});
        const { secret } = builders(host.token);
        const template = new ExpressionTemplate(SECRET_SLOTS, secret);
        for (let i = 0; i < copies; i++) {
          const v = references(local, local, i);
          new TerraformOutput(stack, `secret_${i}`, {
            value: way === "template" ? template.fill(v) : secret(v),
          });
        }
      });
      return host.count();
    };
    // The template: the same few resolutions for 1 copy as for 20.
    expect(resolutions("template", 20)).toBe(resolutions("template", 1));
    expect(resolutions("expression", 20)).toBeGreaterThan(10 * resolutions("template", 20));
  });

  it("resolves a copy's own values once: the synthesis reuses what the preparing pass wrote", () => {
    const user = countedToken("var.user");
    synthApp((app) => {
      const stack = new TerraformStack(app, "stack");
      const template = new ExpressionTemplate(SECRET_SLOTS, builders("var.host").secret);
      const value = template.fill({ user: user.token, target: "db" });
      new TerraformOutput(stack, "secret", { value });
    });
    expect(user.count()).toBe(1);
  });

  it("puts a value in place once: a value spelled like another slot's marker stays as written", () => {
    const template = new ExpressionTemplate({ a: "text", b: "text" }, (v) =>
      Fn.join("/", [v.a, v.b]),
    );
    const written = synthApp((app) => {
      const stack = new TerraformStack(app, "stack");
      new TerraformOutput(stack, "out", {
        value: template.fill({ a: "PGFORKS_TEMPLATE_SLOT_b_", b: "x" }),
      });
    });
    expect(JSON.stringify(written.stack?.output)).toContain(
      `join(\\"/\\", [\\"PGFORKS_TEMPLATE_SLOT_b_\\", \\"x\\"])`,
    );
  });

  /**
   * Synthesizes one stack with `build` written once in an output and once in a dynamic block
   * (a for-expression, where an iterator's value is `val`, not `each.value`), through a template
   * or as the expression itself.
   */
  function withIterator(
    way: Way,
    build: (names: ListTerraformIterator, v: SlotValues<{ target: "text" }>) => string,
  ): Record<string, Record<string, unknown>> {
    return synthApp((app) => {
      const stack = new TerraformStack(app, "stack");
      new AwsProvider(stack, "aws", { region: "us-east-1" });
      const names = TerraformIterator.fromList(["a", "b"]);
      const template = new ExpressionTemplate({ target: "text" }, (v) => build(names, v));
      const value = (v: SlotValues<{ target: "text" }>) =>
        way === "template" ? template.fill(v) : build(names, v);
      new TerraformOutput(stack, "outside", { value: value({ target: "proxy" }) });
      new SecurityGroup(stack, "group", {
        ingress: names.dynamic({
          description: value({ target: "proxy" }),
          fromPort: 5432,
          toPort: 5432,
          protocol: "tcp",
        }),
      });
    });
  }

  it("writes a copy inside an iterator as its expression: the text rendered outside is not reused", () => {
    const build = (names: ListTerraformIterator, v: SlotValues<{ target: "text" }>) =>
      Fn.lower(Fn.join("@", [Token.asString(names.value), v.target]));
    const template = withIterator("template", build);
    expect(template).toEqual(withIterator("expression", build));
    expect(template.stack?.output).toEqual({
      outside: { value: `\${lower(join("@", [each.value, "proxy"]))}` },
    });
    expect(JSON.stringify(template.stack?.resource)).toContain(
      '\\"description\\" = lower(join(\\"@\\", [val, \\"proxy\\"]))',
    );
  });

  it("writes an expression that is not one token (text and tokens mixed) as itself", () => {
    // One token standing for `${val}@proxy` would lose its quotes inside the for-expression.
    const build = (names: ListTerraformIterator, v: SlotValues<{ target: "text" }>) =>
      `${names.value}@${v.target}`;
    const template = withIterator("template", build);
    expect(template).toEqual(withIterator("expression", build));
    expect(JSON.stringify(template.stack?.resource)).toContain(
      `\\"description\\" = \\"\${val}@proxy\\"`,
    );
  });

  it("refuses a slot name that is not letters only, and a slot the expression does not use", () => {
    expect(() => new ExpressionTemplate({ "a-b": "text" }, (v) => v["a-b"])).toThrow(
      'bad slot name "a-b"',
    );
    const unused = new ExpressionTemplate({ a: "text", b: "text" }, (v) => Fn.upper(v.a));
    const synthUnused = () =>
      synthApp((app) => {
        const stack = new TerraformStack(app, "stack");
        new TerraformOutput(stack, "out", { value: unused.fill({ a: "x", b: "y" }) });
      });
    expect(synthUnused).toThrow('slot "b" is not used');
  });
});
