// All or nothing: a command writes tenants.yaml and the registry together, or neither; what a
// killed command left is completed or discarded by the next one.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadEnvironment, repoRoot } from "@pgforks/config";
import { addTenant } from "../src/commands";
import { tenantsFilePath } from "../src/files";
import { registryPath, renderRegistry } from "../src/registry";
import { captureIo, scratchRoot } from "./helpers";

const ENV = "prod";
let scratch: ReturnType<typeof scratchRoot>;
beforeEach(() => {
  scratch = scratchRoot();
});
afterEach(() => scratch.cleanup());

const tenantsFile = () => tenantsFilePath(scratch.environmentsDir, ENV);
const registryFile = () => registryPath(scratch.environmentsDir, ENV);
const read = (file: string) => readFileSync(file, "utf8");
const leftovers = () =>
  readdirSync(scratch.environmentsDir).filter((n) => n.startsWith(".pgforks"));
/** The registry is what tenants.yaml generates: the two files were written together. */
const expectConsistent = () =>
  expect(read(registryFile())).toBe(renderRegistry(loadEnvironment(ENV, scratch.environmentsDir)));

async function add(name: string): Promise<ReturnType<typeof captureIo> & { code: number }> {
  const io = captureIo();
  const code = await addTenant({
    root: scratch.root,
    io,
    env: ENV,
    name,
    owner: `${name}@example.com`,
  });
  return Object.assign(io, { code });
}

/** A pid that no longer runs: a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid;

/** The files a killed `add other` left in its staging folder (manifest = past the commit point). */
async function leaveKilledChange(committed: boolean): Promise<string> {
  const other = scratchRoot();
  try {
    expect(
      await addTenant({
        root: other.root,
        io: captureIo(),
        env: ENV,
        name: "other",
        owner: "o@example.com",
      }),
    ).toBe(0);
    const txn = join(scratch.environmentsDir, `.pgforks-txn-${deadPid()}`);
    mkdirSync(txn);
    writeFileSync(join(txn, "0"), read(tenantsFilePath(other.environmentsDir, ENV)));
    writeFileSync(join(txn, "1"), read(registryPath(other.environmentsDir, ENV)));
    const manifest = [
      ["0", join(ENV, "tenants.yaml")],
      ["1", join(ENV, "DATABASE_REGISTRY.md")],
    ];
    if (committed) writeFileSync(join(txn, "manifest.json"), JSON.stringify(manifest));
    return txn;
  } finally {
    other.cleanup();
  }
}

describe("a change killed part-way", () => {
  it("is completed by the next command when it had reached its commit point", async () => {
    await leaveKilledChange(true);
    const run = await add("next");
    expect(run.err).toEqual([]);
    expect(run.code).toBe(0);
    const names = loadEnvironment(ENV, scratch.environmentsDir).tenants.map((t) => t.name);
    expect(names.slice(-2)).toEqual(["other", "next"]);
    expectConsistent();
    expect(leftovers()).toEqual([]);
  });

  it("is discarded by the next command when it had not", async () => {
    await leaveKilledChange(false);
    const run = await add("next");
    expect(run.code).toBe(0);
    const names = loadEnvironment(ENV, scratch.environmentsDir).tenants.map((t) => t.name);
    expect(names).not.toContain("other");
    expect(names.at(-1)).toBe("next");
    expectConsistent();
    expect(leftovers()).toEqual([]);
  });
});

describe("a write that fails", () => {
  it("leaves tenants.yaml as it was when the registry cannot be written (one line, no stack)", async () => {
    const before = read(tenantsFile());
    rmSync(registryFile());
    mkdirSync(registryFile());
    const run = await add("newfork");
    expect(run.code).toBe(1);
    expect(run.err).toEqual([
      `error: ${registryFile()}: cannot write: is a directory, expected a file (EISDIR)`,
    ]);
    expect(read(tenantsFile())).toBe(before);
    expect(leftovers()).toEqual([]);
  });
});

describe("ctrl-C", () => {
  const loader = pathToFileURL(join(repoRoot(), "node_modules", "tsx", "dist", "loader.mjs"));
  const cli = join(repoRoot(), "packages", "tenant-cli", "src", "cli.ts");

  it.each([200, 700, 1200, 1700])(
    "after %i ms leaves both files changed or neither, and no temporary folder",
    async (delay) => {
      // node with tsx's loader: one process, so the signal reaches the command itself.
      const child = spawn(process.execPath, [
        "--import",
        loader.href,
        cli,
        "add",
        "--root",
        scratch.root,
        "--env",
        ENV,
        "sigfork",
        "--owner",
        "s@example.com",
      ]);
      let stderr = "";
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      const exited = new Promise<string>((done) =>
        child.on("exit", (code, signal) => done(String(code ?? signal))),
      );
      setTimeout(() => child.kill("SIGINT"), delay);
      const result = await exited;
      expect(stderr).not.toMatch(/^\s{4}at /m);
      expect(["0", "130", "SIGINT"]).toContain(result);
      expectConsistent();
      expect(leftovers()).toEqual([]);
      expect(
        readdirSync(tmpdir()).filter((n) => n.startsWith(`pgforks-tenant-${child.pid}-`)),
      ).toEqual([]);
    },
    60_000,
  );
});
