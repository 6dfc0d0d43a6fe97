import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
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

/**
 * Tag on the bastion instance holding its {@link BastionSchedule}: the one place
 * .github/scripts/ssm-tunnel.sh reads whether it may stop the bastion (it reads the tag with the
 * instance state, in the same describe-instances call). What is applied, not what is configured.
 */
export const BASTION_SCHEDULE_TAG = "bastion-schedule";

/**
 * The on-demand bastion's safety net, for what ssm-tunnel.sh cannot cover (a runner killed before
 * `close`, two jobs closing at the same moment, a tunnel opened by hand and forgotten): a
 * CloudWatch alarm whose action stops the instance once it has run this long without a break. It
 * counts the samples of the instance's basic-monitoring CPUUtilization (AWS/EC2, on by default:
 * five samples per 5-minute data point while the instance runs, nothing while it is stopped;
 * CloudWatch User Guide, "Amazon EC2 metrics and dimensions"; EC2 sends it for free, CloudWatch
 * pricing page; the alarm is priced in packages/plan-review like every alarm, $0.10 a month):
 * 36 periods of 300 s in a row, 3 h
 * (an alarm with a period under an hour may look back one day at most: PutMetricAlarm, Period).
 * A CI job holds the tunnel for minutes (the longest job's timeout is 60 minutes), so 3 h of
 * continuous running means a tunnel nobody closed, or overlapping jobs for 3 h on end. Not a
 * traffic threshold: the SSM agent talks to Session Manager all the time, so "idle" has no known
 * floor without measuring it, and a wrong one either never fires or cuts a running job.
 */
export const BASTION_MAX_RUN = { periodSeconds: 300, periods: 36 } as const;

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
  /**
   * On-demand only: stops the instance after {@link BASTION_MAX_RUN} of continuous running
   * (CloudWatch alarm with the EC2 stop action).
   */
  readonly maxRunAlarm?: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: SsmBastionProps) {
    super(scope, id);
    const instanceType = props.instanceType ?? DEFAULT_BASTION_INSTANCE_TYPE;
    const partition = partitionOf(props.region).name;
    const schedule = props.schedule ?? "always-on";

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
      tags: { Name: `${props.name}-bastion`, [BASTION_SCHEDULE_TAG]: schedule },
      dependsOn: props.dependsOn,
    });

    if (schedule === "on-demand") {
      this.state = new Ec2InstanceState(this, "stopped", {
        instanceId: this.instance.id,
        state: "stopped",
        // CI starts and stops it; a plan must not fight that.
        lifecycle: { ignoreChanges: ["state"] },
      });
      const hours = (BASTION_MAX_RUN.periodSeconds * BASTION_MAX_RUN.periods) / 3600;
      this.maxRunAlarm = new CloudwatchMetricAlarm(this, "max-run", {
        alarmName: `${props.name}-bastion-max-run`,
        alarmDescription: `Stops the on-demand bastion after ${hours} h of running without a break: CI stops it after each job (.github/scripts/ssm-tunnel.sh close), so this means a job that never closed its tunnel (runner lost) or jobs that overlapped for ${hours} h. Start it again with ssm-tunnel.sh open.`,
        namespace: "AWS/EC2",
        metricName: "CPUUtilization",
        dimensions: { InstanceId: this.instance.id },
        // Any data point at all means the instance ran in that period.
        statistic: "SampleCount",
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        period: BASTION_MAX_RUN.periodSeconds,
        evaluationPeriods: BASTION_MAX_RUN.periods,
        datapointsToAlarm: BASTION_MAX_RUN.periods,
        // A stopped instance sends nothing: OK, so every later run starts the count again.
        treatMissingData: "notBreaching",
        alarmActions: [`arn:${partition}:automate:${props.region}:ec2:stop`],
        tags: { Name: `${props.name}-bastion-max-run` },
      });
    }
  }
}
