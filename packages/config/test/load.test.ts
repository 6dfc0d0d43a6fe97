import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  availabilityZoneIdPrefix,
  ConfigError,
  crossEnvironmentWarnings,
  environmentNames,
  environmentsDir,
  ipv4CidrsOverlap,
  loadEnvironment,
  loadEnvironments,
  parseIpv4Cidr,
  repoRoot,
  tempFileLimitGb,
  tempFileLimitKb,
} from "../src";
import { copyEnvironments, writeTenants } from "./helpers";

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.map(
        (p) => `${p.path}: ${p.message}${p.found ? ` (found ${p.found})` : ""}`,
      );
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("the committed environments", () => {
  it("are dev, staging and prod, and all load without problems", () => {
    expect(environmentNames()).toEqual(["dev", "prod", "staging"]);
    const loaded = loadEnvironments();
    expect(loaded.map((e) => e.environment.tier)).toEqual(["development", "production", "staging"]);
  });

  it("spread the seed's forks across the environments", () => {
    const names = new Set(loadEnvironments().flatMap((e) => e.tenants.map((t) => t.name)));
    expect([...names].sort()).toEqual(["edtech", "fintech", "healthtech", "saas", "startupwebapp"]);
  });
});

describe("a name that is no environment folder", () => {
  const messageOf = (name: string, dir: string) => {
    try {
      loadEnvironment(name, dir);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.problems.map((p) => `${p.file} ${p.message}`);
    }
    throw new Error("expected a ConfigError");
  };

  it.each([
    ["prdo", 'does not exist: no environment "prdo" (environments: dev, prod, staging)'],
    ["local", "is the local target (npm start reads its tenants.yaml), not an environment"],
    ["schema", "is not an environment folder (environments: dev, prod, staging)"],
  ])("%s: one problem naming the environments, not two 'file is missing'", (name, message) => {
    const dir = copyEnvironments();
    const problems = messageOf(name, dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`${join(dir, name)} ${message}`);
    expect(problems[0]).not.toContain("file is missing");
  });

  it.each(["", ".", "..", "prod/", "./prod", "../environments/prod"])(
    "%j, a path rather than a folder's name: one problem naming the environments folder",
    (name) => {
      const dir = copyEnvironments();
      expect(messageOf(name, dir)).toEqual([
        `${dir} has no environment ${JSON.stringify(name)}: an environment is named by its folder's name (environments: dev, prod, staging)`,
      ]);
    },
  );

  it("a folder that exists without its files is still an environment: the missing file is named", () => {
    const dir = copyEnvironments();
    mkdirSync(join(dir, "qa"));
    expect(messageOf("qa", dir)).toEqual([
      `${join(dir, "qa", "environment.yaml")} file is missing`,
      `${join(dir, "qa", "tenants.yaml")} file is missing`,
    ]);
  });
});

describe("a broken tenants.yaml", () => {
  it("yields one clear message per problem, with file, line, path, found and allowed", () => {
    const dir = copyEnvironments();
    writeTenants(
      dir,
      "dev",
      [
        "tenants:",
        "  - name: healthtech",
        "    owner: a@example.com",
        "  - name: healthtech", // duplicate
        "    owner: b@example.com",
        "  - name: Fin-Tech", // bad identifier
        "    owner: c@example.com",
        "    colour: blue", // unknown key
        "  - name: edtech",
        "    owner: d@example.com",
        '    connectionLimit: "ten"', // wrong type
        "",
      ].join("\n"),
    );
    let error: ConfigError | undefined;
    try {
      loadEnvironment("dev", dir);
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = error?.problems ?? [];
    expect(problems).toHaveLength(4);
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    expect(byPath["tenants[1].name"]).toMatchObject({
      line: 4,
      message: 'duplicate tenant name "healthtech" (first used by tenants[0])',
    });
    expect(byPath["tenants[2].name"]).toMatchObject({ line: 6, found: '"Fin-Tech"' });
    expect(byPath["tenants[2].name"]?.message).toMatch(/lowercase letters, digits and underscores/);
    expect(byPath["tenants[2].colour"]?.message).toMatch(
      /^unknown key "colour" \(allowed: name, database, owner/,
    );
    expect(byPath["tenants[3].connectionLimit"]).toMatchObject({
      found: '"ten"',
      message: "must be a number",
    });
    for (const p of problems) expect(p.file).toMatch(/dev[/\\]tenants\.yaml$/);
    expect(error?.message).toMatch(/^4 configuration problems:/);
  });

  it.each([
    ["postgres", /reserved by PostgreSQL\/RDS/],
    ["template1", /reserved by PostgreSQL\/RDS/],
    ["rdsadmin", /reserved by PostgreSQL\/RDS/],
    ["rdstopmgr", /reserved by PostgreSQL\/RDS/],
    ["rdsrepladmin", /reserved by PostgreSQL\/RDS/],
    ["public", /reserved by PostgreSQL\/RDS/],
    ["rds_app", /prefix reserved by RDS/],
    ["pg_app", /prefix reserved by PostgreSQL/],
    ["select", /reserved SQL key word/],
    ["a".repeat(64), /at most 63 bytes/],
  ])("rejects the reserved or unsafe name %s", (name, message) => {
    const dir = copyEnvironments();
    writeTenants(dir, "dev", `tenants:\n  - name: ${name}\n    owner: x@example.com\n`);
    const problems = problemsOf(() => loadEnvironment("dev", dir));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it("requires confirmDrop to repeat the database name for a dropped tenant", () => {
    const dir = copyEnvironments();
    writeTenants(
      dir,
      "dev",
      "tenants:\n  - name: saas\n    database: saas_dev\n    owner: x@example.com\n    state: dropped\n    confirmDrop: saas\n",
    );
    expect(problemsOf(() => loadEnvironment("dev", dir))).toEqual([
      'tenants[0].confirmDrop: state "dropped" destroys database "saas_dev": set confirmDrop: saas_dev to confirm (found "saas")',
    ]);
  });

  it("reports invalid YAML with its line instead of a stack trace", () => {
    const dir = copyEnvironments();
    writeTenants(dir, "dev", "tenants:\n  - name: a\n   owner: [\n");
    const problems = problemsOf(() => loadEnvironment("dev", dir));
    expect(problems[0]).toMatch(/invalid YAML/);
  });

  it("refuses a tenant named like the master user", () => {
    const dir = copyEnvironments();
    writeTenants(dir, "dev", "tenants:\n  - name: forks_admin\n    owner: x@example.com\n");
    expect(problemsOf(() => loadEnvironment("dev", dir))[0]).toMatch(
      /^tenants\[0\]\.name: is the master username/,
    );
  });
});

describe("a value outside a long list of allowed values", () => {
  it.each([
    ["tenants.yaml", "tenants:\n  - name: a\n    owner: x@example.com\n    extensions: [foo]\n"],
    ["environment.yaml", undefined],
  ])("%s: names the schema file that lists them all", (file, tenants) => {
    const dir = copyEnvironments();
    if (tenants) writeTenants(dir, "dev", tenants);
    else patchEnvironment(dir, "dev", "instanceClass: db.t4g.micro", "instanceClass: db.t9.huge");
    const [problem] = problemsOf(() => loadEnvironment("dev", dir));
    const schema = `environments/schema/${file.replace(".yaml", ".schema.json")}`;
    expect(problem).toMatch(new RegExp(`\\(\\d+ allowed values, listed in ${schema}\\)`));
    // The file named holds every allowed value the message cuts short.
    const allowed = (problem ?? "").split(" (found ")[0] ?? "";
    const listed = [...allowed.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);
    expect(listed.length).toBeGreaterThan(0);
    const text = readFileSync(join(__dirname, "..", "..", "..", schema), "utf8");
    for (const value of listed) expect(text).toContain(`"${value}"`);
  });
});

/** Replaces `from` (which must be there) by `to` in environments/<env>/environment.yaml of `dir`. */
function patchEnvironment(dir: string, env: string, from: string, to: string) {
  const file = join(dir, env, "environment.yaml");
  const text = readFileSync(file, "utf8");
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
}

describe("environment.yaml rules", () => {
  it("requires Multi-AZ and deletion protection in production and 7-day backups outside development", () => {
    const dir = copyEnvironments();
    patchEnvironment(dir, "prod", "multiAz: true", "multiAz: false");
    patchEnvironment(dir, "prod", "deletionProtection: true", "deletionProtection: false");
    patchEnvironment(dir, "staging", "backupRetentionDays: 7", "backupRetentionDays: 3");
    const problems = problemsOf(() => loadEnvironments(["prod", "staging"], dir));
    expect(problems).toEqual([
      "database.multiAz: must be true in the production tier (found false)",
      "database.deletionProtection: must be true in the production tier (found false)",
      "database.backupRetentionDays: must be at least 7 in the staging tier (seed 004; Security Hub RDS.11) (found 3)",
    ]);
  });

  it.each([0, -31, 30, 744])(
    "refuses a Performance Insights retention of %i days (RDS takes 7, months of 31 days up to 713, or 731)",
    (days) => {
      const dir = copyEnvironments();
      patchEnvironment(
        dir,
        "dev",
        "instanceClass: db.t4g.micro",
        `instanceClass: db.t4g.micro\n  performanceInsightsRetentionDays: ${days}`,
      );
      expect(problemsOf(() => loadEnvironment("dev", dir))).toEqual([
        `database.performanceInsightsRetentionDays: must be 7 (free tier), a multiple of 31 up to 713, or 731 (found ${days})`,
      ]);
    },
  );

  it.each(["16.8", "15.4", "13", "18"])(
    "refuses engineVersion %s: a major version RDS offers, without a pinned minor RDS would have to downgrade",
    (version) => {
      const dir = copyEnvironments();
      patchEnvironment(
        dir,
        "dev",
        "instanceClass: db.t4g.micro",
        `instanceClass: db.t4g.micro\n  engineVersion: "${version}"`,
      );
      let error: ConfigError | undefined;
      try {
        loadEnvironment("dev", dir);
      } catch (e) {
        error = e as ConfigError;
      }
      expect(error?.problems).toHaveLength(1);
      const [problem] = error?.problems ?? [];
      expect(problem?.file).toMatch(/dev[/\\]environment\.yaml$/);
      expect(`${problem?.path}: ${problem?.message} (found ${problem?.found})`).toBe(
        `database.engineVersion: must be a PostgreSQL major version RDS offers, 14 to 17, without a minor (e.g. 16): automatic minor upgrades are on, so a pinned minor such as 16.8 becomes a downgrade in the next plan once RDS upgrades the instance, and RDS cannot downgrade an engine (RDS API Reference, ModifyDBInstance EngineVersion) (found "${version}")`,
      );
    },
  );

  it("limits one session's temporary files to a tenth of the storage unless tempFileLimitGb says otherwise", () => {
    const dir = copyEnvironments();
    const { database } = loadEnvironment("dev", dir).environment;
    expect(database.tempFileLimitGb).toBeUndefined();
    expect(tempFileLimitGb(database)).toBe(Math.floor(database.allocatedStorageGb / 10));
    expect(tempFileLimitGb({ allocatedStorageGb: 20 })).toBe(2);
    expect(tempFileLimitGb({ allocatedStorageGb: 65536 })).toBe(2047);
    expect(tempFileLimitKb({ allocatedStorageGb: 20 })).toBe(2 * 1024 * 1024);
    patchEnvironment(
      dir,
      "dev",
      "instanceClass: db.t4g.micro",
      "instanceClass: db.t4g.micro\n  tempFileLimitGb: 5",
    );
    expect(tempFileLimitKb(loadEnvironment("dev", dir).environment.database)).toBe(5 * 1024 * 1024);
  });

  it.each([
    [
      20,
      "must be less than allocatedStorageGb (20): one session's temporary files would be allowed to fill the disk every tenant shares (found 20)",
    ],
    [0, "must be at least 1 (found 0)"],
    [2048, "must be at most 2047 (found 2048)"],
  ])("refuses tempFileLimitGb %i", (value, message) => {
    const dir = copyEnvironments();
    patchEnvironment(
      dir,
      "dev",
      "instanceClass: db.t4g.micro",
      `instanceClass: db.t4g.micro\n  tempFileLimitGb: ${value}`,
    );
    expect(problemsOf(() => loadEnvironment("dev", dir))).toEqual([
      `database.tempFileLimitGb: ${message}`,
    ]);
  });

  it("accepts a major engine version", () => {
    const dir = copyEnvironments();
    patchEnvironment(
      dir,
      "dev",
      "instanceClass: db.t4g.micro",
      'instanceClass: db.t4g.micro\n  engineVersion: "17"',
    );
    expect(loadEnvironment("dev", dir).environment.database.engineVersion).toBe("17");
  });

  it("rejects AZs of another region, an unknown instance class and a name that is not its folder", () => {
    const dir = copyEnvironments();
    patchEnvironment(dir, "dev", "[use1-az1, use1-az2]", "[use1-az1, euw1-az2]");
    patchEnvironment(dir, "dev", "instanceClass: db.t4g.micro", "instanceClass: db.t4g.huge");
    patchEnvironment(dir, "dev", "name: dev", "name: develop");
    const problems = problemsOf(() => loadEnvironment("dev", dir));
    // Sorted by line: name, availabilityZones, instanceClass.
    expect(problems).toHaveLength(3);
    expect(problems[0]).toBe('name: must match the folder name "dev" (found "develop")');
    expect(problems[1]).toBe(
      'availabilityZones[1]: must be an AZ ID of region us-east-1, e.g. use1-az1 (found "euw1-az2")',
    );
    expect(problems[2]).toMatch(/^database\.instanceClass: must be one of "db\.t3\.micro"/);
  });
});

describe("backup and maintenance windows (RDS: at least 30 minutes, never overlapping)", () => {
  function windowProblems(backupWindow: string, maintenanceWindow: string): string[] {
    const dir = copyEnvironments();
    patchEnvironment(
      dir,
      "prod",
      "  backupRetentionDays: 14",
      `  backupRetentionDays: 14\n  backupWindow: "${backupWindow}"\n  maintenanceWindow: "${maintenanceWindow}"`,
    );
    return problemsOf(() => loadEnvironment("prod", dir));
  }

  it("refuses seed 001's Sunday 3-4 AM maintenance over seed 004's 03:00-04:00 backups", () => {
    expect(windowProblems("03:00-04:00", "sun:03:00-sun:04:00")).toEqual([
      'database.maintenanceWindow: must not overlap the daily backup window 03:00-04:00 (it does on sun); RDS refuses overlapping windows. Fix: move one of database.maintenanceWindow and database.backupWindow (found "sun:03:00-sun:04:00")',
    ]);
  });

  it("reports the conflict on the window the file writes when the other is the default", () => {
    const dir = copyEnvironments();
    patchEnvironment(
      dir,
      "prod",
      "  backupRetentionDays: 14",
      '  backupRetentionDays: 14\n  backupWindow: "04:00-05:00"',
    );
    expect(problemsOf(() => loadEnvironment("prod", dir))).toEqual([
      'database.backupWindow: must not overlap the maintenance window sun:04:30-sun:05:30 (it does on sun); RDS refuses overlapping windows. Fix: move one of database.maintenanceWindow and database.backupWindow (found "04:00-05:00")',
    ]);
  });

  it("sees the daily backup window on every day, across midnight and across Sunday night", () => {
    // Monday's backup runs past midnight into Tuesday's maintenance; Sunday's maintenance runs
    // past the week's end into Monday's backup.
    expect(windowProblems("23:30-00:30", "tue:00:00-tue:01:00")[0]).toMatch(
      /^database\.maintenanceWindow: must not overlap the daily backup window 23:30-00:30 \(it does on mon\)/,
    );
    expect(windowProblems("00:15-00:45", "sun:23:30-mon:00:30")[0]).toMatch(
      /^database\.maintenanceWindow: must not overlap the daily backup window 00:15-00:45 \(it does on mon\)/,
    );
  });

  it("refuses windows shorter than 30 minutes", () => {
    expect(windowProblems("03:00-03:20", "sun:04:30-sun:04:45")).toEqual([
      'database.backupWindow: must be at least 30 minutes long (RDS refuses a shorter window), found 20 (found "03:00-03:20")',
      'database.maintenanceWindow: must be at least 30 minutes long (RDS refuses a shorter window), found 15 (found "sun:04:30-sun:04:45")',
    ]);
  });

  it("accepts adjacent windows and the defaults", () => {
    expect(loadEnvironment("prod", copyEnvironments()).environment.database).toMatchObject({
      backupWindow: "03:00-04:00",
      maintenanceWindow: "sun:04:30-sun:05:30",
    });
    const dir = copyEnvironments();
    patchEnvironment(
      dir,
      "prod",
      "  backupRetentionDays: 14",
      '  backupRetentionDays: 14\n  backupWindow: "03:00-04:00"\n  maintenanceWindow: "sun:04:00-sun:04:30"',
    );
    expect(loadEnvironment("prod", dir).environment.database.maintenanceWindow).toBe(
      "sun:04:00-sun:04:30",
    );
  });
});

describe("availability zones by AZ ID", () => {
  it("refuses AZ names, which map to different zones in each account", () => {
    const dir = copyEnvironments();
    patchEnvironment(dir, "dev", "[use1-az1, use1-az2]", "[us-east-1a, use1-az2]");
    expect(problemsOf(() => loadEnvironment("dev", dir))).toEqual([
      'availabilityZones[0]: must be an availability zone ID such as use1-az1 (found "us-east-1a")',
    ]);
  });

  it("puts the bastion only in one of the listed zones", () => {
    const dir = copyEnvironments();
    patchEnvironment(
      dir,
      "dev",
      "  bastionPublicIp: true",
      "  bastionPublicIp: true\n  bastionAvailabilityZone: use1-az3",
    );
    expect(problemsOf(() => loadEnvironment("dev", dir))).toEqual([
      'network.bastionAvailabilityZone: must be one of availabilityZones (use1-az1, use1-az2) (found "use1-az3")',
    ]);
    patchEnvironment(
      dir,
      "dev",
      "bastionAvailabilityZone: use1-az3",
      "bastionAvailabilityZone: use1-az2",
    );
    expect(loadEnvironment("dev", dir).environment.network.bastionAvailabilityZone).toBe(
      "use1-az2",
    );
  });

  it.each([
    ["us-east-1", "use1"],
    ["us-west-2", "usw2"],
    ["eu-central-1", "euc1"],
    ["ap-northeast-1", "apne1"],
    ["ap-southeast-2", "apse2"],
    ["us-gov-west-1", "usgw1"],
    ["cn-northwest-1", "cnnw1"],
    ["sa-east-1", "sae1"],
  ])("derives the AZ ID prefix of %s: %s", (region, prefix) => {
    expect(availabilityZoneIdPrefix(region)).toBe(prefix);
  });
});

describe("the connection budget", () => {
  it("rejects active tenants whose limits exceed max_connections minus the reserve, naming the fixes", () => {
    const dir = copyEnvironments();
    // dev: db.t4g.micro, 1 GiB => DBInstanceClassMemory 0.879 GiB => LEAST(943819063/9531392,
    // 5000) = 99 connections (not 112 from the nominal 1 GiB), reserve 10.
    writeTenants(
      dir,
      "dev",
      "tenants:\n  - name: a\n    owner: x@example.com\n    connectionLimit: 60\n  - name: b\n    owner: x@example.com\n    connectionLimit: 30\n  - name: c\n    owner: x@example.com\n    connectionLimit: 500\n    state: suspended\n",
    );
    const [problem] = problemsOf(() => loadEnvironment("dev", dir));
    expect(problem).toBe(
      "tenants: environment dev: active tenants need 90 connections (a 60, b 30), but only 89 fit: max_connections 99 of db.t4g.micro minus the reserve of 10 = 89. Fix: set database.instanceClass to db.t4g.small or larger; lower connectionLimit of some tenants by 1 in total; or suspend/retire tenants that are not in use.",
    );
  });

  it("stays one screen with hundreds of tenants: the largest limits first, the rest counted", () => {
    const dir = copyEnvironments();
    const entry = (i: number, limit: number) =>
      `  - name: t_${i}\n    owner: x@example.com\n    connectionLimit: ${limit}\n`;
    const entries = Array.from({ length: 300 }, (_, i) => entry(i, i === 299 ? 5 : 1));
    writeTenants(dir, "dev", `tenants:\n${entries.join("")}`);
    const [problem] = problemsOf(() => loadEnvironment("dev", dir));
    expect(problem).toContain(
      "active tenants need 304 connections (t_299 5, t_0 1, t_1 1, t_2 1, t_3 1, t_4 1, t_5 1, t_6 1, t_7 1, t_8 1 and 290 more), but only 89 fit",
    );
    expect((problem as string).length).toBeLessThan(500);
  });

  it("also caps active tenants at the proxy's share when the proxy is on", () => {
    const dir = copyEnvironments();
    // prod with its proxy turned on (off by default for cost).
    const file = join(dir, "prod", "environment.yaml");
    const yaml = readFileSync(file, "utf8");
    expect(yaml).toMatch(/^ {2}enabled: false$/m);
    writeFileSync(file, yaml.replace(/^ {2}enabled: false$/m, "  enabled: true"));
    // prod: db.t4g.small => 198 connections (RDS's formula, observed); proxy 90% => 178.
    writeTenants(
      dir,
      "prod",
      "tenants:\n  - name: a\n    owner: x@example.com\n    connectionLimit: 179\n",
    );
    const [problem] = problemsOf(() => loadEnvironment("prod", dir));
    expect(problem).toMatch(/only 178 fit: the proxy's share \(90% of max_connections 198 = 178\)/);
  });
});

describe("read-only roles", () => {
  it("refuses a tenant name too long for its <name>_readonly role (63 bytes)", () => {
    const dir = copyEnvironments();
    const name = "a".repeat(55);
    writeTenants(
      dir,
      "dev",
      `tenants:\n  - name: ${name}\n    owner: x@example.com\n    readOnlyRole: true\n`,
    );
    expect(problemsOf(() => loadEnvironment("dev", dir))).toEqual([
      `tenants[0].readOnlyRole: tenant "${name}": read-only role "${name}_readonly" is longer than 63 bytes; shorten the tenant name to at most 54 bytes or set readOnlyRole: false (found true)`,
    ]);
  });
});

describe("environmentsDir: the one place every command learns which folder to read", () => {
  const saved = process.env.PGFORKS_ENVIRONMENTS_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.PGFORKS_ENVIRONMENTS_DIR;
    else process.env.PGFORKS_ENVIRONMENTS_DIR = saved;
  });

  it("is a given root's, else PGFORKS_ENVIRONMENTS_DIR (relative to the working folder), else the repository's", () => {
    delete process.env.PGFORKS_ENVIRONMENTS_DIR;
    expect(environmentsDir()).toBe(join(repoRoot(), "environments"));
    process.env.PGFORKS_ENVIRONMENTS_DIR = "";
    expect(environmentsDir()).toBe(join(repoRoot(), "environments"));
    process.env.PGFORKS_ENVIRONMENTS_DIR = "some/copy";
    expect(environmentsDir()).toBe(resolve("some/copy"));
    expect(environmentsDir("/x/checkout")).toBe("/x/checkout/environments");
  });

  it("a folder that is not there is one problem naming it and the variable", () => {
    process.env.PGFORKS_ENVIRONMENTS_DIR = "/nonexistent/pgforks-environments";
    expect(problemsOf(() => loadEnvironments())).toEqual([
      ": cannot read the environments folder (PGFORKS_ENVIRONMENTS_DIR): does not exist (ENOENT)",
    ]);
  });
});

describe("crossEnvironmentWarnings: valid alone, clashing together", () => {
  const at = (name: string, cidr: string) =>
    ({
      name,
      dir: join("/x/environments", name),
      environment: { account: `${name}-account`, network: { cidr } },
      tenants: [],
    }) as unknown as Parameters<typeof crossEnvironmentWarnings>[0][number];

  it("names both files and both ranges of overlapping VPCs, and a free range", () => {
    expect(
      crossEnvironmentWarnings([
        at("dev", "10.10.0.0/16"),
        at("prod", "10.30.0.0/16"),
        at("healthtech-prod", "10.30.128.0/20"),
      ]),
    ).toEqual([
      'warning: /x/environments/healthtech-prod/environment.yaml network.cidr: 10.30.128.0/20 overlaps network.cidr 10.30.0.0/16 of /x/environments/prod/environment.yaml; a VPC cannot be peered or routed to both (docs/architecture.md, "Another VPC"): give each environment its own range, e.g. 10.20.0.0/16',
    ]);
  });

  it("suggests a different free range to each environment it warns, one per file", () => {
    const warnings = crossEnvironmentWarnings([
      at("a", "10.30.0.0/16"),
      at("b", "10.30.0.0/16"),
      at("c", "10.30.0.0/16"),
    ]);
    const suggested = warnings.map((w) => [
      /^warning: \/x\/environments\/(\w)\//.exec(w)?.[1],
      / e\.g\. (\S+)$/.exec(w)?.[1],
    ]);
    // b overlaps a; c overlaps a and b: b and c are each given their own range.
    expect(suggested).toEqual([
      ["b", "10.10.0.0/16"],
      ["c", "10.20.0.0/16"],
      ["c", "10.20.0.0/16"],
    ]);
  });

  it("names an account two environments share (each bootstrap stack creates its OIDC provider)", () => {
    const [a, b] = [at("prod", "10.30.0.0/16"), at("healthtech-prod", "10.40.0.0/16")];
    const shared = { ...b, environment: { ...b.environment, account: a.environment.account } };
    expect(crossEnvironmentWarnings([a, shared])).toEqual([
      "warning: /x/environments/healthtech-prod/environment.yaml account: prod-account is also the account of /x/environments/prod/environment.yaml; each environment's bootstrap stack creates the account's GitHub OIDC provider and state key alias, so the second bootstrap apply would fail (already exists): give each environment its own account",
    ]);
  });

  it("says nothing of adjacent ranges", () => {
    expect(crossEnvironmentWarnings([at("a", "10.30.0.0/24"), at("b", "10.30.1.0/24")])).toEqual(
      [],
    );
    expect(ipv4CidrsOverlap(parseIpv4Cidr("10.0.0.0/16"), parseIpv4Cidr("10.1.0.0/16"))).toBe(
      false,
    );
  });
});
