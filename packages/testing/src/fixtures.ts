import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  ENVIRONMENT_FILE,
  type EnvironmentConfig,
  type EnvironmentInput,
  environmentSchema,
  environmentsDir,
  type LoadedEnvironment,
  type TenantConfig,
  type TenantInput,
  tenantSchema,
} from "@pgforks/config";

/** A complete, valid environment.yaml input (production-like); tests patch what they exercise. */
export function environmentInput(): EnvironmentInput {
  return {
    name: "test",
    tier: "production",
    account: "123456789012",
    region: "us-east-1",
    availabilityZones: ["use1-az1", "use1-az2"],
    network: { cidr: "10.99.0.0/16", interfaceEndpoints: true, bastion: true },
    database: { instanceClass: "db.t4g.small", multiAz: true, deletionProtection: true },
    proxy: { enabled: true },
    alarms: { emails: ["alerts@example.com"] },
    stateBackend: {
      bucket: "example-state-bucket",
      region: "us-east-1",
      keyPrefix: "pgforks/test",
    },
    ci: { githubRepository: "example-org/example-repo" },
  };
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

function merge<T>(base: T, patch: DeepPartial<T> | undefined): T {
  if (!patch) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] =
      value &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      current &&
      typeof current === "object"
        ? merge(current, value as DeepPartial<typeof current>)
        : value;
  }
  return out as T;
}

/** A validated EnvironmentConfig (defaults filled in), with `patch` deep-merged into the input. */
export function environmentFixture(patch?: DeepPartial<EnvironmentInput>): EnvironmentConfig {
  return environmentSchema.parse(merge(environmentInput(), patch));
}

/** A validated tenant with defaults filled in. */
export function tenantFixture(patch: Partial<TenantInput> & { name: string }): TenantConfig {
  return tenantSchema.parse({ owner: "team@example.com", ...patch });
}

/**
 * A loaded environment with RDS Proxy turned on, everything else as loaded: the committed
 * environments run without one by default (cost), and tests of the proxy path start from them.
 */
export function withProxyEnabled(loaded: LoadedEnvironment): LoadedEnvironment {
  const { environment } = loaded;
  return {
    ...loaded,
    environment: { ...environment, proxy: { ...environment.proxy, enabled: true } },
  };
}

/**
 * A copy of the repository's environments/ in `dir`/environments with one more environment,
 * `name`, copied from the folder `from` with its name, account and VPC CIDR changed (each
 * environment has its own account and range: synth warns, bootstrap synth refuses, otherwise):
 * adding an environment is adding a folder. Returns the environments folder (for
 * PGFORKS_ENVIRONMENTS_DIR).
 */
export function environmentsWithNewFolder(dir: string, name: string, from: string): string {
  const envs = join(dir, "environments");
  cpSync(environmentsDir(), envs, { recursive: true });
  cpSync(join(envs, from), join(envs, name), { recursive: true });
  const file = join(envs, name, ENVIRONMENT_FILE);
  writeFileSync(
    file,
    readFileSync(file, "utf8")
      .replace(/^name: .*$/m, `name: ${name}`)
      .replace(/^account: .*$/m, 'account: "444444444444" # fake example account id')
      .replace(/^ {2}cidr: .*$/m, "  cidr: 10.99.0.0/16"),
  );
  return envs;
}
