/* SPDX-License-Identifier: GPL-2.0 */
/* cost.bpf.c: what one check costs on a kernel with a BPF JIT, for `npm run bench:cost`
 * (bench/cost.ts). A raw_tp program, loaded and run through BPF_PROG_TEST_RUN on this
 * machine's kernel, never attached: it resolves one address of a region, then calls the
 * run time's real kc_check_range ITERATIONS times in a bpf_loop and returns the mean time
 * per call in hundredths of a nanosecond (bpf_ktime_get_ns around the loop; an empty loop of
 * the same length is timed first and subtracted).
 *   args[0] site id (| KC_SITE_GS)
 *   args[1] mode: 0 args[2] itself, 1 the task's kernel stack (its saved sp), 2 the current
 *           task_struct (a slab object), 3 the page-table root current->mm->pgd (a buddy page),
 *           4 the first page of kc_cost_area's value (a vmalloc area)
 *   args[2] address (mode 0)
 *   args[3] what to record first: 1 allow the object's cache for the site, 2 record the slab
 *           object as allocation 7 (what an allocation probe does), 3 record the pgd page as a
 *           buddy block of allocation 7, 4 record the area's page as vmalloc allocation 7
 *   args[4] bytes written
 *   args[5] iterations (at most 1<<20)
 * A first call that does not pass returns 0xff000000 | its result: every timed path is a pass,
 * the path a legitimate write takes. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "checker.bpf.h"
#include "track.bpf.h"

#define KC_COST_AREA (64 * 1024) /* an array value this large is vmalloc'ed (bpf_map_area_alloc) */

struct kc_cost_value {
	__u8 bytes[KC_COST_AREA];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kc_cost_value);
} kc_cost_area SEC(".maps");

struct kc_cost_call {
	__u32 site;
	__u64 addr;
	__u64 len;
	__u32 empty;
};

static long kc_cost_step(__u64 index, void *data)
{
	struct kc_cost_call *c = data;

	if (!c->empty)
		kc_check_range(c->site, c->addr, c->len, 0);
	return 0;
}

SEC("raw_tp")
int kc_cost(struct bpf_raw_tracepoint_args *ctx)
{
	struct kc_cost_call call = { .site = (__u32)ctx->args[0], .addr = ctx->args[2], .len = ctx->args[4] };
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 mode = ctx->args[1], record = ctx->args[3], n = ctx->args[5], t0, t1, t2;
	__u32 zero = 0;
	int first;

	if (n == 0 || n > (1 << 20))
		return 0xff0000ff;
	if (mode == 1) {
		call.addr = BPF_CORE_READ(t, thread.sp);
	} else if (mode == 2) {
		call.addr = kc_scalar((__u64)t);
	} else if (mode == 3) {
		call.addr = (__u64)BPF_CORE_READ(t, mm, pgd);
	} else if (mode == 4) {
		struct kc_cost_value *v = bpf_map_lookup_elem(&kc_cost_area, &zero);

		if (!v)
			return 0xff0000fe;
		call.addr = kc_scalar((__u64)v);
	}
	if (record == 1) {
		struct kc_cache_key key = { .site = call.site & ~KC_SITE_GS, .cache = kc_cache_of(call.addr) };
		__u8 one = 1;

		bpf_map_update_elem(&kc_allowed_caches, &key, &one, BPF_ANY);
	} else if (record == 2) {
		kc_track(7, call.addr);
	} else if (record == 3) {
		__u64 pfn = kc_pfn_of(call.addr);
		struct kc_page_block b = { .alloc = 7, .order = 0 };

		bpf_map_update_elem(&kc_pages, &pfn, &b, BPF_ANY);
	} else if (record == 4) {
		__u64 page = call.addr >> KC_PAGE_SHIFT;
		struct kc_vm_page p = { .alloc = 7, .pages = KC_COST_AREA >> KC_PAGE_SHIFT, .start = page << KC_PAGE_SHIFT };

		bpf_map_update_elem(&kc_vm_pages, &page, &p, BPF_ANY);
	}
	first = kc_check_range(call.site, call.addr, call.len, 0);
	if (first != KC_PASS)
		return 0xff000000 | (first & 0xff);
	call.empty = 1;
	t0 = bpf_ktime_get_ns();
	bpf_loop(n, kc_cost_step, &call, 0);
	t1 = bpf_ktime_get_ns();
	call.empty = 0;
	bpf_loop(n, kc_cost_step, &call, 0);
	t2 = bpf_ktime_get_ns();
	if (t2 - t1 <= t1 - t0)
		return 0;
	return (__u32)(((t2 - t1) - (t1 - t0)) * 100 / n);
}

char LICENSE[] SEC("license") = "GPL";
