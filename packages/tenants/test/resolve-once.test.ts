import { countedToken, synthApp } from "@pgforks/testing";
import {
  DefaultTokenResolver,
  Fn,
  Op,
  StringConcat,
  TerraformOutput,
  TerraformStack,
  Token,
  Tokenization,
} from "cdktf";
import { EphemeralResource } from "../src/ephemeral";
import { resolvedOnce } from "../src/resolve-once";

type Once = <T extends string | number>(value: T) => T;
const identity: Once = (value) => value;

/**
 * Synthesizes a platform stack with an element whose id is referenced from a tenants stack: the
 * id through a credentials-version-like expression and a secret-like jsonencode map, as the
 * tenants stack writes them. Returns both stacks' JSON.
 */
function synth(
  once: Once,
  beforeSynth: (tenants: TerraformStack, token: string) => void = () => {},
): Record<string, Record<string, unknown>> {
  return synthApp((app) => {
    const platform = new TerraformStack(app, "platform");
    const source = new EphemeralResource(platform, "source", "aws_thing", {});
    const remote = once(source.getStringAttribute("id"));
    const tenants = new TerraformStack(app, "tenants");
    const local = new EphemeralResource(tenants, "local", "aws_thing", {});
    const name = once(local.getStringAttribute("name"));
    const version = once(
      Op.add(
        1_000_000_000,
        Fn.parseint(Fn.substr(Fn.sha256(Fn.join("|", ["proxy:5432/db", remote])), 0, 7), 16),
      ),
    );
    new TerraformOutput(tenants, "version_string", {
      value: Fn.tostring(Token.asString(version)),
    });
    new TerraformOutput(tenants, "version", { value: version });
    // An operator renders its operands without braces (and without the escape flags of a function).
    const port = once(Token.asNumber(source.getStringAttribute("port")));
    new TerraformOutput(tenants, "next_port", { value: Op.add(port, 1) });
    new TerraformOutput(tenants, "port", { value: port });
    new TerraformOutput(tenants, "secret", {
      value: Fn.jsonencode({
        engine: "postgres",
        host: remote,
        user: name,
        url: `x://${name}@${remote}/`,
      }),
    });
    beforeSynth(tenants, remote);
  });
}

describe("resolvedOnce", () => {
  it("writes the same Terraform as the expression itself, cross-stack references included", () => {
    const plain = synth(identity);
    const once = synth(resolvedOnce);
    expect(once).toEqual(plain);
    // The expressions really went through the wrapper's paths: a remote-state lookup, quoting.
    const outputs = JSON.stringify(once.tenants?.output);
    expect(outputs).toContain("data.terraform_remote_state.cross-stack-reference-input-platform");
    expect(outputs).toContain(`\\"url\\" = \\"x://\${ephemeral.aws_thing.local.name}@\${`);
    expect(JSON.stringify(once.platform)).toContain(
      "cross-stack-output-ephemeralaws_thingsourceid",
    );
  });

  it("still wires a cross-stack reference when something resolved it before the synth", () => {
    const early = (tenants: TerraformStack, token: string) => {
      const resolver = new DefaultTokenResolver(new StringConcat());
      // Inside a function call: the rendering the expressions below resolve it in.
      Tokenization.resolve(Fn.join("|", [token]), { scope: tenants, preparing: false, resolver });
    };
    expect(synth(resolvedOnce, early)).toEqual(synth(identity));
  });

  it("resolves its expression once per rendering where cdktf would resolve it again and again", () => {
    const resolutions = (once: Once): number => {
      const leaf = countedToken("var.leaf");
      synthApp((app) => {
        const stack = new TerraformStack(app, "stack");
        const value = once(leaf.token);
        new TerraformOutput(stack, "out", {
          value: Fn.jsonencode({ a: value, b: Fn.join("-", [value, value]) }),
        });
      });
      return leaf.count();
    };
    const plain = resolutions(identity);
    const once = resolutions(resolvedOnce);
    // Once per rendering (braces, escapes) in the preparing pass; the synthesis reuses those.
    expect(once).toBeLessThanOrEqual(3);
    expect(plain).toBeGreaterThan(3 * once);
  });

  it("returns values without tokens, and strings mixing text and tokens, as they are", () => {
    const leaf = countedToken("var.leaf").token;
    expect(resolvedOnce("plain")).toBe("plain");
    expect(resolvedOnce(5432)).toBe(5432);
    expect(resolvedOnce(`x://${leaf}/`)).toBe(`x://${leaf}/`);
    expect(resolvedOnce(leaf)).not.toBe(leaf);
    expect(Token.isUnresolved(resolvedOnce(Token.asNumber(leaf)))).toBe(true);
  });
});
