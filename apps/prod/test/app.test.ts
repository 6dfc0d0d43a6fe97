import { loadEnvironment } from "@pgforks/config";
import { resourcesOfType, synthesizeInMemory } from "@pgforks/stacks";
import { withProxyEnabled } from "@pgforks/testing";

const loaded = loadEnvironment("prod");
const stacks = synthesizeInMemory([loaded]);

describe("the prod app", () => {
  it("synthesizes exactly prod-platform and prod-tenants", () => {
    expect(Object.keys(stacks).sort()).toEqual(["prod-platform", "prod-tenants"]);
  });

  it("runs the shared instance Multi-AZ, deletion-protected, with 14-day backups", () => {
    const [instance] = resourcesOfType(stacks["prod-platform"], "aws_db_instance");
    expect(instance).toMatchObject({
      multi_az: true,
      deletion_protection: true,
      backup_retention_period: 14,
      instance_class: "db.t4g.small",
    });
  });

  it("runs no RDS Proxy by default ($21.90/month), so apps connect to the instance", () => {
    expect(loaded.environment.proxy.enabled).toBe(false);
    expect(resourcesOfType(stacks["prod-platform"], "aws_db_proxy")).toEqual([]);
  });

  it("puts an RDS Proxy in front when enabled, authenticating every active tenant", () => {
    const [proxy] = resourcesOfType(
      synthesizeInMemory([withProxyEnabled(loaded)])["prod-platform"],
      "aws_db_proxy",
    );
    const auth = (proxy?.auth ?? []) as Array<{ description: string }>;
    expect(auth).toHaveLength(loaded.tenants.filter((t) => t.state === "active").length);
  });

  it("declares one database per tenant in the tenants stack, each protected from destroy", () => {
    const databases = resourcesOfType(stacks["prod-tenants"], "postgresql_database");
    expect(databases.map((d) => d.name).sort()).toEqual([
      "fintech_experiment",
      "healthtech_experiment",
      "startupwebapp_prod",
    ]);
    for (const db of databases) expect(db.lifecycle).toMatchObject({ prevent_destroy: true });
  });
});
