import { INSTANCE_CLASS_NAMES, instanceCapacity } from ".";

describe("instanceCapacity", () => {
  it("derives memory in bytes and RDS's default max_connections (LEAST(RAM/9531392, 5000))", () => {
    expect(instanceCapacity("db.t4g.small")).toMatchObject({
      vcpu: 2,
      memoryBytes: 2147483648,
      maxConnections: 225,
      burstable: true,
      maxCpuCreditBalance: 576,
    });
    expect(instanceCapacity("db.t4g.micro").maxConnections).toBe(112);
    expect(instanceCapacity("db.r6g.2xlarge").maxConnections).toBe(5000); // 64 GiB hits the ceiling
    expect(instanceCapacity("db.m6g.large")).toMatchObject({
      burstable: false,
      maxCpuCreditBalance: undefined,
    });
  });

  it("has credits for every burstable class and none for the others", () => {
    for (const name of INSTANCE_CLASS_NAMES) {
      const c = instanceCapacity(name);
      expect(c.maxCpuCreditBalance !== undefined).toBe(c.burstable);
      expect(c.burstable).toBe(/^db\.t\d/.test(name));
    }
  });
});
