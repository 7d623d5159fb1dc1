// Owns summarizing many TUs on every core: a piscina pool of worker threads,
// each parsing and summarizing one TU at a time through the cache (worker.ts).
// At most `threads` modules are in memory at once; the caller receives each
// summary as it comes and decides whether to keep it.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { AllocatorTable } from '../analysis/index.js';
import { ParseError } from '../ir/errors.js';
import { cachedSummary, DEFAULT_SUMMARY_CACHE } from './cache.js';
import type { Cache } from '../policy/schema.js';
import { cachedLinks, type TuLinks } from './links.js';
import type { TuSummary } from './schema.js';
import type { SummaryTask, SummaryTaskResult } from './worker.js';

export interface SummarizeFilesOptions {
  /** Worker threads (default: the cores, `os.availableParallelism()`); 0 summarizes in this thread. */
  threads?: number;
  /** Cache directory (default `.cache/summaries`); `false` disables the cache. */
  cacheDir?: string | false;
  allocators?: AllocatorTable;
  /** Per file (by index into `files`): its own allocator table and known caches, overriding `allocators` (summarizeProgram's second rounds). */
  perFile?: (i: number) => { allocators?: AllocatorTable; caches?: Cache[] } | undefined;
  /** Called with each TU's link facts as they are ready (linksOfFiles; in completion order). */
  onLinks?: (l: TuLinks, cached: boolean, file: string) => void;
  /** Called with each summary as it is ready (in completion order). */
  onSummary?: (s: TuSummary, cached: boolean) => void;
  /** Keep the summaries in the result (default true); false for a caller that folds them as they come. */
  keep?: boolean;
  /** A TU that does not read: throw its ParseError (default), or record it and go on. */
  onError?: 'throw' | 'collect';
}

export interface SummarizeFilesResult {
  /** In the order of the input files (when kept). */
  summaries: TuSummary[];
  hits: number;
  misses: number;
  errors: ParseError[];
}

/** The compiled worker's door (worker-door.cts): next to this file in dist/, or dist's copy when this file runs from src/ (tests). */
function workerFile(): string {
  const here = fileURLToPath(new URL('./worker-door.cjs', import.meta.url));
  if (existsSync(here)) return here;
  const dist = join(fileURLToPath(new URL('../../dist/src/summary/worker-door.cjs', import.meta.url)));
  if (existsSync(dist)) return dist;
  throw new Error(`the summary worker is not built (${here}, ${dist}): run npm run build`);
}

function rebuildError(e: Extract<SummaryTaskResult, { ok: false }>['error'], file: string): Error {
  if (e.name === 'ParseError' && e.line !== undefined)
    return new ParseError(e.file ?? file, e.line, e.column ?? 1, 0, e.token ?? '', e.expected ?? e.message);
  const x = new Error(`${file}: ${e.message}`);
  x.name = e.name;
  return x;
}

type TaskOk = Extract<SummaryTaskResult, { ok: true }>;

/**
 * Runs one task per file (a summary, or link facts with `links`) on a pool of worker threads (or
 * in this thread with `threads: 0`), through the content-hash cache; `take` receives each result.
 * A TU that does not read: its ParseError is thrown, or collected into `errors` with `onError: 'collect'`.
 */
async function runTasks(
  files: readonly string[],
  options: SummarizeFilesOptions,
  links: boolean,
  take: (i: number, r: TaskOk) => void,
  errors: ParseError[],
): Promise<void> {
  const threads = options.threads ?? availableParallelism();
  const cacheDir = options.cacheDir === undefined ? DEFAULT_SUMMARY_CACHE : options.cacheDir;
  const fail = (e: unknown): void => {
    if (options.onError === 'collect' && e instanceof ParseError) errors.push(e);
    else throw e;
  };
  if (threads === 0) {
    for (const [i, file] of files.entries()) {
      const own = options.perFile?.(i);
      const allocators = own?.allocators ?? options.allocators;
      const o = { cacheDir, ...(allocators ? { allocators } : {}), ...(own?.caches ? { caches: own.caches } : {}) };
      let r: TaskOk;
      try {
        r = links ? { ...(await cachedLinks(file, o)), ok: true } : { ...(await cachedSummary(file, o)), ok: true };
      } catch (e) {
        fail(e);
        continue;
      }
      take(i, r);
    }
    return;
  }
  const pool = new Piscina<SummaryTask, SummaryTaskResult>({ filename: workerFile(), maxThreads: threads, minThreads: threads });
  const allocators = options.allocators ? [...options.allocators.values()] : undefined;
  try {
    await Promise.all(
      files.map((file, i) => {
        const own = options.perFile?.(i);
        const table = own?.allocators ? [...own.allocators.values()] : allocators;
        return pool
          .run({
            file,
            cacheDir,
            ...(table ? { allocators: table } : {}),
            ...(own?.caches ? { caches: own.caches } : {}),
            ...(links ? { links } : {}),
          })
          .then((r) => (r.ok ? take(i, r) : fail(rebuildError(r.error, file))));
      }),
    );
  } finally {
    await pool.destroy();
  }
}

/**
 * Summarizes `.ll` files with a pool of worker threads (each through the content-hash cache).
 * @throws ParseError for the first TU that does not read (unless `onError: 'collect'`).
 */
export async function summarizeFiles(files: readonly string[], options: SummarizeFilesOptions = {}): Promise<SummarizeFilesResult> {
  const keep = options.keep ?? true;
  const out: (TuSummary | undefined)[] = new Array(files.length);
  const result: SummarizeFilesResult = { summaries: [], hits: 0, misses: 0, errors: [] };
  await runTasks(
    files,
    options,
    false,
    (i, r) => {
      if (!('summary' in r)) return;
      if (r.cached) result.hits++;
      else result.misses++;
      options.onSummary?.(r.summary, r.cached);
      if (keep) out[i] = r.summary;
    },
    result.errors,
  );
  result.summaries = out.filter((s): s is TuSummary => s !== undefined);
  return result;
}

/** Link facts of files (links.ts), by input index (undefined for a TU that did not read). */
export interface LinksOfFilesResult {
  links: (TuLinks | undefined)[];
  hits: number;
  misses: number;
  errors: ParseError[];
}

/** The link facts of `.ll` files on the worker pool, through the cache (options as {@link summarizeFiles}'). */
export async function linksOfFiles(files: readonly string[], options: SummarizeFilesOptions = {}): Promise<LinksOfFilesResult> {
  const result: LinksOfFilesResult = { links: new Array(files.length), hits: 0, misses: 0, errors: [] };
  await runTasks(
    files,
    options,
    true,
    (i, r) => {
      if (!('links' in r)) return;
      if (r.cached) result.hits++;
      else result.misses++;
      options.onLinks?.(r.links, r.cached, files[i]!);
      result.links[i] = r.links;
    },
    result.errors,
  );
  return result;
}
