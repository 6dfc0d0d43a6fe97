import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadEnvironment, repoRoot } from "@pgforks/config";
import { scramSha256Verifier } from "@pgforks/postgres-server";
import { TENANT_PASSWORDS_VARIABLE, TENANT_VERIFIERS_VARIABLE } from "../src/credential-sources";

// The README's "Running against real AWS" draws the tenants stack's two ephemeral variables with
// `eval "$(npm run -s credentials -- --env prod)"` before `cdktf deploy prod-tenants`: the printed
// lines must be shell that sets exactly those variables, for every tenant that keeps a role.
const root = repoRoot();
const main = join(root, "packages", "cli", "src", "main.ts");

it("prints shell that sets both ephemeral variables, each verifier that of its password", () => {
  const script = [
    `eval "$("$0" --import tsx "$1" credentials --env prod)"`,
    `printf '%s\\n%s\\n' "$TF_VAR_${TENANT_PASSWORDS_VARIABLE}" "$TF_VAR_${TENANT_VERIFIERS_VARIABLE}"`,
  ].join("\n");
  const run = spawnSync("bash", ["-c", script, process.execPath, main], {
    cwd: root,
    encoding: "utf8",
  });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  const [passwords, verifiers] = run.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, string>) as [
    Record<string, string>,
    Record<string, string>,
  ];
  const withRoles = loadEnvironment("prod")
    .tenants.filter((t) => t.state !== "dropped")
    .map((t) => t.name);
  expect(Object.keys(passwords).sort()).toEqual([...withRoles].sort());
  expect(Object.keys(verifiers).sort()).toEqual([...withRoles].sort());
  for (const name of withRoles) {
    const password = passwords[name] as string;
    expect(password).toMatch(/^[A-Za-z0-9]{40}$/);
    const salt = /^SCRAM-SHA-256\$4096:([^$]+)\$/.exec(verifiers[name] as string)?.[1] ?? "";
    expect(scramSha256Verifier(password, Buffer.from(salt, "base64"))).toBe(verifiers[name]);
  }
}, 60_000);

it("comes before the tenants stack's deploy in the README's real-AWS steps", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const draw = readme.indexOf('eval "$(npm run -s credentials -- --env prod)"');
  expect(draw).toBeGreaterThan(-1);
  expect(readme.indexOf("npx cdktf deploy prod-tenants")).toBeGreaterThan(draw);
});

it("--help says how to use the printed lines and the exit codes", () => {
  const run = spawnSync(process.execPath, ["--import", "tsx", main, "credentials", "--help"], {
    cwd: root,
    encoding: "utf8",
  });
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('  eval "$(npm run -s credentials -- --env <env>)"');
  expect(run.stdout).toContain(`export TF_VAR_${TENANT_PASSWORDS_VARIABLE}='...'`);
  expect(run.stdout).toContain("Exit codes: 0 done, 1 usage, configuration or $GITHUB_ENV error.");
}, 60_000);
