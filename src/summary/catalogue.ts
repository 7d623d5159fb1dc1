// Owns the dedicated-cache catalogue read through the summary layer: the same
// Cache records as analysis/catalogue.ts's readCacheCatalogue (each TU alone,
// its caches typed by its own sites, the first creation of a name kept), but
// taken from each TU's link facts (links.ts), which are cached by content hash
// and computed on the worker pool. A whole-kernel catalogue then costs nothing
// once summarizeProgram (or an earlier catalogue) has seen those TUs.
import { readFile } from 'node:fs/promises';
import type { AllocatorTable } from '../analysis/index.js';
import type { Cache } from '../policy/schema.js';
import { linksOfFiles } from './pool.js';

/** What every cache creator's name holds (`kmem_cache_create`, `__kmem_cache_create`, `…_usercopy`). */
const CREATE = 'kmem_cache_create';

export interface CacheCatalogueOptions {
  allocators?: AllocatorTable;
  /** Summary cache directory (default `.cache/summaries`); `false` disables the cache. */
  cacheDir?: string | false;
  /** Worker threads (default: the cores); 0 reads in this thread. */
  threads?: number;
  /** Called as each TU that creates caches is done (`done` of `total` such TUs). */
  onFile?: (file: string, done: number, total: number) => void;
}

/**
 * The caches that the TUs `files` (`.ll`) create, each marked `catalogued`, with its object types
 * where its TU allocates from it (readCacheCatalogue's records), from the TUs' cached link facts.
 * @throws ParseError (file, line, column) for a malformed `.ll`
 */
export async function cacheCatalogue(files: readonly string[], options: CacheCatalogueOptions = {}): Promise<Cache[]> {
  // a TU that never calls kmem_cache_create* creates no cache: its facts are not needed
  const creators: string[] = [];
  for (const f of files) if (f.endsWith('.gz') || (await readFile(f)).includes(CREATE)) creators.push(f);
  let done = 0;
  const r = await linksOfFiles(creators, {
    ...(options.allocators ? { allocators: options.allocators } : {}),
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    onLinks: (_, __, file) => options.onFile?.(file, ++done, creators.length),
  });
  const byName = new Map<string, Cache>();
  for (const l of r.links) for (const c of l?.catalogue ?? []) if (!byName.has(c.name)) byName.set(c.name, { ...c, catalogued: true });
  return [...byName.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}
