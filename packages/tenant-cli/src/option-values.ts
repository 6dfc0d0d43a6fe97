// Applied by the `pgforks` program to every subcommand (packages/cli/src/program.ts) and by this
// package's own entry point (cli.ts): one rule for every command line.
import { type Command, InvalidArgumentError } from "commander";

/**
 * A value option whose value is one of the command's own options is refused: commander takes the
 * word after a value option as its value, whatever it is, so `tenant add x --owner --read-only-role`
 * wrote `owner: --read-only-role` and no read-only role, and `--owner --connection-limit 5` said
 * "too many arguments". Only a value that is an option of the command (alone or as --flag=value) is
 * refused: a value that merely starts with "-" (a description "-- draft") is still a value.
 * Wraps the option's parser, so it runs after refuseRepeatedValues (which skips parsed options).
 */
export function refuseOptionsAsValues(command: Command): Command {
  const flags = new Set<string>(["-h", "--help"]);
  for (const option of command.options) {
    if (option.long) flags.add(option.long);
    if (option.short) flags.add(option.short);
  }
  for (const option of command.options) {
    if (option.variadic || !(option.required || option.optional)) continue;
    const parse = option.parseArg;
    const name = option.long ?? option.flags;
    option.argParser((value: string, previous: unknown) => {
      const flag = value.split("=")[0] ?? value;
      if (flags.has(flag)) {
        throw new InvalidArgumentError(
          `It is the option ${flag} of this command, not a value: give ${name} its value right after it.`,
        );
      }
      return parse ? parse(value, previous) : value;
    });
  }
  for (const sub of command.commands) refuseOptionsAsValues(sub);
  return command;
}
