// Owns summarizing a whole set of TUs (a kernel, or a context) so that what
// crosses TUs at allocation sites is seen as a whole-program analysis would
// see it. A TU alone cannot know that a function it calls is another TU's
// allocator wrapper (`sk_alloc`, `metadata_dst_alloc`) nor which
// `kmem_cache_create` named the cache it allocates from (`skbuff_head_cache`).
// Round 1 summarizes every TU alone; then each TU that calls an exported
// wrapper of another TU, or loads a cache holder another TU fills, is
// summarized again with exactly those wrappers and caches as input (part of
// its cache key), until no new wrapper appears. Only those TUs are redone.
import { type Allocator, type AllocatorTable, allocatorTable } from '../analysis/index.js';
import type { Cache } from '../policy/schema.js';
import { type SummarizeFilesOptions, type SummarizeFilesResult, summarizeFiles } from './pool.js';
import type { TuSummary } from './schema.js';

export interface SummarizeProgramResult extends SummarizeFilesResult {
  /** TUs summarized again with other TUs' wrappers or caches, per round after the first. */
  redone: number[];
}

const isStatic = (key: string): boolean => key.includes('::');
const holderGlobal = (holder: string): string => holder.replace(/^@/, '').replace(/\+\d+$/, '');

/** Every TU's summary, with cross-TU allocator wrappers and caches resolved (see the file comment). */
export async function summarizeProgram(
  files: readonly string[],
  options: Omit<SummarizeFilesOptions, 'perFile' | 'keep'> = {},
): Promise<SummarizeProgramResult> {
  const first = await summarizeFiles(files, { ...options, keep: true, onError: options.onError ?? 'throw' });
  // summaries by input index (a TU that did not read has none)
  const byIndex = new Map<number, TuSummary>();
  const index = new Map(files.map((f, i) => [f, i]));
  for (const s of first.summaries) byIndex.set(index.get(s.file)!, s);
  const result: SummarizeProgramResult = { ...first, redone: [] };
  const base: AllocatorTable = options.allocators ?? allocatorTable();
  let knownWrappers = 0;
  for (let round = 0; round < 4; round++) {
    const wrappers = new Map<string, Allocator>();
    const caches = new Map<string, Cache>();
    for (const s of byIndex.values()) {
      for (const w of s.wrappers) if (!isStatic(w.key) && !base.has(w.key)) wrappers.set(w.key, { ...w.allocator, name: w.key });
      for (const c of s.caches) if (!isStatic(holderGlobal(c.holder))) caches.set(c.holder, c);
    }
    if (round > 0 && wrappers.size === knownWrappers) break;
    knownWrappers = wrappers.size;
    const cachesByGlobal = new Map<string, Cache[]>();
    for (const c of caches.values()) {
      const g = holderGlobal(c.holder);
      cachesByGlobal.set(g, [...(cachesByGlobal.get(g) ?? []), c]);
    }
    const redo: { i: number; allocators?: AllocatorTable; caches?: Cache[] }[] = [];
    for (const [i, s] of byIndex) {
      const own = new Set(s.wrappers.map((w) => w.key));
      const needW = s.externals.filter((n) => wrappers.has(n) && !own.has(n)).map((n) => wrappers.get(n)!);
      const needC = s.globals.filter((g) => !g.defined).flatMap((g) => cachesByGlobal.get(g.name) ?? []);
      if (!needW.length && !needC.length) continue;
      redo.push({
        i,
        ...(needW.length ? { allocators: allocatorTable([...base.values(), ...needW]) } : {}),
        ...(needC.length ? { caches: needC } : {}),
      });
    }
    if (!redo.length) break;
    const again = await summarizeFiles(
      redo.map((r) => files[r.i]!),
      {
        ...options,
        keep: true,
        perFile: (k) => {
          const r = redo[k]!;
          return { ...(r.allocators ? { allocators: r.allocators } : {}), ...(r.caches ? { caches: r.caches } : {}) };
        },
      },
    );
    result.hits += again.hits;
    result.misses += again.misses;
    for (const [k, s] of again.summaries.entries()) byIndex.set(redo[k]!.i, s);
    result.redone.push(redo.length);
  }
  result.summaries = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
  return result;
}
