import {
  constructPathOf,
  formatDiagnostic,
  offlineLimitHint,
  type StackReport,
} from "../src/harness";
import { addressesWithActions, type PlanJson, summarizePlan } from "../src/json-output";
import { exitCodeOf, formatReport, formatSummary } from "../src/report";

const passed: StackReport = {
  stack: "prod-platform",
  status: "passed",
  changes: { add: 123, change: 0, destroy: 0, replace: 0 },
  timings: { init: 1600, validate: 1700, plan: 2000, show: 1500 },
  totalMs: 12_345,
};
const notValidated: StackReport = {
  stack: "prod-tenants",
  status: "not-validated",
  reason: "provider unavailable offline (registry.terraform.io/cyrilgdn/postgresql 1.26.0)",
  timings: {},
  totalMs: 1,
};
const failed: StackReport = {
  stack: "dev-platform",
  status: "failed",
  error: "error: terraform plan failed",
  timings: {},
  totalMs: 1,
};

describe("formatReport", () => {
  it("prints one aligned line per stack", () => {
    expect(formatReport(passed, 16)).toBe(
      "prod-platform   validate ✓  plan ✓ (+123 ~0 -0)  12.3s (init 1.6s, validate 1.7s, plan 2.0s, show 1.5s)",
    );
    expect(formatReport(notValidated, 16)).toBe(
      "prod-tenants    not validated: provider unavailable offline (registry.terraform.io/cyrilgdn/postgresql 1.26.0)",
    );
    expect(formatReport(failed, 16)).toContain("\n    error: terraform plan failed");
  });
});

describe("formatSummary and exitCodeOf", () => {
  it("never counts a not-validated stack as passed, and names it loudly", () => {
    const summary = formatSummary([passed, notValidated]);
    expect(summary).toContain("1 passed, 0 failed, 1 NOT VALIDATED");
    expect(summary).toContain("NOT validated (never run, not counted as passed): prod-tenants");
  });

  it("exits non-zero only on failures", () => {
    expect(exitCodeOf([passed, notValidated])).toBe(0);
    expect(exitCodeOf([passed, failed, notValidated])).toBe(1);
  });
});

describe("summarizePlan", () => {
  const change = (address: string, actions: string[], mode = "managed") => ({
    address,
    mode,
    type: address.split(".")[0],
    name: address.split(".")[1],
    provider_name: "registry.terraform.io/hashicorp/aws",
    change: { actions, before: null, after: null },
  });
  const plan = {
    format_version: "1.2",
    terraform_version: "1.11.4",
    resource_changes: [
      change("aws_vpc.a", ["create"]),
      change("aws_vpc.b", ["update"]),
      change("aws_vpc.c", ["delete", "create"]),
      change("aws_vpc.d", ["delete"]),
      change("aws_vpc.e", ["no-op"]),
      change("data.aws_x.f", ["read"], "data"),
    ],
  } as unknown as PlanJson;

  it("counts like Terraform's 'Plan: X to add, Y to change, Z to destroy'", () => {
    expect(summarizePlan(plan)).toEqual({ add: 2, change: 1, destroy: 2, replace: 1 });
  });

  it("lists addresses by exact actions", () => {
    expect(addressesWithActions(plan, ["create"])).toEqual(["aws_vpc.a"]);
    expect(addressesWithActions(plan, ["delete", "create"])).toEqual(["aws_vpc.c"]);
  });
});

describe("diagnostics", () => {
  const config = {
    resource: {
      aws_kms_key: { key: { "//": { metadata: { path: "prod-platform/kms/key" } } } },
    },
  };
  const diagnostic = {
    severity: "error" as const,
    summary: "expected deletion_window_in_days to be in the range (7 - 30), got 2",
    detail: "",
    snippet: { context: "resource.aws_kms_key.key", code: "", start_line: 3 },
  };

  it("finds the cdktf construct path from an address or a block context", () => {
    expect(constructPathOf(config, diagnostic)).toBe("prod-platform/kms/key");
    expect(constructPathOf(config, { ...diagnostic, address: "aws_kms_key.key[0]" })).toBe(
      "prod-platform/kms/key",
    );
    expect(constructPathOf(config, { ...diagnostic, snippet: undefined })).toBeUndefined();
  });

  it("formats summary, construct, address and location", () => {
    expect(
      formatDiagnostic({
        ...diagnostic,
        constructPath: "prod-platform/kms/key",
        location: "cdk.tf.json:3:5",
      }),
    ).toBe(
      "error: expected deletion_window_in_days to be in the range (7 - 30), got 2\n" +
        "  construct prod-platform/kms/key (resource.aws_kms_key.key) at cdk.tf.json:3:5",
    );
  });

  // What Terraform 1.11.4 and hashicorp/aws 5.100.0 printed planning main's dev-platform against
  // a state of a configuration whose bastion launch template had other tags (a changed
  // environment.yaml `tags`, or a release before 1fc1071 upgraded to main).
  const launchTemplateCall = {
    severity: "error" as const,
    summary:
      'reading EC2 Instance (i-placeholderc1eb5324) launch template ID tag: operation error EC2: DescribeTags, exceeded maximum number of attempts, 9, https response error StatusCode: 0, RequestID: , request send failed, Post "https://ec2.us-east-1.amazonaws.com/": proxyconnect tcp: dial tcp 127.0.0.1:9: connect: connection refused',
    detail: "",
    address: "aws_instance.network_bastion_instance_838F6706",
    snippet: {
      context: "resource.aws_instance.network_bastion_instance_838F6706",
      code: "",
      start_line: 791,
    },
  };

  it("says a launch template version check on AWS is a limit of planning offline, not a configuration error", () => {
    const text = formatDiagnostic({
      ...launchTemplateCall,
      constructPath: "dev-platform/network/bastion/instance",
    });
    const lines = text.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`error: ${launchTemplateCall.summary}`);
    expect(lines[2]).toMatch(/^ {2}offline: not a configuration error\. /);
    expect(lines[2]).toContain("launch template gets a new version");
    expect(lines[2]).toContain("a different version replaces the instance");
    expect(lines[2]).toContain("only against AWS (the pull request's plan)");
  });

  it("says any other AWS call a provider makes while planning is a limit of planning offline", () => {
    const hint = offlineLimitHint({
      ...launchTemplateCall,
      summary:
        "reading something: https response error StatusCode: 0, request send failed: proxyconnect tcp: dial tcp 127.0.0.1:9: connect: connection refused",
      address: "aws_db_instance.database_instance_1F2E3D4C",
    });
    expect(hint).toMatch(/^offline: not a configuration error\. The provider asked AWS/);
    expect(hint).not.toContain("launch template");
  });

  it("gives no offline hint for a configuration error", () => {
    expect(offlineLimitHint(diagnostic)).toBeUndefined();
  });
});
