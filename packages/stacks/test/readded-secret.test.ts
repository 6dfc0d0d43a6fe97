// The import address `tenant activate` prints for a dropped tenant's secret
// (readdedSecretCommands, docs/operations.md "Re-adding a dropped tenant") is the address the
// synthesized platform stack gives that secret, in every environment.
import { environmentNames, loadEnvironment } from "@pgforks/config";
import { readdedSecretCommands } from "@pgforks/tenants";
import { type StackJson, synthesizeInMemory } from "../src/synth";

describe.each(environmentNames())("%s-platform", (name) => {
  it("has every tenant's secret at the address the re-add commands import it to", () => {
    const loaded = loadEnvironment(name);
    const stack = synthesizeInMemory([loaded])[`${name}-platform`] as StackJson;
    const secrets = (stack.resource?.aws_secretsmanager_secret ?? {}) as Record<
      string,
      Record<string, unknown>
    >;
    const live = loaded.tenants.filter((t) => t.state !== "dropped");
    expect(live.length).toBeGreaterThan(0);
    for (const tenant of live) {
      const importLine =
        readdedSecretCommands(loaded.environment, tenant).find((line) =>
          line.startsWith("terraform import "),
        ) ?? "";
      const address = /^terraform import 'aws_secretsmanager_secret\.([^']+)'/.exec(
        importLine,
      )?.[1];
      expect({ tenant: tenant.name, name: secrets[address ?? ""]?.name }).toEqual({
        tenant: tenant.name,
        name: `pgforks-${name}/tenants/${tenant.name}`,
      });
    }
  });
});
