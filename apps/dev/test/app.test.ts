import { loadEnvironment } from "@pgforks/config";
import { resourcesOfType, synthesizeInMemory } from "@pgforks/stacks";

const stacks = synthesizeInMemory([loadEnvironment("dev")]);

describe("the dev app", () => {
  it("is the cheap shape: small burstable class, single-AZ, no deletion protection", () => {
    const [instance] = resourcesOfType(stacks["dev-platform"], "aws_db_instance");
    expect(instance).toMatchObject({
      instance_class: "db.t4g.micro",
      multi_az: false,
      deletion_protection: false,
      skip_final_snapshot: false,
    });
  });

  it("has no RDS Proxy: the tenants' secrets point at the instance itself", () => {
    expect(resourcesOfType(stacks["dev-platform"], "aws_db_proxy")).toEqual([]);
    expect(resourcesOfType(stacks["dev-platform"], "aws_secretsmanager_secret")).toHaveLength(5);
  });

  it("still gets a bastion so CI can reach the private database", () => {
    expect(resourcesOfType(stacks["dev-platform"], "aws_instance")).toHaveLength(1);
  });
});
