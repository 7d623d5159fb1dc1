// Real allocation sites of the corpus, each checked by hand against the Linux
// 6.1 source (Debian linux-source-6.1): the file:line:column of the call as
// written in C, and the type a kernel developer reads there — the declared
// type of the variable or field the result goes to, or a typeless buffer for
// `char *` / `void *` / `unsigned long *` memory. The analysis must agree.
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze, writtenCallFrame } from '../../src/analysis/index.js';
import type { AllocationSite } from '../../src/index.js';
import { corpusModules } from '../../scripts/lib/paths.js';

const ls = (d: string) => corpusModules(`linux-6.1/net/${d}`);
let sites: AllocationSite[];
beforeAll(async () => {
  sites = (await analyze(ls('ipv6'), ls('core'), { sourcePrefixes: ['net/ipv6/'] })).policy.allocationSites;
}, 240_000);

type Row = [where: string, kind: AllocationSite['kind'], type: string, cache?: string];
// 'buffer' stands for a typeless buffer (a synthetic `buf@function:line:col` type)
const TABLE: Row[] = [
  // dedicated caches
  ['net/ipv6/ip6_fib.c:187:7', 'slab', 'struct fib6_node', 'fib6_nodes'], //      fn = kmem_cache_zalloc(fib6_node_kmem, GFP_ATOMIC);
  ['net/core/skbuff.c:322:8', 'slab', 'struct sk_buff', 'skbuff_head_cache'], // skb = kmem_cache_alloc(skbuff_head_cache, GFP_ATOMIC);
  ['net/core/skbuff.c:1663:7', 'slab', 'struct sk_buff', 'skbuff_head_cache'], // n = kmem_cache_alloc(skbuff_head_cache, gfp_mask);
  ['net/core/net_namespace.c:423:8', 'slab', 'struct net', 'net_namespace'], // net = kmem_cache_zalloc(net_cachep, GFP_KERNEL);
  // general kmalloc caches
  ['net/ipv6/route.c:1750:11', 'slab', 'struct rt6_exception'], //               rt6_ex = kzalloc(sizeof(*rt6_ex), GFP_ATOMIC);
  ['net/ipv6/route.c:1714:12', 'slab', 'struct rt6_exception_bucket'], //        bucket = kcalloc(FIB6_EXCEPTION_BUCKET_SIZE, sizeof(*bucket), …
  ['net/ipv6/addrconf.c:379:9', 'slab', 'struct inet6_dev'], //                  ndev = kzalloc(sizeof(*ndev), GFP_KERNEL_ACCOUNT);
  ['net/ipv6/addrconf.c:1115:8', 'slab', 'struct inet6_ifaddr'], //              ifa = kzalloc(sizeof(*ifa), gfp_flags | __GFP_ACCOUNT);
  ['net/ipv6/addrconf.c:350:26', 'slab', 'struct icmpv6_mib_device'], //         idev->stats.icmpv6dev = kzalloc(sizeof(struct icmpv6_mib_device), …
  ['net/ipv6/addrconf.c:354:29', 'slab', 'struct icmpv6msg_mib_device'], //      idev->stats.icmpv6msgdev = kzalloc(sizeof(struct icmpv6msg_mib_device), …
  ['net/ipv6/af_inet6.c:938:34', 'slab', 'struct icmpv6msg_mib'], //             net->mib.icmpv6msg_statistics = kzalloc(sizeof(struct icmpv6msg_mib), …
  ['net/ipv6/addrlabel.c:189:9', 'slab', 'struct ip6addrlbl_entry'], //          newp = kmalloc(sizeof(*newp), GFP_KERNEL);
  ['net/ipv6/ah6.c:714:8', 'slab', 'struct ah_data'], //                         ahp = kzalloc(sizeof(*ahp), GFP_KERNEL);
  ['net/ipv6/anycast.c:265:8', 'slab', 'struct ifacaddr6'], //                   aca = kzalloc(sizeof(*aca), GFP_ATOMIC);
  ['net/ipv6/calipso.c:278:10', 'slab', 'struct calipso_map_cache_entry'], //    entry = kzalloc(sizeof(*entry), GFP_ATOMIC);
  ['net/ipv6/ip6_flowlabel.c:382:7', 'slab', 'struct ip6_flowlabel'], //         fl = kzalloc(sizeof(*fl), GFP_KERNEL);
  ['net/ipv6/ip6_fib.c:653:7', 'slab', 'struct fib6_walker'], //                 w = kzalloc(sizeof(*w), GFP_ATOMIC);
  ['net/ipv6/ip6_fib.c:2377:24', 'slab', 'struct rt6_statistics'], //            net->ipv6.rt6_stats = kzalloc(sizeof(*net->ipv6.rt6_stats), …
  ['net/ipv6/ip6_fib.c:2388:28', 'slab', 'struct fib6_table'], //                net->ipv6.fib6_main_tbl = kzalloc(sizeof(*net->ipv6.fib6_main_tbl), …
  ['net/ipv6/mcast.c:887:7', 'slab', 'struct ifmcaddr6'], //                     mc = kzalloc(sizeof(*mc), GFP_KERNEL);
  ['net/ipv6/mcast.c:2416:9', 'slab', 'struct ip6_sf_list'], //                  psf = kzalloc(sizeof(*psf), GFP_KERNEL);
  ['net/ipv6/ip6_output.c:715:18', 'slab', 'struct ipv6hdr'], //                  iter->tmp_hdr = kmemdup(…); include/net/ipv6.h:169 struct ipv6hdr *tmp_hdr
  // typeless buffers
  ['net/ipv6/ah6.c:93:9', 'slab', 'buffer'], //                                  return kmalloc(len, GFP_ATOMIC);          (void *tmp)
  ['net/ipv6/calipso.c:281:15', 'slab', 'buffer'], //                            entry->key = kmemdup(calipso_ptr + 2, …); (char *key)
  ['net/ipv6/ipv6_sockglue.c:249:6', 'slab', 'buffer'], //                       p = kmalloc(optlen + 4, GFP_KERNEL);      (void *p)
  ['net/core/skbuff.c:454:8', 'slab', 'buffer'], //                              obj = kmalloc_node_track_caller(obj_size, …); skb data
  // per-cpu
  ['net/ipv6/addrconf.c:339:21', 'percpu', 'struct ipstats_mib'], //             idev->stats.ipv6 = alloc_percpu_gfp(struct ipstats_mib, …);
  ['net/ipv6/af_inet6.c:918:27', 'percpu', 'struct udp_mib'], //                 net->mib.udp_stats_in6 = alloc_percpu(struct udp_mib);
  ['net/ipv6/af_inet6.c:935:31', 'percpu', 'struct icmpv6_mib'], //              net->mib.icmpv6_statistics = alloc_percpu(struct icmpv6_mib);
  ['net/core/neighbour.c:1785:15', 'percpu', 'struct neigh_statistics'], //      tbl->stats = alloc_percpu(struct neigh_statistics);
  ['net/core/gro_cells.c:73:18', 'percpu', 'struct gro_cell'], //                gcells->cells = alloc_percpu(struct gro_cell);
  ['net/core/dst_cache.c:142:21', 'percpu', 'struct dst_cache_pcpu'], //         dst_cache->cache = alloc_percpu_gfp(struct dst_cache_pcpu, …);
  // buddy pages
  ['net/core/dev.c:1104:29', 'buddy', 'unsigned long[]'], //                     inuse = (unsigned long *) get_zeroed_page(GFP_ATOMIC); (an array of unsigned long, issue 14)
  ['net/core/filter.c:2700:9', 'buddy', 'struct page'], //                       page = alloc_pages(__GFP_NOWARN | GFP_ATOMIC | __GFP_COMP, …);
  // vmalloc
  ['net/core/net-sysfs.c:957:11', 'vmalloc', 'struct rps_dev_flow_table'], //    table = vmalloc(RPS_DEV_FLOW_TABLE_SIZE(mask + 1));
  ['net/core/sysctl_net_core.c:82:9', 'vmalloc', 'struct rps_sock_flow_table'], // sock_table = vmalloc(RPS_SOCK_FLOW_TABLE_SIZE(size));
];

describe('real allocation sites, checked against the Linux 6.1 source', () => {
  it('has at least 30 rows covering every kind', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(30);
    expect(new Set(TABLE.map((r) => r[1]))).toEqual(new Set(['slab', 'percpu', 'buddy', 'vmalloc']));
  });
  for (const [where, kind, type, cache] of TABLE) {
    it(where, () => {
      const found = sites.filter((s) => {
        const f = writtenCallFrame(s.location);
        return f && `${f.file.replace(/^.*linux-source-6\.1\//, '')}:${f.line}:${f.column}` === where;
      });
      expect(found.length, `no site at ${where}`).toBeGreaterThan(0);
      for (const s of found) {
        expect(s.kind).toBe(kind);
        if (type === 'buffer') expect(s.type.kind, `${where}: ${s.type.name}`).toBe('buffer');
        else expect(s.type.name).toBe(type);
        if (cache) expect(s.cache).toBe(cache);
      }
    });
  }
});
