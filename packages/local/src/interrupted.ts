import { constants as osConstants } from "node:os";

/** Exit code of a process ended by `signal` (128 + its number), as shells report it. */
function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 0);
}

/**
 * Terraform was stopped by ctrl-C (or SIGTERM, SIGHUP) given to `npm start`. `during` is the
 * Terraform command that was running or about to run: only `apply` changes anything.
 */
export class LocalInterruptedError extends Error {
  override readonly name = "LocalInterruptedError";
  /** 128 + the signal's number. */
  readonly exitCode: number;

  constructor(
    readonly signal: NodeJS.Signals,
    readonly during: string,
    stateDir: string,
    /** Terraform was stopped at once (ctrl-C pressed three times). */
    readonly forced = false,
  ) {
    super(
      during !== "apply"
        ? `interrupted (${signal}) before terraform apply: nothing was changed`
        : forced
          ? `interrupted (${signal}) three times during terraform apply: Terraform stopped at once, and its state (${stateDir}) may miss what it applied last; run npm start again: if it fails on a role or database that "already exists", drop that one as pgforks_admin (it is new, without data), then npm start`
          : `interrupted (${signal}) during terraform apply: Terraform finished the changes under way and recorded them in its state (${stateDir}); run npm start again to apply the rest`,
    );
    this.exitCode = signalExitCode(signal);
  }
}
