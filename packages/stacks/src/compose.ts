import type { LoadedEnvironment } from "@pgforks/config";
import type { App } from "cdktf";
import { stackNames } from "./backend";
import { PlatformStack } from "./platform-stack";
import { TenantsStack } from "./tenants-stack";

/** The two stacks of one environment. */
export interface EnvironmentStacks {
  readonly platform: PlatformStack;
  readonly tenants: TenantsStack;
}

/**
 * Composes an environment: `<env>-platform` then `<env>-tenants`, which reads the platform's
 * outputs (instance address, master secret, proxy endpoint, tenant secrets) through cdktf's
 * cross-stack references, so the tenants stack is always applied after the platform stack.
 */
export function composeEnvironment(app: App, loaded: LoadedEnvironment): EnvironmentStacks {
  const names = stackNames(loaded.name);
  const platform = new PlatformStack(app, names.platform, { loaded });
  const tenants = new TenantsStack(app, names.tenants, { loaded, platform: platform.outputs() });
  tenants.addDependency(platform);
  return { platform, tenants };
}
