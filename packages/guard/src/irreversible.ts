/**
 * Instance settings RDS can only raise: the engine version and the allocated storage. A change
 * that lowers one cannot be applied to the existing instance, and a single file cannot show it
 * (the lower value is valid on its own), so it is judged here, between the base configuration
 * and the change, like a relocation:
 *
 * - Engine version: RDS modifies an instance's engine only upward. ModifyDBInstance's
 *   EngineVersion is "the version number of the database engine to upgrade to", and
 *   DescribeDBEngineVersions offers only newer versions as ValidUpgradeTarget (RDS API Reference).
 *   The offline plan of 16 -> 15 (hashicorp/aws 5.100.0) replaces the parameter group with a
 *   postgres15 one and updates engine_version in place; RDS then refuses the modification, so the
 *   apply fails halfway and the instance stays on 16.
 * - Allocated storage: "You can't reduce the amount of storage for a DB instance after storage has
 *   been allocated" (RDS User Guide, "Increasing DB instance storage capacity"). With storage
 *   autoscaling on (always: maxAllocatedStorageGb > allocatedStorageGb), hashicorp/aws ignores a
 *   smaller allocated_storage, so the plan shows no change of the instance (offline plan of
 *   40 -> 20, hashicorp/aws 5.100.0), while the FreeStorageSpace alarm, derived from
 *   allocatedStorageGb, drops to 10% of the smaller size: it no longer matches the real disk.
 *
 * - A raise to a new major version without `database.allowMajorVersionUpgrade`: RDS refuses it
 *   ("Major version upgrades must be allowed when specifying a value for the EngineVersion
 *   parameter that's a different major version than the DB instance's current version", RDS API
 *   Reference, ModifyDBInstance, AllowMajorVersionUpgrade), so the apply would fail the same way.
 *
 * All are blocked in every tier until an approval names `<env>-platform:database.engineVersion`
 * or `<env>-platform:database.allocatedStorageGb` (e.g. when the instance is replaced in the same
 * change, with its own approval: a new instance may be smaller or older).
 */
import { type Decision, decideByApproval } from "./guard";

/** The part of an environment's configuration these changes are read from. */
export interface InstanceSizing {
  readonly name: string;
  readonly database: {
    readonly engineVersion: string;
    readonly allocatedStorageGb: number;
    readonly allowMajorVersionUpgrade: boolean;
  };
}

/** A lowered engine version or allocated storage. */
export interface IrreversibleChange {
  /** The platform stack, where the approval is written (`<env>-platform`). */
  readonly stack: string;
  /** The setting, also the approval's address. */
  readonly address: "database.engineVersion" | "database.allocatedStorageGb";
  readonly environment: string;
  readonly before: string;
  readonly after: string;
  /** Why RDS cannot do it, with the source, and what happens instead. */
  readonly why: string;
  /** What to do instead. */
  readonly fix: string;
}

/** AWS's words that RDS only upgrades an engine, and where they are. */
export const ENGINE_DOWNGRADE_SOURCE =
  'RDS API Reference, ModifyDBInstance: EngineVersion is "the version number of the database engine to upgrade to"; DescribeDBEngineVersions lists only newer versions as ValidUpgradeTarget';

/** AWS's words that RDS cannot shrink storage, and where they are. */
export const STORAGE_DECREASE_SOURCE =
  'RDS User Guide, "Increasing DB instance storage capacity": "You can\'t reduce the amount of storage for a DB instance after storage has been allocated"';

/** AWS's words that a major upgrade must be allowed, and where they are. */
export const MAJOR_UPGRADE_SOURCE =
  "RDS API Reference, ModifyDBInstance, AllowMajorVersionUpgrade: \"Major version upgrades must be allowed when specifying a value for the EngineVersion parameter that's a different major version than the DB instance's current version\"";

/** "16.8" -> [16, 8]; undefined for anything else. */
function versionParts(version: string): number[] | undefined {
  return /^\d+(\.\d+)*$/.test(version) ? version.split(".").map(Number) : undefined;
}

/**
 * Whether `after` is older than `before`: a lower major, or the same major with a lower minor
 * when both name one ("16.8" -> "16" keeps the instance's minor: not a downgrade).
 */
export function isEngineDowngrade(before: string, after: string): boolean {
  const was = versionParts(before);
  const now = versionParts(after);
  if (!was || !now) return false;
  const length = Math.min(was.length, now.length);
  for (let i = 0; i < length; i++) {
    const [w, n] = [was[i] ?? 0, now[i] ?? 0];
    if (n !== w) return n < w;
  }
  return false;
}

/** The lowered engine version and storage between an environment's base and its change. */
export function irreversibleChanges(
  before: InstanceSizing | undefined,
  after: InstanceSizing,
): IrreversibleChange[] {
  if (before === undefined) return [];
  const env = after.name;
  const stack = `${env}-platform`;
  const found: IrreversibleChange[] = [];
  const engine = { was: before.database.engineVersion, now: after.database.engineVersion };
  /** A change of the engine version RDS refuses, with why and what to do instead. */
  const engineRefused = (why: string, fix: string): IrreversibleChange => ({
    stack,
    address: "database.engineVersion",
    environment: env,
    before: engine.was,
    after: engine.now,
    why,
    fix,
  });
  if (isEngineDowngrade(engine.was, engine.now)) {
    found.push(
      engineRefused(
        `RDS cannot downgrade a DB engine (${ENGINE_DOWNGRADE_SOURCE}). The apply would replace the parameter group with a postgres${engine.now.split(".")[0]} one and then fail on the instance, which stays on ${engine.was}`,
        `keep database.engineVersion at ${engine.was} or newer; an older PostgreSQL needs a new instance and a pg_dump/pg_restore of every tenant (a snapshot restores the version it was taken on)`,
      ),
    );
  }
  const [wasMajor, nowMajor] = [versionParts(engine.was)?.[0], versionParts(engine.now)?.[0]];
  if (
    wasMajor !== undefined &&
    nowMajor !== undefined &&
    nowMajor > wasMajor &&
    !after.database.allowMajorVersionUpgrade
  ) {
    found.push(
      engineRefused(
        `RDS refuses a major version upgrade that is not allowed (${MAJOR_UPGRADE_SOURCE}), and database.allowMajorVersionUpgrade is false. The apply would replace the parameter group with a postgres${nowMajor} one and then fail on the instance, which stays on ${engine.was}`,
        `set database.allowMajorVersionUpgrade: true in the same change (docs/operations.md, "Upgrading PostgreSQL to a new major version")`,
      ),
    );
  }
  const storage = {
    was: before.database.allocatedStorageGb,
    now: after.database.allocatedStorageGb,
  };
  if (storage.now < storage.was) {
    found.push({
      stack,
      address: "database.allocatedStorageGb",
      environment: env,
      before: `${storage.was} GB`,
      after: `${storage.now} GB`,
      why: `RDS cannot shrink an instance's storage (${STORAGE_DECREASE_SOURCE}). With storage autoscaling on, the AWS provider ignores the smaller value, so the plan changes nothing on the instance while the FreeStorageSpace alarm and the cost estimate follow ${storage.now} GB: both drift from the real disk of at least ${storage.was} GB`,
      fix: `keep database.allocatedStorageGb at ${storage.was} or raise it; a smaller disk needs a new instance and a move of the data`,
    });
  }
  return found;
}

/** Decides a lowered engine version or storage: blocked in every tier unless approved by name. */
export function decideIrreversible(
  change: IrreversibleChange,
  approvals: ReadonlySet<string>,
): IrreversibleChange & Decision {
  return decideByApproval(change, approvals, `blocked: ${change.why}. Instead: ${change.fix}`);
}
