// .github/scripts/zone-offerings.sh, run for real against a stand-in `aws` on PATH that answers
// like the EC2 and RDS APIs (DescribeAvailabilityZones, DescribeOrderableDBInstanceOptions with
// the script's --query applied, DescribeInstanceTypeOfferings) for an account whose zone names
// differ from the AZ IDs, as AWS assigns them per account.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@pgforks/config";

const SCRIPT = join(repoRoot(), ".github", "scripts", "zone-offerings.sh");
const tmp = mkdtempSync(join(tmpdir(), "zone-offerings-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** This account's names of the us-east-1 AZ IDs (AZ names are shuffled per account). */
const ZONE_NAMES: Record<string, string> = {
  "use1-az1": "us-east-1c",
  "use1-az2": "us-east-1d",
  "use1-az3": "us-east-1e",
  "use1-az4": "us-east-1a",
};

interface World {
  /** Zone names where RDS offers the class. */
  readonly rdsZones: readonly string[];
  /** AZ IDs where EC2 offers the bastion's type. */
  readonly ec2Zones: readonly string[];
}

function run(args: string[], world: World) {
  const bin = mkdtempSync(join(tmp, "bin-"));
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, "aws"),
    `#!/usr/bin/env node
const args = process.argv.slice(2);
const arg = (name) => args[args.indexOf(name) + 1];
const command = args.slice(0, 2).join(" ");
const names = ${JSON.stringify(ZONE_NAMES)};
if (command === "ec2 describe-availability-zones") {
  const ids = args.slice(args.indexOf("--zone-ids") + 1, args.indexOf("--output"));
  const unknown = ids.filter((id) => !(id in names));
  if (unknown.length) { console.error("An error occurred (InvalidParameterValue): Invalid availability zone: [" + unknown + "]"); process.exit(254); }
  console.log(JSON.stringify({ AvailabilityZones: ids.map((id) => ({ ZoneId: id, ZoneName: names[id] })) }));
} else if (command === "rds describe-orderable-db-instance-options") {
  if (arg("--engine") !== "postgres" || arg("--db-instance-class") !== "db.t4g.small") process.exit(98);
  // Two orderable options (e.g. two engine versions), each listing its zones: the --query flattens.
  const zones = ${JSON.stringify(world.rdsZones)};
  console.log(JSON.stringify([...zones, ...zones]));
} else if (command === "ec2 describe-instance-type-offerings") {
  const location = args.find((a) => a.startsWith("Name=location,Values=")).split("=").pop();
  const offered = ${JSON.stringify(world.ec2Zones)}.includes(location);
  console.log(JSON.stringify(offered ? ["t4g.nano"] : []));
} else { console.error("unexpected: " + args.join(" ")); process.exit(99); }
`,
  );
  chmodSync(join(bin, "aws"), 0o755);
  return spawnSync("bash", [SCRIPT, ...args], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
}

const everywhere: World = {
  rdsZones: Object.values(ZONE_NAMES),
  ec2Zones: Object.keys(ZONE_NAMES),
};

describe("zone-offerings.sh (before the platform plan)", () => {
  it("passes when the class is offered in every zone and the bastion type in its zone", () => {
    const result = run(["db.t4g.small", "use1-az1 use1-az2", "use1-az1", "t4g.nano"], everywhere);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      "db.t4g.small is offered in use1-az1 use1-az2; t4g.nano in use1-az1\n",
    );
  });

  it("fails on a zone that does not offer the class, naming its ID, its name here and where it is offered", () => {
    const result = run(["db.t4g.small", "use1-az1 use1-az3"], {
      ...everywhere,
      rdsZones: ["us-east-1c", "us-east-1a"],
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(
      "::error::environment.yaml availabilityZones: use1-az3 (us-east-1e in this account) does not offer db.t4g.small for RDS for PostgreSQL (offered in: us-east-1a, us-east-1c); choose other AZ IDs or another database.instanceClass\n",
    );
  });

  it("fails when the bastion's instance type is not offered in its zone", () => {
    const result = run(["db.t4g.small", "use1-az1 use1-az3", "use1-az3", "t4g.nano"], {
      ...everywhere,
      ec2Zones: ["use1-az1"],
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      "::error::environment.yaml network: the bastion's t4g.nano is not offered in use1-az3; set network.bastionAvailabilityZone",
    );
  });

  it("fails on an AZ ID the region does not have", () => {
    const result = run(["db.t4g.small", "use1-az1 use1-az9"], everywhere);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      "::error::availabilityZones (use1-az1 use1-az9): not every AZ ID exists in this region",
    );
  });

  it("refuses to run without zones", () => {
    expect(run(["db.t4g.small"], everywhere).status).toBe(2);
  });
});
