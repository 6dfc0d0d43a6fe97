import { ConfigError } from "@pgforks/config";
import { Command } from "commander";

/** Declares `local`'s subcommands (start is the default), help and actions on `command`. */
export function describeLocalCommand(command: Command): Command {
  command.description(
    "the local target: PostgreSQL 16 on this machine with the forks of environments/local/tenants.yaml",
  );
  const run = (step: () => Promise<number>) => async () => {
    try {
      process.exitCode = await step();
    } catch (error) {
      console.error(
        error instanceof ConfigError
          ? error.message
          : `local: ${error instanceof Error ? error.message : String(error)}`,
      );
      process.exitCode = 1;
    }
  };
  // The local target's code (PostgreSQL, Terraform) loads only when a step runs.
  const target = () => import("./local-target");
  const start = run(async () => (await target()).startLocal());
  command
    .command("start", { isDefault: true })
    .description("start the server, apply the tenants, print each fork's DATABASE_URL")
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
