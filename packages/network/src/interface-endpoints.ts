import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { Construct } from "constructs";

/**
 * Services reached through interface endpoints: the two a Session Manager port-forwarding session
 * needs on a host without internet, ssm (the agent registers) and ssmmessages (the session's data
 * channel). Not ec2messages (Run Command's channel; SSM Agent 3.3.40.0 and later use ssmmessages
 * when it is unreachable: Systems Manager User Guide, "Improve the security of EC2 instances by
 * using VPC endpoints for Systems Manager"), not secretsmanager (nothing in the VPC calls it: the
 * proxy reads secrets through the service, the bastion never does). Each endpoint costs $0.01 per
 * AZ-hour (PrivateLink pricing), so the list is kept to what a session uses.
 */
export const INTERFACE_ENDPOINT_SERVICES = ["ssm", "ssmmessages"] as const;

export type InterfaceEndpointService = (typeof INTERFACE_ENDPOINT_SERVICES)[number];

/** Properties of {@link InterfaceEndpoints}. */
export interface InterfaceEndpointsProps {
  /** Name prefix, e.g. "pgforks-prod". Required. */
  readonly name: string;
  /** VPC of the endpoints. Required. */
  readonly vpcId: string;
  /** Region, for the service names `com.amazonaws.<region>.<service>`. Required. */
  readonly region: string;
  /** Subnets receiving an endpoint network interface (one per AZ; each AZ is billed). Required. */
  readonly subnetIds: string[];
  /** Security group of the endpoint network interfaces (HTTPS from the VPC). Required. */
  readonly securityGroupId: string;
}

/**
 * Interface VPC endpoints with private DNS, so the standard API hostnames resolve to addresses in
 * the private subnets and a bastion without internet reaches Session Manager.
 */
export class InterfaceEndpoints extends Construct {
  /** The endpoints by service. */
  readonly endpoints: Readonly<Record<InterfaceEndpointService, VpcEndpoint>>;

  constructor(scope: Construct, id: string, props: InterfaceEndpointsProps) {
    super(scope, id);
    const endpoints = {} as Record<InterfaceEndpointService, VpcEndpoint>;
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
      endpoints[service] = new VpcEndpoint(this, service, {
        vpcId: props.vpcId,
        serviceName: `com.amazonaws.${props.region}.${service}`,
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        subnetIds: props.subnetIds,
        securityGroupIds: [props.securityGroupId],
        tags: { Name: `${props.name}-${service}-endpoint` },
      });
    }
    this.endpoints = endpoints;
  }
}
