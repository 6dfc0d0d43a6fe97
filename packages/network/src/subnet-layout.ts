/**
 * Subnet plan of the VPC, computed in TypeScript so plans need no AWS lookup and the layout is
 * visible in review.
 *
 * The VPC CIDR is cut into {@link SUBNET_SLOTS} equal slots of `/max(vpcPrefix + 3, 24)`:
 *
 * | slot | use                                                         |
 * | ---- | ----------------------------------------------------------- |
 * | 0..5 | private (isolated) subnet of availabilityZones[slot]        |
 * | 6    | public subnet of the NAT gateway (only when natGateway)     |
 * | 7    | spare                                                       |
 *
 * A subnet is never larger than a /24 (251 usable addresses: plenty for the database, its
 * replicas, the proxy, endpoints and a bastion), so in a /16 the slots are the first eight /24s
 * and the rest of the VPC stays free for application subnets. A /24 VPC gets /27 slots
 * (27 usable addresses each, AWS reserves 5 per subnet: VPC User Guide, "Subnet CIDR blocks").
 * Slots are fixed per AZ index, so adding an AZ at the end never moves an existing subnet.
 */

/** Slots the VPC CIDR is divided into (2^3: six AZs, one public subnet, one spare). */
export const SUBNET_SLOTS = 8;
/** Most AZs the layout has private slots for (matches the config's availabilityZones max of 6). */
export const MAX_AVAILABILITY_ZONES = 6;
/** Slot of the NAT gateway's public subnet. */
export const PUBLIC_SUBNET_SLOT = MAX_AVAILABILITY_ZONES;
/** Largest subnet the layout creates: /24. */
export const LARGEST_SUBNET_PREFIX = 24;
/** VPC prefixes the layout accepts; AWS allows /16 to /28 for a VPC (VPC User Guide, "VPC CIDR blocks"). */
export const VPC_PREFIX_RANGE = { min: 16, max: 24 } as const;

const SLOT_BITS = Math.log2(SUBNET_SLOTS);

// The CIDR arithmetic lives in @pgforks/config, where the schema checks the VPC CIDR.
export { formatIpv4Cidr, type Ipv4Cidr, parseIpv4Cidr } from "@pgforks/config";

import { formatIpv4Cidr, parseIpv4Cidr } from "@pgforks/config";

export interface SubnetLayout {
  /** Prefix length of every subnet. */
  readonly subnetPrefix: number;
  /** Private subnet CIDRs, one per AZ, in the order of the AZs given. */
  readonly private: readonly string[];
  /** CIDR of the NAT gateway's public subnet (reserved even when no NAT gateway is created). */
  readonly public: string;
}

/** Plans the subnets of `vpcCidr` for `azCount` AZs (see the table at the top of this file). */
export function subnetLayout(vpcCidr: string, azCount: number): SubnetLayout {
  const vpc = parseIpv4Cidr(vpcCidr);
  if (vpc.prefix < VPC_PREFIX_RANGE.min || vpc.prefix > VPC_PREFIX_RANGE.max) {
    throw new Error(
      `VPC CIDR ${vpcCidr} must have a prefix from /${VPC_PREFIX_RANGE.min} to /${VPC_PREFIX_RANGE.max}`,
    );
  }
  if (!Number.isInteger(azCount) || azCount < 1 || azCount > MAX_AVAILABILITY_ZONES) {
    throw new Error(
      `the subnet layout has room for 1 to ${MAX_AVAILABILITY_ZONES} AZs, got ${azCount}`,
    );
  }
  const subnetPrefix = Math.max(vpc.prefix + SLOT_BITS, LARGEST_SUBNET_PREFIX);
  const slot = (index: number) =>
    formatIpv4Cidr({
      address: vpc.address + index * 2 ** (32 - subnetPrefix),
      prefix: subnetPrefix,
    });
  return {
    subnetPrefix,
    private: Array.from({ length: azCount }, (_, i) => slot(i)),
    public: slot(PUBLIC_SUBNET_SLOT),
  };
}
