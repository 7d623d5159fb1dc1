/* SPDX-License-Identifier: GPL-2.0 */
/* loader.h: what the parts of the kcompart loader share (DESIGN.md §5): the
 * compiled-in seed of the policy (seed.c), /proc/kallsyms (kallsyms.c), filling
 * the maps (maps.c), attaching (attach.c), reporting (report.c), and the
 * skeleton of the policy's BPF object. The skeleton is made by
 * `bpftool gen skeleton <name>.bpf.o name <name>` (src/emit/compile.ts) and
 * named by two macros on the compiler's command line:
 *   -DKC_SKEL_HEADER='"<name>.skel.h"' -DKC_SKEL_NAME=<name>
 * so every map, knob and fixed program is reached through it
 * (kc_skel->maps.kc_sites, kc_skel->rodata->kc_thread_size,
 * kc_skel->progs.kc_peek) and checked by the compiler. */
#ifndef KC_LOADER_H
#define KC_LOADER_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>

#include "kcompart.h"

#if !defined(KC_SKEL_HEADER) || !defined(KC_SKEL_NAME)
#error "build with -DKC_SKEL_HEADER='\"<name>.skel.h\"' -DKC_SKEL_NAME=<name> (the bpftool skeleton of the policy's object)"
#endif
#include KC_SKEL_HEADER

#define KC_CAT_(a, b) a##b
#define KC_CAT(a, b) KC_CAT_(a, b)
/* The skeleton's type and functions: struct <name>, <name>__open(), <name>__load(), <name>__destroy(). */
#define KC_SKEL struct KC_SKEL_NAME
#define KC_SKEL_FN(f) KC_CAT(KC_SKEL_NAME, f)

/* ---- the seed: the policy as data (<name>.seed.h, compiled into seed.c) ---- */
struct kc_seed_cache {
	int name;
	int holder; /* the global holding the struct kmem_cache pointer, -1 if unknown */
	long offset;
	int typed;      /* created for a known type: never admitted by object size (kc_typed_caches) */
	int catalogued; /* from the cache catalogue, named by no set unless created for a set's type */
};

struct kc_seed_alloc {
	int site;
	int kind;
	int allocator;
	int file;
	unsigned int line;
};

struct kc_seed_probe {
	const char *program;
	unsigned int alloc;
	int symbol;
	int place; /* as for a site */
	unsigned long offset;
};

/* A global variable a legal set names: its kallsyms name, its size from the policy (0: unknown, the
 * next symbol ends it), and for a static one its neighbours in its object's section, which tell this
 * TU's symbol from same-named statics of other TUs (globals.c). */
struct kc_seed_neighbour {
	int name;
	long long delta; /* the neighbour's address minus the global's */
};

struct kc_seed_global {
	int name;
	unsigned long long size;
	int percpu;                       /* a static per-cpu variable: its kallsyms value is an offset */
	unsigned int neighbours, n_neighbours; /* a run of kc_seed.neighbours */
};

/* A static function that probes attach to: kallsyms may repeat its name (place.c). */
struct kc_seed_function {
	int name;
	unsigned int neighbours, n_neighbours; /* a run of kc_seed.neighbours */
};

struct kc_seed_site {
	const char *program;
	int symbol;
	int place; /* its entry of kc_seed.functions, -1: a global function (its name is unique) */
	unsigned long offset;
	unsigned int regions;
	unsigned int flags;
	int gs;
	unsigned int globals, caches, allocs, vm_callers, foreign_sizes; /* offsets into lists (globals: indices of kc_seed.globals) */
	int access, function, file;
	unsigned int line, column;
	int reloc;          /* the symbol of a relocated displacement, -1 if none */
	int reloc_global;   /* its entry of kc_seed.globals, -1 if none */
	long reloc_addend;  /* added to it */
	struct kc_recipe recipe; /* the write as data (kc_recipes[site id], for the data-driven kc_site) */
};

struct kc_seed {
	const char *compartment;
	unsigned long long hash; /* of the seed, also compiled into the BPF object (kc_policy_hash) */
	int n_sites, n_allocs, n_probes, n_caches, n_names, n_lists, n_globals, n_neighbours, n_fns, n_functions;
	int site_data; /* 1: one data-driven program kc_site checks every site (recipes); 0: kc_site_N per site */
	const char *const *names;   /* names are indices into it */
	const unsigned int *lists;  /* lists are offsets into it: length, then items */
	const struct kc_seed_cache *caches;
	const struct kc_seed_alloc *allocs;
	const struct kc_seed_probe *probes;
	const struct kc_seed_site *sites;
	const struct kc_seed_global *globals;
	const struct kc_seed_neighbour *neighbours;
	const struct kc_seed_function *functions;
	const int *fns; /* the analyzed functions' names: function g's allocations are KC_FN_ALLOC_BASE + g */
};

extern const struct kc_seed kc_seed;

/* Name i of the seed, "?" out of range. */
const char *kc_name(int i);

/* ---- options (main.c) ---- */
struct kc_options {
	int no_attach, no_track, enforce_now, verbose, no_kfunc, strict, hits;
	double enforce_after, duration; /* seconds, < 0: not given */
	unsigned long long thread_size; /* 0: from kallsyms */
	int paging_levels;              /* 4 or 5 */
	unsigned int old_objects;       /* KC_OLD_* */
	unsigned int on_violation;      /* KC_ON_VIOLATION_* */
	const char *matrix;             /* targets file of the attack matrix (run on SIGHUP), or NULL */
};

extern struct kc_options kc_opt;
extern KC_SKEL *kc_skel;

/* ---- /proc/kallsyms (kallsyms.c) ---- */
struct kc_ksym {
	unsigned long long addr;
	char type;
	char *name;
};

/* Reads /proc/kallsyms; -EPERM when kptr_restrict hides the addresses. */
int kc_kallsyms_load(void);
/* The same from a file of kallsyms lines (System.map has the same form): the tests. */
int kc_kallsyms_load_file(const char *path);
/* The first by-name index of `name`, or -1. */
long kc_ksym_find(const char *name);
/* The symbol at by-name index i (NULL past the end): same-named symbols follow each other. */
const struct kc_ksym *kc_ksym_at(long i);
/* The end of a symbol: the next higher address, at most KC_MAX_SYMBOL_BYTES on. */
unsigned long long kc_ksym_end(const struct kc_ksym *s);
/* The address of the first symbol called `name`, 0 if none. */
unsigned long long kc_ksym_addr(const char *name);
/* "sym+0x1f" for an address, into buf. */
const char *kc_ksym_describe(unsigned long long addr, char *buf, size_t len);
/* How many symbols are called `name` (the kernel refuses a kprobe on a name it holds twice). */
unsigned int kc_ksym_count(const char *name);
/* The nearest text symbol at or below addr whose name kallsyms holds once (at most `within` bytes
 * below), or NULL: an anchor that a kprobe can name. */
const struct kc_ksym *kc_ksym_unique_text_below(unsigned long long addr, unsigned long long within);

/* ---- globals (globals.c) ---- */
/* Where one seed global is: exact (its TU's symbol), or widened to every same-named candidate. */
struct kc_global_place {
	unsigned int first, count; /* a run of kc_global_ranges() */
	int ambiguous;             /* several candidates and the neighbours did not single one out */
	int by_neighbours;         /* several candidates, one placed by its neighbours */
};
/* Resolves every seed global against kallsyms (KC-GLOBALS line, KC-WIDENED per ambiguous one). 0 or -errno. */
int kc_resolve_globals(FILE *out);
const struct kc_global_place *kc_global_place(int g);
const struct kc_range *kc_global_ranges(void);
/* How many of the seed neighbours [first, first + count) sit at their distance from addr. */
unsigned int kc_neighbours_at(unsigned int first, unsigned int count, unsigned long long addr);
/* Of the kallsyms symbols called `name` whose type `keep` accepts (NULL: all), the one with the most
 * of those neighbours at their distances: *best is its score, *at_best how many share it. */
const struct kc_ksym *kc_best_candidate(const char *name, int (*keep)(char type), unsigned int first, unsigned int count,
				       unsigned int *best, unsigned int *at_best);

/* ---- static functions kallsyms repeats (place.c) ---- */
struct kc_place_stats {
	unsigned int repeated;      /* functions whose name kallsyms holds more than once */
	unsigned int by_neighbours; /* of them, placed by their neighbours */
	unsigned int unplaced;      /* of them, not placed: their probes go by name (and are refused) */
};
/* Where to attach a probe at `symbol`+`offset` of seed function `place` (-1: a global function):
 * the name itself when kallsyms holds it once, else a unique text symbol before this TU's copy
 * (found by its neighbours) and the distance from it. Sets *name and *off. */
void kc_place_probe(int place, const char *symbol, unsigned long offset, const char **name, unsigned long *off);
/* What kc_place_probe met so far (KC-PLACED). */
struct kc_place_stats kc_place_stats(void);

/* ---- maps (maps.c) ---- */
int kc_possible_cpus(void);
/* The per-cpu areas, for kc_rt. */
void kc_find_percpu(struct kc_runtime *rt);
/* The struct kmem_cache * of every seed cache (0: not found, printed as KC-WIDENED). */
unsigned long long *kc_resolve_caches(void);
/* Fills kc_vm_callers; returns the slots used. */
unsigned int kc_fill_vm_callers(void);
/* Sizes maps before load: kc_recipes one slot per site in data mode (else 1), kc_allowed_allocs and
 * kc_allowed_caches at least the seed's pairs. Returns 0 or -errno (-E2BIG past KC_MAX_ALLOWED_ALL). */
int kc_size_maps(void);
/* Fills kc_sites, kc_globals, kc_allowed_caches, kc_allowed_allocs, kc_relocs, kc_recipes (KC-MAPS line). */
int kc_fill_maps(const unsigned long long *cache_ptr);
/* Fills kc_fns and kc_fn_pages from the seed's analyzed functions (fns.c; KC-FNS line). */
int kc_fill_fns(void);
/* How many seed sites have KC_F_SKB_HEAD (the skb-head class). */
int kc_seed_skb_sites(void);
/* With such sites, fills kc_skb_ctors with the text ranges of the skb constructors found in kallsyms
 * (a missing one is a KC-REFUSED skb-ctor line; KC-SKB-CTORS line); returns the slots used, for
 * kc_rt.skb_ctor_count (0 without such sites: nothing is printed). */
unsigned int kc_fill_skb_ctors(void);
/* Self-defence: the kernel ranges of the run time's maps and global data (kc_whereis) and of its
 * JIT images, sorted and merged into kc_deny (KC-DENY line). Returns 0 or -errno. */
int kc_fill_deny(void);

/* ---- attaching (attach.c) ---- */
struct kc_attach_stats {
	unsigned int sites, refused, track, track_refused;
};
/* The free probes, vmalloc probes and page tracepoints; with skb-head sites, the install probes
 * kc_skb_install_1 / _2 on build_skb and kin (those kallsyms has). */
void kc_attach_tracking(struct kc_attach_stats *st);
/* Every site program (data mode: kc_site at every site, the site id as BPF cookie) and allocation
 * probe at its symbol+offset. */
void kc_attach_sites(struct kc_attach_stats *st);
/* Destroys every link; returns how many there were. */
size_t kc_detach_all(void);
/* Kprobe misses (nmissed) summed over the attached kprobes; *known = 0 when the kernel does not
 * report them (bpf_link_info of perf-event kprobes carries `missed` from 6.7 on). */
unsigned long long kc_kprobe_missed(int *known);

/* ---- reporting (report.c) ---- */
/* Prints a name with every byte outside printable ASCII (and the quote, the backslash) as \xNN. */
void kc_put_name(FILE *f, const char *s);
/* KC-REFUSED <what> <program> at "<symbol>"+0x<offset>: <reason>[ source="<file:line:column>" function="<f>"] */
void kc_report_refusal(const char *what, const char *program, const char *symbol, unsigned long offset, int err);
/* The same for a site program, with the source line of its write. */
void kc_report_site_refusal(const struct kc_seed_site *s, int err);
/* KC-COUNTERS <when> name=sum … */
void kc_print_counters(const char *when);
/* KC-STACK: the symbolized kernel stack `stack_id` of kc_stacks (nothing when the id is negative or gone). */
void kc_print_stack(int stack_id);
/* KC-HITS site=N hits=M at="file:line:col" probe="symbol+0xoff" for every site program that ran (--hits). */
void kc_print_hits(void);
/* "stack", "slab", … for a KC_R_* bit; "none" otherwise. */
const char *kc_region_name(unsigned int r);
/* The ring buffer of violations, printed as KC-VIOLATION and KC-STACK lines. */
struct ring_buffer *kc_events_open(void);

/* ---- the attack matrix (matrix.c) ---- */
/* Asks kc_matrix, for every site program and every target of the file (lines "LABEL ADDR [WIDTH]"),
 * whether a write there passes; prints KC-MATRIX lines and KC-MATRIX-DONE. Returns 0 or -errno. */
int kc_run_matrix(const char *path);

#endif /* KC_LOADER_H */
