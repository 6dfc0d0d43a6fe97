import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { RDS_PROXY_POSTGRESQL_PORT } from "@pgforks/config";
import { Construct } from "constructs";

/** HTTPS, the port of AWS service APIs and interface endpoints. */
export const HTTPS_PORT = 443;
/** Any IPv4 destination (used only for a NAT-only bastion reaching the SSM APIs). */
const ANYWHERE_IPV4 = "0.0.0.0/0";

/** Properties of {@link SecurityGroupChain}. */
export interface SecurityGroupChainProps {
  /** Name prefix, e.g. "pgforks-prod". Required. */
  readonly name: string;
  /** VPC of the groups. Required. */
  readonly vpcId: string;
  /** VPC IPv4 CIDR; the endpoints group accepts HTTPS from it. Required. */
  readonly vpcCidr: string;
  /**
   * Port of the DB instance: opened to the instance (from the proxy, or from the clients without a
   * proxy, and from the bastion). The proxy itself always listens on RDS_PROXY_POSTGRESQL_PORT.
   * Required.
   */
  readonly databasePort: number;
  /** Whether clients reach the database through an RDS Proxy. Required. */
  readonly proxyEnabled: boolean;
  /** Create the bastion group (reaches the database/proxy and the SSM APIs). Default false. */
  readonly bastion?: boolean;
  /** Create the interface-endpoints group (HTTPS from the VPC CIDR). Default false. */
  readonly interfaceEndpoints?: boolean;
  /** Whether a NAT gateway exists: a bastion without endpoints then reaches SSM over it. Default false. */
  readonly natGateway?: boolean;
  /** Whether the bastion has a public IP: without endpoints it reaches SSM directly. Default false. */
  readonly bastionPublicIp?: boolean;
}

/**
 * The security groups of the data path, all rules as separate `aws_vpc_security_group_*_rule`
 * resources with a description, nothing open by default:
 *
 * ```
 * proxy enabled:   clients --5432--> proxy --databasePort--> database
 * proxy disabled:  clients --databasePort--> database
 * bastion:         bastion --databasePort--> database, bastion --5432--> proxy,
 *                  bastion --443--> endpoints (or NAT)
 * endpoints:       VPC CIDR --443--> endpoints
 * ```
 *
 * The proxy hop uses {@link RDS_PROXY_POSTGRESQL_PORT}: an RDS Proxy for PostgreSQL listens on
 * 5432 whatever the instance's port, so opening `databasePort` to it would block every client as
 * soon as the instance leaves 5432.
 *
 * Egress is limited the same way (clients only to the next hop, proxy only to the database); the
 * database and the endpoints have no egress rule at all (security groups are stateful, replies
 * need none, and RDS needs no outbound connection).
 */
export class SecurityGroupChain extends Construct {
  /** Attach to application hosts that connect to the database. */
  readonly clientSecurityGroup: SecurityGroup;
  /**
   * Attach to the RDS Proxy. Created even when the proxy is disabled (then it has no rules), so
   * the property is always defined.
   */
  readonly proxySecurityGroup: SecurityGroup;
  /** Attach to the RDS instance and its read replicas. */
  readonly databaseSecurityGroup: SecurityGroup;
  /** Group of the SSM bastion, when one is requested. */
  readonly bastionSecurityGroup?: SecurityGroup;
  /** Group of the interface endpoints, when requested. */
  readonly endpointsSecurityGroup?: SecurityGroup;
  /** Port opened to the DB instance (`databasePort`). */
  readonly databasePort: number;
  /** Port opened to the proxy: the port RDS Proxy listens on for PostgreSQL. */
  readonly proxyPort: number = RDS_PROXY_POSTGRESQL_PORT;

  private readonly props: SecurityGroupChainProps;
  /** The ingress rules `connect` opened on each group, by group. */
  private readonly ingress = new Map<SecurityGroup, VpcSecurityGroupIngressRule[]>();

  constructor(scope: Construct, id: string, props: SecurityGroupChainProps) {
    super(scope, id);
    this.props = props;
    this.databasePort = props.databasePort;
    const databasePort = this.databasePort;
    const proxyPort = this.proxyPort;

    this.clientSecurityGroup = this.group(
      "clients",
      "Application hosts: may connect to the database path only",
    );
    this.proxySecurityGroup = this.group("proxy", "RDS Proxy: clients in, database out");
    this.databaseSecurityGroup = this.group("database", "RDS PostgreSQL: no egress");

    // The database is entered through exactly one door: the proxy, or the clients directly.
    if (props.proxyEnabled) {
      this.connect(
        this.clientSecurityGroup,
        this.proxySecurityGroup,
        proxyPort,
        "clients",
        "proxy",
      );
      this.connect(
        this.proxySecurityGroup,
        this.databaseSecurityGroup,
        databasePort,
        "proxy",
        "database",
      );
    } else {
      this.connect(
        this.clientSecurityGroup,
        this.databaseSecurityGroup,
        databasePort,
        "clients",
        "database",
      );
    }

    if (props.interfaceEndpoints) {
      this.endpointsSecurityGroup = this.group(
        "endpoints",
        "Interface VPC endpoints: HTTPS from the VPC",
      );
      new VpcSecurityGroupIngressRule(this, "endpoints-from-vpc", {
        securityGroupId: this.endpointsSecurityGroup.id,
        ipProtocol: "tcp",
        fromPort: HTTPS_PORT,
        toPort: HTTPS_PORT,
        cidrIpv4: props.vpcCidr,
        description: "HTTPS to the AWS APIs from hosts in the VPC",
        lifecycle: { createBeforeDestroy: true },
      });
    }

    if (props.bastion) {
      const bastion = this.group("bastion", "SSM bastion: tunnels to the database");
      this.bastionSecurityGroup = bastion;
      this.connect(bastion, this.databaseSecurityGroup, databasePort, "bastion", "database");
      if (props.proxyEnabled) {
        this.connect(bastion, this.proxySecurityGroup, proxyPort, "bastion", "proxy");
      }
      if (this.endpointsSecurityGroup) {
        new VpcSecurityGroupEgressRule(this, "bastion-to-endpoints", {
          securityGroupId: bastion.id,
          ipProtocol: "tcp",
          fromPort: HTTPS_PORT,
          toPort: HTTPS_PORT,
          referencedSecurityGroupId: this.endpointsSecurityGroup.id,
          description: "To the SSM and Secrets Manager interface endpoints",
          lifecycle: { createBeforeDestroy: true },
        });
      } else if (props.natGateway || props.bastionPublicIp) {
        new VpcSecurityGroupEgressRule(this, "bastion-to-ssm-via-nat", {
          securityGroupId: bastion.id,
          ipProtocol: "tcp",
          fromPort: HTTPS_PORT,
          toPort: HTTPS_PORT,
          cidrIpv4: ANYWHERE_IPV4,
          description: props.bastionPublicIp
            ? "To the public SSM APIs over its public IP (no interface endpoints, no inbound rule)"
            : "To the public SSM APIs through the NAT gateway (no interface endpoints)",
          lifecycle: { createBeforeDestroy: true },
        });
      }
    }
  }

  /**
   * Opens TCP `port` from `source` to `target`: an egress rule on the source and an ingress rule
   * on the target, both referencing the other group. `sourceLabel`/`targetLabel` name the rules.
   */
  connect(
    source: SecurityGroup,
    target: SecurityGroup,
    port: number,
    sourceLabel: string,
    targetLabel: string,
  ): void {
    // create_before_destroy: a rule is replaced with either group. Without it Terraform deletes
    // the old rule first, while the instance still sits in the old group (checked with Terraform
    // 1.11.4: "rule: Destroying..." came before the new group was created).
    new VpcSecurityGroupEgressRule(this, `${sourceLabel}-to-${targetLabel}-${port}`, {
      securityGroupId: source.id,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: target.id,
      description: `To ${targetLabel} on ${port}`,
      lifecycle: { createBeforeDestroy: true },
    });
    const rule = new VpcSecurityGroupIngressRule(
      this,
      `${targetLabel}-from-${sourceLabel}-${port}`,
      {
        securityGroupId: target.id,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        referencedSecurityGroupId: source.id,
        description: `From ${sourceLabel} on ${port}`,
        lifecycle: { createBeforeDestroy: true },
      },
    );
    this.ingress.set(target, [...(this.ingress.get(target) ?? []), rule]);
  }

  /**
   * The ingress rules opened on `group`. What joins the group depends on them, so that when the
   * group is replaced it moves to the new group only once the new group's rules exist.
   */
  ingressRulesOf(group: SecurityGroup): readonly VpcSecurityGroupIngressRule[] {
    return this.ingress.get(group) ?? [];
  }

  /**
   * A group replaceable without an outage. `name` and `description` force a new group; with a
   * fixed name the new one could not exist beside the old, so Terraform would delete the old
   * group first, which fails or cuts off the database and proxy that use it. A `name_prefix`
   * (AWS appends a unique suffix) plus `create_before_destroy` lets Terraform create the new
   * group and its rules, move the instance and the proxy to it in place, then delete the old one.
   * The Name tag keeps the readable name. Apps outside this stack that joined the clients group
   * must move to the new id (output clients_security_group_id) before the old one can go.
   */
  private group(purpose: string, description: string): SecurityGroup {
    return new SecurityGroup(this, purpose, {
      namePrefix: `${this.props.name}-${purpose}-`,
      description,
      vpcId: this.props.vpcId,
      tags: { Name: `${this.props.name}-${purpose}` },
      lifecycle: { createBeforeDestroy: true },
    });
  }
}
