import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";

/**
 * AWS services that publish to the alarm topic: CloudWatch alarm actions and RDS event
 * subscriptions (SNS Developer Guide, "Enable compatibility between event sources from AWS
 * services and encrypted topics"; RDS User Guide, "Granting permissions to publish notifications
 * to an Amazon SNS topic").
 */
export const ALARM_PUBLISHERS = ["cloudwatch.amazonaws.com", "events.rds.amazonaws.com"] as const;

/** Properties of {@link AlarmTopic}. */
export interface AlarmTopicProps {
  /** Name prefix, e.g. "pgforks-prod"; the topic is `<name>-alarms`. Required. */
  readonly name: string;
  /**
   * Recipients: one email subscription each (alarms.emails). Each recipient must confirm the
   * subscription from the email SNS sends. At least one. Required.
   */
  readonly emails: readonly string[];
  /**
   * ARN of the KMS key encrypting the topic. Its key policy must let the publishers use it
   * (@pgforks/kms PlatformKey does). Required.
   */
  readonly kmsKeyArn: string;
  /**
   * Account allowed to publish (aws:SourceAccount of the publishing alarm or RDS event
   * subscription). Default: the topic's owner account (`aws_sns_topic.owner`), which is the
   * same account without needing it in config; pass the configured account id to see it in plans.
   */
  readonly accountId?: string;
}

/**
 * The encrypted SNS topic every alarm and RDS event of an environment goes to, with one email
 * subscription per recipient and a topic policy letting only this account's CloudWatch alarms and
 * RDS event subscriptions publish.
 */
export class AlarmTopic extends Construct {
  /** The `aws_sns_topic`. */
  readonly topic: SnsTopic;
  /** The topic policy. */
  readonly policy: SnsTopicPolicy;
  /** One email subscription per recipient, in the order of the sorted addresses. */
  readonly subscriptions: SnsTopicSubscription[];
  /** ARN of the topic: use it in alarm_actions, ok_actions and RDS event subscriptions. */
  readonly arn: string;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    // Once per mailbox: addresses are compared without case (Oncall@Example.com and
    // oncall@example.com reach one inbox; two subscriptions would send every alarm twice).
    const byAddress = new Map<string, string>();
    for (const email of props.emails) {
      if (!byAddress.has(email.toLowerCase())) byAddress.set(email.toLowerCase(), email);
    }
    const emails = [...byAddress.values()].sort();
    if (emails.length === 0) {
      throw new Error(
        `AlarmTopic ${props.name}: no recipients; set alarms.emails in environment.yaml (nobody would hear the alarms)`,
      );
    }

    this.topic = new SnsTopic(this, "topic", {
      name: `${props.name}-alarms`,
      displayName: `${props.name} database alarms`,
      kmsMasterKeyId: props.kmsKeyArn,
    });
    this.arn = this.topic.arn;

    this.policy = new SnsTopicPolicy(this, "policy", {
      arn: this.topic.arn,
      policy: JSON.stringify(
        alarmTopicPolicy({
          topicArn: this.topic.arn,
          accountId: props.accountId ?? this.topic.owner,
        }),
      ),
    });

    this.subscriptions = emails.map(
      (email) =>
        new SnsTopicSubscription(this, `email-${email}`, {
          topicArn: this.topic.arn,
          protocol: "email",
          endpoint: email,
        }),
    );
  }
}

/** The topic policy of {@link AlarmTopic}: publishing by the alarm publishers of one account only. */
export function alarmTopicPolicy(props: { readonly topicArn: string; readonly accountId: string }) {
  return {
    Version: "2012-10-17",
    Statement: ALARM_PUBLISHERS.map((service) => ({
      Sid: service === "cloudwatch.amazonaws.com" ? "CloudWatchAlarmsPublish" : "RdsEventsPublish",
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sns:Publish",
      Resource: props.topicArn,
      Condition: { StringEquals: { "aws:SourceAccount": props.accountId } },
    })),
  };
}
