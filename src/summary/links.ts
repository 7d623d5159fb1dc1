// Owns a TU's link facts: what summarizeProgram needs from a TU to decide
// which other TUs' allocator wrappers and caches each TU gets as input — the
// wrappers and caches it defines (given its input), the functions it calls but
// does not define, the globals it only declares, and its caches typed for the
// cache catalogue. They come from the allocation-site finder alone (no
// points-to), so they cost a parse and a cheap pass; the full summary (summarize.ts) is then computed once per TU,
// with the input the rounds settled on. Cached next to the summaries by the
// same key (content, version, input), with a `.links.json` suffix.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AllocatorSchema, allocatorTable, findAllocationSites, Program, typedCaches, type ProgramModule } from '../analysis/index.js';
import type { Module } from '../ir/module.js';
import { parseModuleBytes } from '../ir/read.js';
import { CacheSchema } from '../policy/schema.js';
import { allocatorsHash, cachePath, DEFAULT_SUMMARY_CACHE, readJsonCached, writeCached } from './cache.js';
import { contentHash, externalCallees, type SummarizeOptions } from './summarize.js';

export const TuLinksSchema = z
  .object({
    schema: z.literal('kcompart.tu-links'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** As the summary's `wrappers` with the same input. */
    wrappers: z.array(z.object({ key: z.string(), wraps: z.string(), allocator: AllocatorSchema }).strict()),
    /** As the summary's `caches` with the same input. */
    caches: z.array(CacheSchema),
    /**
     * Its caches with the object types its own allocations from them give (`typedCaches`): with the
     * default input, what the cache catalogue takes from this TU (summary/catalogue.ts).
     */
    catalogue: z.array(CacheSchema),
    /** As the summary's `externals`. */
    externals: z.array(z.string()),
    /** The names of the globals it declares but does not define (the summary's globals with `defined: false`). */
    declaredGlobals: z.array(z.string()),
  })
  .strict();

export type TuLinks = z.infer<typeof TuLinksSchema>;

/** The link facts of a parsed module under an input (allocator table, other TUs' caches). */
export function linksOfModule(module: Module, input: { file: string; sha256: string }, options: SummarizeOptions = {}): TuLinks {
  // the module name summarizeModule gives it, so static wrappers get the same keys
  const pm: ProgramModule = { module, name: module.sourceFilename ?? input.file, role: 'context' };
  // the site finder alone: its sites are typed (cheap beside the parse) for the catalogue's object types
  const { sites, caches, wrappers } = findAllocationSites(new Program([pm]), options.allocators ?? allocatorTable(), options.caches);
  return {
    schema: 'kcompart.tu-links',
    sha256: input.sha256,
    wrappers: [...wrappers].map(([key, w]) => ({ key, wraps: w.wraps, allocator: w.allocator })),
    caches,
    catalogue: typedCaches(caches, sites),
    externals: externalCallees(module),
    declaredGlobals: module.globals.filter((g) => g.isDeclaration).map((g) => g.name),
  };
}

/** The cache file of a TU's link facts (beside its summary's). */
export function linksCachePath(dir: string, sha256: string, input: string): string {
  return cachePath(dir, sha256, input).replace(/\.json$/, '.links.json');
}

/** A TU's link facts through the cache (same directory and key as its summary). @throws ParseError for IR that does not read. */
export async function cachedLinks(
  file: string,
  options: SummarizeOptions & { cacheDir?: string | false } = {},
): Promise<{ links: TuLinks; cached: boolean }> {
  const bytes = await readFile(file);
  const sha256 = contentHash(bytes);
  const dir = options.cacheDir === undefined ? DEFAULT_SUMMARY_CACHE : options.cacheDir;
  const path = dir === false ? undefined : linksCachePath(dir, sha256, allocatorsHash(options.allocators, options.caches));
  if (path) {
    const hit = readJsonCached(path, TuLinksSchema);
    if (hit) return { links: hit, cached: true };
  }
  // the schema's key order, as a cached one has (see cachedSummary)
  const links = TuLinksSchema.parse(linksOfModule(parseModuleBytes(bytes, file), { file, sha256 }, options));
  if (path) writeCached(path, links);
  return { links, cached: false };
}
