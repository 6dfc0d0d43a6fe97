// .github/scripts/instance-settle.sh, run for real against a stand-in `aws` on PATH. The stand-in
// answers `rds describe-db-instances` with the next of a scripted series of DescribeDBInstances
// responses (RDS API Reference: DBInstanceStatus, PendingModifiedValues, DBParameterGroups[]
// .ParameterApplyStatus) and records every call, so each test sees what the script asked AWS to do.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@pgforks/config";

const SCRIPT = join(repoRoot(), ".github", "scripts", "instance-settle.sh");
const PRIMARY = "pgforks-prod";
const GROUP = "pgforks-prod-postgres16-20261121000000000000000001";

const tmp = mkdtempSync(join(tmpdir(), "instance-settle-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface InstanceState {
  readonly status?: string;
  readonly pending?: Record<string, unknown>;
  readonly applyStatus?: string;
}

/** A DescribeDBInstances response for one instance. */
function described(id: string, state: InstanceState) {
  return {
    DBInstances: [
      {
        DBInstanceIdentifier: id,
        DBInstanceStatus: state.status ?? "available",
        PendingModifiedValues: state.pending ?? {},
        DBParameterGroups: [
          { DBParameterGroupName: GROUP, ParameterApplyStatus: state.applyStatus ?? "in-sync" },
        ],
      },
    ],
  };
}

/**
 * Runs the script with a fake `aws`: describe-db-instances of each instance answers the states
 * of `series[id]` in order (the last one repeats); every call is logged. Returns the result and
 * the calls as "service command id".
 */
function run(
  args: string[],
  series: Record<string, InstanceState[]>,
  env: Record<string, string> = {},
) {
  const dir = mkdtempSync(join(tmp, "run-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const log = join(dir, "calls.jsonl");
  const responses = Object.fromEntries(
    Object.entries(series).map(([id, states]) => [id, states.map((s) => described(id, s))]),
  );
  writeFileSync(
    join(bin, "aws"),
    `#!/usr/bin/env node
const fs = require("fs");
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + "\\n");
const id = args[args.indexOf("--db-instance-identifier") + 1];
const command = args.slice(0, 2).join(" ");
if (command === "rds describe-db-instances") {
  const responses = ${JSON.stringify(responses)}[id];
  if (!responses) { console.error("DBInstanceNotFound: " + id); process.exit(254); }
  const counter = ${JSON.stringify(dir)} + "/count-" + id;
  const n = fs.existsSync(counter) ? Number(fs.readFileSync(counter, "utf8")) : 0;
  fs.writeFileSync(counter, String(n + 1));
  console.log(JSON.stringify(responses[Math.min(n, responses.length - 1)]));
} else if (command === "rds reboot-db-instance") {
  console.log("{}");
} else if (command !== "rds wait") {
  console.error("unexpected: " + args.join(" ")); process.exit(99);
}
`,
  );
  chmodSync(join(bin, "aws"), 0o755);
  const result = spawnSync("bash", [SCRIPT, ...args], {
    encoding: "utf8",
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      SETTLE_POLL_SECONDS: "0",
      ...env,
    },
  });
  const calls = existsSync(log)
    ? readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .map((line) => {
          const a = JSON.parse(line) as string[];
          return `${a[0]} ${a[1]} ${a[a.indexOf("--db-instance-identifier") + 1]}`;
        })
    : [];
  return { ...result, calls };
}

describe("instance-settle.sh reboot-if-pending (apply-platform, after terraform apply)", () => {
  it("reboots an instance whose parameter group is pending-reboot, waits, and checks it is in sync", () => {
    const result = run(["reboot-if-pending", PRIMARY], {
      [PRIMARY]: [{ applyStatus: "pending-reboot" }, { applyStatus: "in-sync" }],
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.calls).toEqual([
      `rds describe-db-instances ${PRIMARY}`,
      `rds reboot-db-instance ${PRIMARY}`,
      `rds wait ${PRIMARY}`,
      `rds describe-db-instances ${PRIMARY}`,
    ]);
    expect(result.stdout).toContain(`parameter group ${GROUP} is pending-reboot; rebooting`);
    expect(result.stdout).toContain(`${PRIMARY}: rebooted, parameters in sync`);
  });

  it("does not reboot an instance whose parameters are in sync", () => {
    const replica = `${PRIMARY}-reporting`;
    const result = run(["reboot-if-pending", PRIMARY, replica], {
      [PRIMARY]: [{ applyStatus: "in-sync" }],
      [replica]: [{ applyStatus: "pending-reboot" }, {}],
    });
    expect(result.status).toBe(0);
    expect(result.calls).not.toContain(`rds reboot-db-instance ${PRIMARY}`);
    expect(result.calls).toContain(`rds reboot-db-instance ${replica}`);
    expect(result.stdout).toContain(`${PRIMARY}: parameters in sync, no reboot needed`);
  });

  it("waits for a modification still in progress before deciding", () => {
    const result = run(["reboot-if-pending", PRIMARY], {
      [PRIMARY]: [
        { status: "modifying", pending: { DBInstanceClass: "db.t4g.medium" } },
        { status: "available", applyStatus: "pending-reboot" },
        {},
      ],
    });
    expect(result.status).toBe(0);
    expect(result.calls.slice(0, 3)).toEqual([
      `rds describe-db-instances ${PRIMARY}`,
      `rds describe-db-instances ${PRIMARY}`,
      `rds reboot-db-instance ${PRIMARY}`,
    ]);
  });

  it("fails when the reboot leaves the parameter group out of sync", () => {
    const result = run(["reboot-if-pending", PRIMARY], {
      [PRIMARY]: [{ applyStatus: "pending-reboot" }, { applyStatus: "failed-to-apply" }],
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      `::error::${PRIMARY} was rebooted but its parameter group is not in sync: ${GROUP} failed-to-apply`,
    );
  });
});

describe("instance-settle.sh wait-settled (before the tenants stack)", () => {
  it("passes at once when nothing is pending", () => {
    const result = run(["wait-settled", PRIMARY], { [PRIMARY]: [{}] });
    expect(result.status).toBe(0);
    expect(result.calls).toEqual([`rds describe-db-instances ${PRIMARY}`]);
    expect(result.stdout).toContain(`${PRIMARY}: no modification pending`);
  });

  it("accepts storage-optimization, which runs online for hours after a storage change", () => {
    const result = run(["wait-settled", PRIMARY], {
      [PRIMARY]: [{ status: "storage-optimization" }],
    });
    expect(result.status).toBe(0);
  });

  it("waits while PendingModifiedValues is not empty, then passes", () => {
    const result = run(["wait-settled", PRIMARY], {
      [PRIMARY]: [
        { status: "modifying", pending: { AllocatedStorage: 40 } },
        { status: "modifying", pending: { AllocatedStorage: 40 } },
        {},
      ],
    });
    expect(result.status).toBe(0);
    expect(result.calls).toHaveLength(3);
    expect(result.stdout).toContain('pending {"AllocatedStorage":40}; waiting');
  });

  it("fails after the timeout with a clear message while a modification stays pending", () => {
    const result = run(
      ["wait-settled", PRIMARY],
      { [PRIMARY]: [{ pending: { DBInstanceClass: "db.t4g.medium" } }] },
      { SETTLE_TIMEOUT_SECONDS: "0" },
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      `::error::${PRIMARY} still has modifications pending after 0s (status available, PendingModifiedValues {"DBInstanceClass":"db.t4g.medium"})`,
    );
    expect(result.calls).not.toContainEqual(expect.stringMatching(/reboot/));
  });

  it("never reboots, but warns about a reboot left pending", () => {
    const result = run(["wait-settled", PRIMARY], {
      [PRIMARY]: [{ applyStatus: "pending-reboot" }],
    });
    expect(result.status).toBe(0);
    expect(result.calls).toEqual([`rds describe-db-instances ${PRIMARY}`]);
    expect(result.stdout).toContain(
      `::warning::${PRIMARY}: parameter group ${GROUP} is pending-reboot`,
    );
  });

  it("fails when the instance cannot be described", () => {
    const result = run(["wait-settled", "pgforks-missing"], {});
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      "::error::aws rds describe-db-instances failed for pgforks-missing",
    );
  });

  it("refuses to run without an instance", () => {
    const result = run(["wait-settled"], {});
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("usage: instance-settle.sh");
  });
});
