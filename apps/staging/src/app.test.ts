import { loadEnvironment } from "@pgforks/config";
import { resourcesOfType, synthesizeInMemory } from "@pgforks/stacks";
import { app } from ".";

const stacks = synthesizeInMemory([loadEnvironment(app.environment)], [app]);

describe("the staging app", () => {
  it("is single-AZ (cost) but keeps deletion protection and 7-day backups", () => {
    const [instance] = resourcesOfType(stacks["staging-platform"], "aws_db_instance");
    expect(instance).toMatchObject({
      multi_az: false,
      deletion_protection: true,
      backup_retention_period: 7,
    });
  });

  it("keeps the suspended saas fork's data but not its login", () => {
    const roles = resourcesOfType(stacks["staging-tenants"], "postgresql_role");
    expect(roles.find((r) => r.name === "saas")).toMatchObject({
      login: false,
      connection_limit: 0,
    });
    const databases = resourcesOfType(stacks["staging-tenants"], "postgresql_database");
    expect(databases.find((d) => d.name === "saas_experiment")).toMatchObject({
      lifecycle: { prevent_destroy: true },
    });
  });

  it("keeps a suspended tenant in the proxy's auth list (retired ones leave it)", () => {
    const [proxy] = resourcesOfType(stacks["staging-platform"], "aws_db_proxy");
    expect((proxy?.auth ?? []) as unknown[]).toHaveLength(4);
  });
});
