import { loadEnvironment } from "@pgforks/config";
import { resourcesOfType, synthesizeInMemory } from "@pgforks/stacks";
import { withProxyEnabled } from "@pgforks/testing";

const loaded = loadEnvironment("staging");
const stacks = synthesizeInMemory([loaded]);

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

  it("runs no RDS Proxy by default ($21.90/month): apps connect to the instance", () => {
    expect(loaded.environment.proxy.enabled).toBe(false);
    expect(resourcesOfType(stacks["staging-platform"], "aws_db_proxy")).toEqual([]);
  });

  it("with the proxy on, keeps a suspended tenant in its auth list (retired ones leave it)", () => {
    const proxied = synthesizeInMemory([withProxyEnabled(loaded)]);
    const [proxy] = resourcesOfType(proxied["staging-platform"], "aws_db_proxy");
    const auth = (proxy?.auth ?? []) as Array<{ description: string }>;
    // startupwebapp, healthtech, edtech (active) and saas (suspended).
    expect(auth.map((a) => a.description).sort()).toEqual(
      ["edtech", "healthtech", "saas", "startupwebapp"].map((t) => `tenant ${t}`),
    );
  });
});
