import { composeEnvironment, type EnvironmentApp } from "@pgforks/stacks";

/** The dev environment: environments/dev composed into dev-platform and dev-tenants. */
export const app: EnvironmentApp = {
  environment: "dev",
  compose: composeEnvironment,
};
