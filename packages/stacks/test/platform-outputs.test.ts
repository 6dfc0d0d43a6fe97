// The outputs an app stack attaches with (docs/architecture.md, "How an app attaches").
import { type LoadedEnvironment, loadEnvironment } from "@pgforks/config";
import { withProxyEnabled } from "@pgforks/testing";
import { APP_OUTPUTS } from "../src/platform-stack";
import { type StackJson, synthesizeInMemory } from "../src/synth";

const committed = loadEnvironment("prod");
const proxied = withProxyEnabled(committed);

function platformOf(loaded: LoadedEnvironment): StackJson {
  const stack = synthesizeInMemory([loaded])["prod-platform"];
  if (!stack) throw new Error("no prod-platform");
  return stack;
}

/** The value of an output (a Terraform expression string, a list or a map of them). */
function output(stack: StackJson, name: string): unknown {
  const outputs = (stack.output ?? {}) as Record<string, { value?: unknown }>;
  if (!outputs[name]) throw new Error(`no output ${name}`);
  return outputs[name].value;
}

/** The single resource of a type whose body satisfies `match`, as `<type>.<name>`. */
function address(
  stack: StackJson,
  type: string,
  match: (body: Record<string, unknown>) => boolean,
) {
  const found = Object.entries(
    (stack.resource?.[type] ?? {}) as Record<string, Record<string, unknown>>,
  ).filter(([, body]) => match(body));
  expect(found).toHaveLength(1);
  return `${type}.${found[0]?.[0]}`;
}

describe("platform outputs for apps", () => {
  const plain = platformOf(committed);

  it("exports the VPC, its private subnets and the clients security group", () => {
    expect(output(plain, APP_OUTPUTS.vpcId)).toBe(
      `\${${address(plain, "aws_vpc", () => true)}.id}`,
    );
    const privateSubnets = Object.entries(
      (plain.resource?.aws_subnet ?? {}) as Record<string, Record<string, unknown>>,
    )
      .filter(([name]) => !name.includes("public"))
      .map(([name]) => `\${aws_subnet.${name}.id}`);
    expect(privateSubnets).toHaveLength(committed.environment.availabilityZones.length);
    expect(output(plain, APP_OUTPUTS.privateSubnetIds)).toEqual(privateSubnets);
    const clients = address(plain, "aws_security_group", (g) =>
      String(g.tags && (g.tags as Record<string, string>).Name).endsWith("-clients"),
    );
    expect(output(plain, APP_OUTPUTS.clientsSecurityGroupId)).toBe(`\${${clients}.id}`);
  });

  it("exports each tenant's secret ARN by tenant name", () => {
    const arns = output(plain, APP_OUTPUTS.tenantSecretArns) as Record<string, string>;
    const withSecret = committed.tenants.filter((t) => t.state !== "dropped").map((t) => t.name);
    expect(Object.keys(arns).sort()).toEqual([...withSecret].sort());
    for (const [tenant, arn] of Object.entries(arns)) {
      const secret = address(plain, "aws_secretsmanager_secret", (s) =>
        String(s.name).endsWith(`/tenants/${tenant}`),
      );
      expect(arn).toBe(`\${${secret}.arn}`);
    }
  });

  it("points apps at the instance without a proxy, and at the proxy (port 5432) with one", () => {
    const instance = address(plain, "aws_db_instance", () => true);
    expect(output(plain, APP_OUTPUTS.databaseEndpoint)).toBe(`\${${instance}.address}`);
    expect(output(plain, APP_OUTPUTS.databasePort)).toBe(`\${${instance}.port}`);

    const withProxy = platformOf(proxied);
    const proxy = address(withProxy, "aws_db_proxy", () => true);
    expect(output(withProxy, APP_OUTPUTS.databaseEndpoint)).toBe(`\${${proxy}.endpoint}`);
    expect(output(withProxy, APP_OUTPUTS.databasePort)).toBe(5432);
  });
});
