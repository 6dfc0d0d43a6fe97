import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  AWS_REMOVED_SETTINGS,
  assertOfflineAllowed,
  CLOSED_PROXY_URL,
  FAKE_AWS_ACCESS_KEY,
  FAKE_AWS_SECRET_KEY,
  OfflineModeRefusedError,
  offlineEnvironment,
  REAL_DEPLOY_ENV_VAR,
  rewriteForOffline,
} from "../src/offline";
import type { TerraformJson } from "../src/stacks";
import { tempDir } from "./fixture";

function synthesized(): TerraformJson {
  return {
    "//": { metadata: { backend: "s3", stackName: "prod-platform" } },
    provider: {
      aws: [
        { region: "eu-west-1", profile: "deploy", allowed_account_ids: ["123456789012"] },
        {
          alias: "us",
          region: "us-east-1",
          assume_role: [{ role_arn: "arn:aws:iam::123456789012:role/deploy" }],
        },
      ],
      postgresql: [{ host: "db" }],
    },
    data: {
      terraform_remote_state: {
        platform: {
          backend: "s3",
          config: { bucket: "state", key: "prod/platform" },
          workspace: "x",
        },
      },
    },
    resource: { aws_vpc: { vpc: { cidr_block: "10.0.0.0/16" } } },
    terraform: {
      backend: { s3: { bucket: "state", key: "prod/platform", use_lockfile: true, encrypt: true } },
      required_providers: { aws: { source: "aws", version: "5.100.0" } },
    },
  };
}

describe("rewriteForOffline", () => {
  const statePath = "/work/.harness/prod-platform/terraform.tfstate";

  it("replaces the backend with a local state file and leaves the input untouched", () => {
    const input = synthesized();
    const before = JSON.stringify(input);
    const copy = rewriteForOffline(input, { statePath });
    expect(copy.terraform).toEqual({
      backend: { local: { path: statePath } },
      required_providers: { aws: { source: "aws", version: "5.100.0" } },
    });
    expect(JSON.stringify(input)).toBe(before);
  });

  it("gives every aws provider block fake credentials, skips and no other credential source", () => {
    const copy = rewriteForOffline(synthesized(), { statePath });
    const aws = (copy.provider as { aws: Record<string, unknown>[] }).aws;
    expect(aws).toHaveLength(2);
    for (const block of aws) {
      expect(block).toMatchObject({
        access_key: FAKE_AWS_ACCESS_KEY,
        secret_key: FAKE_AWS_SECRET_KEY,
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: true,
        skip_region_validation: true,
      });
      for (const removed of AWS_REMOVED_SETTINGS) expect(block).not.toHaveProperty(removed);
    }
    expect(aws[1]).toMatchObject({ alias: "us", region: "us-east-1" });
    expect((copy.provider as { postgresql: unknown }).postgresql).toEqual([{ host: "db" }]);
  });

  it("points terraform_remote_state at local state files", () => {
    const defaulted = rewriteForOffline(synthesized(), { statePath });
    expect(
      (defaulted.data as Record<string, Record<string, unknown>>).terraform_remote_state,
    ).toEqual({
      platform: {
        backend: "local",
        config: { path: "/work/.harness/prod-platform/remote-state/platform.tfstate" },
      },
    });
    const mapped = rewriteForOffline(synthesized(), {
      statePath,
      remoteStatePath: (_name, backend, config) =>
        backend === "s3" && config.key === "prod/platform"
          ? "/elsewhere/terraform.tfstate"
          : undefined,
    });
    expect(JSON.stringify(mapped.data)).toContain('"path":"/elsewhere/terraform.tfstate"');
  });

  it("marks the copy as an offline copy", () => {
    const copy = rewriteForOffline(synthesized(), { statePath });
    expect(copy["//"]).toMatchObject({ offlineHarness: { originalBackend: "s3" } });
  });
});

describe("offlineEnvironment", () => {
  it("removes AWS and Terraform configuration variables and routes every proxy to a closed port", () => {
    const env = offlineEnvironment(
      {
        PATH: "/usr/bin",
        AWS_ACCESS_KEY_ID: "AKIA-real",
        AWS_SECRET_ACCESS_KEY: "real",
        AWS_PROFILE: "prod",
        aws_session_token: "x",
        TF_CLI_CONFIG_FILE: "/root/.terraformrc",
        TF_CLI_ARGS_plan: "-refresh=true",
        TF_VAR_password: "p",
        no_proxy: "*",
        NO_PROXY: "amazonaws.com",
        HTTPS_PROXY: "http://proxy.example:3128",
      },
      { cliConfigFile: "/w/terraform.tfrc" },
    );
    expect(Object.keys(env).filter((name) => /^aws_/i.test(name))).toEqual([]);
    expect(env).toMatchObject({
      PATH: "/usr/bin",
      TF_CLI_CONFIG_FILE: "/w/terraform.tfrc",
      HTTPS_PROXY: CLOSED_PROXY_URL,
      HTTP_PROXY: CLOSED_PROXY_URL,
      https_proxy: CLOSED_PROXY_URL,
      http_proxy: CLOSED_PROXY_URL,
      NO_PROXY: "",
      no_proxy: "",
      CHECKPOINT_DISABLE: "1",
    });
    expect(env).not.toHaveProperty("TF_CLI_ARGS_plan");
    expect(env).not.toHaveProperty("TF_VAR_password");
  });
});

describe("assertOfflineAllowed", () => {
  const root = tempDir("guard");
  const outdir = join(root, "cdktf.out");
  mkdirSync(outdir, { recursive: true });

  it("allows a work dir beside the outdir", () => {
    expect(() =>
      assertOfflineAllowed({ workDir: join(root, ".harness"), outdir, env: {} }),
    ).not.toThrow();
    expect(() =>
      assertOfflineAllowed({
        workDir: join(root, ".harness"),
        outdir,
        env: { [REAL_DEPLOY_ENV_VAR]: "0" },
      }),
    ).not.toThrow();
  });

  it("refuses a work dir inside the outdir, even one that does not exist yet", () => {
    expect(() =>
      assertOfflineAllowed({ workDir: join(outdir, "stacks", "x", "offline"), outdir, env: {} }),
    ).toThrow(OfflineModeRefusedError);
    expect(() => assertOfflineAllowed({ workDir: outdir, outdir, env: {} })).toThrow(
      /inside the synthesized outdir/,
    );
  });

  it("refuses when a real deploy is flagged", () => {
    expect(() =>
      assertOfflineAllowed({
        workDir: join(root, ".harness"),
        outdir,
        env: { [REAL_DEPLOY_ENV_VAR]: "1" },
      }),
    ).toThrow(/PGFORKS_REAL_DEPLOY=1/);
  });
});
