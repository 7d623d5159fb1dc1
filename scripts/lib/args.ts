// Command-line options of the project's scripts and benchmarks: node's
// parseArgs with a usage text, `--help`, and exit code 2 for bad usage.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP = { help: { type: 'boolean', short: 'h', default: false } } as const;

/**
 * Parses `process.argv` against `options` (plus `-h/--help`). Returns the values, or
 * the exit code when the script should stop: 0 after printing the usage for --help,
 * 2 after printing the error and the usage for bad options.
 */
type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: O & typeof HELP; strict: true }>>['values'];

export function scriptOptions<const O extends Options>(options: O, usage: string): Values<O> | number {
  let values: Values<O>;
  try {
    values = parseArgs({ options: { ...options, ...HELP } as O & typeof HELP, strict: true }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage}`);
    return 2;
  }
  if ((values as { help?: boolean }).help) {
    console.log(usage);
    return 0;
  }
  return values as Values<O>;
}
