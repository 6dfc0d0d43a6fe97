import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DbEventSubscription } from "@cdktf/provider-aws/lib/db-event-subscription";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { type EnvironmentConfig, instanceCapacity } from "@pgforks/config";
import { environmentFixture, synthScope } from "@pgforks/testing";
import { DataResource, TerraformOutput, Testing } from "cdktf";
import {
  CA_CERT_IDENTIFIER,
  CRITICAL_INSTANCE_EVENT_CATEGORIES,
  POSTGRES_LOG_EXPORTS,
  POSTGRES_PARAMETERS,
} from "../src/engine";
import { GENERATION_ID_LENGTH } from "../src/final-snapshot-name";
import { MONITORING_SERVICE_PRINCIPAL } from "../src/monitoring-role";
import { PostgresInstance, type PostgresInstanceProps } from "../src/postgres-instance";

type Resource = Record<string, unknown>;
interface Synthesized {
  readonly resource: Record<string, Record<string, Resource>>;
  readonly output?: Record<string, { value: unknown }>;
}

const NAME = "pgforks-test";
const KMS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:pgforks-test-alarms";
const ACCOUNT = "123456789012";
const REGION = "us-east-1";

/** Development-tier config: everything the tier relaxes, and non-default values to prove pass-through. */
const devEnvironment = environmentFixture({
  tier: "development",
  database: {
    engineVersion: "15",
    instanceClass: "db.t4g.micro",
    multiAz: false,
    deletionProtection: false,
    backupRetentionDays: 1,
    backupWindow: "02:00-02:30",
    maintenanceWindow: "sat:05:00-sat:06:00",
    masterUsername: "dev_admin",
    port: 5433,
    performanceInsightsRetentionDays: 7,
    monitoringIntervalSeconds: 30,
    logRetentionDays: 30,
  },
});
/** Production-tier config with the schema's defaults (seed 004 numbers). */
const prodEnvironment = environmentFixture();

const tiers: ReadonlyArray<[string, EnvironmentConfig]> = [
  ["development", devEnvironment],
  ["production", prodEnvironment],
];

function synth(
  environment: EnvironmentConfig,
  extra: Partial<PostgresInstanceProps> = {},
  use?: (db: PostgresInstance) => void,
): { json: string; parsed: Synthesized } {
  const { json, parsed } = synthScope((scope) => {
    const db = new PostgresInstance(scope, "database", {
      name: NAME,
      database: environment.database,
      subnetIds: ["subnet-aaaa1111", "subnet-bbbb2222"],
      securityGroupIds: ["sg-12345678"],
      kmsKeyArn: KMS_KEY_ARN,
      account: ACCOUNT,
      region: REGION,
      ...extra,
    });
    use?.(db);
  });
  return { json, parsed: parsed as Synthesized };
}

function resources(parsed: Synthesized, type: string): Array<[string, Resource]> {
  return Object.entries(parsed.resource[type] ?? {});
}

function only(parsed: Synthesized, type: string): [string, Resource] {
  const all = resources(parsed, type);
  expect(all).toHaveLength(1);
  return all[0] as [string, Resource];
}

function primary(parsed: Synthesized): [string, Resource] {
  const found = resources(parsed, DbInstance.tfResourceType).filter(
    ([, r]) => r.replicate_source_db === undefined,
  );
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
}

/** The zone names of this (imaginary) account, as the network's subnets would report them. */
const ZONE_NAMES = { "use1-az1": "us-east-1c", "use1-az2": "us-east-1a" };

const withReplicas = environmentFixture({
  database: {
    readReplicas: [
      { name: "reader" },
      { name: "analytics", instanceClass: "db.r7g.large", availabilityZone: "use1-az2" },
    ],
  },
});

describe.each(tiers)("PostgresInstance (%s config)", (_tier, environment) => {
  const { database } = environment;
  const { json, parsed } = synth(environment);
  const [, instance] = primary(parsed);

  test("runs PostgreSQL at the configured version and class", () => {
    expect(json).toHaveResourceWithProperties(DbInstance, {
      identifier: NAME,
      engine: "postgres",
      engine_version: database.engineVersion,
      instance_class: database.instanceClass,
      port: database.port,
    });
  });

  test("gp3 storage autoscales from allocatedStorageGb to maxAllocatedStorageGb", () => {
    expect(instance).toMatchObject({
      storage_type: "gp3",
      allocated_storage: database.allocatedStorageGb,
      max_allocated_storage: database.maxAllocatedStorageGb,
    });
  });

  test("storage is encrypted with the customer-managed key (RDS.3)", () => {
    expect(instance).toMatchObject({ storage_encrypted: true, kms_key_id: KMS_KEY_ARN });
  });

  test("Performance Insights is on, encrypted with the key, with the configured retention", () => {
    expect(instance).toMatchObject({
      performance_insights_enabled: true,
      performance_insights_kms_key_id: KMS_KEY_ARN,
      performance_insights_retention_period: database.performanceInsightsRetentionDays,
    });
  });

  test("RDS manages the master password in Secrets Manager under the key; username from config (RDS.25)", () => {
    expect(instance).toMatchObject({
      manage_master_user_password: true,
      master_user_secret_kms_key_id: KMS_KEY_ARN,
      username: database.masterUsername,
    });
    expect(instance.username).not.toBe("postgres");
    expect(instance).not.toHaveProperty("password");
  });

  test("Multi-AZ (RDS.5), deletion protection (RDS.8) and backups (RDS.11) follow config", () => {
    expect(instance).toMatchObject({
      multi_az: database.multiAz,
      deletion_protection: database.deletionProtection,
      backup_retention_period: database.backupRetentionDays,
      backup_window: database.backupWindow,
      maintenance_window: database.maintenanceWindow,
    });
  });

  test("hardening: private (RDS.2), IAM auth (RDS.10), minor upgrades (RDS.13), tags to snapshots (RDS.17), pinned CA", () => {
    expect(instance).toMatchObject({
      publicly_accessible: false,
      iam_database_authentication_enabled: true,
      auto_minor_version_upgrade: true,
      copy_tags_to_snapshot: true,
      ca_cert_identifier: CA_CERT_IDENTIFIER,
      allow_major_version_upgrade: false,
    });
    expect(CA_CERT_IDENTIFIER).toBe("rds-ca-rsa2048-g1");
  });

  test("modifications apply in the apply that plans them, not in the maintenance window", () => {
    // Class and storage change in the same deploy as max_connections, the budget and the alarms.
    expect(instance.apply_immediately).toBe(true);
  });

  test("a final snapshot is always taken and automated backups outlive the instance", () => {
    expect(instance).toMatchObject({ skip_final_snapshot: false, delete_automated_backups: false });
  });

  test("uses a parameter group of the family derived from the major version", () => {
    const [id, group] = only(parsed, DbParameterGroup.tfResourceType);
    const family = `postgres${database.engineVersion.split(".")[0]}`;
    expect(group).toMatchObject({
      family,
      name_prefix: `${NAME}-${family}-`,
      lifecycle: { create_before_destroy: true },
    });
    expect(group).not.toHaveProperty("name");
    expect(instance.parameter_group_name).toBe(`\${aws_db_parameter_group.${id}.name}`);
  });

  test("the parameter group forces TLS (RDS.38), logs slow queries, DDL and connections, ends idle transactions", () => {
    const [, group] = only(parsed, DbParameterGroup.tfResourceType);
    expect(group.parameter).toEqual(
      expect.arrayContaining([
        { name: "rds.force_ssl", value: "1", apply_method: "immediate" },
        { name: "log_min_duration_statement", value: "1000", apply_method: "immediate" },
        { name: "log_statement", value: "ddl", apply_method: "immediate" },
        { name: "log_connections", value: "1", apply_method: "immediate" },
        { name: "log_disconnections", value: "1", apply_method: "immediate" },
        // 30 minutes, the RDS User Guide's idle-in-transaction threshold; no reboot.
        {
          name: "idle_in_transaction_session_timeout",
          value: "1800000",
          apply_method: "immediate",
        },
        {
          name: "shared_preload_libraries",
          value: "pg_stat_statements",
          apply_method: "pending-reboot",
        },
      ]),
    );
    // max_connections is left to RDS's default formula, which the budget uses too: never pinned
    // (above it, a 2 GiB class would get 225 instead of ~198, and a change would wait for a reboot).
    expect((group.parameter as Array<{ name: string }>).map((p) => p.name)).not.toContain(
      "max_connections",
    );
    // The fixed list, and temp_file_limit from the environment's storage.
    expect(group.parameter).toHaveLength(POSTGRES_PARAMETERS.length + 1);
  });

  test("the parameter group caps one session's temporary files at a tenth of the storage, in kB", () => {
    const [, group] = only(parsed, DbParameterGroup.tfResourceType);
    const limit = (group.parameter as Array<{ name: string }>).filter(
      (p) => p.name === "temp_file_limit",
    );
    expect(limit).toEqual([
      {
        name: "temp_file_limit",
        value: String(Math.floor(database.allocatedStorageGb / 10) * 1024 * 1024),
        apply_method: "immediate",
      },
    ]);
  });

  test("exports postgresql and upgrade logs (RDS.9, RDS.36) into pre-created encrypted groups", () => {
    expect(instance.enabled_cloudwatch_logs_exports).toEqual(["postgresql", "upgrade"]);
    const groups = resources(parsed, CloudwatchLogGroup.tfResourceType);
    expect(groups.map(([, g]) => g)).toEqual(
      POSTGRES_LOG_EXPORTS.map((log) => ({
        name: `/aws/rds/instance/${NAME}/${log}`,
        kms_key_id: KMS_KEY_ARN,
        retention_in_days: database.logRetentionDays,
      })),
    );
    // The instance waits for the groups, so RDS never creates unencrypted, never-expiring ones.
    expect(instance.depends_on).toEqual(
      expect.arrayContaining(groups.map(([id]) => `aws_cloudwatch_log_group.${id}`)),
    );
  });

  test("Enhanced Monitoring (RDS.6) at the configured interval with its own role", () => {
    const [roleId, role] = only(parsed, IamRole.tfResourceType);
    expect(role.name).toBe(`${NAME}-rds-monitoring`);
    expect(JSON.parse(role.assume_role_policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: MONITORING_SERVICE_PRINCIPAL },
          Action: "sts:AssumeRole",
          // Confused-deputy protection (RDS User Guide, Enhanced Monitoring): this instance and
          // its replicas, in this account only.
          Condition: {
            StringEquals: { "aws:SourceAccount": ACCOUNT },
            StringLike: {
              "aws:SourceArn": [
                `arn:aws:rds:${REGION}:${ACCOUNT}:db:${NAME}`,
                ...database.readReplicas.map(
                  (r) => `arn:aws:rds:${REGION}:${ACCOUNT}:db:${NAME}-${r.name}`,
                ),
              ],
            },
          },
        },
      ],
    });
    const [attachmentId, attachment] = only(parsed, IamRolePolicyAttachment.tfResourceType);
    expect(attachment).toEqual({
      role: `\${aws_iam_role.${roleId}.name}`,
      policy_arn: "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
    });
    expect(instance).toMatchObject({
      monitoring_interval: database.monitoringIntervalSeconds,
      monitoring_role_arn: `\${aws_iam_role.${roleId}.arn}`,
    });
    expect(instance.depends_on).toContain(`aws_iam_role_policy_attachment.${attachmentId}`);
  });

  test("lives in its own DB subnet group with the given security groups", () => {
    const [subnetGroupId, subnetGroup] = only(parsed, DbSubnetGroup.tfResourceType);
    expect(subnetGroup).toMatchObject({
      name: NAME,
      subnet_ids: ["subnet-aaaa1111", "subnet-bbbb2222"],
    });
    expect(instance).toMatchObject({
      db_subnet_group_name: `\${aws_db_subnet_group.${subnetGroupId}.name}`,
      vpc_security_group_ids: ["sg-12345678"],
    });
  });

  test("has no replicas unless configured", () => {
    expect(resources(parsed, DbInstance.tfResourceType)).toHaveLength(1);
  });
});

describe("final snapshot name", () => {
  const { parsed } = synth(prodEnvironment);
  const [, instance] = primary(parsed);
  const [dataId, data] = only(parsed, DataResource.tfResourceType);
  const [subnetGroupId] = only(parsed, DbSubnetGroup.tfResourceType);

  test("is <identifier>-final-<first 8 chars of a terraform_data id>", () => {
    expect(GENERATION_ID_LENGTH).toBe(8);
    expect(instance.final_snapshot_identifier).toBe(
      `${NAME}-final-\${substr(terraform_data.${dataId}.id, 0, 8)}`,
    );
  });

  test("a new generation starts whenever a force-new argument of the instance changes", () => {
    expect(data.triggers_replace).toEqual({
      identifier: NAME,
      engine: "postgres",
      kms_key_id: KMS_KEY_ARN,
      storage_encrypted: true,
      username: prodEnvironment.database.masterUsername,
      db_subnet_group_name: `\${aws_db_subnet_group.${subnetGroupId}.name}`,
    });
  });

  test("each trigger mirrors the instance's own argument", () => {
    const triggers = data.triggers_replace as Record<string, unknown>;
    for (const [argument, value] of Object.entries(triggers)) {
      expect({ [argument]: instance[argument] }).toEqual({ [argument]: value });
    }
  });

  test("changes with the identifier (a replacement under a new name)", () => {
    const other = JSON.parse(
      Testing.synthScope((scope) => {
        new PostgresInstance(scope, "database", {
          name: "pgforks-other",
          database: prodEnvironment.database,
          subnetIds: ["subnet-aaaa1111", "subnet-bbbb2222"],
          securityGroupIds: ["sg-12345678"],
          kmsKeyArn: KMS_KEY_ARN,
          account: ACCOUNT,
          region: REGION,
        });
      }),
    ) as Synthesized;
    const [, otherData] = only(other, DataResource.tfResourceType);
    expect((otherData.triggers_replace as Record<string, unknown>).identifier).toBe(
      "pgforks-other",
    );
    expect(primary(other)[1].final_snapshot_identifier).toMatch(/^pgforks-other-final-/);
  });
});

describe("read replicas", () => {
  const { parsed } = synth(withReplicas, { availabilityZoneNames: ZONE_NAMES }, (db) => {
    expect(db.replicas).toHaveLength(2);
  });
  const [primaryId, instance] = primary(parsed);
  const replicas = Object.fromEntries(
    resources(parsed, DbInstance.tfResourceType)
      .filter(([, r]) => r.replicate_source_db !== undefined)
      .map(([, r]) => [r.identifier as string, r]),
  );
  const reader = replicas[`${NAME}-reader`] as Resource;
  const analytics = replicas[`${NAME}-analytics`] as Resource;

  test("are named <name>-<replica.name> and replicate the primary", () => {
    expect(Object.keys(replicas).sort()).toEqual([`${NAME}-analytics`, `${NAME}-reader`]);
    for (const replica of [reader, analytics]) {
      expect(replica.replicate_source_db).toBe(`\${aws_db_instance.${primaryId}.identifier}`);
    }
  });

  test("default to the primary's class; class and AZ can be set per replica", () => {
    expect(reader.instance_class).toBe(withReplicas.database.instanceClass);
    expect(reader).not.toHaveProperty("availability_zone");
    // The AZ ID from config becomes this account's zone name, read from the network's subnet.
    expect(analytics).toMatchObject({
      instance_class: "db.r7g.large",
      availability_zone: "us-east-1a",
    });
  });

  test("refuses a replica zone that has no subnet", () => {
    expect(() => synth(withReplicas, { availabilityZoneNames: {} })).toThrow(
      /replica zone use1-az2 has no subnet/,
    );
  });

  test("share the key, Performance Insights, monitoring, parameter group, SGs and hardening", () => {
    const shared = [
      "kms_key_id",
      "storage_encrypted",
      "storage_type",
      "performance_insights_enabled",
      "performance_insights_kms_key_id",
      "performance_insights_retention_period",
      "monitoring_interval",
      "monitoring_role_arn",
      "parameter_group_name",
      "vpc_security_group_ids",
      "publicly_accessible",
      "iam_database_authentication_enabled",
      "auto_minor_version_upgrade",
      "copy_tags_to_snapshot",
      "ca_cert_identifier",
      "enabled_cloudwatch_logs_exports",
      "deletion_protection",
    ];
    for (const replica of [reader, analytics]) {
      for (const argument of shared) {
        expect({ [argument]: replica[argument] }).toEqual({ [argument]: instance[argument] });
      }
    }
  });

  test("take no backups or final snapshot and inherit engine, size and master user", () => {
    for (const replica of [reader, analytics]) {
      expect(replica).toMatchObject({ skip_final_snapshot: true, backup_retention_period: 0 });
      for (const inherited of [
        "engine",
        "engine_version",
        "allocated_storage",
        "username",
        "manage_master_user_password",
        "final_snapshot_identifier",
        // The provider requires an ARN source when db_subnet_group_name is set.
        "db_subnet_group_name",
      ]) {
        expect(replica).not.toHaveProperty(inherited);
      }
    }
  });

  test("are rebuilt when the primary is replaced (its resource_id changes)", () => {
    for (const replica of [reader, analytics]) {
      expect(replica.lifecycle).toEqual({
        replace_triggered_by: [`aws_db_instance.${primaryId}.resource_id`],
      });
    }
  });

  test("get their own pre-created log groups", () => {
    const names = resources(parsed, CloudwatchLogGroup.tfResourceType).map(([, g]) => g.name);
    for (const identifier of [NAME, `${NAME}-reader`, `${NAME}-analytics`]) {
      for (const log of POSTGRES_LOG_EXPORTS) {
        expect(names).toContain(`/aws/rds/instance/${identifier}/${log}`);
      }
    }
    const readerGroups = resources(parsed, CloudwatchLogGroup.tfResourceType)
      .filter(([, g]) => (g.name as string).includes(`/${NAME}-reader/`))
      .map(([id]) => `aws_cloudwatch_log_group.${id}`);
    expect(reader.depends_on).toEqual(expect.arrayContaining(readerGroups));
  });

  test("publish Enhanced Monitoring with the primary's role, which trusts RDS for them too", () => {
    const [, role] = only(parsed, IamRole.tfResourceType);
    const [statement] = JSON.parse(role.assume_role_policy as string).Statement;
    expect(statement.Condition.StringLike["aws:SourceArn"]).toEqual(
      [NAME, `${NAME}-reader`, `${NAME}-analytics`].map(
        (identifier) => `arn:aws:rds:${REGION}:${ACCOUNT}:db:${identifier}`,
      ),
    );
  });
});

describe("Enhanced Monitoring outside the aws partition", () => {
  test("names the managed policy and the trusted instance in the region's partition", () => {
    const { parsed } = synth(prodEnvironment, { region: "cn-north-1" });
    const [, role] = only(parsed, IamRole.tfResourceType);
    const [statement] = JSON.parse(role.assume_role_policy as string).Statement;
    expect(statement.Condition.StringLike["aws:SourceArn"]).toEqual([
      `arn:aws-cn:rds:cn-north-1:${ACCOUNT}:db:${NAME}`,
    ]);
    const [, attachment] = only(parsed, IamRolePolicyAttachment.tfResourceType);
    expect(attachment.policy_arn).toBe(
      "arn:aws-cn:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
    );
  });
});

describe("notifyEvents", () => {
  test("subscribes the topic to critical events of the primary and replicas (RDS.20)", () => {
    let subscription: DbEventSubscription | undefined;
    const { json, parsed } = synth(withReplicas, { availabilityZoneNames: ZONE_NAMES }, (db) => {
      subscription = db.notifyEvents(TOPIC_ARN);
    });
    expect(subscription).toBeInstanceOf(DbEventSubscription);
    const [, event] = only(parsed, DbEventSubscription.tfResourceType);
    const ids = resources(parsed, DbInstance.tfResourceType).map(
      ([id]) => `\${aws_db_instance.${id}.identifier}`,
    );
    expect(event).toMatchObject({
      sns_topic: TOPIC_ARN,
      source_type: "db-instance",
      enabled: true,
      event_categories: [...CRITICAL_INSTANCE_EVENT_CATEGORIES],
    });
    expect([...(event.source_ids as string[])].sort()).toEqual([...ids].sort());
    expect(ids).toHaveLength(3);
    expect(json).toHaveResourceWithProperties(DbEventSubscription, {
      event_categories: expect.arrayContaining(["maintenance", "configuration change", "failure"]),
    });
  });

  test("creates nothing until called, and refuses a second subscription", () => {
    const { parsed } = synth(prodEnvironment, {}, (db) => {
      db.notifyEvents(TOPIC_ARN);
      expect(() => db.notifyEvents(TOPIC_ARN)).toThrow(/already called/);
    });
    expect(resources(parsed, DbEventSubscription.tfResourceType)).toHaveLength(1);
    expect(resources(synth(prodEnvironment).parsed, DbEventSubscription.tfResourceType)).toEqual(
      [],
    );
  });
});

describe("public properties", () => {
  test("expose the instance's attributes, master secret and capacity", () => {
    let db: PostgresInstance | undefined;
    const json = Testing.synthScope((scope) => {
      db = new PostgresInstance(scope, "database", {
        name: NAME,
        database: prodEnvironment.database,
        subnetIds: ["subnet-aaaa1111"],
        securityGroupIds: ["sg-12345678"],
        kmsKeyArn: KMS_KEY_ARN,
        account: ACCOUNT,
        region: REGION,
      });
      new TerraformOutput(scope, "secret", { value: db.masterUserSecretArn });
      new TerraformOutput(scope, "identifier", { value: db.identifier });
      new TerraformOutput(scope, "address", { value: db.address });
      new TerraformOutput(scope, "arn", { value: db.arn });
    });
    const parsed = JSON.parse(json) as Synthesized;
    const [id] = primary(parsed);
    expect(parsed.output).toEqual({
      secret: { value: `\${aws_db_instance.${id}.master_user_secret[0].secret_arn}` },
      identifier: { value: `\${aws_db_instance.${id}.identifier}` },
      address: { value: `\${aws_db_instance.${id}.address}` },
      arn: { value: `\${aws_db_instance.${id}.arn}` },
    });
    if (!db) throw new Error("construct not created");
    expect(db.masterUsername).toBe(prodEnvironment.database.masterUsername);
    expect(db.capacity).toEqual(instanceCapacity(prodEnvironment.database.instanceClass));
    // db.t4g.small has 2 GiB (RDS User Guide, hardware specifications).
    expect(db.capacity.memoryBytes).toBe(2147483648);
  });
});

describe("options and validation", () => {
  test("partition and major-upgrade switches reach the resources", () => {
    const { parsed } = synth(prodEnvironment, {
      partition: "aws-us-gov",
      allowMajorVersionUpgrade: true,
      applyImmediately: false,
    });
    const [, attachment] = only(parsed, IamRolePolicyAttachment.tfResourceType);
    expect(attachment.policy_arn).toBe(
      "arn:aws-us-gov:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
    );
    expect(primary(parsed)[1]).toMatchObject({
      allow_major_version_upgrade: true,
      apply_immediately: false,
    });
  });

  test("database.allowMajorVersionUpgrade of the configuration reaches the instance", () => {
    const allowed = environmentFixture({ database: { allowMajorVersionUpgrade: true } });
    expect(primary(synth(allowed).parsed)[1]).toMatchObject({ allow_major_version_upgrade: true });
    expect(primary(synth(prodEnvironment).parsed)[1]).toMatchObject({
      allow_major_version_upgrade: false,
    });
  });

  test("database.tempFileLimitGb of the configuration is the parameter group's temp_file_limit", () => {
    const configured = environmentFixture({
      database: { allocatedStorageGb: 200, maxAllocatedStorageGb: 400, tempFileLimitGb: 7 },
    });
    const [, group] = only(synth(configured).parsed, DbParameterGroup.tfResourceType);
    expect(group.parameter).toContainEqual({
      name: "temp_file_limit",
      value: String(7 * 1024 * 1024),
      apply_method: "immediate",
    });
  });

  test.each([
    ["Uppercase", /not a valid DB instance identifier/],
    ["double--hyphen", /not a valid DB instance identifier/],
    ["trailing-", /not a valid DB instance identifier/],
    ["1starts-with-digit", /not a valid DB instance identifier/],
    [`a${"b".repeat(63)}`, /not a valid DB instance identifier/],
  ])("rejects the name %s", (name, error) => {
    expect(() => synth(prodEnvironment, { name })).toThrow(error);
  });

  test("rejects a replica whose identifier would exceed 63 characters", () => {
    const name = `p${"x".repeat(50)}`;
    const environment = environmentFixture({
      database: { readReplicas: [{ name: `r${"y".repeat(20)}` }] },
    });
    expect(() => synth(environment, { name })).toThrow(/not a valid DB instance identifier/);
  });

  test("rejects a name whose monitoring role name would exceed 64 characters", () => {
    expect(() => synth(prodEnvironment, { name: `p${"x".repeat(50)}` })).toThrow(
      /longer than 64 characters/,
    );
  });
});
