import {
  type Dirent,
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  type Stats,
  statSync,
} from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  LineCounter,
  parseAllDocuments,
  parseDocument,
  visit,
} from "yaml";
import type { z } from "zod";
import { budgetProblem, connectionBudget } from "./capacity";
import { ConfigError, type ConfigProblem, formatPath, type WhenUnwritten } from "./errors";
import { FAST_YAML_DECLINED, fastYamlValue } from "./fast-yaml";
import { fileSystemReason, isErrnoError } from "./fs-errors";
import { INSTANCE_CLASS_NAMES, type InstanceClass, instanceCapacity } from "./instance-classes";
import { allowedKeysAt } from "./json-schema";
import { readOnlyRoleName } from "./naming";
import { proxySecretProblem, tenantInProxy } from "./proxy-quota";
import { type EnvironmentConfig, environmentSchema } from "./schema/environment";
import { type TenantConfig, tenantsFileSchema } from "./schema/tenants";
import { LOCAL_ENVIRONMENT } from "./tenant-access";
import { visibleJson } from "./visible";
import { describeYamlErrors } from "./yaml-errors";

export const ENVIRONMENT_FILE = "environment.yaml";
export const TENANTS_FILE = "tenants.yaml";

/** One environment's configuration, validated, defaults filled in. */
export interface LoadedEnvironment {
  readonly name: string;
  readonly dir: string;
  readonly environment: EnvironmentConfig;
  readonly tenants: readonly TenantConfig[];
}

/** The repository root: the nearest folder above this package that holds cdktf.json. */
export function repoRoot(): string {
  let dir = resolve(__dirname);
  for (;;) {
    if (existsSync(join(dir, "cdktf.json")) && existsSync(join(dir, "environments"))) return dir;
    const parent = resolve(dir, "..");
    if (parent === dir) throw new Error(`cannot find the repository root above ${__dirname}`);
    dir = parent;
  }
}

/** Names another environments folder for every command that reads one (tests, benchmarks, a copy). */
export const ENVIRONMENTS_DIR_VARIABLE = "PGFORKS_ENVIRONMENTS_DIR";

/**
 * The folder $PGFORKS_ENVIRONMENTS_DIR names, resolved against the working folder, or undefined
 * when it is unset or empty (an empty value is unset, as CDKTF_OUTDIR).
 */
export function environmentsDirOverride(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[ENVIRONMENTS_DIR_VARIABLE];
  return value ? resolve(value) : undefined;
}

/**
 * The environments folder a command reads: `<root>/environments` when a root is given (a
 * command's --root), else $PGFORKS_ENVIRONMENTS_DIR when set, else this repository's. Every
 * command resolves it here, so synth, credentials, npm start, audit, policy, ci, review and
 * tenant read the same folder.
 */
export function environmentsDir(root?: string): string {
  if (root !== undefined) return join(root, "environments");
  return environmentsDirOverride() ?? join(repoRoot(), "environments");
}

/**
 * Folders under environments/ that are not environments: the JSON Schemas the YAML files
 * reference, and the local target's (applied by `npm start`, not an AWS environment).
 */
export const NON_ENVIRONMENT_FOLDERS: readonly string[] = ["schema", LOCAL_ENVIRONMENT];

/**
 * The environments, sorted: every folder under environments/ except dot-folders (the edit lock)
 * and NON_ENVIRONMENT_FOLDERS. Adding an environment is adding a folder; a folder without its
 * files is still one, and loading it names the missing file (never silently skipped).
 */
export function environmentNames(dir = environmentsDir()): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (!isErrnoError(error)) throw error;
    // One problem naming the folder (and the variable, when it chose the folder), not Node's
    // "ENOENT: no such file or directory, scandir ..." from every command that lists them.
    const named = dir === environmentsDirOverride() ? ` (${ENVIRONMENTS_DIR_VARIABLE})` : "";
    throw new ConfigError([
      {
        file: displayPath(dir),
        path: "",
        message: `cannot read the environments folder${named}: ${fileSystemReason(error.code)} (${error.code})`,
      },
    ]);
  }
  const names = entries
    .filter(
      (e) =>
        e.isDirectory() && !e.name.startsWith(".") && !NON_ENVIRONMENT_FOLDERS.includes(e.name),
    )
    .map((e) => e.name)
    .sort();
  // PGFORKS_ENVIRONMENTS_DIR naming a checkout instead of its environments/: apps, docs and
  // node_modules were environments "without their files", one "file is missing" pair each.
  const nested = join(dir, "environments");
  if (
    dir === environmentsDirOverride() &&
    names.includes("environments") &&
    !names.some((name) => existsSync(join(dir, name, ENVIRONMENT_FILE)))
  ) {
    throw new ConfigError([
      {
        file: displayPath(dir),
        path: "",
        message: `is not an environments folder (${ENVIRONMENTS_DIR_VARIABLE}): none of its folders holds an ${ENVIRONMENT_FILE}; set ${ENVIRONMENTS_DIR_VARIABLE}=${nested}`,
      },
    ]);
  }
  return names;
}

/** What every command says of an --env that names no environment folder. */
export function unknownEnvironmentMessage(name: string, known: readonly string[]): string {
  return `unknown environment ${visibleJson(name)} (environments: ${known.join(", ") || "none"})`;
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === "" || rel.startsWith("..") ? file : rel;
}

/** Longest rendering of a found value: a binary dump or a long list stays on one line. */
const MAX_FOUND = 80;

function render(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") {
    const json = visibleJson(value);
    return json.length > MAX_FOUND
      ? `${json.slice(0, MAX_FOUND - 4)}..." (${value.length} characters)`
      : json;
  }
  if (value === null) return "null";
  if (typeof value === "object") {
    const json = visibleJson(value);
    return json.length > 60 ? `${json.slice(0, 57)}...` : json;
  }
  return String(value);
}

/**
 * A number as written in the file (`012345678901`, `1e400`), which YAML may have changed
 * (12345678901, Infinity); every other value as render() shows it.
 */
function renderAsWritten(parsed: ParsedYaml, path: readonly PropertyKey[], value: unknown): string {
  if (typeof value !== "number") return render(value);
  const node = parsed.doc.getIn(path as unknown[], true);
  const source = isScalar(node) ? (node as { source?: unknown }).source : undefined;
  return typeof source === "string" && source !== String(value) ? source : render(value);
}

export interface ParsedYaml {
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly value: unknown;
}

/** What configFileProblem says of a file that does not exist. */
export const CONFIG_FILE_MISSING = "file is missing";

/** What a file-system entry that is neither a file nor a folder is. */
function specialKind(stat: Stats): string {
  if (stat.isFIFO()) return "a named pipe (FIFO)";
  if (stat.isSocket()) return "a socket";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  return "not a regular file";
}

/**
 * Why `file` cannot be read as a configuration file, or undefined when it can: missing
 * (CONFIG_FILE_MISSING), a folder, a named pipe or device (reading one would wait forever), a
 * symbolic link to nothing or a loop of links, or unreadable. Checked before any read.
 */
export function configFileProblem(file: string): string | undefined {
  let stat: Stats;
  try {
    stat = statSync(file);
  } catch (error) {
    // The code, not instanceof: errors of node:fs come from another realm under Jest.
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (typeof code !== "string") throw error;
    if (code === "ENOENT") {
      let target: string;
      try {
        target = readlinkSync(file);
      } catch {
        return CONFIG_FILE_MISSING;
      }
      return `is a symbolic link to ${target}, which does not exist`;
    }
    return `cannot read: ${fileSystemReason(code)} (${code})`;
  }
  if (stat.isDirectory()) return "is a directory, expected a YAML file";
  if (!stat.isFile()) return `is ${specialKind(stat)}, expected a YAML file`;
  return undefined;
}

/** Reads a config file as text; a file-system problem becomes one problem naming the file. */
function readConfigText(file: string, problems: ConfigProblem[]): string | undefined {
  const fail = (message: string) => {
    problems.push({ file: displayPath(file), path: "", message });
    return undefined;
  };
  const problem = configFileProblem(file);
  if (problem) return fail(problem);
  try {
    const bytes = readFileSync(file);
    const text = bytes.toString("utf8");
    if (bytes.includes(0) || text.includes("\uFFFD")) {
      return fail("is not a text file (binary or not UTF-8); expected YAML");
    }
    return text;
  } catch (error) {
    if (!isErrnoError(error)) throw error;
    return fail(`cannot read: ${fileSystemReason(error.code)} (${error.code})`);
  }
}

/**
 * The precise reading of a configuration file's `text`: the `yaml` library's Document, which
 * knows where every node is, for the messages. Exactly one document, not empty, no syntax error,
 * no duplicate key, no anchor or alias; else it adds the problems and gives undefined.
 */
export function parseYaml(
  file: string,
  text: string,
  problems: ConfigProblem[],
): ParsedYaml | undefined {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true });
  const all = Array.isArray(docs) ? docs : [];
  const doc = all[0];
  if (all.length > 1) {
    const pos = all[1]?.range ? lines.linePos(all[1].range[0]) : undefined;
    problems.push({
      file: displayPath(file),
      path: "",
      line: pos?.line,
      column: pos?.col,
      message: `holds ${all.length} YAML documents (separated by ---); it must hold exactly one`,
    });
    return undefined;
  }
  // Nothing but blanks and comments (a truncated save, `> environment.yaml`): one problem, not
  // one "is required" per top-level field.
  const value = doc && doc.errors.length === 0 && doc.contents !== null ? doc.toJS() : undefined;
  if (!doc || (doc.errors.length === 0 && value == null)) {
    problems.push({
      file: displayPath(file),
      path: "",
      message: `is empty (no YAML value: only blanks, comments or null): write its settings, as ${schemaFileOf(file)} describes`,
    });
    return undefined;
  }
  if (doc.errors.length > 0) {
    for (const report of describeYamlErrors(doc, lines)) {
      problems.push({
        file: displayPath(file),
        ...report,
        message: `invalid YAML: ${report.message}`,
      });
    }
    return undefined;
  }
  let reuse: { offset?: number } | undefined;
  // An anchor starts with "&" and an alias with "*": a text with neither has none to find.
  if (text.includes("&") || text.includes("*"))
    visit(doc, {
      Alias(_key, node) {
        reuse = { offset: node.range?.[0] };
        return visit.BREAK;
      },
      Node(_key, node) {
        if (!node.anchor) return undefined;
        reuse = { offset: node.range?.[0] };
        return visit.BREAK;
      },
    });
  if (reuse) {
    const pos = reuse.offset === undefined ? undefined : lines.linePos(reuse.offset);
    problems.push({
      file: displayPath(file),
      path: "",
      line: pos?.line,
      column: pos?.col,
      message:
        "uses a YAML anchor (&name) or alias (*name); write each value out, so every change shows in the diff",
    });
    return undefined;
  }
  return { doc, lines, value };
}

/** Where a path points in the document: the value node, or the key for an unknown key. */
function locate(parsed: ParsedYaml, path: readonly PropertyKey[], unknownKey?: string) {
  const node = parsed.doc.getIn(path as unknown[], true) as
    | { range?: [number, number, number] }
    | undefined;
  let offset = node?.range?.[0];
  if (unknownKey !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === unknownKey);
    offset = (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0] ?? offset;
  }
  if (offset === undefined) return {};
  const pos = parsed.lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * Where a custom issue on a field the file does not write is reported instead: the sibling its
 * `params.whenUnwritten` names, when the file writes that one (see {@link WhenUnwritten}).
 */
function writtenSibling(
  parsed: ParsedYaml,
  issue: z.core.$ZodIssue,
): { path: PropertyKey[]; message: string } | undefined {
  if (issue.code !== "custom") return undefined;
  const unwritten = (issue.params as { whenUnwritten?: WhenUnwritten } | undefined)?.whenUnwritten;
  if (!unwritten || valueAt(parsed.value, issue.path) !== undefined) return undefined;
  const path = [...issue.path.slice(0, -1), unwritten.key];
  return valueAt(parsed.value, path) === undefined
    ? undefined
    : { path, message: unwritten.message };
}

/** Turns zod issues into problems that name the file, the path, what was found and what is allowed. */
function issuesToProblems(
  file: string,
  parsed: ParsedYaml,
  issues: readonly z.core.$ZodIssue[],
  keysAt: (path: readonly PropertyKey[]) => readonly string[],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const allowed = keysAt(issue.path);
        problems.push({
          file: displayPath(file),
          path: formatPath([...issue.path, key]),
          ...locate(parsed, issue.path, key),
          message: `unknown key "${key}"${allowed.length > 0 ? ` (allowed: ${allowed.join(", ")})` : ""}`,
        });
      }
      continue;
    }
    if (issue.code === "invalid_key") {
      // A bad record key (a tag key): the key is what was found, the inner issue says why.
      const key = issue.path.at(-1);
      problems.push({
        file: displayPath(file),
        path: formatPath(issue.path),
        ...locate(parsed, issue.path.slice(0, -1), String(key)),
        found: render(key),
        message: `key ${issue.issues.map((i) => i.message).join("; ")}`,
      });
      continue;
    }
    const sibling = writtenSibling(parsed, issue);
    if (sibling) {
      problems.push({
        file: displayPath(file),
        path: formatPath(sibling.path),
        ...locate(parsed, sibling.path),
        found: renderAsWritten(parsed, sibling.path, valueAt(parsed.value, sibling.path)),
        message: sibling.message,
      });
      continue;
    }
    const found = valueAt(parsed.value, issue.path);
    problems.push({
      file: displayPath(file),
      path: formatPath(issue.path),
      ...locate(parsed, issue.path),
      found: renderAsWritten(parsed, issue.path, found),
      message: describeIssue(issue, found, schemaFileOf(file)),
    });
  }
  return problems;
}

/** A zod type name as the person who edits the YAML knows it. */
const TYPE_WORDS: Record<string, string> = {
  array: "a list",
  object: "a mapping (key: value lines)",
  int: "a whole number",
  number: "a number",
  string: "a string",
  boolean: "a boolean (true or false)",
};

/** The JSON Schema of a configuration file: environments/schema/<tenants|environment>.schema.json. */
function schemaFileOf(file: string): string {
  return `environments/schema/${basename(file, ".yaml")}.schema.json`;
}

function describeIssue(issue: z.core.$ZodIssue, found: unknown, schemaFile: string): string {
  if (issue.code === "invalid_type") {
    const expected = TYPE_WORDS[issue.expected] ?? `a ${issue.expected}`;
    if (found === undefined) return `is required (expected ${expected})`;
    if (typeof found === "number" && !Number.isFinite(found)) {
      return `must be ${expected}; the value is out of range (YAML reads it as infinity)`;
    }
    if (issue.expected === "string" && (typeof found === "number" || typeof found === "boolean")) {
      // `account: 012345678901` is the number 12345678901 to YAML: quoting keeps it as written.
      return `must be a string: put the value in quotes (YAML reads it unquoted as a ${typeof found})`;
    }
    return `must be ${expected}`;
  }
  if (issue.code === "invalid_value") {
    const values = issue.values.map((v) => JSON.stringify(v));
    return values.length > 8
      ? `must be one of ${values.slice(0, 6).join(", ")}, ... (${values.length} allowed values, listed in ${schemaFile})`
      : `must be one of ${values.join(", ")}`;
  }
  if (issue.code === "too_small") {
    const what = issue.origin === "array" ? "items" : issue.origin === "string" ? "characters" : "";
    return `must be at least ${String(issue.minimum)}${what ? ` ${what}` : ""}`;
  }
  if (issue.code === "too_big") {
    const what = issue.origin === "array" ? "items" : issue.origin === "string" ? "characters" : "";
    return `must be at most ${String(issue.maximum)}${what ? ` ${what}` : ""}`;
  }
  if (issue.code === "invalid_format" && issue.format === "email")
    return "must be an email address";
  return issue.message;
}

/**
 * Set to 1, every configuration file is read the precise way only, as before the quick path
 * existed: for `npm run bench:config` (before and after in one tree), or to rule the quick path
 * out. The results and messages are the same either way; only the time differs.
 */
export const PRECISE_YAML_VARIABLE = "PGFORKS_PRECISE_YAML";

/**
 * A valid file read the quick way (fast-yaml.ts), or undefined for the precise path: when the
 * quick one declines the text, or the file has any problem at all, so that every message (and
 * its line and column) is the precise path's. The extra checks see the value through a
 * ParsedYaml whose Document is made only if one of them asks where a node is, that is, only
 * when it finds a problem, which this result then leaves to the precise path anyway.
 */
function quickValidate<S extends z.ZodType>(
  schema: S,
  text: string,
  extraChecks: (parsed: ParsedYaml) => ConfigProblem[],
): { data: z.output<S> } | undefined {
  if (process.env[PRECISE_YAML_VARIABLE] === "1") return undefined;
  const value = fastYamlValue(text);
  if (value === FAST_YAML_DECLINED) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) return undefined;
  let precise: { doc: Document; lines: LineCounter } | undefined;
  const parsedLater = () => {
    if (!precise) {
      const lines = new LineCounter();
      precise = { doc: parseDocument(text, { lineCounter: lines }), lines };
    }
    return precise;
  };
  const parsed: ParsedYaml = {
    value,
    get doc() {
      return parsedLater().doc;
    },
    get lines() {
      return parsedLater().lines;
    },
  };
  return extraChecks(parsed).length === 0 ? { data: result.data } : undefined;
}

function validate<S extends z.ZodType>(
  schema: S,
  file: string,
  problems: ConfigProblem[],
  keysAt: (path: readonly PropertyKey[]) => readonly string[],
  extraChecks: (parsed: ParsedYaml) => ConfigProblem[] = () => [],
): z.output<S> | undefined {
  const text = readConfigText(file, problems);
  if (text === undefined) return undefined;
  const quick = quickValidate(schema, text, extraChecks);
  if (quick) return quick.data;
  const parsed = parseYaml(file, text, problems);
  if (!parsed) return undefined;
  const result = schema.safeParse(parsed.value ?? {});
  const found = [
    ...(result.success ? [] : issuesToProblems(file, parsed, result.error.issues, keysAt)),
    ...extraChecks(parsed),
  ];
  found.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  // One push per problem: push(...found) passes every problem as an argument, and a file with
  // some 150,000 bad entries overflowed the stack (RangeError instead of the report).
  for (const problem of found) problems.push(problem);
  return result.success && found.length === 0 ? result.data : undefined;
}

/** environment.yaml's `name` must be its folder's. */
function folderNameProblems(parsed: ParsedYaml, envFile: string, name: string): ConfigProblem[] {
  const found = valueAt(parsed.value, ["name"]);
  if (found === undefined || found === name) return [];
  return [
    {
      file: displayPath(envFile),
      path: "name",
      ...locate(parsed, ["name"]),
      found: render(found),
      message: `must match the folder name "${name}"`,
    },
  ];
}

/**
 * database.connectionReserve must leave connections for the tenants: a reserve of 500 on a class
 * with max_connections 198 is a mistake in environment.yaml, which no tenant limit can fix.
 */
function reserveProblems(parsed: ParsedYaml, envFile: string): ConfigProblem[] {
  const path = ["database", "connectionReserve"];
  const reserve = valueAt(parsed.value, path);
  const instanceClass = valueAt(parsed.value, ["database", "instanceClass"]);
  if (typeof reserve !== "number" || !INSTANCE_CLASS_NAMES.includes(instanceClass as never)) {
    return [];
  }
  const { maxConnections } = instanceCapacity(instanceClass as InstanceClass);
  if (reserve < maxConnections) return [];
  return [
    {
      file: displayPath(envFile),
      path: formatPath(path),
      ...locate(parsed, path),
      found: render(reserve),
      message: `must be below max_connections ${maxConnections} of ${String(instanceClass)}, or no connection is left for the tenants (default 10)`,
    },
  ];
}

/**
 * A name that is no environment folder at all: one that does not exist (a typo: `--env prdo`), or
 * one of NON_ENVIRONMENT_FOLDERS (`local`, the local target's tenants only, which npm start
 * reads). Named with the environments there are, instead of two "file is missing" lines. A folder
 * that exists without its files is still an environment: its missing file is named.
 */
function notAnEnvironmentProblem(name: string, dir: string): ConfigProblem | undefined {
  const envDir = join(dir, name);
  // "" and "." are the environments folder itself, "prod/" and "../x/prod" a path: not a name
  // (they read the folder's own files, or failed with "must match the folder name").
  if (name === "" || name === "." || name === ".." || basename(name) !== name) {
    const known = existsSync(dir) ? environmentNames(dir).join(", ") || "none" : "none";
    return {
      file: displayPath(dir),
      path: "",
      message: `has no environment ${visibleJson(name)}: an environment is named by its folder's name (environments: ${known})`,
    };
  }
  const local = name === LOCAL_ENVIRONMENT;
  if (!local && !NON_ENVIRONMENT_FOLDERS.includes(name) && existsSync(envDir)) return undefined;
  if (!existsSync(dir)) return undefined;
  const known = `(environments: ${environmentNames(dir).join(", ") || "none"})`;
  return {
    file: displayPath(envDir),
    path: "",
    message: local
      ? `is the local target (npm start reads its tenants.yaml), not an environment ${known}`
      : existsSync(envDir)
        ? `is not an environment folder ${known}`
        : `does not exist: no environment "${name}" ${known}`,
  };
}

/**
 * Reads and validates one environment folder. Throws ConfigError listing every problem in
 * both files (and the cross-file checks) at once.
 */
export function loadEnvironment(name: string, dir = environmentsDir()): LoadedEnvironment {
  const envDir = join(dir, name);
  const notEnvironment = notAnEnvironmentProblem(name, dir);
  if (notEnvironment) throw new ConfigError([notEnvironment]);
  const problems: ConfigProblem[] = [];
  const envFile = join(envDir, ENVIRONMENT_FILE);
  const tenantsFile = join(envDir, TENANTS_FILE);
  const environment = validate(
    environmentSchema,
    envFile,
    problems,
    (p) => allowedKeysAt("environment", p),
    (parsed) => [...folderNameProblems(parsed, envFile, name), ...reserveProblems(parsed, envFile)],
  );
  const tenantsFileConfig = validate(tenantsFileSchema, tenantsFile, problems, (p) =>
    allowedKeysAt("tenants", p),
  );

  if (environment && tenantsFileConfig) {
    tenantsFileConfig.tenants.forEach((tenant, i) => {
      if (tenant.name === environment.database.masterUsername) {
        problems.push({
          file: displayPath(tenantsFile),
          path: `tenants[${i}].name`,
          found: render(tenant.name),
          message: `is the master username of ${displayPath(envFile)}; choose another name`,
        });
      }
      // The master user exists before any tenant: a tenant role of that name cannot be created.
      if (tenant.readOnlyRole && readOnlyRoleName(tenant) === environment.database.masterUsername) {
        problems.push({
          file: displayPath(tenantsFile),
          path: `tenants[${i}].readOnlyRole`,
          found: render(tenant.readOnlyRole),
          message: `would create role "${readOnlyRoleName(tenant)}", the master username of ${displayPath(envFile)}; choose another master username or set readOnlyRole: false`,
        });
      }
    });
    if (environment.proxy.enabled) {
      const problem = proxySecretProblem(tenantsFileConfig.tenants.filter(tenantInProxy).length);
      if (problem)
        problems.push({ file: displayPath(tenantsFile), path: "tenants", message: problem });
    }
    const budget = connectionBudget(environment, tenantsFileConfig.tenants);
    const problem = budgetProblem(name, environment, budget);
    if (problem) {
      problems.push({ file: displayPath(tenantsFile), path: "tenants", message: problem });
    }
  }
  if (problems.length > 0 || !environment || !tenantsFileConfig) throw new ConfigError(problems);
  return { name, dir: envDir, environment, tenants: tenantsFileConfig.tenants };
}

/**
 * Reads and validates a tenants.yaml on its own (the local target's, which has no
 * environment.yaml). Throws ConfigError listing every problem. `takenRoles`: the roles the server
 * has before any tenant, each with what it is (the local admin, the bootstrap superuser): a tenant
 * of such a name is refused here, as the master username is for an environment, instead of by
 * the apply's CREATE ROLE halfway through.
 */
export function loadTenantsFile(
  file: string,
  takenRoles: Readonly<Record<string, string>> = {},
): TenantConfig[] {
  const problems: ConfigProblem[] = [];
  const config = validate(
    tenantsFileSchema,
    file,
    problems,
    (p) => allowedKeysAt("tenants", p),
    (parsed) => takenRoleProblems(parsed, file, takenRoles),
  );
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return config.tenants;
}

/** Tenants of `file` whose role would take the name of a role in `takenRoles`. */
function takenRoleProblems(
  parsed: ParsedYaml,
  file: string,
  takenRoles: Readonly<Record<string, string>>,
): ConfigProblem[] {
  const tenants = valueAt(parsed.value, ["tenants"]);
  if (!Array.isArray(tenants)) return [];
  return tenants.flatMap((tenant: unknown, i): ConfigProblem[] => {
    const name = (tenant as { name?: unknown } | null)?.name;
    if (typeof name !== "string" || !Object.hasOwn(takenRoles, name)) return [];
    return [
      {
        file: displayPath(file),
        path: `tenants[${i}].name`,
        ...locate(parsed, ["tenants", i, "name"]),
        found: render(name),
        message: `is ${takenRoles[name]}, a role the server has before any tenant; choose another name`,
      },
    ];
  });
}

/** Loads several environments, collecting the problems of all of them before throwing. */
export function loadEnvironments(
  names = environmentNames(),
  dir = environmentsDir(),
): LoadedEnvironment[] {
  const loaded: LoadedEnvironment[] = [];
  const problems: ConfigProblem[] = [];
  for (const name of names) {
    try {
      loaded.push(loadEnvironment(name, dir));
    } catch (error) {
      if (error instanceof ConfigError)
        for (const problem of error.problems) problems.push(problem);
      else throw error;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return loaded;
}
