import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { environmentFixture, synthScope } from "@pgforks/testing";
import { TerraformOutput, Testing } from "cdktf";
import { KMS_DELETION_WINDOW_DAYS, PlatformKey, type PlatformKeyProps } from "../src/platform-key";

const env = environmentFixture();
const props: PlatformKeyProps = {
  name: "pgforks-test",
  accountId: env.account,
  region: env.region,
};

interface Statement {
  Sid: string;
  Principal: { AWS?: string; Service?: string };
  Action: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

function synth(p: PlatformKeyProps = props) {
  const { json, all } = synthScope((scope) => {
    new PlatformKey(scope, "key", p);
  });
  const key = all("aws_kms_key")[0] as Record<string, unknown>;
  const policy = JSON.parse(key.policy as string) as { Statement: Statement[] };
  return { json, key, policy };
}

function statementFor(policy: { Statement: Statement[] }, principal: string): Statement {
  const found = policy.Statement.find(
    (s) => s.Principal.Service === principal || s.Principal.AWS === principal,
  );
  if (!found) throw new Error(`no statement for ${principal}`);
  return found;
}

describe("PlatformKey", () => {
  it("rotates the key and keeps the longest deletion window by default", () => {
    const { json } = synth();
    expect(json).toHaveResourceWithProperties(KmsKey, {
      enable_key_rotation: true,
      deletion_window_in_days: 30,
    });
  });

  it("names the alias alias/<name> and points it at the key", () => {
    const { json } = synth();
    const keyName = Object.keys(JSON.parse(json).resource.aws_kms_key)[0];
    expect(json).toHaveResourceWithProperties(KmsAlias, {
      name: "alias/pgforks-test",
      target_key_id: `\${aws_kms_key.${keyName}.key_id}`,
    });
  });

  it("accepts a shorter deletion window within the KMS bounds and rejects others", () => {
    const { key } = synth({ ...props, deletionWindowInDays: KMS_DELETION_WINDOW_DAYS.min });
    expect(key.deletion_window_in_days).toBe(7);
    for (const bad of [6, 31, 7.5]) {
      expect(() => synth({ ...props, deletionWindowInDays: bad })).toThrow(/deletionWindowInDays/);
    }
  });

  it("delegates administration to the account's IAM policies", () => {
    const { policy } = synth();
    const root = statementFor(policy, "arn:aws:iam::123456789012:root");
    expect(root.Action).toBe("kms:*");
  });

  it("lets CloudWatch Logs use the key only for this account's log groups in the region", () => {
    const { policy } = synth();
    const logs = statementFor(policy, "logs.us-east-1.amazonaws.com");
    expect(logs.Action).toEqual([
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]);
    expect(logs.Condition).toEqual({
      ArnLike: {
        "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*",
      },
    });
  });

  it("lets CloudWatch alarms and RDS events publish to the encrypted topic, from this account only", () => {
    const { policy } = synth();
    for (const service of ["cloudwatch.amazonaws.com", "events.rds.amazonaws.com"]) {
      const statement = statementFor(policy, service);
      expect(statement.Action).toEqual(["kms:Decrypt", "kms:GenerateDataKey*"]);
      expect(statement.Condition?.StringEquals).toEqual({ "aws:SourceAccount": "123456789012" });
    }
    expect(statementFor(policy, "cloudwatch.amazonaws.com").Condition?.ArnLike).toEqual({
      "aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*",
    });
  });

  it("names exactly the account and the three services, nobody else", () => {
    const { policy } = synth();
    const principals = policy.Statement.map((s) => s.Principal.AWS ?? s.Principal.Service).sort();
    expect(principals).toEqual([
      "arn:aws:iam::123456789012:root",
      "cloudwatch.amazonaws.com",
      "events.rds.amazonaws.com",
      "logs.us-east-1.amazonaws.com",
    ]);
  });

  it("uses the partition of the region in ARNs", () => {
    const { policy } = synth({ ...props, region: "us-gov-west-1" });
    expect(statementFor(policy, "arn:aws-us-gov:iam::123456789012:root")).toBeDefined();
    const logs = statementFor(policy, "logs.us-gov-west-1.amazonaws.com");
    expect(logs.Condition?.ArnLike?.["kms:EncryptionContext:aws:logs:arn"]).toMatch(
      /^arn:aws-us-gov:logs:us-gov-west-1:/,
    );
  });

  it("exposes the key ARN for the services that encrypt with it", () => {
    const parsed = JSON.parse(
      Testing.synthScope((scope) => {
        const key = new PlatformKey(scope, "key", props);
        new TerraformOutput(scope, "arn", { value: key.arn });
      }),
    );
    const keyName = Object.keys(parsed.resource.aws_kms_key)[0];
    expect(parsed.output.arn.value).toBe(`\${aws_kms_key.${keyName}.arn}`);
  });
});
