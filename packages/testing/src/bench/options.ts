import { type ParseArgsConfig, parseArgs } from "node:util";

/**
 * A benchmark script's options (node:util parseArgs): `--help` prints `usage` and `help` and
 * exits 0; anything parseArgs refuses is one line with the usage and exit 2, never its stack
 * trace. `config` must declare a boolean `help` option.
 */
export function benchOptions<const T extends ParseArgsConfig>(
  config: T,
  usage: string,
  help: string,
): ReturnType<typeof parseArgs<T>>["values"] {
  let values: ReturnType<typeof parseArgs<T>>["values"];
  try {
    values = parseArgs(config).values;
  } catch (error) {
    console.error(`error: ${(error as Error).message}; ${usage}`);
    process.exit(2);
  }
  if ((values as { help?: boolean }).help) {
    console.log(`${usage}\n${help}`);
    process.exit(0);
  }
  return values;
}

/** The positive integer `text`, given as option `--<name>`; else one line and exit 2. */
export function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`error: --${name} must be a positive integer (found "${text}")`);
    process.exit(2);
  }
  return value;
}
