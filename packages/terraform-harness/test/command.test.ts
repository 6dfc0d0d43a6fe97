import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CliIo, EXIT_SETUP_ERROR, runPlan, runValidate } from "../src/command";
import { MIRROR_ENV_VAR } from "../src/mirror";
import { addUnpacked, fakeMirror, synthFixture, tempDir } from "./fixture";

function capture(env: NodeJS.ProcessEnv, cwd = process.cwd()): { io: CliIo; text: () => string } {
  const lines: string[] = [];
  return {
    io: { out: (t) => lines.push(t), err: (t) => lines.push(t), env, cwd },
    text: () => lines.join("\n"),
  };
}

// These paths stop before any Terraform process starts, so they need neither terraform nor a real mirror.
describe("setup errors of validate and plan", () => {
  const outdir = synthFixture("cmd");
  const mirrorEnv = { [MIRROR_ENV_VAR]: fakeMirror() };
  const common = { synth: false, outdir, workDir: tempDir("cmd-work") };

  it("explains a missing terraform binary", async () => {
    const { io, text } = capture({ ...mirrorEnv, PATH: tempDir("empty-path") });
    expect(await runValidate(common, io)).toBe(EXIT_SETUP_ERROR);
    expect(text()).toContain("terraform not found on PATH");
  });

  it("explains a TERRAFORM_BINARY that is not executable", async () => {
    const { io, text } = capture({ ...mirrorEnv, TERRAFORM_BINARY: "/nonexistent/terraform" });
    expect(await runValidate(common, io)).toBe(EXIT_SETUP_ERROR);
    expect(text()).toContain("TERRAFORM_BINARY=/nonexistent/terraform is not an executable file");
  });

  it("explains a missing mirror", async () => {
    const { io, text } = capture({ [MIRROR_ENV_VAR]: tempDir("no-mirror") });
    expect(await runValidate(common, io)).toBe(EXIT_SETUP_ERROR);
    expect(text()).toMatch(/PGFORKS_TF_MIRROR=.*no provider/);
  });

  it("refuses to run during a real deploy", async () => {
    const { io, text } = capture({ ...mirrorEnv, PGFORKS_REAL_DEPLOY: "1" });
    expect(await runValidate(common, io)).toBe(EXIT_SETUP_ERROR);
    expect(text()).toContain("refuses to run during a real deploy");
  });

  it("rejects unknown stacks", async () => {
    const stack = capture(mirrorEnv);
    expect(await runValidate({ ...common, stack: ["nope"] }, stack.io)).toBe(EXIT_SETUP_ERROR);
    expect(stack.text()).toContain('No stack "nope"');
  });

  it("refuses to plan a stack whose provider is unavailable offline", async () => {
    const { io, text } = capture(mirrorEnv);
    expect(await runPlan({ ...common, stack: "cmd-tenants" }, io)).toBe(EXIT_SETUP_ERROR);
    expect(text()).toContain("cmd-tenants: not validated: provider unavailable offline");
  });

  it("refuses to plan a stack that needs a live database, before Terraform asks for its passwords", async () => {
    const mirror = fakeMirror();
    addUnpacked(mirror, "registry.terraform.io/cyrilgdn/postgresql", "1.26.0");
    const { io, text } = capture({ [MIRROR_ENV_VAR]: mirror });
    expect(await runPlan({ ...common, stack: "cmd-tenants" }, io)).toBe(EXIT_SETUP_ERROR);
    expect(text()).toBe(
      "cmd-tenants: not planned offline: it needs a live database (cyrilgdn/postgresql); real applies run in @pgforks/local; validate checks it offline (npm run validate -- --stack cmd-tenants)",
    );
  });

  it("explains an outdir without synthesized stacks", async () => {
    const { io, text } = capture(mirrorEnv);
    const empty = tempDir("no-synth");
    expect(await runValidate({ synth: false, outdir: empty }, io)).toBe(EXIT_SETUP_ERROR);
    expect(text()).toContain(`${empty} holds no synthesized stacks`);
  });

  it("cannot synthesize without apps/main.ts", async () => {
    const repo = tempDir("repo");
    writeFileSync(join(repo, "package.json"), JSON.stringify({ workspaces: [] }));
    const { io, text } = capture(mirrorEnv, repo);
    expect(await runValidate({}, io)).toBe(EXIT_SETUP_ERROR);
    expect(text()).toContain(`${join(repo, "apps", "main.ts")} does not exist`);
  });
});
