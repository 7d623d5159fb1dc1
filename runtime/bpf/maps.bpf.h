/* SPDX-License-Identifier: GPL-2.0 */
/* maps.bpf.h: the one definition of every map and global variable of the
 * kcompart BPF run time (DESIGN.md §5): the knobs the loader sets before load
 * (.rodata), the phase it switches at run time (.bss), the values it finds at
 * run time (.data.kcrt), the legal sets it fills from the seed, the records of
 * the allocation probes, the counters, the event ring buffer and the stacks.
 * checker.bpf.h includes it; a BPF object includes checker.bpf.h (and
 * track.bpf.h) exactly once, so each map is defined once in the object and the
 * loader's skeleton names it (skel->maps.kc_sites, skel->rodata->kc_thread_size). */
#ifndef KC_MAPS_BPF_H
#define KC_MAPS_BPF_H

#include "kcompart.h"

/* ---- knobs (.rodata: const volatile, set by the loader through skel->rodata before load) ---- */
/* THREAD_SIZE of the target kernel (loader: --thread-size, default from kallsyms: KASAN doubles it). */
const volatile __u64 kc_thread_size = KC_PAGE_SIZE << KC_THREAD_SIZE_ORDER;
/* Bytes of the direct map, the vmalloc area and the vmemmap from their bases (loader: --paging-levels). */
const volatile __u64 kc_direct_map_size = KC_L4_DIRECT_MAP_BYTES;
const volatile __u64 kc_vmalloc_size = KC_L4_VMALLOC_BYTES;
const volatile __u64 kc_vmemmap_size = KC_L4_VMEMMAP_BYTES;
/* The bases used when the kernel does not randomize them (no page_offset_base, vmalloc_base,
 * vmemmap_base variables; loader: --paging-levels). */
const volatile __u64 kc_page_offset_fixed = KC_L4_PAGE_OFFSET;
const volatile __u64 kc_vmalloc_fixed = KC_L4_VMALLOC_START;
const volatile __u64 kc_vmemmap_fixed = KC_L4_VMEMMAP_START;
/* 1: use the bpf_get_kmem_cache kfunc when the kernel has it; 0: always the CO-RE page walk
 * (loader: --no-kfunc; a build with -DKC_NO_KFUNC has no kfunc at all). */
const volatile __u32 kc_use_kfunc = 1;
/* What a write to memory of unknown owner is (KC_OLD_*; loader: --old-objects, default report). */
const volatile __u32 kc_old_objects = KC_OLD_REPORT;
/* The response to a violation in the enforce phase (KC_ON_VIOLATION_*; loader: --on-violation). */
const volatile __u32 kc_on_violation = KC_ON_VIOLATION_REPORT;
/* --hits: count every site program's checks per site (kc_hits), for where the cost goes; 0 leaves the code out */
const volatile __u32 kc_count_hits = 0;

/* ---- identity (.rodata.kcpolicy): the hash of the policy's seed this object was generated with
 * (src/emit defines KC_POLICY_HASH; the loader refuses to run an object whose hash differs from
 * its compiled-in seed's). 0 in objects built without a policy (the run time alone, the tests). ---- */
#ifndef KC_POLICY_HASH
#define KC_POLICY_HASH 0ULL
#endif
const volatile __u64 kc_policy_hash SEC(".rodata.kcpolicy") = KC_POLICY_HASH;

/* ---- phase (.bss, switched by the loader at run time through skel->bss) ---- */
/* 0: audit (violations counted, not reported; unknown memory adopted), 1: enforce (reported). */
__u32 kc_enforce = 0;

/* ---- values found at run time (written by the loader after load through skel->data_kcrt) ---- */
struct kc_runtime kc_rt SEC(".data.kcrt") = {};

/* ---- the run time's own memory (kc_whereis, then the loader: sorted and merged) ---- */
struct kc_deny_table kc_deny SEC(".data.kcdeny") = {};

/* ---- legal sets (filled by the loader from the seed) ---- */
/* The legal set of each site, by site id. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KC_MAX_SITES);
	__type(key, __u32);
	__type(value, struct kc_site_policy);
} kc_sites SEC(".maps");

/* Global symbol ranges; each site names a run of them (global_first, global_count). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KC_MAX_GLOBALS);
	__type(key, __u32);
	__type(value, struct kc_range);
} kc_globals SEC(".maps");

/* (site, struct kmem_cache *) pairs: caches whose objects the site may write. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KC_MAX_CACHES);
	__type(key, struct kc_cache_key);
	__type(value, __u8);
} kc_allowed_caches SEC(".maps");

/* (site, allocation id) pairs: recorded allocations the site may write. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KC_MAX_ALLOWED);
	__type(key, struct kc_alloc_key);
	__type(value, __u8);
} kc_allowed_allocs SEC(".maps");

/* The address of the symbol (+ addend) of each site whose displacement is a relocation
 * (`sym(,%rax,8)`), by site id: added to the site's address (kc_reloc). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KC_MAX_SITES);
	__type(key, __u32);
	__type(value, __u64);
} kc_relocs SEC(".maps");

/* The effective-address recipe of each checked site, by site id (the data-driven site program
 * kc_site of site.bpf.h: its probe's BPF cookie is the site id). The loader sets max_entries to
 * the number of sites before load (1 when the object has one program per site). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KC_MAX_SITES);
	__type(key, __u32);
	__type(value, struct kc_recipe);
} kc_recipes SEC(".maps");

/* Functions whose vmalloc areas are tracked, by slot (allocation id KC_VM_ALLOC_BASE + slot). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KC_MAX_VM_CALLERS);
	__type(key, __u32);
	__type(value, struct kc_range);
} kc_vm_callers SEC(".maps");

/* (site, object size) pairs: sizes of the types a site's typed fallback admits (KC_F_FOREIGN). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KC_MAX_FOREIGN_SIZES);
	__type(key, struct kc_size_key);
	__type(value, __u8);
} kc_foreign_sizes SEC(".maps");

/* The caches created for a known type (the analyzed program's and the cache catalogue's, by struct
 * kmem_cache *): a typed fallback admits them by name (kc_allowed_caches), never by object size. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KC_MAX_TYPED_CACHES);
	__type(key, __u64);
	__type(value, __u8);
} kc_typed_caches SEC(".maps");

/* (site, cache) pairs already reported under the old-objects rule: one event each. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KC_MAX_REPORTED);
	__type(key, struct kc_cache_key);
	__type(value, __u8);
} kc_reported SEC(".maps");

/* Analyzed functions by address range, sorted and disjoint (the loader, from the seed's functions
 * and kallsyms): what a whole-kernel allocation's stack frames are looked up in (track.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KC_MAX_FNS);
	__type(key, __u32);
	__type(value, struct kc_fn_range);
} kc_fns SEC(".maps");

/* Text pages holding analyzed functions: the run of kc_fns slots meeting each (a frame on any
 * other page is in no analyzed function: one lookup). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KC_MAX_FN_PAGES);
	__type(key, __u64);
	__type(value, struct kc_fn_span);
} kc_fn_pages SEC(".maps");

/* ---- records of the allocation probes (track.bpf.h) and of the audit phase ---- */
/* Slab objects by address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KC_MAX_OBJECTS);
	__type(key, __u64);
	__type(value, struct kc_object);
} kc_objects SEC(".maps");

/* Buddy blocks by head pfn. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KC_MAX_PAGE_BLOCKS);
	__type(key, __u64);
	__type(value, struct kc_page_block);
} kc_pages SEC(".maps");

/* Pages of vmalloc areas by address >> KC_PAGE_SHIFT. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KC_MAX_VM_PAGES);
	__type(key, __u64);
	__type(value, struct kc_vm_page);
} kc_vm_pages SEC(".maps");

/* The skb-head class (KC_F_SKB_HEAD, track.bpf.h registers, kc_check reads): memory registered as
 * the head buffer of an sk_buff, by a slab object's start address, a buddy block's head pfn, or a
 * vmalloc area's start address (pfns are < 2^52 and never collide with kernel addresses). The value
 * is the KC_R_* region the memory was registered in (for inspection only). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KC_MAX_SKB_HEADS);
	__type(key, __u64);
	__type(value, __u32);
} kc_skb_heads SEC(".maps");

/* The [start, end) text ranges of the functions that allocate and install skb heads (the loader,
 * from kallsyms; kc_rt.skb_ctor_count slots used): an allocation with one of them among the first
 * KC_ALLOC_FRAMES frames of its stack is registered in kc_skb_heads. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KC_MAX_SKB_CTORS);
	__type(key, __u32);
	__type(value, struct kc_range);
} kc_skb_ctors SEC(".maps");

/* (site, adopted memory) pairs: memory adopted in the audit phase is legal, after it, only for the
 * sites that wrote it during it (the memory: slab object address, vmalloc page address, pfn). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KC_MAX_ADOPTED);
	__type(key, struct kc_adopt_key);
	__type(value, __u8);
} kc_adopted SEC(".maps");

/* The block mm_page_alloc last reported for a task, until its allocation probe reads it. */
struct kc_pending_block {
	__u64 pfn;
	__u32 order;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KC_MAX_PENDING);
	__type(key, __u64);
	__type(value, struct kc_pending_block);
} kc_pending_pages SEC(".maps");

/* __vmalloc_node_range's size and caller, from its entry to its return. */
struct kc_pending_area {
	__u64 size;
	__u64 caller;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KC_MAX_PENDING);
	__type(key, __u64);
	__type(value, struct kc_pending_area);
} kc_pending_areas SEC(".maps");

/* ---- reporting ---- */
/* Counters (enum kc_counter), per cpu; the loader sums them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KC_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kc_counters SEC(".maps");

/* Checks per site program (--hits), per cpu; the loader sums them into KC-HITS lines. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KC_MAX_SITES);
	__type(key, __u32);
	__type(value, __u64);
} kc_hits SEC(".maps");

/* What the last kc_check on this CPU found, for the report of its caller. */
struct kc_finding {
	__u32 region;
	__u32 alloc;
	__u64 cache;
	__u64 object;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kc_finding);
} kc_last SEC(".maps");

/* The extent of what the last passing kc_check on this CPU found (the range check's second half). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kc_span);
} kc_spans SEC(".maps");

/* Violations (struct kc_event), read by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, KC_RINGBUF_BYTES);
} kc_events SEC(".maps");

/* Kernel stacks of the violations (kc_event.stack_id). */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, KC_MAX_STACKS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, KC_STACK_DEPTH * sizeof(__u64));
} kc_stacks SEC(".maps");

/* Kernel words the loader asks kc_peek to read. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KC_PEEK_SLOTS);
	__type(key, __u32);
	__type(value, struct kc_peek_slot);
} kc_peek_slots SEC(".maps");

/* ---- indirect calls (issue 16; icall.bpf.h checks, loader/icalls.c fills) ---- */
#include "kcicall.h"

/* (site, target address) pairs allowed; the loader sets max_entries before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KC_MAX_ICALL_TARGETS);
	__type(key, struct kc_icall_key);
	__type(value, __u8);
} kc_icall_allowed SEC(".maps");

/* What the loader resolved per site (the expected set's size, for the report). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct kc_icall_site);
} kc_icall_sites SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KC_ICNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kc_icall_counters SEC(".maps");
/* ---- end of indirect calls ---- */

#endif /* KC_MAPS_BPF_H */
