/* SPDX-License-Identifier: GPL-2.0 */
/* kcompart.h: the layout shared by the BPF run time (runtime/bpf) and user
 * space (runtime/loader, the tests): sizes, region bits, site flags, the
 * per-site policy record, tracking records, the violation event sent through
 * the ring buffer, the counter slots, and the defaults of the knobs the
 * loader sets (DESIGN.md §5). Plain C types only (no vmlinux.h), so a
 * user-space program can include it as is. src/emit/constants.ts is generated
 * from this file (npm run gen:constants; a test checks it is up to date). */
#ifndef KCOMPART_H
#define KCOMPART_H

/* The page size of x86-64, the one place the run time and the loader take it from. */
#define KC_PAGE_SHIFT 12
#define KC_PAGE_SIZE (1ULL << KC_PAGE_SHIFT)

#define KC_COMM_LEN 16
/* Bytes of a slab cache's name kept in an event (kmalloc-cg-1024 and the like fit). */
#define KC_CACHE_NAME_LEN 32
#define KC_MAX_SITES 65536
#define KC_MAX_GLOBALS 65536
/* Most global ranges one site's legal set may name: all of kc_globals. net/ipv6 needs 193 with
 * net/core as context; with the whole kernel as context, typed fallbacks name up to ~4,400 (the
 * globals of their types). A site past it is widened to any memory by the loader. */
#define KC_MAX_SITE_GLOBALS KC_MAX_GLOBALS
/* Steps of the binary search over a site's ranges: 2^(steps - 1) <= KC_MAX_SITE_GLOBALS < 2^steps. */
#define KC_SITE_GLOBAL_STEPS 17
/* (site, cache) pairs of kc_allowed_caches */
#define KC_MAX_CACHES 131072
/* Caches whose objects' type is known (kc_typed_caches): never admitted by object size. */
#define KC_MAX_TYPED_CACHES 8192
/* (site, allocation) pairs of kc_allowed_allocs */
#define KC_MAX_ALLOWED 262144
/* The loader sizes kc_allowed_allocs / kc_allowed_caches up to the seed's pairs, at most this many. */
#define KC_MAX_ALLOWED_ALL 16777216
/* Objects, page blocks and vmalloc pages recorded by the allocation probes. */
#define KC_MAX_OBJECTS 262144
#define KC_MAX_PAGE_BLOCKS 65536
#define KC_MAX_VM_PAGES 131072
/* Most pages of one vmalloc area recorded (a bounded bpf_loop); larger areas are recorded up to it. */
#define KC_MAX_AREA_PAGES 16384
/* Functions whose vmalloc areas are tracked (the `caller` argument of __vmalloc_node_range). */
#define KC_MAX_VM_CALLERS 1024
/* Memory registered as the head buffer of an sk_buff (kc_skb_heads: slab object starts, head pfns of
 * buddy blocks, vmalloc area starts), and the text ranges of the functions that allocate and install
 * skb heads (kc_skb_ctors: __alloc_skb, __napi_alloc_skb, … found by the loader in kallsyms). */
#define KC_MAX_SKB_HEADS 65536
#define KC_MAX_SKB_CTORS 16
/* A global whose size the policy does not give ends at the next symbol, at most this far on (the loader, from kallsyms). */
#define KC_MAX_SYMBOL_BYTES (16ULL << 20)
/* Kernel words the loader reads per BPF_PROG_TEST_RUN of kc_peek. */
#define KC_PEEK_SLOTS 64
/* Buddy blocks are looked up by their head pfn aligned down for orders 0..KC_MAX_ORDER. */
#define KC_MAX_ORDER 10
/* Error pointers are the last KC_MAX_ERRNO values (the kernel's MAX_ERRNO). */
#define KC_MAX_ERRNO 4095
/* Pointers freed by one kmem_cache_free_bulk that the free probe forgets (bpf_loop bound). */
#define KC_MAX_BULK 4096
/* (site, adopted memory) pairs recorded in the audit phase (kc_adopted). */
#define KC_MAX_ADOPTED 131072
/* Tasks with an allocation in flight (the page block or vmalloc area seen at entry, read at return). */
#define KC_MAX_PENDING 8192
/* The ring buffer of violation events, in bytes. */
#define KC_RINGBUF_BYTES (256 * 1024)
/* Address ranges of the run time's own memory (its maps, global data, program images) that no
 * site may write: the deny table, checked before any pass. */
#define KC_MAX_DENY 64
/* Whole-kernel allocation tracking (track.bpf.h): analyzed functions by address range (kc_fns, sorted,
 * disjoint), the text pages they cover (kc_fn_pages: the run of kc_fns slots meeting each page), and
 * the frames of an allocation's kernel stack searched for the innermost analyzed function. */
#define KC_MAX_FNS 16384
#define KC_MAX_FN_PAGES 16384
#define KC_ALLOC_FRAMES 16
/* Steps of the binary search over one page's run of kc_fns (2^14 = KC_MAX_FNS). */
#define KC_FN_SEARCH_STEPS 14
/* Kernel stacks kept for events (kc_stacks), and frames per stack. */
#define KC_MAX_STACKS 4096
#define KC_STACK_DEPTH 32

/* ---- knob defaults (const volatile in runtime/bpf/maps.bpf.h, set by the loader before load) ---- */
/* THREAD_SIZE = KC_PAGE_SIZE << order: order 2 on x86-64, 3 with KASAN (a larger stack). */
#define KC_THREAD_SIZE_ORDER 2
#define KC_THREAD_SIZE_ORDER_KASAN 3
/* x86-64 kernel address space (Documentation/arch/x86/x86_64/mm.rst): the bases used when
 * the kernel does not randomize them (no page_offset_base etc. in kallsyms) and the sizes
 * of the direct map, the vmalloc area and the vmemmap, with 4-level and 5-level paging. */
#define KC_L4_PAGE_OFFSET 0xffff888000000000ULL
#define KC_L4_VMALLOC_START 0xffffc90000000000ULL
#define KC_L4_VMEMMAP_START 0xffffea0000000000ULL
#define KC_L4_DIRECT_MAP_BYTES (64ULL << 40)
#define KC_L4_VMALLOC_BYTES (32ULL << 40)
#define KC_L4_VMEMMAP_BYTES (1ULL << 40)
#define KC_L5_PAGE_OFFSET 0xff11000000000000ULL
#define KC_L5_VMALLOC_START 0xffa0000000000000ULL
#define KC_L5_VMEMMAP_START 0xffd4000000000000ULL
#define KC_L5_DIRECT_MAP_BYTES (32ULL << 50)
#define KC_L5_VMALLOC_BYTES (25ULL << 49)
#define KC_L5_VMEMMAP_BYTES (1ULL << 49)

/* Region bits: a site's legal set, and the region an address was found in. */
#define KC_R_STACK   (1u << 0)
#define KC_R_GLOBAL  (1u << 1)
#define KC_R_SLAB    (1u << 2)
#define KC_R_BUDDY   (1u << 3)
#define KC_R_VMALLOC (1u << 4)
#define KC_R_PERCPU  (1u << 5)
#define KC_R_VMEMMAP (1u << 6)
/* The run time's own memory (the deny table): never legal, in events only. */
#define KC_R_RUNTIME (1u << 7)
/* The legal set was widened to any memory: nothing to check. */
#define KC_R_ANY     (1u << 31)

/* The direction flag (DF) of RFLAGS: string instructions count down when set. */
#define KC_EFLAGS_DF (1ULL << 10)

/* Site-id flag: the write is gs-relative (x86-64 per-cpu), so its address is in
 * this CPU's per-cpu area by construction; the address passed is the offset. */
#define KC_SITE_GS (1u << 31)

/* Site flags (struct kc_site_policy.flags): how the site's slab, buddy and vmalloc
 * entries are checked. TRACKED: some allocation of the legal set is recorded by a
 * probe (objects are checked against kc_allowed_allocs); UNTRACKED: some is not
 * (no probe could be placed, e.g. its object file was not mapped, or the loader
 * could not resolve its cache or caller), so memory of that kind that no probe
 * recorded is allowed: the widening that keeps the check sound. */
#define KC_F_TRACKED_SLAB      (1u << 0)
#define KC_F_UNTRACKED_SLAB    (1u << 1)
#define KC_F_TRACKED_BUDDY     (1u << 2)
#define KC_F_UNTRACKED_BUDDY   (1u << 3)
#define KC_F_TRACKED_VMALLOC   (1u << 4)
#define KC_F_UNTRACKED_VMALLOC (1u << 5)
/* The legal set is a typed fallback ("any object of type T": a typed pointer from outside
 * the program). Every allocation of the kernel made while the policy is loaded is recorded
 * with its allocation site (track.bpf.h), so an object passes only by its owner: an
 * allocation (or the group of an analyzed function) the set names (T, a type containing T,
 * a typeless buffer >= sizeof(T): the analysis puts those sites in the set), a cache it
 * names, or a dedicated cache the analysis did not see created whose object size is the
 * size of an admitted type (kc_foreign_sizes). An object recorded at an unknown allocation
 * site of a general kmalloc cache is not admitted. Unrecorded memory (allocated before the
 * load, or a dropped record) follows the old-objects rule (kc_old_objects). */
#define KC_F_FOREIGN           (1u << 6)
/* The legal set holds dynamically allocated per-cpu areas (alloc_percpu): a per-cpu write passes at
 * an offset past the kernel image's static per-cpu variables (kc_rt.percpu_static_end). Without it,
 * only the per-cpu variables of the site's global run ([offset, offset + size), from the policy) pass. */
#define KC_F_PERCPU_AREAS      (1u << 7)
/* A policy that does not name its per-cpu variables (before issue 11): any per-cpu memory passes. */
#define KC_F_PERCPU_ANY        (1u << 8)
/* The legal set admits the head buffer of any sk_buff (a run-time class, kc_skb_heads): memory the
 * allocation probes saw allocated by an skb constructor (kmalloc_reserve in __alloc_skb,
 * pskb_expand_head, pskb_carve; page_frag_alloc's refill in __napi_alloc_skb, __netdev_alloc_skb)
 * or installed as a head by build_skb and its kin (track.bpf.h). A slab object, buddy block or
 * vmalloc area registered there passes; other recorded memory does not (the analysis gives such
 * sites no allocation ids, and UNTRACKED_* so unrecorded memory follows the old-objects rule). */
#define KC_F_SKB_HEAD          (1u << 9)

/* The allocation id of memory first written in the audit phase and unknown to the
 * maps (allocated before the probes were attached): adopted, then allowed for the
 * sites that wrote it during the audit phase (kc_adopted), if they track that kind. */
#define KC_ALLOC_ADOPTED 0xffffffffu
/* The allocation id of vmalloc areas of the function in slot i of kc_vm_callers. */
#define KC_VM_ALLOC_BASE 0x80000000u
/* The allocation id of memory allocated while the policy is loaded inside analyzed function number g
 * of the seed (KC_FN_ALLOC_BASE + g): the group of the IR allocation sites of that function. */
#define KC_FN_ALLOC_BASE 0x40000000u
/* Memory allocated while the policy is loaded by code of no analyzed function (an unknown allocation
 * site): its owner is known not to be any allocation site of the analysis. */
#define KC_ALLOC_UNKNOWN_SITE 0xfffffffdu
/* No allocation recorded for the memory (in events). */
#define KC_ALLOC_NONE 0xfffffffeu

/* kc_check results. */
#define KC_PASS      0
#define KC_VIOLATION 1
#define KC_UNKNOWN_SITE 2
/* Memory whose owner is unknown (allocated before the load, or by code the policy cannot
 * type) under the old-objects rule "report": reported, not a violation. */
#define KC_REPORT    3

/* The old-objects rule (knob kc_old_objects, loader --old-objects): what a write to memory of
 * unknown owner is, for a site whose legal set reaches memory the checker cannot attribute
 * (KC_F_FOREIGN, KC_F_UNTRACKED_*). */
#define KC_OLD_PASS      0
#define KC_OLD_REPORT    1
#define KC_OLD_VIOLATION 2

/* The response to a violation in the enforce phase (knob kc_on_violation, loader --on-violation). */
#define KC_ON_VIOLATION_REPORT 0
#define KC_ON_VIOLATION_KILL   1

/* Event kinds (struct kc_event.kind). */
#define KC_EVENT_VIOLATION 0
#define KC_EVENT_UNKNOWN   1

/* The top of the vmalloc area where per-cpu chunks live: a per-cpu site's write there passes. */
#define KC_PERCPU_VM_WINDOW (4ULL << 30)

/* kc_matrix's site argument asking for the address of the run time's phase flag (a target). */
#define KC_MATRIX_WHERE 0xffffffffULL

/* (size list, object size) pairs of kc_foreign_sizes (sites share equal lists). */
#define KC_MAX_FOREIGN_SIZES 65536
/* (site, cache) pairs already reported under the old-objects rule (an LRU: one event each). */
#define KC_MAX_REPORTED 16384

/* Counter slots of the per-cpu array kc_counters. */
enum kc_counter {
	KC_CNT_CHECKS = 0,
	KC_CNT_PASSES,
	KC_CNT_VIOLATIONS,
	KC_CNT_AUDITED, /* violations seen during the audit phase: counted, not reported */
	KC_CNT_DROPS,   /* ring buffer full */
	KC_CNT_UNKNOWN_SITE,
	KC_CNT_TRACKED,  /* allocations recorded by the allocation probes */
	KC_CNT_ADOPTED,  /* audit phase: unknown objects, pages or vmalloc pages adopted */
	KC_CNT_FREED,    /* recorded allocations removed by the free probes */
	KC_CNT_TRACK_FULL, /* a tracking map was full: the allocation is unknown to the checker */
	KC_CNT_UNTRACKED_PASS, /* passes granted by an UNTRACKED widening */
	KC_CNT_PASS_STACK, /* passes by region (checks per region = these + violations of it) */
	KC_CNT_PASS_GLOBAL,
	KC_CNT_PASS_SLAB,
	KC_CNT_PASS_BUDDY,
	KC_CNT_PASS_VMALLOC,
	KC_CNT_PASS_PERCPU,
	KC_CNT_PASS_VMEMMAP,
	KC_CNT_FOREIGN_PASS,   /* unrecorded objects of a dedicated cache sized like an admitted type */
	KC_CNT_UNKNOWN_OWNER,  /* writes to memory of unknown owner, decided by the old-objects rule */
	KC_CNT_REPORTED,       /* of those, reported (rule "report", enforce phase) */
	KC_CNT_KILLED,         /* violations answered with SIGKILL to the current task */
	KC_CNT_KILL_SKIPPED,   /* kill asked but the write ran off the task's stack (interrupt, softirq) or in a kthread */
	KC_CNT_DENIED,  /* writes aimed at the run time's own memory (the deny table) */
	KC_CNT_CROSSED, /* writes that start in an allowed object and end outside it */
	KC_CNT_KALLOC,         /* whole-kernel allocations recorded by the kmem tracepoints and vmalloc probes */
	KC_CNT_KALLOC_UNKNOWN, /* of those, made by no analyzed function (KC_ALLOC_UNKNOWN_SITE) */
	KC_CNT_KALLOC_DROPS,   /* whole-kernel allocations not recorded (a map full): they follow the old-objects rule */
	KC_CNT_UNKNOWN_PROBE,  /* the data-driven site program ran with a cookie that names no recipe: nothing checked */
	KC_CNT_SKB_HEADS,      /* memory registered as an skb head (kc_skb_heads) */
	KC_CNT_SKB_HEAD_DROPS, /* registration failed (map full): the memory's allocation record was removed, so it
				* follows the old-objects rule instead of raising a false violation */
	KC_CNT_PASS_SKB_HEAD,  /* passes granted by the skb-head class (KC_F_SKB_HEAD) */
	KC_CNT_MAX,
};

/* The legal set of one site, as the checker reads it (array map kc_sites, key = site id). */
struct kc_site_policy {
	unsigned int regions;      /* KC_R_* bits */
	unsigned int global_first; /* first slot of kc_globals */
	unsigned int global_count; /* slots from global_first (at most KC_MAX_SITE_GLOBALS) */
	unsigned int flags;        /* KC_F_* */
	unsigned int foreign_set;  /* key of its admitted foreign object sizes in kc_foreign_sizes (equal lists share one) */
};

/* ---- the data-driven site program (bpf/site.bpf.h, --site-programs data) ---- */
/* Registers a recipe reads, by their x86-64 encoding (the slots of the program's register file);
 * KC_REG_NONE reads 0. */
#define KC_REG_AX 0
#define KC_REG_CX 1
#define KC_REG_DX 2
#define KC_REG_BX 3
#define KC_REG_SP 4
#define KC_REG_BP 5
#define KC_REG_SI 6
#define KC_REG_DI 7
/* r8 .. r15 are 8 .. 15 */
#define KC_REG_NONE 16
/* How a recipe's bytes are counted (struct kc_recipe.kind). */
#define KC_KIND_WRITE  0 /* one write of `len` bytes at the effective address */
#define KC_KIND_REP    1 /* a rep string store: rcx elements of `len` bytes from the address, down when DF is set */
#define KC_KIND_WRITER 2 /* a writer call: `len_reg`'s value bytes (or `len` when it is KC_REG_NONE) from the address */
/* Recipe flags (struct kc_recipe.flags). */
#define KC_RCP_VALID   (1u << 0) /* written by the loader: an all-zero slot is no recipe */
#define KC_RCP_BASE32  (1u << 1) /* the base register is read as its 32-bit view (zero-extended) */
#define KC_RCP_INDEX32 (1u << 2) /* the same for the index register */
#define KC_RCP_RELOC   (1u << 3) /* add kc_relocs[site] (a relocated displacement's symbol + addend) */

/* The effective address and length of one checked write, as the per-site program computes them
 * from pt_regs (array map kc_recipes, key = site id = the probe's BPF cookie):
 * base + index * scale + disp (+ kc_relocs[site]), `len` bytes (see KC_KIND_*). `site` carries
 * KC_SITE_GS for a gs-relative write (the address is then the per-cpu offset). */
struct kc_recipe {
	unsigned int site;         /* site id | KC_SITE_GS */
	unsigned char base;        /* KC_REG_* */
	unsigned char index;       /* KC_REG_* */
	unsigned char scale;       /* 1, 2, 4 or 8 */
	unsigned char kind;        /* KC_KIND_* */
	unsigned char len_reg;     /* KC_KIND_WRITER: the length argument's register, or KC_REG_NONE */
	unsigned char flags;       /* KC_RCP_* */
	unsigned short pad;
	long long disp;
	unsigned long long len;    /* bytes (write), element size (rep), constant length (writer) */
};

/* Key of kc_allowed_allocs: an allocation (probe-recorded site, or vmalloc caller) allowed for a site. */
struct kc_alloc_key {
	unsigned int site;
	unsigned int alloc;
};

/* Key of kc_adopted: memory adopted in the audit phase (slab object address, vmalloc page
 * address, or pfn) that a site wrote during it, so may write after it. */
struct kc_adopt_key {
	unsigned int site;
	unsigned int pad;
	unsigned long long id;
};

/* A slab object recorded at allocation (kc_objects, key = object address). */
struct kc_object {
	unsigned int alloc;
	unsigned int size; /* bytes asked for (the kmem tracepoints' bytes_req), 0 if unknown */
};

/* One analyzed function's address range (kc_fns, sorted and disjoint), with the allocation id of
 * what is allocated inside it (KC_FN_ALLOC_BASE + its group). */
struct kc_fn_range {
	unsigned long long start;
	unsigned long long end;
	unsigned int alloc;
	unsigned int pad;
};

/* The slots [lo, hi) of kc_fns whose ranges meet one text page (kc_fn_pages, key = address >> KC_PAGE_SHIFT). */
struct kc_fn_span {
	unsigned int lo;
	unsigned int hi;
};

/* A buddy block recorded at allocation (kc_pages, key = head pfn). */
struct kc_page_block {
	unsigned int alloc;
	unsigned int order;
};

/* One page of a recorded vmalloc area (kc_vm_pages, key = address >> KC_PAGE_SHIFT). */
struct kc_vm_page {
	unsigned int alloc;
	unsigned int pages; /* pages of the area, in its first page's record */
	unsigned long long start;
};

/* One word read by kc_peek (array kc_peek_slots): the loader fills addr, the program val. */
struct kc_peek_slot {
	unsigned long long addr;
	unsigned long long val;
	long long err;
};

/* Values the loader finds at run time (the one-entry array .data.kcrt, written after load). */
struct kc_runtime {
	unsigned long long percpu_start; /* [start, end): every CPU's per-cpu units */
	unsigned long long percpu_end;
	unsigned int vm_caller_count;    /* used slots of kc_vm_callers */
	unsigned int percpu_contiguous;  /* 1: CPU k's unit is at percpu_start + k * percpu_unit (the loader checked) */
	unsigned long long percpu_unit;  /* bytes of one CPU's unit (pcpu_unit_size), 0 if unknown */
	unsigned long long percpu_static_end; /* __per_cpu_end: offsets below it are the kernel image's static per-cpu variables */
	unsigned int skb_ctor_count;     /* used slots of kc_skb_ctors (0: no site has KC_F_SKB_HEAD, nothing registered by stack) */
	unsigned int pad;                /* keeps the record 8-byte aligned */
};

/* One global symbol's address range [start, end). */
struct kc_range {
	unsigned long long start;
	unsigned long long end;
};

/* The run time's own memory (.data.kcdeny): sorted, disjoint ranges no site may write. kc_whereis
 * finds its maps' and global data's kernel ranges; the loader adds its program images, sorts and
 * merges them. */
struct kc_deny_table {
	unsigned int count;
	unsigned int pad;
	struct kc_range r[KC_MAX_DENY];
};

/* What kc_check found a passing address in (per cpu): the extent [lo, hi) of the object, block,
 * stack or range holding it (hi <= lo: unknown), for the range check of a write of several bytes. */
struct kc_span {
	unsigned long long lo;
	unsigned long long hi;
	unsigned long long cache;
	unsigned int region;
	unsigned int alloc;
};

/* Key of kc_allowed_caches: a cache allowed for a site. */
struct kc_cache_key {
	unsigned int site;
	unsigned int pad;
	unsigned long long cache; /* struct kmem_cache * */
};

/* A violation, sent through the ring buffer kc_events. */
struct kc_event {
	unsigned int site;
	unsigned int region;      /* KC_R_* bit of the region the address was found in, 0 if none */
	unsigned long long addr;
	unsigned long long cache; /* struct kmem_cache * for slab addresses, else 0 */
	unsigned int pid;
	int stack_id;             /* kernel stack id in kc_stacks, negative on error */
	unsigned long long object; /* start of the slab object / head pfn / vmalloc area start, 0 if unknown */
	unsigned int alloc;       /* allocation id recorded for that memory, KC_ALLOC_ADOPTED, or KC_ALLOC_NONE */
	unsigned int phase;       /* 0 audit, 1 enforce */
	unsigned int kind;        /* KC_EVENT_VIOLATION, or KC_EVENT_UNKNOWN (the old-objects rule "report") */
	unsigned int object_size; /* the slab cache's object size, 0 if not slab */
	unsigned int killed;      /* 1: SIGKILL sent to the current task */
	unsigned int pad;
	char comm[KC_COMM_LEN];
	char cache_name[KC_CACHE_NAME_LEN]; /* the slab cache's name, "" if not slab */
};

/* Key of kc_foreign_sizes: an object size of a type a site's typed fallback admits. */
struct kc_size_key {
	unsigned int set; /* kc_site_policy.foreign_set: sites with the same sizes share their entries */
	unsigned int size;
};

#endif /* KCOMPART_H */
