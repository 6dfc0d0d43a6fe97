// Runs the real Terraform binary offline (provider mirror of this machine): a fabricated prior
// state settles to "no changes", and changes planned against it are updates and replacements.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { TerraformHarness } from "../src/harness";
import type { PlanJson } from "../src/json-output";
import { settlePriorState } from "../src/settle";
import { FIXTURE_ACCOUNT, FIXTURE_REGION, tempDir } from "./fixture";

jest.setTimeout(120_000);

const STACK = "settle";

interface FixtureProps {
  readonly instanceClass: string;
  readonly username: string;
}

/**
 * A small platform shaped like ours: VPC, subnets and security group referencing it, a KMS key
 * and an IAM policy naming its ARN, an SNS topic, and an RDS instance in a subnet group.
 */
function synth(props: FixtureProps): string {
  const outdir = join(tempDir("settle-synth"), "cdktf.out");
  const app = new App({ outdir });
  const stack = new TerraformStack(app, STACK);
  new AwsProvider(stack, "aws", { region: FIXTURE_REGION, allowedAccountIds: [FIXTURE_ACCOUNT] });
  const vpc = new Vpc(stack, "vpc", { cidrBlock: "10.42.0.0/16" });
  const subnets = ["a", "b"].map(
    (az, i) =>
      new Subnet(stack, `subnet-${az}`, {
        vpcId: vpc.id,
        cidrBlock: `10.42.${i}.0/24`,
        availabilityZone: `${FIXTURE_REGION}${az}`,
      }),
  );
  const group = new SecurityGroup(stack, "sg", { vpcId: vpc.id, name: "db" });
  const key = new KmsKey(stack, "key", { enableKeyRotation: true });
  new IamRole(stack, "role", {
    name: "reader",
    assumeRolePolicy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { Service: "rds.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    }),
    inlinePolicy: [
      {
        name: "decrypt",
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "kms:Decrypt", Resource: key.arn }],
        }),
      },
    ],
  });
  new SnsTopic(stack, "topic", { name: "alarms", kmsMasterKeyId: key.arn });
  const subnetGroup = new DbSubnetGroup(stack, "subnet-group", {
    name: "db",
    subnetIds: subnets.map((s) => s.id),
  });
  const db = new DbInstance(stack, "db", {
    identifier: "db",
    engine: "postgres",
    engineVersion: "16",
    instanceClass: props.instanceClass,
    allocatedStorage: 20,
    username: props.username,
    manageMasterUserPassword: true,
    storageEncrypted: true,
    kmsKeyId: key.arn,
    dbSubnetGroupName: subnetGroup.name,
    vpcSecurityGroupIds: [group.id],
    skipFinalSnapshot: true,
  });
  new TerraformOutput(stack, "secret_arn", { value: db.masterUserSecret.get(0).secretArn });
  app.synth();
  return outdir;
}

function changed(plan: PlanJson): Array<[string, string]> {
  return (plan.resource_changes ?? [])
    .filter((r) => r.change.actions.join(",") !== "no-op")
    .map((r) => [r.address, r.change.actions.join(",")]);
}

describe("settlePriorState and plans against it, on real Terraform", () => {
  const base: FixtureProps = { instanceClass: "db.t4g.small", username: "forks_admin" };
  const dirs: string[] = [];
  const harnessFor = (props: FixtureProps) => {
    const outdir = synth(props);
    const workDir = tempDir("settle-work");
    dirs.push(join(outdir, ".."), workDir);
    return new TerraformHarness({ outdir, workDir });
  };
  const baseHarness = harnessFor(base);
  const settled = settlePriorState(baseHarness, STACK);
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("settles to a state the unchanged configuration plans no change against", async () => {
    const { plan, rounds, state } = await settled;
    expect(changed(plan)).toEqual([]);
    expect(Object.values(plan.output_changes ?? {}).map((o) => o.actions)).toEqual([["no-op"]]);
    expect(rounds).toBeGreaterThanOrEqual(1);
    // References agree as in a real state: subnets and the security group name the VPC's id.
    const attributes = (type: string) =>
      state.resources.filter((r) => r.type === type).map((r) => r.instances[0]?.attributes ?? {});
    const vpcId = attributes("aws_vpc")[0]?.id;
    expect(vpcId).toMatch(/^vpc-placeholder/);
    expect(attributes("aws_subnet").map((s) => s.vpc_id)).toEqual([vpcId, vpcId]);
    expect(attributes("aws_security_group")[0]?.vpc_id).toBe(vpcId);
    expect(state.outputs.secret_arn?.value).toMatch(
      /^arn:aws:secretsmanager:eu-west-1:123456789012:/,
    );
  });

  it("plans a changed instance class as an in-place update of the instance only", async () => {
    const { state } = await settled;
    const { plan } = await harnessFor({ ...base, instanceClass: "db.t4g.medium" }).plan(STACK, {
      priorState: state,
    });
    expect(changed(plan)).toEqual([["aws_db_instance.db", "update"]]);
    const change = plan.resource_changes?.find((r) => r.address === "aws_db_instance.db")?.change;
    expect(change?.before).toMatchObject({ instance_class: "db.t4g.small" });
    expect(change?.after).toMatchObject({ instance_class: "db.t4g.medium" });
  });

  it("plans a changed master username as a replacement forced by username", async () => {
    const { state } = await settled;
    const { plan } = await harnessFor({ ...base, username: "pgforks_admin" }).plan(STACK, {
      priorState: state,
    });
    expect(changed(plan)).toEqual([["aws_db_instance.db", "delete,create"]]);
    const rc = plan.resource_changes?.find((r) => r.address === "aws_db_instance.db");
    expect(rc?.change.replace_paths).toEqual([["username"]]);
    expect(rc?.action_reason).toBe("replace_because_cannot_update");
  });
});
