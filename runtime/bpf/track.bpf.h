/* SPDX-License-Identifier: GPL-2.0 */
/* track.bpf.h: allocation tracking for the checker (DESIGN.md §5). Records in
 * the checker's maps which allocation site each object, buddy block and
 * vmalloc page of the compartment comes from, and forgets them when freed:
 *  - kc_track(alloc, ret), a global function called by the generated after-call
 *    probes (`kc_alloc_N`, a kprobe on the instruction after an allocating call,
 *    where rax is the result): slab objects by address, buddy blocks by head pfn
 *    with the order the mm_page_alloc tracepoint saw for this task;
 *  - kc_vmalloc_entry / kc_vmalloc_ret on __vmalloc_node_range (the loader picks
 *    the kernel's spelling): the area's pages with the id of its `caller`'s
 *    function when that function is in kc_vm_callers;
 *  - kc_free_kfree, kc_free_cache, kc_free_bulk, kc_free_vfree, kc_page_free;
 *  - the whole kernel's allocations while the policy is loaded: kc_kmalloc and
 *    kc_kmem_cache_alloc (kmem tracepoints: every slab object, and the pages of a
 *    large kmalloc), kc_page_alloc (every buddy block) and kc_vmalloc_ret (every
 *    vmalloc area), each recorded with the allocation id of the innermost analyzed
 *    function on its kernel stack (kc_alloc_owner: KC_FN_ALLOC_BASE + its group, the
 *    union of that function's IR allocation sites), or KC_ALLOC_UNKNOWN_SITE. The
 *    compartment's after-call probes (kc_track) then overwrite their own objects'
 *    records with the exact allocation id. A record that does not fit is counted
 *    (KC_CNT_KALLOC_DROPS) and its memory stays unrecorded: the old-objects rule.
 * Why the innermost analyzed frame and not `call_site`: `*_track_caller` allocations
 * (kmalloc_reserve in __alloc_skb, kmemdup) report their caller's caller, and the
 * kvmalloc / wrapper functions outside the IR report themselves; the frame of the
 * IR function whose call allocated is on the stack in every case.
 *  - the skb-head class (KC_F_SKB_HEAD): memory that is the head buffer of an sk_buff is
 *    registered in kc_skb_heads. kc_kmalloc and kc_page_alloc register what they record when one
 *    of the first KC_ALLOC_FRAMES frames of the stack lies in a kc_skb_ctors range (6.1: the
 *    inlined kmalloc_reserve of __alloc_skb, pskb_expand_head and pskb_carve; page_frag_alloc's
 *    page refill in __napi_alloc_skb and __netdev_alloc_skb); never kmem_cache_alloc, whose
 *    objects under a constructor are the sk_buff structs of their dedicated caches. The kprobes
 *    kc_skb_install_1 / _2 register, at the entry of build_skb, napi_build_skb, __build_skb,
 *    __napi_build_skb / build_skb_around, the recorded memory holding the buffer they install as
 *    a head; the kretprobe kc_skb_ret, the head of the skb __napi_alloc_skb and
 *    __netdev_alloc_skb return (6.1 inlines __napi_build_skb there: a head carved from a page
 *    napi_alloc_frag or netdev_alloc_frag refilled, under no constructor). Keys: a slab object's start, a buddy block's head pfn, a vmalloc
 *    area's start. Memory no probe recorded (allocated before the load) is not registered: the
 *    checker keeps treating it as of unknown owner. A registration that does not fit (KC_CNT_SKB_HEAD_DROPS) removes the
 *    memory's slab or buddy record, so it is unrecorded (the old-objects rule), never wrongly
 *    "not a head" (a vmalloc area's record is left: its pages are many; vmalloc'd heads are
 *    rare: netlink's large messages, which __build_skb installs). The frees clear the keys (kc_forget, kc_page_free, kc_free_vfree), and
 *    so does every whole-kernel record made at a key under no constructor (a free a probe missed
 *    must not make the next owner of that memory a head).
 *    Known imprecision: an allocation made while a constructor is on the stack without being
 *    a head (a memcg vector or a new slab page the slab allocator takes inside kmalloc_reserve,
 *    a hard-irq allocation whose unwind runs through the interrupted constructor) is registered
 *    too. That only widens what class sites may write; it never raises a false alarm.
 * Every map written here is preallocated (no allocation inside a kmem tracepoint), and
 * the kernel does not nest BPF programs on one CPU (a nested run is a recursion miss).
 * Every program here has a bare section: the loader attaches them through its
 * skeleton. The maps are defined in maps.bpf.h. */
#ifndef KC_TRACK_BPF_H
#define KC_TRACK_BPF_H

#include "checker.bpf.h"

static __always_inline int kc_is_err_or_null(__u64 v)
{
	return v == 0 || v >= (__u64)-KC_MAX_ERRNO;
}

/* The allocation id of what the analyzed function holding `ip` allocates (KC_FN_ALLOC_BASE + its
 * group), KC_ALLOC_NONE when `ip` is in no analyzed function: the page's run of kc_fns, then a
 * binary search for the last range starting at or below ip. Global: verified once. */
__noinline __u32 kc_fn_alloc(__u64 ip)
{
	__u64 page = ip >> KC_PAGE_SHIFT;
	struct kc_fn_span *s = bpf_map_lookup_elem(&kc_fn_pages, &page);
	__u32 lo, hi, k;

	if (!s)
		return KC_ALLOC_NONE;
	lo = s->lo;
	hi = s->hi;
	for (k = 0; k < KC_FN_SEARCH_STEPS + 1; k++) {
		__u32 mid, slot;
		struct kc_fn_range *r;

		if (lo >= hi)
			break;
		mid = lo + (hi - lo) / 2;
		slot = mid;
		r = bpf_map_lookup_elem(&kc_fns, &slot);
		if (!r)
			return KC_ALLOC_NONE;
		if (ip < r->start)
			hi = mid;
		else if (ip >= r->end)
			lo = mid + 1;
		else
			return r->alloc;
	}
	return KC_ALLOC_NONE;
}

/* The first KC_ALLOC_FRAMES frames of an allocation's kernel stack, read once for both questions
 * asked of them (who allocated, and whether an skb constructor did). */
struct kc_alloc_stack {
	__u64 ips[KC_ALLOC_FRAMES];
	long n; /* bytes bpf_get_stack wrote, <= 0: none */
};

static __always_inline void kc_alloc_stack(void *ctx, struct kc_alloc_stack *st)
{
	st->n = bpf_get_stack(ctx, st->ips, sizeof(st->ips), 0);
}

/* Who allocated what a kmem tracepoint or mm_page_alloc reports: the innermost analyzed function
 * among the first KC_ALLOC_FRAMES frames of the kernel stack (the tracepoint's own frames and the
 * allocator's are in no analyzed function), else `call_site` when the stack cannot be read, else an
 * unknown allocation site. */
static __always_inline __u32 kc_alloc_owner(const struct kc_alloc_stack *st, __u64 call_site)
{
	__u32 a, k;

	if (st->n <= 0) {
		a = call_site ? kc_fn_alloc(call_site) : KC_ALLOC_NONE;
		return a == KC_ALLOC_NONE ? KC_ALLOC_UNKNOWN_SITE : a;
	}
	for (k = 0; k < KC_ALLOC_FRAMES; k++) {
		if ((long)(k * sizeof(__u64)) >= st->n)
			break;
		a = kc_fn_alloc(st->ips[k]);
		if (a != KC_ALLOC_NONE)
			return a;
	}
	return KC_ALLOC_UNKNOWN_SITE;
}

/* 1 when `ip` lies in a kc_skb_ctors range (a function that allocates skb heads). Global: verified
 * once, so the frame loop of each tracepoint costs the verifier one call per frame (nested in the
 * tracepoint, the ranges' loop made 6.1's verifier walk a million instructions). */
__noinline int kc_skb_ctor_at(__u64 ip)
{
	__u32 count = kc_rt.skb_ctor_count, j;

	for (j = 0; j < KC_MAX_SKB_CTORS; j++) {
		__u32 slot = j;
		struct kc_range *r;

		if (j >= count)
			break;
		r = bpf_map_lookup_elem(&kc_skb_ctors, &slot);
		if (!r)
			break;
		if (ip >= r->start && ip < r->end)
			return 1;
	}
	return 0;
}

/* 1 when one of the stack's frames lies in a kc_skb_ctors range: the allocation was made by a
 * function that allocates skb heads (kc_rt.skb_ctor_count is 0 unless some site has KC_F_SKB_HEAD,
 * so other policies pay one load). A frame is a return address: inside its caller. The frames past
 * those read are 0 (bpf_get_stack zeroes the rest of the buffer, all of it on an error), so the
 * loop stops there without a bound the verifier would have to track. Ask it before kc_alloc_owner,
 * whose loop leaves one verifier state per frame count. */
static __always_inline int kc_skb_ctor_on(const struct kc_alloc_stack *st)
{
	__u32 k;

	if (!kc_rt.skb_ctor_count)
		return 0;
	for (k = 0; k < KC_ALLOC_FRAMES; k++) {
		if (!st->ips[k])
			break;
		if (kc_skb_ctor_at(st->ips[k]))
			return 1;
	}
	return 0;
}

/* Registers `key` (a slab object's start, a head pfn, a vmalloc area's start) as an skb head
 * found in region `region`. 0, or -1 when kc_skb_heads is full (counted: the caller removes the
 * memory's record, so it is of unknown owner rather than recorded and not a head). */
static __always_inline int kc_skb_head_put(__u64 key, __u32 region)
{
	if (bpf_map_update_elem(&kc_skb_heads, &key, &region, BPF_ANY) == 0) {
		kc_count(KC_CNT_SKB_HEADS);
		return 0;
	}
	kc_count(KC_CNT_SKB_HEAD_DROPS);
	return -1;
}

/* Forgets an skb-head registration at `key`: freed memory, or memory allocated again under no
 * constructor (a registration whose free no probe saw, a kprobe miss, must not make the next owner
 * a head). A lookup first: lockless, where a delete takes the bucket's lock on every allocation and
 * free of the kernel, and most keys were never registered (policies without the class: none). */
static __always_inline void kc_skb_head_clear(__u64 key)
{
	if (bpf_map_lookup_elem(&kc_skb_heads, &key))
		bpf_map_delete_elem(&kc_skb_heads, &key);
}

/* Registers the recorded memory holding `data` as an skb head, the work of the install probes
 * (build_skb and kin): a slab object by its start, a buddy block by its head pfn, a vmalloc area
 * by its start. Returns the KC_R_* region registered, 0 when nothing was: memory no probe
 * recorded (or adopted in the audit phase: allocated before the load) stays of unknown owner. */
static __always_inline __u32 kc_skb_install(__u64 data)
{
	if (kc_is_err_or_null(data))
		return 0;
	if (kc_in_direct_map(data)) {
		__u64 cache = kc_cache_of(data);
		__u64 head = 0;
		struct kc_page_block *b;

		if (cache) {
			__u64 obj = kc_object_start(data, cache);
			struct kc_object *o = bpf_map_lookup_elem(&kc_objects, &obj);

			if (!o || o->alloc == KC_ALLOC_ADOPTED)
				return 0;
			if (kc_skb_head_put(obj, KC_R_SLAB)) {
				bpf_map_delete_elem(&kc_objects, &obj);
				return 0;
			}
			return KC_R_SLAB;
		}
		b = kc_page_block_of(kc_pfn_of(data), &head);
		if (!b || b->alloc == KC_ALLOC_ADOPTED)
			return 0;
		if (kc_skb_head_put(head, KC_R_BUDDY)) {
			bpf_map_delete_elem(&kc_pages, &head);
			return 0;
		}
		return KC_R_BUDDY;
	}
	if (kc_in_vmalloc(data)) {
		__u64 page = data >> KC_PAGE_SHIFT, start;
		struct kc_vm_page *v = bpf_map_lookup_elem(&kc_vm_pages, &page);

		if (!v || v->alloc == KC_ALLOC_ADOPTED)
			return 0;
		start = v->start;
		/* full: the area's record is left (deleting its pages is a walk); see the file's comment */
		return kc_skb_head_put(start, KC_R_VMALLOC) ? 0 : KC_R_VMALLOC;
	}
	return 0;
}

static __always_inline void kc_kalloc_count(__u32 alloc)
{
	kc_count(KC_CNT_KALLOC);
	if (alloc == KC_ALLOC_UNKNOWN_SITE)
		kc_count(KC_CNT_KALLOC_UNKNOWN);
}

/* Records a whole-kernel slab object (or the pages of a large kmalloc: more than two pages' worth,
 * SLUB's KMALLOC_MAX_CACHE_SIZE) made by `alloc`; with `skb_head`, registers it as an skb head too.
 * A record that does not fit also removes a stale one at that address, so the memory is
 * unrecorded (the old-objects rule), never wrongly owned; so does a registration that does not. */
static __always_inline void kc_kalloc_record(__u64 ptr, __u64 bytes_req, __u64 bytes_alloc, __u32 alloc, int skb_head)
{
	if (kc_is_err_or_null(ptr) || !kc_in_direct_map(ptr))
		return;
	if (bytes_alloc > 2 * KC_PAGE_SIZE) {
		__u64 pfn = kc_pfn_of(ptr);
		struct kc_page_block blk = { .alloc = alloc, .order = 0 };
		__u64 pages = (bytes_alloc + KC_PAGE_SIZE - 1) >> KC_PAGE_SHIFT;
		__u32 k;

		for (k = 0; k < KC_MAX_ORDER; k++)
			if ((1ULL << k) < pages)
				blk.order = k + 1;
		if (bpf_map_update_elem(&kc_pages, &pfn, &blk, BPF_ANY) == 0) {
			kc_kalloc_count(alloc);
			if (skb_head && kc_skb_head_put(pfn, KC_R_BUDDY))
				bpf_map_delete_elem(&kc_pages, &pfn);
			else if (!skb_head)
				kc_skb_head_clear(pfn);
		} else {
			bpf_map_delete_elem(&kc_pages, &pfn);
			kc_skb_head_clear(pfn);
			kc_count(KC_CNT_KALLOC_DROPS);
		}
		return;
	}
	{
		struct kc_object o = { .alloc = alloc, .size = (__u32)bytes_req };

		if (bpf_map_update_elem(&kc_objects, &ptr, &o, BPF_ANY) == 0) {
			kc_kalloc_count(alloc);
			if (skb_head && kc_skb_head_put(ptr, KC_R_SLAB))
				bpf_map_delete_elem(&kc_objects, &ptr);
			else if (!skb_head)
				kc_skb_head_clear(ptr);
		} else {
			bpf_map_delete_elem(&kc_objects, &ptr);
			kc_skb_head_clear(ptr);
			kc_count(KC_CNT_KALLOC_DROPS);
		}
	}
}

/* kmem:kmalloc (6.1: also the _node allocations, and kmalloc_large's pages): under an skb
 * constructor (kmalloc_reserve's head buffer), an skb head too. */
SEC("tracepoint/kmem/kmalloc")
int kc_kmalloc(struct trace_event_raw_kmalloc *ctx)
{
	__u64 ptr = (__u64)BPF_CORE_READ(ctx, ptr);
	struct kc_alloc_stack st;
	int head;

	if (kc_is_err_or_null(ptr))
		return 0;
	kc_alloc_stack(ctx, &st);
	head = kc_skb_ctor_on(&st);
	kc_kalloc_record(ptr, BPF_CORE_READ(ctx, bytes_req), BPF_CORE_READ(ctx, bytes_alloc),
			 kc_alloc_owner(&st, BPF_CORE_READ(ctx, call_site)), head);
	return 0;
}

/* kmem:kmem_cache_alloc (6.1: also the _node and _lru allocations). Never an skb head: under a
 * constructor these are the sk_buff structs themselves (skbuff_head_cache, skbuff_fclone_cache). */
SEC("tracepoint/kmem/kmem_cache_alloc")
int kc_kmem_cache_alloc(struct trace_event_raw_kmem_cache_alloc *ctx)
{
	__u64 ptr = (__u64)BPF_CORE_READ(ctx, ptr);
	struct kc_alloc_stack st;

	if (kc_is_err_or_null(ptr))
		return 0;
	kc_alloc_stack(ctx, &st);
	kc_kalloc_record(ptr, BPF_CORE_READ(ctx, bytes_req), 0, kc_alloc_owner(&st, BPF_CORE_READ(ctx, call_site)), 0);
	return 0;
}

/* Records what allocation `alloc` returned (`ret`: an object, a page's address, or a struct page). */
__noinline int kc_track(__u32 alloc, __u64 ret)
{
	__u64 tid = bpf_get_current_pid_tgid();
	__u64 pfn;
	struct kc_pending_block *pb;
	struct kc_page_block blk = { .alloc = alloc, .order = 0 };

	if (kc_is_err_or_null(ret))
		return 0;
	if (kc_in_vmalloc(ret))
		return 0; /* a kvmalloc area: recorded by the vmalloc probes with its caller */
	if (kc_in_vmemmap(ret)) {
		pfn = kc_pfn_of_page(ret);
	} else if (kc_in_direct_map(ret)) {
		if (kc_cache_of(ret)) {
			struct kc_object o = { .alloc = alloc, .size = 0 };

			if (bpf_map_update_elem(&kc_objects, &ret, &o, BPF_ANY) == 0)
				kc_count(KC_CNT_TRACKED);
			else
				kc_count(KC_CNT_TRACK_FULL);
			return 0;
		}
		pfn = kc_pfn_of(ret);
	} else {
		return 0;
	}
	/* a buddy block (or the pages of a large kmalloc): its order from the tracepoint */
	pb = bpf_map_lookup_elem(&kc_pending_pages, &tid);
	if (pb && pb->pfn == pfn && pb->order <= KC_MAX_ORDER)
		blk.order = pb->order;
	if (pb)
		bpf_map_delete_elem(&kc_pending_pages, &tid);
	if (bpf_map_update_elem(&kc_pages, &pfn, &blk, BPF_ANY) == 0)
		kc_count(KC_CNT_TRACKED);
	else
		kc_count(KC_CNT_TRACK_FULL);
	return 0;
}

/* The kmem tracepoints give the block's pfn and order (their format since 4.x). Under an skb
 * constructor (page_frag_alloc's refill: the heads are carved from the block), an skb head too. */
SEC("tracepoint/kmem/mm_page_alloc")
int kc_page_alloc(struct trace_event_raw_mm_page_alloc *ctx)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct kc_pending_block pb = { .pfn = BPF_CORE_READ(ctx, pfn), .order = BPF_CORE_READ(ctx, order) };
	struct kc_page_block blk = { .order = pb.order };
	struct kc_alloc_stack st;
	int head;

	bpf_map_update_elem(&kc_pending_pages, &tid, &pb, BPF_ANY);
	/* the whole kernel's blocks (slab pages too: the slab check comes first, so they cost a slot only) */
	if (pb.order > KC_MAX_ORDER)
		return 0;
	kc_alloc_stack(ctx, &st);
	head = kc_skb_ctor_on(&st);
	blk.alloc = kc_alloc_owner(&st, 0);
	if (bpf_map_update_elem(&kc_pages, &pb.pfn, &blk, BPF_ANY) == 0) {
		kc_kalloc_count(blk.alloc);
		if (!head)
			kc_skb_head_clear(pb.pfn);
		else if (kc_skb_head_put(pb.pfn, KC_R_BUDDY))
			bpf_map_delete_elem(&kc_pages, &pb.pfn);
	} else {
		bpf_map_delete_elem(&kc_pages, &pb.pfn);
		kc_skb_head_clear(pb.pfn);
		kc_count(KC_CNT_KALLOC_DROPS);
	}
	return 0;
}

SEC("tracepoint/kmem/mm_page_free")
int kc_page_free(struct trace_event_raw_mm_page_free *ctx)
{
	__u64 pfn = BPF_CORE_READ(ctx, pfn);

	/* an skb head's block too (a key of its own: the block may come back as anything) */
	kc_skb_head_clear(pfn);
	if (bpf_map_delete_elem(&kc_pages, &pfn) == 0)
		kc_count(KC_CNT_FREED);
	return 0;
}

/* Forgets a recorded slab object (and its skb-head registration). */
static __always_inline void kc_forget(__u64 obj)
{
	if (!obj)
		return;
	kc_skb_head_clear(obj);
	if (bpf_map_delete_elem(&kc_objects, &obj) == 0)
		kc_count(KC_CNT_FREED);
}

SEC("kprobe")
int kc_free_kfree(struct pt_regs *ctx)
{
	kc_forget(PT_REGS_PARM1(ctx));
	return 0;
}

SEC("kprobe")
int kc_free_cache(struct pt_regs *ctx)
{
	kc_forget(PT_REGS_PARM2(ctx));
	return 0;
}

struct kc_bulk {
	__u64 array;
};

static long kc_bulk_step(__u64 i, void *data)
{
	struct kc_bulk *b = data;
	kc_forget(kc_read_u64((const void *)(b->array + i * sizeof(__u64))));
	return 0;
}

/* kmem_cache_free_bulk(s, size, p): kfree_bulk and the kfree_rcu batches end here. */
SEC("kprobe")
int kc_free_bulk(struct pt_regs *ctx)
{
	struct kc_bulk b = { .array = PT_REGS_PARM3(ctx) };

	KC_LOOP(PT_REGS_PARM2(ctx), KC_MAX_BULK, 128, kc_bulk_step, &b);
	return 0;
}

struct kc_area_walk {
	__u64 first;
	__u32 alloc;
	__u32 pages;
	__u64 start;
	int del;
};

static long kc_area_step(__u64 i, void *data)
{
	struct kc_area_walk *w = data;
	__u64 page = w->first + i;

	if (w->del) {
		bpf_map_delete_elem(&kc_vm_pages, &page);
	} else {
		struct kc_vm_page v = { .alloc = w->alloc, .pages = w->pages, .start = w->start };

		if (bpf_map_update_elem(&kc_vm_pages, &page, &v, BPF_ANY)) {
			kc_count(KC_CNT_TRACK_FULL);
			return 1;
		}
	}
	return 0;
}

/* vfree(addr): forget a recorded area. */
SEC("kprobe")
int kc_free_vfree(struct pt_regs *ctx)
{
	__u64 addr = PT_REGS_PARM1(ctx);
	__u64 page = addr >> KC_PAGE_SHIFT;
	struct kc_vm_page *v = bpf_map_lookup_elem(&kc_vm_pages, &page);
	struct kc_area_walk w = { .first = page, .del = 1 };

	kc_skb_head_clear(addr);
	if (!v || v->start != addr)
		return 0;
	w.pages = v->pages;
	KC_LOOP(w.pages, KC_MAX_AREA_PAGES, 64, kc_area_step, &w);
	kc_count(KC_CNT_FREED);
	return 0;
}

/* __vmalloc_node_range(size, align, start, end, gfp, prot, vm_flags, node, caller):
 * the ninth argument is the third on the stack, above the return address. */
SEC("kprobe")
int kc_vmalloc_entry(struct pt_regs *ctx)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct kc_pending_area a = { .size = PT_REGS_PARM1(ctx) };

	a.caller = kc_read_u64((const void *)(PT_REGS_SP(ctx) + 3 * sizeof(__u64)));
	bpf_map_update_elem(&kc_pending_areas, &tid, &a, BPF_ANY);
	return 0;
}

struct kc_caller_scan {
	__u64 caller;
	__u32 found;
	__u32 id;
};

static long kc_caller_step(__u64 i, void *data)
{
	struct kc_caller_scan *c = data;
	__u32 slot = (__u32)i;
	struct kc_range *r = bpf_map_lookup_elem(&kc_vm_callers, &slot);

	if (!r)
		return 1;
	if (c->caller >= r->start && c->caller < r->end) {
		c->found = 1;
		c->id = slot;
		return 1;
	}
	return 0;
}

SEC("kretprobe")
int kc_vmalloc_ret(struct pt_regs *ctx)
{
	__u64 tid = bpf_get_current_pid_tgid();
	__u64 addr = PT_REGS_RC(ctx);
	struct kc_pending_area *a = bpf_map_lookup_elem(&kc_pending_areas, &tid);
	struct kc_caller_scan c = {};
	struct kc_area_walk w = {};
	__u32 n = kc_rt.vm_caller_count;
	__u64 pages;

	if (!a)
		return 0;
	c.caller = a->caller;
	pages = (a->size + KC_PAGE_SIZE - 1) >> KC_PAGE_SHIFT;
	bpf_map_delete_elem(&kc_pending_areas, &tid);
	if (kc_is_err_or_null(addr))
		return 0;
	KC_LOOP(n, KC_MAX_VM_CALLERS, 64, kc_caller_step, &c);
	if (c.found) {
		w.alloc = KC_VM_ALLOC_BASE + c.id;
	} else {
		/* an area of the rest of the kernel: its caller's analyzed function, or an unknown site */
		w.alloc = kc_fn_alloc(c.caller);
		if (w.alloc == KC_ALLOC_NONE)
			w.alloc = KC_ALLOC_UNKNOWN_SITE;
	}
#ifdef KC_NO_CALLBACKS
	if (pages > 64)
		pages = 64; /* the bounded loop's reach: pages beyond are unknown to the checker */
#else
	if (pages > KC_MAX_AREA_PAGES)
		pages = KC_MAX_AREA_PAGES;
#endif
	w.first = addr >> KC_PAGE_SHIFT;
	w.pages = (__u32)pages;
	w.start = addr;
	KC_LOOP(w.pages, KC_MAX_AREA_PAGES, 64, kc_area_step, &w);
	if (c.found)
		kc_count(KC_CNT_TRACKED);
	else
		kc_kalloc_count(w.alloc);
	return 0;
}

/* The functions that install a buffer allocated elsewhere as an skb head, at entry: build_skb(data,
 * frag_size), napi_build_skb(data, frag_size), __build_skb(data, frag_size), __napi_build_skb(data,
 * frag_size) ... */
SEC("kprobe")
int kc_skb_install_1(struct pt_regs *ctx)
{
	kc_skb_install(PT_REGS_PARM1(ctx));
	return 0;
}

/* ... and build_skb_around(skb, data, frag_size). */
SEC("kprobe")
int kc_skb_install_2(struct pt_regs *ctx)
{
	kc_skb_install(PT_REGS_PARM2(ctx));
	return 0;
}

/* The constructors that carve a head out of a shared page fragment (6.1: __napi_alloc_skb and
 * __netdev_alloc_skb, into which __build_skb / __napi_build_skb are inlined) register it at their
 * return, from the skb they made: the page may have been refilled under napi_alloc_frag or
 * netdev_alloc_frag, under no constructor, and no install probe sees the carve. A return probe can
 * miss (more concurrent calls than its instances); the refill under the constructor
 * (kc_page_alloc) still registers most of those pages, and these functions run mostly in softirq. */
SEC("kretprobe")
int kc_skb_ret(struct pt_regs *ctx)
{
	struct sk_buff *skb = (struct sk_buff *)PT_REGS_RC(ctx);

	if (kc_is_err_or_null((__u64)skb))
		return 0;
	kc_skb_install((__u64)BPF_CORE_READ(skb, head));
	return 0;
}

#endif /* KC_TRACK_BPF_H */
