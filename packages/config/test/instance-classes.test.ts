import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { INSTANCE_CLASS_NAMES, instanceCapacity } from "../src";

describe("instanceCapacity", () => {
  it("derives memory in bytes and RDS's default max_connections, LEAST(DBInstanceClassMemory/9531392, 5000)", () => {
    expect(instanceCapacity("db.t4g.small")).toMatchObject({
      vcpu: 2,
      memoryBytes: 2147483648,
      // 2 GiB × 0.879, below the listed RAM: the OS and RDS processes keep the rest.
      dbInstanceClassMemoryBytes: 1887638126,
      burstable: true,
      maxCpuCreditBalance: 576,
    });
    // Observed on 2 GiB classes (issue 10), not the 225 that the nominal 2 GiB would give.
    expect(instanceCapacity("db.t4g.small").maxConnections).toBe(198);
    expect(instanceCapacity("db.t3.small").maxConnections).toBe(198);
    expect(Math.floor(2147483648 / 9531392)).toBe(225);
    expect(instanceCapacity("db.t4g.micro").maxConnections).toBe(99);
    expect(instanceCapacity("db.t4g.medium").maxConnections).toBe(396);
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

describe("docs/operations.md, Scaling the shared instance", () => {
  it("lists the max_connections the budget assumes per class, as instanceCapacity computes them", () => {
    const runbook = readFileSync(resolve(__dirname, "../../../docs/operations.md"), "utf8");
    const rows = [...runbook.matchAll(/^\| (db\.[a-z0-9.]+) \| (\d+) GiB \| (\d+) \|$/gm)];
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const [, name, gib, connections] of rows) {
      if (!INSTANCE_CLASS_NAMES.includes(name as never)) throw new Error(`unknown class ${name}`);
      const capacity = instanceCapacity(name as (typeof INSTANCE_CLASS_NAMES)[number]);
      expect({ name, gib: Number(gib), connections: Number(connections) }).toEqual({
        name,
        gib: capacity.memoryGib,
        connections: capacity.maxConnections,
      });
    }
  });
});
