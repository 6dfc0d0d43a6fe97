import { DbEventSubscription } from "@cdktf/provider-aws/lib/db-event-subscription";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import {
  type EnvironmentConfig,
  type InstanceCapacity,
  instanceCapacity,
  partitionOf,
} from "@pgforks/config";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import {
  CA_CERT_IDENTIFIER,
  CRITICAL_INSTANCE_EVENT_CATEGORIES,
  ENGINE,
  instanceParameters,
  POSTGRES_LOG_EXPORTS,
  parameterGroupFamily,
  STORAGE_TYPE,
} from "./engine";
import { FinalSnapshotName } from "./final-snapshot-name";
import { InstanceLogGroups } from "./instance-log-groups";
import { APPLY_IMMEDIATELY } from "./modifications";
import { EnhancedMonitoringRole } from "./monitoring-role";

/**
 * DB instance identifier rule: 1-63 letters, digits or hyphens, starting with a letter, no
 * trailing hyphen, no two consecutive hyphens (RDS User Guide, "Naming constraints in Amazon RDS").
 */
const DB_INSTANCE_IDENTIFIER = /^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$/;

/** Throws unless `identifier` is a valid DB instance identifier. */
export function assertInstanceIdentifier(identifier: string): void {
  if (!DB_INSTANCE_IDENTIFIER.test(identifier)) {
    throw new Error(
      `"${identifier}" is not a valid DB instance identifier: 1-63 lowercase letters, digits and hyphens, starting with a letter, without "--" or a trailing hyphen`,
    );
  }
}

/**
 * Identifiers of the primary (`<name>`) and of each read replica (`<name>-<replica name>`), in
 * that order: what the construct creates and what CI waits for or reboots (deploy.yml).
 */
export function instanceIdentifiers(
  name: string,
  database: Pick<EnvironmentConfig["database"], "readReplicas">,
): { primary: string; replicas: string[] } {
  return { primary: name, replicas: database.readReplicas.map((r) => `${name}-${r.name}`) };
}

/** Properties of {@link PostgresInstance}. */
export interface PostgresInstanceProps {
  /** Instance identifier and name prefix, e.g. "pgforks-prod". Required. */
  readonly name: string;
  /** The validated `database` section of environment.yaml (defaults filled in by @pgforks/config). Required. */
  readonly database: EnvironmentConfig["database"];
  /** Private subnet ids for the DB subnet group (at least 2 AZs). Required. */
  readonly subnetIds: string[];
  /**
   * AZ ID -> zone name in this account (the network's availabilityZoneNames): a replica's
   * `availabilityZone` is an AZ ID in config, RDS takes the name. Required when a replica names
   * its zone. Default none.
   */
  readonly availabilityZoneNames?: Readonly<Record<string, string>>;
  /** Security groups of the instance and its replicas (the network's databaseSecurityGroup). Required. */
  readonly securityGroupIds: string[];
  /**
   * The ingress rules of those groups (the network's `ingressRulesOf`): the instance and its
   * replicas depend on them, so a replaced group's rules exist before the instance moves to it.
   */
  readonly securityGroupRules?: readonly ITerraformDependable[];
  /** Customer-managed KMS key ARN for storage, Performance Insights, log groups and the master secret. Required. */
  readonly kmsKeyArn: string;
  /** Account id of the instance (the Enhanced Monitoring role trusts RDS for it only). Required. */
  readonly account: string;
  /** Region of the instance (its ARN in the Enhanced Monitoring role's trust policy). Required. */
  readonly region: string;
  /** ARN partition of the Enhanced Monitoring managed policy and instance ARNs. Default: the region's. */
  readonly partition?: string;
  /**
   * Allow a change of `database.engineVersion` to a new major version. Default
   * `database.allowMajorVersionUpgrade` (false unless the configuration sets it): a major upgrade
   * is a deliberate one-off apply (RDS rejects it without this flag).
   */
  readonly allowMajorVersionUpgrade?: boolean;
  /**
   * Apply instance modifications in the apply that plans them instead of in the maintenance
   * window. Default {@link APPLY_IMMEDIATELY} (true): a class or storage change then takes effect
   * in the same deploy as the max_connections, connection budget and alarm thresholds derived
   * from it; the plan review states the expected downtime (modifications.ts). Static parameters
   * and a new parameter group still wait for the deploy's reboot step.
   */
  readonly applyImmediately?: boolean;
}

/**
 * The one shared RDS for PostgreSQL instance of an environment, with optional read replicas.
 *
 * Security Hub controls met by construction: RDS.2 (not public), RDS.3 (encrypted with the
 * customer key), RDS.6 (Enhanced Monitoring), RDS.9/RDS.36 (postgresql and upgrade logs to
 * CloudWatch), RDS.10 (IAM authentication), RDS.13 (automatic minor upgrades), RDS.17 (tags copied
 * to snapshots), RDS.25 (custom master username, from config), RDS.38 (rds.force_ssl=1);
 * RDS.20 with {@link notifyEvents}. From config (validated per tier): RDS.5 (Multi-AZ),
 * RDS.8 (deletion protection), RDS.11 (backup retention).
 */
export class PostgresInstance extends Construct {
  /** The primary `aws_db_instance`. */
  readonly instance: DbInstance;
  /** Hardware of the instance class and the numbers derived from it (alarms, connection budget). */
  readonly capacity: InstanceCapacity;
  /** DB instance identifier (`<name>`). */
  readonly identifier: string;
  /** Hostname of the primary. */
  readonly address: string;
  /** Port the primary listens on. */
  readonly port: number;
  /** ARN of the primary. */
  readonly arn: string;
  /** ARN of the Secrets Manager secret in which RDS keeps (and rotates) the master password. */
  readonly masterUserSecretArn: string;
  /** Master user name (from config; never the well-known `postgres`). */
  readonly masterUsername: string;
  /** Parameter group shared by the primary and the replicas. */
  readonly parameterGroup: DbParameterGroup;
  /** DB subnet group of the primary and the replicas. */
  readonly subnetGroup: DbSubnetGroup;
  /** Role RDS uses to publish Enhanced Monitoring metrics. */
  readonly monitoringRole: EnhancedMonitoringRole;
  /** Name of the primary's final snapshot, unique per instance generation. */
  readonly finalSnapshotName: FinalSnapshotName;
  /** Read replicas from config, identifiers `<name>-<replica.name>`. */
  readonly replicas: DbInstance[];

  private readonly name: string;
  private eventSubscription?: DbEventSubscription;

  constructor(scope: Construct, id: string, props: PostgresInstanceProps) {
    super(scope, id);
    const { database, kmsKeyArn, name } = props;
    assertInstanceIdentifier(name);
    this.name = name;
    const replicaIdentifiers = instanceIdentifiers(name, database).replicas;
    replicaIdentifiers.forEach(assertInstanceIdentifier);

    this.capacity = instanceCapacity(database.instanceClass);
    this.masterUsername = database.masterUsername;
    const family = parameterGroupFamily(database.engineVersion);

    this.subnetGroup = new DbSubnetGroup(this, "subnet-group", {
      name,
      description: `Private subnets of ${name}`,
      subnetIds: props.subnetIds,
    });

    this.parameterGroup = new DbParameterGroup(this, "parameter-group", {
      // A prefix plus create-before-destroy: a family change (major upgrade) creates the new
      // group under a new name while the instance still uses the old one.
      namePrefix: `${name}-${family}-`,
      family,
      description: `PostgreSQL parameters of ${name}`,
      parameter: instanceParameters(database),
      lifecycle: { createBeforeDestroy: true },
    });

    const partition = props.partition ?? partitionOf(props.region).name;
    this.monitoringRole = new EnhancedMonitoringRole(this, "monitoring-role", {
      name,
      partition,
      account: props.account,
      sourceArns: [name, ...replicaIdentifiers].map(
        (identifier) => `arn:${partition}:rds:${props.region}:${props.account}:db:${identifier}`,
      ),
    });

    const logGroups = new InstanceLogGroups(this, "log-groups", {
      identifier: name,
      kmsKeyArn,
      retentionInDays: database.logRetentionDays,
    });

    // Settings shared by the primary and the replicas.
    const common = {
      storageType: STORAGE_TYPE,
      maxAllocatedStorage: database.maxAllocatedStorageGb,
      storageEncrypted: true,
      kmsKeyId: kmsKeyArn,
      parameterGroupName: this.parameterGroup.name,
      vpcSecurityGroupIds: props.securityGroupIds,
      publiclyAccessible: false,
      caCertIdentifier: CA_CERT_IDENTIFIER,
      iamDatabaseAuthenticationEnabled: true,
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: props.allowMajorVersionUpgrade ?? database.allowMajorVersionUpgrade,
      applyImmediately: props.applyImmediately ?? APPLY_IMMEDIATELY,
      copyTagsToSnapshot: true,
      deletionProtection: database.deletionProtection,
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: kmsKeyArn,
      performanceInsightsRetentionPeriod: database.performanceInsightsRetentionDays,
      monitoringInterval: database.monitoringIntervalSeconds,
      monitoringRoleArn: this.monitoringRole.arn,
      enabledCloudwatchLogsExports: [...POSTGRES_LOG_EXPORTS],
    };

    // Arguments whose change replaces the instance (provider schema: ForceNew); a replacement
    // must get a fresh final-snapshot name.
    this.finalSnapshotName = new FinalSnapshotName(this, "final-snapshot-name", {
      identifier: name,
      replaceTriggers: {
        identifier: name,
        engine: ENGINE,
        kms_key_id: kmsKeyArn,
        storage_encrypted: common.storageEncrypted,
        username: database.masterUsername,
        db_subnet_group_name: this.subnetGroup.name,
      },
    });

    this.instance = new DbInstance(this, "instance", {
      ...common,
      identifier: name,
      engine: ENGINE,
      engineVersion: database.engineVersion,
      instanceClass: database.instanceClass,
      allocatedStorage: database.allocatedStorageGb,
      port: database.port,
      dbSubnetGroupName: this.subnetGroup.name,
      username: database.masterUsername,
      // RDS generates the password, stores it in Secrets Manager under our key and rotates it.
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: kmsKeyArn,
      multiAz: database.multiAz,
      backupRetentionPeriod: database.backupRetentionDays,
      backupWindow: database.backupWindow,
      maintenanceWindow: database.maintenanceWindow,
      // Keep automated backups after deletion, and always take a final snapshot.
      deleteAutomatedBackups: false,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: this.finalSnapshotName.value,
      dependsOn: [
        ...logGroups.groups,
        this.monitoringRole.policyAttachment,
        ...(props.securityGroupRules ?? []),
      ],
    });

    this.replicas = database.readReplicas.map((replica, i) => {
      const identifier = replicaIdentifiers[i] ?? `${name}-${replica.name}`;
      const replicaLogs = new InstanceLogGroups(this, `replica-${replica.name}-log-groups`, {
        identifier,
        kmsKeyArn,
        retentionInDays: database.logRetentionDays,
      });
      return new DbInstance(this, `replica-${replica.name}`, {
        ...common,
        identifier,
        replicateSourceDb: this.instance.identifier,
        instanceClass: replica.instanceClass ?? database.instanceClass,
        availabilityZone: this.zoneName(replica.availabilityZone, props.availabilityZoneNames),
        // Engine, version, storage size, port, master user and (in the same region) the subnet
        // group come from the source; the provider rejects db_subnet_group_name with a source
        // given by identifier.
        // A replica holds no data the primary's backups and final snapshot do not: no automated
        // backups, no final snapshot (a fixed snapshot name would also collide on re-creation).
        backupRetentionPeriod: 0,
        skipFinalSnapshot: true,
        // Availability comes from the primary's Multi-AZ standby; a Multi-AZ replica would double
        // its cost for a copy that can be re-created from the primary.
        multiAz: false,
        dependsOn: [
          ...replicaLogs.groups,
          this.monitoringRole.policyAttachment,
          ...(props.securityGroupRules ?? []),
        ],
        // When the primary is replaced (new resource_id), RDS promotes its replicas to standalone
        // instances; rebuild them from the new primary instead of keeping diverged copies.
        lifecycle: { replaceTriggeredBy: [`${this.resourceAddress(this.instance)}.resource_id`] },
      });
    });

    this.identifier = this.instance.identifier;
    this.address = this.instance.address;
    this.port = this.instance.port;
    this.arn = this.instance.arn;
    this.masterUserSecretArn = this.instance.masterUserSecret.get(0).secretArn;
  }

  /** The account's name of an AZ ID, from the network's subnets. */
  private zoneName(
    zoneId: string | undefined,
    names: Readonly<Record<string, string>> | undefined,
  ): string | undefined {
    if (zoneId === undefined) return undefined;
    const name = names?.[zoneId];
    if (name === undefined) {
      throw new Error(
        `${this.node.path}: replica zone ${zoneId} has no subnet (availabilityZoneNames: ${Object.keys(names ?? {}).join(", ") || "none given"})`,
      );
    }
    return name;
  }

  /** Plain `<type>.<name>` address of a resource (`fqn` is a token, which replace_triggered_by rejects). */
  private resourceAddress(resource: DbInstance): string {
    return `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
  }

  /**
   * Subscribes `topicArn` to the critical events ({@link CRITICAL_INSTANCE_EVENT_CATEGORIES}) of
   * the primary and the replicas (Security Hub RDS.20). Call once; a second call throws.
   */
  notifyEvents(topicArn: string): DbEventSubscription {
    if (this.eventSubscription) {
      throw new Error(`${this.node.path}: notifyEvents was already called`);
    }
    this.eventSubscription = new DbEventSubscription(this, "events", {
      name: `${this.name}-instance-events`,
      snsTopic: topicArn,
      sourceType: "db-instance",
      sourceIds: [this.identifier, ...this.replicas.map((r) => r.identifier)],
      eventCategories: [...CRITICAL_INSTANCE_EVENT_CATEGORIES],
      enabled: true,
    });
    return this.eventSubscription;
  }
}
