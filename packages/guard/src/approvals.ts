/**
 * Approvals for the plan guard (stateful deletions and replacements, and lowered protections in
 * production): `<stack>:<address>`, one per line or comma separated.
 *
 * The stack is required. cdktf derives a resource's address from its construct path below the
 * stack, so every environment's stack holds the same addresses
 * (`aws_db_instance.database_instance_D7FC2283` is dev's, staging's and prod's database): a bare
 * address would approve the resource in all of them. And an approval is only good for the change
 * it was written for: one that matches no stateful deletion or replacement in the plans of its
 * stack is stale (the change was applied, or never planned) and fails the guard until it is
 * removed, so it cannot approve a later, unrelated destroy of the same address.
 */

import { existsSync } from "node:fs";
import { join } from "node:path";

/** One approval: a stateful resource of one stack that may be deleted or replaced. */
export interface Approval {
  /** Stack name (`prod-platform`). Required. */
  readonly stack: string;
  /** Resource address in that stack's plan (`aws_db_instance.database_instance_D7FC2283`). Required. */
  readonly address: string;
  /**
   * Where it was written, named when it is stale (`.github/approved-changes.txt`,
   * `PGFORKS_APPROVED_CHANGES`). Default: "the approvals".
   */
  readonly source?: string;
}

/** Environment variable with approvals, comma separated. */
export const APPROVALS_ENV_VAR = "PGFORKS_APPROVED_CHANGES";

/** The approvals committed with a pull request, one per line (relative to the repository root). */
export const APPROVALS_FILE = ".github/approved-changes.txt";

/**
 * Earlier names of {@link APPROVALS_ENV_VAR} and {@link APPROVALS_FILE}, from when approvals were
 * only for destroys. Approvals written there are refused, never ignored: someone meant them.
 */
export const RENAMED_APPROVALS = {
  envVar: "PGFORKS_APPROVE_DESTROY",
  file: ".github/destroy-approvals.txt",
} as const;

/**
 * Throws {@link ApprovalError} when approvals sit under an earlier name: `env` has the old
 * variable (even empty) or `root` (the repository root) has the old file.
 */
export function refuseRenamedApprovals(env: NodeJS.ProcessEnv, root: string): void {
  if (env[RENAMED_APPROVALS.envVar] !== undefined) {
    throw new ApprovalError(
      `${RENAMED_APPROVALS.envVar} was renamed to ${APPROVALS_ENV_VAR} (approvals now cover destroys and lowered protections): set ${APPROVALS_ENV_VAR} instead`,
    );
  }
  if (existsSync(join(root, RENAMED_APPROVALS.file))) {
    throw new ApprovalError(
      `${RENAMED_APPROVALS.file} was renamed to ${APPROVALS_FILE} (approvals now cover destroys and lowered protections): move its lines there`,
    );
  }
}

/** A malformed approval (a bare address, an empty address). The CLIs exit 2 on it. */
export class ApprovalError extends Error {}

/**
 * cdktf stack names: letters, digits, `-` and `_` (the stacks here are `<env>-platform` and
 * `<env>-tenants`). Never a `.`, `[` or quote, so the prefix of a bare address with a colon in an
 * index key (`aws_s3_bucket.b["a:b"]`) is not mistaken for a stack.
 */
const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** `<stack>:<address>`, the form approvals are written and reported in. */
export function approvalKey(approval: Pick<Approval, "stack" | "address">): string {
  return `${approval.stack}:${approval.address}`;
}

/**
 * Parses approvals: comma or newline separated, `#` comments and blanks ignored. `source` names
 * the file or variable in errors and in the guard's "remove it from" message. Throws
 * {@link ApprovalError} on an entry without a stack or without an address.
 */
export function parseApprovals(text: string, source: string): Approval[] {
  const lines = text.split(/\r?\n/);
  const where = (line: number) => (lines.length > 1 ? `${source} line ${line}` : source);
  const approvals: Approval[] = [];
  lines.forEach((raw, i) => {
    for (const entry of raw.replace(/#.*$/, "").split(",")) {
      const text = entry.trim();
      if (text === "") continue;
      const colon = text.indexOf(":");
      const stack = colon < 0 ? "" : text.slice(0, colon);
      const address = colon < 0 ? "" : text.slice(colon + 1).trim();
      if (!STACK_NAME.test(stack)) {
        throw new ApprovalError(
          `${where(i + 1)}: approval "${text}" names no stack: write <stack>:<address> (e.g. dev-platform:${colon < 0 ? text : text.slice(colon + 1).trim()}); the same address exists in every environment's stack, so a bare one would approve it in all of them`,
        );
      }
      if (address === "") {
        throw new ApprovalError(
          `${where(i + 1)}: approval "${text}" names no address: write <stack>:<address>`,
        );
      }
      approvals.push({ stack, address, source });
    }
  });
  return approvals;
}
