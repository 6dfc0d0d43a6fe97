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
  ) {
    super(
      during === "apply"
        ? `interrupted (${signal}) during terraform apply: Terraform finished the changes under way and recorded them in its state (${stateDir}); run npm start again to apply the rest`
        : `interrupted (${signal}) before terraform apply: nothing was changed`,
    );
    this.exitCode = signalExitCode(signal);
  }
}
