import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  environmentNames,
  NON_ENVIRONMENT_FOLDERS,
  TENANT_STATES,
  TENANTS_FILE,
  type TenantState,
  tenantDatabaseName,
  tenantSchema,
  visibleJson,
} from "@pgforks/config";
import { DATABASE_RENAMED_NOTE } from "@pgforks/tenants/footprint";
import { parse } from "yaml";

/** What `check` needs of an entry: identity, database and state, read defensively. */
export interface TenantIdentity {
  readonly name: string;
  readonly database: string;
  readonly state: TenantState;
  /** confirmDrop as written, when it is a string. */
  readonly confirmDrop?: string;
}

/** The default state, taken from the schema so the two never disagree. */
const DEFAULT_STATE: TenantState = tenantSchema.shape.state.parse(undefined);

/**
 * Reads names, databases and states from a tenants.yaml text without validating the rest: the
 * base branch may predate today's rules, and validation is the config check's job. Throws when
 * the text is not YAML.
 */
export function readTenantIdentities(text: string): TenantIdentity[] {
  const value = parse(text) as { tenants?: unknown } | null;
  const entries = Array.isArray(value?.tenants) ? value.tenants : [];
  return entries.flatMap((entry: unknown) => {
    if (entry === null || typeof entry !== "object") return [];
    const { name, database, state, confirmDrop } = entry as Record<string, unknown>;
    if (typeof name !== "string") return [];
    return [
      {
        name,
        database: tenantDatabaseName({
          name,
          database: typeof database === "string" ? database : undefined,
        }),
        state: (TENANT_STATES as readonly unknown[]).includes(state)
          ? (state as TenantState)
          : DEFAULT_STATE,
        ...(typeof confirmDrop === "string" ? { confirmDrop } : {}),
      },
    ];
  });
}

/** One result of comparing an environment with the base branch. */
export interface CheckFinding {
  /** failure: the change would destroy data without the explicit drop; notice: said loudly. */
  readonly level: "failure" | "notice";
  /**
   * removed / renamed / database-changed: failures; dropping: dropped in this change;
   * undropped: a dropped tenant comes back (empty); unreadable: the working file is not YAML.
   */
  readonly kind:
    | "removed"
    | "renamed"
    | "database-changed"
    | "dropping"
    | "undropped"
    | "unconfirmed-drop"
    | "unreadable"
    | "environment-removed";
  readonly env: string;
  readonly tenant: string;
  /** The database concerned (the one that would be lost, for failures). */
  readonly database?: string;
  readonly message: string;
}

/**
 * What deleting an environment's folder does. Nothing is destroyed: the synth no longer writes
 * `<env>-platform` and `<env>-tenants`, so CI plans neither (no plan, no destroy guard, no review)
 * and Terraform simply stops managing them. Everything they created stays in AWS, running and
 * billed, with its data and secrets, and nothing watches it any more.
 */
export function environmentRemovedMessage(
  env: string,
  databases: readonly string[],
  /** Why the base names no tenant (its tenants.yaml missing or not YAML there), if so. */
  noTenantsAtBase?: string,
): string {
  const instance =
    databases.length === 0
      ? "Its RDS instance"
      : `Its RDS instance, with database${databases.length === 1 ? "" : "s"} ${databases.join(", ")},`;
  const unnamed = noTenantsAtBase ? ` (${noTenantsAtBase}, so its tenants cannot be compared)` : "";
  return `the folder environments/${env}/ was deleted${unnamed}: nothing is destroyed, but ${env}-platform and ${env}-tenants are no longer synthesized, so no plan, review or destroy guard covers them and Terraform stops managing them. ${instance} keeps running and billing; the tenants' secrets and the state files under stateBackend stay; the nightly audit and later applies no longer look at any of it (orphaned, not deleted). Instead: keep the folder; to retire the environment, drop its tenants (npm run tenant -- drop), then tear its stacks down on purpose (terraform destroy of ${env}-tenants, then ${env}-platform, after a final backup), and only then remove the folder`;
}

/** How to remove a tenant without losing data by accident. */
export const REMOVE_INSTEAD =
  "set state: dropped with confirmDrop: <database> first (npm run tenant -- drop), merge and apply, then remove the entry; to stop it but keep the data, use suspend or retire";

/**
 * What to do instead of renaming a tenant (docs/operations.md, "Renaming a tenant"): a dump names
 * the tenant's schema in every statement, so it does not restore into another tenant's database.
 */
export const TENANT_RENAME_INSTEAD =
  "keep the tenant's name: a pg_dump of it names its schema in every statement and fails to restore into another tenant's database, and a new tenant name has no tested procedure (docs/operations.md, \"Renaming a tenant\")";

/**
 * What to do instead of renaming a tenant's database (docs/operations.md, "Moving a tenant's data
 * to another database", run by packages/local/test/backup.test.ts).
 */
export const DATABASE_RENAME_INSTEAD =
  'keep the database name (applications only see it in their secret); to move the data to a new database, keep the tenant: back it up, drop it and apply, then give the dropped entry the new database, activate it, apply and restore (docs/operations.md, "Moving a tenant\'s data to another database")';

/**
 * Why a database rename fails the check. The tenants stack refuses it at plan time (a postcondition
 * on the database, @pgforks/tenants): renaming needs every session gone, and every grant and
 * extension bound to the database would be replaced (their `database` is ForceNew).
 */
export const DATABASE_RENAME_RISK = `${DATABASE_RENAMED_NOTE}: the tenants stack's plan fails before anything changes (a rename needs every session gone and would replace every grant, the tenant's schema and its extensions)`;

/**
 * Compares one environment's tenants at the base ref with the working tree. `base` undefined:
 * the environment is new (nothing to lose). `working` undefined: its tenants.yaml is gone.
 */
export function compareTenants(
  env: string,
  base: readonly TenantIdentity[] | undefined,
  working: readonly TenantIdentity[] | undefined,
): CheckFinding[] {
  const findings: CheckFinding[] = [];
  const now = working ?? [];
  const before = base ?? [];
  for (const old of before) {
    const current = now.find((t) => t.name === old.name);
    if (old.state === "dropped") {
      if (current && current.state !== "dropped") {
        findings.push({
          level: "notice",
          kind: "undropped",
          env,
          tenant: old.name,
          database: current.database,
          message: `was dropped at the base and is ${current.state} again: database ${current.database} will be created EMPTY (restore it from a pg_dump if needed)`,
        });
      }
      continue;
    }
    if (!current) {
      const sameDatabase = now.find((t) => t.database === old.database);
      findings.push({
        level: "failure",
        kind: sameDatabase ? "renamed" : "removed",
        env,
        tenant: old.name,
        database: old.database,
        message: sameDatabase
          ? `was renamed to "${sameDatabase.name}" (database ${old.database}): the old role and database would be destroyed and new ones created. Instead: ${TENANT_RENAME_INSTEAD}`
          : `was removed while ${old.state} at the base: database ${old.database} would be destroyed. Instead: ${REMOVE_INSTEAD}`,
      });
      continue;
    }
    if (current.database !== old.database) {
      findings.push({
        level: "failure",
        kind: "database-changed",
        env,
        tenant: old.name,
        database: old.database,
        message: `database changed from ${old.database} to ${current.database}: ${DATABASE_RENAME_RISK}. Instead: ${DATABASE_RENAME_INSTEAD}`,
      });
    }
  }
  for (const current of now) {
    if (current.state !== "dropped") continue;
    const old = before.find((t) => t.name === current.name);
    if (old?.state === "dropped") continue;
    // Dropped while its database is renamed: the database-changed failure above says it, and
    // the notice would name (and back up) a database that does not exist; the guard refuses the
    // drop of the base's database, which nobody confirmed.
    if (old !== undefined && old.database !== current.database) continue;
    // A typo in confirmDrop: the configuration is refused, so nothing is dropped, and the
    // notice below ("DROPS database ...") would announce what never happens.
    if (current.confirmDrop !== current.database) {
      findings.push({
        level: "failure",
        kind: "unconfirmed-drop",
        env,
        tenant: current.name,
        database: current.database,
        message: `state: dropped, but confirmDrop is ${current.confirmDrop === undefined ? "missing" : visibleJson(current.confirmDrop)}, not its database ${current.database}: the configuration is refused and nothing is dropped. To drop it: npm run tenant -- drop --env ${env} ${current.name} --confirm ${current.database}; to keep it, remove state: dropped and confirmDrop`,
      });
      continue;
    }
    findings.push({
      level: "notice",
      kind: "dropping",
      env,
      tenant: current.name,
      database: current.database,
      message: `DROPS database ${current.database} at the next apply (state: dropped with confirmDrop). Its data is lost unless backed up: take a pg_dump first`,
    });
  }
  return findings;
}

/** Runs git in `root`; returns stdout, or undefined when git exits non-zero. */
function git(root: string, args: readonly string[]): string | undefined {
  const result = spawnSync("git", args, { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 });
  if (result.error) throw result.error;
  return result.status === 0 ? result.stdout : undefined;
}

/** Options of checkAgainstBase. */
export interface CheckOptions {
  /** Git ref of the base branch, e.g. origin/main. */
  readonly base: string;
  /** Folder inside the git work tree that holds `environments/`. */
  readonly root: string;
}

/** The findings of every environment, or throws when the base ref is unknown. */
export function checkAgainstBase(options: CheckOptions): CheckFinding[] {
  const { base, root } = options;
  if (git(root, ["rev-parse", "--verify", "--quiet", `${base}^{commit}`]) === undefined) {
    throw new Error(
      `unknown git ref "${base}": fetch it first (in GitHub Actions: actions/checkout with fetch-depth: 0, or git fetch origin <base branch>)`,
    );
  }
  const environmentsDir = join(root, "environments");
  // `<ref>:./path` is relative to the working directory, so root need not be the repository top.
  const baseNames = (git(root, ["ls-tree", "--name-only", `${base}:./environments`]) ?? "")
    .split("\n")
    .filter((n) => n !== "");
  const workingNames = existsSync(environmentsDir) ? environmentNames(environmentsDir) : [];
  const names = [...new Set([...baseNames, ...workingNames])].sort();
  // The environment folders at the base (as environmentNames counts them): one deleted since is
  // orphaned whatever its tenants.yaml was there.
  const baseFolders = (git(root, ["ls-tree", "-d", "--name-only", `${base}:./environments`]) ?? "")
    .split("\n")
    .filter((n) => n !== "" && !n.startsWith(".") && !NON_ENVIRONMENT_FOLDERS.includes(n));
  const findings: CheckFinding[] = [];
  for (const env of names) {
    const baseText = git(root, ["show", `${base}:./environments/${env}/${TENANTS_FILE}`]);
    const deleted = !existsSync(join(environmentsDir, env));
    const folderAtBase = baseFolders.includes(env);
    // Not at the base: a new environment, nothing to lose.
    if (baseText === undefined && !(deleted && folderAtBase)) continue;
    const workingFile = join(environmentsDir, env, TENANTS_FILE);
    let working: TenantIdentity[] | undefined;
    let baseTenants: TenantIdentity[] = [];
    let noTenantsAtBase: string | undefined;
    if (baseText === undefined) {
      noTenantsAtBase = `environments/${env}/${TENANTS_FILE} is missing at ${base}`;
    } else {
      try {
        baseTenants = readTenantIdentities(baseText);
      } catch {
        // Unreadable at the base: there was no valid tenant to lose.
        if (!deleted) continue;
        noTenantsAtBase = `environments/${env}/${TENANTS_FILE} is not valid YAML at ${base}`;
      }
    }
    if (deleted) {
      // The whole folder is gone: no stack is synthesized, so nothing is planned, let alone
      // destroyed; the environment is orphaned, which the per-tenant findings would misstate.
      findings.push({
        level: "failure",
        kind: "environment-removed",
        env,
        tenant: "*",
        message: environmentRemovedMessage(
          env,
          baseTenants.filter((t) => t.state !== "dropped").map((t) => t.database),
          noTenantsAtBase,
        ),
      });
      continue;
    }
    if (existsSync(workingFile)) {
      try {
        working = readTenantIdentities(readFileSync(workingFile, "utf8"));
      } catch (error) {
        findings.push({
          level: "failure",
          kind: "unreadable",
          env,
          tenant: "*",
          message: `environments/${env}/${TENANTS_FILE} is not valid YAML (${(error as Error).message.split("\n")[0]}); fix it before the check can compare`,
        });
        continue;
      }
    }
    findings.push(...compareTenants(env, baseTenants, working));
  }
  return findings;
}
