import { type LoadedEnvironment, loadEnvironment } from "@pgforks/config";
import { tenantFixture, withProxyEnabled } from "@pgforks/testing";
import { type StackJson, synthesizeInMemory } from "../src/synth";

/** Every block of a stack by address (`resource.<type>.<name>`, `ephemeral...`, `output...`). */
function blocks(stack: StackJson | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const kind of ["resource", "ephemeral", "data", "output"] as const) {
    const byType = (stack?.[kind] ?? {}) as Record<string, Record<string, unknown>>;
    for (const [type, byName] of Object.entries(byType)) {
      if (kind === "output") {
        out.set(`output.${type}`, JSON.stringify(byName));
        continue;
      }
      for (const [name, body] of Object.entries(byName))
        out.set(`${kind}.${type}.${name}`, JSON.stringify(body));
    }
  }
  return out;
}

function diff(before: StackJson | undefined, after: StackJson | undefined) {
  const a = blocks(before);
  const b = blocks(after);
  return {
    added: [...b.keys()].filter((k) => !a.has(k)).sort(),
    removed: [...a.keys()].filter((k) => !b.has(k)).sort(),
    changed: [...b.keys()].filter((k) => a.has(k) && a.get(k) !== b.get(k)).sort(),
    body: (k: string) => [a.get(k), b.get(k)],
  };
}

describe("adding one tenant to prod", () => {
  const committed = loadEnvironment("prod");
  // With the proxy on (an option, off by default for cost), so its auth list is exercised too.
  const base = withProxyEnabled(committed);
  const withTenant: LoadedEnvironment = {
    ...base,
    // "zeta" sorts last, so the serialized grant chain only grows at its end.
    tenants: [
      ...base.tenants,
      tenantFixture({ name: "zeta", database: "zeta_experiment", connectionLimit: 5 }),
    ],
  };
  const before = synthesizeInMemory([base]);
  const after = synthesizeInMemory([withTenant]);

  it("adds only the tenant's resources to prod-tenants and changes nothing else", () => {
    const d = diff(before["prod-tenants"], after["prod-tenants"]);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual([]);
    expect(d.added.length).toBeGreaterThanOrEqual(6);
    for (const address of d.added) expect(address).toMatch(/zeta/);
    expect(d.added).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^resource\.postgresql_role\./),
        expect.stringMatching(/^resource\.postgresql_database\./),
        expect.stringMatching(/^resource\.aws_secretsmanager_secret_version\./),
        expect.stringMatching(/^resource\.postgresql_schema\./),
      ]),
    );
  });

  it("adds the tenant's secret to prod-platform and changes only the proxy's auth list and role policy", () => {
    const d = diff(before["prod-platform"], after["prod-platform"]);
    expect(d.removed).toEqual([]);
    expect(d.added.filter((a) => a.startsWith("resource."))).toEqual([
      expect.stringMatching(/^resource\.aws_secretsmanager_secret\..*zeta/),
    ]);
    const changedResources = d.changed.filter((a) => a.startsWith("resource."));
    expect(changedResources.map((a) => a.split(".")[1]).sort()).toEqual([
      "aws_db_proxy",
      "aws_iam_role_policy",
    ]);
    for (const address of changedResources) {
      const [was, now] = d.body(address);
      expect(was).not.toMatch(/zeta/);
      expect(now).toMatch(/zeta/);
    }
    // The only other new blocks are the outputs that hand the new secret to the tenants stack.
    for (const address of d.added.filter((a) => !a.startsWith("resource.")))
      expect(address).toMatch(/^output\./);
  });
});
