import { composeEnvironment, type EnvironmentApp } from "@pgforks/stacks";

/** The staging environment: environments/staging composed into staging-platform and staging-tenants. */
export const app: EnvironmentApp = {
  environment: "staging",
  compose: composeEnvironment,
};
