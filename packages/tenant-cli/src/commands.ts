import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  CONFIG_FILE_MISSING,
  ConfigError,
  type ConfigProblem,
  configFileProblem,
  connectionBudget,
  ENVIRONMENT_FILE,
  ENVIRONMENTS_DIR_VARIABLE,
  type EnvironmentConfig,
  type EnvironmentsTransaction,
  environmentNames,
  environmentsDir,
  environmentsDirOverride,
  FileSystemError,
  fileSystemReason,
  formatProblemList,
  isErrnoError,
  LOCAL_ENVIRONMENT,
  type LoadedEnvironment,
  LockBusyError,
  loadEnvironment,
  loadEnvironments,
  onFile,
  repoRoot,
  type TenantConfig,
  type TenantState,
  tenantDatabaseName,
  tenantSchema,
  unknownEnvironmentMessage,
  visibleJson,
  withEnvironmentsLock,
} from "@pgforks/config";
import {
  backupCommands,
  environmentAdminConnection,
  READDED_SECRET_WINDOW_DAYS,
  readdedSecretCommands,
} from "@pgforks/tenants";
import { type CheckFinding, checkAgainstBase } from "./check";
import { displayPath, tenantsFilePath, validateProposedTenants } from "./files";
import {
  describeTenantChange,
  formatBudget,
  formatBudgetChange,
  formatStackChanges,
  roleLimitCell,
} from "./plan";
import { REGISTRY_FILE, registryPath, renderRegistry } from "./registry";
import { type NewTenantEntry, TenantsDocument, UnknownTenantError } from "./tenants-document";

/** Where a command writes: `log` for results, `error` for refusals and problems. */
export interface Io {
  log(line: string): void;
  error(line: string): void;
}

export const consoleIo: Io = {
  log: (line) => console.log(line),
  error: (line) => console.error(line),
};

/** Options every command takes. */
export interface CommandContext {
  /** Folder holding `environments/` (and the git work tree for `check`). Default: the repository root. */
  readonly root?: string;
  /** Output. Default: the console. */
  readonly io?: Io;
}

function resolveContext(context: CommandContext) {
  const root = context.root ?? repoRoot();
  // --root first, then PGFORKS_ENVIRONMENTS_DIR, then this repository's (environmentsDir()).
  return { root, environmentsDir: environmentsDir(context.root), io: context.io ?? consoleIo };
}

/** Refusal raised inside a command; printed as is, exit code 1. */
class Refusal extends Error {}

/**
 * Refuses when `environmentsDir` is not a readable folder (a wrong --root): one line naming it,
 * instead of an empty list of environments or a lock that cannot be taken.
 */
function requireEnvironmentsDir(environmentsDir: string): void {
  const problem = (() => {
    try {
      return statSync(environmentsDir).isDirectory() ? undefined : "is not a folder";
    } catch (error) {
      if (!isErrnoError(error)) throw error;
      return `${fileSystemReason(error.code)} (${error.code})`;
    }
  })();
  if (problem) {
    throw new Refusal(
      `${displayPath(environmentsDir)}: ${problem}; it must be the environments folder (${environmentsDir === environmentsDirOverride() ? `named by ${ENVIRONMENTS_DIR_VARIABLE}` : "--root names the folder that holds environments/, default: this repository"})`,
    );
  }
}

/** Refuses when a configuration file is a folder, a named pipe, a broken link... (missing is up to the caller). */
function requireReadableConfigFile(file: string, missingOk: boolean): boolean {
  const problem = configFileProblem(file);
  if (problem === CONFIG_FILE_MISSING && missingOk) return false;
  if (problem) throw new Refusal(`${displayPath(file)}: ${problem}`);
  return true;
}

/** The environments under `environmentsDir`, which must be a readable folder. */
function existingEnvironments(environmentsDir: string): string[] {
  requireEnvironmentsDir(environmentsDir);
  return environmentNames(environmentsDir);
}

function requireEnvironment(environmentsDir: string, env: string | undefined): string {
  const existing = existingEnvironments(environmentsDir);
  if (!env) throw new Refusal(`--env is required (environments: ${existing.join(", ")})`);
  if (!existing.includes(env)) {
    if (env === LOCAL_ENVIRONMENT) {
      // Its tenants.yaml has no environment.yaml beside it: no budget, registry or stacks to check.
      throw new Refusal(
        `"${env}" is the local target, not an environment: edit environments/${env}/tenants.yaml by hand (same fields as every tenants.yaml), then run npm start (environments: ${existing.join(", ")})`,
      );
    }
    throw new Refusal(unknownEnvironmentMessage(env, existing));
  }
  return env;
}

function printProblems(io: Io, error: ConfigError): void {
  for (const line of formatProblemList(error.problems)) io.error(line);
}

/** The environment's settings when they load, for advice that depends on them. */
function tryEnvironment(environmentsDir: string, env: string): EnvironmentConfig | undefined {
  try {
    return loadEnvironment(env, environmentsDir).environment;
  } catch {
    return undefined;
  }
}

/** Runs a command body, turning refusals and config errors into printed messages and exit 1. */
function guarded(io: Io, body: () => number): number {
  try {
    return body();
  } catch (error) {
    return reported(io, error);
  }
}

/** guarded, for a command that writes: it waits for the environments/ lock asynchronously. */
async function guardedWrite(io: Io, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    return reported(io, error);
  }
}

/** Prints a refusal, a busy lock, a file system or config error in its lines (exit 1); rethrows the rest. */
function reported(io: Io, error: unknown): number {
  if (
    error instanceof Refusal ||
    error instanceof UnknownTenantError ||
    error instanceof LockBusyError ||
    error instanceof FileSystemError
  ) {
    io.error(`error: ${error.message}`);
    return 1;
  }
  if (error instanceof ConfigError) {
    io.error("error: the configuration is invalid:");
    printProblems(io, error);
    return 1;
  }
  throw error;
}

interface EditPlan {
  /** Tenant whose change is described. */
  readonly tenant: string;
  /** What was done, e.g. "added tenant x". */
  readonly summary: string;
  /** Lines printed after the plan. */
  readonly after?: (loaded: LoadedEnvironment) => string[];
}

/**
 * The edit cycle shared by every writing command, entirely under the environments/ lock:
 * read the file (after the lock is taken, so a concurrent command's change is seen), parse it
 * (comments kept), change the document, validate the new text with every config rule in a
 * scratch copy, and only then write tenants.yaml and the registry together (all or nothing).
 * On any problem every file stays byte-identical.
 */
async function editTenants(
  ctx: ReturnType<typeof resolveContext>,
  env: string,
  change: (doc: TenantsDocument) => EditPlan | string,
): Promise<number> {
  const { environmentsDir, io } = ctx;
  const lines: string[] = [];
  const code = await withEnvironmentsLock(environmentsDir, (tx) =>
    stageTenantsEdit(environmentsDir, env, change, tx, lines, io),
  );
  // Printed only once both files are written: a reported change is never lost.
  for (const line of lines) io.log(line);
  return code;
}

function stageTenantsEdit(
  environmentsDir: string,
  env: string,
  change: (doc: TenantsDocument) => EditPlan | string,
  tx: EnvironmentsTransaction,
  out: string[],
  io: Io,
): number {
  const file = tenantsFilePath(environmentsDir, env);
  // A named pipe would block the read forever; a broken link is not an empty file.
  requireReadableConfigFile(join(environmentsDir, env, ENVIRONMENT_FILE), false);
  const original = requireReadableConfigFile(file, true)
    ? onFile(file, "read", () => readFileSync(file, "utf8"))
    : "tenants: []\n";
  let doc: TenantsDocument;
  try {
    doc = TenantsDocument.parse(original);
  } catch (error) {
    throw new Refusal(`${displayPath(file)}: ${(error as Error).message}`);
  }
  const before = TenantsDocument.parse(original).tenants();
  const plan = change(doc);
  if (typeof plan === "string") {
    out.push(plan);
    return 0;
  }
  const text = doc.toString();
  let loaded: LoadedEnvironment;
  try {
    loaded = validateProposedTenants(environmentsDir, env, text);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.error(`error: refused, ${displayPath(file)} is unchanged. The result would be invalid:`);
    printProblems(io, error);
    return 1;
  }
  const registry = registryPath(environmentsDir, env);
  tx.write(file, text);
  tx.write(registry, renderRegistry(loaded));
  out.push(`${plan.summary}: wrote ${displayPath(file)} and ${displayPath(registry)}`);
  if (!doc.roundTrips) {
    out.push(
      "note: the YAML library normalized some formatting elsewhere in the file; review the diff",
    );
  }
  out.push("the next plan will contain:");
  const previous = before.find((t) => t.name === plan.tenant);
  const next = loaded.tenants.find((t) => t.name === plan.tenant);
  const changes = describeTenantChange(env, previous, next, loaded.environment);
  const states = { before: previous?.state, after: next?.state, env };
  for (const line of formatStackChanges(changes, states)) out.push(`  ${line}`);
  out.push(
    formatBudgetChange(
      env,
      connectionBudget(loaded.environment, before),
      connectionBudget(loaded.environment, loaded.tenants),
    ),
  );
  out.push(...(plan.after?.(loaded) ?? []));
  return 0;
}

/** The schema's default connection limit (schema/tenants.ts), read from the schema itself. */
export const DEFAULT_CONNECTION_LIMIT: number = tenantSchema.shape.connectionLimit.parse(undefined);

/** Options of `add`. Values are kept raw where the schema is the judge (it names the problem). */
export interface AddTenantOptions extends CommandContext {
  readonly env: string;
  readonly name: string;
  readonly owner: string;
  /** Database name. Default: the tenant name (schema/tenants.ts). */
  readonly database?: string;
  /** Connection limit; a string not of decimal digits (" 5", "0x5") is reported by the schema. Default: the schema's (10). */
  readonly connectionLimit?: number | string;
  /** Extensions (allow-listed by the schema). Default none. */
  readonly extensions?: readonly string[];
  /** Also create <name>_readonly. Default false. */
  readonly readOnlyRole?: boolean;
  /** Free text for the registry. Default none. */
  readonly description?: string;
}

/** `add`: appends a tenant; refuses (file untouched) when any config rule fails. */
export async function addTenant(options: AddTenantOptions): Promise<number> {
  const ctx = resolveContext(options);
  return guardedWrite(ctx.io, async () => {
    const env = requireEnvironment(ctx.environmentsDir, options.env);
    if (!options.name) throw new Refusal("the tenant name is required: add --env <env> <name>");
    if (!options.owner) throw new Refusal("--owner is required: who answers for this fork");
    const limit = options.connectionLimit;
    const entry: NewTenantEntry = {
      name: options.name,
      database: options.database,
      owner: options.owner,
      description: options.description,
      // Written even when defaulted: reviewers see each tenant's share of the budget.
      connectionLimit:
        limit === undefined
          ? DEFAULT_CONNECTION_LIMIT
          : typeof limit === "string" && /^-?[0-9]+$/.test(limit)
            ? Number(limit)
            : limit,
      extensions:
        options.extensions && options.extensions.length > 0 ? [...options.extensions] : undefined,
      readOnlyRole: options.readOnlyRole ? true : undefined,
    };
    return editTenants(ctx, env, (doc) => {
      // A dropped tenant's entry stays until its drop is applied: the schema would only call the
      // name a duplicate, while the way back is activate (which also prints the re-add steps).
      if (doc.tenant(options.name)?.state === "dropped") {
        throw new Refusal(
          `tenant ${options.name} in ${env} is dropped (its entry stays in ${displayPath(tenantsFilePath(ctx.environmentsDir, env))} with state: dropped): to bring it back, run npm run tenant -- activate --env ${env} ${options.name}`,
        );
      }
      doc.append(entry);
      return { tenant: options.name, summary: `added tenant ${options.name} to ${env}` };
    });
  });
}

/** Options of suspend, retire, activate. */
export interface SetStateOptions extends CommandContext {
  readonly env: string;
  readonly name: string;
  readonly state: Exclude<TenantState, "dropped">;
}

/** `suspend` / `retire` / `activate`: moves a tenant between the states that keep its data. */
export async function setTenantState(options: SetStateOptions): Promise<number> {
  const ctx = resolveContext(options);
  return guardedWrite(ctx.io, async () => {
    const env = requireEnvironment(ctx.environmentsDir, options.env);
    const environment = tryEnvironment(ctx.environmentsDir, env);
    return editTenants(ctx, env, (doc) => {
      doc.entry(options.name);
      const before = doc.tenant(options.name);
      const current = before?.state;
      if (current === options.state) {
        return `tenant ${options.name} in ${env} is already ${options.state}; nothing to change`;
      }
      doc.setState(options.name, options.state);
      return {
        tenant: options.name,
        summary: `${options.name} in ${env}: ${current ?? "?"} -> ${options.state}`,
        after: () =>
          current === "dropped"
            ? [
                `WARNING: ${options.name} was dropped. If that drop was applied, database ${doc.databaseOf(options.name)} is created again EMPTY; restore it with pg_restore from your pg_dump.`,
                ...readdedSecretLines(environment, before),
              ]
            : [],
      };
    });
  });
}

/**
 * For a dropped tenant made active again: its secret may still be scheduled for deletion, and the
 * platform apply cannot create it again until it is restored and imported.
 */
function readdedSecretLines(
  environment: EnvironmentConfig | undefined,
  tenant: TenantConfig | undefined,
): string[] {
  if (!environment || !tenant) return [];
  const commands = readdedSecretCommands(environment, tenant);
  if (commands.length === 0) return [];
  return [
    `If that drop was applied less than ${READDED_SECRET_WINDOW_DAYS} days ago, its secret is still scheduled for deletion and the platform apply cannot create it again: restore and import it first (docs/operations.md, "Lifecycle of a fork"):`,
    ...commands.map((line) => `  ${line}`),
  ];
}

/** Options of `drop`. */
export interface DropTenantOptions extends CommandContext {
  readonly env: string;
  readonly name: string;
  /** Must repeat the tenant's database name. */
  readonly confirm?: string;
}

/** `drop`: marks a tenant dropped (its database is destroyed at the next apply). */
export async function dropTenant(options: DropTenantOptions): Promise<number> {
  const ctx = resolveContext(options);
  return guardedWrite(ctx.io, async () => {
    const env = requireEnvironment(ctx.environmentsDir, options.env);
    const environment = tryEnvironment(ctx.environmentsDir, env);
    return editTenants(ctx, env, (doc) => {
      doc.entry(options.name);
      const database = doc.databaseOf(options.name);
      if (doc.tenant(options.name)?.state === "dropped") {
        return `tenant ${options.name} in ${env} is already dropped; nothing to change`;
      }
      const backup = backupCommands(environmentAdminConnection(environment), {
        name: options.name,
        database,
      });
      if (options.confirm !== database) {
        throw new Refusal(
          [
            options.confirm === undefined
              ? `dropping ${options.name} needs --confirm ${database}.`
              : `--confirm ${visibleJson(options.confirm)} does not match the database name ${visibleJson(database)}.`,
            `Dropping DESTROYS database ${database} in ${env} at the next apply (and role ${options.name}, its secret${environment?.proxy.enabled ? " and proxy entry" : ""}); the data is gone unless you have a backup.`,
            "To stop the tenant but keep its data, use suspend or retire instead.",
            `Back it up first${environment?.tunnel ? " (with the SSM tunnel open)" : ""}, as the master user (docs/operations.md, "Backup and restore of one tenant"):`,
            ...backup.map((line) => `  ${line}`),
            "Then:",
            `  npm run tenant -- drop --env ${env} ${options.name} --confirm ${database}`,
          ].join("\n"),
        );
      }
      doc.setState(options.name, "dropped", database);
      return {
        tenant: options.name,
        summary: `${options.name} in ${env} marked dropped`,
        after: () => [
          `WARNING: database ${database} is DESTROYED at the next apply. Back it up before merging:`,
          ...backup.map((line) => `  ${line}`),
        ],
      };
    });
  });
}

/** Options of `list`. */
export interface ListOptions extends CommandContext {
  /** Only this environment. Default: all. */
  readonly env?: string;
}

/** Rows as lines of columns padded to their widest cell (list's output). */
export function table(rows: readonly (readonly string[])[]): string[] {
  // A fold, not Math.max(...column): a spread of 200,000 tenants' cells overflowed the stack.
  const widths =
    rows[0]?.map((_, i) => rows.reduce((width, r) => Math.max(width, r[i]?.length ?? 0), 0)) ?? [];
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

/** `list`: tenants per environment and each environment's connection budget. */
export function listTenants(options: ListOptions = {}): number {
  const ctx = resolveContext(options);
  return guarded(ctx.io, () => {
    const names = options.env
      ? [requireEnvironment(ctx.environmentsDir, options.env)]
      : existingEnvironments(ctx.environmentsDir);
    // Read-only: the environments that load are listed, the problems of the others follow
    // (exit 1), so one broken or new folder does not hide the rest.
    const loaded: LoadedEnvironment[] = [];
    const problems: ConfigProblem[] = [];
    for (const name of names) {
      try {
        loaded.push(loadEnvironment(name, ctx.environmentsDir));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        for (const problem of error.problems) problems.push(problem);
      }
    }
    // Nothing loaded: the problems alone, not an empty table's header above them.
    if (loaded.length === 0) throw new ConfigError(problems);
    const rows = [["ENV", "NAME", "DATABASE", "STATE", "LIMIT", "OWNER"]];
    for (const { name, environment, tenants } of loaded) {
      for (const t of tenants) {
        const limit = roleLimitCell(t, environment, String);
        rows.push([name, t.name, tenantDatabaseName(t), t.state, limit, t.owner]);
      }
    }
    for (const line of table(rows)) ctx.io.log(line);
    ctx.io.log("");
    for (const { name, environment, tenants } of loaded) {
      ctx.io.log(
        `connection budget ${name}: ${formatBudget(connectionBudget(environment, tenants))}`,
      );
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return 0;
  });
}

/** Options of `check`. */
export interface CheckCommandOptions extends CommandContext {
  /** Base git ref to compare with, e.g. origin/main. */
  readonly base: string;
}

function formatFinding(f: CheckFinding): string {
  return `${f.level === "failure" ? "FAIL" : "NOTICE"} ${f.env}/${f.tenant}: ${f.message}`;
}

/** `check --base <ref>`: fails when a change would destroy a database without the explicit drop. */
export function checkTenants(options: CheckCommandOptions): number {
  const ctx = resolveContext(options);
  return guarded(ctx.io, () => {
    if (!options.base) throw new Refusal("--base <git ref> is required, e.g. --base origin/main");
    let findings: CheckFinding[];
    try {
      findings = checkAgainstBase({ base: options.base, root: ctx.root });
    } catch (error) {
      throw new Refusal((error as Error).message);
    }
    const failures = findings.filter((f) => f.level === "failure");
    for (const f of findings) {
      if (f.level === "failure") ctx.io.error(formatFinding(f));
      else ctx.io.log(formatFinding(f));
      if (f.kind === "dropping" && f.database !== undefined) {
        const environment = tryEnvironment(ctx.environmentsDir, f.env);
        ctx.io.log("  back up first, as the master user:");
        for (const line of backupCommands(environmentAdminConnection(environment), {
          name: f.tenant,
          database: f.database,
        }))
          ctx.io.log(`    ${line}`);
      }
    }
    ctx.io.log(
      failures.length > 0
        ? `tenant check against ${options.base}: ${failures.length} failure(s)`
        : `tenant check against ${options.base}: ok, no tenant data is removed without an explicit drop`,
    );
    return failures.length > 0 ? 1 : 0;
  });
}

/** Options of `registry`. */
export interface RegistryOptions extends CommandContext {
  /** Only compare: exit 1 naming stale files, write nothing. Default false. */
  readonly check?: boolean;
}

/** `registry [--check]`: (re)generates environments/<env>/DATABASE_REGISTRY.md. */
export async function writeRegistries(options: RegistryOptions = {}): Promise<number> {
  const ctx = resolveContext(options);
  return guardedWrite(ctx.io, async () => {
    const names = existingEnvironments(ctx.environmentsDir);
    /** Registries that differ from what the config generates; staged into `tx` when given. */
    const staleRegistries = (tx?: EnvironmentsTransaction): string[] => {
      const loaded = loadEnvironments(names, ctx.environmentsDir);
      const stale: string[] = [];
      for (const environment of loaded) {
        const file = registryPath(ctx.environmentsDir, environment.name);
        const text = renderRegistry(environment);
        const current = existsSync(file)
          ? onFile(file, "read", () => readFileSync(file, "utf8"))
          : undefined;
        if (current === text) continue;
        stale.push(displayPath(file));
        tx?.write(file, text);
      }
      if (stale.length === 0) {
        ctx.io.log(
          options.check
            ? `${REGISTRY_FILE} is up to date in ${loaded.length} environment(s)`
            : `${REGISTRY_FILE} already up to date`,
        );
      }
      return stale;
    };
    if (options.check) {
      const stale = staleRegistries();
      if (stale.length === 0) return 0;
      for (const file of stale) ctx.io.error(`stale: ${file}`);
      ctx.io.error(
        `${stale.length} registr${stale.length === 1 ? "y is" : "ies are"} stale: run npm run tenant -- registry and commit the result`,
      );
      return 1;
    }
    const written = await withEnvironmentsLock(ctx.environmentsDir, (tx) => staleRegistries(tx));
    for (const file of written) ctx.io.log(`wrote ${file}`);
    return 0;
  });
}
