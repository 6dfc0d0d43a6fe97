import { ConfigError } from "@pgforks/config";
import { Command } from "commander";
import { LocalInterruptedError } from "./interrupted";
import { DEFAULT_LOCAL_PORT, LOCAL_PORT_ENV } from "./local-port";

/** Prints why a `local` step failed, as one message (no stack); returns the exit code. */
export function reportLocalFailure(error: unknown, print = console.error): number {
  print(
    error instanceof ConfigError
      ? error.message
      : `local: ${error instanceof Error ? error.message : String(error)}`,
  );
  // Ended by ctrl-C: 128 + the signal, as a shell says.
  return error instanceof LocalInterruptedError ? error.exitCode : 1;
}

/** Declares `local`'s subcommands (start is the default), help and actions on `command`. */
export function describeLocalCommand(command: Command): Command {
  command.description(
    "the local target: PostgreSQL 16 on this machine with the forks of environments/local/tenants.yaml",
  );
  command.addHelpText(
    "after",
    [
      "",
      "npm start runs `local start`, the default step. Data, state and local passwords in .local/ (ignored by git).",
      `Environment: ${LOCAL_PORT_ENV} (the server's port, default ${DEFAULT_LOCAL_PORT}); PGFORKS_PG_USER (who runs the`,
      "server when this runs as root, default postgres, else nobody).",
      "Exit codes: 0 done, 1 failure or usage, 128+signal when ctrl-C (SIGINT: 130), SIGTERM or SIGHUP ended it.",
    ].join("\n"),
  );
  const run = (step: () => Promise<number>) => async () => {
    try {
      process.exitCode = await step();
    } catch (error) {
      process.exitCode = reportLocalFailure(error);
    }
  };
  // The local target's code (PostgreSQL, Terraform) loads only when a step runs.
  const target = () => import("./local-target");
  const start = run(async () => (await target()).startLocal());
  command
    .command("start", { isDefault: true })
    .description(
      "(the default) start the server, apply the tenants, print each fork's DATABASE_URL",
    )
    // A mistyped step (`npm run local -- stpo`) reaches this default command as an argument: name
    // it as the unknown command it is, not "too many arguments for 'start'".
    .allowExcessArguments()
    .action(async (_options: unknown, self: Command) => {
      const [extra] = self.args;
      if (extra !== undefined) {
        command.error(`error: unknown command '${extra}' (local takes start, stop or reset)`);
      }
      await start();
    });
  command
    .command("stop")
    .description("stop the server, keep its data")
    .action(run(async () => (await target()).stopLocal()));
  command
    .command("reset")
    .description("stop the server and delete its data, state and local passwords")
    .action(run(async () => (await target()).resetLocal()));
  return command;
}

// Run directly: `tsx packages/local/src/cli.ts <start|stop|reset>`.
if (require.main === module) {
  void describeLocalCommand(new Command("local")).parseAsync(process.argv);
}
