import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLOSED_PROXY_URL, resolveTerraformBinary } from "@pgforks/terraform-harness";
import { testWhen } from "@pgforks/testing";
import type { LocalInterruptedError } from "../src/interrupted";
import { LOCAL_LOCK_NAME, takeLocalLock } from "../src/local-lock";
import {
  LocalTerraform,
  localFailureHint,
  POSTGRESQL_PROVIDER_VERSION,
  synthesizeLocalStack,
} from "../src/local-stack";

// Terraform's own words, as `npm start` printed them on a machine without the provider, and on
// one without the en_US.UTF-8 locale.
const REGISTRY_DOWN = `Initializing provider plugins...
- Finding cyrilgdn/postgresql versions matching "1.26.0"...

Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider
cyrilgdn/postgresql: could not connect to registry.terraform.io: failed to
request discovery document`;
const NO_LOCALE = `postgresql_database.tenants_database-edtech_C3585917: Creating...

Error: error creating database "edtech_dev": pq: invalid LC_COLLATE locale name: "en_US.UTF-8"`;

describe("localFailureHint", () => {
  it("points at tools/providers/install.sh when init found no mirror and no registry", () => {
    const hint = localFailureHint(REGISTRY_DOWN, false);
    expect(hint).toMatch(
      /^Fix: registry\.terraform\.io\/cyrilgdn\/postgresql 1\.26\.0 is in no provider mirror/,
    );
    expect(hint).toContain("bash tools/providers/install.sh");
    expect(hint).toContain("PGFORKS_TF_MIRROR");
  });

  it("says nothing about mirrors when a mirror was used (the failure is something else)", () => {
    expect(localFailureHint(REGISTRY_DOWN, true)).toBeUndefined();
  });

  it("names the missing locale and the restart the server needs to see it", () => {
    const hint = localFailureHint(NO_LOCALE, true);
    expect(hint).toMatch(/^Fix: the OS lacks the en_US\.UTF-8 locale/);
    expect(hint).toContain("locale-gen");
    expect(hint).toContain("npm run local -- stop and npm start");
  });

  it("adds nothing to other failures", () => {
    expect(localFailureHint('Error: role "x" already exists', false)).toBeUndefined();
  });
});

function terraformMissing(): string | undefined {
  try {
    resolveTerraformBinary();
    return undefined;
  } catch {
    return "terraform is not on PATH";
  }
}

describe("LocalTerraform on a machine without the provider", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "pgforks-local-noprovider-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  testWhen(terraformMissing())(
    "real terraform init fails with Terraform's error and, last, the fix",
    async () => {
      // No mirror anywhere Terraform or the project looks, and every registry request refused.
      const empty = join(dir, "empty");
      mkdirSync(empty);
      const cliConfig = join(dir, "terraform.rc");
      writeFileSync(cliConfig, "");
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: empty,
        XDG_DATA_HOME: empty,
        XDG_DATA_DIRS: empty,
        PGFORKS_ADD_ON_ROOT: empty,
        TF_CLI_CONFIG_FILE: cliConfig,
        HTTPS_PROXY: CLOSED_PROXY_URL,
        HTTP_PROXY: CLOSED_PROXY_URL,
        https_proxy: CLOSED_PROXY_URL,
        http_proxy: CLOSED_PROXY_URL,
      };
      const terraform = new LocalTerraform(
        join(dir, "work"),
        { adminPassword: "x", verifiers: {} },
        env,
      );
      terraform.writeConfig(
        synthesizeLocalStack({ tenants: [], port: 5432, adminRole: "admin", passwordVersions: {} }),
      );
      const failure = await terraform.init().then(
        () => new Error("terraform init succeeded"),
        (error: Error) => error,
      );
      const lines = failure.message.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^terraform init -input=false -no-color failed \(exit 1\)/);
      expect(failure.message).toContain(
        `cyrilgdn/postgresql versions matching "${POSTGRESQL_PROVIDER_VERSION}"`,
      );
      expect(lines.at(-1)).toContain("run bash tools/providers/install.sh");
    },
    60_000,
  );
});

describe("LocalTerraform interrupted between two of its runs", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "pgforks-local-interrupted-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("an apply that had not started yet is not reported as interrupted during the apply: nothing was changed", async () => {
    // ctrl-C after the plan, before the apply starts (while onPlan checks the saved plan): the
    // apply never runs. It was reported as "during terraform apply: Terraform finished the
    // changes under way and recorded them", sending the reader after changes that never were.
    const terraform = new LocalTerraform(join(dir, "work"), { adminPassword: "x", verifiers: {} });
    expect(terraform.interrupt("SIGINT")).toBeUndefined();
    const failure = await terraform
      .run(["apply", "-input=false", "-no-color", "local.tfplan"])
      .then(
        () => new Error("terraform apply ran"),
        (error: Error) => error,
      );
    expect(failure.message).toBe(
      "interrupted (SIGINT) before terraform apply: nothing was changed",
    );
    expect((failure as LocalInterruptedError).exitCode).toBe(130);
  });
});

describe("LocalTerraform under the lock of .local", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "pgforks-local-lockchild-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("records its running Terraform in the lock (which outlives a killed npm start), and forgets it when it ends", async () => {
    // A stand-in Terraform that prints its pid and what the lock says runs. The record is written
    // just after the spawn, so a child this quick may look before it is there: it waits (up to
    // 5 s; without a record it prints nothing and the test fails).
    const fake = join(dir, "terraform");
    writeFileSync(
      fake,
      [
        "#!/bin/sh",
        'echo "$$"',
        'record="$PGFORKS_TEST_LOCK/terraform.json"',
        'for i in $(seq 50); do [ -s "$record" ] && break; sleep 0.1; done',
        'cat "$record" 2>/dev/null',
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    const release = takeLocalLock(dir, "npm start");
    try {
      const terraform = new LocalTerraform(
        join(dir, "work"),
        { adminPassword: "x", verifiers: {} },
        {
          PATH: process.env.PATH,
          TERRAFORM_BINARY: fake,
          PGFORKS_TEST_LOCK: join(dir, LOCAL_LOCK_NAME),
        },
      );
      const [pid, record] = (await terraform.run(["plan"])).stdout.trim().split("\n");
      expect(JSON.parse(record ?? "{}")).toMatchObject({ pid: Number(pid) });
      expect(existsSync(join(dir, LOCAL_LOCK_NAME, "terraform.json"))).toBe(false);
    } finally {
      release();
    }
  });
});
