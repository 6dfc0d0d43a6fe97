import { composeEnvironment, type EnvironmentApp } from "@pgforks/stacks";

/** The prod environment: environments/prod composed into prod-platform and prod-tenants. */
export const app: EnvironmentApp = {
  environment: "prod",
  compose: composeEnvironment,
};
