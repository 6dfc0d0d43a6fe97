import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { synthScope } from "@pgforks/testing";
import { AlarmTopic, type AlarmTopicProps } from "../src/alarm-topic";

const KEY = "arn:aws:kms:us-east-1:123456789012:key/1111-2222";
const props: AlarmTopicProps = {
  name: "pgforks-test",
  emails: ["b@example.com", "a@example.com", "b@example.com"],
  kmsKeyArn: KEY,
};

interface Statement {
  Sid: string;
  Effect: string;
  Principal: { Service: string };
  Action: string;
  Resource: string;
  Condition: { StringEquals: Record<string, string> };
}

function synth(p: AlarmTopicProps = props) {
  const { json, resource, all } = synthScope((scope) => {
    new AlarmTopic(scope, "topic", p);
  });
  const topicName = Object.keys(resource.aws_sns_topic ?? {})[0] as string;
  const policy = all("aws_sns_topic_policy")[0] as { arn: string; policy: string };
  return {
    json,
    topicRef: (attr: string) => `\${aws_sns_topic.${topicName}.${attr}}`,
    subscriptions: all("aws_sns_topic_subscription") as Record<string, string>[],
    policy,
    statements: (JSON.parse(policy.policy) as { Statement: Statement[] }).Statement,
  };
}

describe("AlarmTopic", () => {
  it("encrypts the topic with the given key", () => {
    expect(synth().json).toHaveResourceWithProperties(SnsTopic, {
      name: "pgforks-test-alarms",
      kms_master_key_id: KEY,
    });
  });

  it("subscribes each recipient once by email, in a stable order", () => {
    const s = synth();
    expect(s.subscriptions.map((sub) => [sub.protocol, sub.endpoint, sub.topic_arn])).toEqual([
      ["email", "a@example.com", s.topicRef("arn")],
      ["email", "b@example.com", s.topicRef("arn")],
    ]);
  });

  it("subscribes an address written twice in different case once, as first written", () => {
    const s = synth({
      ...props,
      emails: ["Oncall@Example.com", "a@example.com", "oncall@example.com"],
    });
    expect(s.subscriptions.map((sub) => sub.endpoint)).toEqual([
      "Oncall@Example.com",
      "a@example.com",
    ]);
  });

  it("lets only CloudWatch alarms and RDS events of the topic's own account publish", () => {
    const s = synth();
    expect(s.policy.arn).toBe(s.topicRef("arn"));
    expect(s.statements.map((st) => st.Principal.Service)).toEqual([
      "cloudwatch.amazonaws.com",
      "events.rds.amazonaws.com",
    ]);
    for (const st of s.statements) {
      expect(st.Effect).toBe("Allow");
      expect(st.Action).toBe("sns:Publish");
      expect(st.Resource).toBe(s.topicRef("arn"));
      expect(st.Condition).toEqual({ StringEquals: { "aws:SourceAccount": s.topicRef("owner") } });
    }
  });

  it("uses the configured account id when given", () => {
    const s = synth({ ...props, accountId: "123456789012" });
    for (const st of s.statements) {
      expect(st.Condition.StringEquals["aws:SourceAccount"]).toBe("123456789012");
    }
  });

  it("refuses a topic nobody reads", () => {
    expect(() => synth({ ...props, emails: [] })).toThrow(/no recipients; set alarms\.emails/);
  });
});
