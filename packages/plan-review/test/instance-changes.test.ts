// "Instance changes: what happens and when" on plan JSON shaped like Terraform's (test-helpers).
// The class and storage changes are also covered on real offline plans (test/scenarios.test.ts);
// a parameter change cannot come from a configuration edit (the parameters are code, @pgforks/rds
// POSTGRES_PARAMETERS), so its plan is written here in the provider's shape: `parameter` is a set
// of {apply_method, name, value}.

import { stringify } from "@pgforks/markdown";
import { instanceChangesSection, instanceEffects } from "../src/instance-changes";
import { buildReview } from "../src/review";
import { loadedEnvironment, planJson, resourceChange } from "./test-helpers";

const INSTANCE = "aws_db_instance.database_instance_D7FC2283";
const GROUP = "aws_db_parameter_group.database_parameter-group_1A2B3C4D";

/** The review of a prod-platform plan; the configuration moves from `classes[0]` to `classes[1]`. */
function review(
  changes: Parameters<typeof planJson>[0],
  multiAz = true,
  classes: readonly ["db.t4g.small" | "db.t4g.medium", "db.t4g.small" | "db.t4g.medium"] = [
    "db.t4g.small",
    "db.t4g.small",
  ],
) {
  const env = (instanceClass: "db.t4g.small" | "db.t4g.medium") =>
    loadedEnvironment("prod", multiAz ? "production" : "staging", [], {
      database: { multiAz, deletionProtection: true, instanceClass },
    });
  return buildReview([{ stack: "prod-platform", plan: planJson(changes) }], {
    before: [env(classes[0])],
    after: [env(classes[1])],
  });
}

function instance(before: Record<string, unknown>, after: Record<string, unknown>) {
  const common = { identifier: "pgforks-prod", multi_az: true, apply_immediately: true };
  return resourceChange(INSTANCE, {
    actions: ["update"],
    before: { ...common, ...before },
    after: { ...common, ...after },
  });
}

function parameterGroup(
  before: Array<[string, string, string]>,
  after: Array<[string, string, string]>,
) {
  const set = (list: Array<[string, string, string]>) =>
    list.map(([name, value, apply_method]) => ({ name, value, apply_method }));
  return resourceChange(GROUP, {
    actions: ["update"],
    before: { name_prefix: "pgforks-prod-postgres16-", parameter: set(before) },
    after: { name_prefix: "pgforks-prod-postgres16-", parameter: set(after) },
  });
}

describe("instance changes", () => {
  it("a static parameter takes effect at the reboot step; a dynamic one in this apply", () => {
    const effects = instanceEffects(
      review([
        parameterGroup(
          [
            ["log_min_duration_statement", "1000", "immediate"],
            ["shared_preload_libraries", "pg_stat_statements", "pending-reboot"],
          ],
          [
            ["log_min_duration_statement", "500", "immediate"],
            ["shared_preload_libraries", "pg_stat_statements,auto_explain", "pending-reboot"],
          ],
        ),
      ]),
    );
    expect(effects).toEqual([
      {
        stack: "prod-platform",
        target: "pgforks-prod-postgres16-",
        change: "parameter log_min_duration_statement (dynamic): 1000 → 500",
        takesEffect: "this apply",
        downtime: "none",
        dependents: [],
      },
      {
        stack: "prod-platform",
        target: "pgforks-prod-postgres16-",
        change:
          "parameter shared_preload_libraries (static): pg_stat_statements → pg_stat_statements,auto_explain",
        takesEffect: "after the reboot step",
        downtime: "the reboot step restarts PostgreSQL: a momentary outage",
        dependents: [],
      },
    ]);
  });

  it("an added or removed parameter is a change too; unchanged ones are not listed", () => {
    const effects = instanceEffects(
      review([
        parameterGroup(
          [
            ["rds.force_ssl", "1", "immediate"],
            ["log_statement", "ddl", "immediate"],
          ],
          [
            ["rds.force_ssl", "1", "immediate"],
            ["max_wal_senders", "20", "pending-reboot"],
          ],
        ),
      ]),
    );
    expect(effects.map((e) => [e.change, e.takesEffect])).toEqual([
      ["parameter log_statement (dynamic): ddl → (default)", "this apply"],
      ["parameter max_wal_senders (static): (default) → 20", "after the reboot step"],
    ]);
  });

  it("a class change on Single-AZ: the instance is unavailable while it moves, budget and alarms follow", () => {
    const alarm = resourceChange(
      "aws_cloudwatch_metric_alarm.alarms_connections-critical_B6E93F96",
      {
        actions: ["update"],
        before: { alarm_name: "pgforks-prod-connections-critical", threshold: 178 },
        after: { alarm_name: "pgforks-prod-connections-critical", threshold: 356 },
      },
    );
    const effects = instanceEffects(
      review(
        [
          instance(
            { instance_class: "db.t4g.small", multi_az: false },
            { instance_class: "db.t4g.medium", multi_az: false },
          ),
          alarm,
        ],
        false,
        ["db.t4g.small", "db.t4g.medium"],
      ),
    );
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({
      change: "instance class (CPU, memory, max_connections): db.t4g.small → db.t4g.medium",
      takesEffect: "this apply",
      downtime: "the instance is unavailable while RDS moves it to the new class (minutes)",
    });
    expect(effects[0]?.dependents.at(-1)).toBe(
      "alarm thresholds: pgforks-prod-connections-critical 178 → 356",
    );
  });

  it("says 'maintenance window' when apply_immediately is off, and names a new parameter group as a reboot", () => {
    const effects = instanceEffects(
      review([
        resourceChange(INSTANCE, {
          actions: ["update"],
          before: {
            identifier: "pgforks-prod",
            multi_az: true,
            apply_immediately: false,
            allocated_storage: 20,
            parameter_group_name: "pgforks-prod-postgres16-1",
          },
          after: {
            identifier: "pgforks-prod",
            multi_az: true,
            apply_immediately: false,
            allocated_storage: 40,
          },
          afterUnknown: { parameter_group_name: true },
        }),
      ]),
    );
    expect(effects.map((e) => [e.change, e.takesEffect])).toEqual([
      ["allocated storage: 20 → 40", "maintenance window"],
      ["parameter group: pgforks-prod-postgres16-1 → (known after apply)", "after the reboot step"],
    ]);
  });

  it("calls a lower engine version a downgrade RDS refuses, not an upgrade with its downtime", () => {
    const [downgrade] = instanceEffects(
      review([instance({ engine_version: "16" }, { engine_version: "15" })]),
    );
    expect(downgrade).toMatchObject({
      change: "engine version: 16 → 15, a DOWNGRADE",
      downtime:
        "none: RDS refuses a downgrade, so the apply fails and the instance keeps its version",
    });
    const [upgrade] = instanceEffects(
      review([instance({ engine_version: "16" }, { engine_version: "17" })]),
    );
    expect(upgrade?.change).toBe("engine version: 16 → 17");
    expect(upgrade?.downtime).toMatch(/upgraded at the same time/);
  });

  it("renders a heading and a table, or nothing without instance changes", () => {
    expect(instanceChangesSection(review([]))).toEqual([]);
    const markdown = stringify(
      instanceChangesSection(
        review(
          [instance({ instance_class: "db.t4g.small" }, { instance_class: "db.t4g.medium" })],
          true,
          ["db.t4g.small", "db.t4g.medium"],
        ),
      ),
    );
    const [heading, , header, delimiter, row] = markdown.split("\n");
    expect(heading).toBe("### Instance changes: what happens and when");
    expect(header).toBe(
      "| Stack | Instance or parameter group | Change | Takes effect | Expected downtime | Changes with it |",
    );
    expect(delimiter).toMatch(/^\| -+ \| -+ \| -+ \| -+ \| -+ \| -+ \|$/);
    expect(row).toMatch(
      /^\| `prod-platform` \| `pgforks-prod` \| instance class .* \| this apply \| a failover: typically 60-120 s unavailable \(standby modified first\) \| max_connections 198 → 396 \(RDS default formula, follows the class\); connection budget available to tenants \d+ → \d+ /,
    );
  });
});
