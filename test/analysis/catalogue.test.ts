// Tests the dedicated-cache catalogue (issue 10) on the corpus: the caches that TUs outside the
// analyzed program create, typed by their own TUs' allocations. The oracle for the types is the
// kernel's BTF: a cache created for T has objects of sizeof(T), or of a record that starts with a T
// (skbuff_fclone_cache's sk_buff_fclones are allocated as their first sk_buff). Then a set of "any
// object of type T" names the catalogue's caches of T, and the seed marks them typed so that the run
// time never admits them by object size (cred_jar at 176 bytes, like an rtable).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, readCacheCatalogue } from '../../src/analysis/index.js';
import { readBtfFile } from '../../src/btf/index.js';
import { seedHeader } from '../../src/emit/seed.js';
import type { Cache } from '../../src/policy/index.js';

const CORPUS = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus', 'linux-6.1');
const CORE = ['skbuff', 'net_namespace', 'dst', 'sock'].map((f) => join(CORPUS, 'net', 'core', `${f}.ll`));
const BTF = join(CORPUS, 'kernel', 'vmlinux.btf');

describe('the cache catalogue of net/core TUs', () => {
  let catalogue: Cache[] = [];

  it('finds each kmem_cache_create with its holder and size, typed where its TU allocates from it (BTF sizes as oracle)', async () => {
    catalogue = await readCacheCatalogue(CORE);
    const byName = new Map(catalogue.map((c) => [c.name, c]));
    expect([...byName.keys()]).toEqual(expect.arrayContaining(['skbuff_head_cache', 'skbuff_fclone_cache', 'net_namespace']));
    for (const c of catalogue) expect(c.catalogued, c.name).toBe(true);
    expect(byName.get('skbuff_head_cache')!.objectTypes).toEqual(['struct sk_buff']);
    expect(byName.get('net_namespace')!.objectTypes).toEqual(['struct net']);
    const btf = readBtfFile(BTF);
    const size = (type: string) => btf.sizeOf(btf.structs.get(type.replace(/^struct /, ''))!);
    /** Records whose first member is `type` (by BTF), with their sizes. */
    const startingWith = (type: string): number[] => {
      const id = btf.structs.get(type.replace(/^struct /, ''));
      return [...btf.records()]
        .filter((r) => r.members?.[0]?.bitOffset === 0 && btf.resolve(r.members[0].type)?.id === id)
        .map((r) => btf.sizeOf(r.id));
    };
    /** T ends in a flexible array (skb_ext's `char data[]`): its objects may be larger than sizeof(T). */
    const flexible = (type: string): boolean => {
      const r = btf.get(btf.structs.get(type.replace(/^struct /, ''))!);
      const last = r?.members?.[r.members.length - 1];
      const t = last ? btf.resolve(last.type) : undefined;
      return t?.kind === 'ARRAY' && t.array?.count === 0;
    };
    const typed = catalogue.filter((c) => c.objectTypes?.length && c.objectSize !== undefined);
    expect(typed.length).toBeGreaterThanOrEqual(3);
    for (const c of typed) {
      const ok = c.objectTypes!.some(
        (t) => size(t) === c.objectSize || (flexible(t) && size(t) < c.objectSize!) || startingWith(t).includes(c.objectSize!),
      );
      expect(ok, `${c.name}: ${c.objectSize} bytes, typed ${c.objectTypes!.join(', ')}`).toBe(true);
    }
  }, 120_000);

  it('lets "any object of type T" name the caches created for T, and the seed marks typed caches', async () => {
    if (!catalogue.length) catalogue = await readCacheCatalogue(CORE);
    // net/ipv6's exthdrs.c without net/core as context: its sk_buff writes are typed fallbacks
    const { policy } = await analyze([join(CORPUS, 'net', 'ipv6', 'exthdrs.ll')], [], { cacheCatalogue: catalogue, btf: BTF });
    const skb = policy.accesses.filter((a) => a.legal.foreignTypes?.some((t) => t.name === 'struct sk_buff'));
    expect(skb.length).toBeGreaterThan(0);
    for (const a of skb) expect(a.legal.slabCaches, a.id).toEqual(expect.arrayContaining(['skbuff_head_cache', 'skbuff_fclone_cache']));
    // a set of another type names no sk_buff cache
    const other = policy.accesses.filter(
      (a) => !a.legal.any && a.legal.foreignTypes?.length && !a.legal.foreignTypes.some((t) => /sk_buff/.test(t.name)),
    );
    for (const a of other) expect(a.legal.slabCaches, a.id).not.toContain('skbuff_head_cache');
    expect(policy.caches.filter((c) => c.catalogued).map((c) => c.name)).toEqual(expect.arrayContaining(['net_namespace']));
    const seed = seedHeader(policy, [], [], []);
    expect(seed).toMatch(/\.typed = 1, \.catalogued = 1 \}/);
  }, 180_000);
});
