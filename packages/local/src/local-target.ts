import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { type AuditConnectionFactory, auditEnvironment } from "@pgforks/audit";
import {
  type EnvironmentConfig,
  environmentsDir,
  LOCAL_ENVIRONMENT,
  listWithCount,
  loadTenantsFile,
  repoRoot,
  type TenantConfig,
  tenantDatabaseName,
} from "@pgforks/config";
import type { PlanJson } from "@pgforks/plan-json";
import {
  adminConnections,
  BOOTSTRAP_SUPERUSER,
  startPostgres,
  stopPostgres,
  type TemporaryPostgres,
} from "@pgforks/postgres-server";
import {
  ensureLocalCredentials,
  type LocalCredentials,
  passwordVerifiers,
  passwordVersions,
} from "./credentials";
import { takeLocalLock } from "./local-lock";
import { DEFAULT_LOCAL_PORT, LOCAL_PORT_ENV } from "./local-port";
import { LocalTerraform, synthesizeLocalStack } from "./local-stack";

export { DEFAULT_LOCAL_PORT, LOCAL_PORT_ENV };

/** The admin role of the local server: like the RDS master user, not a superuser. */
export const LOCAL_ADMIN_ROLE = "pgforks_admin";

/** Where the local target keeps its server, state and credentials (ignored by git). */
export function localDir(root = repoRoot()): string {
  return join(root, ".local");
}

export function localPort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[LOCAL_PORT_ENV];
  if (raw === undefined || raw === "") return DEFAULT_LOCAL_PORT;
  // Decimal digits only: Number() also reads "0x1000" (4096), "1e4" and "5432.0".
  const port = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new Error(
      `PGFORKS_LOCAL_PORT: must be a port number from 1024 to 65535 in decimal digits (found "${raw}")`,
    );
  }
  return port;
}

/** A tenant's DATABASE_URL on the local server (sslmode=disable: loopback only). */
export function localDatabaseUrl(tenant: TenantConfig, password: string, port: number): string {
  return `postgresql://${tenant.name}:${password}@127.0.0.1:${port}/${tenantDatabaseName(tenant)}?sslmode=disable`;
}

/** The roles the local server has before any fork, with what each is. */
export const LOCAL_SERVER_ROLES: Readonly<Record<string, string>> = {
  [LOCAL_ADMIN_ROLE]: "the local target's admin role (the RDS master user's stand-in)",
  [BOOTSTRAP_SUPERUSER]: "the local server's bootstrap superuser",
};

/**
 * The forks of the local tenants.yaml, validated; a fork named like a role of LOCAL_SERVER_ROLES
 * is refused with the file's line (its CREATE ROLE would fail in the middle of the apply, or,
 * for the admin, the stack would refuse it without naming the file).
 */
export function loadLocalTenants(tenantsFile: string): TenantConfig[] {
  return loadTenantsFile(tenantsFile, LOCAL_SERVER_ROLES);
}

/** The bootstrap superuser exists only locally (on RDS its place is taken by rdsadmin). */
export const LOCAL_AUDIT_OPTIONS = { ignoreRoles: [BOOTSTRAP_SUPERUSER] } as const;

/** What the audit needs to know of the local "environment": its admin role. */
export function localAuditedEnvironment(tenants: readonly TenantConfig[]) {
  return {
    name: LOCAL_ENVIRONMENT,
    dir: join(environmentsDir(), LOCAL_ENVIRONMENT),
    environment: { database: { masterUsername: LOCAL_ADMIN_ROLE } } as EnvironmentConfig,
    tenants,
  };
}

/** Connections as the local admin, to `database` (default postgres). */
export function localAdminConnections(
  server: Pick<TemporaryPostgres, "host" | "port" | "user" | "password">,
): AuditConnectionFactory {
  return adminConnections(server, "pgforks-local");
}

export interface ApplyTenantsOptions {
  readonly server: Pick<TemporaryPostgres, "port" | "user" | "password">;
  readonly tenants: readonly TenantConfig[];
  readonly credentials: LocalCredentials;
  readonly workDir: string;
  /** Called with `terraform show -json` of the saved plan before it is applied; throwing refuses the apply. */
  readonly onPlan?: (planJson: string) => void;
}

export interface AppliedTenants {
  readonly terraform: LocalTerraform;
  readonly changed: boolean;
  readonly summary: string;
}

/**
 * Applies `tenants` to `server` through real Terraform in `workDir`; returns the apply's summary.
 * Ctrl-C meanwhile ends it with LocalInterruptedError once Terraform has recorded its state.
 */
export async function applyTenants(options: ApplyTenantsOptions): Promise<AppliedTenants> {
  const { server, credentials } = options;
  const terraform = new LocalTerraform(options.workDir, {
    adminPassword: server.password ?? "",
    verifiers: passwordVerifiers(credentials),
  });
  // Ctrl-C (SIGTERM, SIGHUP) from here on stops Terraform the way that keeps its state true
  // (LocalTerraform.interrupt), then ends the command with LocalInterruptedError. Node's default,
  // dying at once, took Terraform's output pipes with it: Terraform died at its next line of
  // output, before writing what it had applied, and every later npm start failed on roles that
  // existed but were in no state ("role ... already exists").
  const interrupt = (signal: NodeJS.Signals) => {
    const note = terraform.interrupt(signal);
    if (note) console.error(note);
  };
  for (const signal of INTERRUPTING_SIGNALS) process.on(signal, interrupt);
  try {
    return await planAndApply(terraform, options);
  } finally {
    for (const signal of INTERRUPTING_SIGNALS) process.off(signal, interrupt);
  }
}

/** The signals that end `npm start`: ctrl-C, a terminal closed, kill. */
const INTERRUPTING_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * How long plan and apply wait for the state lock: the Terraform of an npm start that was killed
 * (SIGKILL) goes on to the end of its apply alone, holding the lock. npm start itself is refused
 * meanwhile (the lock on .local names that Terraform: recordLockChild); an applyTenants without
 * that lock (the tests) waits for it instead of failing with "Error acquiring the state lock".
 */
const STATE_LOCK_WAIT = "-lock-timeout=300s";

async function planAndApply(
  terraform: LocalTerraform,
  options: ApplyTenantsOptions,
): Promise<AppliedTenants> {
  const { server, tenants, credentials } = options;
  terraform.writeConfig(
    synthesizeLocalStack({
      tenants,
      port: server.port,
      adminRole: server.user,
      passwordVersions: passwordVersions(credentials),
    }),
  );
  if (!existsSync(join(options.workDir, ".terraform"))) await terraform.init();
  else await terraform.run(["init", "-input=false", "-no-color"]);
  const plan = await terraform.run(
    [
      "plan",
      "-detailed-exitcode",
      "-input=false",
      "-no-color",
      STATE_LOCK_WAIT,
      "-out=local.tfplan",
    ],
    [0, 2],
  );
  const counts = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/.exec(plan.stdout);
  if (plan.exitCode === 0) {
    rmSync(join(options.workDir, "local.tfplan"), { force: true });
    return { terraform, changed: false, summary: "0 to add, 0 to change, 0 to destroy" };
  }
  try {
    if (options.onPlan) {
      options.onPlan((await terraform.run(["show", "-json", "-no-color", "local.tfplan"])).stdout);
    }
    await terraform.run(["apply", "-input=false", "-no-color", STATE_LOCK_WAIT, "local.tfplan"]);
  } finally {
    rmSync(join(options.workDir, "local.tfplan"), { force: true });
  }
  return {
    terraform,
    changed: true,
    summary: counts
      ? `${counts[1]} to add, ${counts[2]} to change, ${counts[3]} to destroy`
      : "applied",
  };
}

/**
 * The local databases a saved plan would drop although `tenants` does not drop them on purpose
 * (`state: dropped` with its confirmDrop): an entry deleted from the file, or renamed. Their data
 * would go without anyone having asked for it, so `npm start` refuses such a plan.
 */
export function unconfirmedDatabaseDrops(
  planJson: string,
  tenants: readonly TenantConfig[],
): string[] {
  const confirmed = new Set(
    tenants.filter((tenant) => tenant.state === "dropped").map(tenantDatabaseName),
  );
  const plan = JSON.parse(planJson) as PlanJson;
  return (plan.resource_changes ?? [])
    .filter((rc) => rc.type === "postgresql_database" && rc.change.actions.includes("delete"))
    .map((rc) => {
      const before = rc.change.before as { name?: unknown } | null | undefined;
      return typeof before?.name === "string" ? before.name : rc.address;
    })
    .filter((database) => !confirmed.has(database))
    .sort();
}

/**
 * applyTenants' `onPlan` for `tenants` read from `tenantsFile` (named as given): refuses a plan
 * that drops a database no entry drops on purpose (see unconfirmedDatabaseDrops).
 */
export function refuseUnconfirmedDrops(
  tenantsFile: string,
  tenants: readonly TenantConfig[],
): (planJson: string) => void {
  return (planJson) => {
    const drops = unconfirmedDatabaseDrops(planJson, tenants);
    if (drops.length === 0) return;
    const databases = `${drops.length === 1 ? "database" : `${drops.length} databases`} ${listWithCount(drops)}`;
    throw new Error(
      [
        `${tenantsFile}: no fork there drops ${databases}, but applying it would: an entry was removed or renamed. Nothing was changed.`,
        "Fix: put the entry back to keep the data; to drop it, keep the entry with state: dropped and confirmDrop: <its database>; or npm run local -- reset to start over (deletes every fork's data).",
      ].join("\n"),
    );
  };
}

/**
 * A plan stopped by the tenants stack's rename postcondition (a tenant's `database` edited) as
 * the one refusal it is, naming the file and the field, instead of Terraform's refresh log;
 * `error` as is otherwise.
 */
export function explainRenamedDatabase(
  error: unknown,
  tenantsFile: string,
  tenants: readonly TenantConfig[],
): unknown {
  if (!(error instanceof Error)) return error;
  const renamed =
    /Tenant "([^"]+)" is configured with database "([^"]+)",\s+but\s+its\s+database\s+has/.exec(
      error.message,
    );
  if (!renamed) return error;
  const [, name, wanted] = renamed;
  const index = tenants.findIndex((t) => t.name === name);
  const current = /self\.name is "([^"]+)"/.exec(error.message)?.[1];
  const keep = current ? `put database: ${current} back` : "put its database name back";
  return new Error(
    [
      `${tenantsFile}: tenants[${index}].database: fork ${name}'s local database is ${current ?? "another"}, not ${wanted}: a tenant database is never renamed (docs/operations.md, "Renaming a database"). Nothing was changed.`,
      `Fix: ${keep}; or npm run local -- reset to start over (deletes every fork's data).`,
    ].join("\n"),
  );
}

/**
 * Why the local server did not start, with the fix when its port is taken (every clone's
 * `npm start` uses the same default port): the cause, the fix and the server's own line about
 * the port, not pg_ctl's output and the log's tail (earlier runs' shutdown lines among them).
 * `error` as is otherwise.
 */
export function explainStartFailure(error: unknown, port: number): unknown {
  if (!(error instanceof Error) || !/could not (bind|create listen)/i.test(error.message)) {
    return error;
  }
  const said = /could not bind [^\n]*/i.exec(error.message)?.[0];
  // A bind refused for another reason (no 127.0.0.1 in a container: "Cannot assign requested
  // address") is no taken port: the server's own output says what it is.
  if (said !== undefined && !/address already in use/i.test(said)) return error;
  return new Error(
    [
      `the local server could not start: port ${port} on 127.0.0.1 is taken (another PostgreSQL, perhaps another clone's npm start)${said ? `; PostgreSQL: ${said}` : ""}`,
      "Fix: stop that server, or set PGFORKS_LOCAL_PORT to a free port from 1024 to 65535 and run npm start again.",
    ].join("\n"),
  );
}

/**
 * A fork's line under "Forks (DATABASE_URL):" once the apply went through: its URL, with a note
 * when logins are refused; for a dropped fork what the apply did instead of no line at all (a
 * drop said only "Applied: ... 2 to destroy"). Undefined for a fork without a password.
 */
export function forkLine(
  tenant: TenantConfig,
  password: string | undefined,
  port: number,
): string | undefined {
  const name = tenant.name.padEnd(16);
  if (tenant.state === "dropped") {
    return `  ${name} dropped: database ${tenantDatabaseName(tenant)} and its roles are gone; the entry can be removed now`;
  }
  if (password === undefined) return undefined;
  const note = tenant.state === "active" ? "" : `  (${tenant.state}: logins refused)`;
  return `  ${name} ${localDatabaseUrl(tenant, password, port)}${note}`;
}

/** `npm start`: server up, tenants applied, URLs and the audit's verdict printed. */
export async function startLocal(
  log: (line: string) => void = console.log,
  dir = localDir(),
): Promise<number> {
  // 0711: the server's unprivileged user (when run as root) must traverse it; only we list it.
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  const release = takeLocalLock(dir, "npm start");
  try {
    return await startLocked(log, dir);
  } finally {
    release();
  }
}

async function startLocked(log: (line: string) => void, dir: string): Promise<number> {
  const port = localPort();
  const tenantsFile = join(environmentsDir(), LOCAL_ENVIRONMENT, "tenants.yaml");
  const tenants = loadLocalTenants(tenantsFile);
  const credentials = ensureLocalCredentials(join(dir, "credentials.json"), tenants);
  const server = await startPostgres({
    persistent: { dir: join(dir, "postgres"), port },
    rds: { adminRole: LOCAL_ADMIN_ROLE, adminPassword: credentials.admin },
  }).catch((error: unknown) => {
    throw explainStartFailure(error, port);
  });
  log(
    `PostgreSQL 16 on 127.0.0.1:${port} (data in ${join(dir, "postgres")}; npm run local -- stop | reset)`,
  );
  const shownFile = relative(repoRoot(), tenantsFile);
  const result = await applyTenants({
    server,
    tenants,
    credentials,
    workDir: join(dir, "terraform"),
    onPlan: refuseUnconfirmedDrops(shownFile, tenants),
  }).catch((error: unknown) => {
    throw explainRenamedDatabase(error, shownFile, tenants);
  });
  log(result.changed ? `Applied: ${result.summary}.` : `No changes: ${result.summary}.`);
  const report = await auditEnvironment(
    localAdminConnections(server),
    localAuditedEnvironment(tenants),
    LOCAL_AUDIT_OPTIONS,
  );
  log("");
  log("Forks (DATABASE_URL):");
  for (const tenant of tenants) {
    const line = forkLine(tenant, credentials.tenants[tenant.name]?.password, port);
    if (line !== undefined) log(line);
  }
  log("");
  if (report.findings.length === 0) {
    log(
      `Audit: 0 findings (${report.checked.tenants} tenants, ${report.checked.roles} roles, ${report.checked.databases} databases).`,
    );
    return 0;
  }
  log(`Audit: ${report.findings.length} finding(s):`);
  for (const finding of report.findings) log(`  - ${finding.code}: ${finding.message}`);
  return 1;
}

/** `npm run local -- stop`: stops the server, keeps the data. */
export async function stopLocal(
  log: (line: string) => void = console.log,
  dir = localDir(),
): Promise<number> {
  const release = existsSync(dir) ? takeLocalLock(dir, "npm run local -- stop") : () => {};
  try {
    const stopped = await stopPostgres(join(dir, "postgres"));
    log(stopped ? "Local PostgreSQL stopped (data kept)." : "Local PostgreSQL was not running.");
    return 0;
  } finally {
    release();
  }
}

/** `npm run local -- reset`: stops the server and deletes its data, state and credentials. */
export async function resetLocal(
  log: (line: string) => void = console.log,
  dir = localDir(),
): Promise<number> {
  if (!existsSync(dir)) {
    log(`Nothing to delete: ${dir} does not exist.`);
    return 0;
  }
  // The lock folder goes with the rest, or is released when the server could not be stopped.
  const release = takeLocalLock(dir, "npm run local -- reset");
  try {
    await stopPostgres(join(dir, "postgres"));
  } catch (error) {
    release();
    throw error;
  }
  rmSync(dir, { recursive: true, force: true });
  log(`Deleted ${dir} (server data, Terraform state, local passwords).`);
  return 0;
}
