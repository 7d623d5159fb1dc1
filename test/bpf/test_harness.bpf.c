/* SPDX-License-Identifier: GPL-2.0 */
/* test_harness.bpf.c: runs the checker on this machine's kernel through
 * BPF_PROG_TEST_RUN (a raw_tp program: loaded, run on demand, never attached)
 * so its region logic is unit-tested: args[0] = site id (| KC_SITE_GS),
 * args[1] = mode (0: args[2] as the address, 1: an address on the current
 * kernel stack, 2: the current task_struct, a slab object, 3: the parent's task_struct), args[3] = 1 to
 * allow that object's cache for the site first, 2 to record it first with
 * kc_track as allocation 7 (an allocation probe's work); args[4] = bytes written (0: 1).
 * Modes 4: the phase flag kc_enforce (the run time's own .bss), 5: the current
 * task_struct's end minus args[2] (a write across the end of a slab object),
 * 6: the grandparent's task_struct, 7: the parent's stack_vm_area (a struct vm_struct
 * from a general kmalloc cache). args[3] (whole-kernel tracking, what the kmem tracepoints do):
 * 3 records the object at an unknown allocation site, 4 as made inside analyzed function 5
 * (KC_FN_ALLOC_BASE + 5), 5 admits the object's cache's object size for the site's size list (kc_foreign_sizes).
 * The skb-head class (track.bpf.h's registration): mode 8 is the parent's pgd (a buddy block, not
 * slab, that outlives the runner); args[3] 6 records the object at an unknown site, then installs it as an skb head
 * (kc_skb_install, build_skb's probe), 7 records it as kmem:kmalloc does under an skb constructor,
 * 8 records the page as mm_page_alloc does (an unknown site, order 0) and installs it, 9 records
 * the page under no constructor, 10 records the object as kc_kmalloc does (its owner and whether a
 * kc_skb_ctors range is on this program's stack), 11 forgets the object (kfree's probe), 12 forgets
 * the page (mm_page_free).
 * Returns kc_check_range's result, | 0x100 when the address's kmem_cache was found.
 * kc_test_fn: kc_fn_alloc(args[0]), the allocation id of the analyzed function holding an address. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "checker.bpf.h"
#include "track.bpf.h"

SEC("raw_tp")
int kc_test(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 site = (__u32)ctx->args[0];
	__u64 mode = ctx->args[1];
	__u64 addr = ctx->args[2];
	__u64 opt = ctx->args[3];
	__u64 len = ctx->args[4];
	__u64 cache;
	int ret;

	/* pointers become plain numbers (a global function takes scalars) through a read of their own slot */
	if (mode == 1) {
		/* the task's saved stack pointer (its last switch): on its kernel stack. Not the
		 * address of a local: kernels since 6.14 may run a program on a private per-cpu stack */
		struct task_struct *t = bpf_get_current_task_btf();

		addr = BPF_CORE_READ(t, thread.sp);
	} else if (mode == 3) {
		/* the parent's task_struct: a slab object that outlives this process (the test's runner) */
		struct task_struct *t = bpf_get_current_task_btf();

		addr = (__u64)BPF_CORE_READ(t, real_parent);
	} else if (mode == 2 || mode == 5) {
		volatile __u64 p = (__u64)bpf_get_current_task_btf();
		__u64 back = addr;

		bpf_probe_read_kernel(&addr, sizeof(addr), (const void *)&p);
		if (mode == 5)
			addr = addr + kc_object_size(kc_cache_of(addr)) - back;
	} else if (mode == 6) {
		/* the grandparent's task_struct: another slab object that outlives the runner, recorded by no probe */
		struct task_struct *t = bpf_get_current_task_btf();

		addr = (__u64)BPF_CORE_READ(t, real_parent, real_parent);
	} else if (mode == 7) {
		struct task_struct *t = bpf_get_current_task_btf();

		addr = (__u64)BPF_CORE_READ(t, real_parent, stack_vm_area);
	} else if (mode == 4) {
		addr = kc_scalar((__u64)&kc_enforce);
	} else if (mode == 8) {
		/* a page-table page of the parent (the test's runner): buddy memory that outlives this process */
		struct task_struct *t = bpf_get_current_task_btf();

		addr = (__u64)BPF_CORE_READ(t, real_parent, mm, pgd);
	}
	cache = kc_cache_of(addr);
	if (opt == 1 && cache) {
		struct kc_cache_key key = { .site = site & ~KC_SITE_GS, .cache = cache };
		__u8 one = 1;

		bpf_map_update_elem(&kc_allowed_caches, &key, &one, BPF_ANY);
	}
	if (opt == 2)
		kc_track(7, addr);
	if (opt == 3)
		kc_kalloc_record(addr, 8, 8, KC_ALLOC_UNKNOWN_SITE, 0);
	if (opt == 4)
		kc_kalloc_record(addr, 8, 8, KC_FN_ALLOC_BASE + 5, 0);
	if (opt == 6) {
		kc_kalloc_record(addr, 8, 8, KC_ALLOC_UNKNOWN_SITE, 0);
		kc_skb_install(addr);
	}
	if (opt == 7)
		kc_kalloc_record(addr, 8, 8, KC_ALLOC_UNKNOWN_SITE, 1);
	if (opt == 8 || opt == 9) {
		__u64 pfn = kc_pfn_of(addr);
		struct kc_page_block blk = { .alloc = KC_ALLOC_UNKNOWN_SITE, .order = 0 };

		bpf_map_update_elem(&kc_pages, &pfn, &blk, BPF_ANY);
		if (opt == 8)
			kc_skb_install(addr);
		else
			kc_skb_head_clear(pfn);
	}
	if (opt == 10) {
		struct kc_alloc_stack st;
		int head;

		kc_alloc_stack(ctx, &st);
		head = kc_skb_ctor_on(&st);
		kc_kalloc_record(addr, 8, 8, kc_alloc_owner(&st, 0), head);
	}
	if (opt == 11)
		kc_forget(addr);
	if (opt == 12) {
		__u64 pfn = kc_pfn_of(addr);

		bpf_map_delete_elem(&kc_skb_heads, &pfn);
		bpf_map_delete_elem(&kc_pages, &pfn);
	}
	if (opt == 5 && cache) {
		__u32 id = site & ~KC_SITE_GS;
		struct kc_site_policy *p = bpf_map_lookup_elem(&kc_sites, &id);
		struct kc_size_key sk = { .set = p ? p->foreign_set : 0, .size = (__u32)kc_object_size(cache) };
		__u8 one = 1;

		bpf_map_update_elem(&kc_foreign_sizes, &sk, &one, BPF_ANY);
	}
	ret = kc_site_check(ctx, site, addr, len, 0);
	return ret | (cache ? 0x100 : 0);
}

SEC("raw_tp")
int kc_test_fn(struct bpf_raw_tracepoint_args *ctx)
{
	return kc_fn_alloc(ctx->args[0]);
}

char LICENSE[] SEC("license") = "GPL";
