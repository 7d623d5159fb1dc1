// Owns summarizing a whole set of TUs (a kernel, or a context) so that what
// crosses TUs at allocation sites is seen as a whole-program analysis would
// see it. A TU alone cannot know that a function it calls is another TU's
// allocator wrapper (`sk_alloc`, `metadata_dst_alloc`) nor which
// `kmem_cache_create` named the cache it allocates from (`skbuff_head_cache`).
// Round 1 takes every TU alone; then each TU that calls an exported wrapper of
// another TU, or loads a cache holder another TU fills, is taken again with
// exactly those wrappers and caches as input (part of its cache key), until no
// new wrapper appears (at most 4 rounds). The rounds run on each TU's link
// facts (links.ts: the site finder alone, no points-to); the full summary —
// the costly part — is computed once per TU at the end, with the input its
// last round gave it. The summaries are those the rounds would give if each
// round summarized in full (test/summary/program.test.ts checks that).
import { type Allocator, type AllocatorTable, allocatorTable } from '../analysis/index.js';
import type { Cache } from '../policy/schema.js';
import type { TuLinks } from './links.js';
import { linksOfFiles, type SummarizeFilesOptions, type SummarizeFilesResult, summarizeFiles } from './pool.js';

export interface SummarizeProgramResult extends SummarizeFilesResult {
  /** TUs taken again with other TUs' wrappers or caches, per round after the first. */
  redone: number[];
  /** Link-fact passes (one per TU and input): from the cache, and computed. */
  links: { hits: number; misses: number };
}

const isStatic = (key: string): boolean => key.includes('::');
const holderGlobal = (holder: string): string => holder.replace(/^@/, '').replace(/\+\d+$/, '');

/** A TU's input besides its bytes: its allocator table and the caches of other TUs it loads. */
interface Input {
  allocators?: AllocatorTable;
  caches?: Cache[];
}

/** Every TU's summary, with cross-TU allocator wrappers and caches resolved (see the file comment). */
export async function summarizeProgram(
  files: readonly string[],
  options: Omit<SummarizeFilesOptions, 'perFile' | 'keep'> = {},
): Promise<SummarizeProgramResult> {
  const { onSummary: _, ...linkOptions } = options;
  const first = await linksOfFiles(files, { ...linkOptions, onError: options.onError ?? 'throw' });
  // link facts by input index (a TU that did not read has none; a file given twice counts once, at its last index)
  const byIndex = new Map<number, TuLinks>();
  const index = new Map(files.map((f, i) => [f, i]));
  for (const [i, l] of first.links.entries()) if (l) byIndex.set(index.get(files[i]!)!, l);
  const linkCounts = { hits: first.hits, misses: first.misses };
  const redone: number[] = [];
  const inputs = new Map<number, Input>();
  const base: AllocatorTable = options.allocators ?? allocatorTable();
  let knownWrappers = 0;
  for (let round = 0; round < 4; round++) {
    const wrappers = new Map<string, Allocator>();
    const caches = new Map<string, Cache>();
    for (const l of byIndex.values()) {
      for (const w of l.wrappers) if (!isStatic(w.key) && !base.has(w.key)) wrappers.set(w.key, { ...w.allocator, name: w.key });
      for (const c of l.caches) if (!isStatic(holderGlobal(c.holder))) caches.set(c.holder, c);
    }
    if (round > 0 && wrappers.size === knownWrappers) break;
    knownWrappers = wrappers.size;
    const cachesByGlobal = new Map<string, Cache[]>();
    for (const c of caches.values()) {
      const g = holderGlobal(c.holder);
      cachesByGlobal.set(g, [...(cachesByGlobal.get(g) ?? []), c]);
    }
    const redo: ({ i: number } & Input)[] = [];
    for (const [i, l] of byIndex) {
      const own = new Set(l.wrappers.map((w) => w.key));
      const needW = l.externals.filter((n) => wrappers.has(n) && !own.has(n)).map((n) => wrappers.get(n)!);
      const needC = l.declaredGlobals.flatMap((g) => cachesByGlobal.get(g) ?? []);
      if (!needW.length && !needC.length) continue;
      redo.push({
        i,
        ...(needW.length ? { allocators: allocatorTable([...base.values(), ...needW]) } : {}),
        ...(needC.length ? { caches: needC } : {}),
      });
    }
    if (!redo.length) break;
    const again = await linksOfFiles(
      redo.map((r) => files[r.i]!),
      {
        ...linkOptions,
        perFile: (k) => {
          const r = redo[k]!;
          return { ...(r.allocators ? { allocators: r.allocators } : {}), ...(r.caches ? { caches: r.caches } : {}) };
        },
      },
    );
    linkCounts.hits += again.hits;
    linkCounts.misses += again.misses;
    for (const [k, l] of again.links.entries()) {
      if (!l) continue;
      const { i, ...input } = redo[k]!;
      byIndex.set(i, l);
      inputs.set(i, input);
    }
    redone.push(redo.length);
  }
  // the full summaries, once per TU, with the input of the last round that took it
  const order = [...byIndex.keys()].sort((a, b) => a - b);
  const final = await summarizeFiles(
    order.map((i) => files[i]!),
    {
      ...options,
      keep: true,
      perFile: (k) => {
        const input = inputs.get(order[k]!);
        return (
          input && { ...(input.allocators ? { allocators: input.allocators } : {}), ...(input.caches ? { caches: input.caches } : {}) }
        );
      },
    },
  );
  return { ...final, errors: [...first.errors, ...final.errors], redone, links: linkCounts };
}
