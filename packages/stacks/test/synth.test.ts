import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  watch,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  ConfigError,
  environmentsDir,
  type LoadedEnvironment,
  processStartTime,
  repoRoot,
} from "@pgforks/config";
import {
  acquireSwapLock,
  countBlocks,
  readSynthesizedStacks,
  readTenantManifests,
  removeStaleSynthFolders,
  renderSynthSummary,
  type StackJson,
  swapLockPath,
  synthEnvironments,
} from "../src/synth";

const scratch = mkdtempSync(join(tmpdir(), "pgforks-synth-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("synthEnvironments", () => {
  const outdir = join(scratch, "cdktf.out");
  const result = synthEnvironments({ outdir });

  it("writes cdktf.out/stacks/<stack>/cdk.tf.json for the six stable stack names", () => {
    const expected = [
      "dev-platform",
      "dev-tenants",
      "prod-platform",
      "prod-tenants",
      "staging-platform",
      "staging-tenants",
    ];
    expect(readdirSync(join(outdir, "stacks")).sort()).toEqual(expected);
    for (const name of expected)
      expect(existsSync(join(outdir, "stacks", name, "cdk.tf.json"))).toBe(true);
    expect(JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")).stacks).toHaveProperty(
      "prod-tenants",
    );
  });

  it("writes pgforks-manifest.json beside each stack: every tenant address of the stack, with its tenant and kind", () => {
    for (const [name, stack] of Object.entries(result.stacks)) {
      const manifest = readTenantManifests(outdir)[name];
      expect(manifest?.stack).toBe(name);
      const entries = manifest?.resources ?? [];
      expect(entries.length).toBeGreaterThan(0);
      for (const entry of entries.filter((e) => e.state === "present")) {
        const [type = "", id = ""] = entry.address.split(".");
        expect(stack.resource?.[type]).toHaveProperty([id]);
      }
    }
    const prod = readTenantManifests(outdir)["prod-tenants"]?.resources ?? [];
    const fintech = prod.filter((e) => e.tenant === "fintech").map((e) => e.kind);
    expect(fintech).toEqual(expect.arrayContaining(["role", "database", "schema", "secret value"]));
  });

  it("gives every stack an S3 backend with native locking and KMS, and no credentials", () => {
    for (const [name, stack] of Object.entries(result.stacks)) {
      const terraform = stack.terraform as {
        backend: { s3: Record<string, unknown> };
        required_version: string;
      };
      expect(terraform.required_version).toBe(">= 1.11.0");
      expect(terraform.backend.s3).toMatchObject({
        encrypt: true,
        use_lockfile: true,
        key: expect.stringContaining(`${name}.tfstate`),
      });
      const text = JSON.stringify(stack);
      expect(text).not.toMatch(/access_key|secret_key|skip_credentials_validation|"local"/);
      expect((stack.provider as { aws: Array<Record<string, unknown>> }).aws[0]).toHaveProperty(
        "allowed_account_ids",
      );
    }
  });

  it("wires the tenants stack to its platform stack through remote state", () => {
    const tenants = result.stacks["prod-tenants"] as StackJson;
    expect(Object.keys(tenants.data?.terraform_remote_state ?? {})).toEqual([
      "cross-stack-reference-input-prod-platform",
    ]);
  });

  it("summarizes stacks, resource counts and tenants per environment", () => {
    const summary = renderSynthSummary(result, 1.25);
    const prod = countBlocks(result.stacks["prod-platform"] as StackJson).resources;
    expect(summary).toContain(`prod-platform     ${String(prod).padStart(4)} resources`);
    expect(summary).toMatch(
      /staging\s+db\.t4g\.small\s+active: startupwebapp, healthtech, edtech; suspended: saas/,
    );
    expect(summary.split("\n")[0]).toBe(`Synthesized 6 stacks into ${outdir} in 1.3s`);
  });
});

describe("the synth summary with many tenants", () => {
  it("names ten tenants of a state and counts the rest, so the line stays one screen", () => {
    const tenants = Array.from({ length: 200 }, (_, i) => ({
      name: `t_${i}`,
      state: i < 3 ? "suspended" : "active",
    }));
    const environments = [
      { name: "prod", environment: { database: { instanceClass: "db.t4g.small" } }, tenants },
    ] as unknown as LoadedEnvironment[];
    const summary = renderSynthSummary({ outdir: "/x", stacks: {}, environments }, 1);
    expect(summary.split("\n").at(-1)).toBe(
      "  prod  db.t4g.small  suspended: t_0, t_1, t_2; active 197: t_3, t_4, t_5, t_6, t_7, t_8, t_9, t_10, t_11, t_12 and 187 more",
    );
  });
});

describe("a bad config", () => {
  it("stops before writing anything and leaves the previous cdktf.out untouched", () => {
    const envs = join(scratch, "environments");
    cpSync(environmentsDir(), envs, { recursive: true });
    writeFileSync(
      join(envs, "prod", "tenants.yaml"),
      "tenants:\n  - name: Bad-Name\n    owner: x@example.com\n",
    );
    const outdir = join(scratch, "kept.out");
    mkdirSync(outdir);
    writeFileSync(join(outdir, "marker"), "previous synth");
    expect(() => synthEnvironments({ outdir, environmentsDir: envs })).toThrow(ConfigError);
    expect(readdirSync(outdir)).toEqual(["marker"]);
    expect(readdirSync(scratch).filter((n) => n.includes(".staging-"))).toEqual([]);
  });
});

describe("folders of interrupted synths", () => {
  it("removes the staging and previous folders of killed synths, keeps those of running ones", () => {
    const dir = mkdtempSync(join(scratch, "leftovers-"));
    const outdir = join(dir, "cdktf.out");
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    const alive = process.ppid;
    for (const name of [
      `cdktf.out.staging-${dead}`,
      `cdktf.out.previous-${dead}`,
      `cdktf.out.staging-${alive}`,
      `other.staging-${dead}`,
    ]) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, "half"), "x");
    }
    expect(removeStaleSynthFolders(outdir).sort()).toEqual(
      [join(dir, `cdktf.out.previous-${dead}`), join(dir, `cdktf.out.staging-${dead}`)].sort(),
    );
    expect(readdirSync(dir).sort()).toEqual(
      [`cdktf.out.staging-${alive}`, `other.staging-${dead}`].sort(),
    );
  });

  it("removes the swap locks that killed synths moved aside while taking a dead lock over", () => {
    const dir = mkdtempSync(join(scratch, "stale-locks-"));
    const outdir = join(dir, "cdktf.out");
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    const alive = process.ppid;
    for (const name of [
      `${basename(swapLockPath(outdir))}.stale-${dead}`,
      `${basename(swapLockPath(outdir))}.stale-${alive}`,
    ]) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, "owner"), `${dead} `);
    }
    expect(removeStaleSynthFolders(outdir)).toEqual([
      join(dir, `cdktf.out.swap-lock.stale-${dead}`),
    ]);
    expect(readdirSync(dir)).toEqual([`cdktf.out.swap-lock.stale-${alive}`]);
  });

  it("ctrl-C during a synth leaves the complete output or none, and no staging folder", async () => {
    const cwd = mkdtempSync(join(scratch, "interrupted-"));
    const main = join(repoRoot(), "apps", "main.ts");
    // node with tsx's loader (one process, so the signal reaches the synth itself).
    const loader = pathToFileURL(join(repoRoot(), "node_modules", "tsx", "dist", "loader.mjs"));
    const child = spawn(process.execPath, ["--import", loader.href, main, "prod"], { cwd });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<string>((done) =>
      child.on("exit", (code, signal) => done(String(code ?? signal))),
    );
    setTimeout(() => child.kill("SIGINT"), 1500);
    const code = await exited;
    expect(stderr).not.toMatch(/^\s{4}at /m);
    // Finished first (0), stopped after the synth (130), or before anything ran (killed by it).
    expect(["0", "130", "SIGINT"]).toContain(code);
    const left = readdirSync(cwd);
    expect(left.filter((n) => n !== "cdktf.out")).toEqual([]);
    if (left.includes("cdktf.out")) {
      expect(Object.keys(readSynthesizedStacks(join(cwd, "cdktf.out"))).sort()).toEqual([
        "prod-platform",
        "prod-tenants",
      ]);
    }
  }, 60_000);
});

describe("concurrent synths", () => {
  /** Resolves once `done()` holds; fails after `ms` (a hung synth, not a slow one). */
  async function until(done: () => boolean, what: string, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((wake) => setTimeout(wake, 20));
    }
  }

  it("takes over the swap lock of a synth killed mid-swap", () => {
    const dir = mkdtempSync(join(scratch, "stale-lock-"));
    const outdir = join(dir, "cdktf.out");
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    mkdirSync(swapLockPath(outdir));
    writeFileSync(join(swapLockPath(outdir), "owner"), `${dead} `);
    synthEnvironments({ outdir, environments: ["dev"] });
    expect(readdirSync(dir)).toEqual(["cdktf.out"]);
  });

  it("leaves no staging folder when it gives up on a swap lock a live synth holds", () => {
    const dir = mkdtempSync(join(scratch, "held-lock-"));
    const outdir = join(dir, "cdktf.out");
    const lock = swapLockPath(outdir);
    // Held by a process that runs (this one) for longer than the synth waits.
    mkdirSync(lock);
    writeFileSync(join(lock, "owner"), `${process.pid} ${processStartTime(process.pid) ?? ""}`);
    expect(() => synthEnvironments({ outdir, environments: ["dev"] })).toThrow(
      `has held ${lock} for 30 s; if no synth runs, remove that folder`,
    );
    expect(readdirSync(dir)).toEqual(["cdktf.out.swap-lock"]);
  }, 120_000);

  it("takes over a swap lock whose owner was never written (its synth killed between mkdir and write) once it is a few seconds old", () => {
    for (const owner of [undefined, ""]) {
      const dir = mkdtempSync(join(scratch, "ownerless-lock-"));
      const outdir = join(dir, "cdktf.out");
      const lock = swapLockPath(outdir);
      mkdirSync(lock);
      if (owner !== undefined) writeFileSync(join(lock, "owner"), owner);
      const aMinuteAgo = new Date(Date.now() - 60_000);
      utimesSync(lock, aMinuteAgo, aMinuteAgo);
      const started = Date.now();
      const release = acquireSwapLock(outdir);
      // At once, not after the 30 s timeout ("remove that folder").
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(readFileSync(join(lock, "owner"), "utf8")).toMatch(new RegExp(`^${process.pid} `));
      release();
      expect(readdirSync(dir)).toEqual([]);
    }
  });

  it("lets one of several real synths take over the same ownerless lock, the others (one that judged it dead too) wait their turn", async () => {
    const dir = mkdtempSync(join(scratch, "ownerless-race-"));
    const outdir = join(dir, "cdktf.out");
    const lock = swapLockPath(outdir);
    mkdirSync(lock);
    const aMinuteAgo = new Date(Date.now() - 60_000);
    utimesSync(lock, aMinuteAgo, aMinuteAgo);
    const hooks = mkdtempSync(join(scratch, "ownerless-race-hooks-"));
    const log = join(hooks, "log");
    const loader = pathToFileURL(join(repoRoot(), "node_modules", "tsx", "dist", "loader.mjs"));
    // Each process takes the swap lock, holds it 300 ms, and logs when it enters and leaves; all
    // but the late one first wait for "start", to find the dead lock at the same moment.
    const script = `
      const fs = require("node:fs");
      const { join } = require("node:path");
      const { acquireSwapLock } = require(${JSON.stringify(join(__dirname, "../src/synth"))});
      const hooks = ${JSON.stringify(hooks)};
      const nap = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      fs.writeFileSync(join(hooks, "ready-" + process.pid), "");
      while (process.env.RACE_AT_START === "1" && !fs.existsSync(join(hooks, "start"))) nap(5);
      const release = acquireSwapLock(${JSON.stringify(outdir)});
      fs.appendFileSync(join(hooks, "log"), "in " + process.pid + "\\n");
      nap(300);
      fs.appendFileSync(join(hooks, "log"), "out " + process.pid + "\\n");
      release();
    `;
    const run = (pause: boolean) => {
      const child = spawn(process.execPath, ["--import", loader.href, "-e", script], {
        stdio: "ignore",
        env: {
          ...process.env,
          PGFORKS_SYNTH_SWAP_TEST_DIR: hooks,
          PGFORKS_SYNTH_SWAP_TEST_PAUSE: pause ? "1" : "0",
          RACE_AT_START: pause ? "0" : "1",
        },
      });
      const exit = new Promise<string>((done) =>
        child.on("exit", (c, signal) => done(String(c ?? signal))),
      );
      return { child, exit };
    };
    // The late one judges the dead lock first and stops before its takeover ("judged" hook) ...
    const late = run(true);
    const others = [run(false), run(false), run(false)];
    const all = [late, ...others];
    const readyCount = () => readdirSync(hooks).filter((n) => n.startsWith("ready-")).length;
    const entered = () => (existsSync(log) ? readFileSync(log, "utf8") : "").includes("in ");
    try {
      await until(() => existsSync(join(hooks, `judged-${late.child.pid}`)), "the judgement");
      await until(() => readyCount() === all.length, "every process to be ready");
      // ... while the others race for the same dead lock and one of them takes it ...
      writeFileSync(join(hooks, "start"), "");
      await until(entered, "a process to take the lock");
      // ... then goes on: it must find that process's lock, alive, and wait for it.
      writeFileSync(join(hooks, "go"), "");
      expect(await Promise.all(all.map((p) => p.exit))).toEqual(all.map(() => "0"));
    } finally {
      for (const { child } of all) child.kill("SIGKILL");
    }
    // One holder at a time: every "in" is followed by the same process's "out".
    const lines = readFileSync(log, "utf8").trim().split("\n");
    const pids = lines.filter((l) => l.startsWith("in ")).map((l) => l.slice(3));
    expect(lines).toEqual(pids.flatMap((pid) => [`in ${pid}`, `out ${pid}`]));
    expect(new Set(pids)).toEqual(new Set(all.map(({ child }) => String(child.pid))));
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);

  it("waits for a lock whose owner file is still empty (its holder between mkdir and write), instead of taking it over", async () => {
    const cwd = mkdtempSync(join(scratch, "empty-owner-"));
    const hooks = mkdtempSync(join(scratch, "empty-owner-hooks-"));
    const lock = swapLockPath(join(cwd, "cdktf.out"));
    mkdirSync(lock);
    // writeFileSync creates the file empty before it writes: a reader can see "" from a live holder.
    writeFileSync(join(lock, "owner"), "");
    // A holder writes its owner within LOCK_OWNER_GRACE_MS of its mkdir: until the synth waits,
    // the lock is kept that young (the synth itself takes seconds to get to its swap).
    const young = setInterval(() => {
      try {
        utimesSync(lock, new Date(), new Date());
      } catch {
        // removed below
      }
    }, 200);
    const loader = pathToFileURL(join(repoRoot(), "node_modules", "tsx", "dist", "loader.mjs"));
    const child = spawn(
      process.execPath,
      ["--import", loader.href, join(repoRoot(), "apps", "main.ts"), "dev"],
      {
        cwd,
        env: { ...process.env, CHECKPOINT_DISABLE: "1", PGFORKS_SYNTH_SWAP_TEST_DIR: hooks },
      },
    );
    let code: string | undefined;
    const exited = new Promise<string>((done) =>
      child.on("exit", (c, signal) => {
        code = String(c ?? signal);
        done(code);
      }),
    );
    await until(
      () => code !== undefined || existsSync(join(hooks, `waiting-${child.pid}`)),
      "the synth to wait or end",
    );
    clearInterval(young);
    const waited = code === undefined;
    // Still young (its holder is writing): it is not taken over while it stays so.
    utimesSync(lock, new Date(), new Date());
    await new Promise((wake) => setTimeout(wake, 500));
    const stillWaiting = code === undefined && existsSync(join(lock, "owner"));
    // The holder finishes: the lock goes, and the waiting synth swaps its output in.
    rmSync(lock, { recursive: true, force: true });
    expect({ waited, stillWaiting, code: await exited }).toEqual({
      waited: true,
      stillWaiting: true,
      code: "0",
    });
    expect(readdirSync(cwd)).toEqual(["cdktf.out"]);
  }, 120_000);

  it("never moves a live lock made after the dead lock it judged was taken over by another synth", async () => {
    const cwd = mkdtempSync(join(scratch, "takeover-race-"));
    const hooks = mkdtempSync(join(scratch, "takeover-hooks-"));
    const lock = swapLockPath(join(cwd, "cdktf.out"));
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    mkdirSync(lock);
    writeFileSync(join(lock, "owner"), `${dead} `);
    const loader = pathToFileURL(join(repoRoot(), "node_modules", "tsx", "dist", "loader.mjs"));
    const child = spawn(
      process.execPath,
      ["--import", loader.href, join(repoRoot(), "apps", "main.ts"), "dev"],
      {
        cwd,
        env: {
          ...process.env,
          CHECKPOINT_DISABLE: "1",
          PGFORKS_SYNTH_SWAP_TEST_DIR: hooks,
          PGFORKS_SYNTH_SWAP_TEST_PAUSE: "1",
        },
      },
    );
    let code: string | undefined;
    const exited = new Promise<string>((done) =>
      child.on("exit", (c, signal) => {
        code = String(c ?? signal);
        done(code);
      }),
    );
    // The synth has judged the lock's holder dead and stops before it takes the lock over ...
    await until(() => existsSync(join(hooks, `judged-${child.pid}`)), "the judgement");
    // ... while another waiter removes the dead lock and a third synth takes the lock (alive).
    rmSync(lock, { recursive: true, force: true });
    mkdirSync(lock);
    const live = `${process.pid} `;
    writeFileSync(join(lock, "owner"), live);
    const seen: string[] = [];
    const watcher = watch(cwd, (_event, name) => {
      if (name) seen.push(String(name));
    });
    try {
      writeFileSync(join(hooks, "go"), "");
      await until(
        () => code !== undefined || existsSync(join(hooks, `waiting-${child.pid}`)),
        "the synth to wait or end",
      );
      // The live lock was left where it is, untouched: the synth waits for it.
      expect({
        owner: readFileSync(join(lock, "owner"), "utf8"),
        movedAside: seen.filter((n) => n.includes(".stale-")),
        running: code === undefined,
      }).toEqual({ owner: live, movedAside: [], running: true });
      rmSync(lock, { recursive: true, force: true });
      expect(await exited).toBe("0");
    } finally {
      watcher.close();
      child.kill();
    }
    expect(readdirSync(cwd)).toEqual(["cdktf.out"]);
  }, 120_000);

  it("two synths whose final swaps interleave both succeed and leave one complete cdktf.out, nothing else", async () => {
    const cwd = mkdtempSync(join(scratch, "concurrent-"));
    const hooks = mkdtempSync(join(scratch, "swap-hooks-"));
    const loader = pathToFileURL(join(repoRoot(), "node_modules", "tsx", "dist", "loader.mjs"));
    const main = join(repoRoot(), "apps", "main.ts");
    const synth = (pause: boolean) => {
      const child = spawn(process.execPath, ["--import", loader.href, main, "dev"], {
        cwd,
        env: {
          ...process.env,
          CHECKPOINT_DISABLE: "1",
          PGFORKS_SYNTH_SWAP_TEST_DIR: hooks,
          PGFORKS_SYNTH_SWAP_TEST_PAUSE: pause ? "1" : "0",
          RACE_AT_START: pause ? "0" : "1",
        },
      });
      let stderr = "";
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      let code: string | undefined;
      const exited = new Promise<string>((done) =>
        child.on("exit", (c, signal) => {
          code = String(c ?? signal);
          done(code);
        }),
      );
      return { child, exited, stderr: () => stderr, done: () => code !== undefined };
    };
    // The first synth stops between its two renames: its old output moved aside, its new one
    // not yet in place (the hook waits for the file "go").
    const first = synth(true);
    await until(() => existsSync(join(hooks, `swapping-${first.child.pid}`)), "the first swap");
    // The second synth reaches its swap now: it waits for the first (the lock), or, without
    // one, swaps its own output into the first's half-done swap and ends.
    const second = synth(false);
    await until(
      () => second.done() || existsSync(join(hooks, `waiting-${second.child.pid}`)),
      "the second synth to wait or end",
    );
    writeFileSync(join(hooks, "go"), "");
    const codes = await Promise.all([first.exited, second.exited]);
    expect({ codes, stderr: [first.stderr(), second.stderr()].join("").trim() }).toEqual({
      codes: ["0", "0"],
      stderr: "",
    });
    // One complete output; no staging, previous or lock folder left.
    expect(readdirSync(cwd)).toEqual(["cdktf.out"]);
    expect(Object.keys(readSynthesizedStacks(join(cwd, "cdktf.out"))).sort()).toEqual([
      "dev-platform",
      "dev-tenants",
    ]);
  }, 120_000);
});

describe("the Terraform binary", () => {
  it("is not needed to synthesize: required_version is checked by Terraform, not at synth", () => {
    const cwd = mkdtempSync(join(scratch, "no-terraform-"));
    const loader = pathToFileURL(join(repoRoot(), "node_modules", "tsx", "dist", "loader.mjs"));
    const main = join(repoRoot(), "apps", "main.ts");
    // A PATH without terraform (nor anything else): cdktf's own version probe would fail here.
    const emptyPath = mkdtempSync(join(scratch, "empty-path-"));
    const result = spawnSync(process.execPath, ["--import", loader.href, main, "dev"], {
      cwd,
      env: { ...process.env, PATH: emptyPath },
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(readdirSync(join(cwd, "cdktf.out", "stacks")).sort()).toEqual([
      "dev-platform",
      "dev-tenants",
    ]);
  }, 60_000);
});
