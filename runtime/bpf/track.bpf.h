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
 *  - kc_free_kfree, kc_free_cache, kc_free_bulk, kc_free_vfree, kc_page_free.
 * Every program here has a bare section: the loader attaches them through its
 * skeleton. The maps are defined in maps.bpf.h. */
#ifndef KC_TRACK_BPF_H
#define KC_TRACK_BPF_H

#include "checker.bpf.h"

static __always_inline int kc_is_err_or_null(__u64 v)
{
	return v == 0 || v >= (__u64)-KC_MAX_ERRNO;
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
			struct kc_object o = { .alloc = alloc };

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

	bpf_map_update_elem(&kc_pending_pages, &tid, &pb, BPF_ANY);
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
	if (!c.found)
		return 0;
#ifdef KC_NO_CALLBACKS
	if (pages > 64)
		pages = 64; /* the bounded loop's reach: pages beyond are unknown to the checker */
#else
	if (pages > KC_MAX_AREA_PAGES)
		pages = KC_MAX_AREA_PAGES;
#endif
	w.first = addr >> KC_PAGE_SHIFT;
	w.alloc = KC_VM_ALLOC_BASE + c.id;
	w.pages = (__u32)pages;
	w.start = addr;
	KC_LOOP(w.pages, KC_MAX_AREA_PAGES, 64, kc_area_step, &w);
	kc_count(KC_CNT_TRACKED);
	return 0;
}

#endif /* KC_TRACK_BPF_H */
