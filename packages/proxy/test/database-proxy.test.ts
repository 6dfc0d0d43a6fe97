import { DbProxy } from "@cdktf/provider-aws/lib/db-proxy";
import { DbProxyDefaultTargetGroup } from "@cdktf/provider-aws/lib/db-proxy-default-target-group";
import { DbProxyTarget } from "@cdktf/provider-aws/lib/db-proxy-target";
import { MAX_PROXY_SECRETS } from "@pgforks/config";
import { environmentFixture, synthScope } from "@pgforks/testing";
import { TerraformOutput, Testing } from "cdktf";
import {
  DatabaseProxy,
  type DatabaseProxyProps,
  type TenantSecretRef,
} from "../src/database-proxy";

const env = environmentFixture();
const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1111-2222";
const secret = (tenant: string): TenantSecretRef => ({
  tenant,
  secretArn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:pgforks-test/${tenant}-AbCdEf`,
  description: `tenant ${tenant}`,
});

const props: DatabaseProxyProps = {
  name: "pgforks-test",
  instanceIdentifier: "pgforks-test-db",
  settings: env.proxy,
  subnetIds: ["subnet-a", "subnet-b"],
  securityGroupIds: ["sg-proxy"],
  kmsKeyArn: KEY_ARN,
  region: env.region,
  // Deliberately unsorted: the auth blocks and the policy must not depend on the caller's order.
  tenantSecrets: [secret("zeta"), secret("alpha"), secret("mid")],
};

interface Synth {
  json: string;
  resources: Record<string, Record<string, Record<string, unknown>>>;
}

function synth(p: DatabaseProxyProps = props): Synth {
  const { json, resource } = synthScope((scope) => {
    new DatabaseProxy(scope, "proxy", p);
  });
  return { json, resources: resource };
}

function only(s: Synth, type: string): Record<string, unknown> {
  const all = Object.values(s.resources[type] ?? {});
  expect(all).toHaveLength(1);
  return all[0] as Record<string, unknown>;
}

function onlyName(s: Synth, type: string): string {
  const names = Object.keys(s.resources[type] ?? {});
  expect(names).toHaveLength(1);
  return names[0] as string;
}

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: { Service?: string };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

describe("DatabaseProxy", () => {
  it("is a PostgreSQL proxy that requires TLS, logs no SQL and takes the idle timeout from settings", () => {
    const settings = { ...env.proxy, idleClientTimeoutSeconds: 900 };
    const s = synth({ ...props, settings });
    expect(s.json).toHaveResourceWithProperties(DbProxy, {
      name: "pgforks-test",
      engine_family: "POSTGRESQL",
      require_tls: true,
      debug_logging: false,
      idle_client_timeout: 900,
      vpc_subnet_ids: ["subnet-a", "subnet-b"],
      vpc_security_group_ids: ["sg-proxy"],
      role_arn: `\${aws_iam_role.${onlyName(s, "aws_iam_role")}.arn}`,
    });
  });

  it("has one SCRAM auth block per tenant secret, sorted by tenant, IAM auth disabled", () => {
    const proxy = only(synth(), "aws_db_proxy");
    expect(proxy.auth).toEqual(
      ["alpha", "mid", "zeta"].map((tenant) => ({
        auth_scheme: "SECRETS",
        client_password_auth_type: "POSTGRES_SCRAM_SHA_256",
        iam_auth: "DISABLED",
        secret_arn: secret(tenant).secretArn,
        description: `tenant ${tenant}`,
      })),
    );
  });

  it("synthesizes the same document whatever the order of the tenant secrets", () => {
    const reversed = synth({ ...props, tenantSecrets: [...props.tenantSecrets].reverse() });
    expect(reversed.json).toBe(synth().json);
  });

  it("lets only RDS assume the role", () => {
    const role = only(synth(), "aws_iam_role");
    expect(role.name).toBe("pgforks-test-rds-proxy");
    const trust = JSON.parse(role.assume_role_policy as string) as { Statement: Statement[] };
    expect(trust.Statement).toEqual([
      expect.objectContaining({
        Effect: "Allow",
        Principal: { Service: "rds.amazonaws.com" },
        Action: "sts:AssumeRole",
      }),
    ]);
  });

  it("scopes the role policy to exactly the tenant secrets and decrypting through Secrets Manager", () => {
    const s = synth();
    const rolePolicy = only(s, "aws_iam_role_policy");
    expect(rolePolicy.role).toBe(`\${aws_iam_role.${onlyName(s, "aws_iam_role")}.id}`);
    const policy = JSON.parse(rolePolicy.policy as string) as { Statement: Statement[] };
    expect(policy.Statement).toHaveLength(2);
    const [read, decrypt] = policy.Statement as [Statement, Statement];
    expect(read).toEqual({
      Sid: "ReadTenantSecrets",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: ["alpha", "mid", "zeta"].map((t) => secret(t).secretArn),
    });
    expect(decrypt).toEqual({
      Sid: "DecryptTenantSecretsThroughSecretsManager",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: KEY_ARN,
      Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
    });
  });

  it("creates the proxy only after its role can read the secrets", () => {
    const s = synth();
    const proxy = only(s, "aws_db_proxy");
    expect(proxy.depends_on).toEqual([`aws_iam_role_policy.${onlyName(s, "aws_iam_role_policy")}`]);
  });

  it("sizes the pool from the proxy settings", () => {
    const settings = {
      ...env.proxy,
      maxConnectionsPercent: 75,
      maxIdleConnectionsPercent: 30,
      connectionBorrowTimeoutSeconds: 60,
    };
    const s = synth({ ...props, settings });
    expect(s.json).toHaveResourceWithProperties(DbProxyDefaultTargetGroup, {
      db_proxy_name: `\${aws_db_proxy.${onlyName(s, "aws_db_proxy")}.name}`,
      connection_pool_config: {
        max_connections_percent: 75,
        max_idle_connections_percent: 30,
        connection_borrow_timeout: 60,
      },
    });
  });

  it("keeps half of the pool idle when no idle share is set, as RDS defaults it", () => {
    // env.proxy is environment.yaml's proxy section as loaded: maxConnectionsPercent 90, no idle share.
    expect(env.proxy.maxIdleConnectionsPercent).toBeUndefined();
    expect(only(synth(), "aws_db_proxy_default_target_group").connection_pool_config).toEqual({
      max_connections_percent: 90,
      max_idle_connections_percent: 45,
      connection_borrow_timeout: 120,
    });
    // A smaller pool no longer trips the idle-share check with a fixed default of 50.
    const small = synth({ ...props, settings: { ...env.proxy, maxConnectionsPercent: 40 } });
    expect(only(small, "aws_db_proxy_default_target_group").connection_pool_config).toMatchObject({
      max_connections_percent: 40,
      max_idle_connections_percent: 20,
    });
  });

  it("registers the instance in the default target group", () => {
    const s = synth();
    expect(s.json).toHaveResourceWithProperties(DbProxyTarget, {
      db_instance_identifier: "pgforks-test-db",
      db_proxy_name: `\${aws_db_proxy.${onlyName(s, "aws_db_proxy")}.name}`,
      target_group_name: `\${aws_db_proxy_default_target_group.${onlyName(s, "aws_db_proxy_default_target_group")}.name}`,
    });
  });

  it("exposes the endpoint, the ARN and the literal name", () => {
    let proxy: DatabaseProxy | undefined;
    const json = Testing.synthScope((scope) => {
      proxy = new DatabaseProxy(scope, "proxy", props);
      new TerraformOutput(scope, "endpoint", { value: proxy.endpoint });
      new TerraformOutput(scope, "arn", { value: proxy.arn });
    });
    const proxyName = Object.keys(JSON.parse(json).resource.aws_db_proxy)[0];
    const { output } = JSON.parse(json);
    expect(output.endpoint.value).toBe(`\${aws_db_proxy.${proxyName}.endpoint}`);
    expect(output.arn.value).toBe(`\${aws_db_proxy.${proxyName}.arn}`);
    expect(proxy?.name).toBe("pgforks-test");
    expect(proxy?.tenantSecrets.map((t) => t.tenant)).toEqual(["alpha", "mid", "zeta"]);
  });

  describe("refuses at construction", () => {
    it("zero tenant secrets", () => {
      expect(() => synth({ ...props, tenantSecrets: [] })).toThrow(
        /DatabaseProxy pgforks-test: .*at least 1 tenant secret.*there are 0/,
      );
    });

    it("more secrets than the RDS Proxy quota, naming both numbers", () => {
      const many = Array.from({ length: MAX_PROXY_SECRETS + 1 }, (_, i) => secret(`t${i}`));
      expect(() => synth({ ...props, tenantSecrets: many })).toThrow(
        /at most 200 Secrets Manager secrets.*but 201 active or suspended tenants.*1 too many/,
      );
    });

    it("accepts exactly the quota", () => {
      const max = Array.from({ length: MAX_PROXY_SECRETS }, (_, i) => secret(`t${i}`));
      const proxy = only(synth({ ...props, tenantSecrets: max }), "aws_db_proxy");
      expect(proxy.auth).toHaveLength(MAX_PROXY_SECRETS);
    });

    it("a tenant listed twice", () => {
      const twice = [secret("alpha"), secret("beta"), { ...secret("alpha"), secretArn: "arn:x" }];
      expect(() => synth({ ...props, tenantSecrets: twice })).toThrow(/"alpha" is listed twice/);
    });

    it("an idle share larger than the pool", () => {
      const settings = { ...env.proxy, maxConnectionsPercent: 40, maxIdleConnectionsPercent: 50 };
      expect(() => synth({ ...props, settings })).toThrow(
        /maxIdleConnectionsPercent \(50\) must not exceed proxy\.maxConnectionsPercent \(40\)/,
      );
    });

    it("a name RDS would reject", () => {
      for (const name of ["1pgforks", "pg--forks", "pgforks-", "a".repeat(61)]) {
        expect(() => synth({ ...props, name })).toThrow(/name .* must be 1-60 letters/);
      }
    });
  });
});
