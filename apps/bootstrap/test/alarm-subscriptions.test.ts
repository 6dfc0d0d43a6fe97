// .github/scripts/alarm-subscriptions.sh, run for real against a stand-in `aws` that prints what
// `aws sns list-subscriptions-by-topic` returns (SNS API Reference, ListSubscriptionsByTopic).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@pgforks/config";

const SCRIPT = join(repoRoot(), ".github", "scripts", "alarm-subscriptions.sh");
const TOPIC = "arn:aws:sns:us-east-1:333333333333:pgforks-prod-alarms";

const bin = mkdtempSync(join(tmpdir(), "alarm-subscriptions-test-"));
afterAll(() => rmSync(bin, { recursive: true, force: true }));

/** A subscription as SNS lists it; pending ones carry the literal "PendingConfirmation". */
function subscription(endpoint: string, confirmed: boolean) {
  return {
    SubscriptionArn: confirmed
      ? `${TOPIC}:0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`
      : "PendingConfirmation",
    Owner: "333333333333",
    Protocol: "email",
    Endpoint: endpoint,
    TopicArn: TOPIC,
  };
}

/** Runs the script with a fake `aws` that checks its arguments and prints `subscriptions`. */
function run(subscriptions: unknown[]) {
  const listing = JSON.stringify({ Subscriptions: subscriptions });
  writeFileSync(
    join(bin, "aws"),
    `#!/usr/bin/env bash\n[ "$*" = "sns list-subscriptions-by-topic --topic-arn ${TOPIC} --output json" ] || { echo "unexpected: $*" >&2; exit 99; }\necho '${listing}'\n`,
  );
  chmodSync(join(bin, "aws"), 0o755);
  return spawnSync("bash", [SCRIPT, TOPIC], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
}

describe("alarm-subscriptions.sh (nightly audit)", () => {
  it("passes when every subscription is confirmed", () => {
    const result = run([
      subscription("oncall@example.com", true),
      subscription("founders@example.com", true),
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`all 2 alarm subscription(s) of ${TOPIC} are confirmed`);
  });

  it("fails naming each subscription still pending confirmation", () => {
    const result = run([
      subscription("oncall@example.com", true),
      subscription("founders@example.com", false),
    ]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      "::error::alarm subscription pending confirmation: email founders@example.com",
    );
    expect(result.stdout).not.toContain("oncall@example.com");
    expect(result.stdout).toContain("1 of 2 alarm subscription(s)");
  });

  // Exit 1 means "not confirmed"; a call without its one topic ARN is a usage error (2), in one
  // line that names the script, never bash's "line 15: 1: ..." of ${1:?}.
  it.each([
    ["no argument", []],
    ["an empty topic", [""]],
    ["two topics", [TOPIC, TOPIC]],
  ])("refuses %s in one usage line, exit 2", (_what, args) => {
    const result = spawnSync("bash", [SCRIPT, ...args], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    expect([result.status, result.stdout, result.stderr]).toEqual([
      2,
      "",
      "usage: alarm-subscriptions.sh <topic-arn>\n",
    ]);
  });

  it("fails when the topic has no subscription at all", () => {
    const result = run([]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("has no subscription: alarms reach nobody");
  });
});
