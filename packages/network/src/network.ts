import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import type { Instance } from "@cdktf/provider-aws/lib/instance";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Construct } from "constructs";
import { type BastionSchedule, DEFAULT_BASTION_INSTANCE_TYPE, SsmBastion } from "./bastion";
import { DEFAULT_FLOW_LOG_RETENTION_DAYS, VpcFlowLog } from "./flow-log";
import { InterfaceEndpoints } from "./interface-endpoints";
import { SecurityGroupChain } from "./security-groups";
import { MAX_AVAILABILITY_ZONES, type SubnetLayout, subnetLayout } from "./subnet-layout";

/** Fewest AZs: RDS DB subnet groups need subnets in at least two AZs (RDS User Guide). */
export const MIN_AVAILABILITY_ZONES = 2;
/** Any IPv4 destination: the default route. */
const DEFAULT_ROUTE = "0.0.0.0/0";

/** Properties of {@link Network}. */
export interface NetworkProps {
  /** Name prefix for every resource, e.g. "pgforks-prod". Required. */
  readonly name: string;
  /** VPC IPv4 CIDR, a /16 to /24. Required. */
  readonly cidr: string;
  /**
   * AZ IDs (use1-az1, the same physical zone in every account) of the private subnets, at least
   * two, listed explicitly (no lookup). Required.
   */
  readonly availabilityZones: readonly string[];
  /**
   * Port of the DB instance, opened to it by the security-group chain (the proxy hop always uses
   * RDS_PROXY_POSTGRESQL_PORT, where RDS Proxy listens). Required.
   */
  readonly databasePort: number;
  /** Whether an RDS Proxy sits between clients and the database; shapes the SG chain. Required. */
  readonly proxyEnabled: boolean;
  /** KMS key ARN for the flow-log group. Required. */
  readonly kmsKeyArn: string;
  /** Flow-log retention in days. Default 365. */
  readonly flowLogRetentionDays?: number;
  /** One NAT gateway (+ one public subnet, IGW) for outbound internet. Default false (cost). */
  readonly natGateway?: boolean;
  /** Interface endpoints for ssm and ssmmessages (Session Manager). Default false. */
  readonly interfaceEndpoints?: boolean;
  /** In how many AZs (the first ones) the endpoints get an interface. Default 1. */
  readonly interfaceEndpointZones?: number;
  /** SSM-managed bastion for CI's port-forwarding tunnel to the database. Default false. */
  readonly bastion?: boolean;
  /** Bastion in a public subnet with a public IPv4 (no inbound rule; no NAT needed). Default false. */
  readonly bastionPublicIp?: boolean;
  /** When the bastion runs. Default always-on. */
  readonly bastionSchedule?: BastionSchedule;
  /** Bastion instance type. Default t4g.nano. */
  readonly bastionInstanceType?: string;
  /**
   * AZ ID (one of availabilityZones) of the bastion and of the public subnet (NAT gateway, public
   * bastion). Default: the first of availabilityZones. Choose one that offers bastionInstanceType.
   */
  readonly bastionAvailabilityZone?: string;
  /**
   * Tags, besides Name, on the bastion's instance and root volume as its launch template creates
   * them: the provider's default_tags, which do not reach a launch template's tag_specifications
   * (SsmBastionProps.launchTags). Default none.
   */
  readonly bastionLaunchTags?: Readonly<Record<string, string>>;
  /** Region (for endpoint service names and ARNs). Required. */
  readonly region: string;
}

/**
 * The VPC of an environment: isolated private subnets (layout in subnet-layout.ts), VPC flow
 * logs, a locked default security group, the client -> proxy -> database security-group chain,
 * and optionally a NAT gateway, interface endpoints and an SSM bastion.
 */
export class Network extends Construct {
  /** The VPC (DNS support and hostnames on, needed for private DNS of endpoints and RDS). */
  readonly vpc: Vpc;
  /** Isolated private subnets, one per AZ in the order of `availabilityZones`. */
  readonly privateSubnetIds: string[];
  /**
   * AZ ID -> the account's name of that zone (the subnet's `availability_zone`, known after the
   * subnet exists), for resources that take a zone name only, such as an RDS read replica.
   */
  readonly availabilityZoneNames: Readonly<Record<string, string>>;
  /** The private subnets themselves. */
  readonly privateSubnets: Subnet[];
  /** CIDRs of the subnets (the plan of subnet-layout.ts for this VPC). */
  readonly subnetLayout: SubnetLayout;
  /** Route table of the private subnets: local only, plus 0.0.0.0/0 via NAT when natGateway. */
  readonly privateRouteTable: RouteTable;
  /** Attach to application hosts. */
  readonly clientSecurityGroup: SecurityGroup;
  /** Attach to the RDS Proxy (exists without rules when the proxy is disabled). */
  readonly proxySecurityGroup: SecurityGroup;
  /** Attach to the RDS instance (and replicas). */
  readonly databaseSecurityGroup: SecurityGroup;
  /** All security groups and the method to open further paths between them. */
  readonly securityGroups: SecurityGroupChain;
  /** The VPC flow log, its encrypted log group and delivery role. */
  readonly flowLog: VpcFlowLog;
  /** The NAT gateway, when natGateway. */
  readonly natGateway?: NatGateway;
  /** The interface endpoints, when interfaceEndpoints. */
  readonly interfaceEndpoints?: InterfaceEndpoints;
  /** The bastion instance: `aws ssm start-session --target <bastion.id>`. */
  readonly bastion?: Instance;
  /** The public subnet (internet gateway route), when natGateway or bastionPublicIp. */
  private publicSubnet?: { subnet: Subnet; igw: InternetGateway };

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    validate(props);
    const { name } = props;
    const azs = props.availabilityZones;
    this.subnetLayout = subnetLayout(props.cidr, azs.length);

    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: props.cidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: `${name}-vpc` },
    });

    // Adopting the default group with no rule blocks strips all its rules (Security Hub EC2.2),
    // so nothing that lands in it by accident can talk to anything.
    new DefaultSecurityGroup(this, "default-security-group", {
      vpcId: this.vpc.id,
      tags: { Name: `${name}-default-no-rules` },
    });

    this.privateRouteTable = new RouteTable(this, "private-routes", {
      vpcId: this.vpc.id,
      tags: { Name: `${name}-private` },
    });
    this.privateSubnets = azs.map((az, i) => {
      const subnet = new Subnet(this, `private-${az}`, {
        vpcId: this.vpc.id,
        // By ID: the provider resolves the account's zone name, no data source needed.
        availabilityZoneId: az,
        cidrBlock: this.subnetLayout.private[i],
        mapPublicIpOnLaunch: false,
        tags: { Name: `${name}-private-${az}` },
      });
      new RouteTableAssociation(this, `private-${az}-routes`, {
        subnetId: subnet.id,
        routeTableId: this.privateRouteTable.id,
      });
      return subnet;
    });
    this.privateSubnetIds = this.privateSubnets.map((s) => s.id);
    this.availabilityZoneNames = Object.fromEntries(
      azs.map((az, i) => [az, (this.privateSubnets[i] as Subnet).availabilityZone]),
    );
    const bastionZone = props.bastionAvailabilityZone ?? (azs[0] as string);

    let natRoute: Route | undefined;
    if (props.natGateway) {
      const nat = this.addNatGateway(name, bastionZone);
      this.natGateway = nat.gateway;
      natRoute = nat.route;
    }

    this.flowLog = new VpcFlowLog(this, "flow-log", {
      name,
      vpcId: this.vpc.id,
      kmsKeyArn: props.kmsKeyArn,
      region: props.region,
      retentionDays: props.flowLogRetentionDays ?? DEFAULT_FLOW_LOG_RETENTION_DAYS,
    });

    this.securityGroups = new SecurityGroupChain(this, "security-groups", {
      name,
      vpcId: this.vpc.id,
      vpcCidr: props.cidr,
      databasePort: props.databasePort,
      proxyEnabled: props.proxyEnabled,
      bastion: props.bastion ?? false,
      interfaceEndpoints: props.interfaceEndpoints ?? false,
      natGateway: props.natGateway ?? false,
      bastionPublicIp: props.bastionPublicIp ?? false,
    });
    this.clientSecurityGroup = this.securityGroups.clientSecurityGroup;
    this.proxySecurityGroup = this.securityGroups.proxySecurityGroup;
    this.databaseSecurityGroup = this.securityGroups.databaseSecurityGroup;

    if (this.securityGroups.endpointsSecurityGroup) {
      this.interfaceEndpoints = new InterfaceEndpoints(this, "endpoints", {
        name,
        vpcId: this.vpc.id,
        region: props.region,
        subnetIds: this.privateSubnetIds.slice(0, props.interfaceEndpointZones ?? 1),
        securityGroupId: this.securityGroups.endpointsSecurityGroup.id,
      });
    }

    if (this.securityGroups.bastionSecurityGroup) {
      const publicIp = props.bastionPublicIp ?? false;
      const bastion = new SsmBastion(this, "bastion", {
        name,
        subnetId: publicIp
          ? this.ensurePublicSubnet(name, bastionZone).subnet.id
          : (this.privateSubnetIds[azs.indexOf(bastionZone)] as string),
        securityGroupId: this.securityGroups.bastionSecurityGroup.id,
        region: props.region,
        instanceType: props.bastionInstanceType ?? DEFAULT_BASTION_INSTANCE_TYPE,
        publicIp,
        schedule: props.bastionSchedule ?? "always-on",
        launchTags: props.bastionLaunchTags,
        dependsOn: [
          ...Object.values(this.interfaceEndpoints?.endpoints ?? {}),
          ...(natRoute ? [natRoute] : []),
        ],
      });
      this.bastion = bastion.instance;
    }
  }

  /**
   * The public subnet in `az` with a default route to an internet gateway (created once): home of
   * the NAT gateway and of a bastion with a public IP. Subnets never assign public IPs themselves.
   */
  private ensurePublicSubnet(name: string, az: string): { subnet: Subnet; igw: InternetGateway } {
    if (this.publicSubnet) return this.publicSubnet;
    const igw = new InternetGateway(this, "internet-gateway", {
      vpcId: this.vpc.id,
      tags: { Name: `${name}-igw` },
    });
    const publicSubnet = new Subnet(this, "public", {
      vpcId: this.vpc.id,
      availabilityZoneId: az,
      cidrBlock: this.subnetLayout.public,
      // Only the NAT gateway (own Elastic IP) and the bastion (public IP asked for explicitly).
      mapPublicIpOnLaunch: false,
      tags: { Name: `${name}-public-${az}` },
    });
    const publicRoutes = new RouteTable(this, "public-routes", {
      vpcId: this.vpc.id,
      tags: { Name: `${name}-public` },
    });
    new Route(this, "public-default-route", {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: DEFAULT_ROUTE,
      gatewayId: igw.id,
    });
    new RouteTableAssociation(this, "public-routes-association", {
      subnetId: publicSubnet.id,
      routeTableId: publicRoutes.id,
    });
    this.publicSubnet = { subnet: publicSubnet, igw };
    return this.publicSubnet;
  }

  /** One NAT gateway in the public subnet; private default route through it. */
  private addNatGateway(name: string, az: string): { gateway: NatGateway; route: Route } {
    const { subnet: publicSubnet, igw } = this.ensurePublicSubnet(name, az);
    const eip = new Eip(this, "nat-eip", {
      domain: "vpc",
      tags: { Name: `${name}-nat` },
      dependsOn: [igw],
    });
    const nat = new NatGateway(this, "nat-gateway", {
      subnetId: publicSubnet.id,
      allocationId: eip.allocationId,
      tags: { Name: `${name}-nat` },
      // The provider docs ask for this ordering: a NAT gateway needs the IGW attached.
      dependsOn: [igw],
    });
    const route = new Route(this, "private-default-route", {
      routeTableId: this.privateRouteTable.id,
      destinationCidrBlock: DEFAULT_ROUTE,
      natGatewayId: nat.id,
    });
    return { gateway: nat, route };
  }
}

function validate(props: NetworkProps): void {
  const azs = props.availabilityZones;
  if (azs.length < MIN_AVAILABILITY_ZONES || azs.length > MAX_AVAILABILITY_ZONES) {
    throw new Error(
      `Network ${props.name}: availabilityZones must list ${MIN_AVAILABILITY_ZONES} to ${MAX_AVAILABILITY_ZONES} AZs, got ${azs.length}`,
    );
  }
  if (new Set(azs).size !== azs.length) {
    throw new Error(`Network ${props.name}: availabilityZones repeats an AZ (${azs.join(", ")})`);
  }
  if (props.bastionAvailabilityZone !== undefined && !azs.includes(props.bastionAvailabilityZone)) {
    throw new Error(
      `Network ${props.name}: bastionAvailabilityZone ${props.bastionAvailabilityZone} is not one of availabilityZones (${azs.join(", ")})`,
    );
  }
  if (
    !Number.isInteger(props.databasePort) ||
    props.databasePort < 1 ||
    props.databasePort > 65535
  ) {
    throw new Error(`Network ${props.name}: databasePort ${props.databasePort} is not a TCP port`);
  }
  if (props.bastion && !props.interfaceEndpoints && !props.natGateway && !props.bastionPublicIp) {
    throw new Error(
      `Network ${props.name}: a bastion needs bastionPublicIp, interfaceEndpoints or natGateway to reach SSM`,
    );
  }
}
