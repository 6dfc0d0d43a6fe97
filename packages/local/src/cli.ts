import { ConfigError } from "@pgforks/config";
import { Command } from "commander";
import { resetLocal, startLocal, stopLocal } from "./local-target";

/** `npm start` and `npm run local -- <start|stop|reset>`. */
const program = new Command("local")
  .description(
    "The local target: PostgreSQL 16 on this machine with the forks of environments/local/tenants.yaml",
  )
  .showHelpAfterError();
program
  .command("start", { isDefault: true })
  .description("start the server, apply the tenants, print each fork's DATABASE_URL")
  .action(async () => {
    process.exitCode = await startLocal();
  });
program
  .command("stop")
  .description("stop the server, keep its data")
  .action(async () => {
    process.exitCode = await stopLocal();
  });
program
  .command("reset")
  .description("stop the server and delete its data, state and local passwords")
  .action(async () => {
    process.exitCode = await resetLocal();
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(
    error instanceof ConfigError
      ? error.message
      : `local: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exitCode = 1;
});
