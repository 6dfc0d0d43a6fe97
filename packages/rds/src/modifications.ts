/**
 * When a change of the instance takes effect and what it costs in availability. One table, read by
 * the construct (apply_immediately) and by the plan review (what happens and when).
 *
 * Decision: changes apply immediately. The class, the storage and everything derived from them
 * (max_connections, the connection budget that admits tenants, the tenant limits, the alarm
 * thresholds) then change in the same deploy, after the same reviewed plan. Deferring to the
 * maintenance window would leave the derived numbers ahead of the server for up to a week, and
 * every deploy in between would re-plan the same pending diff.
 */

/** Where a change takes effect in the deploy (deploy.yml): the apply, the reboot step, or neither. */
export type TakesEffect = "this apply" | "after the reboot step" | "maintenance window";

/**
 * `apply_immediately` of the instance and its replicas. True (see the decision above). RDS User
 * Guide, "Modifying an Amazon RDS DB instance": most modifications can be applied immediately or
 * deferred until the next maintenance window; parameter group changes need a manual reboot.
 */
export const APPLY_IMMEDIATELY = true;

/**
 * Typical failover time of a Multi-AZ DB instance, in seconds: "Failover times are typically
 * 60–120 seconds" (RDS User Guide, "Multi-AZ DB instance deployments",
 * Concepts.MultiAZSingleStandby). For Multi-AZ deployments RDS applies scaling operations to the
 * standby first, fails over, then modifies the old primary, so the outage is the failover (AWS
 * Knowledge Center, "What's the impact of modifying my Single-AZ Amazon RDS instance to a
 * Multi-AZ instance", and "rds-required-maintenance": the downtime is during failover).
 */
export const MULTI_AZ_FAILOVER_SECONDS = { min: 60, max: 120 } as const;

/**
 * Hours before RDS accepts another storage change: "You can't make further storage modifications
 * for either six (6) hours or until storage optimization has completed on the instance, whichever
 * is longer" (RDS User Guide, "Increasing DB instance storage capacity").
 */
export const STORAGE_MODIFICATION_COOLDOWN_HOURS = 6;

/** What changing one instance setting does. */
export interface SettingChangeEffect {
  /** What the setting is, in words. */
  readonly what: string;
  /** Expected unavailability on a Single-AZ instance. */
  readonly singleAz: string;
  /** Expected unavailability on a Multi-AZ instance. */
  readonly multiAz: string;
  /** Whether it takes effect at the reboot step rather than during the apply itself. */
  readonly needsReboot: boolean;
  /** Where the statement comes from. */
  readonly source: string;
}

const failover = `a failover: typically ${MULTI_AZ_FAILOVER_SECONDS.min}-${MULTI_AZ_FAILOVER_SECONDS.max} s unavailable (standby modified first)`;

/**
 * `aws_db_instance` arguments whose change the review explains, keyed by Terraform attribute.
 * Anything else applies in the same apply without a documented outage.
 */
export const INSTANCE_SETTING_EFFECTS = {
  instance_class: {
    what: "instance class (CPU, memory, max_connections)",
    singleAz: "the instance is unavailable while RDS moves it to the new class (minutes)",
    multiAz: failover,
    needsReboot: false,
    source:
      "RDS User Guide, 'Modifying an Amazon RDS DB instance' (some modifications reboot the instance) and 'Multi-AZ DB instance deployments' (failover 60-120 s)",
  },
  allocated_storage: {
    what: "allocated storage",
    singleAz: `none expected (storage-optimization runs online; no further storage change for ${STORAGE_MODIFICATION_COOLDOWN_HOURS} h)`,
    multiAz: `none expected (storage-optimization runs online; no further storage change for ${STORAGE_MODIFICATION_COOLDOWN_HOURS} h)`,
    needsReboot: false,
    source:
      "RDS User Guide, 'Increasing DB instance storage capacity': scaling storage usually doesn't cause any outage",
  },
  max_allocated_storage: {
    what: "storage autoscaling ceiling",
    singleAz: "none",
    multiAz: "none",
    needsReboot: false,
    source: "RDS User Guide, 'Managing capacity automatically with Amazon RDS storage autoscaling'",
  },
  engine_version: {
    what: "engine version",
    singleAz:
      "the instance is unavailable during the upgrade (minutes; longer for a major version)",
    multiAz:
      "both primary and standby are upgraded at the same time: unavailable during the upgrade",
    needsReboot: false,
    source: "RDS User Guide, 'Upgrading a DB instance engine version'",
  },
  multi_az: {
    what: "Multi-AZ standby",
    singleAz: "none (the standby is built from a snapshot; writes may be slower while it loads)",
    multiAz: "none",
    needsReboot: false,
    source:
      "AWS Knowledge Center, 'impact of modifying my Single-AZ Amazon RDS instance to a Multi-AZ instance'",
  },
  parameter_group_name: {
    what: "parameter group",
    singleAz: "the reboot step restarts PostgreSQL: a momentary outage",
    multiAz: "the reboot step restarts PostgreSQL (without failover): a momentary outage",
    needsReboot: true,
    source:
      "RDS User Guide, 'Associating a DB parameter group with a DB instance': parameters of a newly associated group apply after a reboot",
  },
} as const satisfies Record<string, SettingChangeEffect>;

export type ExplainedInstanceSetting = keyof typeof INSTANCE_SETTING_EFFECTS;

/**
 * A parameter change: dynamic parameters (`immediate`) apply in the apply, static ones
 * (`pending-reboot`) at the reboot step, which restarts PostgreSQL without failover ("changes to
 * dynamic and static parameters are applied after a reboot without failover": RDS API Reference,
 * ModifyDBParameterGroup).
 */
export const PARAMETER_CHANGE_EFFECTS = {
  immediate: { takesEffect: "this apply", downtime: "none" },
  "pending-reboot": {
    takesEffect: "after the reboot step",
    downtime: "the reboot step restarts PostgreSQL: a momentary outage",
  },
} as const satisfies Record<string, { takesEffect: TakesEffect; downtime: string }>;
