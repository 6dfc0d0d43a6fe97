import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, formatProblem, processStartTime } from "@pgforks/config";
import { startPostgres, stopPostgres } from "@pgforks/postgres-server";
import { tenantFixture, testWhen } from "@pgforks/testing";
import { LOCAL_LOCK_NAME } from "../src/local-lock";
import {
  explainRenamedDatabase,
  explainStartFailure,
  forkLine,
  loadLocalTenants,
  localPort,
  refuseUnconfirmedDrops,
  resetLocal,
  startLocal,
  stopLocal,
} from "../src/local-target";

describe("resetLocal", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "pgforks-local-reset-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("deletes the local folder (no server running) and says so", async () => {
    const dir = join(root, ".local");
    mkdirSync(join(dir, "terraform"), { recursive: true });
    writeFileSync(join(dir, "credentials.json"), "{}");
    const lines: string[] = [];
    expect(await resetLocal((line) => lines.push(line), dir)).toBe(0);
    expect(existsSync(dir)).toBe(false);
    expect(lines).toEqual([`Deleted ${dir} (server data, Terraform state, local passwords).`]);
  });

  // Only root runs the server as another user (PGFORKS_PG_USER).
  testWhen(process.getuid?.() === 0 ? undefined : "runs as root")(
    "deletes nothing and leaves no lock when the server cannot be stopped",
    async () => {
      const dir = join(root, ".local");
      // Data of root's, stopped as nobody: refused by stopPostgres (no server needed for that).
      mkdirSync(join(dir, "postgres", "data"), { recursive: true });
      writeFileSync(join(dir, "postgres", "data", "PG_VERSION"), "16\n");
      const saved = process.env.PGFORKS_PG_USER;
      process.env.PGFORKS_PG_USER = "nobody";
      try {
        await expect(resetLocal(() => {}, dir)).rejects.toThrow(/belongs to root, not nobody/);
      } finally {
        if (saved === undefined) delete process.env.PGFORKS_PG_USER;
        else process.env.PGFORKS_PG_USER = saved;
      }
      expect(existsSync(join(dir, "postgres", "data", "PG_VERSION"))).toBe(true);
      expect(existsSync(join(dir, LOCAL_LOCK_NAME))).toBe(false);
    },
  );

  it("claims no deletion when there is nothing to delete", async () => {
    const dir = join(root, ".local");
    const lines: string[] = [];
    expect(await resetLocal((line) => lines.push(line), dir)).toBe(0);
    expect(lines).toEqual([`Nothing to delete: ${dir} does not exist.`]);
  });
});

describe("one local step at a time (npm start, local stop, local reset)", () => {
  let root: string;
  let dir: string;
  let holder: ReturnType<typeof spawn> | undefined;
  const savedPort = process.env.PGFORKS_LOCAL_PORT;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "pgforks-local-lock-"));
    dir = join(root, ".local");
    mkdirSync(join(dir, "terraform"), { recursive: true });
    writeFileSync(join(dir, "credentials.json"), "{}");
  });
  afterEach(() => {
    holder?.kill("SIGKILL");
    holder = undefined;
    if (savedPort === undefined) delete process.env.PGFORKS_LOCAL_PORT;
    else process.env.PGFORKS_LOCAL_PORT = savedPort;
    rmSync(root, { recursive: true, force: true });
  });

  /** A running process recorded as `command` holding the lock, as a running npm start does. */
  async function holdLock(command: string): Promise<number> {
    holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    const pid = holder.pid as number;
    await new Promise((started) => holder?.once("spawn", started));
    mkdirSync(join(dir, LOCAL_LOCK_NAME));
    const owner = { pid, startTime: processStartTime(pid), command };
    writeFileSync(join(dir, LOCAL_LOCK_NAME, "owner.json"), JSON.stringify(owner));
    return pid;
  }

  it("refuses reset, stop and start while another step runs, naming it, and deletes nothing", async () => {
    const pid = await holdLock("npm start");
    const busy = (command: string) =>
      `${dir} is in use by npm start (pid ${pid}): wait for it to finish, then run ${command} again`;
    await expect(resetLocal(() => {}, dir)).rejects.toThrow(busy("npm run local -- reset"));
    expect(existsSync(join(dir, "credentials.json"))).toBe(true);
    await expect(stopLocal(() => {}, dir)).rejects.toThrow(busy("npm run local -- stop"));
    // A port npm start refuses: without the lock it would stop there, before starting a server.
    process.env.PGFORKS_LOCAL_PORT = "1";
    await expect(startLocal(() => {}, dir)).rejects.toThrow(busy("npm start"));
    expect(existsSync(join(dir, LOCAL_LOCK_NAME))).toBe(true);
  });

  it("keeps the lock of a killed npm start while its Terraform still runs, naming it, then takes it over", async () => {
    // npm start killed outright (SIGKILL) during the apply: its Terraform goes on alone to write
    // its state. A stop or reset took the lock over at once and pulled the server or the folder
    // from under that apply.
    const killedStart = await holdLock("npm start");
    const startExited = new Promise((done) => holder?.once("exit", done));
    holder?.kill("SIGKILL");
    await startExited;
    const terraform = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], {
      stdio: "ignore",
    });
    try {
      await new Promise((started) => terraform.once("spawn", started));
      const pid = terraform.pid as number;
      writeFileSync(
        join(dir, LOCAL_LOCK_NAME, "terraform.json"),
        JSON.stringify({ pid, startTime: processStartTime(pid) }),
      );
      const busy = (command: string) =>
        `${dir} is in use by the Terraform (pid ${pid}) of npm start (pid ${killedStart}, killed), which finishes its changes and records them in its state: wait for it to finish, then run ${command} again`;
      await expect(resetLocal(() => {}, dir)).rejects.toThrow(busy("npm run local -- reset"));
      expect(existsSync(join(dir, "credentials.json"))).toBe(true);
      await expect(stopLocal(() => {}, dir)).rejects.toThrow(busy("npm run local -- stop"));
    } finally {
      const exited = new Promise((done) => terraform.once("exit", done));
      terraform.kill("SIGKILL");
      await exited;
    }
    expect(await resetLocal(() => {}, dir)).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });

  it("takes over the lock of a step that was killed", async () => {
    await holdLock("npm start");
    const exited = new Promise((done) => holder?.once("exit", done));
    holder?.kill("SIGKILL");
    await exited;
    const lines: string[] = [];
    expect(await resetLocal((line) => lines.push(line), dir)).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });
});

describe("loadLocalTenants (environments/local/tenants.yaml)", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "pgforks-local-tenants-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("refuses a fork named like a role the local server has before any fork, naming the line", () => {
    // pgforks_bootstrap passed, and the apply then failed halfway ("role ... already exists");
    // pgforks_admin was refused by the stack without naming the file.
    const file = join(root, "tenants.yaml");
    writeFileSync(
      file,
      [
        "tenants:",
        "  - name: shop",
        "    owner: a@example.com",
        "  - name: pgforks_bootstrap",
        "    owner: b@example.com",
        "  - name: pgforks_admin",
        "    owner: c@example.com",
        "",
      ].join("\n"),
    );
    let thrown: unknown;
    try {
      loadLocalTenants(file);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems.map(formatProblem)).toEqual([
      `${file}:4:11 tenants[1].name: is the local server's bootstrap superuser, a role the server has before any tenant; choose another name (found "pgforks_bootstrap")`,
      `${file}:6:11 tenants[2].name: is the local target's admin role (the RDS master user's stand-in), a role the server has before any tenant; choose another name (found "pgforks_admin")`,
    ]);
  });

  it("takes every other fork", () => {
    const file = join(root, "tenants.yaml");
    writeFileSync(file, "tenants:\n  - name: shop\n    owner: a@example.com\n");
    expect(loadLocalTenants(file).map((t) => t.name)).toEqual(["shop"]);
  });
});

describe("explainRenamedDatabase (npm start after a tenant's database was edited)", () => {
  // The end of the real plan failure (Terraform 1.11.4 wraps the postcondition's message).
  const planFailure = new Error(
    [
      "terraform plan -detailed-exitcode -input=false -no-color -out=local.tfplan failed (exit 1) in /x/.local/terraform:",
      "postgresql_role.tenants_role-saas_1A2B3C4D: Refreshing state... [id=saas]",
      "Planning failed. Terraform encountered an error while generating this plan.",
      "Error: Resource postcondition failed",
      "  on cdk.tf.json line 148, in resource.postgresql_database.tenants_database-saas_9CADBC00.lifecycle.postcondition[0]:",
      "    ├────────────────",
      '    │ self.name is "saas_dev"',
      'Tenant "saas" is configured with database "saas2_dev", but its database has',
      "another name. Renaming a tenant database is refused: it needs every session",
      'gone and moves every grant (docs/operations.md, "Renaming a database").',
    ].join("\n"),
  );
  const tenants = [
    { name: "shop", owner: "a@example.com" },
    { name: "saas", database: "saas2_dev", owner: "a@example.com" },
  ] as unknown as Parameters<typeof explainRenamedDatabase>[2];

  it("is one refusal naming the file, the field, what is there and what was written", () => {
    const explained = explainRenamedDatabase(
      planFailure,
      "environments/local/tenants.yaml",
      tenants,
    );
    expect((explained as Error).message).toBe(
      [
        `environments/local/tenants.yaml: tenants[1].database: fork saas's local database is saas_dev, not saas2_dev: a tenant database is never renamed (docs/operations.md, "Renaming a database"). Nothing was changed.`,
        "Fix: put database: saas_dev back; or npm run local -- reset to start over (deletes every fork's data).",
      ].join("\n"),
    );
  });

  it("leaves every other failure as it is", () => {
    const other = new Error("terraform apply failed (exit 1): connection refused");
    expect(explainRenamedDatabase(other, "environments/local/tenants.yaml", tenants)).toBe(other);
  });
});

describe("localPort (PGFORKS_LOCAL_PORT)", () => {
  it.each(["abc", "80", "99999", "0x1000", "1e4", "5432.0", " 5432", "-5432", "+5432"])(
    "refuses %j in one line naming the variable, what was found and what is allowed",
    (raw) => {
      expect(() => localPort({ PGFORKS_LOCAL_PORT: raw })).toThrow(
        new Error(
          `PGFORKS_LOCAL_PORT: must be a port number from 1024 to 65535 in decimal digits (found "${raw}")`,
        ),
      );
    },
  );

  it.each([
    ["54394", 54394],
    ["1024", 1024],
    ["65535", 65535],
  ])("takes %j", (raw, port) => {
    expect(localPort({ PGFORKS_LOCAL_PORT: raw })).toBe(port);
  });
});

describe("forkLine (npm start's list of forks)", () => {
  const fork = (state: "active" | "suspended" | "dropped") =>
    tenantFixture({
      name: "shop",
      database: "shop_dev",
      state,
      ...(state === "dropped" ? { confirmDrop: "shop_dev" } : {}),
    });

  it("gives an active fork its URL, a suspended one its URL with the note", () => {
    expect(forkLine(fork("active"), "pw", 54316)).toBe(
      "  shop             postgresql://shop:pw@127.0.0.1:54316/shop_dev?sslmode=disable",
    );
    expect(forkLine(fork("suspended"), "pw", 54316)).toBe(
      "  shop             postgresql://shop:pw@127.0.0.1:54316/shop_dev?sslmode=disable  (suspended: logins refused)",
    );
  });

  it("says what the apply did to a dropped fork, which has no password", () => {
    expect(forkLine(fork("dropped"), undefined, 54316)).toBe(
      "  shop             dropped: database shop_dev and its roles are gone; the entry can be removed now",
    );
  });
});

describe("explainStartFailure", () => {
  let root: string;
  let taken: Server;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), "pgforks-local-port-"));
    // The server's unprivileged user (when the tests run as root) must traverse it, as .local.
    chmodSync(root, 0o711);
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  });
  afterEach(async () => {
    await new Promise((resolve) => taken.close(resolve));
    await stopPostgres(join(root, "postgres"));
    rmSync(root, { recursive: true, force: true });
  });

  it("ends a real start on a taken port with the fix: PGFORKS_LOCAL_PORT", async () => {
    const address = taken.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const failure = await startPostgres({ persistent: { dir: join(root, "postgres"), port } }).then(
      () => new Error("the server started on a taken port"),
      (error: unknown) => explainStartFailure(error, port) as Error,
    );
    // Two lines: the cause with the server's own line about the port, then the fix; not pg_ctl's
    // output and the log's tail.
    expect(failure.message.split("\n")).toEqual([
      expect.stringMatching(
        new RegExp(
          `^the local server could not start: port ${port} on 127\\.0\\.0\\.1 is taken \\(another PostgreSQL, perhaps another clone's npm start\\); PostgreSQL: could not bind IPv4 address "127\\.0\\.0\\.1": Address already in use$`,
        ),
      ),
      "Fix: stop that server, or set PGFORKS_LOCAL_PORT to a free port from 1024 to 65535 and run npm start again.",
    ]);
  }, 120_000);

  it("leaves any other failure as it is", () => {
    const other = new Error("initdb failed (exit 1)");
    expect(explainStartFailure(other, 54316)).toBe(other);
  });

  it("leaves a bind refused for another reason than a taken port as it is", () => {
    const other = new Error(
      'pg_ctl start failed\nLOG:  could not bind IPv4 address "127.0.0.1": Cannot assign requested address\nWARNING:  could not create listen socket for "127.0.0.1"',
    );
    expect(explainStartFailure(other, 54316)).toBe(other);
  });
});

describe("refuseUnconfirmedDrops (a plan dropping databases no entry drops)", () => {
  it("names ten of many databases and counts the rest, so the refusal stays one screen", () => {
    const deletes = Array.from({ length: 31 }, (_, i) => ({
      address: `postgresql_database.fork_${i}`,
      type: "postgresql_database",
      change: { actions: ["delete"], before: { name: `fork_${String(i).padStart(2, "0")}_dev` } },
    }));
    const refuse = refuseUnconfirmedDrops("environments/local/tenants.yaml", []);
    expect(() => refuse(JSON.stringify({ resource_changes: deletes }))).toThrow(
      "environments/local/tenants.yaml: no fork there drops 31 databases fork_00_dev, fork_01_dev, fork_02_dev, fork_03_dev, fork_04_dev, fork_05_dev, fork_06_dev, fork_07_dev, fork_08_dev, fork_09_dev and 21 more, but applying it would",
    );
  });
});
