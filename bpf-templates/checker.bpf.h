/* SPDX-License-Identifier: GPL-2.0 */
/* checker.bpf.h: the shared run-time checker of kcompart (DESIGN.md §5). One
 * global (non-static, __noinline) BPF function, kc_check(site, addr), verified
 * once by the kernel and called by every site program. It finds the region an
 * address is in (stack, global, slab, percpu, vmemmap), compares it with the
 * site's legal set (maps filled by the loader), counts, and sends violations
 * to the ring buffer. Include after vmlinux.h and the libbpf headers, once per
 * BPF object. */
#ifndef KC_CHECKER_BPF_H
#define KC_CHECKER_BPF_H

#include "kcompart.h"

/* ---- knobs (rodata, set by the loader before load) ---------------------- */
/* THREAD_SIZE of the target kernel (16 KiB on x86-64; 32 KiB with KASAN). */
const volatile __u64 kc_thread_size = 16384;
/* The percpu area [start, end) as the loader finds it (0, 0: no percpu range). */
const volatile __u64 kc_percpu_start = 0;
const volatile __u64 kc_percpu_end = 0;
/* Bytes of the vmemmap (struct page array) from vmemmap_base: 1 TiB with 4-level paging. */
const volatile __u64 kc_vmemmap_size = 1ULL << 40;
/* 1: use the bpf_get_kmem_cache kfunc when the kernel has it; 0: always the CO-RE page walk. */
const volatile __u32 kc_use_kfunc = 1;
/* x86-64 4-level paging bases used when the kernel does not randomize them. */
const volatile __u64 kc_page_offset_fixed = 0xffff888000000000ULL;
const volatile __u64 kc_vmemmap_fixed = 0xffffea0000000000ULL;

/* ---- phase (.bss, switched by the loader at run time) -------------------- */
/* 0: audit (violations counted, not reported), 1: enforce (reported). */
__u32 kc_enforce = 0;

/* ---- maps ------------------------------------------------------------------- */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KC_MAX_SITES);
	__type(key, __u32);
	__type(value, struct kc_site_policy);
} kc_sites SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KC_MAX_GLOBALS);
	__type(key, __u32);
	__type(value, struct kc_range);
} kc_globals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KC_MAX_CACHES);
	__type(key, struct kc_cache_key);
	__type(value, __u8);
} kc_allowed_caches SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KC_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kc_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} kc_events SEC(".maps");

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

/* PG_slab left struct page flags in 6.10: the slab is then a page type (PGTY_slab, top byte of page_type). */
enum pagetype___kc { PGTY_slab___kc = 0xf5 };
/* Flavors (CO-RE drops the ___kc suffix of type and enumerator names), so the
 * file compiles against a vmlinux.h with or without PG_slab. */
enum pageflags___kc { PG_slab___kc = 9 };

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

/* The current task's kernel stack is the THREAD_SIZE block holding addr. */
static __always_inline int kc_on_stack(__u64 addr)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 stack = (__u64)BPF_CORE_READ(t, stack);
	__u64 size = kc_thread_size;

	if (!stack || !size)
		return 0;
	return addr >= stack && addr - stack < size;
}

static __always_inline __u64 kc_page_offset(void)
{
	return &page_offset_base ? kc_read_u64(&page_offset_base) : kc_page_offset_fixed;
}

static __always_inline __u64 kc_vmemmap(void)
{
	return &vmemmap_base ? kc_read_u64(&vmemmap_base) : kc_vmemmap_fixed;
}

static __always_inline int kc_in_vmemmap(__u64 addr)
{
	__u64 base = kc_vmemmap();

	return base && addr >= base && addr - base < kc_vmemmap_size;
}

static __always_inline int kc_in_percpu(__u64 addr)
{
	return kc_percpu_end > kc_percpu_start && addr >= kc_percpu_start && addr < kc_percpu_end;
}

/* The kmem_cache of a slab object through struct page (pre-6.13 kernels, or kc_use_kfunc = 0). */
static __always_inline __u64 kc_cache_by_page(__u64 addr)
{
	__u64 pob = kc_page_offset();
	__u64 vmb = kc_vmemmap();
	__u64 pfn, head;
	struct page *page;

	if (!pob || !vmb || addr < pob)
		return 0;
	pfn = (addr - pob) >> 12;
	page = (struct page *)(vmb + pfn * bpf_core_type_size(struct page));
	head = (__u64)BPF_CORE_READ(page, compound_head);
	if (head & 1)
		page = (struct page *)(head - 1);
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

static __always_inline __u64 kc_cache_of(__u64 addr)
{
#ifndef KC_NO_KFUNC
	if (kc_use_kfunc && bpf_get_kmem_cache)
		return (__u64)bpf_get_kmem_cache(addr);
#endif
	return kc_cache_by_page(addr);
}

struct kc_globals_scan {
	__u32 first;
	int found;
	__u64 addr;
};

static long kc_globals_step(__u64 i, void *data)
{
	struct kc_globals_scan *g = data;
	__u32 slot = g->first + (__u32)i;
	struct kc_range *r = bpf_map_lookup_elem(&kc_globals, &slot);

	if (!r)
		return 1;
	if (g->addr >= r->start && g->addr < r->end) {
		g->found = 1;
		return 1;
	}
	return 0;
}

/* The site's global ranges, scanned with bpf_loop (5.17+): the verifier checks
 * the step once instead of each of up to KC_MAX_SITE_GLOBALS iterations. */
static __always_inline int kc_in_site_globals(const struct kc_site_policy *p, __u64 addr)
{
	struct kc_globals_scan g = { .first = p->global_first, .found = 0, .addr = addr };
	__u32 count = p->global_count;

	if (count > KC_MAX_SITE_GLOBALS)
		count = KC_MAX_SITE_GLOBALS;
	bpf_loop(count, kc_globals_step, &g, 0);
	return g.found;
}

static __always_inline void kc_report(__u32 site, __u64 addr, __u32 region, __u64 cache)
{
	struct kc_event *e;

	if (!kc_enforce) {
		kc_count(KC_CNT_AUDITED);
		return;
	}
	kc_count(KC_CNT_VIOLATIONS);
	e = bpf_ringbuf_reserve(&kc_events, sizeof(*e), 0);
	if (!e) {
		kc_count(KC_CNT_DROPS);
		return;
	}
	e->site = site;
	e->region = region;
	e->addr = addr;
	e->cache = cache;
	e->pid = (__u32)bpf_get_current_pid_tgid();
	e->stack_id = -1; /* a stack id needs the program context: not available in a global function */
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

/* Checks one write of site `site` (| KC_SITE_GS for gs-relative writes) to `addr`:
 * KC_PASS, KC_VIOLATION or KC_UNKNOWN_SITE. */
__noinline int kc_check(__u32 site, __u64 addr)
{
	struct kc_site_policy *p;
	__u32 regions, found = 0;
	__u64 cache = 0;

	__u32 gs = site & KC_SITE_GS;

	site &= ~KC_SITE_GS;
	kc_count(KC_CNT_CHECKS);
	p = bpf_map_lookup_elem(&kc_sites, &site);
	if (!p) {
		kc_count(KC_CNT_UNKNOWN_SITE);
		return KC_UNKNOWN_SITE;
	}
	regions = p->regions;
	if (regions & KC_R_ANY)
		goto pass;
	if (gs) {
		if (regions & KC_R_PERCPU)
			goto pass;
		kc_report(site, addr, KC_R_PERCPU, 0);
		return KC_VIOLATION;
	}

	if (kc_on_stack(addr)) {
		found = KC_R_STACK;
		if (regions & KC_R_STACK)
			goto pass;
	}
	if (regions & KC_R_GLOBAL && kc_in_site_globals(p, addr))
		goto pass;
	if (kc_in_percpu(addr)) {
		found = KC_R_PERCPU;
		if (regions & KC_R_PERCPU)
			goto pass;
	}
	if (kc_in_vmemmap(addr)) {
		found = KC_R_VMEMMAP;
		if (regions & KC_R_VMEMMAP)
			goto pass;
	}
	if (!found) {
		cache = kc_cache_of(addr);
		if (cache) {
			struct kc_cache_key key = { .site = site, .cache = cache };

			found = KC_R_SLAB;
			if (regions & KC_R_SLAB && bpf_map_lookup_elem(&kc_allowed_caches, &key))
				goto pass;
		}
	}
	kc_report(site, addr, found, cache);
	return KC_VIOLATION;
pass:
	kc_count(KC_CNT_PASSES);
	return KC_PASS;
}

#endif /* KC_CHECKER_BPF_H */
