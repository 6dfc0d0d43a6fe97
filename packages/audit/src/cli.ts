/**
 * `pgforks audit --env <env> [connection flags] [--json]` (`npm run audit -- ...`): commander
 * declares the options and help (`describeAuditCommand`); `runAudit` takes the parsed options.
 *
 * Exit codes: 0 no findings, 1 findings, 2 usage, config or connection error.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ConfigError,
  ENVIRONMENT_FILE,
  environmentNames,
  environmentsDir,
  isDecimalDigits,
  LOCAL_ENVIRONMENT,
  type LoadedEnvironment,
  loadEnvironment,
  TUNNEL_HOST,
  unknownEnvironmentMessage,
  visibleJson,
} from "@pgforks/config";
import type { Command } from "commander";
import { Client, type ClientConfig } from "pg";
import { auditEnvironment } from "./audit";
import type { AuditConnection, AuditConnectionFactory } from "./catalog";
import { renderReport, renderReportJson } from "./report";

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_ERROR = 2;

/** libpq's sslmode values (PostgreSQL docs, 34.19 SSL Support, table 34.1). */
export const SSL_MODES = [
  "disable",
  "allow",
  "prefer",
  "require",
  "verify-ca",
  "verify-full",
] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** libpq's default sslmode. */
export const DEFAULT_SSL_MODE: SslMode = "prefer";

/** The audit goes through a local tunnel (or straight to a local server). */
export const DEFAULT_HOST = TUNNEL_HOST;

/** PostgreSQL's default port, used when the environment has no tunnel. */
export const DEFAULT_PORT = 5432;

/**
 * The database of the audit's first connection, where it reads the cluster-wide catalogs (roles,
 * databases); every instance has this one. Tenant databases are opened by name for their schemas.
 */
export const DEFAULT_DATABASE = "postgres";

/** A live tunnel answers in well under a second; a dead one should fail fast, not hang CI. */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Where PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE, PGSSLROOTCERT are read. */
  readonly env: NodeJS.ProcessEnv;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

/** A problem with the options or the config: exit 2 with the one-line message. */
class UsageError extends Error {}

export interface ConnectionSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly sslmode: SslMode;
  readonly sslrootcert?: string;
  readonly password?: string;
}

interface ConnectionFlags {
  readonly host?: string;
  readonly port?: string;
  readonly user?: string;
  readonly database?: string;
  readonly sslmode?: string;
  readonly sslrootcert?: string;
}

/**
 * A libpq variable as libpq reads it for the host, port, user and database: empty is the same as
 * unset (libpq then takes its default), the project's rule for every variable too.
 */
function libpqVariable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === "" ? undefined : value;
}

/** Flag, else the libpq environment variable, else a default derived from the environment. */
export function connectionSettings(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv,
  loaded: Pick<LoadedEnvironment, "environment">,
): ConnectionSettings {
  const portText = flags.port ?? libpqVariable(env, "PGPORT");
  // Decimal digits only: Number() also reads " 5432", "0x10" (port 16) and "5e3".
  const port =
    portText === undefined
      ? (loaded.environment.tunnel?.localPort ?? DEFAULT_PORT)
      : isDecimalDigits(portText)
        ? Number(portText)
        : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(
      `${flags.port !== undefined ? "--port" : "PGPORT"} must be a port number from 1 to 65535 in decimal digits (found ${visibleJson(portText)})`,
    );
  }
  const sslmode = flags.sslmode ?? env.PGSSLMODE ?? DEFAULT_SSL_MODE;
  if (!(SSL_MODES as readonly string[]).includes(sslmode)) {
    throw new UsageError(
      `${flags.sslmode !== undefined ? "--sslmode" : "PGSSLMODE"} must be one of ${SSL_MODES.join(", ")} (found "${sslmode}")`,
    );
  }
  const sslrootcert = flags.sslrootcert ?? env.PGSSLROOTCERT;
  const password = env.PGPASSWORD;
  return {
    host: flags.host ?? libpqVariable(env, "PGHOST") ?? DEFAULT_HOST,
    port,
    user: flags.user ?? libpqVariable(env, "PGUSER") ?? loaded.environment.database.masterUsername,
    database: flags.database ?? libpqVariable(env, "PGDATABASE") ?? DEFAULT_DATABASE,
    sslmode: sslmode as SslMode,
    ...(sslrootcert ? { sslrootcert } : {}),
    ...(password ? { password } : {}),
  };
}

/** pg's `ssl` settings to try in order, with libpq's meaning of each sslmode. */
function sslAttempts(settings: ConnectionSettings): Array<ClientConfig["ssl"]> {
  const noVerify = { rejectUnauthorized: false };
  const ca = settings.sslrootcert ? { ca: readFileSync(settings.sslrootcert, "utf8") } : {};
  switch (settings.sslmode) {
    case "disable":
      return [false];
    case "allow":
      return [false, noVerify];
    case "prefer":
      return [noVerify, false];
    case "require":
      return [noVerify];
    case "verify-ca":
      return [{ ...ca, rejectUnauthorized: true, checkServerIdentity: () => undefined }];
    case "verify-full":
      return [{ ...ca, rejectUnauthorized: true }];
  }
}

/** Whether a failed first attempt of allow/prefer should be retried the other way. */
function isSslNegotiationError(error: unknown): boolean {
  return /SSL|pg_hba\.conf/i.test(describeError(error));
}

function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(describeError))].join("; ");
  }
  if (error instanceof Error) {
    return error.message || (error as { code?: string }).code || error.name;
  }
  return String(error);
}

function isConnectionRefused(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isConnectionRefused);
  return (error as { code?: string } | undefined)?.code === "ECONNREFUSED";
}

/** Opens pg connections with the settings; every session defaults to read-only. */
export function connectionFactory(settings: ConnectionSettings): AuditConnectionFactory {
  return async (database?: string) => {
    const attempts = sslAttempts(settings);
    let lastError: unknown;
    for (const [i, ssl] of attempts.entries()) {
      const client = new Client({
        host: settings.host,
        port: settings.port,
        user: settings.user,
        database: database ?? settings.database,
        ...(settings.password ? { password: settings.password } : {}),
        ssl,
        application_name: "pgforks-audit",
        // Read-only from the first statement, before the audit itself says so again.
        options: "-c default_transaction_read_only=on",
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      });
      try {
        await client.connect();
        return client as AuditConnection;
      } catch (error) {
        lastError = error;
        await client.end().catch(() => undefined);
        if (i === attempts.length - 1 || !isSslNegotiationError(error)) break;
      }
    }
    throw lastError;
  };
}

function connectionProblem(
  settings: ConnectionSettings,
  loaded: LoadedEnvironment,
  error: unknown,
) {
  const where = `${settings.host}:${settings.port} as ${settings.user} (database ${settings.database}, sslmode ${settings.sslmode})`;
  // node-postgres' own words for "the server asked for a password and none was given".
  if (
    settings.password === undefined &&
    /client password must be a string/.test(describeError(error))
  ) {
    return `cannot connect to PostgreSQL at ${where}: no password: set PGPASSWORD to the master user's password (the RDS-managed secret, docs/operations.md) or add it to ~/.pgpass`;
  }
  const tunnel = loaded.environment.tunnel;
  const hint = isConnectionRefused(error)
    ? tunnel
      ? `\nIs the tunnel open? Environment "${loaded.name}" expects it on local port ${tunnel.localPort}.`
      : "\nIs the server running, and the host and port right?"
    : "";
  return `cannot connect to PostgreSQL at ${where}: ${describeError(error)}${hint}`;
}

/**
 * The environments in `dir`. A folder that cannot be read (a wrong --environments-dir or
 * PGFORKS_ENVIRONMENTS_DIR) is named as such, not as "unknown environment ... (environments: none)".
 */
function knownEnvironments(dir: string): string[] {
  try {
    return environmentNames(dir);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function load(name: string, dir: string): LoadedEnvironment {
  if (!existsSync(join(dir, name, ENVIRONMENT_FILE))) {
    const known = knownEnvironments(dir);
    if (name === LOCAL_ENVIRONMENT) {
      // environments/local holds only the local target's tenants.yaml: no instance to audit here.
      throw new UsageError(
        `"${name}" is the local target, not an environment: npm start audits it after every apply (its "Audit:" line) (environments: ${known.join(", ") || "none"})`,
      );
    }
    throw new UsageError(unknownEnvironmentMessage(name, known));
  }
  try {
    return loadEnvironment(name, dir);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * The audit's settings: the options `pgforks audit` declares, as commander parses them. `env` is
 * checked here, not by commander, so that `--json` without it still prints the JSON failure.
 */
export interface AuditFlags extends ConnectionFlags {
  readonly env?: string;
  readonly ignoreRole?: readonly string[];
  readonly ignoreDatabase?: readonly string[];
  /** @default the repository's environments/ */
  readonly environmentsDir?: string;
  /** Print the report (or the failure) as JSON on stdout. @default false */
  readonly json?: boolean;
}

/** One line on stderr, and with --json the failure as JSON on stdout; exit 2. */
function auditFailure(io: CliIo, json: boolean, message: string): number {
  io.stderr(`audit: ${message}\n`);
  if (json) io.stdout(`${JSON.stringify({ ok: false, error: message }, null, 2)}\n`);
  return EXIT_ERROR;
}

/** Audits with the given flags; returns the exit code. */
export async function runAudit(flags: AuditFlags, io: CliIo = processIo): Promise<number> {
  const fail = (message: string) => auditFailure(io, flags.json === true, message);
  if (!flags.env) return fail("--env <env> is required; see: pgforks audit --help");
  let loaded: LoadedEnvironment;
  let settings: ConnectionSettings;
  try {
    loaded = load(flags.env, flags.environmentsDir ?? environmentsDir());
    settings = connectionSettings(flags, io.env, loaded);
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message);
    throw error;
  }
  const connect = connectionFactory(settings);
  let connected = false;
  let report: Awaited<ReturnType<typeof auditEnvironment>>;
  try {
    report = await auditEnvironment(
      // Tenant databases are opened through the same factory (same host, user, TLS, read-only).
      async (database?: string) => {
        const connection = await connect(database);
        connected = true;
        return connection;
      },
      loaded,
      {
        ignoreRoles: [...(flags.ignoreRole ?? [])],
        ignoreDatabases: [...(flags.ignoreDatabase ?? [])],
      },
    );
  } catch (error) {
    return fail(
      connected
        ? `audit query failed: ${describeError(error)}`
        : connectionProblem(settings, loaded, error),
    );
  }
  io.stdout(flags.json ? renderReportJson(report) : renderReport(report));
  return report.findings.length === 0 ? EXIT_OK : EXIT_FINDINGS;
}

/** Declares `audit`'s options and help on `command`; the action runs `runAudit` with them. */
export function describeAuditCommand(command: Command): Command {
  return command
    .description(
      "compare a running PostgreSQL with environments/<env> using read-only catalog queries",
    )
    .option("--env <env>", "environment to audit (required)")
    .option("--host <host>", `default $PGHOST, else ${DEFAULT_HOST}`)
    .option(
      "--port <port>",
      `default $PGPORT, else the environment's tunnel.localPort, else ${DEFAULT_PORT}`,
    )
    .option("--user <user>", "default $PGUSER, else the environment's database.masterUsername")
    .option(
      "--database <db>",
      `first database to connect to (each tenant database is also opened, to read its schemas); default $PGDATABASE, else ${DEFAULT_DATABASE}`,
    )
    .option(
      "--sslmode <mode>",
      `${SSL_MODES.join("|")}; default $PGSSLMODE, else ${DEFAULT_SSL_MODE}`,
    )
    .option("--sslrootcert <file>", "CA bundle for verify-ca/verify-full; default $PGSSLROOTCERT")
    .option("--ignore-role <role>", "a role that is not drift (repeatable)", collect)
    .option("--ignore-database <db>", "a database that is not drift (repeatable)", collect)
    .option("--environments-dir <dir>", "default: the repository's environments/")
    .option("--json", "print the report as JSON")
    .action(async (options: AuditFlags) => {
      process.exitCode = await runAudit(options).catch(unexpected);
    })
    .addHelpText(
      "after",
      `\nThe password comes from $PGPASSWORD (or ~/.pgpass).\nExit codes: ${EXIT_OK} no findings, ${EXIT_FINDINGS} findings, ${EXIT_ERROR} usage, config or connection error.`,
    );
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** An unexpected error is one line, exit 2. */
function unexpected(error: unknown): number {
  process.stderr.write(`audit: unexpected error: ${describeError(error)}\n`);
  return EXIT_ERROR;
}
