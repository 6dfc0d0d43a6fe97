import { loadEnvironments, workloadBoundaryArn } from "@pgforks/config";
import { KMS_DELETION_WINDOW_DAYS } from "@pgforks/kms";
import { PlatformStack } from "@pgforks/stacks";
import { Testing } from "cdktf";
import {
  APPLY_BOUNDARY_SERVICES,
  APPLY_ROLE_MAX_SESSION_SECONDS,
  BOUNDED_ROLE_ACTIONS,
  CI_IDENTITY_MUTATIONS,
  DB_LOG_FILE_READ_ACTIONS,
  LOG_CONTENT_READ_ACTIONS,
  OBJECT_READ_ACTIONS,
  PERFORMANCE_INSIGHTS_SQL_READ_ACTIONS,
  PLAN_ROLE_MAX_SESSION_SECONDS,
  PLATFORM_ROLE_DENIED_ACTIONS,
  ROLE_HANDOVER_ACTIONS,
  SSM_COMMAND_ACTIONS,
  WORKLOAD_BOUNDARY_ACTIONS,
} from "../src/ci-roles";
import { GITHUB_OIDC_LOGICAL_ID, githubSubjects } from "../src/github-oidc";
import type { PolicyDocument } from "../src/iam-policy";
import {
  ABORT_INCOMPLETE_MULTIPART_DAYS,
  NEWER_NONCURRENT_VERSIONS_KEPT,
  NONCURRENT_STATE_VERSION_DAYS,
} from "../src/state-bucket";
import {
  DEFAULT_SESSION_DOCUMENT,
  decide,
  decideInContext,
  parsePolicy,
  startSessionAllowed,
  synthBootstrap,
  trustAllowsSubject,
} from "./helpers";

const REPO = "example-org/example-repo";
const stack = synthBootstrap();
const bucket = "example-state-bucket";
const bucketArn = `arn:aws:s3:::${bucket}`;
const account = stack.environment.account;

/**
 * The statements of AWS managed ReadOnlyAccess that reach state objects, log events, the DB
 * instances' own log files and Performance Insights (policy version of 2025-09-12: `s3:Get*`,
 * `logs:Get*`, `logs:FilterLogEvents`, `logs:StartLiveTail`, `logs:StartQuery`, `rds:Describe*`,
 * `rds:Download*`, `rds:List*` and the six `pi:` reads, all on "*"). The plan role's inline policy
 * must take back what they leak.
 */
const READ_ONLY_ACCESS_EXCERPT: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "ReadOnlyAccessExcerpt",
      Effect: "Allow",
      Action: [
        "s3:Get*",
        "s3:List*",
        "s3-object-lambda:Get*",
        "logs:Describe*",
        "logs:FilterLogEvents",
        "logs:Get*",
        "logs:StartLiveTail",
        "logs:StartQuery",
        "rds:Describe*",
        "rds:Download*",
        "rds:List*",
        "pi:DescribeDimensionKeys",
        "pi:GetDimensionKeyDetails",
        "pi:GetResourceMetadata",
        "pi:GetResourceMetrics",
        "pi:ListAvailableResourceDimensions",
        "pi:ListAvailableResourceMetrics",
      ],
      Resource: "*",
    },
  ],
};

function inlinePolicies(roleSuffix: string): PolicyDocument[] {
  const role = stack.role(roleSuffix);
  const roleRef = `\${aws_iam_role.${Object.entries(stack.json.resource.aws_iam_role ?? {}).find(([, b]) => b === role)?.[0]}.id}`;
  return stack
    .all("aws_iam_role_policy")
    .filter((p) => p.role === roleRef)
    .map((p) => parsePolicy(p.policy));
}

/** Every action an Allow statement of `documents` names. */
function allowedActions(documents: readonly PolicyDocument[]): string[] {
  return documents
    .flatMap((d) => d.Statement)
    .filter((s) => s.Effect === "Allow")
    .flatMap((s) => [s.Action ?? []].flat());
}

function attachedPolicies(roleSuffix: string): string[] {
  const role = stack.role(roleSuffix);
  const name = Object.entries(stack.json.resource.aws_iam_role ?? {}).find(
    ([, b]) => b === role,
  )?.[0];
  return stack
    .all("aws_iam_role_policy_attachment")
    .filter((a) => a.role === `\${aws_iam_role.${name}.name}`)
    .map((a) => String(a.policy_arn));
}

describe("trust policies (who may assume the CI roles)", () => {
  const planTrust = parsePolicy(stack.role("-terraform-plan").assume_role_policy);
  const tenantsTrust = parsePolicy(stack.role("-terraform-tenants-plan").assume_role_policy);
  const applyTrust = parsePolicy(stack.role("-terraform-apply").assume_role_policy);

  it("trusts only the GitHub OIDC provider of the same stack, for sts.amazonaws.com", () => {
    for (const trust of [planTrust, tenantsTrust, applyTrust]) {
      expect(trust.Statement).toHaveLength(1);
      expect(trust.Statement[0]?.Principal).toEqual({
        Federated: `\${aws_iam_openid_connect_provider.${GITHUB_OIDC_LOGICAL_ID}.arn}`,
      });
      expect(trustAllowsSubject(trust, `repo:${REPO}:pull_request`, "sts.amazonaws.com.evil")).toBe(
        false,
      );
    }
  });

  it("lets the plan role be assumed from pull requests and any ref of the repository", () => {
    for (const sub of [
      `repo:${REPO}:pull_request`,
      `repo:${REPO}:ref:refs/heads/main`,
      `repo:${REPO}:ref:refs/heads/feature/add-tenant`,
      `repo:${REPO}:ref:refs/tags/v1.0.0`,
    ]) {
      expect([sub, trustAllowsSubject(planTrust, sub)]).toEqual([sub, true]);
    }
  });

  it("refuses the plan role to other repositories, look-alike names and environment jobs", () => {
    for (const sub of [
      "repo:example-org/other-repo:pull_request",
      `repo:${REPO}-fork:ref:refs/heads/main`,
      `repo:${REPO}x:pull_request`,
      "repo:attacker/example-repo:pull_request",
      `repo:${REPO}:environment:test`,
    ]) {
      expect([sub, trustAllowsSubject(planTrust, sub)]).toEqual([sub, false]);
    }
  });

  it("lets the tenants plan role be assumed only from main and the protected environment", () => {
    for (const sub of [`repo:${REPO}:ref:refs/heads/main`, `repo:${REPO}:environment:test`]) {
      expect([sub, trustAllowsSubject(tenantsTrust, sub)]).toEqual([sub, true]);
    }
    for (const sub of [
      `repo:${REPO}:pull_request`,
      `repo:${REPO}:ref:refs/heads/feature/add-tenant`,
      `repo:${REPO}:ref:refs/heads/main-copy`,
      `repo:${REPO}:ref:refs/tags/main`,
      `repo:${REPO}:environment:test-2`,
      "repo:example-org/other-repo:ref:refs/heads/main",
    ]) {
      expect([sub, trustAllowsSubject(tenantsTrust, sub)]).toEqual([sub, false]);
    }
    expect(JSON.stringify(tenantsTrust)).not.toContain("*");
  });

  it("lets the apply role be assumed only by jobs of the environment's GitHub environment", () => {
    expect(trustAllowsSubject(applyTrust, githubSubjects.environment(REPO, "test"))).toBe(true);
    for (const sub of [
      `repo:${REPO}:ref:refs/heads/main`,
      `repo:${REPO}:pull_request`,
      `repo:${REPO}:environment:test-2`,
      `repo:${REPO}:environment:staging`,
      "repo:example-org/other-repo:environment:test",
    ]) {
      expect([sub, trustAllowsSubject(applyTrust, sub)]).toEqual([sub, false]);
    }
    // Exact match, no wildcard anywhere in the apply trust.
    expect(JSON.stringify(applyTrust)).not.toContain("*");
  });

  it("follows ci.githubEnvironment when set", () => {
    const custom = synthBootstrap({ ci: { githubEnvironment: "production" } });
    const trust = parsePolicy(custom.role("-terraform-apply").assume_role_policy);
    expect(trustAllowsSubject(trust, `repo:${REPO}:environment:production`)).toBe(true);
    expect(trustAllowsSubject(trust, `repo:${REPO}:environment:test`)).toBe(false);
  });
});

/** Every kind of secret a database secret can be: the RDS-managed master secret and a tenant's. */
const DATABASE_SECRETS = [
  `arn:aws:secretsmanager:us-east-1:${account}:secret:rds!db-1234-abcd-AbCdEf`,
  `arn:aws:secretsmanager:us-east-1:${account}:secret:pgforks-test/tenants/fintech-AbCdEf`,
];
const BASTION_ARN = `arn:aws:ec2:us-east-1:${account}:instance/i-0abc`;
const PORT_FORWARDING =
  "arn:aws:ssm:us-east-1::document/AWS-StartPortForwardingSessionToRemoteHost";

/**
 * Objects a plan role must not read although ReadOnlyAccess's `s3:Get*` reaches them: a tenant
 * dump archived as docs/operations.md says (`aws s3 cp ... s3://<archive>/database-archives/
 * --sse aws:kms`), the same through an access point and through an Object Lambda access point,
 * another environment's state in a shared bucket, and the bootstrap state.
 */
const FOREIGN_OBJECTS = [
  "arn:aws:s3:::example-archive/database-archives/healthtech_experiment-20261121.dump",
  `arn:aws:s3:us-east-1:${account}:accesspoint/archive/object/database-archives/x.dump`,
  `arn:aws:s3-object-lambda:us-east-1:${account}:accesspoint/archive/object/x.dump`,
  `${bucketArn}/pgforks/other/other-tenants.tfstate`,
  `${bucketArn}/bootstrap/bootstrap-test.tfstate`,
];
/** Every action OBJECT_READ_ACTIONS stands for that ReadOnlyAccess grants on an object. */
const OBJECT_READS = [
  "s3:GetObject",
  "s3:GetObjectVersion",
  "s3:GetObjectAttributes",
  "s3:GetObjectTagging",
  "s3-object-lambda:GetObject",
];
/** Every object read of OBJECT_READS on each of `objects` is explicitly denied by `policies`. */
function expectNoObjectReads(policies: readonly PolicyDocument[], objects: readonly string[]) {
  for (const action of OBJECT_READS) {
    for (const object of objects) {
      // An s3-object-lambda action is only ever made on an Object Lambda ARN, and the reverse.
      const objectLambda = object.startsWith("arn:aws:s3-object-lambda:");
      if (action.startsWith("s3-object-lambda:") !== objectLambda) continue;
      expect([action, object, decide(policies, action, object)]).toEqual([action, object, "deny"]);
    }
  }
}

describe("platform plan role (pull requests, unprotected branches): platform state only", () => {
  const inline = inlinePolicies("-terraform-plan");
  const effective = [READ_ONLY_ACCESS_EXCERPT, ...inline];
  const state = (key: string) => `${bucketArn}/pgforks/test/${key}`;

  it("has ReadOnlyAccess as its only managed policy and short sessions", () => {
    expect(attachedPolicies("-terraform-plan")).toEqual(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    expect(stack.role("-terraform-plan").max_session_duration).toBe(PLAN_ROLE_MAX_SESSION_SECONDS);
  });

  it("reads the platform state only and writes no object, not even a lock file", () => {
    expect(decide(inline, "s3:GetObject", state("test-platform.tfstate"))).toBe("allow");
    expect(decide(inline, "kms:Decrypt", String(inline[0]?.Statement[2]?.Resource))).toBe("allow");
    // Denied, not merely not allowed: ReadOnlyAccess alone would allow it (see the next test).
    expect(decide(effective, "s3:GetObject", state("test-tenants.tfstate"))).toBe("deny");
    for (const action of ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]) {
      for (const key of ["test-platform.tfstate.tflock", "test-tenants.tfstate.tflock", "x"]) {
        expect([action, key, decide(effective, action, state(key), true)]).toEqual([
          action,
          key,
          "deny",
        ]);
      }
    }
  });

  it("reads no other S3 object although ReadOnlyAccess grants s3:Get* on every bucket", () => {
    // The tenants state sits next to the platform state, readable through ReadOnlyAccess alone.
    expectNoObjectReads(effective, [state("test-tenants.tfstate"), ...FOREIGN_OBJECTS]);
    expect(decide(effective, "s3:GetObject", state("test-platform.tfstate"))).toBe("allow");
    expect(decide(effective, "s3:ListBucket", bucketArn)).toBe("allow");
  });

  it("can read no secret value, open no session and start no instance, whatever else it gets", () => {
    const anyPolicy = {
      Version: "2012-10-17" as const,
      Statement: [{ Sid: "Everything", Effect: "Allow" as const, Action: "*", Resource: "*" }],
    };
    // Even next to an allow-everything policy, the explicit denies win.
    const widened = [anyPolicy, ...inline];
    for (const secret of DATABASE_SECRETS) {
      expect(decide(widened, "secretsmanager:GetSecretValue", secret, true)).toBe("deny");
    }
    for (const target of [BASTION_ARN, PORT_FORWARDING]) {
      expect(decide(widened, "ssm:StartSession", target, true)).toBe("deny");
    }
    for (const action of PLATFORM_ROLE_DENIED_ACTIONS) {
      expect([action, decide(widened, action.replace("*", "OpenTunnel"), "*", true)]).toEqual([
        action,
        "deny",
      ]);
    }
    expect(
      startSessionAllowed(widened, {
        instanceArn: BASTION_ARN,
        instanceTags: { Name: "pgforks-test-bastion" },
        documentArn: PORT_FORWARDING,
        defaultDocumentArn: `arn:aws:ssm:us-east-1:${account}:document/${DEFAULT_SESSION_DOCUMENT}`,
      }),
    ).toBe(false);
  });

  it("allows only reads: every allowed action is on a short, named list", () => {
    const allowed = allowedActions(inline);
    expect([...new Set(allowed)].sort()).toEqual(["kms:Decrypt", "s3:GetObject", "s3:ListBucket"]);
  });

  it("keeps the bootstrap state, RDS logs and Performance Insights SQL out of reach", () => {
    expect(decide(effective, "s3:GetObject", `${bucketArn}/bootstrap/bootstrap-test.tfstate`)).toBe(
      "deny",
    );
    expect(
      decide(
        effective,
        "logs:GetLogEvents",
        `arn:aws:logs:us-east-1:${account}:log-group:/aws/rds/instance/pgforks-test/postgresql:log-stream:x`,
      ),
    ).toBe("deny");
    expect(
      decide(effective, "rds:DownloadDBLogFilePortion", `arn:aws:rds:us-east-1:${account}:db:x`),
    ).toBe("deny");
  });
});

describe("tenants plan role (main, protected environment): read-only plus lock files, secrets, tunnel", () => {
  const inline = inlinePolicies("-terraform-tenants-plan");
  const state = (key: string) => `${bucketArn}/pgforks/test/${key}`;

  it("has ReadOnlyAccess as its only managed policy and short sessions", () => {
    expect(attachedPolicies("-terraform-tenants-plan")).toEqual([
      "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ]);
    expect(stack.role("-terraform-tenants-plan").max_session_duration).toBe(
      PLAN_ROLE_MAX_SESSION_SECONDS,
    );
  });

  it("starts and stops only the bastion", () => {
    for (const action of ["ec2:StartInstances", "ec2:StopInstances"]) {
      expect(
        decideInContext(inline, action, BASTION_ARN, {
          "aws:ResourceTag/Name": "pgforks-test-bastion",
        }),
      ).toBe("allow");
      expect(
        decideInContext(inline, action, BASTION_ARN, {
          "aws:ResourceTag/Name": "pgforks-test-web",
        }),
      ).toBe("implicit-deny");
      expect(decideInContext(inline, action, BASTION_ARN, {})).toBe("implicit-deny");
    }
    expect(
      decideInContext(inline, "ec2:TerminateInstances", BASTION_ARN, {
        "aws:ResourceTag/Name": "pgforks-test-bastion",
      }),
    ).toBe("implicit-deny");
  });

  it("reads the environment's state and creates/deletes only its lock files", () => {
    expect(decide(inline, "s3:GetObject", state("test-platform.tfstate"))).toBe("allow");
    expect(decide(inline, "s3:ListBucket", bucketArn)).toBe("allow");
    for (const action of ["s3:PutObject", "s3:DeleteObject"]) {
      expect(decide(inline, action, state("test-platform.tfstate.tflock"))).toBe("allow");
      expect(decide(inline, action, state("test-tenants.tfstate.tflock"))).toBe("allow");
      // The state itself, other objects and other prefixes: explicitly denied.
      expect(decide(inline, action, state("test-platform.tfstate"))).toBe("deny");
      expect(decide(inline, action, `${bucketArn}/bootstrap/bootstrap-test.tfstate`)).toBe("deny");
      expect(decide(inline, action, `${bucketArn}/other/x.tfstate.tflock`)).toBe("deny");
    }
    expect(decide(inline, "s3:DeleteObjectVersion", state("test-platform.tfstate"))).toBe("deny");
  });

  it("reads its environment's state objects and no other S3 object, despite ReadOnlyAccess", () => {
    const effective = [READ_ONLY_ACCESS_EXCERPT, ...inline];
    expectNoObjectReads(effective, FOREIGN_OBJECTS);
    // Both stacks' state (terraform_remote_state reads the platform's) and their lock files.
    for (const key of [
      "test-platform.tfstate",
      "test-tenants.tfstate",
      "test-tenants.tfstate.tflock",
    ]) {
      expect([key, decide(effective, "s3:GetObject", state(key))]).toEqual([key, "allow"]);
    }
    expect(OBJECT_READ_ACTIONS).toEqual(["s3:GetObject*", "s3-object-lambda:GetObject*"]);
  });

  it("cannot read the bootstrap state, although ReadOnlyAccess grants s3:Get* on every bucket", () => {
    const effective = [READ_ONLY_ACCESS_EXCERPT, ...inline];
    const bootstrapState = `${bucketArn}/bootstrap/bootstrap-test.tfstate`;
    for (const action of ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes"]) {
      expect([action, decide(effective, action, bootstrapState)]).toEqual([action, "deny"]);
    }
    // The environment's own state stays readable.
    expect(decide(effective, "s3:GetObject", state("test-platform.tfstate"))).toBe("allow");
  });

  it("cannot read RDS log events (they hold CREATE/ALTER ROLE ... PASSWORD), in any region", () => {
    const effective = [READ_ONLY_ACCESS_EXCERPT, ...inline];
    const logs = (region: string, group: string) =>
      `arn:aws:logs:${region}:${account}:log-group:${group}`;
    // RDS names the group /aws/rds/instance/<identifier>/postgresql (RDS User Guide).
    const postgresql = logs("us-east-1", "/aws/rds/instance/pgforks-test/postgresql");
    const groups = [
      postgresql,
      logs("eu-west-1", "/aws/rds/instance/pgforks-prod/postgresql"),
      logs("us-east-1", "/aws/rds/proxy/pgforks-test"),
    ];
    for (const action of LOG_CONTENT_READ_ACTIONS) {
      for (const group of groups) {
        expect([action, group, decide(effective, action, group)]).toEqual([action, group, "deny"]);
      }
    }
    const stream = `${postgresql}:log-stream:pgforks-test.0`;
    expect(decide(effective, "logs:GetLogEvents", stream)).toBe("deny");
    // Everything ReadOnlyAccess grants that returns log events is on the denied list.
    expect([...LOG_CONTENT_READ_ACTIONS].sort()).toEqual(
      [
        "logs:FilterLogEvents",
        "logs:GetLogEvents",
        "logs:GetLogRecord",
        "logs:GetQueryResults",
        "logs:StartLiveTail",
        "logs:StartQuery",
      ].sort(),
    );
    // Metadata a plan refreshes stays readable, and other log groups are untouched.
    expect(decide(effective, "logs:DescribeLogGroups", postgresql)).toBe("allow");
    expect(
      decide(
        effective,
        "logs:GetLogEvents",
        `${logs("us-east-1", "/pgforks/flow-logs")}:log-stream:x`,
      ),
    ).toBe("allow");
  });

  it("cannot download the instances' own log files nor read Performance Insights SQL, in any region", () => {
    const effective = [READ_ONLY_ACCESS_EXCERPT, ...inline];
    // RDS keeps the postgresql log files on the instance too (DownloadDBLogFilePortion, and the
    // REST-only DownloadCompleteDBLogFile), authorized on the `db` resource (Service Authorization
    // Reference, Amazon RDS). Another environment's instance in the same account counts too.
    const instances = [
      `arn:aws:rds:us-east-1:${account}:db:pgforks-test`,
      `arn:aws:rds:eu-west-1:${account}:db:pgforks-prod`,
      `arn:aws:rds:us-east-1:${account}:db:pgforks-test-replica-1`,
    ];
    for (const action of DB_LOG_FILE_READ_ACTIONS) {
      for (const db of instances) {
        expect([action, db, decide(effective, action, db)]).toEqual([action, db, "deny"]);
      }
    }
    expect([...DB_LOG_FILE_READ_ACTIONS].sort()).toEqual([
      "rds:DownloadCompleteDBLogFile",
      "rds:DownloadDBLogFilePortion",
    ]);
    // Performance Insights samples running statements (an ALTER ROLE ... PASSWORD among them);
    // its metric-resource ARN names the instance's DbiResourceId (RDS User Guide example).
    const metrics = [
      `arn:aws:pi:us-east-1:${account}:metrics/rds/db-ABC1DEFGHIJKL2MNOPQRSTUV3W`,
      `arn:aws:pi:eu-west-1:${account}:metrics/rds/db-ABC1DEFGHIJKL2MNOPQRSTUV3W`,
    ];
    for (const action of PERFORMANCE_INSIGHTS_SQL_READ_ACTIONS) {
      for (const metric of metrics) {
        expect([action, metric, decide(effective, action, metric)]).toEqual([
          action,
          metric,
          "deny",
        ]);
      }
    }
    expect([...PERFORMANCE_INSIGHTS_SQL_READ_ACTIONS].sort()).toEqual([
      "pi:DescribeDimensionKeys",
      "pi:GetDimensionKeyDetails",
      "pi:GetResourceMetrics",
    ]);
    // What a plan refreshes stays readable: the instance, the names of its log files, PI metadata.
    expect(decide(effective, "rds:DescribeDBInstances", instances[0] ?? "")).toBe("allow");
    expect(decide(effective, "rds:DescribeDBLogFiles", instances[0] ?? "")).toBe("allow");
    expect(decide(effective, "pi:GetResourceMetadata", metrics[0] ?? "")).toBe("allow");
  });

  it("uses the state key for decrypt and data keys only", () => {
    const statement = inline.flatMap((d) => d.Statement).find((s) => s.Sid === "UseStateKey");
    const key = String(statement?.Resource);
    expect(statement?.Action).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
    expect(String(statement?.Resource)).toMatch(/^\$\{aws_kms_key\.state-key_[A-Z0-9]+\.arn\}$/);
    expect(decide(inline, "kms:Encrypt", key)).toBe("implicit-deny");
    expect(decide(inline, "kms:ScheduleKeyDeletion", key)).toBe("implicit-deny");
  });

  it("reads only the RDS master secret and the environment's tenant secrets", () => {
    const secret = (name: string) => `arn:aws:secretsmanager:us-east-1:${account}:secret:${name}`;
    expect(decide(inline, "secretsmanager:GetSecretValue", secret("rds!db-1234-abcd-AbCdEf"))).toBe(
      "allow",
    );
    expect(
      decide(
        inline,
        "secretsmanager:GetSecretValue",
        secret("pgforks-test/tenants/fintech-AbCdEf"),
      ),
    ).toBe("allow");
    for (const other of [
      secret("pgforks-prod/tenants/fintech-AbCdEf"),
      secret("payments/api-key"),
      `arn:aws:secretsmanager:eu-west-1:${account}:secret:rds!db-1`,
    ]) {
      expect([other, decide(inline, "secretsmanager:GetSecretValue", other)]).toEqual([
        other,
        "implicit-deny",
      ]);
    }
  });

  it("decrypts secrets only through Secrets Manager and only with the platform key", () => {
    const statement = inline
      .flatMap((d) => d.Statement)
      .find((s) => s.Sid === "DecryptDatabaseSecretsThroughSecretsManager");
    expect(statement?.Condition).toEqual({
      StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" },
      "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/pgforks-test" },
    });
  });

  it("opens the tunnel only to the bastion, only with the port-forwarding document", () => {
    const statements = inline
      .flatMap((d) => d.Statement)
      .filter((s) => [s.Action].flat().includes("ssm:StartSession"));
    expect(statements.map((s) => [s.Resource, s.Condition])).toEqual([
      [
        `arn:aws:ec2:us-east-1:${account}:instance/*`,
        {
          StringEquals: { "ssm:resourceTag/Name": "pgforks-test-bastion" },
          BoolIfExists: { "ssm:SessionDocumentAccessCheck": "true" },
        },
      ],
      ["arn:aws:ssm:us-east-1::document/AWS-StartPortForwardingSessionToRemoteHost", undefined],
    ]);
    // Without the tag condition no instance is reachable; shell documents never are.
    expect(
      decide(inline, "ssm:StartSession", `arn:aws:ec2:us-east-1:${account}:instance/i-0abc`),
    ).toBe("implicit-deny");
    expect(
      decide(
        inline,
        "ssm:StartSession",
        "arn:aws:ssm:us-east-1::document/SSM-SessionManagerRunShell",
      ),
    ).toBe("implicit-deny");
    expect(decide(inline, "ssm:SendCommand", "*")).toBe("implicit-deny");
  });

  it("refuses a start-session that names no document (the default shell) on the bastion", () => {
    const bastion = {
      instanceArn: `arn:aws:ec2:us-east-1:${account}:instance/i-0abc`,
      instanceTags: { Name: "pgforks-test-bastion" },
      defaultDocumentArn: `arn:aws:ssm:us-east-1:${account}:document/${DEFAULT_SESSION_DOCUMENT}`,
    };
    const documents = [READ_ONLY_ACCESS_EXCERPT, ...inline];
    // `aws ssm start-session --target <bastion>`: Session Manager would run SSM-SessionManagerRunShell.
    expect(startSessionAllowed(documents, bastion)).toBe(false);
    expect(
      startSessionAllowed(documents, { ...bastion, documentArn: bastion.defaultDocumentArn }),
    ).toBe(false);
    // The tunnel the workflows open still works, and only on the bastion.
    const portForwarding =
      "arn:aws:ssm:us-east-1::document/AWS-StartPortForwardingSessionToRemoteHost";
    expect(startSessionAllowed(documents, { ...bastion, documentArn: portForwarding })).toBe(true);
    expect(
      startSessionAllowed(documents, {
        ...bastion,
        instanceTags: { Name: "pgforks-test-web" },
        documentArn: portForwarding,
      }),
    ).toBe(false);
  });

  it("grants no write outside lock files: every allowed action is on a short, named list", () => {
    const allowed = allowedActions(inline);
    expect([...new Set(allowed)].sort()).toEqual([
      "ec2:StartInstances",
      "ec2:StopInstances",
      "kms:Decrypt",
      "kms:GenerateDataKey",
      "s3:DeleteObject",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:PutObject",
      "secretsmanager:GetRandomPassword",
      "secretsmanager:GetSecretValue",
      "ssm:ResumeSession",
      "ssm:StartSession",
      "ssm:TerminateSession",
    ]);
    expect(allowed.some((a) => a.includes("*"))).toBe(false);
    for (const action of [
      "iam:PassRole",
      "ec2:TerminateInstances",
      "ec2:RunInstances",
      "rds:ModifyDBInstance",
      "sts:AssumeRole",
    ]) {
      expect(decide(inline, action, "*", true)).toBe("implicit-deny");
    }
  });

  it("ends only its own SSM sessions", () => {
    expect(
      decide(
        inline,
        "ssm:TerminateSession",
        `arn:aws:ssm:us-east-1:${account}:session/pgforks-ci-0a1b2c`,
      ),
    ).toBe("allow");
    expect(
      decide(
        inline,
        "ssm:TerminateSession",
        `arn:aws:ssm:us-east-1:${account}:session/alice-0a1b2c`,
      ),
    ).toBe("implicit-deny");
  });
});

describe("apply role: administrator, capped by a boundary", () => {
  const role = stack.role("-terraform-apply");
  const policyNamed = (name: string) => {
    const found = stack.all("aws_iam_policy").find((p) => p.name === name);
    if (!found) throw new Error(`no aws_iam_policy ${name}`);
    return found;
  };
  const boundaryPolicy = policyNamed("pgforks-test-terraform-apply-boundary");
  const boundary = parsePolicy(boundaryPolicy.policy);
  const workloadBoundary = `arn:aws:iam::${account}:policy/pgforks-test-workload-boundary`;
  const planRoleArn = `arn:aws:iam::${account}:role/pgforks-test-terraform-plan`;
  const tenantsPlanRoleArn = `arn:aws:iam::${account}:role/pgforks-test-terraform-tenants-plan`;
  const applyRoleArn = `arn:aws:iam::${account}:role/pgforks-test-terraform-apply`;

  it("gets AdministratorAccess, the boundary, and sessions long enough for an RDS update", () => {
    expect(attachedPolicies("-terraform-apply")).toEqual([
      "arn:aws:iam::aws:policy/AdministratorAccess",
    ]);
    expect(String(role.permissions_boundary)).toMatch(
      /^\$\{aws_iam_policy\.apply-role_boundary_[A-Z0-9]+\.arn\}$/,
    );
    expect(boundaryPolicy.name).toBe("pgforks-test-terraform-apply-boundary");
    expect(role.max_session_duration).toBe(APPLY_ROLE_MAX_SESSION_SECONDS);
    expect(APPLY_ROLE_MAX_SESSION_SECONDS).toBeGreaterThan(80 * 60); // aws_db_instance update timeout
  });

  it("can manage what the stacks manage", () => {
    for (const action of [
      "ec2:RunInstances",
      "rds:ModifyDBInstance",
      "iam:CreateRole",
      "kms:CreateKey",
      "secretsmanager:PutSecretValue",
      "logs:CreateLogGroup",
      "cloudwatch:PutMetricAlarm",
      "sns:CreateTopic",
      "ssm:StartSession",
    ]) {
      expect([action, decide([boundary], action, "arn:aws:x:us-east-1:1:thing")]).toEqual([
        action,
        "allow",
      ]);
    }
    expect(
      decide([boundary], "s3:PutObject", `${bucketArn}/pgforks/test/test-platform.tfstate`),
    ).toBe("allow");
    // iam:PassRole only for the stacks' roles (see "hands over ... only the stacks' own roles").
    expect(
      decide([boundary], "iam:PassRole", `arn:aws:iam::${account}:role/pgforks-test-bastion`),
    ).toBe("allow");
  });

  it("cannot leave the stacks' services, assume other roles, or mint long-lived credentials", () => {
    for (const action of [
      "sts:AssumeRole",
      "lambda:CreateFunction",
      "organizations:LeaveOrganization",
    ]) {
      expect([action, decide([boundary], action, "*")]).toEqual([action, "implicit-deny"]);
    }
    for (const action of [
      "iam:CreateUser",
      "iam:CreateAccessKey",
      "iam:CreateOpenIDConnectProvider",
    ]) {
      expect([action, decide([boundary], action, "*")]).toEqual([action, "deny"]);
    }
    expect(Object.keys(APPLY_BOUNDARY_SERVICES)).not.toContain("sts");
  });

  it("cannot weaken the state bucket, erase state history or touch the bootstrap state", () => {
    for (const action of ["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:PutBucketVersioning"]) {
      expect([action, decide([boundary], action, bucketArn)]).toEqual([action, "deny"]);
    }
    expect(
      decide([boundary], "s3:DeleteObjectVersion", `${bucketArn}/pgforks/test/x.tfstate`),
    ).toBe("deny");
    expect(
      decide([boundary], "s3:PutObject", `${bucketArn}/bootstrap/bootstrap-test.tfstate`),
    ).toBe("deny");
  });

  it("cannot change the CI roles, the boundary or the OIDC provider", () => {
    const identities = [
      applyRoleArn,
      planRoleArn,
      tenantsPlanRoleArn,
      `arn:aws:iam::${account}:policy/pgforks-test-terraform-apply-boundary`,
      workloadBoundary,
    ];
    for (const arn of identities) {
      for (const action of CI_IDENTITY_MUTATIONS) {
        expect([arn, action, decide([boundary], action, arn)]).toEqual([arn, action, "deny"]);
      }
    }
    const protectedArns = boundary.Statement.find((s) => s.Sid === "KeepCiIdentities")?.Resource;
    expect(protectedArns).toContain(
      `\${aws_iam_openid_connect_provider.${GITHUB_OIDC_LOGICAL_ID}.arn}`,
    );
    // Other roles (the platform's service roles) stay manageable, when they carry the workload boundary.
    expect(
      decideInContext(
        [boundary],
        "iam:PutRolePolicy",
        `arn:aws:iam::${account}:role/pgforks-test-bastion`,
        {
          "iam:PermissionsBoundary": workloadBoundary,
        },
      ),
    ).toBe("allow");
  });

  it("creates or widens a role only when it carries the workload boundary", () => {
    const role = `arn:aws:iam::${account}:role/pgforks-test-bastion`;
    for (const action of BOUNDED_ROLE_ACTIONS) {
      const withBoundary = { "iam:PermissionsBoundary": workloadBoundary };
      expect([action, decideInContext([boundary], action, role, withBoundary)]).toEqual([
        action,
        "allow",
      ]);
      // No boundary, or another one (the apply role's own, which allows iam:*): denied.
      const contexts: Array<Readonly<Record<string, string>>> = [
        {},
        {
          "iam:PermissionsBoundary": `arn:aws:iam::${account}:policy/pgforks-test-terraform-apply-boundary`,
        },
        { "iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess" },
      ];
      for (const context of contexts) {
        expect([action, context, decideInContext([boundary], action, role, context)]).toEqual([
          action,
          context,
          "deny",
        ]);
      }
    }
    expect([...BOUNDED_ROLE_ACTIONS]).toEqual(
      expect.arrayContaining(["iam:CreateRole", "iam:PutRolePermissionsBoundary"]),
    );
    // No boundary can be removed from any role, whatever the context.
    expect(
      decideInContext([boundary], "iam:DeleteRolePermissionsBoundary", role, {
        "iam:PermissionsBoundary": workloadBoundary,
      }),
    ).toBe("deny");
  });

  it("hands over (new trust, passed to a service) only the stacks' own roles", () => {
    // Roles the account may hold besides the stacks': an Organizations member account's
    // administrator role, and any other team's role. With iam:UpdateAssumeRolePolicy the apply role
    // could make one assumable by a workflow of any repository (the account's GitHub OIDC
    // provider), or pass it to an instance it launches: an exit from its own boundary.
    const foreign = [
      `arn:aws:iam::${account}:role/OrganizationAccountAccessRole`,
      `arn:aws:iam::${account}:role/admin`,
      `arn:aws:iam::${account}:role/pgforks-other-bastion`,
      `arn:aws:iam::${account}:role/service-role/pgforks-test-bastion`,
    ];
    for (const action of ROLE_HANDOVER_ACTIONS) {
      for (const arn of foreign) {
        // Worst case for the caller: every condition of an Allow holds.
        expect([action, arn, decide([boundary], action, arn, true)]).toEqual([action, arn, "deny"]);
      }
      const own = `arn:aws:iam::${account}:role/pgforks-test-rds-monitoring`;
      expect([action, decide([boundary], action, own)]).toEqual([action, "allow"]);
    }
    // The CI roles match the pattern, but their trust stays unchangeable.
    expect(decide([boundary], "iam:UpdateAssumeRolePolicy", applyRoleArn)).toBe("deny");
  });

  it("runs no command on an instance, and opens sessions and changes attributes only on the bastion", () => {
    // Any SSM-managed instance of the account runs as its own role: a command, an automation, an
    // association, a maintenance window task or a session on it would act outside this boundary.
    for (const action of SSM_COMMAND_ACTIONS) {
      expect([action, decide([boundary], action, "*", true)]).toEqual([action, "deny"]);
    }
    const instance = `arn:aws:ec2:us-east-1:${account}:instance/i-0abc`;
    const cases: Array<[string, string, Readonly<Record<string, string>>, string]> = [
      ["ssm:StartSession", instance, { "ssm:resourceTag/Name": "pgforks-test-bastion" }, "allow"],
      ["ssm:StartSession", instance, { "ssm:resourceTag/Name": "payments-worker" }, "deny"],
      ["ssm:StartSession", instance, {}, "deny"],
      // The session document is no instance: the tunnel's document stays allowed.
      ["ssm:StartSession", PORT_FORWARDING, {}, "allow"],
      [
        "ec2:ModifyInstanceAttribute",
        instance,
        { "ec2:ResourceTag/Name": "pgforks-test-bastion" },
        "allow",
      ],
      ["ec2:ModifyInstanceAttribute", instance, { "ec2:ResourceTag/Name": "legacy-app" }, "deny"],
      ["ec2:ModifyInstanceAttribute", instance, {}, "deny"],
    ];
    for (const [action, resource, context, expected] of cases) {
      expect([action, context, decideInContext([boundary], action, resource, context)]).toEqual([
        action,
        context,
        expected,
      ]);
    }
  });

  it("creates the workload boundary under the name the platform stacks derive from config", () => {
    const policy = policyNamed("pgforks-test-workload-boundary");
    expect(workloadBoundaryArn(stack.environment)).toBe(workloadBoundary);
    const document = parsePolicy(policy.policy);
    expect(document.Statement.flatMap((s) => [s.Action ?? []].flat()).sort()).toEqual(
      [...WORKLOAD_BOUNDARY_ACTIONS].sort(),
    );
    for (const action of [
      "iam:CreateRole",
      "sts:AssumeRole",
      "ec2:RunInstances",
      "rds:DeleteDBInstance",
    ]) {
      expect([action, decide([document], action, "*")]).toEqual([action, "implicit-deny"]);
    }
  });

  it("cannot delete, disable or re-point the state key", () => {
    const keyStatement = boundary.Statement.find((s) => s.Sid === "KeepStateKey");
    expect(keyStatement?.Effect).toBe("Deny");
    expect(keyStatement?.Action).toEqual(
      expect.arrayContaining(["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"]),
    );
    expect(keyStatement?.Resource).toContain(
      `arn:aws:kms:us-east-1:${account}:alias/pgforks-tfstate`,
    );
  });
});

describe("state bucket and key", () => {
  it("versions the bucket, encrypts it with the state key and blocks all public access", () => {
    expect(stack.one("aws_s3_bucket")).toMatchObject({
      bucket,
      force_destroy: false,
      lifecycle: { prevent_destroy: true },
    });
    expect(stack.one("aws_s3_bucket_versioning").versioning_configuration).toEqual({
      status: "Enabled",
    });
    const sse = stack.one("aws_s3_bucket_server_side_encryption_configuration").rule as Array<
      Record<string, unknown>
    >;
    expect(sse).toEqual([
      {
        apply_server_side_encryption_by_default: {
          sse_algorithm: "aws:kms",
          kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\.state-key_[A-Z0-9]+\.arn\}$/),
        },
        bucket_key_enabled: true,
      },
    ]);
    expect(stack.one("aws_s3_bucket_public_access_block")).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(stack.one("aws_s3_bucket_ownership_controls").rule).toEqual({
      object_ownership: "BucketOwnerEnforced",
    });
  });

  it("refuses plain HTTP for every request", () => {
    const policy = parsePolicy(stack.one("aws_s3_bucket_policy").policy);
    expect(policy.Statement).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });

  it("expires superseded state versions but always keeps the newest ones", () => {
    const lifecycle = stack.one("aws_s3_bucket_lifecycle_configuration");
    expect(lifecycle.rule).toEqual([
      expect.objectContaining({
        status: "Enabled",
        noncurrent_version_expiration: [
          {
            noncurrent_days: NONCURRENT_STATE_VERSION_DAYS,
            newer_noncurrent_versions: NEWER_NONCURRENT_VERSIONS_KEPT,
          },
        ],
        abort_incomplete_multipart_upload: [
          { days_after_initiation: ABORT_INCOMPLETE_MULTIPART_DAYS },
        ],
      }),
    ]);
    expect(NEWER_NONCURRENT_VERSIONS_KEPT).toBeLessThanOrEqual(100); // S3 API limit
    expect(lifecycle.depends_on).toEqual([
      expect.stringMatching(/^aws_s3_bucket_versioning\.state-bucket_versioning_/),
    ]);
  });

  it("protects the key: rotation, longest deletion window, prevent_destroy, alias from config", () => {
    expect(stack.one("aws_kms_key")).toMatchObject({
      enable_key_rotation: true,
      deletion_window_in_days: KMS_DELETION_WINDOW_DAYS.max,
      lifecycle: { prevent_destroy: true },
    });
    expect(stack.one("aws_kms_alias").name).toBe("alias/pgforks-tfstate");
    expect(synthBootstrap({ project: "acme" }).one("aws_kms_alias").name).toBe(
      "alias/acme-tfstate",
    );
  });
});

describe("the bootstrap stack", () => {
  it("keeps its own state under bootstrap/ in the bucket it creates, with native locking", () => {
    expect(stack.json.terraform.backend.s3).toEqual({
      bucket,
      key: "bootstrap/bootstrap-test.tfstate",
      region: "us-east-1",
      encrypt: true,
      kms_key_id: "alias/pgforks-tfstate",
      use_lockfile: true,
    });
  });

  it("creates the GitHub OIDC provider without a pinned thumbprint", () => {
    const provider = stack.one("aws_iam_openid_connect_provider");
    expect(provider).toMatchObject({
      url: "https://token.actions.githubusercontent.com",
      client_id_list: ["sts.amazonaws.com"],
    });
    expect(provider).not.toHaveProperty("thumbprint_list");
  });

  it("creates the bucket and key in the state region, pinned to the account", () => {
    const moved = synthBootstrap({ stateBackend: { region: "eu-west-1" } });
    expect(moved.json.provider.aws[0]).toMatchObject({
      region: "eu-west-1",
      allowed_account_ids: [account],
    });
    // The tunnel and secrets stay in the environment's region.
    const inline = moved.all("aws_iam_role_policy").map((p) => parsePolicy(p.policy));
    expect(JSON.stringify(inline)).toContain(`arn:aws:ec2:us-east-1:${account}:instance/*`);
  });

  // environment.yaml's validation (@pgforks/config) refuses these before any stack is built.
  it("refuses a stateBackend.kmsKeyId other than the key it creates", () => {
    expect(() => synthBootstrap({ stateBackend: { kmsKeyId: "alias/somewhere-else" } })).toThrow(
      /"kmsKeyId"[\s\S]*must be alias\/pgforks-tfstate \(or its alias ARN\)/,
    );
    expect(() =>
      synthBootstrap({
        stateBackend: { kmsKeyId: `arn:aws:kms:us-east-1:${account}:alias/pgforks-tfstate` },
      }),
    ).not.toThrow();
    expect(() =>
      synthBootstrap({ stateBackend: { kmsKeyId: "alias/pgforks-tfstate" } }),
    ).not.toThrow();
  });

  it("refuses a state key prefix inside the bootstrap prefix", () => {
    expect(() => synthBootstrap({ stateBackend: { keyPrefix: "bootstrap/dev" } })).toThrow(
      /"keyPrefix"[\s\S]*lies under \\"bootstrap\/\\"/,
    );
  });
});

describe("no role reachable from a pull request or an unprotected branch reaches the database or changes anything", () => {
  const untrusted = [
    `repo:${REPO}:pull_request`,
    `repo:${REPO}:ref:refs/heads/feature/add-tenant`,
    `repo:${REPO}:ref:refs/heads/main-copy`,
    `repo:${REPO}:ref:refs/tags/v1.0.0`,
  ];
  const roleEntries = Object.entries(stack.json.resource.aws_iam_role ?? {});
  const reachable = roleEntries.filter(([, role]) =>
    untrusted.some((sub) => trustAllowsSubject(parsePolicy(role.assume_role_policy), sub)),
  );

  it("finds exactly the platform plan role reachable (the others are main/environment only)", () => {
    expect(reachable.map(([, role]) => role.name)).toEqual(["pgforks-test-terraform-plan"]);
    expect(roleEntries.length).toBeGreaterThanOrEqual(3);
  });

  it.each(untrusted)("%s: no secret, no session, no bastion start, no write", (sub) => {
    for (const [name, role] of roleEntries) {
      if (!trustAllowsSubject(parsePolicy(role.assume_role_policy), sub)) continue;
      // Managed policies: ReadOnlyAccess only (no write, no GetSecretValue, no StartSession).
      const managed = stack
        .all("aws_iam_role_policy_attachment")
        .filter((a) => a.role === `\${aws_iam_role.${name}.name}`)
        .map((a) => String(a.policy_arn));
      expect([name, managed]).toEqual([name, ["arn:aws:iam::aws:policy/ReadOnlyAccess"]]);
      const inline = stack
        .all("aws_iam_role_policy")
        .filter((p) => p.role === `\${aws_iam_role.${name}.id}`)
        .map((p) => parsePolicy(p.policy));
      const documents = [READ_ONLY_ACCESS_EXCERPT, ...inline];
      const checks: Array<[string, string]> = [
        ...DATABASE_SECRETS.map((arn): [string, string] => ["secretsmanager:GetSecretValue", arn]),
        ["ssm:StartSession", BASTION_ARN],
        ["ssm:StartSession", PORT_FORWARDING],
        ["ec2:StartInstances", BASTION_ARN],
        ["ec2-instance-connect:OpenTunnel", "*"],
        ["s3:PutObject", `${bucketArn}/pgforks/test/test-platform.tfstate`],
        ["s3:PutObject", `${bucketArn}/pgforks/test/test-tenants.tfstate.tflock`],
        ["ec2:RunInstances", "*"],
        ["rds:ModifyDBInstance", `arn:aws:rds:us-east-1:${account}:db:pgforks-test`],
        ["iam:CreateRole", "*"],
        ["sts:AssumeRole", "*"],
      ];
      for (const [action, resource] of checks) {
        // Conditions assumed to hold: the worst case for the caller.
        expect([name, action, decide(documents, action, resource, true)]).not.toEqual([
          name,
          action,
          "allow",
        ]);
      }
    }
  });
});

describe("the platform stacks' roles carry the boundary the apply role requires", () => {
  const boundaryOf = (environment: Parameters<typeof workloadBoundaryArn>[0]) =>
    parsePolicy(
      synthBootstrap({
        name: environment.name,
        account: environment.account,
      })
        .all("aws_iam_policy")
        .find((p) => String(p.name).endsWith("-terraform-apply-boundary"))?.policy,
    );

  it.each(loadEnvironments(["dev", "staging", "prod"]).map((l) => [l.name, l] as const))(
    "%s-platform: every aws_iam_role may be created by the apply role",
    (_name, loaded) => {
      const app = Testing.app();
      const platform = new PlatformStack(app, `${loaded.name}-platform`, { loaded });
      const json = JSON.parse(Testing.synth(platform)) as {
        resource: Record<string, Record<string, Record<string, unknown>>>;
      };
      const roles = Object.values(json.resource.aws_iam_role ?? {});
      expect(roles.length).toBeGreaterThanOrEqual(3); // flow logs, monitoring, bastion (+ proxy)
      const boundary = boundaryOf(loaded.environment);
      for (const role of roles) {
        const arn = `arn:aws:iam::${loaded.environment.account}:role/${String(role.name)}`;
        const context = { "iam:PermissionsBoundary": String(role.permissions_boundary) };
        // Created and widened with the workload boundary; its trust written and the role passed
        // to its service (RDS monitoring, flow logs, the bastion's instance profile, RDS Proxy).
        for (const action of [...BOUNDED_ROLE_ACTIONS, ...ROLE_HANDOVER_ACTIONS]) {
          expect([role.name, action, decideInContext([boundary], action, arn, context)]).toEqual([
            role.name,
            action,
            "allow",
          ]);
        }
      }
    },
  );
});
