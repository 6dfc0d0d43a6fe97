import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { AlarmTopic, DatabaseAlarms, DatabaseDashboard } from "@pgforks/alarms";
import {
  type LoadedEnvironment,
  RDS_PROXY_POSTGRESQL_PORT,
  resourcePrefix,
  workloadBoundaryArn,
} from "@pgforks/config";
import { PlatformKey } from "@pgforks/kms";
import { Network } from "@pgforks/network";
import { DatabaseProxy } from "@pgforks/proxy";
import { PostgresInstance } from "@pgforks/rds";
import { RenderedBlocksStack, TenantSecrets, terraformExpression } from "@pgforks/tenants";
import { Aspects, TerraformOutput } from "cdktf";
import type { Construct, IConstruct } from "constructs";
import { awsProvider, configureBackend, defaultTags } from "./backend";
import type { PlatformOutputs } from "./tenants-stack";

/** Sets `permissions_boundary` on every aws_iam_role it visits. */
export class PermissionsBoundaryOnEveryRole {
  constructor(private readonly boundaryArn: string) {}

  visit(node: IConstruct): void {
    if (node instanceof IamRole) node.permissionsBoundary = this.boundaryArn;
  }
}

/**
 * The outputs an application stack reads to attach to the database (docs/architecture.md, "How
 * an app attaches"): `terraform output -json`, a `terraform_remote_state` data source on this
 * stack's S3 state, or the same values from the AWS APIs.
 */
export const APP_OUTPUTS = {
  /** The VPC of the database. */
  vpcId: "vpc_id",
  /** The private subnets (one per AZ, in availabilityZones order) an app may use in this VPC. */
  privateSubnetIds: "private_subnet_ids",
  /** The security group an app's hosts or tasks join to reach the database (or the proxy). */
  clientsSecurityGroupId: "clients_security_group_id",
  /** Tenant name -> ARN of its Secrets Manager secret (DATABASE_URL and the parts of it). */
  tenantSecretArns: "tenant_secret_arns",
  /** Where apps connect: the proxy's endpoint when the proxy is on, else the instance's address. */
  databaseEndpoint: "database_endpoint",
  /** Its port: 5432 on the proxy, database.port on the instance. */
  databasePort: "database_port",
} as const;

export interface PlatformStackProps {
  /** The validated environment (environment.yaml + tenants.yaml). */
  readonly loaded: LoadedEnvironment;
}

/**
 * `<env>-platform`: everything AWS for one environment. The KMS key, the network, the one
 * shared PostgreSQL instance, the tenants' secrets, the proxy in front of it and the alarms.
 */
export class PlatformStack extends RenderedBlocksStack {
  readonly key: PlatformKey;
  readonly network: Network;
  readonly database: PostgresInstance;
  readonly tenantSecrets: TenantSecrets;
  readonly proxy?: DatabaseProxy;
  readonly alarmTopic: AlarmTopic;
  readonly alarms: DatabaseAlarms;
  /** The permissions boundary set on every aws_iam_role of the stack. */
  readonly permissionsBoundaryArn: string;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const { environment, tenants } = props.loaded;
    const name = resourcePrefix(environment);
    configureBackend(this, environment, id);
    awsProvider(this, environment);
    // Every role of this stack, present and future, carries the workload boundary: the apply
    // role may create or change a role only with it (apps/bootstrap, ci-roles.ts).
    this.permissionsBoundaryArn = workloadBoundaryArn(environment);
    Aspects.of(this).add(new PermissionsBoundaryOnEveryRole(this.permissionsBoundaryArn));

    this.key = new PlatformKey(this, "key", {
      name,
      accountId: environment.account,
      region: environment.region,
    });

    this.network = new Network(this, "network", {
      name,
      cidr: environment.network.cidr,
      availabilityZones: environment.availabilityZones,
      databasePort: environment.database.port,
      proxyEnabled: environment.proxy.enabled,
      kmsKeyArn: this.key.arn,
      flowLogRetentionDays: environment.network.flowLogRetentionDays,
      natGateway: environment.network.natGateway,
      interfaceEndpoints: environment.network.interfaceEndpoints,
      interfaceEndpointZones: environment.network.interfaceEndpointZones,
      bastion: environment.network.bastion,
      bastionPublicIp: environment.network.bastionPublicIp,
      bastionSchedule: environment.network.bastionSchedule,
      bastionInstanceType: environment.network.bastionInstanceType,
      bastionAvailabilityZone: environment.network.bastionAvailabilityZone,
      bastionLaunchTags: defaultTags(environment),
      region: environment.region,
    });

    this.database = new PostgresInstance(this, "database", {
      name,
      database: environment.database,
      subnetIds: this.network.privateSubnetIds,
      availabilityZoneNames: this.network.availabilityZoneNames,
      securityGroupIds: [this.network.databaseSecurityGroup.id],
      securityGroupRules: this.network.securityGroups.ingressRulesOf(
        this.network.databaseSecurityGroup,
      ),
      kmsKeyArn: this.key.arn,
      account: environment.account,
      region: environment.region,
    });

    this.tenantSecrets = new TenantSecrets(this, "tenant-secrets", {
      environment,
      tenants,
      // The secrets are rendered blocks (no construct): the key's ARN as cdktf writes it here.
      kmsKeyArn: terraformExpression(this, this.key.key, "arn"),
    });

    if (environment.proxy.enabled) {
      this.proxy = new DatabaseProxy(this, "proxy", {
        name,
        instanceIdentifier: this.database.identifier,
        settings: environment.proxy,
        subnetIds: this.network.privateSubnetIds,
        securityGroupIds: [this.network.proxySecurityGroup.id],
        securityGroupRules: this.network.securityGroups.ingressRulesOf(
          this.network.proxySecurityGroup,
        ),
        kmsKeyArn: this.key.arn,
        region: environment.region,
        tenantSecrets: this.tenantSecrets.proxyAuth(),
      });
    }

    this.alarmTopic = new AlarmTopic(this, "alarm-topic", {
      name,
      emails: environment.alarms.emails,
      kmsKeyArn: this.key.arn,
      accountId: environment.account,
    });
    this.database.notifyEvents(this.alarmTopic.arn);
    this.alarms = new DatabaseAlarms(this, "alarms", {
      name,
      topicArn: this.alarmTopic.arn,
      instanceIdentifier: this.database.identifier,
      capacity: this.database.capacity,
      allocatedStorageGb: environment.database.allocatedStorageGb,
      maxAllocatedStorageGb: environment.database.maxAllocatedStorageGb,
      cpuUtilizationPercent: environment.alarms.cpuUtilizationPercent,
      replicaIdentifiers: this.database.replicas.map((r) => r.identifier),
      proxyName: this.proxy?.name,
      proxyMaxConnectionsPercent: environment.proxy.maxConnectionsPercent,
      region: environment.region,
    });
    if (environment.alarms.dashboard) {
      new DatabaseDashboard(this, "dashboard", {
        name,
        region: environment.region,
        instanceIdentifier: this.database.identifier,
        thresholds: this.alarms.thresholds,
        proxyName: this.proxy?.name,
        replicaIdentifiers: this.database.replicas.map((r) => r.identifier),
      });
    }

    // What operators need at hand (e.g. the bastion id for `aws ssm start-session`).
    new TerraformOutput(this, "database_address", { value: this.database.address });
    if (this.network.bastion) {
      new TerraformOutput(this, "bastion_instance_id", { value: this.network.bastion.id });
    }
    if (this.proxy) new TerraformOutput(this, "proxy_endpoint", { value: this.proxy.endpoint });
    // The nightly audit fails while a subscription of it is pending confirmation (audit.yml).
    new TerraformOutput(this, "alarm_topic_arn", { value: this.alarmTopic.arn });

    // What an app in another stack (or VPC) needs to attach: APP_OUTPUTS.
    const outputs: Record<keyof typeof APP_OUTPUTS, { value: unknown; description: string }> = {
      vpcId: { value: this.network.vpc.id, description: "VPC of the shared database" },
      privateSubnetIds: {
        value: this.network.privateSubnetIds,
        description: "Private subnets (no internet route) where apps may run in this VPC",
      },
      clientsSecurityGroupId: {
        value: this.network.clientSecurityGroup.id,
        description: "Security group an app's hosts or tasks join to reach the database",
      },
      tenantSecretArns: {
        value: this.tenantSecrets.secretArns,
        description: "Secrets Manager secret ARN of each tenant (DATABASE_URL inside)",
      },
      databaseEndpoint: {
        value: this.proxy?.endpoint ?? this.database.address,
        description: this.proxy
          ? "RDS Proxy endpoint: apps connect here"
          : "RDS instance address: apps connect here (no proxy)",
      },
      databasePort: {
        value: this.proxy ? RDS_PROXY_POSTGRESQL_PORT : this.database.port,
        description: "Port of database_endpoint",
      },
    };
    for (const [key, { value, description }] of Object.entries(outputs)) {
      new TerraformOutput(this, APP_OUTPUTS[key as keyof typeof APP_OUTPUTS], {
        value,
        description,
      });
    }
  }

  /** What the tenants stack needs from this stack (cdktf wires these as cross-stack references). */
  outputs(): PlatformOutputs {
    return {
      databaseAddress: this.database.address,
      databasePort: this.database.port,
      masterUserSecretArn: this.database.masterUserSecretArn,
      proxyEndpoint: this.proxy?.endpoint,
      tenantSecretArns: this.tenantSecrets.secretArns,
    };
  }
}
