/* SPDX-License-Identifier: GPL-2.0 */
/* checker.bpf.h: the shared run-time checker of kcompart (DESIGN.md §5). One
 * global (non-static, __noinline) BPF function, kc_check(site, addr), verified
 * once by the kernel and called by every site program through kc_site_check().
 * It finds the region an address is in (stack, global, percpu, vmemmap, slab,
 * vmalloc, buddy), compares it with the site's legal set (maps filled by the
 * loader, objects recorded by track.bpf.h's allocation probes), and counts;
 * kc_site_check() reports violations to the ring buffer with a stack id. Also
 * kc_peek, a raw_tp program the loader runs (BPF_PROG_TEST_RUN, never
 * attached) to read kernel words such as cache pointers. Its maps and knobs
 * are defined in maps.bpf.h. Include after vmlinux.h and the libbpf headers,
 * once per BPF object. */
#ifndef KC_CHECKER_BPF_H
#define KC_CHECKER_BPF_H

#include "maps.bpf.h"

/* ---- kernel symbols ---------------------------------------------------------- */
/* 6.13+: the cache of a slab object, NULL for other memory. Weak: absent on older
 * kernels (tested against NULL; libbpf 1.1 has no bpf_ksym_exists). Build with
 * -DKC_NO_KFUNC to leave it out and keep only the CO-RE page walk. */
#ifndef KC_NO_KFUNC
extern struct kmem_cache *bpf_get_kmem_cache(__u64 addr) __ksym __weak;
#endif
/* Typeless: their addresses, read with bpf_probe_read_kernel (x86-64 KASLR bases).
 * Weak: a kernel without CONFIG_RANDOMIZE_MEMORY has no such variables, and the
 * fixed bases below (knobs) hold. */
extern const void page_offset_base __ksym __weak;
extern const void vmemmap_base __ksym __weak;
extern const void vmalloc_base __ksym __weak;
/* The per-cpu base of each CPU (x86-64: CPU c's copy of a per-cpu variable at offset o is at
 * __per_cpu_offset[c] + o): the unit of the CPU a write runs on. */
extern const void __per_cpu_offset __ksym __weak;

/* PG_slab left struct page flags in 6.10: the slab is then a page type (PGTY_slab, top byte of page_type). */
enum pagetype___kc { PGTY_slab___kc = 0xf5 };
/* Flavors (CO-RE drops the ___kc suffix of type and enumerator names), so the
 * file compiles against a vmlinux.h with or without PG_slab. */
enum pageflags___kc { PG_slab___kc = 9 };

/* Loops over a callback `long fn(__u64 i, void *data)` (return 1 to stop): bpf_loop
 * (5.17+; the verifier checks the step once), or, built with -DKC_NO_CALLBACKS for
 * a kernel without a BPF JIT (the interpreter refuses callbacks), a bounded loop
 * of at most `small` steps that the verifier walks through. */
#ifdef KC_NO_CALLBACKS
#define KC_LOOP(n, big, small, fn, data)                                  \
	do {                                                                \
		__u64 __kc_n = (n), __kc_i;                                 \
		for (__kc_i = 0; __kc_i < (small); __kc_i++) {              \
			if (__kc_i >= __kc_n || fn(__kc_i, data))           \
				break;                                      \
		}                                                           \
	} while (0)
#else
#define KC_LOOP(n, big, small, fn, data) bpf_loop((n) < (big) ? (n) : (big), fn, data, 0)
#endif

static __always_inline void kc_count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&kc_counters, &slot);

	if (v)
		*v += 1;
}

static __always_inline __u64 kc_read_u64(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), p);
	return v;
}

/* The stack in use. 2: addr is in the current task's THREAD_SIZE block (exact). 1: the
 * probed instruction runs on another stack (interrupts and softirqs use the per-cpu IRQ
 * stack, vmalloc memory with CONFIG_VMAP_STACK) and addr is in the frames above its stack
 * pointer, at most a THREAD_SIZE above it (an over-approximation, used only to pass). */
static __always_inline int kc_on_stack(__u64 addr, __u64 sp)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 stack = (__u64)BPF_CORE_READ(t, stack);
	__u64 size = kc_thread_size;

	if (!size)
		return 0;
	if (stack && addr >= stack && addr - stack < size)
		return 2;
	if (sp && !(stack && sp >= stack && sp - stack < size) && addr >= sp && addr - sp < size)
		return 1;
	return 0;
}

static __always_inline __u64 kc_page_offset(void)
{
	return &page_offset_base ? kc_read_u64(&page_offset_base) : kc_page_offset_fixed;
}

static __always_inline __u64 kc_vmemmap(void)
{
	return &vmemmap_base ? kc_read_u64(&vmemmap_base) : kc_vmemmap_fixed;
}

static __always_inline __u64 kc_vmalloc_start(void)
{
	return &vmalloc_base ? kc_read_u64(&vmalloc_base) : kc_vmalloc_fixed;
}

static __always_inline int kc_in_vmemmap(__u64 addr)
{
	__u64 base = kc_vmemmap();

	return base && addr >= base && addr - base < kc_vmemmap_size;
}

static __always_inline int kc_in_vmalloc(__u64 addr)
{
	__u64 base = kc_vmalloc_start();

	return base && addr >= base && addr - base < kc_vmalloc_size;
}

static __always_inline int kc_in_direct_map(__u64 addr)
{
	__u64 base = kc_page_offset();

	return base && addr >= base && addr - base < kc_direct_map_size;
}

static __always_inline int kc_in_percpu(__u64 addr)
{
	return kc_rt.percpu_end > kc_rt.percpu_start && addr >= kc_rt.percpu_start && addr < kc_rt.percpu_end;
}

/* The pfn of a direct-map address. */
static __always_inline __u64 kc_pfn_of(__u64 addr)
{
	return (addr - kc_page_offset()) >> KC_PAGE_SHIFT;
}

/* The pfn of a struct page in the vmemmap. */
static __always_inline __u64 kc_pfn_of_page(__u64 page)
{
	__u64 size = bpf_core_type_size(struct page);

	return size ? (page - kc_vmemmap()) / size : 0;
}

/* The head struct page of a direct-map address, 0 outside the direct map. */
static __always_inline struct page *kc_head_page(__u64 addr)
{
	__u64 pob = kc_page_offset();
	__u64 vmb = kc_vmemmap();
	struct page *page;
	__u64 head;

	if (!pob || !vmb || addr < pob || addr - pob >= kc_direct_map_size)
		return 0;
	page = (struct page *)(vmb + ((addr - pob) >> KC_PAGE_SHIFT) * bpf_core_type_size(struct page));
	head = (__u64)BPF_CORE_READ(page, compound_head);
	if (head & 1)
		page = (struct page *)(head - 1);
	return page;
}

/* The kmem_cache of a slab whose head page is `page`, through struct page (pre-6.13 kernels, or kc_use_kfunc = 0). */
static __always_inline __u64 kc_cache_of_head(struct page *page)
{
	if (!page)
		return 0;
	if (bpf_core_enum_value_exists(enum pageflags___kc, PG_slab___kc)) {
		/* read as 8 raw bytes: page->flags became memdesc_flags_t in newer kernels */
		__u64 flags = 0;

		bpf_probe_read_kernel(&flags, sizeof(flags), (void *)page + bpf_core_field_offset(struct page, flags));
		if (!(flags & (1ULL << bpf_core_enum_value(enum pageflags___kc, PG_slab___kc))))
			return 0;
	} else if (bpf_core_enum_value_exists(enum pagetype___kc, PGTY_slab___kc)) {
		__u32 type = BPF_CORE_READ(page, page_type);

		if ((type >> 24) != bpf_core_enum_value(enum pagetype___kc, PGTY_slab___kc))
			return 0;
	} else {
		return 0;
	}
	return (__u64)BPF_CORE_READ((struct slab *)page, slab_cache);
}

static __always_inline __u64 kc_cache_by_page(__u64 addr)
{
	return kc_cache_of_head(kc_head_page(addr));
}

static __always_inline __u64 kc_cache_of(__u64 addr)
{
#ifndef KC_NO_KFUNC
	if (kc_use_kfunc && bpf_get_kmem_cache)
		return (__u64)bpf_get_kmem_cache(addr);
#endif
	return kc_cache_by_page(addr);
}

/* The address of the slab object holding addr (SLUB: objects of `size` bytes from
 * the slab's first byte, after a left red zone when debugging adds one). */
static __always_inline __u64 kc_object_start(__u64 addr, __u64 cache)
{
	struct page *head = kc_head_page(addr);
	struct kmem_cache *s = (struct kmem_cache *)cache;
	__u64 base, size, red = 0;

	if (!head)
		return addr;
	base = kc_page_offset() + (kc_pfn_of_page((__u64)head) << KC_PAGE_SHIFT);
	size = BPF_CORE_READ(s, size);
	if (bpf_core_field_exists(s->red_left_pad))
		red = BPF_CORE_READ(s, red_left_pad);
	if (!size || addr < base)
		return addr;
	return base + ((addr - base) / size) * size + red;
}

/* The bytes of a slab object of `cache` (its object_size: without metadata, red zones, padding), 0 if unknown. */
static __always_inline __u64 kc_object_size(__u64 cache)
{
	struct kmem_cache *s = (struct kmem_cache *)cache;

	return cache ? (__u64)BPF_CORE_READ(s, object_size) : 0;
}

static __always_inline int kc_allowed(__u32 site, __u32 alloc)
{
	struct kc_alloc_key key = { .site = site, .alloc = alloc };

	return bpf_map_lookup_elem(&kc_allowed_allocs, &key) != 0;
}

/* The recorded buddy block holding pfn: its head pfn aligned down for each order. */
static __always_inline struct kc_page_block *kc_page_block_of(__u64 pfn, __u64 *head)
{
	struct kc_page_block *b;
	__u64 h;
	int k;

#pragma unroll
	for (k = 0; k <= KC_MAX_ORDER; k++) {
		h = pfn & ~((1ULL << k) - 1);
		b = bpf_map_lookup_elem(&kc_pages, &h);
		if (b && b->order >= (__u32)k) {
			*head = h;
			return b;
		}
	}
	return 0;
}

/* 1 when a < b (unsigned), computed without a branch (Hacker's Delight 2-12): the borrow out
 * of a - b. */
static __always_inline __u64 kc_below(__u64 a, __u64 b)
{
	__u64 borrow = (~a & b) | ((~a | b) & (a - b)), bit;

	/* both hidden, or clang folds the expression back into a compare and a branch */
	barrier_var(borrow);
	bit = borrow >> 63;
	barrier_var(bit);
	return bit;
}

/* The slot of a site's global range that holds addr, or -1. The ranges are at most
 * KC_MAX_SITE_GLOBALS slots from `first`, sorted by start and disjoint (the loader sorts
 * them). A binary search by powers of two finds how many ranges start at or below addr in
 * one step per bit of the site's count (at most KC_SITE_GLOBAL_STEPS, 17, for all 65,536
 * slots; one for a site with one range); the last of them is the only one
 * that can hold addr. Each step is arithmetic with no branch on the comparison (its mask
 * hidden from the compiler, which would make it a branch), so the verifier walks one path,
 * not one per outcome: a branching search over 256 ranges (9 steps) was all it could afford,
 * and the loader widened a whole-kernel typed fallback naming thousands of globals to any
 * memory. A global function: checked once, not at every caller. */
__noinline int kc_site_global_slot(__u32 first, __u32 count, __u64 addr)
{
	__u64 n = count, pos = 0, step;
	struct kc_range *r;
	__u32 slot;
	int k;

	if (n > KC_MAX_SITE_GLOBALS)
		n = KC_MAX_SITE_GLOBALS;
	/* the largest power of two at or below n (0 for none): the steps then sum to at least n, and
	 * a site with few ranges takes few steps, not all KC_SITE_GLOBAL_STEPS */
	step = n | n >> 1;
	step |= step >> 2;
	step |= step >> 4;
	step |= step >> 8;
	step |= step >> 16;
	step -= step >> 1;
#pragma unroll
	for (k = 0; k < KC_SITE_GLOBAL_STEPS; k++) {
		/* the candidate pos + step - 1: within the site's ranges, and starting at or below addr */
		__u64 idx = pos + step - 1, inside = kc_below(idx, n), take;

		/* the steps past the last bit of the count: nothing to look up (kept in the loop, which
		 * clang unrolls only without an exit) */
		if (!step)
			continue;
		slot = first + (__u32)(idx * inside);
		r = bpf_map_lookup_elem(&kc_globals, &slot);
		if (!r)
			return -1;
		take = inside & (kc_below(addr, r->start) ^ 1);
		/* a product, not a mask from -take: a verifier forks its state on such masks */
		pos += step * take;
		step >>= 1;
	}
	if (!pos)
		return -1;
	slot = first + (__u32)(pos - 1);
	r = bpf_map_lookup_elem(&kc_globals, &slot);
	return r && addr < r->end ? (int)slot : -1;
}

/* Whether addr lies in one of the site's global ranges (kc_site_global_slot), and that range. */
static __always_inline int kc_in_site_globals(const struct kc_site_policy *p, __u64 addr, __u64 *lo_out, __u64 *hi_out)
{
	int found = kc_site_global_slot(p->global_first, p->global_count, addr);
	__u32 slot;
	struct kc_range *r;

	if (found < 0)
		return 0;
	slot = (__u32)found;
	r = bpf_map_lookup_elem(&kc_globals, &slot);
	if (!r)
		return 0;
	*lo_out = r->start;
	*hi_out = r->end;
	return 1;
}

/* Addresses at or above this are the kernel's half: global ranges start there, per-cpu offsets below it. */
#define KC_KERNEL_HALF (1ULL << 63)

/* The per-cpu unit of the CPU this runs on, 0 if unknown. */
static __always_inline __u64 kc_this_cpu_base(void)
{
	__u64 cpu = bpf_get_smp_processor_id();

	if (!&__per_cpu_offset || cpu >= 8192)
		return 0;
	return kc_read_u64((const char *)&__per_cpu_offset + cpu * sizeof(__u64));
}

/* 1 when a gs-relative write at offset `off` (>= `from`) lands in per-cpu memory. The offset is
 * the attacker's as much as any pointer, and gs base + offset may be anything (a cred, the kernel
 * image, a BPF map): per-cpu memory is this CPU's unit of the first chunk, or a later chunk, which
 * the allocator vmallocs at the top of the vmalloc area (pcpu_get_vm_areas), never elsewhere in
 * it. *lo, *hi: the extent in offsets (0, 0: unknown, the last byte is checked too). */
static __always_inline int kc_gs_lands_in_percpu(__u64 off, __u64 from, __u64 *lo, __u64 *hi)
{
	__u64 cpu = kc_this_cpu_base(), a;

	if (!cpu) {
		*lo = from; /* no base to bound it with */
		*hi = ~0ULL;
		return 1;
	}
	if (kc_rt.percpu_unit && off < kc_rt.percpu_unit) {
		*lo = from;
		*hi = kc_rt.percpu_unit;
		return 1;
	}
	a = cpu + off;
	*lo = *hi = 0;
	if (!kc_rt.percpu_unit && a >= kc_rt.percpu_start && a < kc_rt.percpu_end)
		return 1;
	return kc_in_vmalloc(a) && a - kc_vmalloc_start() >= kc_vmalloc_size - KC_PERCPU_VM_WINDOW;
}

/* A per-cpu write at offset `off` of the unit at `base` (0 for a gs-relative write, whose address
 * is the offset): 1 when it lies in one of the site's per-cpu variables (the small ranges of its
 * global run: [offset, offset + size) from the policy), or, for a site that may write dynamically
 * allocated per-cpu areas, past the kernel image's static per-cpu variables. *lo, *hi: the extent
 * that let it pass, in the caller's address space. */
static __always_inline int kc_percpu_pass(const struct kc_site_policy *p, __u32 flags, __u64 base, __u64 off, __u64 *lo, __u64 *hi)
{
	__u64 s = 0, e = 0;

	if (off < KC_KERNEL_HALF && kc_in_site_globals(p, off, &s, &e) && s < KC_KERNEL_HALF) {
		*lo = base + s;
		*hi = base + e;
		return 1;
	}
	if ((flags & KC_F_PERCPU_AREAS) && kc_rt.percpu_static_end && off >= kc_rt.percpu_static_end) {
		if (!base)
			return kc_gs_lands_in_percpu(off, kc_rt.percpu_static_end, lo, hi);
		*lo = base + kc_rt.percpu_static_end;
		*hi = kc_rt.percpu_unit ? base + kc_rt.percpu_unit : ~0ULL;
		return 1;
	}
	return 0;
}

/* The unit holding a per-cpu area address: this CPU's, else (per_cpu_ptr of another CPU) by the
 * units' stride when the loader found them evenly laid out; 0 if unknown. */
static __always_inline __u64 kc_percpu_unit_of(__u64 addr)
{
	__u64 base = kc_this_cpu_base(), unit = kc_rt.percpu_unit;

	if (base && unit && addr >= base && addr - base < unit)
		return base;
	if (unit && kc_rt.percpu_contiguous && addr >= kc_rt.percpu_start)
		return kc_rt.percpu_start + ((addr - kc_rt.percpu_start) / unit) * unit;
	return 0;
}

/* 1 when `site` wrote the adopted memory `id` during the audit phase (kc_adopted). */
static __always_inline int kc_adopted_by(__u32 site, __u64 id)
{
	struct kc_adopt_key key = { .site = site, .id = id };

	return bpf_map_lookup_elem(&kc_adopted, &key) != 0;
}

/* Records that `site` wrote the adopted memory `id` (slab object, vmalloc page, pfn) during audit. */
static __always_inline void kc_adopt_for(__u32 site, __u64 id)
{
	struct kc_adopt_key key = { .site = site, .id = id };
	__u8 one = 1;

	if (bpf_map_update_elem(&kc_adopted, &key, &one, BPF_ANY))
		kc_count(KC_CNT_TRACK_FULL);
}

/* How kc_tracked_pass decided. */
#define KC_TRACK_VIOLATION 0
#define KC_TRACK_PASS      1
#define KC_TRACK_UNKNOWN   2 /* memory no probe recorded, of an owner the site may reach but the checker cannot name */

/* Decides memory that an allocation probe may have recorded (alloc: its record, or
 * KC_ALLOC_NONE). Recorded memory (an exact compartment allocation, an analyzed function's
 * group, or an unknown allocation site: track.bpf.h records the whole kernel) passes only
 * when the site tracks that kind and the allocation is allowed for it. In the audit phase, memory no probe recorded is adopted (*adopt asks
 * the caller to record it for this site) when the site tracks that kind; adopted memory
 * (`id`: the object, vmalloc page or pfn) is legal after audit only for the sites that
 * wrote it then. Unrecorded (or adopted by other sites) memory is of unknown owner for a
 * site whose set reaches allocations no probe records (`untracked`: UNTRACKED_*, or
 * FOREIGN: objects the rest of the kernel allocated): the old-objects rule decides it. */
static __always_inline int kc_tracked_pass(__u32 site, __u32 flags, __u32 alloc, __u32 tracked, __u32 untracked, int *adopt, __u64 id)
{
	if (alloc != KC_ALLOC_NONE && alloc != KC_ALLOC_ADOPTED)
		return (flags & tracked) && kc_allowed(site, alloc) ? KC_TRACK_PASS : KC_TRACK_VIOLATION;
	if (alloc == KC_ALLOC_ADOPTED && (flags & tracked) && kc_adopted_by(site, id))
		return KC_TRACK_PASS;
	if (!kc_enforce && (flags & tracked)) {
		*adopt = 1;
		return KC_TRACK_PASS;
	}
	if (flags & untracked)
		return KC_TRACK_UNKNOWN;
	return KC_TRACK_VIOLATION;
}

/* 1 when a cache is one of the general kmalloc caches (kmalloc-64, kmalloc-cg-64,
 * kmalloc-rcl-64, dma-kmalloc-64): their objects have no type of their own. */
static __always_inline int kc_general_cache(__u64 cache)
{
	char name[16] = {};
	struct kmem_cache *kc = (struct kmem_cache *)cache;
	const char *p = BPF_CORE_READ(kc, name);

	if (!p || bpf_probe_read_kernel_str(name, sizeof(name), p) < 0)
		return 1; /* unreadable: no type either */
	if (name[0] == 'd' && name[1] == 'm' && name[2] == 'a' && name[3] == '-')
		return name[4] == 'k' && name[5] == 'm' && name[6] == 'a' && name[7] == 'l' && name[8] == 'l' && name[9] == 'o' && name[10] == 'c';
	return name[0] == 'k' && name[1] == 'm' && name[2] == 'a' && name[3] == 'l' && name[4] == 'l' && name[5] == 'o' && name[6] == 'c' && name[7] == '-';
}

static __always_inline void kc_note(__u32 region, __u32 alloc, __u64 cache, __u64 object)
{
	__u32 zero = 0;
	struct kc_finding *f = bpf_map_lookup_elem(&kc_last, &zero);

	if (f) {
		f->region = region;
		f->alloc = alloc;
		f->cache = cache;
		f->object = object;
	}
}

/* Checks one write of site `site` (| KC_SITE_GS for gs-relative writes) to `addr`, made with
 * the stack pointer `sp` (0: unknown): KC_PASS, KC_VIOLATION or KC_UNKNOWN_SITE. What it
 * found is left in kc_last. A site of the skb-head class (KC_F_SKB_HEAD) passes for a slab
 * object, recorded buddy block or recorded vmalloc area registered in kc_skb_heads (the span is
 * that object, block or area); the rest of its memory is decided as for any site, so with no
 * allocation id and only UNTRACKED_* flags recorded memory is a violation and unrecorded memory
 * follows the old-objects rule. */
__noinline int kc_check(__u32 site, __u64 addr, __u64 sp)
{
	struct kc_site_policy *p;
	__u32 regions, flags, foreign_set, found = 0, alloc = KC_ALLOC_NONE;
	__u64 cache = 0, object = 0;
	int adopt = 0, on_stack;
	__u32 pass_slot = KC_CNT_PASS_STACK;
	/* the extent of what holds addr when it passes (kc_spans, for kc_check_range); 0, 0: unknown */
	__u64 span_lo = 0, span_hi = 0;

	__u32 gs = site & KC_SITE_GS;

	site &= ~KC_SITE_GS;
	kc_count(KC_CNT_CHECKS);
	p = bpf_map_lookup_elem(&kc_sites, &site);
	if (!p) {
		kc_count(KC_CNT_UNKNOWN_SITE);
		return KC_UNKNOWN_SITE;
	}
	regions = p->regions;
	flags = p->flags;
	foreign_set = p->foreign_set;
	if (regions & KC_R_ANY) {
		span_hi = ~0ULL;
		goto pass;
	}
	if (gs) {
		/* addr is the offset in this CPU's unit: bounded to the site's per-cpu variables (or the
		 * dynamic areas past the static ones); a policy that names none allows any offset */
		pass_slot = KC_CNT_PASS_PERCPU;
		found = KC_R_PERCPU;
		if (regions & KC_R_PERCPU) {
			/* any per-cpu memory: the static variables or any area, still per-cpu memory */
			if ((flags & KC_F_PERCPU_ANY) && kc_gs_lands_in_percpu(addr, 0, &span_lo, &span_hi))
				goto pass;
			if (kc_percpu_pass(p, flags, 0, addr, &span_lo, &span_hi))
				goto pass;
		}
		goto violation;
	}

	on_stack = kc_on_stack(addr, sp);
	if (on_stack) {
		pass_slot = KC_CNT_PASS_STACK;
		if (on_stack == 2) {
			struct task_struct *t = bpf_get_current_task_btf();

			span_lo = (__u64)BPF_CORE_READ(t, stack);
		} else {
			span_lo = sp;
		}
		span_hi = span_lo + kc_thread_size;
		if (regions & KC_R_STACK)
			goto pass;
		if (on_stack == 2)
			found = KC_R_STACK;
	}
	pass_slot = KC_CNT_PASS_GLOBAL;
	span_lo = span_hi = 0;
	/* global ranges are kernel addresses; the run's per-cpu ranges (offsets) never match here */
	if (regions & KC_R_GLOBAL && addr >= KC_KERNEL_HALF && kc_in_site_globals(p, addr, &span_lo, &span_hi) && span_lo >= KC_KERNEL_HALF)
		goto pass;
	span_lo = span_hi = 0;
	if (kc_in_percpu(addr)) {
		/* this_cpu_ptr / per_cpu_ptr writes: the offset in the unit holding addr, bounded like a gs write */
		__u64 base = kc_percpu_unit_of(addr);

		found = KC_R_PERCPU;
		pass_slot = KC_CNT_PASS_PERCPU;
		if (regions & KC_R_PERCPU) {
			if (base && !(flags & KC_F_PERCPU_ANY) && kc_percpu_pass(p, flags, base, addr - base, &span_lo, &span_hi))
				goto pass;
			if ((flags & KC_F_PERCPU_ANY) || (!base && (flags & KC_F_PERCPU_AREAS))) {
				/* no bound known (an older policy, or units the loader could not lay out): the whole area */
				span_lo = kc_rt.percpu_start;
				span_hi = kc_rt.percpu_end;
				goto pass;
			}
		}
		span_lo = span_hi = 0;
	}
	if (kc_in_vmemmap(addr)) {
		found = KC_R_VMEMMAP;
		pass_slot = KC_CNT_PASS_VMEMMAP;
		span_lo = kc_vmemmap();
		span_hi = span_lo + kc_vmemmap_size;
		if (regions & KC_R_VMEMMAP)
			goto pass;
	}
	if (found)
		goto violation;

	cache = kc_cache_of(addr);
	if (cache) {
		struct kc_cache_key key = { .site = site, .cache = cache };
		struct kc_object *o;

		found = KC_R_SLAB;
		pass_slot = KC_CNT_PASS_SLAB;
		object = kc_object_start(addr, cache);
		span_lo = object;
		span_hi = object + kc_object_size(cache);
		o = bpf_map_lookup_elem(&kc_objects, &object);
		if (o)
			alloc = o->alloc;
		if (!(regions & KC_R_SLAB) && !(flags & KC_F_FOREIGN))
			goto violation;
		if (bpf_map_lookup_elem(&kc_allowed_caches, &key))
			goto pass;
		if ((flags & KC_F_SKB_HEAD) && bpf_map_lookup_elem(&kc_skb_heads, &object)) {
			/* the head buffer of an sk_buff (a kmalloc'd head): the class the site's set names */
			kc_count(KC_CNT_PASS_SKB_HEAD);
			goto pass;
		}
		if ((flags & KC_F_FOREIGN) && alloc >= KC_FN_ALLOC_BASE && alloc != KC_ALLOC_ADOPTED &&
		    !(alloc != KC_ALLOC_NONE && kc_allowed(site, alloc)) && !kc_general_cache(cache)) {
			/* unrecorded, or made by an owner outside the set (an unknown allocation site, an analyzed
			 * function whose sites the set does not name), in a dedicated cache the set does not name:
			 * its objects are of the type it was created for, known by its size, unless the cache
			 * is known to be created for another type (cred_jar is 176 bytes like an rtable) */
			struct kc_size_key sk = { .set = foreign_set, .size = (__u32)kc_object_size(cache) };

			if (bpf_map_lookup_elem(&kc_foreign_sizes, &sk) && !bpf_map_lookup_elem(&kc_typed_caches, &cache)) {
				kc_count(KC_CNT_FOREIGN_PASS);
				goto pass;
			}
			/* sized like no admitted type: not a T (unless an untracked site may own it) */
			if (!(flags & KC_F_UNTRACKED_SLAB))
				goto violation;
		}
		switch (kc_tracked_pass(site, flags, alloc, KC_F_TRACKED_SLAB, KC_F_UNTRACKED_SLAB | KC_F_FOREIGN, &adopt, object)) {
		case KC_TRACK_PASS:
			if (adopt) {
				struct kc_object rec = { .alloc = KC_ALLOC_ADOPTED };

				if (alloc == KC_ALLOC_ADOPTED || bpf_map_update_elem(&kc_objects, &object, &rec, BPF_NOEXIST) == 0) {
					if (alloc != KC_ALLOC_ADOPTED)
						kc_count(KC_CNT_ADOPTED);
					kc_adopt_for(site, object);
				} else {
					kc_count(KC_CNT_TRACK_FULL);
				}
			}
			goto pass;
		case KC_TRACK_UNKNOWN:
			goto unknown;
		}
		goto violation;
	}
	if (kc_in_vmalloc(addr)) {
		__u64 page = addr >> KC_PAGE_SHIFT;
		struct kc_vm_page *v = bpf_map_lookup_elem(&kc_vm_pages, &page);

		found = KC_R_VMALLOC;
		pass_slot = KC_CNT_PASS_VMALLOC;
		if (v) {
			alloc = v->alloc;
			object = v->start;
			if (alloc != KC_ALLOC_ADOPTED) {
				/* the area's first page holds its size in pages */
				__u64 first = v->start >> KC_PAGE_SHIFT;
				struct kc_vm_page *f = bpf_map_lookup_elem(&kc_vm_pages, &first);

				if (f && f->pages) {
					span_lo = v->start;
					span_hi = v->start + ((__u64)f->pages << KC_PAGE_SHIFT);
				}
			}
		}
		/* per-cpu chunks after the first are vmalloc memory that no vmalloc probe records; the
		 * kernel places them at the top of the vmalloc area (pcpu_get_vm_areas), far from stacks,
		 * maps and other areas, which start at its bottom */
		if (!v && (regions & KC_R_PERCPU) && (flags & (KC_F_PERCPU_AREAS | KC_F_PERCPU_ANY)) &&
		    addr - kc_vmalloc_start() >= kc_vmalloc_size - KC_PERCPU_VM_WINDOW) {
			kc_count(KC_CNT_UNTRACKED_PASS);
			goto pass;
		}
		if (!(regions & KC_R_VMALLOC) && !(flags & KC_F_FOREIGN))
			goto violation;
		if (v && (flags & KC_F_SKB_HEAD)) {
			__u64 start = v->start;

			if (bpf_map_lookup_elem(&kc_skb_heads, &start)) {
				kc_count(KC_CNT_PASS_SKB_HEAD);
				goto pass;
			}
		}
		switch (kc_tracked_pass(site, flags, alloc, KC_F_TRACKED_VMALLOC, KC_F_UNTRACKED_VMALLOC | KC_F_FOREIGN, &adopt, page << KC_PAGE_SHIFT)) {
		case KC_TRACK_PASS:
			if (adopt) {
				struct kc_vm_page rec = { .alloc = KC_ALLOC_ADOPTED, .pages = 1, .start = page << KC_PAGE_SHIFT };

				if (alloc != KC_ALLOC_ADOPTED && bpf_map_update_elem(&kc_vm_pages, &page, &rec, BPF_NOEXIST) == 0)
					kc_count(KC_CNT_ADOPTED);
				kc_adopt_for(site, page << KC_PAGE_SHIFT);
			}
			goto pass;
		case KC_TRACK_UNKNOWN:
			goto unknown;
		}
		goto violation;
	}
	if (kc_in_direct_map(addr)) {
		/* not a slab object: a buddy block (a __get_free_pages block, or the pages of a large kmalloc) */
		__u64 head = 0;
		struct kc_page_block *b = kc_page_block_of(kc_pfn_of(addr), &head);

		found = KC_R_BUDDY;
		pass_slot = KC_CNT_PASS_BUDDY;
		if (b) {
			alloc = b->alloc;
			object = head;
			if (alloc != KC_ALLOC_ADOPTED) {
				span_lo = kc_page_offset() + (head << KC_PAGE_SHIFT);
				span_hi = span_lo + (KC_PAGE_SIZE << (b->order & 31));
			}
		}
		/* large kmalloc objects are buddy blocks recorded for their slab site */
		if (!(regions & (KC_R_BUDDY | KC_R_SLAB)) && !(flags & KC_F_FOREIGN))
			goto violation;
		/* an skb head in a buddy block (a page_frag refill the heads are carved from, a large kmalloc'd head) */
		if (b && (flags & KC_F_SKB_HEAD) && bpf_map_lookup_elem(&kc_skb_heads, &head)) {
			kc_count(KC_CNT_PASS_SKB_HEAD);
			goto pass;
		}
		switch (kc_tracked_pass(site, flags, alloc, KC_F_TRACKED_BUDDY | KC_F_TRACKED_SLAB,
					KC_F_UNTRACKED_BUDDY | KC_F_FOREIGN | ((regions & KC_R_SLAB) ? KC_F_UNTRACKED_SLAB : 0), &adopt,
					b ? head : kc_pfn_of(addr))) {
		case KC_TRACK_PASS:
			if (adopt) {
				struct kc_page_block rec = { .alloc = KC_ALLOC_ADOPTED, .order = 0 };
				__u64 pfn = kc_pfn_of(addr);

				if (alloc != KC_ALLOC_ADOPTED && bpf_map_update_elem(&kc_pages, &pfn, &rec, BPF_NOEXIST) == 0)
					kc_count(KC_CNT_ADOPTED);
				kc_adopt_for(site, b ? head : pfn);
			}
			goto pass;
		case KC_TRACK_UNKNOWN:
			goto unknown;
		}
		goto violation;
	}
violation:
	kc_note(found, alloc, cache, object);
	return KC_VIOLATION;
unknown:
	/* memory of unknown owner (allocated before the load, or by code the policy cannot type) */
	kc_count(KC_CNT_UNKNOWN_OWNER);
	if (kc_old_objects == KC_OLD_PASS) {
		kc_count(KC_CNT_UNTRACKED_PASS);
		goto pass;
	}
	kc_note(found, alloc, cache, object);
	return kc_old_objects == KC_OLD_VIOLATION ? KC_VIOLATION : KC_REPORT;
pass:
	kc_count(KC_CNT_PASSES);
	kc_count(pass_slot);
	{
		__u32 zero = 0;
		struct kc_span *sp_out = bpf_map_lookup_elem(&kc_spans, &zero);

		if (sp_out) {
			sp_out->lo = span_lo;
			sp_out->hi = span_hi;
			sp_out->region = found;
			sp_out->alloc = alloc;
			sp_out->cache = cache;
		}
	}
	return KC_PASS;
}

/* 1 when [addr, last] meets the run time's own memory: the deny table, sorted and disjoint
 * (a binary search for the first range ending after addr). */
static __always_inline int kc_denied(__u64 addr, __u64 last)
{
	__u32 lo = 0, hi = kc_deny.count, mid;
	int k;

	if (hi > KC_MAX_DENY)
		hi = KC_MAX_DENY;
	for (k = 0; k < 7; k++) {
		if (lo >= hi)
			break;
		/* KC_MAX_DENY is a power of two: the mask is what the verifier sees */
		mid = ((lo + hi) / 2) & (KC_MAX_DENY - 1);
		if (kc_deny.r[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= hi && lo >= (kc_deny.count < KC_MAX_DENY ? kc_deny.count : KC_MAX_DENY))
		return 0;
	mid = lo & (KC_MAX_DENY - 1);
	return kc_deny.r[mid].start <= last && kc_deny.r[mid].end > addr;
}

/* Checks the write of `len` bytes at `addr` (1 when len is 0) by site `site` (| KC_SITE_GS):
 * first against the run time's own memory (never legal, for any site), then its first byte by
 * kc_check, then that the whole range lies inside the same object, stack, block or global range
 * that let the first byte pass (an 8-byte store that starts in an allowed object and ends in the
 * next is a violation); where kc_check cannot name that extent, the last byte is checked too. */
__noinline int kc_check_range(__u32 site, __u64 addr, __u64 len, __u64 sp)
{
	__u32 zero = 0;
	struct kc_span *s;
	__u64 last;
	int ret;

	if (!len)
		len = 1;
	last = addr + len - 1;
	/* the run time's own memory, at the linear address the write reaches (gs: this CPU's base + offset) */
	__u64 lin = site & KC_SITE_GS ? kc_this_cpu_base() + addr : addr;

	if (lin + len - 1 < lin || kc_denied(lin, lin + len - 1)) {
		kc_count(KC_CNT_CHECKS);
		kc_count(KC_CNT_DENIED);
		kc_note(KC_R_RUNTIME, KC_ALLOC_NONE, 0, 0);
		return KC_VIOLATION;
	}
	ret = kc_check(site, addr, sp);
	if (ret != KC_PASS || len == 1)
		return ret;
	s = bpf_map_lookup_elem(&kc_spans, &zero);
	if (!s)
		return ret;
	if (s->hi > s->lo) {
		if (addr >= s->lo && last < s->hi)
			return KC_PASS;
		kc_count(KC_CNT_CROSSED);
		kc_note(s->region, s->alloc, s->cache, s->lo);
		return KC_VIOLATION;
	}
	return kc_check(site, last, sp);
}

/* 1 when SIGKILL may be sent to the current task for a write made with stack pointer sp: a
 * user task (not a kthread) running on its own stack (not an interrupt or a softirq on the
 * IRQ stack, whose "current" is whatever task was interrupted). */
static __always_inline int kc_may_kill(__u64 sp)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 stack = (__u64)BPF_CORE_READ(t, stack);

	if (BPF_CORE_READ(t, flags) & 0x00200000 /* PF_KTHREAD */)
		return 0;
	return sp && stack && sp >= stack && sp - stack < kc_thread_size;
}

/* What a site program does: check the range written; on a violation count it (audit) or report it with the
 * kernel stack and answer it (enforce: --on-violation kill sends SIGKILL to the task that
 * wrote); memory of unknown owner under the rule "report" is reported once per (site,
 * cache). Inline, because a stack id needs the program's context, which a global function
 * cannot take from every program type. */
static __always_inline int kc_site_check(void *ctx, __u32 site, __u64 addr, __u64 len, __u64 sp)
{
	__u32 zero = 0;
	struct kc_finding *f;
	struct kc_event *e;
	int ret, killed = 0;

	if (kc_count_hits) {
		__u32 k = site & ~KC_SITE_GS;
		__u64 *h = bpf_map_lookup_elem(&kc_hits, &k);

		if (h)
			*h += 1;
	}
	ret = kc_check_range(site, addr, len, sp);
	if (ret != KC_VIOLATION && ret != KC_REPORT)
		return ret;
	if (!kc_enforce) {
		kc_count(KC_CNT_AUDITED);
		return ret;
	}
	f = bpf_map_lookup_elem(&kc_last, &zero);
	if (ret == KC_REPORT) {
		struct kc_cache_key key = { .site = site & ~KC_SITE_GS, .cache = f ? f->cache : 0 };
		__u8 one = 1;

		kc_count(KC_CNT_REPORTED);
		if (bpf_map_update_elem(&kc_reported, &key, &one, BPF_NOEXIST))
			return ret; /* reported already */
	} else {
		kc_count(KC_CNT_VIOLATIONS);
		if (kc_on_violation == KC_ON_VIOLATION_KILL) {
			if (kc_may_kill(sp) && bpf_send_signal(9 /* SIGKILL */) == 0) {
				kc_count(KC_CNT_KILLED);
				killed = 1;
			} else {
				kc_count(KC_CNT_KILL_SKIPPED);
			}
		}
	}
	e = bpf_ringbuf_reserve(&kc_events, sizeof(*e), 0);
	if (!e) {
		kc_count(KC_CNT_DROPS);
		return ret;
	}
	e->site = site & ~KC_SITE_GS;
	e->addr = addr;
	e->region = f ? f->region : 0;
	e->cache = f ? f->cache : 0;
	e->object = f ? f->object : 0;
	e->alloc = f ? f->alloc : KC_ALLOC_NONE;
	e->phase = 1;
	e->kind = ret == KC_REPORT ? KC_EVENT_UNKNOWN : KC_EVENT_VIOLATION;
	e->object_size = f && f->cache ? kc_object_size(f->cache) : 0;
	e->killed = killed;
	e->pad = 0;
	e->cache_name[0] = 0;
	if (f && f->cache) {
		struct kmem_cache *kc = (struct kmem_cache *)f->cache;
		const char *name = BPF_CORE_READ(kc, name);

		if (!name || bpf_probe_read_kernel_str(e->cache_name, sizeof(e->cache_name), name) < 0)
			e->cache_name[0] = 0;
	}
	e->pid = (__u32)bpf_get_current_pid_tgid();
	e->stack_id = bpf_get_stackid(ctx, &kc_stacks, 0);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return ret;
}

/* A rep-prefixed string store (rep stos / rep movs) at its instruction: `count` elements of
 * `elem` bytes from `di`, upwards, or downwards when the direction flag is set. */
/* The bytes a rep string store writes: `count` elements of `elem` bytes from `di`, upwards, or
 * downwards when the direction flag is set; 0 when it writes nothing. */
static __always_inline int kc_rep_range(__u64 di, __u64 count, __u64 elem, __u64 flags, __u64 *addr, __u64 *len)
{
	__u64 bytes;

	if (!count)
		return 0; /* nothing is written */
	if (count > (1ULL << 40))
		count = 1ULL << 40; /* a wrapped range fails in kc_check_range anyway */
	bytes = count * elem;
	*addr = (flags & KC_EFLAGS_DF) ? di - bytes + elem : di;
	*len = bytes;
	return 1;
}

static __always_inline int kc_site_check_rep(void *ctx, __u32 site, __u64 di, __u64 count, __u64 elem, __u64 flags, __u64 sp)
{
	__u64 addr = 0, len = 0;

	if (!kc_rep_range(di, count, elem, flags, &addr, &len))
		return KC_PASS;
	return kc_site_check(ctx, site, addr, len, sp);
}

/* The address of the symbol (+ addend) of a site whose displacement is a relocation (the loader fills kc_relocs). */
static __always_inline __u64 kc_reloc(__u32 site)
{
	__u64 *v = bpf_map_lookup_elem(&kc_relocs, &site);

	return v ? *v : 0;
}

/* Scalar of a pointer the verifier tracks (a map, a map value): read back from the stack. */
static __always_inline __u64 kc_scalar(__u64 p)
{
	volatile __u64 slot = p;
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), (const void *)&slot);
	return v;
}

static __always_inline void kc_where_put(__u32 *n, __u64 lo, __u64 hi)
{
	__u32 key = *n;
	struct kc_peek_slot *s;

	if (key >= KC_PEEK_SLOTS || !lo || hi <= lo)
		return;
	s = bpf_map_lookup_elem(&kc_peek_slots, &key);
	if (!s)
		return;
	s->addr = lo;
	s->val = hi;
	s->err = 0;
	*n = key + 1;
}

/* An array map from its struct bpf_map: the bpf_array and its values, one allocation. */
static __always_inline void kc_where_array(__u32 *n, __u64 map)
{
	struct bpf_array *a = (struct bpf_array *)map;
	__u64 size = BPF_CORE_READ(a, map.value_size), max = BPF_CORE_READ(a, map.max_entries);

	kc_where_put(n, map, map + bpf_core_field_offset(struct bpf_array, value) + ((size + 7) & ~7ULL) * max);
}

/* A global-data array map from the address of a variable at `off` bytes into it (its only value). */
static __always_inline void kc_where_data(__u32 *n, __u64 var, __u64 off)
{
	__u64 map = var - off - bpf_core_field_offset(struct bpf_array, value);

	kc_where_array(n, map);
}

/* A preallocated hash map: its struct, its buckets and its elements (max_entries + one per cpu). */
static __always_inline void kc_where_hash(__u32 *n, __u64 map, __u64 ncpus)
{
	struct bpf_htab *h = (struct bpf_htab *)map;
	__u64 elems = (__u64)BPF_CORE_READ(h, elems), buckets = (__u64)BPF_CORE_READ(h, buckets);
	__u64 esize = BPF_CORE_READ(h, elem_size), nb = BPF_CORE_READ(h, n_buckets), max = BPF_CORE_READ(h, map.max_entries);

	kc_where_put(n, map, map + bpf_core_type_size(struct bpf_htab));
	kc_where_put(n, buckets, buckets + nb * bpf_core_type_size(struct bucket));
	kc_where_put(n, elems, elems + esize * (max + ncpus));
}

/* The attack matrix's question (bench:attack), asked through BPF_PROG_TEST_RUN over the live
 * maps, never attached: would a one-byte write of site args[0] to address args[1] pass
 * (the run time's own memory first, as for every site)? Returns
 * kc_check's verdict in bits 0-7 and the region found in bits 8-15. */
SEC("raw_tp")
int kc_matrix(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 zero = 0;
	__u64 addr;
	int ret;

	if (ctx->args[0] == KC_MATRIX_WHERE) {
		/* where the run time's own phase flag lives: a target of the matrix */
		struct kc_peek_slot *s = bpf_map_lookup_elem(&kc_peek_slots, &zero);

		if (s)
			s->val = (__u64)&kc_enforce;
		return 0;
	}
	/* a gs-relative site writes gs base + offset: the attacker's offset that reaches the target is
	 * the target minus this CPU's base (the site writes wherever that sum lands) */
	addr = ctx->args[1];
	if ((ctx->args[0] & KC_SITE_GS) && kc_this_cpu_base())
		addr -= kc_this_cpu_base();
	ret = kc_check_range((__u32)ctx->args[0], addr, 1, 0);
	struct kc_finding *f = bpf_map_lookup_elem(&kc_last, &zero);

	return ret | ((ret != KC_PASS && f ? f->region & 0xff : 0) << 8);
}

/* Finds the kernel address ranges of the run time's own maps and global data (self-defence):
 * run by the loader through BPF_PROG_TEST_RUN (args[0]: possible cpus; args[1..3]: the offsets of
 * kc_enforce, kc_rt and kc_thread_size in their sections), never attached. Writes the ranges into
 * kc_peek_slots (addr = start, val = end); returns how many. The loader adds its program images,
 * sorts and merges them into kc_deny. */
SEC("raw_tp")
int kc_whereis(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 ncpus = ctx->args[0];
	__u32 n = 0, k;

	for (k = 0; k < KC_PEEK_SLOTS; k++) {
		__u32 key = k;
		struct kc_peek_slot *s = bpf_map_lookup_elem(&kc_peek_slots, &key);

		if (s) {
			s->addr = 0;
			s->val = 0;
		}
	}
	if (ncpus > 4096)
		ncpus = 4096;
	kc_where_array(&n, kc_scalar((__u64)&kc_sites));
	kc_where_array(&n, kc_scalar((__u64)&kc_globals));
	kc_where_array(&n, kc_scalar((__u64)&kc_relocs));
	kc_where_array(&n, kc_scalar((__u64)&kc_recipes));
	kc_where_array(&n, kc_scalar((__u64)&kc_vm_callers));
	kc_where_array(&n, kc_scalar((__u64)&kc_peek_slots));
	kc_where_array(&n, kc_scalar((__u64)&kc_fns));
	kc_where_array(&n, kc_scalar((__u64)&kc_skb_ctors));
	kc_where_data(&n, kc_scalar((__u64)&kc_enforce), ctx->args[1]);
	kc_where_data(&n, kc_scalar((__u64)&kc_rt), ctx->args[2]);
	kc_where_data(&n, kc_scalar((__u64)&kc_deny), 0);
	kc_where_data(&n, kc_scalar((__u64)&kc_thread_size), ctx->args[3]);
	kc_where_data(&n, kc_scalar((__u64)&kc_policy_hash), 0);
	kc_where_hash(&n, kc_scalar((__u64)&kc_allowed_caches), ncpus);
	kc_where_hash(&n, kc_scalar((__u64)&kc_allowed_allocs), ncpus);
	kc_where_hash(&n, kc_scalar((__u64)&kc_objects), ncpus);
	kc_where_hash(&n, kc_scalar((__u64)&kc_pages), ncpus);
	kc_where_hash(&n, kc_scalar((__u64)&kc_vm_pages), ncpus);
	kc_where_hash(&n, kc_scalar((__u64)&kc_pending_pages), ncpus);
	kc_where_hash(&n, kc_scalar((__u64)&kc_pending_areas), ncpus);
	kc_where_hash(&n, kc_scalar((__u64)&kc_adopted), ncpus);
	kc_where_hash(&n, kc_scalar((__u64)&kc_foreign_sizes), ncpus);
	kc_where_hash(&n, kc_scalar((__u64)&kc_typed_caches), ncpus);
	kc_where_hash(&n, kc_scalar((__u64)&kc_reported), ncpus);
	kc_where_hash(&n, kc_scalar((__u64)&kc_fn_pages), ncpus);
	kc_where_hash(&n, kc_scalar((__u64)&kc_skb_heads), ncpus); /* the skb-head class: a write there would widen it */
	kc_where_hash(&n, kc_scalar((__u64)&kc_icall_allowed), ncpus); /* the indirect calls' sets (icall.bpf.h) */
	return n;
}

/* Reads the kernel words the loader asks for (cache pointers held by globals,
 * per-cpu bases): run once per batch through BPF_PROG_TEST_RUN, never attached. */
SEC("raw_tp")
int kc_peek(void *ctx)
{
	__u32 i;

	for (i = 0; i < KC_PEEK_SLOTS; i++) {
		__u32 key = i;
		struct kc_peek_slot *s = bpf_map_lookup_elem(&kc_peek_slots, &key);

		if (!s)
			return 1;
		if (!s->addr)
			continue;
		s->err = bpf_probe_read_kernel(&s->val, sizeof(s->val), (const void *)s->addr);
	}
	return 0;
}

#endif /* KC_CHECKER_BPF_H */
