// The analysis on the real corpus: compartment net/ipv6 (51 TUs), context
// net/core (45 TUs). The policy validates, the known caches and sites are
// found with the types the kernel source gives them, and the precision figures
// stay where they were measured (a regression guard, not a goal).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze, type AnalysisSummary } from '../../src/analysis/index.js';
import { type Policy, validatePolicy } from '../../src/index.js';

const corpus = join(import.meta.dirname, '../../../shared/corpus/linux-6.1/net');
const ls = (d: string) =>
  readdirSync(join(corpus, d))
    .filter((f) => f.endsWith('.ll'))
    .sort()
    .map((f) => join(corpus, d, f));

let policy: Policy;
let summary: AnalysisSummary;
beforeAll(async () => {
  ({ policy, summary } = await analyze(ls('ipv6'), ls('core'), { sourcePrefixes: ['net/ipv6/'] }));
}, 240_000);

const site = (file: string, line: number, allocator?: string) => {
  const s = policy.allocationSites.filter(
    (x) => x.location.some((f) => f.file.endsWith(file) && f.line === line) && (!allocator || x.allocator === allocator),
  );
  expect(s.length, `${file}:${line}`).toBeGreaterThan(0);
  return s[0]!;
};

describe('analysis of net/ipv6 with net/core as context', () => {
  it('writes a policy that validates against the schema', () => {
    expect(() => validatePolicy(policy)).not.toThrow();
    expect(policy.compartment.functions.length).toBeGreaterThan(900);
    expect(policy.accesses.length).toBeGreaterThan(6000);
  });
  it('names the dedicated caches through globals and global fields', () => {
    const caches = new Map(policy.caches.map((c) => [c.name, c.holder]));
    expect(caches.get('fib6_nodes')).toBe('@net/ipv6/ip6_fib.c::fib6_node_kmem');
    expect(caches.get('ip6_dst_cache')).toBe('@net/ipv6/route.c::ip6_dst_ops_template+120');
    expect(caches.get('skbuff_head_cache')).toBe('@skbuff_head_cache');
    // skbuff.c:505  skb = kmem_cache_alloc_node(cache, …), cache = fclone ? skbuff_fclone_cache : skbuff_head_cache
    expect(site('net/core/skbuff.c', 505).caches).toEqual(['skbuff_fclone_cache', 'skbuff_head_cache']);
  });
  it('types real sites as the 6.1 source does', () => {
    // ip6_fib.c:187  fn = kmem_cache_zalloc(fib6_node_kmem, GFP_ATOMIC);   struct fib6_node *fn
    expect(site('net/ipv6/ip6_fib.c', 187)).toMatchObject({ cache: 'fib6_nodes', type: { name: 'struct fib6_node' } });
    // route.c:1750  rt6_ex = kzalloc(sizeof(*rt6_ex), GFP_ATOMIC);          struct rt6_exception *rt6_ex
    expect(site('net/ipv6/route.c', 1750).type.name).toBe('struct rt6_exception');
    // route.c:1714  bucket = kcalloc(FIB6_EXCEPTION_BUCKET_SIZE, sizeof(*bucket), GFP_ATOMIC)
    expect(site('net/ipv6/route.c', 1714).type.name).toBe('struct rt6_exception_bucket');
    // addrconf.c:379 ndev = kzalloc(sizeof(struct inet6_dev), GFP_KERNEL);  struct inet6_dev *ndev
    expect(site('net/ipv6/addrconf.c', 379).type.name).toBe('struct inet6_dev');
    // skbuff.c:446/454 (kmalloc_reserve): skb data, a typeless buffer
    expect(site('net/core/skbuff.c', 454).type.kind).toBe('buffer');
  });
  it('keeps the precision measured when this test was written', () => {
    expect(summary.anyShare).toBeLessThan(0.15);
    // typeless buffers stay legal wherever a typed fallback applies: ~32 sites in most sets
    expect(summary.legalSetSize.median).toBeLessThanOrEqual(40);
    expect(summary.sites.total).toBeGreaterThanOrEqual(240);
  });
  it('says why every widened access was widened', () => {
    for (const a of policy.accesses) if (a.legal.any) expect(a.legal.reasons.length, a.id).toBeGreaterThan(0);
  });
});
