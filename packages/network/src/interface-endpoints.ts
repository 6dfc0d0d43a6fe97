import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { Construct } from "constructs";

/**
 * Services reached through interface endpoints: Secrets Manager (credentials without internet)
 * and the three Session Manager needs on a host without internet (Systems Manager User Guide,
 * "Improve the security of EC2 instances by using VPC endpoints for Systems Manager": ssm,
 * ssmmessages, ec2messages).
 */
export const INTERFACE_ENDPOINT_SERVICES = [
  "secretsmanager",
  "ssm",
  "ssmmessages",
  "ec2messages",
] as const;

export type InterfaceEndpointService = (typeof INTERFACE_ENDPOINT_SERVICES)[number];

/** Properties of {@link InterfaceEndpoints}. */
export interface InterfaceEndpointsProps {
  /** Name prefix, e.g. "pgforks-prod". Required. */
  readonly name: string;
  /** VPC of the endpoints. Required. */
  readonly vpcId: string;
  /** Region, for the service names `com.amazonaws.<region>.<service>`. Required. */
  readonly region: string;
  /** Subnets receiving an endpoint network interface (one per AZ). Required. */
  readonly subnetIds: string[];
  /** Security group of the endpoint network interfaces (HTTPS from the VPC). Required. */
  readonly securityGroupId: string;
}

/**
 * Interface VPC endpoints with private DNS, so the standard API hostnames resolve to addresses in
 * the private subnets and hosts without internet (the bastion) reach SSM and Secrets Manager.
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
