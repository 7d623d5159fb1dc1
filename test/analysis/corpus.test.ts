// The analysis on the real corpus: compartment net/ipv6 (51 TUs), context
// net/core (45 TUs). The policy validates, the known caches and sites are
// found with the types the kernel source gives them, and the precision figures
// stay where they were measured (a regression guard, not a goal). The corpus
// kernel's BTF gives the record types of the whole kernel, as the VM runs use.
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze, type AnalysisSummary } from '../../src/analysis/index.js';
import { type Policy, validatePolicy } from '../../src/index.js';
import { corpusDir, corpusModules } from '../../scripts/lib/paths.js';
import { join } from 'node:path';

const ls = (d: string) => corpusModules(`linux-6.1/net/${d}`);

let policy: Policy;
let summary: AnalysisSummary;
beforeAll(async () => {
  ({ policy, summary } = await analyze(ls('ipv6'), ls('core'), {
    sourcePrefixes: ['net/ipv6/'],
    btf: join(corpusDir(), 'linux-6.1', 'kernel', 'vmlinux.btf'),
  }));
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
  it('types lost pointers by their variables, siblings and origins (no "any" for them)', () => {
    const at = (fn: string, file: string, line: number) => {
      const a = policy.accesses.filter((x) => x.function === fn && x.location.some((f) => f.file.endsWith(file) && f.line === line));
      expect(a.length, `${fn} ${file}:${line}`).toBeGreaterThan(0);
      return a.map((x) => (x.legal.any ? 'any' : x.legal.reasons.map((r) => r.detail).join('|')));
    };
    // mcast.c:1286 `idev->mc_qrv = …` in mld_update_qrv (inlined into mld_process_v2): no value the
    // solve keeps reaches `idev` there (an empty points-to set, not "unknown"): its variable types it
    expect(at('mld_process_v2', 'net/ipv6/mcast.c', 1286)).toEqual(['any object of type struct inet6_dev']);
    // ip6_output.c:763 `fh->reserved = 0`: the optimizer writes it at `skb->data - 7`, beside
    // `fh = skb->data - 8` bound to `struct frag_hdr *fh`; a pointer from `skb->data` can only be in
    // the skb's head buffer, so the run-time class is its set, not "any frag_hdr"
    expect(at('ip6_fraglist_prepare', 'net/ipv6/ip6_output.c', 763)).toEqual([
      'any sk_buff head buffer (the pointer comes only from skb->head / skb->data)',
    ]);
    // ioam6.c:688 a `u8 *data` stepped along `trace`, a phi of byte GEPs: typed by its origin
    expect(new Set(at('ioam6_fill_trace_data', 'net/ipv6/ioam6.c', 688))).toEqual(new Set(['any object of type struct ioam6_trace_hdr']));
    // addrconf.h:434 `refcount_dec_and_test(&ifp->refcnt)` inlined into addrconf_dad_failure: the
    // pointer is bound to `refcount_t *r` inside `struct inet6_ifaddr *ifp`, and the object written
    // is that inet6_ifaddr — not any of the thousands of records holding a refcount_t
    expect(new Set(at('addrconf_dad_failure', 'include/net/addrconf.h', 434))).toEqual(new Set(['any object of type struct inet6_ifaddr']));
    // sit.c:1449 `tunnel->dev = dev` in the private area after the net_device: of the records that
    // contain each other along the pointer, the one admitting the fewest entries — the net_device,
    // not the empty `netdevice_tracker` struct every record holding a tracker embeds
    expect(new Set(at('ipip6_tunnel_init', 'net/ipv6/sit.c', 1449))).toEqual(new Set(['any object of type struct net_device']));
    expect(summary.anyShare).toBeLessThan(0.045);
  });
  it('places a write through a small record in the record the base of its address points to', () => {
    const at = (fn: string, line: number) =>
      policy.accesses.filter((x) => x.function === fn && x.location.at(-1)?.line === line && !x.legal.any);
    // icmp.c:629 ICMP6_INC_STATS(net, idev, ICMP6_MIB_OUTERRORS): atomic_long_inc(&idev->stats.icmpv6dev->mibs[4]),
    // the address computed from a pointer loaded from a `struct icmpv6_mib_device *` field: that
    // record, not any of the records holding an atomic64_t (a struct cred among them)
    const mib = at('icmp6_send', 629).filter((a) => !a.legal.percpu); // beside it, the per-cpu net->mib counter
    expect(mib.length).toBeGreaterThan(0);
    for (const a of mib)
      expect(
        a.legal.reasons.map((r) => r.detail),
        a.id,
      ).toEqual(['any object of type struct icmpv6_mib_device']);
    // list.h:906 __hlist_del's `WRITE_ONCE(*pprev, next)`: `pprev` is a `struct hlist_node **`, the
    // slot it points to a `struct hlist_node *` member (an hlist_node's next, an hlist_head's first):
    // any object holding one — not "any", which admitted modprobe_path
    const unlink = policy.accesses.filter((a) => a.location[0]?.function === '__hlist_del' && a.location[0]?.line === 906);
    expect(unlink.length).toBeGreaterThan(10);
    for (const a of unlink) {
      expect(a.legal.any, a.id).toBe(false);
      expect(
        a.legal.reasons.map((r) => r.detail),
        a.id,
      ).toContain('any object holding a `struct hlist_node *` (what a `struct hlist_node **` points to)');
      expect(
        a.legal.foreignTypes?.map((t) => t.name),
        a.id,
      ).toEqual(expect.arrayContaining(['struct hlist_node', 'struct hlist_head']));
      expect(a.legal.globals, a.id).not.toContain('modprobe_path');
    }
    // route.c:1449 rt6_get_pcpu_route: `p = this_cpu_ptr(res->nh->rt6i_pcpu)` — a slot of the per-cpu
    // area fib6_nh_init allocates (alloc_percpu_gfp(struct rt6_info *)): that allocation is admitted
    const pcpu = policy.accesses.filter((a) => a.function === 'ip6_pol_route' && a.location[0]?.line === 1449 && !a.legal.any);
    expect(pcpu.length).toBeGreaterThan(0);
    for (const a of pcpu) expect(a.legal.percpu && a.legal.percpuAreas, a.id).toBe(true);
    // no typed fallback of the compartment admits a struct cred or names its cache
    const cred = policy.accesses.filter(
      (a) => !a.legal.any && (a.legal.foreignTypes?.some((t) => t.name === 'struct cred') || a.legal.slabCaches.includes('cred_jar')),
    );
    expect(cred.map((a) => a.id)).toEqual([]);
  });
  it('knows containers no analyzed TU declares, through the kernel BTF', () => {
    // ip6_fib.c:657 (inet6_dump_fib) writes the netlink_callback of a dump. It lives inside a
    // struct netlink_sock (net/netlink, not analyzed), which sk_prot_alloc allocates as a struct sock
    // of prot->obj_size bytes: the typed fallback must admit that site, or the VM run alarms falsely.
    const dump = policy.accesses.filter(
      (a) => a.function === 'inet6_dump_fib' && a.legal.foreignTypes?.some((t) => t.name === 'struct netlink_callback'),
    );
    expect(dump.length).toBeGreaterThan(0);
    for (const a of dump) {
      expect(
        a.legal.foreignTypes!.map((t) => t.name),
        a.id,
      ).toContain('struct netlink_sock');
      expect(a.legal.slabSites.filter((s) => s.startsWith('net/core/sock.c:sk_prot_alloc:')).length, a.id).toBe(2);
      // records merely starting with a `struct netlink_callback *` (netlbl's walk arguments) do not
      // pose as one: a netlink_callback does not start with a pointer to its own type
      expect(
        a.legal.foreignTypes!.filter((t) => t.name.includes('walk_arg')),
        a.id,
      ).toEqual([]);
    }
  });
  it('says why every widened access was widened', () => {
    for (const a of policy.accesses) if (a.legal.any) expect(a.legal.reasons.length, a.id).toBeGreaterThan(0);
  });
  it('gives the writes of packet headers the skb-head class, and no header a typed fallback', () => {
    // __netdev_alloc_skb (skbuff.c:592, 597) carves a received packet's head out of a page fragment:
    // a typeless buddy buffer. A header write (rcv's `ipv6hdr` rewrite) used to get "any struct
    // ipv6hdr", admitting it beside every other typeless buffer; it now gets the class, which the run
    // time registers for heads carved under __netdev_alloc_skb too (runtime/loader fns.c)
    const frag = site('net/core/skbuff.c', 592, 'page_frag_alloc_align');
    expect(frag).toMatchObject({ kind: 'buddy', caller: '__netdev_alloc_skb', type: { kind: 'buffer' } });
    const headers = policy.accesses.filter((a) => a.legal.reasons.some((r) => r.detail === 'any object of type struct ipv6hdr'));
    expect(headers).toEqual([]);
    const classed = policy.accesses.filter((a) => a.legal.classes?.includes('skb-head'));
    expect(classed.length).toBeGreaterThan(300);
    for (const a of classed) expect(a.legal, a.id).toMatchObject({ any: false, stack: false, slabSites: [], buddySites: [], globals: [] });
    // ah6.c:615-624 in ah6_input: the IPv6 header's mutable fields zeroed through ipv6_hdr(skb)
    expect(classed.filter((a) => a.function === 'ah6_input' && a.location[0]?.line === 621).length).toBeGreaterThan(0);
  });
});

describe('indirect calls of net/ipv6 (issue 16)', () => {
  const calls = () => policy.indirectCalls ?? [];
  const at = (file: string, line: number) => calls().filter((c) => c.location[0]?.file.endsWith(file) && c.location[0]?.line === line);
  const symbols = (c: { targets: { symbol: string }[] }) => new Set(c.targets.map((t) => t.symbol));
  it('finds every indirect call with a reason for its set, and prints the figures', () => {
    expect(calls().length).toBeGreaterThan(100);
    for (const c of calls()) {
      if (c.targets.length === 0) expect(c.reasons.map((r) => r.kind)).toContain('signature-only');
    }
    expect(summary.indirectCalls.sites).toBe(calls().length);
    expect(summary.indirectCalls.median).toBeLessThanOrEqual(4);
  });
  it('sk->sk_prot->ioctl: the ioctl of every struct proto the analyzed IR initializes (rawv6, udpv6, tcpv6)', () => {
    const c = calls().find((x) => x.function === 'inet6_ioctl' && x.fields?.some((f) => f.type === 'struct proto' && f.member === 'ioctl'));
    expect(c).toBeDefined();
    expect([...symbols(c!)]).toEqual(expect.arrayContaining(['rawv6_ioctl', 'udp_ioctl', 'tcp_ioctl']));
    expect(c!.prototype).toBe('int (struct sock *, int, unsigned long)');
  });
  it('dst_input: skb_dst(skb)->input, typed through the inlined accessor, gets the functions route.c stores into rt6_info.dst.input', () => {
    // include/net/dst.h:466  return INDIRECT_CALL_INET(skb_dst(skb)->input, ip6_input, ip_local_deliver, skb);
    const cs = at('include/net/dst.h', 466);
    expect(cs.length).toBeGreaterThan(3);
    for (const c of cs) {
      expect(c.fields?.map((f) => `${f.type}+${f.offset}`)).toContain('struct dst_entry+40');
      // route.c stores `rt->dst.input = ip6_pkt_discard or ip6_pkt_prohibit` as a phi of the two: both are setters
      expect([...symbols(c)]).toEqual(
        expect.arrayContaining(['ip6_input', 'ip6_forward', 'ip6_mc_input', 'ip6_pkt_discard', 'ip6_pkt_prohibit']),
      );
      expect(c.targets.length).toBeLessThan(12);
    }
  });
  it('container_of: crypto_ahash_reqtfm(req)->update is a crypto_ahash field, though the GEP is -64 from a struct crypto_tfm *', () => {
    // include/crypto/hash.h:535  return tfm->init(req);  tfm = container_of(req->base.tfm, struct crypto_ahash, base), bound to `tfm`
    // include/crypto/hash.h:557  ret = crypto_ahash_reqtfm(req)->update(req);  no variable: `getelementptr i8, ptr %tfm, i64 -64`
    const init = at('include/crypto/hash.h', 535);
    const update = at('include/crypto/hash.h', 557);
    expect(init.length).toBeGreaterThanOrEqual(2);
    expect(update.length).toBeGreaterThanOrEqual(2);
    for (const c of init) expect(c.fields).toEqual([{ type: 'struct crypto_ahash', offset: 0, member: 'init' }]);
    for (const c of update) {
      expect(c.fields).toEqual([{ type: 'struct crypto_ahash', offset: 8, member: 'update' }]);
      expect(c.reasons[0]?.detail).toContain('container_of from struct crypto_tfm -64');
    }
    for (const c of [...init, ...update]) {
      // crypto/ahash.c sets these fields, outside the analyzed IR: the prototype (widened at load
      // through BTF) and no i32 (ptr) function of the analyzed IR such as __ipv6_addr_type
      expect(c.prototype).toBe('int (struct ahash_request *)');
      expect(c.reasons.map((r) => r.kind)).toEqual(['signature-only']);
      expect(symbols(c).has('__ipv6_addr_type')).toBe(false);
    }
  });
  it('cb->done = (void *)cb->args[3]; return cb->done(cb): the integer gets the prototype of the field it is stored into', () => {
    const [c] = at('net/ipv6/ip6_fib.c', 572);
    expect(c?.function).toBe('fib6_dump_done');
    expect(c!.prototype).toBe('int (struct netlink_callback *)');
    expect(c!.reasons[0]?.detail).toContain('the function-pointer field the function also stores it into');
    expect([...symbols(c!)]).toEqual(expect.arrayContaining(['fib6_dump_done', 'seg6_genl_dumphmac_done']));
    expect(c!.targets.length).toBeLessThan(12);
  });
  it('udp_prot.setsockopt: a field of a global net/ipv4 defines is typed by its IR declaration and not closed by the analyzed setters', () => {
    // ipv6_sockglue.c:1019  return udp_prot.setsockopt(sk, level, optname, optval, optlen);
    const [c] = at('net/ipv6/ipv6_sockglue.c', 1019);
    expect(c?.fields).toEqual([{ type: 'struct proto', offset: 72, member: 'setsockopt' }]);
    expect(c!.reasons.map((r) => r.kind)).toEqual(['signature-only']);
    expect(c!.reasons[0]?.detail).toContain('@udp_prot, defined outside the analyzed IR');
    // sockptr_t is an unnamed struct: written as BTF writes it, so the loader's widening finds udp_setsockopt
    expect(c!.prototype).toBe('int (struct sock *, int, int, struct (anonymous), unsigned int)');
    expect([...symbols(c!)]).toEqual(expect.arrayContaining(['udpv6_setsockopt', 'rawv6_setsockopt']));
    expect(symbols(c!).has('sock_setsockopt')).toBe(false);
  });
  it('neigh->output: the fields copied into it count (neigh->output = neigh->ops->connected_output, a select of two offsets)', () => {
    // include/net/neighbour.h:549  return n->output(n, skb);   neighbour.c __neigh_update / neigh_connect copy ops fields
    const cs = at('include/net/neighbour.h', 549);
    expect(cs.length).toBeGreaterThan(0);
    for (const c of cs) {
      expect(c.fields?.map((f) => `${f.type}+${f.offset}`)).toContain('struct neighbour+296');
      expect([...symbols(c)]).toEqual(
        expect.arrayContaining(['neigh_resolve_output', 'neigh_connected_output', 'neigh_direct_output', 'neigh_blackhole']),
      );
    }
  });
  it('a field also set from a value nothing follows is not closed by its known setters (fib6_cleaner.func = an argument)', () => {
    const [c] = at('net/ipv6/ip6_fib.c', 2196);
    expect(c?.fields?.map((f) => `${f.type}+${f.offset}`)).toContain('struct fib6_cleaner+80');
    expect(c!.reasons.map((r) => r.kind)).toEqual(['signature-only']);
    expect(c!.reasons[0]?.detail).toContain('__fib6_clean_all stores its argument %func');
    expect(c!.prototype).toBe('int (struct fib6_info *, void *)');
  });
  it('ops->callbacks.gro_receive through a net_offload: not what packet_offload initializers put into their offload_callbacks', () => {
    // ip6_offload.c:302  ops = rcu_dereference(inet6_offloads[proto]); … ops->callbacks.gro_receive
    // ipv6_gro_receive sits only in ipv6_packet_offload, a struct packet_offload that also embeds offload_callbacks
    const c = calls().find((x) => x.function === 'ipv6_gro_receive' && x.fields?.some((f) => f.type === 'struct net_offload'));
    expect(c).toBeDefined();
    // points-to follows ops to the net_offload objects themselves since exported functions are no
    // longer taken as address-taken through `.discard.addressable` (fewer signature-matched edges
    // bring "unknown" into it); before, the field's type bounded it ('field-type'), to the same set
    expect(c!.reasons.map((r) => r.kind)).toEqual(['field-setters']);
    expect([...symbols(c!)]).toEqual(expect.arrayContaining(['tcp6_gro_receive', 'udp6_gro_receive', 'sit_ip6ip6_gro_receive']));
    expect(symbols(c!).has('ipv6_gro_receive')).toBe(false);
  });
  it("field-based sets hold functions of the field's prototype", () => {
    // every target named by a field-based set, when the IR defines it, has the field's arity
    const arity = new Map<string, number>();
    for (const c of calls())
      if (c.prototype) arity.set(c.id, c.prototype === '' ? 0 : c.prototype.slice(c.prototype.indexOf('(') + 1, -1).split(', ').length);
    let checked = 0;
    for (const c of calls()) {
      if (!c.prototype || !c.reasons.some((r) => r.kind === 'field-type')) continue;
      const params = c.signature.slice(c.signature.indexOf('(') + 1, -1);
      expect(params.split(', ').length, c.id).toBe(arity.get(c.id));
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });
});
