// Per-TU summaries (issue 12 item 4) on real corpus TUs: the facts a summary
// states are checked against the IR text and against LLVM's own reading (the
// irstats oracle), the cache hits and misses by content hash, the worker pool
// gives the same summaries as this thread, and bad IR is a ParseError that
// names file, line and column, through the pool too.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ParseError } from '../../src/ir/errors.js';
import {
  allocatorsHash,
  buildCallGraph,
  cachedSummary,
  contentHash,
  summarizeFile,
  SUMMARY_VERSION,
  summarizeFiles,
  type TuSummary,
  TuSummarySchema,
} from '../../src/summary/index.js';

const root = join(import.meta.dirname, '../..');
const corpus = join(root, '../shared/corpus/linux-6.1/net');
const irstats = join(root, '.cache/irstats-19');
const SKBUFF = join(corpus, 'core/skbuff.ll');
const SMALL = ['ipv6/fib6_notifier.ll', 'ipv6/protocol.ll', 'core/netevent.ll'].map((f) => join(corpus, f));

/** A summary without its timings (which differ run to run) and its path (which the cache rewrites). */
const stable = (s: TuSummary): unknown => ({ ...s, file: '', stats: { ...s.stats, parseSeconds: 0, summarizeSeconds: 0 } });

describe('the summary of net/core/skbuff.ll', () => {
  let s: TuSummary;
  let text: string;
  beforeAll(async () => {
    s = await summarizeFile(SKBUFF);
    text = readFileSync(SKBUFF, 'utf8');
  });

  it('is valid against its schema and names its content hash', () => {
    expect(TuSummarySchema.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
    expect(s.sha256).toBe(contentHash(readFileSync(SKBUFF)));
    expect(s.module).toBe('net/core/skbuff.c');
  });

  it('has the functions, globals and direct calls LLVM reads (irstats oracle)', () => {
    expect(existsSync(irstats), `${irstats} missing: run scripts/setup.sh`).toBe(true);
    const want = JSON.parse(execFileSync(irstats, [SKBUFF], { encoding: 'utf8', maxBuffer: 1 << 28 })) as {
      functions: { name: string; calls: { callee: string }[] }[];
      totals: { defined: number; declared: number; globals: number };
    };
    expect(s.functions.filter((f) => f.defined).length).toBe(want.totals.defined);
    expect(s.functions.filter((f) => !f.defined).length).toBe(want.totals.declared);
    expect(s.globals.length).toBe(want.totals.globals);
    // direct calls, per caller, as callee names: LLVM's set equals the summary's
    const name = (key: string): string => key.split('::').pop()!;
    const ours = new Map<string, Set<string>>();
    for (const [from, to] of s.calls) {
      const k = name(from);
      if (!ours.has(k)) ours.set(k, new Set());
      ours.get(k)!.add(name(to));
    }
    let compared = 0;
    for (const f of want.functions) {
      expect([...(ours.get(f.name) ?? [])].sort(), f.name).toEqual([...new Set(f.calls.map((c) => c.callee))].sort());
      compared += f.calls.length;
    }
    expect(compared).toBeGreaterThan(300);
  });

  it('finds the three dedicated caches with the name string, object size and holder the IR states', () => {
    const byName = new Map(s.caches.map((c) => [c.name, c]));
    expect([...byName.keys()].sort()).toEqual(['skbuff_ext_cache', 'skbuff_fclone_cache', 'skbuff_head_cache']);
    expect(byName.get('skbuff_head_cache')).toMatchObject({ holder: '@skbuff_head_cache', objectSize: 232 });
    expect(byName.get('skbuff_fclone_cache')).toMatchObject({ holder: '@net/core/skbuff.c::skbuff_fclone_cache' });
    for (const c of s.caches) {
      // the name is a string constant of the TU, and the holder a global the TU stores to
      expect(text).toContain(`c"${c.name}\\00"`);
      const g = c.holder.slice(1).split('::').pop()!.split('+')[0]!;
      expect(text).toMatch(new RegExp(`store ptr %\\S+, ptr @${g}\\b`));
    }
  });

  it('types allocation sites, each a call of its allocator in its caller', () => {
    expect(s.sites.length).toBeGreaterThan(10);
    const head = s.sites.filter((x) => x.cache === 'skbuff_head_cache');
    expect(head.length).toBeGreaterThan(0);
    expect(head.every((x) => x.type.name === 'struct sk_buff')).toBe(true);
    for (const site of s.sites) {
      const start = text.search(new RegExp(`^define [^\n]*@${site.caller}\\(`, 'm'));
      expect(start, site.caller).toBeGreaterThan(0);
      const body = text.slice(start, text.indexOf('\n}\n', start));
      expect(body, site.id).toContain(`@${site.allocator}(`);
    }
  });

  it('records function-pointer stores, initializer pointers and debug signatures', () => {
    // every function a setter names is a function of the TU whose address is taken
    const fns = new Map(s.functions.map((f) => [f.key, f]));
    expect(s.setters.length).toBeGreaterThan(0);
    for (const [, keys] of s.setters) for (const k of keys) expect(fns.get(k)?.addressTaken, k).toBe(true);
    // `skb_ext_type_len`'s neighbours: drop_reasons[] points at string constants, one per 8 bytes
    const dr = s.globals.find((g) => g.name === 'drop_reasons')!;
    expect(dr.type).toBe('char *[67]');
    expect(dr.pointers.slice(0, 2)).toEqual([
      { offset: 8, target: 'net/core/skbuff.c::.str' },
      { offset: 16, target: 'net/core/skbuff.c::.str.1' },
    ]);
    const kfree = fns.get('kfree_skb_reason')!;
    expect(kfree).toMatchObject({ defined: true, linkage: 'external', file: 'net/core/skbuff.c' });
    expect(kfree.debugSignature).toEqual(['void', 'struct sk_buff *', 'enum skb_drop_reason']);
    expect(kfree.prototype).toBe('void (struct sk_buff *, enum skb_drop_reason)');
    // build_skb returns the object its own allocation site makes (a wrapper's result, for callers in other TUs)
    expect(fns.get('build_skb')!.returns).toEqual(['site:net/core/skbuff.c:build_skb:1@0']);
  });
});

describe('private areas (net/ipv6/sit.ll)', () => {
  it("netdev_priv's area past struct net_device is the tunnel: its fields are struct ip_tunnel's cells", async () => {
    const s = await summarizeFile(join(corpus, 'ipv6/sit.ll'));
    // `struct ip_tunnel *tunnel = netdev_priv(dev)`: dev + ALIGN(sizeof(struct net_device), 32)
    expect(s.privateAreas).toContainEqual(['struct net_device', 2304, 'struct ip_tunnel']);
    // a variable naming a member of the tunnel (`&tunnel->parms`) is no area of its own
    expect(s.privateAreas.filter(([r]) => r === 'struct net_device')).toHaveLength(1);
    const tunnelCells = (cells: string[]) => cells.filter((c) => c.startsWith('T:struct ip_tunnel@'));
    expect(tunnelCells(s.fieldStores.map(([c]) => c)).length).toBeGreaterThan(0);
    expect(tunnelCells(s.fieldLoads).length).toBeGreaterThan(0);
  });
});

describe('cache, pool and errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kcompart-summary-'));
  const cacheDir = join(dir, 'cache');

  it('caches by content hash: a miss, a hit, and a miss again once the bytes change', async () => {
    const f = join(dir, 'fib6_notifier.ll');
    copyFileSync(SMALL[0]!, f);
    const a = await cachedSummary(f, { cacheDir });
    expect(a.cached).toBe(false);
    const b = await cachedSummary(f, { cacheDir });
    expect(b.cached).toBe(true);
    // byte for byte, keys in the same order: a policy does not depend on what the cache held
    expect(JSON.stringify(stable(b.summary))).toBe(JSON.stringify(stable(a.summary)));
    writeFileSync(f, `${readFileSync(f, 'utf8')}\n; one more comment line\n`);
    const c = await cachedSummary(f, { cacheDir });
    expect(c.cached).toBe(false);
    expect(c.summary.sha256).not.toBe(a.summary.sha256);
    // the default allocator table is part of the key: adding an allocator to it recomputes the summaries
    const key = allocatorsHash(undefined);
    expect(key).toMatch(/^default-[0-9a-f]{12}$/);
    expect(readdirSync(join(cacheDir, a.summary.sha256.slice(0, 2)))).toContain(`${a.summary.sha256}.v${SUMMARY_VERSION}.${key}.json`);
  });

  it('the worker pool gives the summaries this thread gives, in input order', async () => {
    const pooled = await summarizeFiles(SMALL, { threads: 2, cacheDir: false });
    const here = await summarizeFiles(SMALL, { threads: 0, cacheDir: false });
    expect(pooled.misses).toBe(SMALL.length);
    expect(pooled.summaries.map((s) => s.file)).toEqual(SMALL);
    expect(pooled.summaries.map(stable)).toEqual(here.summaries.map(stable));
    // and they make a call graph with the TUs' functions and calls
    const { graph, stats } = buildCallGraph(pooled.summaries);
    expect(stats.directEdges).toBe(new Set(pooled.summaries.flatMap((s) => s.calls.map((c) => c.join('>')))).size);
    expect(graph.hasEdge('call_netevent_notifiers', 'atomic_notifier_call_chain')).toBe(true);
  });

  it('bad IR is a ParseError naming file, line and column, in this thread and through the pool', async () => {
    const bad = join(dir, 'bad.ll');
    writeFileSync(bad, 'define i32 @f() {\n  ret i32 %\n}\n');
    const e1 = await summarizeFile(bad).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ParseError);
    expect(e1).toMatchObject({ file: bad, line: 2 });
    const e2 = await summarizeFiles([SMALL[1]!, bad], { threads: 2, cacheDir: false }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(ParseError);
    expect(e2).toMatchObject({ file: bad, line: (e1 as ParseError).line, column: (e1 as ParseError).column });
    const collected = await summarizeFiles([SMALL[1]!, bad], { threads: 2, cacheDir: false, onError: 'collect' });
    expect(collected.summaries.length).toBe(1);
    expect(collected.errors.map((e) => e.file)).toEqual([bad]);
  });
});

describe('summarized context in an analysis', () => {
  it('net/ipv6/route.c with dst.c, neighbour.c and skbuff.c as summaries: the sites, caches and nearly every legal set of the module context', async () => {
    const { analyze } = await import('../../src/analysis/index.js');
    const { analyzeWithSummaries, summarizeProgram } = await import('../../src/summary/index.js');
    const comp = [join(corpus, 'ipv6/route.ll')];
    const ctx = ['core/dst.ll', 'core/neighbour.ll', 'core/skbuff.ll'].map((f) => join(corpus, f));
    const full = await analyze(comp, ctx, { sourcePrefixes: ['net/ipv6/'] });
    const { summaries } = await summarizeProgram(ctx, { cacheDir: false, threads: 2 });
    const sum = await analyzeWithSummaries(comp, summaries, { sourcePrefixes: ['net/ipv6/'] });
    // the same allocation sites (ids, types, caches) and caches, context sites included
    const sites = (p: typeof full.policy) => p.allocationSites.map((s) => `${s.id} ${s.type.name} ${s.cache ?? ''}`).sort();
    expect(sites(sum.policy)).toEqual(sites(full.policy));
    expect(sum.policy.caches.map((c) => c.holder).sort()).toEqual(full.policy.caches.map((c) => c.holder).sort());
    // legal sets: 775 of 890 identical (889 before the cell-key views); the rest differ where a value
    // crosses TUs inside the context or a summary's escape closure lets one more buffer escape
    // (`__napi_alloc_skb`'s fragment page): the summary's set holds the full solve's, or both are
    // typed fallbacks whose record a lost pointer's own solve chose (5)
    const byId = new Map(sum.policy.accesses.map((a) => [a.id, a.legal]));
    expect(sum.policy.accesses.length).toBe(full.policy.accesses.length);
    let same = 0;
    let typedBoth = 0;
    const within = (x: readonly string[], y: readonly string[]) => x.every((e) => y.includes(e));
    for (const a of full.policy.accesses) {
      const f = a.legal;
      const s = byId.get(a.id)!;
      const holds =
        s.any ||
        (within(f.globals, s.globals) &&
          within(f.slabSites, s.slabSites) &&
          within(f.slabCaches, s.slabCaches) &&
          within(f.buddySites, s.buddySites) &&
          (!f.stack || s.stack));
      if (JSON.stringify(s) === JSON.stringify(f)) same++;
      else if (!holds) {
        expect(f.foreign && s.foreign && !f.any && !s.any, a.id).toBe(true);
        typedBoth++;
      }
    }
    expect(same / full.policy.accesses.length).toBeGreaterThan(0.85);
    expect(typedBoth).toBeLessThan(10);
  });
});
