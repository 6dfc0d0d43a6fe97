import { existsSync, lstatSync, mkdirSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { connectionBudget, loadEnvironment, repoRoot, tenantDatabaseName } from "@pgforks/config";
import { readdedSecretCommands } from "@pgforks/tenants";
import { parse, parseDocument } from "yaml";
import {
  addTenant,
  dropTenant,
  listTenants,
  setTenantState,
  table,
  writeRegistries,
} from "../src/commands";
import { displayPath, tenantsFilePath } from "../src/files";
import { formatBudget } from "../src/plan";
import { REGISTRY_HEADER, registryPath } from "../src/registry";
import { captureIo, readText, scratchRoot, writeText } from "./helpers";

let scratch: ReturnType<typeof scratchRoot>;
beforeEach(() => {
  scratch = scratchRoot();
});
afterEach(() => scratch.cleanup());

const ENV = "prod";
const tenantsFile = () => tenantsFilePath(scratch.environmentsDir, ENV);
const tenantNames = () =>
  (parse(readText(tenantsFile())) as { tenants: Array<{ name: string }> }).tenants.map(
    (t) => t.name,
  );
const readIfExists = (file: string) => (existsSync(file) ? readText(file) : undefined);
const stateOf = (name: string) =>
  loadEnvironment(ENV, scratch.environmentsDir).tenants.find((t) => t.name === name)?.state;

describe("add", () => {
  it("writes through a symbolically linked tenants.yaml and keeps the link", async () => {
    const shared = join(scratch.root, "shared", "tenants.yaml");
    mkdirSync(dirname(shared));
    renameSync(tenantsFile(), shared);
    symlinkSync(relative(dirname(tenantsFile()), shared), tenantsFile());
    const io = captureIo();
    expect(
      await addTenant({ root: scratch.root, io, env: ENV, name: "linked", owner: "x@example.com" }),
    ).toBe(0);
    expect(lstatSync(tenantsFile()).isSymbolicLink()).toBe(true);
    expect(readText(shared)).toContain("name: linked");
  });

  it("appends the tenant last, keeps every comment, and prints the plan and budget", async () => {
    const original = readText(tenantsFile());
    const comments = original.split("\n").filter((l) => l.includes("#"));
    expect(comments.length).toBeGreaterThan(0);
    const io = captureIo();
    const code = await addTenant({
      root: scratch.root,
      io,
      env: ENV,
      name: "newfork",
      owner: "newfork-team@example.com",
      connectionLimit: "5",
      extensions: ["citext"],
    });
    expect(io.err).toEqual([]);
    expect(code).toBe(0);
    const text = readText(tenantsFile());
    for (const line of comments) expect(text).toContain(line);
    expect(text.startsWith(original)).toBe(true);
    expect(tenantNames().at(-1)).toBe("newfork");
    const loaded = loadEnvironment(ENV, scratch.environmentsDir);
    expect(loaded.tenants.at(-1)).toMatchObject({ connectionLimit: 5, extensions: ["citext"] });
    expect(io.all()).toContain(`${ENV}-platform: + Secrets Manager secret`);
    expect(io.all()).toContain("+ role newfork (login true, connection limit 5)");
    const budget = connectionBudget(loaded.environment, loaded.tenants);
    expect(io.all()).toContain(`${budget.requested - 5} -> ${formatBudget(budget)}`);
    // The registry follows the edit.
    expect(readText(registryPath(scratch.environmentsDir, ENV))).toContain("| newfork | newfork |");
  });

  it.each([
    ["an existing name", { name: "fintech" }, /duplicate tenant name "fintech"/],
    ["a reserved name", { name: "postgres" }, /reserved by PostgreSQL\/RDS/],
    ["the master user's name", { name: "forks_admin" }, /master username/],
    [
      "an extension off the allow-list",
      { name: "x1", extensions: ["plpython3u"] },
      /must be one of/,
    ],
  ])("refuses %s with the reason and leaves the file byte-identical", async (_, patch, reason) => {
    const before = readText(tenantsFile());
    const registryBefore = readIfExists(registryPath(scratch.environmentsDir, ENV));
    const io = captureIo();
    const code = await addTenant({
      root: scratch.root,
      io,
      env: ENV,
      owner: "someone@example.com",
      ...patch,
    });
    expect(code).toBe(1);
    expect(io.err.join("\n")).toMatch(reason);
    expect(io.err[0]).toContain("is unchanged");
    expect(readText(tenantsFile())).toBe(before);
    expect(readIfExists(registryPath(scratch.environmentsDir, ENV))).toBe(registryBefore);
  });

  it("refuses the name of a dropped tenant, pointing to activate, and leaves the file byte-identical", async () => {
    const io = captureIo();
    const dropped = await dropTenant({
      root: scratch.root,
      io,
      env: ENV,
      name: "fintech",
      confirm: tenantDatabaseName(
        loadEnvironment(ENV, scratch.environmentsDir).tenants.find((t) => t.name === "fintech") ?? {
          name: "fintech",
        },
      ),
    });
    expect(dropped).toBe(0);
    const before = readText(tenantsFile());
    const refused = captureIo();
    const code = await addTenant({
      root: scratch.root,
      io: refused,
      env: ENV,
      name: "fintech",
      owner: "fintech-team@example.com",
    });
    expect(code).toBe(1);
    expect(refused.err).toEqual([
      `error: tenant fintech in ${ENV} is dropped (its entry stays in ${displayPath(tenantsFile())} with state: dropped): to bring it back, run npm run tenant -- activate --env ${ENV} fintech`,
    ]);
    expect(readText(tenantsFile())).toBe(before);
  });

  it("refuses a tenant over the connection budget, and accepts one that exactly fits", async () => {
    const loaded = loadEnvironment(ENV, scratch.environmentsDir);
    const budget = connectionBudget(loaded.environment, loaded.tenants);
    const room = budget.available - budget.requested;
    expect(room).toBeGreaterThan(0);
    const before = readText(tenantsFile());
    const io = captureIo();
    const add = (name: string, limit: number) =>
      addTenant({
        root: scratch.root,
        io,
        env: ENV,
        name,
        owner: "big@example.com",
        connectionLimit: limit,
      });
    expect(await add("toobig", room + 1)).toBe(1);
    expect(io.err.join("\n")).toMatch(
      new RegExp(`active tenants need ${budget.requested + room + 1} connections`),
    );
    expect(readText(tenantsFile())).toBe(before);
    expect(await add("justfits", room)).toBe(0);
    expect(tenantNames().at(-1)).toBe("justfits");
  });

  it("requires an owner and a known environment", async () => {
    const io = captureIo();
    expect(await addTenant({ root: scratch.root, io, env: ENV, name: "a1", owner: "" })).toBe(1);
    expect(
      await addTenant({ root: scratch.root, io, env: "nope", name: "a1", owner: "x@y.z" }),
    ).toBe(1);
    expect(io.err.join("\n")).toMatch(/--owner is required/);
    expect(io.err.join("\n")).toMatch(
      /unknown environment "nope" \(environments: dev, prod, staging\)/,
    );
  });

  it("refuses a --root without environments/ in one line, in every command", async () => {
    rmSync(scratch.environmentsDir, { recursive: true });
    const io = captureIo();
    const root = scratch.root;
    expect(await addTenant({ root, io, env: ENV, name: "a1", owner: "x@y.z" })).toBe(1);
    expect(await setTenantState({ root, io, env: ENV, name: "a1", state: "suspended" })).toBe(1);
    expect(listTenants({ root, io })).toBe(1);
    expect(await writeRegistries({ root, io })).toBe(1);
    expect(await writeRegistries({ root, io, check: true })).toBe(1);
    expect(io.out).toEqual([]);
    expect(io.err).toEqual(
      Array(5).fill(
        `error: ${scratch.environmentsDir}: does not exist (ENOENT); it must be the environments folder (--root names the folder that holds environments/, default: this repository)`,
      ),
    );
    expect(existsSync(scratch.environmentsDir)).toBe(false);
  });

  it("sends an edit of the local target to its file and npm start, changing nothing", async () => {
    const localFile = join(scratch.environmentsDir, "local", "tenants.yaml");
    mkdirSync(join(scratch.environmentsDir, "local"));
    writeText(localFile, "tenants: []\n");
    const io = captureIo();
    expect(
      await addTenant({ root: scratch.root, io, env: "local", name: "a1", owner: "x@y.z" }),
    ).toBe(1);
    expect(
      await setTenantState({
        root: scratch.root,
        io,
        env: "local",
        name: "a1",
        state: "suspended",
      }),
    ).toBe(1);
    expect(io.out).toEqual([]);
    expect(io.err).toEqual([
      expect.stringMatching(
        /^error: "local" is the local target, not an environment: edit environments\/local\/tenants\.yaml by hand .*then run npm start \(environments: dev, prod, staging\)$/,
      ),
      expect.stringMatching(/^error: "local" is the local target/),
    ]);
    expect(readText(localFile)).toBe("tenants: []\n");
  });
});

describe("suspend, retire, activate", () => {
  it("moves a tenant through the states and back to the original file", async () => {
    // With the proxy on (prod's default is off since the cost defaults), retiring leaves it.
    const environmentFile = join(scratch.environmentsDir, ENV, "environment.yaml");
    const environment = parseDocument(readText(environmentFile));
    environment.setIn(["proxy", "enabled"], true);
    writeText(environmentFile, environment.toString());
    const original = readText(tenantsFile());
    const io = captureIo();
    const run = (state: "suspended" | "retired" | "active") =>
      setTenantState({ root: scratch.root, io, env: ENV, name: "healthtech", state });
    expect(await run("suspended")).toBe(0);
    expect(stateOf("healthtech")).toBe("suspended");
    expect(io.all()).toContain("~ role healthtech: login true -> false, connection limit 20 -> 0");
    expect(await run("retired")).toBe(0);
    expect(stateOf("healthtech")).toBe("retired");
    expect(io.all()).toContain(`${ENV}-platform: - RDS Proxy auth entry`);
    expect(await run("active")).toBe(0);
    expect(stateOf("healthtech")).toBe("active");
    expect(readText(tenantsFile())).toBe(original);
  });

  it("retiring a suspended tenant without a proxy says the state alone changed nothing", async () => {
    const io = captureIo();
    const run = (state: "suspended" | "retired") =>
      setTenantState({ root: scratch.root, io, env: ENV, name: "healthtech", state });
    expect(await run("suspended")).toBe(0);
    expect(await run("retired")).toBe(0);
    expect(io.all()).toContain(
      `no infrastructure change: suspended and retired differ only in the RDS Proxy's auth list, and ${ENV} has no proxy (proxy.enabled is off)`,
    );
    expect(io.all()).not.toContain("only documentation fields");
  });

  it("activating a dropped tenant prints how to restore and import its secret, with the database warning", async () => {
    const io = captureIo();
    expect(
      await dropTenant({
        root: scratch.root,
        io,
        env: ENV,
        name: "fintech",
        confirm: "fintech_experiment",
      }),
    ).toBe(0);
    expect(
      await setTenantState({ root: scratch.root, io, env: ENV, name: "fintech", state: "active" }),
    ).toBe(0);
    const loaded = loadEnvironment(ENV, scratch.environmentsDir);
    const fintech = loaded.tenants.find((t) => t.name === "fintech");
    if (!fintech) throw new Error("no fintech");
    const commands = readdedSecretCommands(loaded.environment, fintech);
    expect(commands[0]).toBe(
      "aws secretsmanager restore-secret --secret-id pgforks-prod/tenants/fintech",
    );
    const out = io.out.join("\n").split("\n");
    expect(out).toEqual(expect.arrayContaining(commands.map((c) => `  ${c}`)));
    expect(io.out.join("\n")).toContain("database fintech_experiment is created again EMPTY");
  });

  it("says so when the tenant is already in that state, without writing", async () => {
    const io = captureIo();
    const before = readText(tenantsFile());
    expect(
      await setTenantState({ root: scratch.root, io, env: ENV, name: "fintech", state: "active" }),
    ).toBe(0);
    expect(io.out.join("\n")).toContain("already active");
    expect(readText(tenantsFile())).toBe(before);
  });

  it("lists the existing tenants for an unknown name", async () => {
    const io = captureIo();
    expect(
      await setTenantState({ root: scratch.root, io, env: ENV, name: "ghost", state: "suspended" }),
    ).toBe(1);
    expect(io.err.join("\n")).toContain(
      'no tenant named "ghost" (existing: startupwebapp, healthtech, fintech)',
    );
  });
});

describe("drop", () => {
  const database = () =>
    tenantDatabaseName(
      loadEnvironment(ENV, scratch.environmentsDir).tenants.find((t) => t.name === "fintech") ?? {
        name: "fintech",
      },
    );

  it.each([
    ["without --confirm", undefined, /needs --confirm/],
    ["with the tenant name instead of the database", "fintech", /does not match the database name/],
  ])("is refused %s, explaining the consequences and the backup", async (_, confirm, reason) => {
    const before = readText(tenantsFile());
    const io = captureIo();
    expect(await dropTenant({ root: scratch.root, io, env: ENV, name: "fintech", confirm })).toBe(
      1,
    );
    const err = io.err.join("\n");
    expect(err).toMatch(reason);
    expect(err).toContain(`DESTROYS database ${database()}`);
    // prod runs without the proxy: no proxy entry to lose.
    expect(err).toContain("(and role fintech, its secret)");
    // The backup runbook as the master user: grant itself the tenant's role, dump, revoke.
    expect(err).toContain(`-c 'GRANT "fintech" TO "`);
    expect(err).toMatch(new RegExp(`pg_dump ".*dbname=${database()} .*" --format=custom`));
    expect(err).toContain(`-c 'REVOKE "fintech" FROM "`);
    expect(readText(tenantsFile())).toBe(before);
  });

  it("names the proxy entry among what goes when the environment has the proxy", async () => {
    const environmentFile = join(scratch.environmentsDir, ENV, "environment.yaml");
    const environment = parseDocument(readText(environmentFile));
    environment.setIn(["proxy", "enabled"], true);
    writeText(environmentFile, environment.toString());
    const io = captureIo();
    expect(await dropTenant({ root: scratch.root, io, env: ENV, name: "fintech" })).toBe(1);
    expect(io.err.join("\n")).toContain("(and role fintech, its secret and proxy entry)");
  });

  it("marks the tenant dropped with confirmDrop when the database name is repeated", async () => {
    const db = database();
    const io = captureIo();
    expect(
      await dropTenant({ root: scratch.root, io, env: ENV, name: "fintech", confirm: db }),
    ).toBe(0);
    const tenant = loadEnvironment(ENV, scratch.environmentsDir).tenants.find(
      (t) => t.name === "fintech",
    );
    expect(tenant).toMatchObject({ state: "dropped", confirmDrop: db });
    expect(io.all()).toContain(`- database ${db} (DESTROYED: data lost unless backed up)`);
    expect(io.all()).toContain("pg_dump");
  });
});

describe("list", () => {
  it("shows every tenant and each environment's budget", () => {
    const io = captureIo();
    expect(listTenants({ root: scratch.root, io })).toBe(0);
    const text = io.out.join("\n");
    expect(io.out[0]).toMatch(/^ENV\s+NAME\s+DATABASE\s+STATE\s+LIMIT\s+OWNER$/);
    for (const env of ["dev", "staging", "prod"]) {
      const loaded = loadEnvironment(env, scratch.environmentsDir);
      expect(text).toContain(
        `connection budget ${env}: ${formatBudget(connectionBudget(loaded.environment, loaded.tenants))}`,
      );
      for (const t of loaded.tenants) {
        expect(text).toMatch(
          new RegExp(`^${env}\\s+${t.name}\\s+${tenantDatabaseName(t)}\\s`, "m"),
        );
      }
    }
  });

  it("aligns the columns of 300,000 rows (Math.max of a spread column overflowed the stack)", () => {
    const rows = [["NAME", "OWNER"], ...Array.from({ length: 300_000 }, (_, i) => [`t${i}`, "x"])];
    const lines = table(rows);
    expect(lines).toHaveLength(300_001);
    expect(lines[0]).toBe("NAME     OWNER");
    expect(lines[300_000]).toBe("t299999  x");
  });

  it("shows 0 for tenants that hold no connections, and filters by --env", () => {
    const io = captureIo();
    expect(listTenants({ root: scratch.root, io, env: "staging" })).toBe(0);
    expect(io.out.join("\n")).toMatch(/^staging\s+saas\s+saas_experiment\s+suspended\s+0 \(10\)/m);
    expect(io.out.join("\n")).not.toMatch(/^prod/m);
  });

  it("lists the environments that load and names what is wrong with a new folder (exit 1)", () => {
    mkdirSync(join(scratch.environmentsDir, "qa"));
    writeText(join(scratch.environmentsDir, "qa", "tenants.yaml"), "tenants: []\n");
    const io = captureIo();
    expect(listTenants({ root: scratch.root, io })).toBe(1);
    const table = io.out.join("\n");
    for (const env of ["dev", "staging", "prod"]) {
      expect(table).toMatch(new RegExp(`^${env}\\s+startupwebapp\\s`, "m"));
      expect(table).toContain(`connection budget ${env}: `);
    }
    expect(io.err).toEqual([
      "error: the configuration is invalid:",
      `  - ${join(scratch.environmentsDir, "qa", "environment.yaml")} file is missing`,
    ]);
  });

  it("prints only the problems, no empty table, when no environment loads", () => {
    writeText(
      join(scratch.environmentsDir, "dev", "tenants.yaml"),
      "tenants:\n  - name: Fin-Tech\n    owner: a@example.com\n",
    );
    const io = captureIo();
    expect(listTenants({ root: scratch.root, io, env: "dev" })).toBe(1);
    expect(io.out).toEqual([]);
    expect(io.err.join("\n")).toContain(
      `${join(scratch.environmentsDir, "dev", "tenants.yaml")}:2:11 tenants[0].name: must start with a lowercase letter`,
    );
  });

  it("knows a new folder as an environment for --env (the same list synth composes)", () => {
    mkdirSync(join(scratch.environmentsDir, "qa"));
    const io = captureIo();
    expect(listTenants({ root: scratch.root, io, env: "qa" })).toBe(1);
    expect(io.err.join("\n")).toContain(join("qa", "environment.yaml"));
    expect(io.err.join("\n")).not.toContain("unknown environment");
  });
});

describe("registry", () => {
  it("generates one registry per environment, then --check finds them fresh", async () => {
    for (const env of ["dev", "staging", "prod"]) {
      rmSync(registryPath(scratch.environmentsDir, env), { force: true });
    }
    const io = captureIo();
    expect(await writeRegistries({ root: scratch.root, io, check: true })).toBe(1);
    expect(io.err.filter((l) => l.startsWith("stale: "))).toHaveLength(3);
    expect(await writeRegistries({ root: scratch.root, io })).toBe(0);
    for (const env of ["dev", "staging", "prod"]) {
      const text = readText(registryPath(scratch.environmentsDir, env));
      expect(text.split("\n")[0]).toBe(REGISTRY_HEADER);
      const loaded = loadEnvironment(env, scratch.environmentsDir);
      for (const t of loaded.tenants) {
        expect(text).toContain(
          `| ${t.name} | ${tenantDatabaseName(t)} | ${t.owner} | ${t.state} |`,
        );
      }
      expect(text).toContain(
        `| Connection budget | ${formatBudget(connectionBudget(loaded.environment, loaded.tenants))} |`,
      );
    }
    expect(await writeRegistries({ root: scratch.root, io: captureIo(), check: true })).toBe(0);
  });

  it("--check names a stale registry and writes nothing", async () => {
    await writeRegistries({ root: scratch.root, io: captureIo() });
    const file = tenantsFile();
    writeText(file, readText(file).replace("owner: fintech-team@example.com", "owner: new-owner"));
    const registry = registryPath(scratch.environmentsDir, ENV);
    const before = readText(registry);
    const io = captureIo();
    expect(await writeRegistries({ root: scratch.root, io, check: true })).toBe(1);
    expect(io.err.filter((l) => l.startsWith("stale: "))).toHaveLength(1);
    expect(io.err.join("\n")).toContain(`stale: ${registry}`);
    expect(io.err.join("\n")).not.toContain("staging");
    expect(readText(registry)).toBe(before);
  });

  it("the committed registries are up to date (read-only)", async () => {
    const io = captureIo();
    const code = await writeRegistries({ root: repoRoot(), io, check: true });
    expect(io.err).toEqual([]);
    expect(code).toBe(0);
    expect(existsSync(join(repoRoot(), "environments", ENV, "DATABASE_REGISTRY.md"))).toBe(true);
  });
});
