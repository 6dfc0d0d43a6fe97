#!/usr/bin/env bash
# Fails while an alarm subscription of the environment's SNS topic is not confirmed, so the
# nightly audit (audit.yml) goes red until every recipient of environment.yaml `alarms.emails`
# has clicked the confirmation link. An email subscription is created "PendingConfirmation"
# (SubscriptionArn is that literal string until it is confirmed: SNS API Reference,
# ListSubscriptionsByTopic / Subscription) and delivers nothing meanwhile, so an unconfirmed
# address means alarms nobody receives. A topic without any subscription fails too.
#
#   alarm-subscriptions.sh <topic-arn>
#
# Needs sns:ListSubscriptionsByTopic on the topic (ReadOnlyAccess of the tenants plan role). The
# AWS CLI follows NextToken itself, so every subscription is seen. Exit 0 all confirmed, 1 not,
# 2 usage.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: alarm-subscriptions.sh <topic-arn>" >&2
  exit 2
fi
topic="$1"
listing=$(aws sns list-subscriptions-by-topic --topic-arn "$topic" --output json)
total=$(jq '.Subscriptions | length' <<<"$listing")
pending=$(jq -r '.Subscriptions[] | select(.SubscriptionArn == "PendingConfirmation")
  | "\(.Protocol) \(.Endpoint)"' <<<"$listing")

if [ "$total" -eq 0 ]; then
  echo "::error::alarm topic $topic has no subscription: alarms reach nobody"
  exit 1
fi
if [ -n "$pending" ]; then
  count=$(wc -l <<<"$pending")
  while IFS= read -r subscription; do
    echo "::error::alarm subscription pending confirmation: $subscription (the recipient must click the link in the AWS Notification email, or the subscription be re-requested)"
  done <<<"$pending"
  echo "$count of $total alarm subscription(s) of $topic are not confirmed: their alarms are not delivered"
  exit 1
fi
echo "all $total alarm subscription(s) of $topic are confirmed"
