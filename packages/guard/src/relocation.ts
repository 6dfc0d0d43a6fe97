/**
 * Settings of an environment that Terraform cannot change in place: its region, its account and
 * where its stacks keep their state. A resource cannot move to another region or account, and a
 * state read from another place knows none of the resources, so a change of one of these makes
 * Terraform plan every resource of the environment anew, empty, and forget the existing ones:
 * the instance with every tenant database is left running, unmanaged, while the tenants' secrets
 * send the apps to new, empty databases. No plan shows a deletion (with the refresh, the old
 * resources just vanish from the state; offline, the plan even looks small), so the destroy
 * guard never sees it: it is judged from the configuration, and blocked in every tier until an
 * approval names `<env>-platform:<setting>`.
 */
import { type Decision, decideByApproval } from "./guard";

/** The part of an environment's configuration a relocation is read from. */
export interface LocatedEnvironment {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly stateBackend: {
    readonly bucket: string;
    readonly region: string;
    readonly keyPrefix: string;
  };
}

/** One setting whose change relocates the environment. */
export interface Relocation {
  /** The platform stack, where the approval is written (`<env>-platform`). */
  readonly stack: string;
  /** The setting, also the approval's address: `region`, `account` or `stateBackend`. */
  readonly address: "region" | "account" | "stateBackend";
  readonly environment: string;
  readonly before: string;
  readonly after: string;
  /** What the change does to the environment's resources and data, in words. */
  readonly loses: string;
}

/**
 * The relocations between an environment's base configuration and its configuration after the
 * change (none when there is no base).
 */
export function relocations(
  before: LocatedEnvironment | undefined,
  after: LocatedEnvironment,
): Relocation[] {
  if (before === undefined) return [];
  const env = after.name;
  const stack = `${env}-platform`;
  const stacks = `${env}-platform and ${env}-tenants`;
  const left = (where: string) =>
    `the existing instance ${where}, with every tenant database, stays there, no longer managed by Terraform, and the tenants' new secrets name the new, empty databases`;
  const found: Relocation[] = [];
  if (before.region !== after.region) {
    found.push({
      stack,
      address: "region",
      environment: env,
      before: before.region,
      after: after.region,
      loses: `Terraform cannot move a resource to another region: it finds none of the resources of ${stacks} in ${after.region} and creates them all anew there, empty; ${left(`in ${before.region}`)}`,
    });
  }
  if (before.account !== after.account) {
    found.push({
      stack,
      address: "account",
      environment: env,
      before: before.account,
      after: after.account,
      loses: `Terraform cannot move a resource to another account: it finds none of the resources of ${stacks} in account ${after.account} and creates them all anew there, empty; ${left(`in account ${before.account}`)}`,
    });
  }
  const where = (s: LocatedEnvironment["stateBackend"]) =>
    `s3://${s.bucket}/${s.keyPrefix} (${s.region})`;
  if (where(before.stateBackend) !== where(after.stateBackend)) {
    found.push({
      stack,
      address: "stateBackend",
      environment: env,
      before: where(before.stateBackend),
      after: where(after.stateBackend),
      loses: `${stacks} read their state from a new place, which knows none of the existing resources: Terraform plans to create them all again, the apply fails on the names that exist after creating the others a second time, and the existing instance, with every tenant database, is no longer managed by Terraform. Move the state objects first (terraform init -migrate-state), then change stateBackend`,
    });
  }
  return found;
}

/** Decides a relocation: blocked in every tier unless an approval names `<env>-platform:<setting>`. */
export function decideRelocation(
  relocation: Relocation,
  approvals: ReadonlySet<string>,
): Relocation & Decision {
  return decideByApproval(relocation, approvals, `blocked: ${relocation.loses}`);
}
