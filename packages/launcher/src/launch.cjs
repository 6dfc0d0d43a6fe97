#!/usr/bin/env node
// @ts-check
/**
 * `node packages/launcher/src/launch.cjs <entry.ts> [args...]`: runs a TypeScript entry point the
 * way `tsx <entry.ts>` does, from a bundle cached under node_modules/.cache/pgforks-launch/.
 *
 * Why: tsx transforms and resolves each of the ~700 modules the synth app loads (cdktf and the
 * provider bindings), on every run. One esbuild bundle, compiled once by V8 and kept as a code
 * cache, starts in a fraction of that (`npm run bench` measures both).
 *
 * The bundle is rebuilt when any file it was built from changed (size or modification time), when
 * the launcher or esbuild changed, or when Node's major version changed; V8 itself rejects a code
 * cache of another V8 or another source, and the launcher then writes a new one. Cache files are
 * written to a temporary name and renamed, so concurrent runs never read a torn file.
 *
 * Plain JavaScript on purpose: it must start without a TypeScript loader.
 * PGFORKS_LAUNCH_CACHE overrides the cache folder (tests).
 */
"use strict";

const { createHash } = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const vm = require("node:vm");

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** What a bundle depends on besides its inputs: a change of any of these rebuilds it. */
function buildIdentity() {
  const esbuildVersion = require("esbuild/package.json").version;
  const launcher = fs.readFileSync(__filename);
  return createHash("sha256")
    .update(`${esbuildVersion}\0${process.versions.node.split(".")[0]}\0`)
    .update(launcher)
    .digest("hex")
    .slice(0, 16);
}

/**
 * @typedef {{ identity: string, entry: string, inputs: Array<[string, number, number]> }} Inputs
 *   inputs: [absolute path, mtimeMs, size] of every file the bundle was built from.
 */

/** The cache folder of one entry point. */
function cacheDirOf(/** @type {string} */ entry) {
  const base =
    process.env.PGFORKS_LAUNCH_CACHE ?? path.join(ROOT, "node_modules", ".cache", "pgforks-launch");
  const key = createHash("sha256").update(entry).digest("hex").slice(0, 16);
  return path.join(base, `${path.basename(entry).replace(/\W/g, "_")}-${key}`);
}

/** Writes `data` to `file` through a temporary file and a rename (atomic on one file system). */
function writeAtomically(/** @type {string} */ file, /** @type {string | Buffer} */ data) {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, data);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

/** Removes temporary files of runs that were killed while writing (their process is gone). */
function removeAbandonedTemporaries(/** @type {string} */ dir) {
  for (const name of fs.readdirSync(dir)) {
    const pid = /\.(\d+)\.tmp$/.exec(name)?.[1];
    if (pid === undefined) continue;
    let alive = true;
    try {
      process.kill(Number(pid), 0);
    } catch (error) {
      alive = /** @type {NodeJS.ErrnoException} */ (error).code === "EPERM";
    }
    if (!alive) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** True when every input still has the size and modification time it was bundled with. */
function isFresh(/** @type {Inputs | undefined} */ recorded, /** @type {string} */ identity) {
  if (recorded?.identity !== identity) return false;
  for (const [file, mtimeMs, size] of recorded.inputs) {
    let stat;
    try {
      stat = fs.statSync(file);
    } catch {
      return false;
    }
    if (stat.mtimeMs !== mtimeMs || stat.size !== size) return false;
  }
  return true;
}

/**
 * `__dirname` and `__filename` of the project's own modules keep their source values inside the
 * bundle (the code finds the repository and its data files from them). Libraries are bundled as
 * they are.
 */
const keepSourcePaths = {
  name: "keep-source-paths",
  setup(/** @type {import("esbuild").PluginBuild} */ build) {
    const root = ROOT.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
    const ownSource = new RegExp(`^${root}[\\\\/](apps|packages)[\\\\/].*\\.(ts|tsx|js|cjs|mjs)$`);
    build.onLoad({ filter: ownSource }, (args) => {
      if (/[\\/]node_modules[\\/]/.test(args.path)) return undefined;
      const source = fs.readFileSync(args.path, "utf8");
      const contents = source
        .replace(/\b__dirname\b/g, JSON.stringify(path.dirname(args.path)))
        .replace(/\b__filename\b/g, JSON.stringify(args.path));
      const extension = path.extname(args.path).slice(1);
      const loader = extension === "ts" || extension === "tsx" ? extension : "js";
      return { contents, loader };
    });
  },
};

/** Bundles `entry`; writes bundle.js and inputs.json into `dir`. Returns the bundle's text. */
async function build(/** @type {string} */ entry, /** @type {string} */ dir, identity) {
  const esbuild = require("esbuild");
  const started = Date.now();
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      absWorkingDir: ROOT,
      bundle: true,
      platform: "node",
      format: "cjs",
      target: `node${process.versions.node.split(".")[0]}`,
      write: false,
      metafile: true,
      logLevel: "silent",
      plugins: [keepSourcePaths],
    });
  } catch (error) {
    const errors = /** @type {{ errors?: import("esbuild").Message[] }} */ (error).errors ?? [];
    if (errors.length === 0) throw error;
    const text = esbuild.formatMessagesSync(errors, { kind: "error", color: false }).join("");
    process.stderr.write(`error: cannot build ${path.relative(process.cwd(), entry)}:\n${text}`);
    process.exit(1);
  }
  const [output] = result.outputFiles;
  if (!output) throw new Error(`esbuild wrote no output for ${entry}`);
  /** @type {Inputs["inputs"]} */
  const inputs = [];
  let changedWhileBuilding = false;
  for (const input of Object.keys(result.metafile.inputs)) {
    const file = path.resolve(ROOT, input);
    const stat = fs.statSync(file);
    if (stat.mtimeMs >= started) changedWhileBuilding = true;
    inputs.push([file, stat.mtimeMs, stat.size]);
  }
  try {
    fs.mkdirSync(dir, { recursive: true });
    removeAbandonedTemporaries(dir);
    writeAtomically(path.join(dir, "bundle.js"), output.text);
    // A file edited during the build may or may not be in the bundle: record nothing, rebuild next time.
    if (!changedWhileBuilding) {
      writeAtomically(path.join(dir, "inputs.json"), JSON.stringify({ identity, entry, inputs }));
    }
  } catch (error) {
    // The cache only saves time: a folder that cannot be written (read-only node_modules, a
    // PGFORKS_LAUNCH_CACHE that is a file) costs each run the build, never the run itself.
    const code = /** @type {NodeJS.ErrnoException} */ (error).code;
    if (typeof code !== "string") throw error;
    process.stderr.write(
      `note: cannot cache the bundle in ${dir} (${code}); running without the cache (set PGFORKS_LAUNCH_CACHE to a writable folder)\n`,
    );
  }
  return output.text;
}

/** Runs the bundle as the main module, with a V8 code cache kept beside it. */
function run(/** @type {string} */ entry, /** @type {string} */ dir, /** @type {string} */ code) {
  const bundle = path.join(dir, "bundle.js");
  const codeCache = path.join(dir, "bundle.v8cache");
  let cachedData;
  try {
    cachedData = fs.readFileSync(codeCache);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(code), { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // Written at exit: by then V8 has compiled the functions the run needed.
    process.on("exit", () => {
      try {
        writeAtomically(codeCache, script.createCachedData());
      } catch {
        // A missing code cache only costs the next run its compile time.
      }
    });
  }
  const mainModule = new Module(entry, null);
  mainModule.filename = entry;
  // @ts-ignore: internal, the search path Node gives every module of that folder.
  mainModule.paths = Module._nodeModulePaths(path.dirname(entry));
  process.argv.splice(1, 2, entry);
  const wrapper = script.runInThisContext();
  wrapper.call(
    mainModule.exports,
    mainModule.exports,
    Module.createRequire(entry),
    mainModule,
    entry,
    path.dirname(entry),
  );
}

async function main() {
  const [given] = process.argv.slice(2);
  if (given === undefined || given.startsWith("-")) {
    process.stderr.write("usage: launch.cjs <entry.ts> [args...]\n");
    process.exit(2);
  }
  const entry = path.resolve(given);
  if (!fs.existsSync(entry)) {
    process.stderr.write(`error: ${given}: no such file\n`);
    process.exit(2);
  }
  const dir = cacheDirOf(entry);
  const identity = buildIdentity();
  /** @type {Inputs | undefined} */
  let recorded;
  try {
    recorded = JSON.parse(fs.readFileSync(path.join(dir, "inputs.json"), "utf8"));
  } catch {
    recorded = undefined;
  }
  let code;
  if (isFresh(recorded, identity)) {
    try {
      code = fs.readFileSync(path.join(dir, "bundle.js"), "utf8");
    } catch {
      code = undefined;
    }
  }
  run(entry, dir, code ?? (await build(entry, dir, identity)));
}

main();
