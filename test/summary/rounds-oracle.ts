// The oracle of test/summary/program.test.ts: summarizeProgram as it was
// before the rounds ran on link facts (commit 98f8a71) — every round
// summarizes its TUs in full. Kept verbatim (bar names) so the new way is
// checked against what the old way computes, not against a copy of itself.
import { type Allocator, type AllocatorTable, allocatorTable } from '../../src/analysis/index.js';
import type { Cache } from '../../src/policy/schema.js';
import { type SummarizeFilesOptions, type SummarizeFilesResult, summarizeFiles } from '../../src/summary/pool.js';
import type { TuSummary } from '../../src/summary/schema.js';

export interface RoundsResult extends SummarizeFilesResult {
  redone: number[];
}

const isStatic = (key: string): boolean => key.includes('::');
const holderGlobal = (holder: string): string => holder.replace(/^@/, '').replace(/\+\d+$/, '');

export async function summarizeProgramByFullRounds(
  files: readonly string[],
  options: Omit<SummarizeFilesOptions, 'perFile' | 'keep'> = {},
): Promise<RoundsResult> {
  const first = await summarizeFiles(files, { ...options, keep: true, onError: options.onError ?? 'throw' });
  const byIndex = new Map<number, TuSummary>();
  const index = new Map(files.map((f, i) => [f, i]));
  for (const s of first.summaries) byIndex.set(index.get(s.file)!, s);
  const result: RoundsResult = { ...first, redone: [] };
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
