import { Ec2InstanceState } from "@cdktf/provider-aws/lib/ec2-instance-state";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { partitionOf } from "@pgforks/config";
import { type ITerraformDependable, Token } from "cdktf";
import { Construct } from "constructs";

/** Default bastion instance type: the smallest Graviton burstable size. */
export const DEFAULT_BASTION_INSTANCE_TYPE = "t4g.nano";

/**
 * Public SSM parameters holding the latest Amazon Linux 2023 AMI per architecture, resolved by EC2
 * at launch (`resolve:ssm:` image ids: EC2 User Guide, "Use a Systems Manager parameter instead
 * of an AMI ID"), so no aws_ami data source runs at plan time. AL2023 ships the SSM Agent.
 */
export const AL2023_AMI_PARAMETERS = {
  arm64: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
  x86_64: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
} as const;

export type Architecture = keyof typeof AL2023_AMI_PARAMETERS;

/** Root device name of Amazon Linux 2023 AMIs. */
const AL2023_ROOT_DEVICE = "/dev/xvda";
/**
 * Root volume size in GiB: the size of the AL2023 AMI's snapshot, the smallest EC2 accepts. It is
 * billed while the instance is stopped (gp3, EBS pricing), so it is set, not left to the AMI.
 */
export const BASTION_ROOT_VOLUME_GIB = 8;

/** When the bastion runs: only while a CI job needs it, or all the time. */
export type BastionSchedule = "on-demand" | "always-on";

/** IMDSv2 only (Security Hub EC2.8); a hop limit of 1 keeps tokens on the host itself. */
const METADATA_OPTIONS = {
  httpEndpoint: "enabled",
  httpTokens: "required",
  httpPutResponseHopLimit: 1,
} as const;

/**
 * CPU architecture of an EC2 instance type: Graviton families carry a `g` right after the
 * generation digit (t4g, m7g, c7gn, r8g, im4gn, x2gd); `a1` is the first-generation Graviton.
 * Source: EC2 Instance Types User Guide, "Amazon EC2 instance type naming conventions".
 */
export function instanceArchitecture(instanceType: string): Architecture {
  const family = instanceType.split(".")[0] ?? "";
  return family === "a1" || /^[a-z]+\d+g/.test(family) ? "arm64" : "x86_64";
}

/** Properties of {@link SsmBastion}. */
export interface SsmBastionProps {
  /** Name prefix, e.g. "pgforks-prod". Required. */
  readonly name: string;
  /** Private subnet of the instance. Required. */
  readonly subnetId: string;
  /** Security group of the instance. Required. */
  readonly securityGroupId: string;
  /** Region, for the managed policy ARN's partition. Required. */
  readonly region: string;
  /** Instance type; the AMI architecture follows it. Default t4g.nano. */
  readonly instanceType?: string;
  /**
   * A public IPv4 address (the subnet must route to an internet gateway): the agent reaches the
   * public SSM endpoints without NAT or interface endpoints. No inbound rule exists, so nothing can
   * connect to it. Default false.
   */
  readonly publicIp?: boolean;
  /**
   * on-demand: created, then stopped (aws_ec2_instance_state); CI starts and stops it around each
   * job (.github/scripts/ssm-tunnel.sh), and Terraform ignores the state it finds. Default
   * always-on.
   */
  readonly schedule?: BastionSchedule;
  /**
   * Resources the instance must wait for: the SSM endpoints or the NAT route, so the agent can
   * register on first boot. Default none.
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Tags, besides Name, on what the launch template launches (the instance and its root volume).
   * Pass the stack's provider default_tags: the AWS provider applies those to every resource's
   * `tags` but not to a launch template's `tag_specifications` (hashicorp/terraform-provider-aws
   * #19387, #32328), and the root volume, created only through the template, would otherwise carry
   * nothing but its Name (no project, environment or cost-center for cost allocation). Default none.
   */
  readonly launchTags?: Readonly<Record<string, string>>;
}

/**
 * A bastion reachable only through SSM Session Manager: no key pair, no inbound rule, IMDSv2 only,
 * encrypted gp3 root volume, and an instance role with AmazonSSMManagedInstanceCore only.
 * CI opens a tunnel with
 * `aws ssm start-session --target <instance id> --document-name AWS-StartPortForwardingSessionToRemoteHost`.
 *
 * The hardened settings live in a launch template (which also carries the `resolve:ssm:` image
 * id); the instance is launched from it. A new AMI is picked up when the instance is replaced.
 * The root volume must stay in the template: a `root_block_device` on the instance makes the
 * provider call DescribeImages with the `resolve:ssm:` id, which fails
 * (hashicorp/terraform-provider-aws#43488).
 */
export class SsmBastion extends Construct {
  /** The EC2 instance; its id is the Session Manager target. */
  readonly instance: Instance;
  /** The launch template holding the hardened configuration. */
  readonly launchTemplate: LaunchTemplate;
  /** The instance role (AmazonSSMManagedInstanceCore only). */
  readonly role: IamRole;
  /** Stops the instance after creation, when the schedule is on-demand. */
  readonly state?: Ec2InstanceState;

  constructor(scope: Construct, id: string, props: SsmBastionProps) {
    super(scope, id);
    const instanceType = props.instanceType ?? DEFAULT_BASTION_INSTANCE_TYPE;
    const partition = partitionOf(props.region).name;

    this.role = new IamRole(this, "role", {
      name: `${props.name}-bastion`,
      description: `SSM-managed bastion of ${props.name}`,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "ec2.amazonaws.com" },
            Action: "sts:AssumeRole",
          },
        ],
      }),
      tags: { Name: `${props.name}-bastion` },
    });
    new IamRolePolicyAttachment(this, "ssm-core", {
      role: this.role.name,
      policyArn: `arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
    });
    const profile = new IamInstanceProfile(this, "profile", {
      name: `${props.name}-bastion`,
      role: this.role.name,
      tags: { Name: `${props.name}-bastion` },
    });

    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      name: `${props.name}-bastion`,
      description: "SSM-only bastion: no key pair, no inbound rule, IMDSv2, encrypted root volume",
      imageId: `resolve:ssm:${AL2023_AMI_PARAMETERS[instanceArchitecture(instanceType)]}`,
      instanceType,
      updateDefaultVersion: true,
      iamInstanceProfile: { arn: profile.arn },
      metadataOptions: METADATA_OPTIONS,
      blockDeviceMappings: [
        {
          deviceName: AL2023_ROOT_DEVICE,
          ebs: {
            volumeType: "gp3",
            volumeSize: BASTION_ROOT_VOLUME_GIB,
            encrypted: "true",
            deleteOnTermination: "true",
          },
        },
      ],
      tagSpecifications: ["instance", "volume"].map((resourceType) => ({
        resourceType,
        tags: { ...props.launchTags, Name: `${props.name}-bastion` },
      })),
      tags: { Name: `${props.name}-bastion` },
    });

    this.instance = new Instance(this, "instance", {
      launchTemplate: {
        id: this.launchTemplate.id,
        version: Token.asString(this.launchTemplate.latestVersion),
      },
      subnetId: props.subnetId,
      vpcSecurityGroupIds: [props.securityGroupId],
      associatePublicIpAddress: props.publicIp ?? false,
      // Repeated from the template so Terraform reports drift on the instance itself.
      metadataOptions: METADATA_OPTIONS,
      tags: { Name: `${props.name}-bastion` },
      dependsOn: props.dependsOn,
    });

    if ((props.schedule ?? "always-on") === "on-demand") {
      this.state = new Ec2InstanceState(this, "stopped", {
        instanceId: this.instance.id,
        state: "stopped",
        // CI starts and stops it; a plan must not fight that.
        lifecycle: { ignoreChanges: ["state"] },
      });
    }
  }
}
