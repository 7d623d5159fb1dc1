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

/* Who allocated what a kmem tracepoint or mm_page_alloc reports: the innermost analyzed function
 * among the first KC_ALLOC_FRAMES frames of the kernel stack (the tracepoint's own frames and the
 * allocator's are in no analyzed function), else `call_site` when the stack cannot be read, else an
 * unknown allocation site. */
static __always_inline __u32 kc_alloc_owner(void *ctx, __u64 call_site)
{
	__u64 ips[KC_ALLOC_FRAMES];
	long n = bpf_get_stack(ctx, ips, sizeof(ips), 0);
	__u32 a, k;

	if (n <= 0) {
		a = call_site ? kc_fn_alloc(call_site) : KC_ALLOC_NONE;
		return a == KC_ALLOC_NONE ? KC_ALLOC_UNKNOWN_SITE : a;
	}
	for (k = 0; k < KC_ALLOC_FRAMES; k++) {
		if ((long)(k * sizeof(__u64)) >= n)
			break;
		a = kc_fn_alloc(ips[k]);
		if (a != KC_ALLOC_NONE)
			return a;
	}
	return KC_ALLOC_UNKNOWN_SITE;
}

static __always_inline void kc_kalloc_count(__u32 alloc)
{
	kc_count(KC_CNT_KALLOC);
	if (alloc == KC_ALLOC_UNKNOWN_SITE)
		kc_count(KC_CNT_KALLOC_UNKNOWN);
}

/* Records a whole-kernel slab object (or the pages of a large kmalloc: more than two pages' worth,
 * SLUB's KMALLOC_MAX_CACHE_SIZE) made by `alloc`. A record that does not fit also removes a stale
 * one at that address, so the memory is unrecorded (the old-objects rule), never wrongly owned. */
static __always_inline void kc_kalloc_record(__u64 ptr, __u64 bytes_req, __u64 bytes_alloc, __u32 alloc)
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
		} else {
			bpf_map_delete_elem(&kc_pages, &pfn);
			kc_count(KC_CNT_KALLOC_DROPS);
		}
		return;
	}
	{
		struct kc_object o = { .alloc = alloc, .size = (__u32)bytes_req };

		if (bpf_map_update_elem(&kc_objects, &ptr, &o, BPF_ANY) == 0) {
			kc_kalloc_count(alloc);
		} else {
			bpf_map_delete_elem(&kc_objects, &ptr);
			kc_count(KC_CNT_KALLOC_DROPS);
		}
	}
}

/* kmem:kmalloc (6.1: also the _node allocations, and kmalloc_large's pages). */
SEC("tracepoint/kmem/kmalloc")
int kc_kmalloc(struct trace_event_raw_kmalloc *ctx)
{
	__u64 ptr = (__u64)BPF_CORE_READ(ctx, ptr);

	if (kc_is_err_or_null(ptr))
		return 0;
	kc_kalloc_record(ptr, BPF_CORE_READ(ctx, bytes_req), BPF_CORE_READ(ctx, bytes_alloc),
			 kc_alloc_owner(ctx, BPF_CORE_READ(ctx, call_site)));
	return 0;
}

/* kmem:kmem_cache_alloc (6.1: also the _node and _lru allocations). */
SEC("tracepoint/kmem/kmem_cache_alloc")
int kc_kmem_cache_alloc(struct trace_event_raw_kmem_cache_alloc *ctx)
{
	__u64 ptr = (__u64)BPF_CORE_READ(ctx, ptr);

	if (kc_is_err_or_null(ptr))
		return 0;
	kc_kalloc_record(ptr, BPF_CORE_READ(ctx, bytes_req), 0, kc_alloc_owner(ctx, BPF_CORE_READ(ctx, call_site)));
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

/* The kmem tracepoints give the block's pfn and order (their format since 4.x). */
SEC("tracepoint/kmem/mm_page_alloc")
int kc_page_alloc(struct trace_event_raw_mm_page_alloc *ctx)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct kc_pending_block pb = { .pfn = BPF_CORE_READ(ctx, pfn), .order = BPF_CORE_READ(ctx, order) };
	struct kc_page_block blk = { .order = pb.order };

	bpf_map_update_elem(&kc_pending_pages, &tid, &pb, BPF_ANY);
	/* the whole kernel's blocks (slab pages too: the slab check comes first, so they cost a slot only) */
	if (pb.order > KC_MAX_ORDER)
		return 0;
	blk.alloc = kc_alloc_owner(ctx, 0);
	if (bpf_map_update_elem(&kc_pages, &pb.pfn, &blk, BPF_ANY) == 0) {
		kc_kalloc_count(blk.alloc);
	} else {
		bpf_map_delete_elem(&kc_pages, &pb.pfn);
		kc_count(KC_CNT_KALLOC_DROPS);
	}
	return 0;
}

SEC("tracepoint/kmem/mm_page_free")
int kc_page_free(struct trace_event_raw_mm_page_free *ctx)
{
	__u64 pfn = BPF_CORE_READ(ctx, pfn);

	if (bpf_map_delete_elem(&kc_pages, &pfn) == 0)
		kc_count(KC_CNT_FREED);
	return 0;
}

/* Forgets a recorded slab object. */
static __always_inline void kc_forget(__u64 obj)
{
	if (obj && bpf_map_delete_elem(&kc_objects, &obj) == 0)
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

#endif /* KC_TRACK_BPF_H */
