import { spawn } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const LAUNCHER = resolve(__dirname, "..", "src", "launch.cjs");
const FIXTURE = join(__dirname, "fixtures", "app");
const ROOT = resolve(__dirname, "..", "..", "..");

// Each test spawns Node (and esbuild); the synth comparison runs two full synths. Under the load
// of a busy 2-core machine (load average about 20) these take up to 10x their quiet time.
jest.setTimeout(120_000);

const scratch = mkdtempSync(join(tmpdir(), "pgforks-launch-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let caches = 0;
/** A fresh, empty cache folder. */
const newCache = () => join(scratch, `cache-${++caches}`);

interface Launched {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the launcher as a user would: `node launch.cjs <entry> [args]`. */
function launch(
  args: readonly string[],
  cache: string,
  env: Record<string, string> = {},
): Promise<Launched> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [LAUNCHER, ...args], {
      cwd: ROOT,
      env: { ...process.env, PGFORKS_LAUNCH_CACHE: cache, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on("error", fail);
    child.on("close", (status) => done({ status, stdout, stderr }));
  });
}

/** The one bundle folder inside a cache folder. */
function bundleDir(cache: string): string {
  const [dir, ...more] = readdirSync(cache);
  expect(more).toEqual([]);
  return join(cache, dir as string);
}

/** Every file below `dir`, relative path -> content. */
function filesBelow(dir: string, prefix = ""): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const relative = join(prefix, entry.name);
    if (entry.isDirectory()) Object.assign(files, filesBelow(dir, relative));
    else files[relative] = readFileSync(join(dir, relative), "utf8");
  }
  return files;
}

describe("launch.cjs", () => {
  it("runs a TypeScript entry with its arguments and exit code; __dirname is the source's", async () => {
    const result = await launch([join(FIXTURE, "main.ts"), "a", "--b"], newCache());
    expect(result.stderr).toBe("");
    expect(result.status).toBe(3);
    expect(JSON.parse(result.stdout)).toEqual({
      argv: ["a", "--b"],
      dirname: FIXTURE,
      greeting: "hello from a bundled module",
    });
  });

  it("reuses the bundle while its inputs are unchanged and rebuilds it when one changes", async () => {
    const app = join(scratch, "editable-app");
    cpSync(FIXTURE, app, { recursive: true });
    const cache = newCache();
    const entry = join(app, "main.ts");

    expect(JSON.parse((await launch([entry], cache)).stdout).greeting).toBe(
      "hello from a bundled module",
    );
    const bundle = join(bundleDir(cache), "bundle.js");
    const built = statSync(bundle).mtimeMs;
    expect(readdirSync(bundleDir(cache)).sort()).toEqual([
      "bundle.js",
      "bundle.v8cache",
      "inputs.json",
    ]);

    expect((await launch([entry], cache)).status).toBe(3);
    expect(statSync(bundle).mtimeMs).toBe(built);

    writeFileSync(join(app, "greeting.ts"), 'export const greeting = "edited";\n');
    expect(JSON.parse((await launch([entry], cache)).stdout).greeting).toBe("edited");
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(built);
  });

  it("lets concurrent first runs share one cache folder, leaving no temporary file", async () => {
    const cache = newCache();
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) => launch([join(FIXTURE, "main.ts"), String(n)], cache)),
    );
    results.forEach((result, i) => {
      expect(result.status).toBe(3);
      expect(JSON.parse(result.stdout).argv).toEqual([String(i + 1)]);
    });
    expect(readdirSync(bundleDir(cache)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("removes what a killed run left half-written", async () => {
    const cache = newCache();
    expect((await launch([join(FIXTURE, "main.ts")], cache)).status).toBe(3);
    const dir = bundleDir(cache);
    // A process that has exited: its pid names no running process.
    const gone = spawn(process.execPath, ["-e", ""]);
    const pid = gone.pid as number;
    await new Promise((done) => gone.on("close", done));
    const leftover = join(dir, `bundle.js.${pid}.tmp`);
    writeFileSync(leftover, "half of a bundle");
    rmSync(join(dir, "inputs.json"));
    expect((await launch([join(FIXTURE, "main.ts")], cache)).status).toBe(3);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("reports a syntax error as esbuild's message naming file and line, without a stack trace", async () => {
    const app = join(scratch, "broken-app");
    mkdirSync(app);
    writeFileSync(join(app, "main.ts"), "const x: number = ;\n");
    const result = await launch([join(app, "main.ts")], newCache());
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot build .*main\.ts:/);
    expect(result.stderr).toMatch(/\[ERROR\] Unexpected ";"/);
    expect(result.stderr).toMatch(/broken-app\/main\.ts:1:18:/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("runs without the cache, with one note line, when the cache folder cannot be written", async () => {
    // PGFORKS_LAUNCH_CACHE naming a file (or a read-only node_modules): the cache is skipped,
    // the run is not (it used to stop with ENOTDIR and a stack trace).
    const notAFolder = join(scratch, "cache-is-a-file");
    writeFileSync(notAFolder, "not a folder\n");
    const result = await launch([join(FIXTURE, "main.ts"), "x"], notAFolder);
    expect(result.status).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ argv: ["x"] });
    const [note, ...rest] = result.stderr.split("\n");
    expect(rest).toEqual([""]);
    expect(note).toMatch(
      /^note: cannot cache the bundle in .*cache-is-a-file\/main_ts-[0-9a-f]{16} /,
    );
    expect(note).toMatch(/ \(ENOTDIR\); running without the cache \(set PGFORKS_LAUNCH_CACHE/);
    expect(readFileSync(notAFolder, "utf8")).toBe("not a folder\n");
  });

  it("refuses a missing entry or none with one line and exit 2", async () => {
    const missing = await launch([join(scratch, "nothing.ts")], newCache());
    expect([missing.status, missing.stderr]).toEqual([
      2,
      `error: ${join(scratch, "nothing.ts")}: no such file\n`,
    ]);
    const none = await launch([], newCache());
    expect([none.status, none.stderr]).toEqual([2, "usage: launch.cjs <entry.ts> [args...]\n"]);
  });

  it("synthesizes byte for byte what tsx synthesizes (apps/main.ts, all environments)", async () => {
    const launched = join(scratch, "out-launched");
    const direct = join(scratch, "out-tsx");
    const cache = newCache();
    for (let run = 0; run < 2; run++) {
      // The first run builds the bundle, the second runs it from the cache.
      rmSync(launched, { recursive: true, force: true });
      const result = await launch(["apps/main.ts"], cache, { CDKTF_OUTDIR: launched });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
    }
    const tsx = await new Promise<number | null>((done) => {
      spawn(join(ROOT, "node_modules", ".bin", "tsx"), ["apps/main.ts"], {
        cwd: ROOT,
        env: { ...process.env, CDKTF_OUTDIR: direct },
        stdio: "ignore",
      }).on("close", done);
    });
    expect(tsx).toBe(0);
    const expected = filesBelow(direct);
    expect(Object.keys(expected).length).toBeGreaterThan(6);
    expect(filesBelow(launched)).toEqual(expected);
  });
});
