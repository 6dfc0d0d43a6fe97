/**
 * Approvals for the destroy guard: `<stack>:<address>`, one per line or comma separated.
 *
 * The stack is required. cdktf derives a resource's address from its construct path below the
 * stack, so every environment's stack holds the same addresses
 * (`aws_db_instance.database_instance_D7FC2283` is dev's, staging's and prod's database): a bare
 * address would approve the resource in all of them. And an approval is only good for the change
 * it was written for: one that matches no stateful deletion or replacement in the plans of its
 * stack is stale (the change was applied, or never planned) and fails the guard until it is
 * removed, so it cannot approve a later, unrelated destroy of the same address.
 */

/** One approval: a stateful resource of one stack that may be deleted or replaced. */
export interface Approval {
  /** Stack name (`prod-platform`). Required. */
  readonly stack: string;
  /** Resource address in that stack's plan (`aws_db_instance.database_instance_D7FC2283`). Required. */
  readonly address: string;
  /**
   * Where it was written, named when it is stale (`.github/destroy-approvals.txt`,
   * `PGFORKS_APPROVE_DESTROY`). Default: "the approvals".
   */
  readonly source?: string;
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
          `${where(i + 1)}: approval "${text}" names no stack: write <stack>:<address> (e.g. dev-platform:${text}); the same address exists in every environment's stack, so a bare one would approve it in all of them`,
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
