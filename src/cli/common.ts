// Owns what every kcompart subcommand shares: the command shape (name,
// usage, run), usage errors (exit 2), option parsing with --help, the
// progress line on stderr, the compartment options of analyze and run, and
// turning the library's typed errors into one clear line (exit 1).
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AllocatorFileError, WriterFileError, readAllocatorFile, readSymbolList, readWriterFile } from '../analysis/index.js';
import { BinaryError } from '../binary/index.js';
import { CollectError, CompileError } from '../collect/index.js';
import { BpfCompileError, EmitError } from '../emit/index.js';
import { ParseError } from '../ir/errors.js';
import { expandInputs, InputError, type BuildOptions, type PipelineProgress } from '../pipeline.js';
import { PolicyError } from '../policy/index.js';

/** Bad usage: printed with the command's usage, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One subcommand. `run` resolves when done and throws on failure. */
export interface Command {
  readonly name: string;
  /** One line for `kcompart --help`. */
  readonly summary: string;
  /** The command's whole usage text. */
  readonly usage: string;
  run(argv: string[]): Promise<void>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h', default: false },
  json: { type: 'boolean', default: false },
} as const satisfies Options;

/** A command's parsed options (its own and the common ones) and positionals. */
export type ParsedCommand<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: typeof COMMON_OPTIONS & O; allowPositionals: boolean; strict: true }>
>;

/**
 * Parses a command's argv strictly (unknown options are usage errors); returns
 * `undefined` after printing the usage when --help is given.
 */
export function parseCommand<O extends Options>(
  command: Pick<Command, 'usage'>,
  argv: string[],
  options: O,
  positionals = false,
): ParsedCommand<O> | undefined {
  const parsed = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: positionals, strict: true });
  if ((parsed.values as { help?: boolean }).help) {
    console.log(command.usage);
    return undefined;
  }
  return parsed;
}

/** What selects and names a compartment (analyze and run). */
export const COMPARTMENT_OPTIONS = {
  compartment: { type: 'string', multiple: true },
  context: { type: 'string', multiple: true },
  'source-prefix': { type: 'string', multiple: true },
  symbols: { type: 'string' },
  allocators: { type: 'string' },
  writers: { type: 'string' },
  name: { type: 'string' },
  btf: { type: 'string' },
  'cache-catalogue': { type: 'string', multiple: true },
  'context-summaries': { type: 'string', multiple: true },
  'closed-world': { type: 'boolean' },
} as const satisfies Options;

export const COMPARTMENT_USAGE = `--compartment <files/dirs/globs> [--context <files/dirs/globs>]
    [--source-prefix net/ipv6/] [--symbols file] [--allocators file.json] [--writers file.json] [--name NAME]
    [--btf FILE]  (the target kernel's BTF: containers of a type declared outside the IR)
    [--cache-catalogue <files/dirs/globs>]  (IR of the rest of the kernel, read for the caches it creates)
    [--context-summaries <files/dirs/globs> [--closed-world]]  (the context read as cached per-TU summaries,
      e.g. the whole kernel; --closed-world: it holds every caller of the compartment)`;

/** The compartment part of the pipeline's options, from the parsed compartment options. */
export async function compartmentOptions(values: {
  compartment?: string[];
  context?: string[];
  'source-prefix'?: string[];
  symbols?: string;
  allocators?: string;
  writers?: string;
  name?: string;
  btf?: string;
  'cache-catalogue'?: string[];
  'context-summaries'?: string[];
  'closed-world'?: boolean;
}): Promise<
  Pick<
    BuildOptions,
    | 'compartment'
    | 'context'
    | 'sourcePrefixes'
    | 'symbols'
    | 'allocators'
    | 'writers'
    | 'name'
    | 'btf'
    | 'cacheCatalogue'
    | 'contextSummaries'
    | 'closedWorld'
  >
> {
  if (!values.compartment?.length) throw new UsageError('--compartment is required');
  if (values['context-summaries'] && values.context) throw new UsageError('give the context either as --context or as --context-summaries');
  if (values['closed-world'] && !values['context-summaries']) throw new UsageError('--closed-world needs --context-summaries');
  return {
    compartment: expandInputs(values.compartment),
    context: expandInputs(values.context ?? []),
    ...(values['source-prefix'] ? { sourcePrefixes: values['source-prefix'] } : {}),
    ...(values.symbols ? { symbols: await readSymbolList(values.symbols) } : {}),
    ...(values.allocators ? { allocators: await readAllocatorFile(values.allocators) } : {}),
    ...(values.writers ? { writers: await readWriterFile(values.writers) } : {}),
    ...(values.name ? { name: values.name } : {}),
    ...(values.btf ? { btf: values.btf } : {}),
    ...(values['cache-catalogue'] ? { cacheCatalogue: expandInputs(values['cache-catalogue'], 'ir', true) } : {}),
    ...(values['context-summaries'] ? { contextSummaries: expandInputs(values['context-summaries'], 'ir', true) } : {}),
    ...(values['closed-world'] ? { closedWorld: true } : {}),
  };
}

/**
 * A progress reporter on stderr: one line rewritten in place on a terminal,
 * one line per step otherwise (logs, CI). `done()` clears the line.
 */
export function progressLine(): { onProgress: (p: PipelineProgress) => void; done: () => void } {
  const tty = process.stderr.isTTY;
  const t0 = performance.now();
  return {
    onProgress: (p) => {
      const count = p.total !== undefined ? ` (${(p.done ?? 0) + 1}/${p.total})` : '';
      const line = `[${((performance.now() - t0) / 1e3).toFixed(1)} s] ${p.stage}: ${p.message}${count}`;
      if (tty) process.stderr.write(`\r\x1b[K${line}`);
      else process.stderr.write(`${line}\n`);
    },
    done: () => {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}

/** A path as the user reads it: relative to the working directory when under it, else absolute. */
export const shownPath = (path: string): string => {
  const r = relative('.', path);
  return r === '' || r.startsWith('..') ? resolve(path) : r;
};

/** Formats a percentage of a whole (0 when the whole is 0). */
export const percent = (part: number, whole: number): string => (whole ? `${((100 * part) / whole).toFixed(1)}%` : '0%');

/** `key n, key n` of the non-zero entries of a count record. */
export const counts = (record: Readonly<Record<string, number>>): string =>
  Object.entries(record)
    .filter(([, n]) => n)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** The package version, from the package.json above this file (source and dist layouts alike). */
export function packageVersion(): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'kcompart' && pkg.version) return pkg.version;
    } catch {
      // not here: one level up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

/**
 * The exit status for an error: 2 for usage, 1 for a typed error of the
 * library or a file system error, each printed as one line (compile errors
 * with their first diagnostics). Anything else is a bug and is rethrown.
 */
export function reportError(e: unknown, usage: string): number {
  if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`kcompart: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  if (e instanceof InputError) {
    console.error(`kcompart: ${e.message}`);
    return 2;
  }
  if (e instanceof BpfCompileError) {
    console.error(`kcompart: ${e.message}`);
    for (const d of e.diagnostics.slice(0, 10)) console.error(`  ${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`);
    return 1;
  }
  if (e instanceof CompileError) {
    console.error(`kcompart: ${e.message}`);
    for (const l of e.stderr.trimEnd().split('\n').slice(0, 20)) console.error(`  ${l}`);
    return 1;
  }
  if (
    e instanceof CollectError ||
    e instanceof ParseError ||
    e instanceof PolicyError ||
    e instanceof AllocatorFileError ||
    e instanceof WriterFileError ||
    e instanceof BinaryError ||
    e instanceof EmitError
  ) {
    console.error(`kcompart: ${e.message}`);
    return 1;
  }
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
    console.error(`kcompart: ${(e as Error).message}`);
    return 1;
  }
  throw e;
}
