// summarizeProgram runs its rounds on link facts and summarizes each TU once
// (src/summary/program.ts); the oracle is the old way, every round summarizing
// in full (rounds-oracle.ts). On corpus TUs that call other TUs' allocator
// wrappers (net/ipv6 calling net/core's sk_alloc, dst_alloc, __alloc_skb) and
// allocate from caches other TUs create, the two must give the same summaries.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocatorTable } from '../../src/analysis/index.js';
import { allocatorsHash, summarizeFiles, summarizeProgram, type TuSummary } from '../../src/summary/index.js';
import { summarizeProgramByFullRounds } from './rounds-oracle.js';

const corpus = join(import.meta.dirname, '../../../shared/corpus/linux-6.1/net');
const FILES = ['core/sock.ll', 'core/skbuff.ll', 'core/dst.ll', 'ipv6/af_inet6.ll', 'ipv6/route.ll', 'ipv6/ip6_output.ll'].map((f) =>
  join(corpus, f),
);

/** A summary without its timings (which differ run to run). */
const stable = (s: TuSummary): unknown => ({ ...s, stats: { ...s.stats, parseSeconds: 0, summarizeSeconds: 0 } });

describe('summarizeProgram on link facts', () => {
  it('gives the summaries of the old full rounds, each TU summarized once', async () => {
    const neu = await summarizeProgram(FILES, { cacheDir: false, threads: 2 });
    const old = await summarizeProgramByFullRounds(FILES, { cacheDir: false, threads: 2 });
    // the rounds did something: TUs were taken again with other TUs' wrappers and caches
    expect(old.redone.length).toBeGreaterThan(0);
    expect(neu.redone).toEqual(old.redone);
    expect(neu.summaries.map((s) => s.file)).toEqual(FILES);
    expect(neu.summaries.map(stable)).toEqual(old.summaries.map(stable));
    // once per TU (the old way summarized the redone TUs again)
    expect(neu.misses).toBe(FILES.length);
    expect(old.misses).toBeGreaterThan(FILES.length);
    // and cross-TU input changed summaries: the TUs alone differ from the program's
    const alone = await summarizeFiles(FILES, { cacheDir: false, threads: 2 });
    const changed = FILES.filter((_, k) => JSON.stringify(stable(alone.summaries[k]!)) !== JSON.stringify(stable(neu.summaries[k]!)));
    expect(changed.length).toBeGreaterThan(0);
    const route = neu.summaries.find((s) => s.module === 'net/ipv6/route.c')!;
    // route.c allocates through dst.c's dst_alloc: sites it has only with that wrapper known
    expect(route.sites.some((s) => s.allocator === 'dst_alloc')).toBe(true);
  }, 300_000);
});

describe('the cache key of a TU input', () => {
  it('does not depend on the order of keys in its allocator entries (computed, or read back through zod)', () => {
    const table = allocatorTable();
    const reordered = new Map([...table].map(([k, a]) => [k, Object.fromEntries(Object.entries(a).reverse()) as typeof a]));
    expect(JSON.stringify([...reordered.values()])).not.toBe(JSON.stringify([...table.values()]));
    expect(allocatorsHash(reordered)).toBe(allocatorsHash(table));
    const other = new Map([...table].slice(1));
    expect(allocatorsHash(other)).not.toBe(allocatorsHash(table));
    // a note is documentation: rewording one keeps the cached summaries
    const renoted = new Map([...table].map(([k, a]) => [k, { ...a, note: 'reworded' }]));
    expect(allocatorsHash(renoted)).toBe(allocatorsHash(table));
  });
});
