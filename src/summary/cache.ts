// Owns the summary cache: one JSON file per (TU content, summary version,
// allocator table) under a directory (`.cache/summaries/` by default), so a
// re-run recomputes only the TUs whose bytes changed. Files are written
// atomically (temporary name, then rename): two processes summarizing the same
// TU at once both end with a whole file. Entries are validated on read; a
// damaged one is recomputed, not trusted.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { type Allocator, type AllocatorTable, DEFAULT_ALLOCATORS } from '../analysis/index.js';
import type { Cache } from '../policy/schema.js';
import { contentHash, type SummarizeOptions, summarizeBytes } from './summarize.js';
import { SUMMARY_VERSION, type TuSummary, TuSummarySchema } from './schema.js';

/** Where summaries are cached unless told otherwise (relative to the working directory). */
export const DEFAULT_SUMMARY_CACHE = '.cache/summaries';

/**
 * Short hash of the inputs besides the bytes: the allocator table and the caches of other TUs. A
 * different table or cache list makes different sites, so different summaries.
 */
export function allocatorsHash(table: AllocatorTable | undefined, caches: readonly Cache[] = []): string {
  // the default table is hashed too: a summary made before an entry was added to it (an allocator
  // that makes new sites) must not be read back as current
  if (!table && !caches.length) return `default-${shortHash(canonicalJson(byName(DEFAULT_ALLOCATORS)))}`;
  const entries = table ? byName([...table.values()]) : 'default';
  const cs = [...caches].sort((a, b) => (a.holder < b.holder ? -1 : a.holder > b.holder ? 1 : 0));
  return shortHash(canonicalJson([entries, cs]));
}

/** The entries by name, without their notes (a reworded note makes the same sites). */
const byName = (entries: readonly Allocator[]): Omit<Allocator, 'note'>[] =>
  [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(({ note: _, ...rest }) => rest);
const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12);

/**
 * JSON with every object's keys sorted: the same value gives the same text whether it was built
 * by the analysis or read back through a zod schema (which orders keys as the schema does).
 */
function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)))
      : x,
  );
}

const SITES = TuSummarySchema.shape.sites;
const WRAPPERS = TuSummarySchema.shape.wrappers;

/** The cache file of a TU: by content hash, summary version and allocator table. */
export function cachePath(dir: string, sha256: string, allocators = allocatorsHash(undefined)): string {
  return join(dir, sha256.slice(0, 2), `${sha256}.v${SUMMARY_VERSION}.${allocators}.json`);
}

/** A cached summary, or undefined when absent or unreadable (then it is recomputed). */
export function readCached(path: string): TuSummary | undefined {
  return readJsonCached(path, TuSummarySchema);
}

/** A cached JSON file that `schema` validates, or undefined when absent or unreadable. */
export function readJsonCached<T>(path: string, schema: z.ZodType<T>): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** Writes a summary (or a TU's link facts) to its cache file (atomically). */
export function writeCached(path: string, s: unknown): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, JSON.stringify(s));
  renameSync(tmp, path);
}

export interface CachedSummaryOptions extends SummarizeOptions {
  /** Cache directory (default {@link DEFAULT_SUMMARY_CACHE}); `false` disables the cache. */
  cacheDir?: string | false;
}

/** A summary and whether it came from the cache. */
export interface SummaryResult {
  summary: TuSummary;
  cached: boolean;
}

/**
 * The summary of one `.ll` file, from the cache when its bytes were summarized before (with this
 * summary version and allocator table), else computed here and cached.
 * @throws ParseError (file, line, column, what was expected) for IR that does not read.
 */
export async function cachedSummary(file: string, options: CachedSummaryOptions = {}): Promise<SummaryResult> {
  const bytes = await readFile(file);
  const dir = options.cacheDir === undefined ? DEFAULT_SUMMARY_CACHE : options.cacheDir;
  const path = dir === false ? undefined : cachePath(dir, contentHash(bytes), allocatorsHash(options.allocators, options.caches));
  if (path) {
    const hit = readCached(path);
    // the cached summary is of these bytes; the path it was first read from may differ
    if (hit) return { summary: { ...hit, file }, cached: true };
  }
  // its records built in several places (allocation sites, which policies copy, and wrappers) in
  // the key order the schema gives a cached one, so a fresh summary is byte for byte a cached one and
  // so are the policies made from them (the whole summary through the schema: ~15 % more CPU cold)
  const computed = summarizeBytes(bytes, file, options);
  const summary: TuSummary = { ...computed, sites: SITES.parse(computed.sites), wrappers: WRAPPERS.parse(computed.wrappers) };
  if (path) writeCached(path, summary);
  return { summary, cached: false };
}
