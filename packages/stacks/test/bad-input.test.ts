// Bad input, one table per kind of input (environment.yaml, tenants.yaml, CLI arguments): each
// case is refused with an exit code, a message naming the file and the field, no stack trace,
// and every file byte-identical afterwards. A subset runs the real synth / tenant CLI (tsx).
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import {
  ConfigError,
  environmentsDir,
  formatProblemList,
  loadEnvironment,
  repoRoot,
} from "@pgforks/config";
import { testWhen } from "@pgforks/testing";

const root = repoRoot();
const tsx = join(root, "node_modules", ".bin", "tsx");
const scratch = mkdtempSync(join(tmpdir(), "pgforks-bad-input-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every file below `dir` with its bytes (a link: its target; a named pipe: its mode), to prove nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isSymbolicLink()) out[relative(dir, p)] = `link:${readlinkSync(p)}`;
      else if (e.isFIFO()) out[relative(dir, p)] = `fifo:${lstatSync(p).mode}`;
      else out[relative(dir, p)] = `${statSync(p).mode}:${readFileSync(p).toString("base64")}`;
    }
  };
  walk(dir);
  return out;
}

/** A fresh copy of environments/ (under `<case>/environments`) with `edit` applied. */
function fixture(edit: (envs: string) => void): { dir: string; envs: string } {
  const dir = mkdtempSync(join(scratch, "case-"));
  const envs = join(dir, "environments");
  cpSync(environmentsDir(), envs, { recursive: true });
  edit(envs);
  return { dir, envs };
}

const replaceIn = (file: string, from: string | RegExp, to: string) => (envs: string) => {
  const path = join(envs, file);
  const text = readFileSync(path, "utf8");
  const next = text.replace(from, to);
  if (next === text) throw new Error(`fixture edit matched nothing in ${file}: ${from}`);
  writeFileSync(path, next);
};
const append = (file: string, text: string) => (envs: string) =>
  writeFileSync(join(envs, file), readFileSync(join(envs, file), "utf8") + text);
const replaceFile = (file: string, make: (path: string) => void) => (envs: string) => {
  rmSync(join(envs, file));
  make(join(envs, file));
};
/** A named pipe: reading one waits for a writer forever. */
const mkfifo = (path: string) => {
  const made = spawnSync("mkfifo", [path], { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`mkfifo ${path}: ${made.stderr}`);
};

interface ConfigCase {
  readonly name: string;
  readonly edit: (envs: string) => void;
  /** Text the message must contain: the field (path) and what is wrong. */
  readonly expect: readonly string[];
  /** Also run the real synth as a subprocess. */
  readonly synth?: boolean;
  /** How many problems exactly, when that is the point of the case. */
  readonly problems?: number;
}

const ENV = "environments/prod/environment.yaml";
/** A Terraform template, written into YAML as a quoted string. */
const TEMPLATE = '"$' + '{file(\\"/etc/hostname\\")}"';
const TEN = "environments/prod/tenants.yaml";
const e = (file: string) => file.replace("environments/", "");

const environmentCases: ConfigCase[] = [
  {
    name: "VPC CIDR with host bits set",
    edit: replaceIn(e(ENV), "cidr: 10.30.0.0/16", "cidr: 10.30.0.1/16"),
    expect: ["network.cidr", "host bits set; did you mean 10.30.0.0/16"],
    synth: true,
  },
  {
    name: "VPC CIDR too large",
    edit: replaceIn(e(ENV), "cidr: 10.30.0.0/16", "cidr: 10.0.0.0/8"),
    expect: ["network.cidr", "prefix from /16 to /24"],
  },
  {
    name: "unknown region",
    edit: replaceIn(e(ENV), "region: us-east-1\n", "region: mars-east-1\n"),
    expect: ["region", "must be an AWS region"],
    synth: true,
  },
  {
    name: "AZ ID of another region",
    edit: replaceIn(e(ENV), "use1-az4]", "usw2-az4]"),
    expect: ["availabilityZones[2]", "must be an AZ ID of region us-east-1, e.g. use1-az1"],
  },
  {
    name: "AZ name instead of an AZ ID",
    edit: replaceIn(e(ENV), "[use1-az1,", "[us-east-1a,"),
    expect: ["availabilityZones[0]", "must be an availability zone ID such as use1-az1"],
  },
  {
    name: "bastion in a zone that is not listed",
    edit: replaceIn(
      e(ENV),
      "  bastionPublicIp: true\n",
      "  bastionPublicIp: true\n  bastionAvailabilityZone: use1-az6\n",
    ),
    expect: ["network.bastionAvailabilityZone", "must be one of availabilityZones"],
  },
  {
    name: "interface endpoints in more zones than the environment has (silently fewer)",
    edit: replaceIn(
      e(ENV),
      "  bastion: true\n",
      "  bastion: true\n  interfaceEndpoints: true\n  interfaceEndpointZones: 6\n",
    ),
    expect: [
      "network.interfaceEndpointZones: must be at most the number of availabilityZones (3)",
      "(found 6)",
    ],
    problems: 1,
  },
  {
    name: "tag key reserved by AWS",
    edit: append(e(ENV), "tags:\n  aws:team: x\n"),
    expect: ["tags.aws:team", "reserved by AWS"],
  },
  {
    name: "more tags than AWS allows on a resource with pgforks' own (refused at apply)",
    edit: append(
      e(ENV),
      `tags:\n${Array.from({ length: 47 }, (_, i) => `  team${i}: x\n`).join("")}`,
    ),
    expect: ["tags: has 47 tags; at most 46 fit: AWS allows 50 per resource"],
    problems: 1,
  },
  {
    name: "a tag key pgforks sets (the environment tag would be overridden)",
    edit: append(e(ENV), "tags:\n  environment: production\n"),
    expect: [
      'tags.environment: is a tag pgforks sets on every resource (project, environment, managed-by); choose another key (found "production")',
    ],
    synth: true,
    problems: 1,
  },
  {
    name: "tag value with a Terraform template",
    edit: append(e(ENV), `tags:\n  team: ${TEMPLATE}\n`),
    expect: ["tags.team", "must be at most 256 characters of letters"],
  },
  {
    name: "unknown instance class (list summarized)",
    edit: replaceIn(e(ENV), "instanceClass: db.t4g.small", "instanceClass: db.x9.huge"),
    expect: ["database.instanceClass", "allowed values, listed in environments/schema/"],
    synth: true,
  },
  {
    name: "master user named postgres",
    edit: replaceIn(
      e(ENV),
      "backupRetentionDays: 14",
      "backupRetentionDays: 14\n  masterUsername: postgres",
    ),
    expect: ["database.masterUsername", "reserved"],
  },
  {
    name: "master user with the rds_ prefix",
    edit: replaceIn(
      e(ENV),
      "backupRetentionDays: 14",
      "backupRetentionDays: 14\n  masterUsername: rds_boss",
    ),
    expect: ["database.masterUsername", "rds_"],
  },
  // RDS API, CreateDBInstance MasterUsername: 1 to 16 letters, digits or underscores, a letter
  // first. Both were accepted as PostgreSQL identifiers and refused by RDS only at apply.
  {
    name: "master user starting with an underscore (RDS wants a letter first)",
    edit: replaceIn(
      e(ENV),
      "backupRetentionDays: 14",
      "backupRetentionDays: 14\n  masterUsername: _admin",
    ),
    expect: [
      ':26:19 database.masterUsername: must start with a letter: RDS accepts 1 to 16 letters, digits or underscores, a letter first (RDS API, CreateDBInstance MasterUsername) (found "_admin")',
    ],
    problems: 1,
  },
  {
    name: "master user of 17 characters (RDS's limit is 16)",
    edit: replaceIn(
      e(ENV),
      "backupRetentionDays: 14",
      "backupRetentionDays: 14\n  masterUsername: pgforks_admin_001",
    ),
    expect: [
      ":26:19 database.masterUsername: is 17 characters long: RDS accepts 1 to 16 letters, digits or underscores",
    ],
    synth: true,
    problems: 1,
  },
  {
    name: "read replica of a class with less memory than the primary (its max_connections is lower: the standby does not start)",
    edit: replaceIn(
      e(ENV),
      "backupRetentionDays: 14",
      "backupRetentionDays: 14\n  readReplicas:\n    - name: reporting\n      instanceClass: db.t4g.micro",
    ),
    expect: [
      ":28:22 database.readReplicas[0].instanceClass: has max_connections 99 (1 GiB), below the primary's 198 (db.t4g.small, 2 GiB)",
      'Use a class with at least 2 GiB of memory, or leave instanceClass out for the primary\'s (found "db.t4g.micro")',
    ],
    synth: true,
    problems: 1,
  },
  {
    name: "storage above the default autoscaling ceiling (named the unwritten maxAllocatedStorageGb, no line)",
    edit: replaceIn(
      e(ENV),
      "backupRetentionDays: 14",
      "backupRetentionDays: 14\n  allocatedStorageGb: 200",
    ),
    expect: [
      ":26:23 database.allocatedStorageGb: must be below maxAllocatedStorageGb (default 100) so storage can autoscale: set database.maxAllocatedStorageGb above 200 too (found 200)",
    ],
    problems: 1,
  },
  {
    name: "an empty file (a truncated save): one problem, not one per required field",
    edit: replaceFile(e(ENV), (path) => writeFileSync(path, "# yaml-language-server: x\n\n")),
    expect: [
      "environment.yaml is empty (no YAML value: only blanks, comments or null): write its settings, as environments/schema/environment.schema.json describes",
    ],
    synth: true,
    problems: 1,
  },
  {
    name: "short account id",
    edit: replaceIn(e(ENV), 'account: "333333333333"', 'account: "1234"'),
    expect: ["account", "12-digit AWS account id"],
  },
  {
    name: "backup window in words",
    edit: replaceIn(
      e(ENV),
      "backupRetentionDays: 14",
      "backupRetentionDays: 14\n  backupWindow: 3am",
    ),
    expect: ["database.backupWindow", "must look like 03:00-04:00"],
  },
  {
    name: "unknown key",
    edit: append(e(ENV), "colour: blue\n"),
    expect: ["colour", 'unknown key "colour"'],
    synth: true,
  },
  {
    name: "two YAML documents",
    edit: append(e(ENV), "---\nname: prod\n"),
    expect: ["holds 2 YAML documents"],
  },
  {
    name: "YAML anchor and alias",
    edit: replaceIn(e(ENV), "region: us-east-1\n", "region: &r us-east-1\nx: *r\n"),
    expect: ["YAML anchor (&name) or alias (*name)"],
    synth: true,
  },
  {
    name: "a directory where the file should be",
    edit: replaceFile(e(ENV), (p) => mkdirSync(p)),
    expect: ["is a directory, expected a YAML file"],
    synth: true,
  },
  {
    name: "missing file",
    edit: (envs) => rmSync(join(envs, e(ENV))),
    expect: ["file is missing"],
  },
  {
    name: "binary junk",
    edit: replaceFile(e(ENV), (p) => writeFileSync(p, Buffer.from([0, 159, 146, 150, 1, 2, 255]))),
    expect: ["is not a text file"],
  },
  {
    name: "KMS key id with a Terraform template",
    edit: replaceIn(e(ENV), "kmsKeyId: alias/pgforks-tfstate", `kmsKeyId: ${TEMPLATE}`),
    expect: ["stateBackend.kmsKeyId", "must be a KMS key id"],
  },
  {
    name: "bastion instance type with a space",
    edit: replaceIn(e(ENV), "bastion: true", "bastion: true\n  bastionInstanceType: t4g nano"),
    expect: ["network.bastionInstanceType", "EC2 instance type"],
  },
  {
    name: "name that does not match the folder",
    edit: replaceIn(e(ENV), "name: prod", "name: production"),
    expect: ["name", 'must match the folder name "prod"'],
  },
  {
    name: "account id without quotes (YAML reads a number and drops the leading zero)",
    edit: replaceIn(e(ENV), 'account: "333333333333"', "account: 012345678901"),
    expect: ["account", "put the value in quotes", "(found 012345678901)"],
  },
  {
    name: "a key written twice",
    edit: replaceIn(e(ENV), "multiAz: true", "multiAz: true\n  multiAz: false"),
    expect: ["database.multiAz", 'duplicate key "multiAz" (first at line 23)', "keep one"],
    synth: true,
  },
  {
    name: "connection reserve above max_connections (no tenant limit could fix it)",
    edit: replaceIn(
      e(ENV),
      "backupRetentionDays: 14",
      "backupRetentionDays: 14\n  connectionReserve: 500",
    ),
    expect: [
      ":26:22 database.connectionReserve: must be below max_connections 198 of db.t4g.small",
      "(found 500)",
    ],
    synth: true,
    problems: 1,
  },
  {
    name: "project with two hyphens in a row (an RDS identifier; synth printed a stack trace)",
    edit: replaceIn(e(ENV), "name: prod\n", "name: prod\nproject: pg--forks\n"),
    expect: ["project: must be 3-32 characters of lowercase letters, digits and single hyphens"],
    synth: true,
    problems: 1,
  },
  {
    name: "state key other than the one the bootstrap stack creates (bootstrap synth's stack trace)",
    edit: replaceIn(e(ENV), "kmsKeyId: alias/pgforks-tfstate", "kmsKeyId: alias/other-tfstate"),
    expect: [
      'stateBackend.kmsKeyId: must be alias/pgforks-tfstate (or its alias ARN), the state key the bootstrap stack creates for project "pgforks"',
      '(found "alias/other-tfstate")',
    ],
    synth: true,
    problems: 1,
  },
  {
    name: "state under the bootstrap stacks' own prefix",
    edit: replaceIn(e(ENV), "keyPrefix: pgforks/prod", "keyPrefix: bootstrap/prod"),
    expect: ['stateBackend.keyPrefix: lies under "bootstrap/"'],
    problems: 1,
  },
  // RDS's window rules beyond the format (CreateDBInstance): refused at apply time before.
  {
    name: "backup window overlapping the default maintenance window (RDS refuses it at apply)",
    edit: replaceIn(
      e(ENV),
      "backupRetentionDays: 14",
      'backupRetentionDays: 14\n  backupWindow: "04:00-05:00"',
    ),
    // Reported on backupWindow, the one written (the maintenance window is the default).
    expect: [
      "database.backupWindow: must not overlap the maintenance window sun:04:30-sun:05:30 (it does on sun); RDS refuses overlapping windows",
      '(found "04:00-05:00")',
    ],
    synth: true,
    problems: 1,
  },
  {
    name: "maintenance window across midnight over the default backup window",
    edit: replaceIn(
      e(ENV),
      "backupRetentionDays: 14",
      "backupRetentionDays: 14\n  maintenanceWindow: sat:23:50-sun:03:10",
    ),
    expect: [
      ":26:22 database.maintenanceWindow: must not overlap the daily backup window 03:00-04:00 (it does on sun)",
      '(found "sat:23:50-sun:03:10")',
    ],
    problems: 1,
  },
  {
    name: "backup window of 10 minutes",
    edit: replaceIn(
      e(ENV),
      "backupRetentionDays: 14",
      'backupRetentionDays: 14\n  backupWindow: "03:00-03:10"',
    ),
    expect: ["database.backupWindow: must be at least 30 minutes long", '(found "03:00-03:10")'],
  },
  {
    name: "maintenance window of 10 minutes",
    edit: replaceIn(
      e(ENV),
      "backupRetentionDays: 14",
      "backupRetentionDays: 14\n  maintenanceWindow: sun:04:30-sun:04:40",
    ),
    expect: ["database.maintenanceWindow: must be at least 30 minutes long"],
  },
  {
    name: "a symbolic link to a file that does not exist",
    edit: replaceFile(e(ENV), (p) => symlinkSync("../shared/environment.yaml", p)),
    expect: ["is a symbolic link to ../shared/environment.yaml, which does not exist"],
  },
];

const junk = Array.from(
  { length: 500 },
  (_, i) => `  - name: T${i}\n    owner: t@example.com\n`,
).join("");

const tenantsCases: ConfigCase[] = [
  {
    name: "name with capitals and a hyphen",
    edit: replaceIn(e(TEN), "name: fintech", "name: Fin-Tech"),
    expect: ["tenants[2].name", "lowercase"],
    synth: true,
  },
  {
    name: "name postgres",
    edit: replaceIn(e(TEN), "name: fintech", "name: postgres"),
    expect: ["tenants[2].name", "reserved"],
  },
  {
    name: "name with a zero-width space pasted in (the found value shows it)",
    edit: replaceIn(e(TEN), "name: fintech", "name: fintech\u200b"),
    expect: ["tenants[2].name", "lowercase", '(found "fintech\\u200b")'],
    synth: true,
  },
  {
    name: "name with a right-to-left override (the found value is not shown reversed)",
    edit: replaceIn(e(TEN), "name: fintech", "name: fin\u202etech"),
    expect: ["tenants[2].name", '(found "fin\\u202etech")'],
  },
  {
    name: "name with the pg_ prefix",
    edit: replaceIn(e(TEN), "name: fintech", "name: pg_fintech"),
    expect: ["tenants[2].name", "pg_"],
  },
  {
    name: "name that is an SQL key word",
    edit: replaceIn(e(TEN), "name: fintech", "name: select"),
    expect: ["tenants[2].name", "reserved SQL key word"],
  },
  {
    name: "duplicate name",
    edit: replaceIn(e(TEN), "name: fintech", "name: healthtech"),
    expect: ["tenants[2].name", "duplicate tenant name"],
    synth: true,
  },
  {
    name: "connection limit in words",
    edit: replaceIn(
      e(TEN),
      "connectionLimit: 20\n    extensions",
      'connectionLimit: "ten"\n    extensions',
    ),
    expect: ["tenants[2].connectionLimit", "must be a number"],
  },
  {
    name: "connection limit too high",
    edit: replaceIn(
      e(TEN),
      "connectionLimit: 20\n    extensions",
      "connectionLimit: 5000\n    extensions",
    ),
    expect: ["tenants[2].connectionLimit", "at most 1000"],
  },
  {
    name: "unknown state",
    edit: replaceIn(e(TEN), "name: fintech", "name: fintech\n    state: paused"),
    expect: ["tenants[2].state", "must be one of"],
  },
  {
    name: "dropped without confirmDrop",
    edit: replaceIn(e(TEN), "name: fintech", "name: fintech\n    state: dropped"),
    expect: ["tenants[2].confirmDrop", "set confirmDrop: fintech_experiment"],
  },
  {
    name: "extension not allowed",
    edit: replaceIn(e(TEN), "extensions: [pgcrypto]", "extensions: [plpython3u]"),
    expect: ["tenants[2].extensions[0]", "must be one of"],
  },
  {
    name: "owner too short",
    edit: replaceIn(e(TEN), "owner: fintech-team@example.com", "owner: x"),
    expect: ["tenants[2].owner", "at least 3 characters"],
  },
  {
    name: "owner far too long (found value truncated)",
    edit: replaceIn(e(TEN), "owner: fintech-team@example.com", `owner: ${"x".repeat(5000)}`),
    expect: ["tenants[2].owner", "at most 200 characters", "(5000 characters)"],
  },
  {
    name: "tenant named like the master user",
    edit: replaceIn(e(TEN), "name: fintech", "name: forks_admin"),
    expect: ["tenants[2].name", "master username"],
  },
  {
    name: "two YAML documents",
    edit: append(e(TEN), "---\ntenants: []\n"),
    expect: ["holds 2 YAML documents"],
    synth: true,
  },
  {
    name: "YAML alias",
    edit: replaceIn(
      e(TEN),
      "owner: fintech-team@example.com",
      "owner: &o fintech-team@example.com\n    description: *o",
    ),
    expect: ["YAML anchor (&name) or alias (*name)"],
  },
  {
    name: "a directory where the file should be",
    edit: replaceFile(e(TEN), (p) => mkdirSync(p)),
    expect: ["is a directory, expected a YAML file"],
  },
  {
    name: "binary junk",
    edit: replaceFile(e(TEN), (p) => writeFileSync(p, Buffer.alloc(4096, 0))),
    expect: ["is not a text file"],
  },
  {
    name: "name none (PostgreSQL refuses it as a role name, even quoted)",
    edit: replaceIn(e(TEN), "name: fintech", "name: none"),
    expect: ["tenants[2].name", "reserved by PostgreSQL/RDS", '(found "none")'],
  },
  {
    name: "an extension listed twice (two resources with one address)",
    edit: replaceIn(e(TEN), "extensions: [pgcrypto]", "extensions: [pgcrypto, citext, pgcrypto]"),
    expect: [
      "tenants[2].extensions[2]",
      'duplicate extension "pgcrypto" (already at extensions[0])',
    ],
    synth: true,
  },
  {
    name: "connection limit with a fraction",
    edit: replaceIn(
      e(TEN),
      "connectionLimit: 20\n    extensions",
      "connectionLimit: 10.5\n    extensions",
    ),
    expect: ["tenants[2].connectionLimit", "must be a whole number", "(found 10.5)"],
  },
  {
    name: "connection limit beyond any number (YAML reads infinity)",
    edit: replaceIn(
      e(TEN),
      "connectionLimit: 20\n    extensions",
      "connectionLimit: 1e400\n    extensions",
    ),
    expect: [
      "tenants[2].connectionLimit",
      "out of range (YAML reads it as infinity)",
      "(found 1e400)",
    ],
  },
  {
    name: "a key written twice in one entry",
    edit: replaceIn(
      e(TEN),
      "connectionLimit: 20\n    extensions",
      "connectionLimit: 20\n    connectionLimit: 30\n    extensions",
    ),
    expect: ["tenants[2].connectionLimit", 'duplicate key "connectionLimit" (first at line 19)'],
    synth: true,
  },
  {
    name: "a tab used for indentation (one problem, not five)",
    edit: replaceIn(e(TEN), "    owner: fintech-team", "\towner: fintech-team"),
    expect: [":18:1 invalid YAML: a tab is used for indentation", "replace the tab with spaces"],
    problems: 1,
  },
  {
    name: "a list at the top instead of tenants:",
    edit: replaceFile(e(TEN), (p) => writeFileSync(p, "- name: fintech\n  owner: x@example.com\n")),
    expect: ["must be a mapping (key: value lines)"],
  },
  {
    name: "a symbolic link to itself",
    edit: replaceFile(e(TEN), (p) => symlinkSync(basename(p), p)),
    expect: ["cannot read: too many symbolic links (ELOOP)"],
  },
  {
    name: "read-only role named like the master user",
    edit: (envs) => {
      replaceIn(
        e(ENV),
        "backupRetentionDays: 14",
        "backupRetentionDays: 14\n  masterUsername: fintech_readonly",
      )(envs);
      replaceIn(
        e(TEN),
        "extensions: [pgcrypto]",
        "extensions: [pgcrypto]\n    readOnlyRole: true",
      )(envs);
    },
    expect: [
      "tenants[2].readOnlyRole",
      'would create role "fintech_readonly", the master username of',
    ],
    synth: true,
  },
  {
    // 4,000 entries of 50 unknown keys: push(...problems) passed 200,000 arguments and overflowed
    // the stack (a RangeError, and synth's stack trace) instead of the summarized report.
    name: "200,000 problems in one file (report summarized, no RangeError)",
    edit: append(
      e(TEN),
      Array.from(
        { length: 4_000 },
        (_, i) =>
          `  - {name: t${i}, owner: abc, ${Array.from({ length: 50 }, (_, k) => `k${k}: 1`).join(", ")}}\n`,
      ).join(""),
    ),
    expect: ['tenants[3].k0: unknown key "k0"', "... and 199980 more problems"],
    problems: 21,
  },
  {
    name: "a lone document marker (---): one problem saying the file is empty",
    edit: replaceFile(e(TEN), (path) => writeFileSync(path, "---\n")),
    expect: ["tenants.yaml is empty (no YAML value: only blanks, comments or null)"],
    problems: 1,
  },
  {
    name: "500 bad tenants (report summarized)",
    edit: append(e(TEN), junk),
    expect: ["tenants[3].name", "more problems"],
  },
];

const NO_STACK = /^\s{4}at /m;

function expectConfigRefusal(c: ConfigCase, file: string) {
  const { dir, envs } = fixture(c.edit);
  const before = snapshot(envs);
  let error: unknown;
  try {
    loadEnvironment("prod", envs);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const lines = formatProblemList((error as ConfigError).problems);
  expect(lines.length).toBeLessThanOrEqual(21);
  if (c.problems !== undefined) expect(lines).toHaveLength(c.problems);
  const text = lines.join("\n");
  expect(text).toContain(join(envs, e(file)));
  for (const part of c.expect) expect(text).toContain(part);
  for (const line of lines) expect(line.length).toBeLessThan(600);
  if (c.synth) {
    const run = spawnSync(tsx, [join(root, "apps", "main.ts")], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, PGFORKS_ENVIRONMENTS_DIR: envs },
      timeout: 50_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("Synth stopped before writing anything");
    expect(run.stderr).toContain(join("prod", e(file).split("/")[1] as string));
    for (const part of c.expect) expect(run.stderr).toContain(part);
    expect(run.stderr).not.toMatch(NO_STACK);
    expect(readdirSync(dir)).toEqual(["environments"]);
  }
  expect(snapshot(envs)).toEqual(before);
}

describe("bad environment.yaml", () => {
  it.each(environmentCases.map((c) => [c.name, c] as const))(
    "%s",
    (_name, c) => {
      expectConfigRefusal(c, ENV);
    },
    60_000,
  );
});

describe("bad tenants.yaml", () => {
  it.each(tenantsCases.map((c) => [c.name, c] as const))(
    "%s",
    (_name, c) => {
      expectConfigRefusal(c, TEN);
    },
    60_000,
  );
});

describe("an environment folder without its files", () => {
  it("stops synth (every folder is an environment, none silently skipped), naming the file", () => {
    const { dir, envs } = fixture((envs) => {
      mkdirSync(join(envs, "qa"));
      writeFileSync(join(envs, "qa", "tenants.yaml"), "tenants: []\n");
    });
    const before = snapshot(envs);
    const run = spawnSync(tsx, [join(root, "apps", "main.ts")], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, PGFORKS_ENVIRONMENTS_DIR: envs },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `${join("environments", "qa", "environment.yaml")} file is missing`,
    );
    expect(run.stderr).not.toMatch(NO_STACK);
    expect(snapshot(envs)).toEqual(before);
    expect(existsSync(join(dir, "cdktf.out"))).toBe(false);
  }, 60_000);
});

describe("names built from <project>-<env> that AWS refuses at apply", () => {
  it("a graduated environment with a long name: one problem each for project and replica, no stack trace", () => {
    const name = "healthtech-production";
    const { dir, envs } = fixture((envs) => {
      cpSync(join(envs, "prod"), join(envs, name), { recursive: true });
      const file = `${name}/environment.yaml`;
      replaceIn(file, "name: prod\n", `name: ${name}\nproject: startupwebapp-platform\n`)(envs);
      replaceIn(file, "cidr: 10.30.0.0/16", "cidr: 10.40.0.0/16")(envs);
      replaceIn(file, "alias/pgforks-tfstate", "alias/startupwebapp-platform-tfstate")(envs);
      replaceIn(
        file,
        "backupRetentionDays: 14",
        "backupRetentionDays: 14\n  readReplicas:\n    - name: reporting-replica-for-analytics",
      )(envs);
    });
    const before = snapshot(envs);
    for (const app of [
      ["apps", "main.ts"],
      ["apps", "bootstrap", "src", "main.ts"],
    ]) {
      const run = spawnSync(tsx, [join(root, ...app)], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, PGFORKS_ENVIRONMENTS_DIR: envs, CDKTF_OUTDIR: "" },
        timeout: 50_000,
      });
      expect(run.status).toBe(1);
      const file = join("environments", name, "environment.yaml");
      expect(run.stderr).toContain(
        `${file}:4:10 project: makes the IAM role startupwebapp-platform-healthtech-production-terraform-tenants-plan 67 characters long, over IAM's 64: <project>-<name> may be at most 41 characters (now 44)`,
      );
      expect(run.stderr).toContain(
        `${file}:28:13 database.readReplicas[0].name: makes the replica's DB instance identifier startupwebapp-platform-healthtech-production-reporting-replica-for-analytics 76 characters long, over RDS's 63`,
      );
      expect(run.stderr).not.toMatch(NO_STACK);
      expect(readdirSync(dir)).toEqual(["environments"]);
    }
    expect(snapshot(envs)).toEqual(before);
  }, 120_000);
});

describe("environments valid alone that clash together", () => {
  it("a copy of prod (graduation runbook) keeps its account and VPC CIDR: synth warns naming both files, bootstrap synth refuses", () => {
    const { dir, envs } = fixture((envs) => {
      cpSync(join(envs, "prod"), join(envs, "healthtech-prod"), { recursive: true });
      replaceIn("healthtech-prod/environment.yaml", "name: prod", "name: healthtech-prod")(envs);
    });
    const before = snapshot(envs);
    const [prod, copy] = ["prod", "healthtech-prod"].map((env) =>
      join("environments", env, "environment.yaml"),
    );
    const sharedAccount = `${prod} account: 333333333333 is also the account of ${copy}; each environment's bootstrap stack creates the account's GitHub OIDC provider and state key alias, so the second bootstrap apply would fail (already exists): give each environment its own account`;
    const run = (app: string[], ...args: string[]) =>
      spawnSync(tsx, [join(root, ...app), ...args], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, PGFORKS_ENVIRONMENTS_DIR: envs, CDKTF_OUTDIR: "" },
        timeout: 50_000,
      });
    const synth = run(["apps", "main.ts"]);
    expect(synth.stderr).toBe(
      `warning: ${sharedAccount}\nwarning: ${prod} network.cidr: 10.30.0.0/16 overlaps network.cidr 10.30.0.0/16 of ${copy}; a VPC cannot be peered or routed to both (docs/architecture.md, "Another VPC"): give each environment its own range, e.g. 10.40.0.0/16\n`,
    );
    expect(synth.status).toBe(0);
    expect(synth.stdout).toContain("healthtech-prod-platform");
    rmSync(join(dir, "cdktf.out"), { recursive: true });
    const bootstrap = run(["apps", "bootstrap", "src", "main.ts"]);
    expect(bootstrap.stderr).toBe(`Bootstrap synth stopped: ${sharedAccount}\n`);
    expect(bootstrap.status).toBe(1);
    // Only the copy, as the first run bootstraps one environment: prod's account is still taken.
    const copyOnly = run(["apps", "bootstrap", "src", "main.ts"], "--env", "healthtech-prod");
    expect(copyOnly.stderr).toBe(`Bootstrap synth stopped: ${sharedAccount}\n`);
    expect(copyOnly.status).toBe(1);
    expect(readdirSync(dir)).toEqual(["environments"]);
    expect(snapshot(envs)).toEqual(before);
  }, 120_000);
});

interface CliCase {
  readonly name: string;
  readonly args: readonly string[];
  readonly edit?: (envs: string) => void;
  /** Environment variables of the run, over this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Text the one error message must contain: the option or field, and the file when one is involved. */
  readonly expect: readonly (string | RegExp)[];
}

const cliCases: CliCase[] = [
  { name: "unknown command", args: ["bogus"], expect: ["unknown command 'bogus'"] },
  {
    name: "unknown option",
    args: ["add", "--env", "prod", "x", "--owner", "a@b.cd", "--bogus"],
    expect: ["--bogus"],
  },
  {
    name: "add without a name",
    args: ["add", "--env", "prod", "--owner", "a@b.cd"],
    expect: ["missing required argument 'name'"],
  },
  {
    name: "add without --env",
    args: ["add", "x", "--owner", "a@b.cd"],
    expect: ["required option '--env <env>' not specified"],
  },
  {
    name: "add to an unknown environment",
    args: ["add", "--env", "nope", "x", "--owner", "a@b.cd"],
    expect: ['unknown environment "nope"'],
  },
  {
    name: "add without --owner",
    args: ["add", "--env", "prod", "x"],
    expect: ["required option '--owner <who>' not specified"],
  },
  // Decimal digits only (as PGFORKS_LOCAL_PORT): " 5" and "5 " were trimmed and written as 5.
  ...["abc", " 5", "5 ", "0x5", "5e0", "+5", "-1", "\uff15", ""].map((value) => ({
    name: `connection limit ${JSON.stringify(value)}`,
    args: ["add", "--env", "prod", "x", "--owner", "a@b.cd", "--connection-limit", value],
    expect: [
      `error: option '--connection-limit <n>' argument '${value}' is invalid. Must be a whole number written in decimal digits only, e.g. 20 (found ${JSON.stringify(value)}`,
    ],
  })),
  {
    name: "connection limit given twice (the last one won)",
    args: [...["add", "--env", "prod", "x", "--owner", "a@b.cd"], "--connection-limit", "5"].concat(
      ["--connection-limit", "50"],
    ),
    expect: [`Give --connection-limit once (found "5", then "50")`],
  },
  {
    name: "--env given twice (add edited the last one's tenants.yaml, prod)",
    args: ["add", "--env", "dev", "--env", "prod", "x", "--owner", "a@b.cd"],
    expect: [
      `error: option '--env <env>' argument 'prod' is invalid. Give --env once (found "dev", then "prod").`,
    ],
  },
  {
    name: "--owner with its value forgotten (wrote owner: --read-only-role, and no read-only role)",
    args: ["add", "--env", "prod", "x", "--owner", "--read-only-role"],
    expect: [
      "error: option '--owner <who>' argument '--read-only-role' is invalid. It is the option --read-only-role of this command, not a value: give --owner its value right after it.",
    ],
  },
  {
    name: "--owner=--env=dev (an option written as the value)",
    args: ["add", "--env", "prod", "x", "--owner=--env=dev"],
    expect: [
      "error: option '--owner <who>' argument '--env=dev' is invalid. It is the option --env of this command, not a value: give --owner its value right after it.",
    ],
  },
  {
    name: "drop with --confirm given twice",
    args: [
      "drop",
      "--env",
      "prod",
      "healthtech",
      "--confirm",
      "x",
      "--confirm",
      "healthtech_experiment",
    ],
    expect: [`Give --confirm once (found "x", then "healthtech_experiment")`],
  },
  {
    name: "duplicate tenant",
    args: ["add", "--env", "prod", "healthtech", "--owner", "a@b.cd"],
    expect: ["tenants.yaml", "tenants[3].name", "duplicate tenant name"],
  },
  {
    name: "invalid tenant name",
    args: ["add", "--env", "prod", "Bad-Name", "--owner", "a@b.cd"],
    expect: ["tenants.yaml", "tenants[3].name", "lowercase"],
  },
  {
    name: "extension not allowed",
    args: ["add", "--env", "prod", "x", "--owner", "a@b.cd", "--extensions", "plpython3u"],
    expect: ["tenants.yaml", "tenants[3].extensions[0]"],
  },
  {
    name: "too many connections",
    args: ["add", "--env", "prod", "x", "--owner", "a@b.cd", "--connection-limit", "900"],
    expect: ["tenants.yaml", "tenants", "connections"],
  },
  {
    name: "drop without --confirm",
    args: ["drop", "--env", "prod", "healthtech"],
    expect: ["needs --confirm healthtech_experiment"],
  },
  {
    name: "drop with the wrong --confirm",
    args: ["drop", "--env", "prod", "healthtech", "--confirm", "healthtech"],
    expect: ['--confirm "healthtech" does not match'],
  },
  {
    name: "drop with a --confirm that has a zero-width space (pasted from a chat)",
    args: ["drop", "--env", "prod", "healthtech", "--confirm", "healthtech_experiment\u200b"],
    expect: [
      '--confirm "healthtech_experiment\\u200b" does not match the database name "healthtech_experiment"',
    ],
  },
  {
    name: "suspend a tenant whose name has a zero-width space",
    args: ["suspend", "--env", "prod", "fintech\u200b"],
    expect: ['no tenant named "fintech\\u200b" (existing: '],
  },
  ...["30s", "-1", "1e3"].map((value) => ({
    name: `PGFORKS_LOCK_TIMEOUT_MS=${value} (was silently the default 5 s)`,
    args: ["suspend", "--env", "prod", "fintech"],
    env: { PGFORKS_LOCK_TIMEOUT_MS: value },
    expect: [
      `error: PGFORKS_LOCK_TIMEOUT_MS: must be a whole number of milliseconds, 0 or more (found "${value}"); unset it for the default 5000 ms`,
    ],
  })),
  {
    name: "suspend an unknown tenant",
    args: ["suspend", "--env", "prod", "nobody"],
    expect: ['no tenant named "nobody"'],
  },
  {
    name: "registry while a registry path is a directory",
    args: ["add", "--env", "prod", "x", "--owner", "a@b.cd"],
    edit: replaceFile("prod/DATABASE_REGISTRY.md", (p) => mkdirSync(p)),
    expect: [
      /prod\/DATABASE_REGISTRY\.md: cannot write: is a directory, expected a file \(EISDIR\)/,
    ],
  },
  {
    name: "tenants.yaml is a directory",
    args: ["list", "--env", "prod"],
    edit: replaceFile("prod/tenants.yaml", (p) => mkdirSync(p)),
    expect: ["prod/tenants.yaml", "is a directory, expected a YAML file"],
  },
  {
    name: "an extension given twice",
    args: ["add", "--env", "prod", "x", "--owner", "a@b.cd", "--extensions", "pgcrypto,pgcrypto"],
    expect: ["tenants.yaml", "tenants[3].extensions[1]", 'duplicate extension "pgcrypto"'],
  },
  {
    name: "tenant named none",
    args: ["add", "--env", "prod", "none", "--owner", "a@b.cd"],
    expect: ["tenants.yaml", "tenants[3].name", "reserved by PostgreSQL/RDS"],
  },
  {
    name: "tenant named after the master user (names the real environment.yaml, not a scratch copy)",
    args: ["add", "--env", "prod", "forks_admin", "--owner", "a@b.cd"],
    expect: [
      "tenants.yaml tenants[3].name",
      /is the master username of (?!\S*pgforks-tenant-)\S*prod\/environment\.yaml; choose another name/,
    ],
  },
  {
    name: "tenants.yaml is a named pipe (add does not wait forever)",
    args: ["add", "--env", "prod", "x", "--owner", "a@b.cd"],
    edit: replaceFile("prod/tenants.yaml", mkfifo),
    expect: [/prod\/tenants\.yaml: is a named pipe \(FIFO\), expected a YAML file$/m],
  },
  {
    name: "environment.yaml is a named pipe (add does not wait forever)",
    args: ["add", "--env", "prod", "x", "--owner", "a@b.cd"],
    edit: replaceFile("prod/environment.yaml", mkfifo),
    expect: [/prod\/environment\.yaml: is a named pipe \(FIFO\), expected a YAML file$/m],
  },
  {
    name: "tenants.yaml is a link to a missing file (not replaced by a new one-tenant file)",
    args: ["add", "--env", "prod", "x", "--owner", "a@b.cd"],
    edit: replaceFile("prod/tenants.yaml", (p) => symlinkSync("../shared/tenants.yaml", p)),
    expect: [
      "prod/tenants.yaml: is a symbolic link to ../shared/tenants.yaml, which does not exist",
    ],
  },
  {
    name: "tenants.yaml has a key written twice",
    args: ["suspend", "--env", "prod", "fintech"],
    edit: replaceIn(
      "prod/tenants.yaml",
      "name: fintech",
      "name: fintech\n    owner: twice@example.com",
    ),
    expect: [
      /prod\/tenants\.yaml: invalid YAML: 19:5 tenants\[2\]\.owner: duplicate key "owner" \(first at line 17\); .*keep one$/m,
    ],
  },
  {
    name: "tenants.yaml made read-only (no write permission bits)",
    args: ["add", "--env", "prod", "x", "--owner", "a@b.cd"],
    edit: (envs) => chmodSync(join(envs, "prod", "tenants.yaml"), 0o444),
    expect: [
      /^error: \S*prod\/tenants\.yaml: cannot write: it is read-only \(mode 0444\); make it writable \(chmod u\+w\) to let the command change it \(EACCES\)$/m,
    ],
  },
  {
    name: "tenants.yaml is indented with a tab",
    args: ["add", "--env", "prod", "x", "--owner", "a@b.cd"],
    edit: replaceIn("prod/tenants.yaml", "    owner: fintech-team", "\towner: fintech-team"),
    expect: [
      /invalid YAML: 18:1 a tab is used for indentation; .* \(and 4 more YAML errors after it/,
    ],
  },
];

describe("bad CLI arguments (the real tenant CLI)", () => {
  it.each(cliCases.map((c) => [c.name, c] as const))(
    "%s",
    (_name, c) => {
      const { dir, envs } = fixture(c.edit ?? (() => {}));
      const before = snapshot(envs);
      const run = spawnSync(
        tsx,
        [join(root, "packages", "tenant-cli", "src", "cli.ts"), ...c.args, "--root", dir],
        // A command that waits forever (a named pipe read) is killed and fails the case.
        { cwd: root, encoding: "utf8", timeout: 50_000, env: { ...process.env, ...c.env } },
      );
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/^error: /);
      for (const part of c.expect) {
        if (typeof part === "string") expect(run.stderr).toContain(part);
        else expect(run.stderr).toMatch(part);
      }
      expect(run.stderr).not.toMatch(NO_STACK);
      expect(run.stdout).not.toMatch(/^added|^wrote/m);
      expect(snapshot(envs)).toEqual(before);
    },
    60_000,
  );
});

// `pgforks credentials --env <name>` (the real CLI, on this repository's environments/, which it
// only reads): an --env that is no environment folder is named with the ones there are, instead
// of two "file is missing" lines for environments/<name>/ (or environments/ itself for "").
const credentialsCases: readonly (readonly [string, RegExp])[] = [
  ["prdo", /^credentials: --env: unknown environment "prdo" \(environments: [^)]*\bprod\b[^)]*\)$/],
  ["", /^credentials: --env: unknown environment "" \(environments: [^)]*\bprod\b[^)]*\)$/],
  [
    "../environments/prod",
    /^credentials: --env: unknown environment "\.\.\/environments\/prod" \(/,
  ],
  [
    "local",
    /^credentials: --env local: the local target has no Terraform run to credential: npm start draws its passwords/,
  ],
];

describe("credentials --github-env with a GITHUB_ENV that cannot be appended to", () => {
  it("one line naming the file and the variable, exit 1", () => {
    const run = spawnSync(
      tsx,
      [
        join(root, "packages", "cli", "src", "main.ts"),
        "credentials",
        "--env",
        "prod",
        "--github-env",
      ],
      {
        cwd: root,
        encoding: "utf8",
        timeout: 50_000,
        env: { ...process.env, GITHUB_ENV: scratch },
      },
    );
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split("\n")).toEqual([
      `credentials: ${scratch}: cannot append to $GITHUB_ENV: is a directory, expected a file (EISDIR)`,
    ]);
    expect(run.stderr).not.toMatch(NO_STACK);
  }, 60_000);
});

describe("credentials with an --env that is no environment", () => {
  it.each(credentialsCases)(
    "--env %j: one line naming the environments, no password printed",
    (env, line) => {
      const before = snapshot(environmentsDir());
      const run = spawnSync(
        tsx,
        [join(root, "packages", "cli", "src", "main.ts"), "credentials", "--env", env],
        { cwd: root, encoding: "utf8", timeout: 50_000 },
      );
      expect(run.status).toBe(1);
      expect(run.stderr.trim().split("\n")).toEqual([expect.stringMatching(line)]);
      expect(run.stderr).not.toMatch(NO_STACK);
      expect(run.stdout).toBe("");
      expect(snapshot(environmentsDir())).toEqual(before);
    },
    60_000,
  );
});

// File-system failures a user hits: a folder they may read but not write (EACCES), a full disk
// (ENOSPC). Everything runs as root here, and root writes anywhere, so the command under test
// runs as an unprivileged user (setpriv, as packages/postgres-server does); the full disk is a
// real tmpfs filled to the last byte.
const UNPRIVILEGED = ["--reuid=nobody", "--regid=nogroup", "--clear-groups"];

function setprivMissing(): string | undefined {
  if (process.getuid?.() !== 0) return undefined; // not root: the command already runs unprivileged
  const probe = spawnSync("setpriv", [...UNPRIVILEGED, "true"]);
  return probe.status === 0 ? undefined : "setpriv to nobody/nogroup is not available";
}

/** `argv` as an unprivileged user (when root), so file permissions apply. */
function unprivileged(argv: readonly string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [argv[0] as string, argv.slice(1)];
  return ["setpriv", [...UNPRIVILEGED, ...argv]];
}

/** The environment of an unprivileged run: a temp folder of its own (tsx keeps a cache there). */
function unprivilegedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const userTmp = mkdtempSync(join(scratch, "user-tmp-"));
  chmodSync(userTmp, 0o1777);
  return { ...process.env, TMPDIR: userTmp, ...extra };
}

/** Makes `dir` and everything below it readable but not writable, and its parents passable. */
function readOnlyTree(dir: string): void {
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else chmodSync(p, 0o444);
    }
    chmodSync(d, 0o555);
  };
  walk(dir);
  // mkdtemp folders are 0700: let the unprivileged user reach the copy.
  for (let d = dirname(dir); d !== dirname(d) && d.startsWith(tmpdir()); d = dirname(d)) {
    chmodSync(d, statSync(d).mode | 0o005);
  }
}

const tenantCli = join(root, "packages", "tenant-cli", "src", "cli.ts");
const addTenantArgs = ["add", "--env", "prod", "newfork", "--owner", "a@example.com"];

function expectOneLine(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(NO_STACK);
}

describe("a folder the user may read but not write (EACCES)", () => {
  const whenUnprivileged = testWhen(setprivMissing());

  whenUnprivileged(
    "tenant add: one line naming the file, nothing written",
    () => {
      const { dir, envs } = fixture(() => {});
      readOnlyTree(dir);
      const before = snapshot(envs);
      const [cmd, args] = unprivileged([tsx, tenantCli, ...addTenantArgs, "--root", dir]);
      const run = spawnSync(cmd, args, { cwd: root, encoding: "utf8", env: unprivilegedEnv() });
      expect(run.status).toBe(1);
      expectOneLine(
        run.stderr,
        new RegExp(
          `^error: ${escapeRegExp(envs)}/\\S+: cannot [a-z ]+: permission denied \\(EACCES\\)$`,
        ),
      );
      expect(snapshot(envs)).toEqual(before);
    },
    60_000,
  );

  whenUnprivileged(
    "tenant list of an unreadable tenants.yaml: one line naming the file",
    () => {
      const { dir, envs } = fixture(() => {});
      readOnlyTree(dir);
      chmodSync(join(envs, "prod", "tenants.yaml"), 0o000);
      const before = snapshot(envs);
      const [cmd, args] = unprivileged([tsx, tenantCli, "list", "--env", "prod", "--root", dir]);
      const run = spawnSync(cmd, args, { cwd: root, encoding: "utf8", env: unprivilegedEnv() });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/prod\/tenants\.yaml.*permission denied \(EACCES\)/);
      expect(run.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
      expect(run.stderr).not.toMatch(NO_STACK);
      expect(snapshot(envs)).toEqual(before);
    },
    60_000,
  );

  whenUnprivileged(
    "synth into a folder it may not write: one line naming the output, nothing written",
    () => {
      const { dir, envs } = fixture(() => {});
      readOnlyTree(dir);
      const before = snapshot(envs);
      const [cmd, args] = unprivileged([tsx, join(root, "apps", "main.ts"), "dev"]);
      const run = spawnSync(cmd, args, {
        cwd: dir,
        encoding: "utf8",
        env: unprivilegedEnv({ PGFORKS_ENVIRONMENTS_DIR: envs }),
      });
      expect(run.status).toBe(1);
      expectOneLine(run.stderr, /^Synth stopped: cdktf\.out\S*: cannot write: permission denied/);
      expect(readdirSync(dir)).toEqual(["environments"]);
      expect(snapshot(envs)).toEqual(before);
    },
    60_000,
  );
});

/** A tmpfs mounted on a fresh folder (root only), or why it cannot be. */
function mountSmallDisk(): { dir: string; unmount: () => void } | string {
  const dir = mkdtempSync(join(scratch, "disk-"));
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", dir], {
    encoding: "utf8",
  });
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here (${(mounted.stderr || String(mounted.error)).trim()})`;
  }
  return {
    dir,
    unmount: () => {
      spawnSync("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fills the file system holding `dir` to the last byte (a real ENOSPC for the next write). */
function fill(dir: string): void {
  const block = Buffer.alloc(4096);
  const fd = openSync(join(dir, "filler"), "w");
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
  // The last partial block.
  const small = openSync(join(dir, "filler-tail"), "w");
  try {
    for (;;) writeSync(small, Buffer.alloc(1));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(small);
  }
}

/** Why no tmpfs can be mounted here, or undefined when one can (mounted and unmounted at once). */
function cannotMountSmallDisk(): string | undefined {
  const probe = mountSmallDisk();
  if (typeof probe === "string") return probe;
  probe.unmount();
  return undefined;
}

describe("a full disk (ENOSPC, a real tmpfs filled up)", () => {
  // Mounted by a hook, not while the tests are collected: a run that filters these tests out
  // (jest -t) skips the hooks too, and must not leave a mount behind.
  let probeDisk: ReturnType<typeof mountSmallDisk> = "not mounted yet";
  beforeAll(() => {
    probeDisk = mountSmallDisk();
  });
  // Before the file's own afterAll removes the scratch folder the disk is mounted in.
  afterAll(() => {
    if (typeof probeDisk !== "string") probeDisk.unmount();
  });
  const whenDisk = testWhen(cannotMountSmallDisk());

  whenDisk(
    "tenant add: one line naming the file, nothing written, no lock left behind",
    () => {
      if (typeof probeDisk === "string") throw new Error(probeDisk);
      const dir = mkdtempSync(join(probeDisk.dir, "tenant-"));
      const envs = join(dir, "environments");
      cpSync(environmentsDir(), envs, { recursive: true });
      fill(probeDisk.dir);
      const before = snapshot(envs);
      const run = spawnSync(tsx, [tenantCli, ...addTenantArgs, "--root", dir], {
        cwd: root,
        encoding: "utf8",
      });
      expect(run.status).toBe(1);
      expectOneLine(
        run.stderr,
        new RegExp(
          `^error: ${escapeRegExp(envs)}/\\S+: cannot [a-z ]+: no space left on the device`,
        ),
      );
      expect(snapshot(envs)).toEqual(before);
    },
    60_000,
  );

  whenDisk(
    "synth: one line naming the output, nothing written",
    () => {
      if (typeof probeDisk === "string") throw new Error(probeDisk);
      for (const name of readdirSync(probeDisk.dir)) {
        rmSync(join(probeDisk.dir, name), { recursive: true, force: true });
      }
      const dir = mkdtempSync(join(probeDisk.dir, "synth-"));
      const envs = join(dir, "environments");
      cpSync(environmentsDir(), envs, { recursive: true });
      fill(probeDisk.dir);
      const before = snapshot(envs);
      const run = spawnSync(tsx, [join(root, "apps", "main.ts"), "dev"], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, PGFORKS_ENVIRONMENTS_DIR: envs },
      });
      expect(run.status).toBe(1);
      expectOneLine(run.stderr, /^Synth stopped: cdktf\.out\S*: cannot write: no space left/);
      expect(readdirSync(dir)).toEqual(["environments"]);
      expect(snapshot(envs)).toEqual(before);
    },
    60_000,
  );
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("a wrong environments folder, a garbage environment variable", () => {
  it("tenant commands whose --root holds no environments/: one line naming the folder, nothing created", () => {
    const dir = mkdtempSync(join(scratch, "no-environments-"));
    for (const args of [addTenantArgs, ["list"], ["registry"], ["suspend", "--env", "prod", "x"]]) {
      const run = spawnSync(tsx, [tenantCli, ...args, "--root", dir], {
        cwd: root,
        encoding: "utf8",
        timeout: 50_000,
      });
      expect(run.status).toBe(1);
      expectOneLine(
        run.stderr,
        new RegExp(
          `^error: ${escapeRegExp(join(dir, "environments"))}: does not exist \\(ENOENT\\); it must be the environments folder \\(--root names`,
        ),
      );
    }
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);

  // Named pipes only in subprocesses with a timeout: a read that waits forever would block the
  // Jest worker itself (a synchronous read cannot be interrupted by Jest's timeout).
  it.each(["environment.yaml", "tenants.yaml"])(
    "synth and tenant list with a named pipe as %s: one line naming it, no wait",
    (file) => {
      const { dir, envs } = fixture(replaceFile(`prod/${file}`, mkfifo));
      const before = snapshot(envs);
      const synth = spawnSync(tsx, [join(root, "apps", "main.ts"), "prod"], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, PGFORKS_ENVIRONMENTS_DIR: envs },
        timeout: 50_000,
      });
      expect(synth.status).toBe(1);
      expect(synth.stderr).toBe(
        `Synth stopped before writing anything: 1 configuration problem:\n  - environments/prod/${file} is a named pipe (FIFO), expected a YAML file\n`,
      );
      const list = spawnSync(tsx, [tenantCli, "list", "--env", "prod", "--root", dir], {
        cwd: root,
        encoding: "utf8",
        timeout: 50_000,
      });
      expect(list.status).toBe(1);
      expect(list.stderr).toContain(
        `${join(envs, "prod", file)} is a named pipe (FIFO), expected a YAML file`,
      );
      expect(list.stderr).not.toMatch(NO_STACK);
      expect(readdirSync(dir)).toEqual(["environments"]);
      expect(snapshot(envs)).toEqual(before);
    },
    120_000,
  );

  it("synth with PGFORKS_ENVIRONMENTS_DIR naming no folder: names it as read, not written; writes nothing", () => {
    const dir = mkdtempSync(join(scratch, "synth-no-environments-"));
    const run = spawnSync(tsx, [join(root, "apps", "main.ts")], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, PGFORKS_ENVIRONMENTS_DIR: join(dir, "nowhere") },
      timeout: 50_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      "Synth stopped before writing anything: 1 configuration problem:\n  - nowhere cannot read the environments folder (PGFORKS_ENVIRONMENTS_DIR): does not exist (ENOENT)\n",
    );
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);

  it("synth with an empty CDKTF_OUTDIR (unset) writes cdktf.out, not manifest.json and stacks/ into the working folder", () => {
    const { dir, envs } = fixture(() => {});
    const before = snapshot(envs);
    const run = spawnSync(tsx, [join(root, "apps", "main.ts"), "dev"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, PGFORKS_ENVIRONMENTS_DIR: envs, CDKTF_OUTDIR: "" },
      timeout: 50_000,
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`Synthesized 2 stacks into ${join(dir, "cdktf.out")}`);
    expect(readdirSync(dir).sort()).toEqual(["cdktf.out", "environments"]);
    expect(snapshot(envs)).toEqual(before);
  }, 60_000);
});
