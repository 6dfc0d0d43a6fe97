import { INSTANCE_CLASS_NAMES, instanceCapacity } from "@pgforks/config";
import {
  deriveThresholds,
  GIB,
  STORAGE_AUTOSCALING_FREE_FRACTION,
  type StorageSettings,
} from "../src/thresholds";

const small = instanceCapacity("db.t4g.small"); // 2 vCPU, 2 GiB, burstable, 24 credits/hour
const memoryOptimized = instanceCapacity("db.r6g.large"); // 2 vCPU, 16 GiB
const general = instanceCapacity("db.m6g.large"); // 2 vCPU, 8 GiB
const defaults: StorageSettings = { allocatedStorageGb: 20, maxAllocatedStorageGb: 100 }; // seed 004

describe("deriveThresholds", () => {
  describe("CPUUtilization", () => {
    it("defaults to 80% (seed 004, the config schema's default)", () => {
      expect(deriveThresholds(small, defaults).cpuUtilizationPercent).toBe(80);
    });
    it("uses the configured percentage", () => {
      expect(deriveThresholds(small, defaults, 65).cpuUtilizationPercent).toBe(65);
    });
  });

  describe("DBLoad", () => {
    it("is the vCPU count: 2 on db.t4g.small and db.r6g.large", () => {
      expect(deriveThresholds(small, defaults).dbLoad).toBe(2);
      expect(deriveThresholds(memoryOptimized, defaults).dbLoad).toBe(2);
    });
    it("follows the vCPU column of the class table", () => {
      for (const name of INSTANCE_CLASS_NAMES) {
        const capacity = instanceCapacity(name);
        expect(deriveThresholds(capacity, defaults).dbLoad).toBe(capacity.vcpu);
      }
    });
  });

  describe("FreeableMemory", () => {
    it("is 25% of RAM in bytes: 536870912 on db.t4g.small (2 GiB)", () => {
      expect(deriveThresholds(small, defaults).freeableMemoryBytes).toBe(536870912);
    });
    it("is 4294967296 bytes (4 GiB) on db.r6g.large (16 GiB)", () => {
      expect(deriveThresholds(memoryOptimized, defaults).freeableMemoryBytes).toBe(4294967296);
    });
  });

  describe("FreeStorageSpace", () => {
    it("is 10% of the initial allocation in bytes: 2 GiB for 20 GiB growing to 100 GiB", () => {
      const t = deriveThresholds(small, defaults);
      expect(t.freeStorageSpaceBytes).toBe(2147483648);
      expect(t.freeStorageSpaceFractionOfMax).toBeCloseTo(0.02);
    });

    it("is 20 GiB for 200 GiB growing to 1000 GiB, whatever the class", () => {
      const storage = { allocatedStorageGb: 200, maxAllocatedStorageGb: 1000 };
      expect(deriveThresholds(memoryOptimized, storage).freeStorageSpaceBytes).toBe(21474836480);
      expect(deriveThresholds(small, storage).freeStorageSpaceBytes).toBe(21474836480);
    });

    it("never fires before autoscaling's own trigger at any size the instance can grow through", () => {
      const { freeStorageSpaceBytes } = deriveThresholds(small, defaults);
      // Autoscaling grows in steps of max(10 GiB, 10%) from the initial size to the ceiling.
      for (
        let allocated = defaults.allocatedStorageGb;
        allocated <= defaults.maxAllocatedStorageGb;
        allocated += Math.max(10, allocated * 0.1)
      ) {
        const autoscalingTrigger = STORAGE_AUTOSCALING_FREE_FRACTION * allocated * GIB;
        expect(freeStorageSpaceBytes).toBeLessThanOrEqual(autoscalingTrigger);
      }
    });

    it("stays below the naive 10%-of-maximum threshold, which fires with 10 GiB free on 20 GiB", () => {
      const naive = 0.1 * defaults.maxAllocatedStorageGb * GIB;
      const autoscalingTriggerAtStart = 0.1 * defaults.allocatedStorageGb * GIB;
      expect(naive).toBeGreaterThan(autoscalingTriggerAtStart);
      expect(deriveThresholds(small, defaults).freeStorageSpaceBytes).toBeLessThan(naive);
    });

    it("refuses storage settings without room to autoscale", () => {
      expect(() =>
        deriveThresholds(small, { allocatedStorageGb: 100, maxAllocatedStorageGb: 100 }),
      ).toThrow(/0 < allocatedStorageGb < maxAllocatedStorageGb.*got 100 and 100/);
      expect(() =>
        deriveThresholds(small, { allocatedStorageGb: 0, maxAllocatedStorageGb: 100 }),
      ).toThrow(/allocatedStorageGb/);
    });
  });

  describe("ReadLatency and WriteLatency", () => {
    it("are 0.02 seconds (20 ms), in CloudWatch's unit", () => {
      const t = deriveThresholds(memoryOptimized, defaults);
      expect(t.readLatencySeconds).toBe(0.02);
      expect(t.writeLatencySeconds).toBe(0.02);
    });
  });

  describe("DatabaseConnections", () => {
    it("warns at 80% and is critical at 90% of max_connections: 158 and 178 of 198 on db.t4g.small", () => {
      const t = deriveThresholds(small, defaults);
      expect(t.maxConnections).toBe(198); // RDS's formula on DBInstanceClassMemory, not the nominal 2 GiB
      expect(t.databaseConnectionsWarning).toBe(158);
      expect(t.databaseConnectionsCritical).toBe(178);
    });
    it("is 1267 and 1425 of 1584 on db.r6g.large", () => {
      const t = deriveThresholds(memoryOptimized, defaults);
      expect(t.maxConnections).toBe(1584);
      expect(t.databaseConnectionsWarning).toBe(1267);
      expect(t.databaseConnectionsCritical).toBe(1425);
    });
  });

  describe("CPU credits", () => {
    it("on db.t4g.small: balance below 115 (20% of 576 = 24 hours x 24 credits), any surplus charge", () => {
      const t = deriveThresholds(small, defaults);
      expect(small.maxCpuCreditBalance).toBe(576);
      expect(t.cpuCreditBalance).toBe(115);
      expect(t.cpuSurplusCreditsCharged).toBe(0);
    });
    it("do not apply to non-burstable classes", () => {
      for (const capacity of [memoryOptimized, general]) {
        const t = deriveThresholds(capacity, defaults);
        expect(t.cpuCreditBalance).toBeUndefined();
        expect(t.cpuSurplusCreditsCharged).toBeUndefined();
      }
    });
    it("apply exactly to the burstable rows of the class table", () => {
      for (const name of INSTANCE_CLASS_NAMES) {
        const capacity = instanceCapacity(name);
        expect(deriveThresholds(capacity, defaults).cpuCreditBalance !== undefined).toBe(
          capacity.burstable,
        );
      }
    });
  });

  describe("ReplicaLag", () => {
    it("is 30 seconds", () => {
      expect(deriveThresholds(small, defaults).replicaLagSeconds).toBe(30);
    });
  });

  describe("proxy", () => {
    it("is absent without proxy settings", () => {
      expect(deriveThresholds(small, defaults).proxy).toBeUndefined();
    });
    it("is relative to the pool: 178 connections (90% of 198) on db.t4g.small", () => {
      const p = deriveThresholds(small, defaults, 80, { maxConnectionsPercent: 90 }).proxy;
      expect(p).toEqual({
        poolSize: 178,
        clientConnections: 160,
        sessionPinnedConnections: 89,
        failedAuthPerPeriod: 10,
        availabilityPercent: 95,
      });
    });
    it("follows proxy.maxConnectionsPercent", () => {
      const p = deriveThresholds(memoryOptimized, defaults, 80, {
        maxConnectionsPercent: 50,
      }).proxy;
      expect(p?.poolSize).toBe(792);
      expect(p?.clientConnections).toBe(712);
      expect(p?.sessionPinnedConnections).toBe(396);
    });
  });
});
