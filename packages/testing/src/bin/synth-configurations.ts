/**
 * `tsx packages/testing/src/bin/synth-configurations.ts <checkout> <outdir>`: synthesizes, with
 * the code of the checkout at <checkout>, every committed environment (as committed, proxy on,
 * proxy off), prod with tenants in every state, with no tenant, with only a dropped one and with
 * 200 tenants (each with the proxy on and off), all environments in one app, and the local stack
 * (local-tenants) with tenants in every state, none, only a dropped one and 200; writes each
 * stack's cdk.tf.json with its keys sorted to <outdir>/<configuration>/<stack>.json, or the
 * refusal to <outdir>/<configuration>/error.txt.
 *
 * For changes that must leave the synthesized Terraform as it is (option B2 of
 * docs/decisions/0001): run this same file against a checkout of main and against the branch,
 * then `diff -r` the two folders (parsed JSON compared, key order aside). Not a test.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import type { LoadedEnvironment, TenantConfig, TenantInput } from "@pgforks/config";

const [checkout, outdir, ...rest] = process.argv.slice(2);
if (!checkout || !outdir || rest.length > 0) {
  console.error("usage: synth-configurations.ts <checkout> <outdir>");
  process.exit(2);
}
const fromCheckout = createRequire(join(resolve(checkout), "packages/stacks/package.json"));
const config = fromCheckout("@pgforks/config") as {
  environmentNames: () => string[];
  loadEnvironment: (name: string) => LoadedEnvironment;
};
const { synthesizeInMemory } = fromCheckout("@pgforks/stacks/src/synth") as {
  synthesizeInMemory: (loaded: LoadedEnvironment[]) => Record<string, unknown>;
};
const { synthesizeLocalStack } = fromCheckout("@pgforks/local/src/local-stack") as {
  synthesizeLocalStack: (input: {
    tenants: readonly TenantConfig[];
    port: number;
    adminRole: string;
    passwordVersions: Readonly<Record<string, string>>;
  }) => Record<string, unknown>;
};
const { tenantFixture } = fromCheckout("@pgforks/testing") as {
  tenantFixture: (patch: Partial<TenantInput> & { name: string }) => TenantConfig;
};

const sorted = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((key) => [key, sorted(object[key])]),
  );
};

function write(name: string, loaded: LoadedEnvironment[]): void {
  const dir = join(outdir as string, name);
  mkdirSync(dir, { recursive: true });
  let stacks: Record<string, unknown>;
  try {
    stacks = synthesizeInMemory(loaded);
  } catch (error) {
    writeFileSync(join(dir, "error.txt"), `${(error as Error).message}\n`);
    return;
  }
  for (const [stack, json] of Object.entries(stacks)) {
    writeFileSync(join(dir, `${stack}.json`), `${JSON.stringify(sorted(json), null, 1)}\n`);
  }
}

const withProxy = (loaded: LoadedEnvironment, enabled: boolean): LoadedEnvironment => ({
  ...loaded,
  environment: { ...loaded.environment, proxy: { ...loaded.environment.proxy, enabled } },
});
const names = config.environmentNames();
for (const name of names) {
  const loaded = config.loadEnvironment(name);
  write(`${name}-committed`, [loaded]);
  write(`${name}-proxy-on`, [withProxy(loaded, true)]);
  write(`${name}-proxy-off`, [withProxy(loaded, false)]);
}
const prod = config.loadEnvironment("prod");
const allStates = [
  tenantFixture({ name: "alpha" }),
  tenantFixture({ name: "bravo", state: "suspended" }),
  tenantFixture({ name: "charlie", state: "retired" }),
  tenantFixture({ name: "delta", state: "dropped", confirmDrop: "delta" }),
  tenantFixture({ name: "echo", readOnlyRole: true, extensions: ["pg_trgm"] }),
];
const onlyDropped = [tenantFixture({ name: "gone", state: "dropped", confirmDrop: "gone" })];
const many = Array.from({ length: 200 }, (_, i) =>
  tenantFixture({ name: `tenant_${String(i).padStart(3, "0")}`, connectionLimit: 1 }),
);
for (const proxy of [true, false]) {
  const base = withProxy(prod, proxy);
  const label = proxy ? "proxy-on" : "proxy-off";
  write(`prod-states-${label}`, [{ ...base, tenants: allStates }]);
  write(`prod-zero-${label}`, [{ ...base, tenants: [] }]);
  write(`prod-only-dropped-${label}`, [{ ...base, tenants: onlyDropped }]);
  write(`prod-200-${label}`, [{ ...base, tenants: many }]);
}
function writeLocal(name: string, tenants: readonly TenantConfig[]): void {
  const dir = join(outdir as string, name);
  mkdirSync(dir, { recursive: true });
  const passwordVersions = Object.fromEntries(
    tenants.filter((t) => t.state !== "dropped").map((t, i) => [t.name, `version-${i}`]),
  );
  try {
    const json = synthesizeLocalStack({
      tenants,
      port: 54329,
      adminRole: "forks_admin",
      passwordVersions,
    });
    writeFileSync(join(dir, "local-tenants.json"), `${JSON.stringify(sorted(json), null, 1)}\n`);
  } catch (error) {
    writeFileSync(join(dir, "error.txt"), `${(error as Error).message}\n`);
  }
}
writeLocal("local-states", allStates);
writeLocal("local-zero", []);
writeLocal("local-only-dropped", onlyDropped);
writeLocal("local-200", many);
write(
  "all-environments",
  names.map((name) => config.loadEnvironment(name)),
);
console.log(`synthesized ${names.length} environments' configurations into ${outdir}`);
