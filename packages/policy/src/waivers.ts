import type { Tier } from "@pgforks/config";

/**
 * Every control this project relaxes on purpose, in one table. A failing control without a
 * waiver fails the policy suite; a waiver that no longer matches a failure fails it too, so the
 * table never outlives its reason.
 */
export interface Waiver {
  readonly control: string;
  /** Tiers where the waiver applies. */
  readonly tiers: readonly Tier[];
  /** Only resources whose address matches (default: every resource the control evaluates). */
  readonly address?: RegExp;
  readonly reason: string;
}

export const WAIVERS: readonly Waiver[] = [
  {
    control: "RDS.23",
    tiers: ["development", "staging", "production"],
    reason:
      "The default port 5432 is kept: a non-default port is obscurity, not security. The instance is private (RDS.2, RDS.46) and only the proxy/client security groups reach it.",
  },
  {
    control: "RDS.5",
    tiers: ["development", "staging"],
    reason:
      "Multi-AZ doubles the instance cost (seed 002: +$12/month on db.t4g.small); dev and staging tolerate a failover gap. Production requires Multi-AZ (config rule).",
  },
  {
    control: "RDS.8",
    tiers: ["development"],
    reason:
      "Dev instances are recreated freely; deletion still takes a final snapshot. Staging and production keep deletion protection on (production: config rule).",
  },
  {
    control: "RDS.11",
    tiers: ["development"],
    reason:
      "Dev keeps 1 day of automated backups (cost); staging and production require at least 7 days (config rule, seed 004).",
  },
  {
    control: "CKV_AWS_88",
    tiers: ["development", "staging", "production"],
    address: /bastion/,
    reason:
      "The CI bastion has a public IPv4 so its SSM agent reaches the public SSM endpoints without interface endpoints ($14.60/month) or NAT ($32.85): its security group has no inbound rule, no key pair, IMDSv2 only, and it runs only while a CI job needs it (docs/architecture.md, 'How CI reaches the private database'). Set network.bastionPublicIp: false with interfaceEndpoints: true to keep it private.",
  },
  {
    control: "CKV_AWS_338",
    tiers: ["development"],
    reason:
      "Dev keeps flow logs 90 days and RDS logs 30 days to save CloudWatch storage; staging and production keep 365 days.",
  },
];
