import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * An environments folder under `scratch` holding environments/prod with `count` generated active
 * tenants (connection limit 1 each) on `instanceClass`, so that two counts differ in nothing but
 * the tenants. `root`: the repository whose environments/prod/environment.yaml is copied.
 */
export function prodWithTenants(
  root: string,
  scratch: string,
  count: number,
  instanceClass: string,
): string {
  const dir = join(scratch, `envs-${count}`);
  mkdirSync(join(dir, "prod"), { recursive: true });
  const environment = readFileSync(join(root, "environments", "prod", "environment.yaml"), "utf8");
  writeFileSync(
    join(dir, "prod", "environment.yaml"),
    environment.replace(/^(\s*instanceClass:\s*)\S+/m, `$1${instanceClass}`),
  );
  const entries = Array.from(
    { length: count },
    (_, i) => `  - name: tenant_${i}\n    owner: team-${i}@example.com\n    connectionLimit: 1\n`,
  );
  writeFileSync(join(dir, "prod", "tenants.yaml"), `tenants:\n${entries.join("")}`);
  return dir;
}
