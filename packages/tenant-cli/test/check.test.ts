import { spawnSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DATABASE_RENAMED_NOTE } from "@pgforks/tenants/footprint";
import { parseDocument, type YAMLSeq } from "yaml";
import {
  compareTenants,
  DATABASE_RENAME_INSTEAD,
  DATABASE_RENAME_RISK,
  REMOVE_INSTEAD,
  readTenantIdentities,
  TENANT_RENAME_INSTEAD,
  type TenantIdentity,
} from "../src/check";
import { addTenant, checkTenants, dropTenant } from "../src/commands";
import { tenantsFilePath } from "../src/files";
import { captureIo, readText, scratchRoot, writeText } from "./helpers";

describe("compareTenants", () => {
  const t = (name: string, database = name, state: TenantIdentity["state"] = "active") => ({
    name,
    database,
    state,
    ...(state === "dropped" ? { confirmDrop: database } : {}),
  });

  it("accepts new environments and new tenants", () => {
    expect(compareTenants("e", undefined, [t("a")])).toEqual([]);
    expect(compareTenants("e", [t("a")], [t("a"), t("b")])).toEqual([]);
  });

  it.each(["active", "suspended", "retired"] as const)(
    "fails when a %s entry disappears, saying how to remove it instead",
    (state) => {
      const [finding] = compareTenants("e", [t("a", "a_db", state)], [t("b")]);
      expect(finding).toMatchObject({ level: "failure", kind: "removed", database: "a_db" });
      expect(finding?.message).toContain(REMOVE_INSTEAD);
    },
  );

  it("fails when the whole tenants.yaml is gone", () => {
    expect(compareTenants("e", [t("a")], undefined)).toMatchObject([{ kind: "removed" }]);
  });

  it("accepts removing an entry that was dropped at the base", () => {
    expect(compareTenants("e", [t("a", "a", "dropped")], [])).toEqual([]);
  });

  it("fails on a database rename and on a tenant rename, with the runbook's way instead", () => {
    const [db] = compareTenants("e", [t("a", "a_old")], [t("a", "a_new")]);
    expect(db).toMatchObject({ level: "failure", kind: "database-changed", database: "a_old" });
    expect(db?.message).toContain(DATABASE_RENAME_INSTEAD);
    // Not "add a new entry and migrate with pg_dump/pg_restore": docs/operations.md shows that a
    // tenant's dump fails to restore into another tenant's database (schema named after it).
    expect(db?.message).not.toMatch(/new entry|new tenant/);
    // The tenants stack refuses the rename at plan time: the message says so, as the preview does,
    // and neither claims a destroy nor an in-place rename.
    expect(db?.message).toContain(DATABASE_RENAME_RISK);
    expect(db?.message).toContain(`a_old to a_new: ${DATABASE_RENAMED_NOTE}`);
    expect(db?.message).not.toMatch(/would be destroyed|renames it in place/);
    const [role] = compareTenants("e", [t("a", "shared")], [t("b", "shared")]);
    expect(role).toMatchObject({ level: "failure", kind: "renamed" });
    expect(role?.message).toContain(TENANT_RENAME_INSTEAD);
    expect(role?.message).not.toMatch(/add a new entry|migrate with/);
  });

  it("announces a drop made in this change loudly, without failing", () => {
    expect(compareTenants("e", [t("a")], [t("a", "a", "dropped")])).toMatchObject([
      { level: "notice", kind: "dropping", database: "a" },
    ]);
    expect(compareTenants("e", [t("a", "a", "dropped")], [t("a", "a", "dropped")])).toEqual([]);
  });

  it("fails a drop whose database is renamed in the same change, without announcing (or backing up) the new name", () => {
    const findings = compareTenants("e", [t("a", "a_db")], [t("a", "a_new", "dropped")]);
    expect(findings).toMatchObject([
      { level: "failure", kind: "database-changed", database: "a_db" },
    ]);
    expect(findings.map((f) => f.message).join("\n")).not.toContain("DROPS database a_new");
  });

  it.each([
    ["a typo", { confirmDrop: "a_dbb" }, 'confirmDrop is "a_dbb", not its database a_db'],
    ["an invisible character", { confirmDrop: "a_db\u200b" }, 'confirmDrop is "a_db\\u200b", not'],
    ["none", {}, "confirmDrop is missing, not its database a_db"],
  ])("fails a drop whose confirmDrop has %s, instead of announcing it", (_what, extra, part) => {
    const dropping = { name: "a", database: "a_db", state: "dropped" as const, ...extra };
    const [finding] = compareTenants("e", [t("a", "a_db")], [dropping]);
    expect(finding).toMatchObject({ level: "failure", kind: "unconfirmed-drop", database: "a_db" });
    expect(finding?.message).toContain(part);
    expect(finding?.message).toContain("nothing is dropped");
    expect(finding?.message).toContain("npm run tenant -- drop --env e a --confirm a_db");
    expect(finding?.message).not.toContain("DROPS");
  });

  it("reads identities with the schema's defaults", () => {
    expect(
      readTenantIdentities(
        "tenants:\n  - name: a\n  - name: b\n    database: b_db\n    state: retired\n",
      ),
    ).toEqual([t("a"), t("b", "b_db", "retired")]);
  });
});

describe("check --base in a git repository", () => {
  let scratch: ReturnType<typeof scratchRoot>;
  const git = (...args: string[]) => {
    const result = spawnSync(
      "git",
      [
        "-c",
        "user.name=test",
        "-c",
        "user.email=test@example.com",
        "-c",
        "commit.gpgsign=false",
        ...args,
      ],
      { cwd: scratch.root, encoding: "utf8" },
    );
    if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  };
  const commit = (message: string) => {
    git("add", "-A");
    git("commit", "-q", "-m", message);
  };
  const prodFile = () => tenantsFilePath(scratch.environmentsDir, "prod");
  const removeEntry = (name: string) => {
    const doc = parseDocument(readText(prodFile()));
    const seq = doc.get("tenants") as YAMLSeq;
    seq.items = seq.items.filter(
      (item) => (item as { get(k: string): unknown }).get("name") !== name,
    );
    writeText(prodFile(), doc.toString());
  };
  const check = () => {
    const io = captureIo();
    const code = checkTenants({ root: scratch.root, io, base: "HEAD" });
    return { code, text: io.all() };
  };

  beforeEach(() => {
    scratch = scratchRoot();
    git("init", "-q");
    commit("base");
  });
  afterEach(() => scratch.cleanup());

  it("fails when an active entry is removed", () => {
    removeEntry("healthtech");
    const { code, text } = check();
    expect(code).toBe(1);
    expect(text).toContain("FAIL prod/healthtech: was removed while active");
    expect(text).toContain("set state: dropped with confirmDrop");
  });

  it("accepts removing an entry that was dropped at the base", async () => {
    expect(
      await dropTenant({
        root: scratch.root,
        io: captureIo(),
        env: "prod",
        name: "healthtech",
        confirm: "healthtech_experiment",
      }),
    ).toBe(0);
    commit("drop healthtech");
    removeEntry("healthtech");
    const { code, text } = check();
    expect(text).not.toContain("FAIL");
    expect(code).toBe(0);
  });

  it("fails when a database is renamed", () => {
    writeText(prodFile(), readText(prodFile()).replace("fintech_experiment", "fintech_prod"));
    const { code, text } = check();
    expect(code).toBe(1);
    expect(text).toContain("database changed from fintech_experiment to fintech_prod");
    expect(text).toContain('(docs/operations.md, "Moving a tenant\'s data to another database")');
  });

  it("accepts a new tenant and a new environment", async () => {
    expect(
      await addTenant({
        root: scratch.root,
        io: captureIo(),
        env: "prod",
        name: "newfork",
        owner: "n@example.com",
      }),
    ).toBe(0);
    cpSync(join(scratch.environmentsDir, "dev"), join(scratch.environmentsDir, "qa"), {
      recursive: true,
    });
    const { code, text } = check();
    expect(text).not.toContain("FAIL");
    expect(code).toBe(0);
  });

  it("fails when a whole environment folder disappears, saying it orphans the environment rather than destroying it", () => {
    rmSync(join(scratch.environmentsDir, "staging"), { recursive: true });
    const { code, text } = check();
    expect(code).toBe(1);
    // One finding for the environment: no stack is synthesized, so no plan destroys anything.
    expect(text).toContain(
      "FAIL staging/*: the folder environments/staging/ was deleted: nothing is destroyed, but staging-platform and staging-tenants are no longer synthesized",
    );
    expect(text).toMatch(/databases startupwebapp_staging, [^\n]* keeps running and billing/);
    expect(text).toContain("the tenants' secrets and the state files under stateBackend stay");
    expect(text).toContain("orphaned, not deleted");
    expect(text).not.toMatch(/would be destroyed/);
    expect(text).not.toContain("FAIL staging/startupwebapp");
  });

  it("says in one line when a deleted environment had no tenants.yaml at the base", () => {
    const qa = join(scratch.environmentsDir, "qa");
    cpSync(join(scratch.environmentsDir, "dev"), qa, { recursive: true });
    rmSync(join(qa, "tenants.yaml"));
    commit("qa without tenants");
    rmSync(qa, { recursive: true });
    const { code, text } = check();
    expect(code).toBe(1);
    const lines = text.split("\n").filter((l) => l.includes("qa"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^FAIL qa\/\*: the folder environments\/qa\/ was deleted \(environments\/qa\/tenants\.yaml is missing at HEAD, so its tenants cannot be compared\): nothing is destroyed, .* Its RDS instance keeps running and billing;/,
    );
  });

  it("says so too when a deleted environment's tenants.yaml was not YAML at the base", () => {
    writeText(prodFile(), "tenants: [unclosed\n");
    commit("prod tenants broken");
    rmSync(join(scratch.environmentsDir, "prod"), { recursive: true });
    const { code, text } = check();
    expect(code).toBe(1);
    expect(text).toContain(
      "FAIL prod/*: the folder environments/prod/ was deleted (environments/prod/tenants.yaml is not valid YAML at HEAD, so its tenants cannot be compared): nothing is destroyed",
    );
  });

  it("prints a drop in this change as a loud notice with the backup command", async () => {
    expect(
      await dropTenant({
        root: scratch.root,
        io: captureIo(),
        env: "prod",
        name: "fintech",
        confirm: "fintech_experiment",
      }),
    ).toBe(0);
    const { code, text } = check();
    expect(code).toBe(0);
    expect(text).toContain("NOTICE prod/fintech: DROPS database fintech_experiment");
    expect(text).toMatch(/pg_dump ".*dbname=fintech_experiment .*" --format=custom/);
    expect(text).toContain(`REVOKE "fintech" FROM "`);
  });

  it("explains an unknown base ref", () => {
    const io = captureIo();
    expect(checkTenants({ root: scratch.root, io, base: "origin/nope" })).toBe(1);
    expect(io.err.join("\n")).toContain('unknown git ref "origin/nope": fetch it first');
  });
});
