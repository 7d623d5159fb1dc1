#!/usr/bin/env node
// Owns the `kcompart` command's entry (DESIGN.md §6): dispatch to the
// subcommands of src/cli/commands/, `--help` and `--version`, and the exit
// status (0 done, 1 a typed error printed as one line, 2 bad usage). Each
// subcommand is a thin layer over the library's pipeline (src/pipeline.ts).
import { analyzeCommand } from './commands/analyze.js';
import { collectCommand } from './commands/collect.js';
import { emitCommand } from './commands/emit.js';
import { mapCommand } from './commands/map.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { packageVersion, reportError, UsageError, type Command } from './common.js';

const COMMANDS: readonly Command[] = [collectCommand, analyzeCommand, mapCommand, emitCommand, runCommand, reportCommand];

const USAGE = `usage: kcompart <command> [options]   (kcompart <command> --help for its options)
${COMMANDS.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`).join('\n')}
  --version  print the version
Every command takes --json (its summary as one JSON object on stdout) and --help.`;

/** Runs the command line; resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (command) {
      await command.run(rest);
      return 0;
    }
    if (name === '--version' || name === '-V') {
      console.log(packageVersion());
      return 0;
    }
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      console.log(USAGE);
      return name === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command '${name}'`);
  } catch (e) {
    return reportError(e, command?.usage ?? USAGE);
  }
}

process.exitCode = await main(process.argv.slice(2));
