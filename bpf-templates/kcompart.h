/* SPDX-License-Identifier: GPL-2.0 */
/* kcompart.h: the layout shared by the BPF checker and user space (loader,
 * tests): region codes, the violation event sent through the ring buffer, the
 * per-site policy record, and the counter slots (DESIGN.md §5). Plain C types
 * only (no vmlinux.h), so a user-space program can include it as is. */
#ifndef KCOMPART_H
#define KCOMPART_H

#define KC_COMM_LEN 16
#define KC_MAX_SITES 65536
#define KC_MAX_GLOBALS 16384
/* Most global ranges one site's legal set may name (a bounded verifier loop); net/ipv6 needs 193. */
#define KC_MAX_SITE_GLOBALS 256
#define KC_MAX_CACHES 4096

/* Region bits: a site's legal set, and the region an address was found in. */
#define KC_R_STACK   (1u << 0)
#define KC_R_GLOBAL  (1u << 1)
#define KC_R_SLAB    (1u << 2)
#define KC_R_BUDDY   (1u << 3)
#define KC_R_VMALLOC (1u << 4)
#define KC_R_PERCPU  (1u << 5)
#define KC_R_VMEMMAP (1u << 6)
/* The legal set was widened to any memory: nothing to check. */
#define KC_R_ANY     (1u << 31)

/* Site-id flag: the write is gs-relative (x86-64 per-cpu), so its address is in
 * this CPU's per-cpu area by construction; the address passed is the offset. */
#define KC_SITE_GS (1u << 31)

/* kc_check results. */
#define KC_PASS      0
#define KC_VIOLATION 1
#define KC_UNKNOWN_SITE 2

/* Counter slots of the per-cpu array kc_counters. */
enum kc_counter {
	KC_CNT_CHECKS = 0,
	KC_CNT_PASSES,
	KC_CNT_VIOLATIONS,
	KC_CNT_AUDITED, /* violations seen during the audit phase: counted, not reported */
	KC_CNT_DROPS,   /* ring buffer full */
	KC_CNT_UNKNOWN_SITE,
	KC_CNT_MAX,
};

/* The legal set of one site, as the checker reads it (array map kc_sites, key = site id). */
struct kc_site_policy {
	unsigned int regions;      /* KC_R_* bits */
	unsigned int global_first; /* first slot of kc_globals */
	unsigned int global_count; /* slots from global_first (at most KC_MAX_SITE_GLOBALS) */
	unsigned int pad;
};

/* One global symbol's address range [start, end). */
struct kc_range {
	unsigned long long start;
	unsigned long long end;
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
	char comm[KC_COMM_LEN];
};

#endif /* KCOMPART_H */
