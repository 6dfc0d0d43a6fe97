import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { loadEnvironments } from "@pgforks/config";
import {
  discoverProviderMirror,
  offlineEnvironment,
  type PlanResult,
  resolveTerraformBinary,
  runTerraform,
  TerraformHarness,
  type ValidateResult,
  writeCliConfig,
} from "@pgforks/terraform-harness";
import { FIRST_RUN_OVERRIDE_FILE, synthesizeBootstrap } from "../src/app";
import { deliveryNames } from "../src/names";

// Real Terraform 1.11 with hashicorp/aws 5.100.0 on the three bootstrap stacks: one synth, then
// validate + offline plan + show -json per stack (sequential: one provider process at a time).
const workDir = mkdtempSync(join(tmpdir(), "pgforks-bootstrap-test-"));
const environments = loadEnvironments(["dev", "staging", "prod"]);
const results = new Map<string, { validate: ValidateResult; plan: PlanResult }>();

beforeAll(async () => {
  const outdir = join(workDir, "cdktf.out");
  synthesizeBootstrap(environments, { outdir });
  const harness = new TerraformHarness({ outdir, workDir: join(workDir, "harness") });
  for (const loaded of environments) {
    const stack = deliveryNames(loaded.environment).bootstrapStack;
    const validate = await harness.validate(stack);
    const plan = await harness.plan(stack);
    results.set(loaded.name, { validate, plan });
  }
}, 300_000);

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function resultOf(env: string) {
  const found = results.get(env);
  if (!found) throw new Error(`no result for ${env}`);
  return found;
}

interface ResourceChange {
  type: string;
  change: {
    actions: string[];
    after: Record<string, unknown>;
    after_unknown: Record<string, unknown>;
  };
}

describe.each(["dev", "staging", "prod"])("bootstrap-%s through real Terraform", (env) => {
  it("passes terraform validate without errors or warnings", () => {
    expect(resultOf(env).validate).toMatchObject({ valid: true, errorCount: 0, warningCount: 0 });
  });

  it("plans 20 creations on an empty account and nothing else", () => {
    const { changes, plan } = resultOf(env).plan;
    expect(changes).toEqual({ add: 20, change: 0, destroy: 0, replace: 0 });
    const types = (plan.resource_changes as unknown as ResourceChange[]).map((r) => r.type).sort();
    // Two plan roles (pull requests; main) and the apply role; its boundary and the workload boundary.
    expect(types.filter((t) => t === "aws_iam_role")).toHaveLength(3);
    expect(types.filter((t) => t === "aws_iam_policy")).toHaveLength(2);
    expect(types).toContain("aws_iam_openid_connect_provider");
  });

  it("plans as many creations as apps/bootstrap/README.md's first run tells the operator", () => {
    const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
    const promised = /terraform plan -out=bootstrap\.tfplan\s+# (\d+) to add/.exec(readme)?.[1];
    expect(Number(promised)).toBe(resultOf(env).plan.changes.add);
  });

  it("names the roles exactly as the workflows assume them", () => {
    const loaded = environments.find((e) => e.name === env);
    if (!loaded) throw new Error(env);
    const names = deliveryNames(loaded.environment);
    const roles = (resultOf(env).plan.plan.resource_changes as unknown as ResourceChange[])
      .filter((r) => r.type === "aws_iam_role")
      .map((r) => r.change.after.name)
      .sort();
    expect(roles).toEqual(
      [names.applyRoleName, names.planRoleName, names.tenantsPlanRoleName].sort(),
    );
    expect(names.tenantsPlanRoleArn).toBe(
      `arn:aws:iam::${loaded.environment.account}:role/pgforks-${env}-terraform-tenants-plan`,
    );
    expect(names.planRoleArn).toBe(
      `arn:aws:iam::${loaded.environment.account}:role/pgforks-${env}-terraform-plan`,
    );
  });

  it("leaves the OIDC thumbprint to IAM (computed, not pinned)", () => {
    const oidc = (resultOf(env).plan.plan.resource_changes as unknown as ResourceChange[]).find(
      (r) => r.type === "aws_iam_openid_connect_provider",
    );
    expect(oidc?.change.after.url).toBe("https://token.actions.githubusercontent.com");
    expect(oidc?.change.after_unknown.thumbprint_list).toBe(true);
  });
});

describe("first run (local backend override)", () => {
  it("makes terraform init use a local state file outside cdktf.out, and is removed afterwards", async () => {
    const dir = join(workDir, "first-run");
    const [dev] = environments;
    if (!dev) throw new Error("no dev");
    const [stack] = synthesizeBootstrap([dev], {
      outdir: join(dir, "cdktf.out"),
      firstRun: true,
      localStateDir: dir,
    });
    if (!stack?.localStateFile) throw new Error("no first-run stack");
    const override = JSON.parse(readFileSync(join(stack.dir, FIRST_RUN_OVERRIDE_FILE), "utf8"));
    expect(override).toEqual({
      terraform: { backend: { local: { path: relative(stack.dir, stack.localStateFile) } } },
    });
    expect(stack.localStateFile).toBe(join(dir, "bootstrap-dev.tfstate"));

    // Real `terraform init`: the override replaces the S3 backend (no AWS call is possible here).
    const cliConfigFile = join(dir, "terraform.tfrc");
    writeCliConfig(cliConfigFile, { mirror: discoverProviderMirror() });
    const init = await runTerraform(
      resolveTerraformBinary(),
      ["init", "-input=false", "-no-color"],
      {
        cwd: stack.dir,
        env: offlineEnvironment(process.env, { cliConfigFile }),
      },
    );
    expect(init.exitCode).toBe(0);
    const backend = JSON.parse(
      readFileSync(join(stack.dir, ".terraform", "terraform.tfstate"), "utf8"),
    ).backend as { type: string; config: { path: string } };
    expect(backend.type).toBe("local");
    expect(backend.config.path).toBe(relative(stack.dir, stack.localStateFile));

    // The next ordinary synth removes the override, so `init -migrate-state` moves the state.
    const [again] = synthesizeBootstrap([dev], { outdir: join(dir, "cdktf.out") });
    expect(again?.removedOverride).toBe(true);
    expect(existsSync(join(stack.dir, FIRST_RUN_OVERRIDE_FILE))).toBe(false);
    expect(existsSync(join(stack.dir, ".terraform"))).toBe(true);
  }, 120_000);
});
