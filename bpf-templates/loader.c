// SPDX-License-Identifier: GPL-2.0
/* loader.c: the user-space side of a kcompart policy (DESIGN.md §5), on libbpf.
 * Built once per policy with its seed header (src/emit writes <name>.seed.h):
 *
 *   cc -O2 -Wall -DKC_SEED='"<name>.seed.h"' loader.c -o <name>-loader -static -lbpf -lelf -lz
 *
 * It opens and loads the BPF object, resolves the policy's names through
 * /proc/kallsyms (globals as ranges up to the next symbol, vmalloc callers as
 * function ranges) and, with the object's kc_peek program, the kernel words
 * it needs (cache pointers held by globals, the per-cpu areas); fills the
 * checker's maps; attaches every site program and allocation probe at
 * symbol+offset, reporting the probes the kernel refuses with their reason;
 * then prints violations from the ring buffer until told to stop. Phases:
 * audit first, enforce on SIGUSR1 or after --enforce-after seconds. SIGUSR2
 * prints the counters; SIGINT/SIGTERM (or --duration) prints them, detaches
 * everything and exits. Output lines start with KC- and are made for scripts. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "kcompart.h"

struct kc_seed_cache {
	int name;
	int holder; /* the global holding the struct kmem_cache pointer, -1 if unknown */
	long offset;
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
	unsigned long offset;
};

struct kc_seed_site {
	const char *program;
	int symbol;
	unsigned long offset;
	unsigned int regions;
	unsigned int flags;
	int gs;
	unsigned int globals, caches, allocs, vm_callers; /* offsets into kc_seed_lists */
	int access, function, file;
	unsigned int line, column;
};

#ifndef KC_SEED
#error "build with -DKC_SEED='\"<name>.seed.h\"'"
#endif
#include KC_SEED

#define N(i) ((i) >= 0 && (i) < KC_SEED_NAMES ? kc_seed_names[i] : "?")

/* ---- options ------------------------------------------------------------------ */
static const char *opt_object;
static int opt_no_attach, opt_verbose, opt_enforce_now, opt_no_track;
static double opt_enforce_after = -1, opt_duration = -1;

static volatile sig_atomic_t want_stop, want_enforce, want_counters;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_enforce = 1;
	else if (sig == SIGUSR2)
		want_counters = 1;
	else
		want_stop = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || (!opt_verbose && level == LIBBPF_INFO))
		return 0;
	if (!opt_verbose && level == LIBBPF_WARN)
		return 0; /* refusals are reported by the loader itself, one line each */
	return vfprintf(stderr, fmt, ap);
}

/* Prints a name with every byte outside printable ASCII (and the quote) as \xNN. */
static void put_name(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			fputc(c, f);
		else
			fprintf(f, "\\x%02x", c);
	}
}

/* ---- /proc/kallsyms -------------------------------------------------------------- */
struct ksym {
	unsigned long long addr;
	char type;
	char *name;
};

static struct ksym *ksyms;     /* by address */
static struct ksym **by_name;  /* by name */
static size_t nksyms;

static int cmp_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_name(const void *a, const void *b)
{
	const struct ksym *const *x = a, *const *y = b;
	int c = strcmp((*x)->name, (*y)->name);

	return c ? c : ((*x)->addr < (*y)->addr ? -1 : (*x)->addr > (*y)->addr);
}

static int load_kallsyms(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], name[256], type;
	unsigned long long addr;
	size_t cap = 0, i;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (nksyms == cap) {
			cap = cap ? cap * 2 : 65536;
			ksyms = realloc(ksyms, cap * sizeof(*ksyms));
			if (!ksyms)
				return -ENOMEM;
		}
		ksyms[nksyms].addr = addr;
		ksyms[nksyms].type = type;
		ksyms[nksyms].name = strdup(name);
		nksyms++;
	}
	fclose(f);
	qsort(ksyms, nksyms, sizeof(*ksyms), cmp_addr);
	by_name = malloc(nksyms * sizeof(*by_name));
	if (!by_name)
		return -ENOMEM;
	for (i = 0; i < nksyms; i++)
		by_name[i] = &ksyms[i];
	qsort(by_name, nksyms, sizeof(*by_name), cmp_name);
	for (i = 0; i < nksyms && !ksyms[i].addr; i++)
		;
	return i == nksyms ? -EPERM : 0; /* all zero: kptr_restrict hides the addresses */
}

/* The first by-name index of `name`, or -1. */
static long ksym_find(const char *name)
{
	size_t lo = 0, hi = nksyms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(by_name[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nksyms && !strcmp(by_name[lo]->name, name) ? (long)lo : -1;
}

/* The end of the symbol at address-index i: the next higher address, at most 16 MiB on. */
static unsigned long long ksym_end(const struct ksym *s)
{
	size_t i = (size_t)(s - ksyms);
	unsigned long long cap = s->addr + (16ULL << 20);

	for (i++; i < nksyms; i++)
		if (ksyms[i].addr > s->addr)
			return ksyms[i].addr < cap ? ksyms[i].addr : cap;
	return s->addr + 4096;
}

static unsigned long long ksym_addr(const char *name)
{
	long i = ksym_find(name);

	return i < 0 ? 0 : by_name[i]->addr;
}

/* "sym+0x1f" for an address, into buf. */
static const char *ksym_describe(unsigned long long addr, char *buf, size_t len)
{
	size_t lo = 0, hi = nksyms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ksyms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		snprintf(buf, len, "0x%llx", addr);
	else
		snprintf(buf, len, "%s+0x%llx", ksyms[lo - 1].name, addr - ksyms[lo - 1].addr);
	return buf;
}

/* ---- the BPF object ---------------------------------------------------------------- */
static struct bpf_object *obj;
static int fd_sites, fd_globals, fd_caches, fd_allowed, fd_vm_callers, fd_counters, fd_peek, fd_stacks;
static struct bpf_map *map_bss, *map_rt;
static struct bpf_link **links;
static size_t nlinks, caplinks;
static unsigned int attached, refused, track_attached, track_refused;
static unsigned int widened_caches, widened_callers;

static int map_fd(const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (!m) {
		fprintf(stderr, "KC-ERROR map %s not in %s\n", name, opt_object);
		exit(1);
	}
	return bpf_map__fd(m);
}

static void keep_link(struct bpf_link *l)
{
	if (nlinks == caplinks) {
		caplinks = caplinks ? caplinks * 2 : 1024;
		links = realloc(links, caplinks * sizeof(*links));
		if (!links) {
			fprintf(stderr, "KC-ERROR out of memory\n");
			exit(1);
		}
	}
	links[nlinks++] = l;
}

/* Reads up to KC_PEEK_SLOTS kernel words through kc_peek. Returns 0 or -errno. */
static int peek(const unsigned long long *addrs, unsigned long long *vals, int *ok, int n)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, "kc_peek");
	struct kc_peek_slot slot;
	unsigned long long args[1] = { 0 };
	__u32 i;
	int err;

	if (!p || n > KC_PEEK_SLOTS)
		return -EINVAL;
	for (i = 0; i < KC_PEEK_SLOTS; i++) {
		memset(&slot, 0, sizeof(slot));
		slot.addr = (int)i < n ? addrs[i] : 0;
		if (bpf_map_update_elem(fd_peek, &i, &slot, 0))
			return -errno;
	}
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
	err = bpf_prog_test_run_opts(bpf_program__fd(p), &opts);
	if (err)
		return -errno;
	for (i = 0; (int)i < n; i++) {
		if (bpf_map_lookup_elem(fd_peek, &i, &slot))
			return -errno;
		vals[i] = slot.val;
		ok[i] = addrs[i] && slot.err == 0;
	}
	return 0;
}

static int possible_cpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : 1;
}

/* The per-cpu areas: [min __per_cpu_offset[c], max __per_cpu_offset[c] + pcpu_unit_size). */
static void find_percpu(struct kc_runtime *rt)
{
	unsigned long long base = ksym_addr("__per_cpu_offset"), unit = ksym_addr("pcpu_unit_size");
	unsigned long long addrs[KC_PEEK_SLOTS], vals[KC_PEEK_SLOTS], lo = ~0ULL, hi = 0;
	int ok[KC_PEEK_SLOTS], ncpu = possible_cpus(), i;

	if (!base || !unit) {
		fprintf(stderr, "KC-WARN no __per_cpu_offset / pcpu_unit_size in kallsyms: per-cpu addresses are not classified\n");
		return;
	}
	if (ncpu > KC_PEEK_SLOTS - 1)
		ncpu = KC_PEEK_SLOTS - 1;
	addrs[0] = unit;
	for (i = 0; i < ncpu; i++)
		addrs[i + 1] = base + 8ULL * i;
	if (peek(addrs, vals, ok, ncpu + 1) || !ok[0]) {
		fprintf(stderr, "KC-WARN cannot read the per-cpu offsets\n");
		return;
	}
	for (i = 0; i < ncpu; i++) {
		if (!ok[i + 1] || !vals[i + 1])
			continue;
		if (vals[i + 1] < lo)
			lo = vals[i + 1];
		if (vals[i + 1] + (vals[0] & 0xffffffffULL) > hi)
			hi = vals[i + 1] + (vals[0] & 0xffffffffULL);
	}
	if (hi > lo) {
		rt->percpu_start = lo;
		rt->percpu_end = hi;
	}
}

/* The struct kmem_cache * of every seed cache (0: not found). */
static unsigned long long *resolve_caches(void)
{
	unsigned long long *ptr = calloc(KC_SEED_CACHES + 1, sizeof(*ptr));
	unsigned long long addrs[KC_PEEK_SLOTS], vals[KC_PEEK_SLOTS];
	int ok[KC_PEEK_SLOTS], idx[KC_PEEK_SLOTS], n = 0, i, c;

	if (!ptr)
		return NULL;
	for (c = 0; c <= KC_SEED_CACHES; c++) {
		if (c < KC_SEED_CACHES && kc_seed_caches[c].holder >= 0) {
			unsigned long long a = ksym_addr(N(kc_seed_caches[c].holder));

			if (a) {
				addrs[n] = a + kc_seed_caches[c].offset;
				idx[n++] = c;
			}
		}
		if (n == KC_PEEK_SLOTS || (c == KC_SEED_CACHES && n)) {
			if (peek(addrs, vals, ok, n) == 0)
				for (i = 0; i < n; i++)
					ptr[idx[i]] = ok[i] ? vals[i] : 0;
			n = 0;
		}
	}
	for (c = 0; c < KC_SEED_CACHES; c++) {
		if (ptr[c])
			continue;
		fprintf(stdout, "KC-WIDENED cache \"");
		put_name(stdout, N(kc_seed_caches[c].name));
		fprintf(stdout, "\" (holder \"");
		put_name(stdout, kc_seed_caches[c].holder >= 0 ? N(kc_seed_caches[c].holder) : "?");
		fprintf(stdout, "\") not found: its sites allow untracked slab objects\n");
	}
	return ptr;
}

/* kc_vm_callers: one range per distinct caller function name (slot = name's order of first use). */
static int *vm_caller_slot; /* by name index, -1 if none */
static unsigned int vm_callers;

static void fill_vm_callers(void)
{
	int i;

	vm_caller_slot = malloc(sizeof(int) * (KC_SEED_NAMES + 1));
	for (i = 0; i <= KC_SEED_NAMES; i++)
		vm_caller_slot[i] = -1;
	for (i = 0; i < KC_SEED_SITES; i++) {
		const unsigned int *l = &kc_seed_lists[kc_seed_sites[i].vm_callers];
		unsigned int k;

		for (k = 0; k < l[0]; k++) {
			int name = (int)l[1 + k];
			long j = ksym_find(N(name));
			struct kc_range r;

			if (vm_caller_slot[name] != -1 || j < 0 || vm_callers >= KC_MAX_VM_CALLERS) {
				if (j < 0 && vm_caller_slot[name] == -1) {
					vm_caller_slot[name] = -2; /* unresolvable: widened */
					widened_callers++;
				}
				continue;
			}
			r.start = by_name[j]->addr;
			r.end = ksym_end(by_name[j]);
			if (bpf_map_update_elem(fd_vm_callers, &vm_callers, &r, 0) == 0)
				vm_caller_slot[name] = (int)vm_callers++;
		}
	}
}

static int cmp_range(const void *a, const void *b)
{
	const struct kc_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Fills kc_sites, kc_globals, kc_allowed_caches, kc_allowed_allocs. */
static int fill_maps(const unsigned long long *cache_ptr)
{
	unsigned int *list_first = calloc(KC_SEED_LISTS + 1, sizeof(unsigned int));
	unsigned int *list_count = calloc(KC_SEED_LISTS + 1, sizeof(unsigned int));
	char *list_done = calloc(KC_SEED_LISTS + 1, 1);
	unsigned int next_global = 0, over = 0, i, k;
	unsigned char one = 1;

	if (!list_first || !list_count || !list_done)
		return -ENOMEM;
	for (i = 0; i < KC_SEED_SITES; i++) {
		const struct kc_seed_site *s = &kc_seed_sites[i];
		struct kc_site_policy p = { .regions = s->regions, .flags = s->flags };
		const unsigned int *l;

		/* globals: one range per kallsyms symbol of each name (statics may repeat), shared by
		 * equal lists, sorted by start for the checker's binary search */
		if (!list_done[s->globals]) {
			struct kc_range *rs = NULL;
			size_t n = 0, cap = 0, m;

			list_done[s->globals] = 1;
			list_first[s->globals] = next_global;
			l = &kc_seed_lists[s->globals];
			for (k = 0; k < l[0]; k++) {
				const char *name = N((int)l[1 + k]);
				long j = ksym_find(name);

				for (; j >= 0 && (size_t)j < nksyms && !strcmp(by_name[j]->name, name); j++) {
					if (n == cap) {
						cap = cap ? cap * 2 : 64;
						rs = realloc(rs, cap * sizeof(*rs));
						if (!rs)
							return -ENOMEM;
					}
					rs[n].start = by_name[j]->addr;
					rs[n].end = ksym_end(by_name[j]);
					n++;
				}
			}
			if (n)
				qsort(rs, n, sizeof(*rs), cmp_range);
			for (m = 0; m < n && next_global < KC_MAX_GLOBALS; m++) {
				/* disjoint: a range ends where the next (higher) one starts */
				if (m + 1 < n && rs[m].end > rs[m + 1].start)
					rs[m].end = rs[m + 1].start;
				bpf_map_update_elem(fd_globals, &next_global, &rs[m], 0);
				next_global++;
				list_count[s->globals]++;
			}
			free(rs);
		}
		p.global_first = list_first[s->globals];
		p.global_count = list_count[s->globals];
		if (p.global_count > KC_MAX_SITE_GLOBALS || next_global >= KC_MAX_GLOBALS) {
			/* more ranges than the checker scans: allow any global for this site (widened) */
			over++;
			p.regions |= KC_R_ANY;
		}
		l = &kc_seed_lists[s->caches];
		for (k = 0; k < l[0]; k++) {
			unsigned long long c = cache_ptr[l[1 + k]];
			struct kc_cache_key key = { .site = i, .cache = c };

			if (!c) {
				p.flags |= KC_F_UNTRACKED_SLAB;
				continue;
			}
			if (bpf_map_update_elem(fd_caches, &key, &one, 0))
				fprintf(stderr, "KC-WARN kc_allowed_caches full\n");
		}
		l = &kc_seed_lists[s->allocs];
		for (k = 0; k < l[0]; k++) {
			struct kc_alloc_key key = { .site = i, .alloc = l[1 + k] };

			if (bpf_map_update_elem(fd_allowed, &key, &one, 0))
				fprintf(stderr, "KC-WARN kc_allowed_allocs full\n");
		}
		l = &kc_seed_lists[s->vm_callers];
		for (k = 0; k < l[0]; k++) {
			int slot = vm_caller_slot[l[1 + k]];

			if (slot < 0) {
				p.flags |= KC_F_UNTRACKED_VMALLOC;
				continue;
			}
			struct kc_alloc_key key = { .site = i, .alloc = KC_VM_ALLOC_BASE + (unsigned int)slot };

			bpf_map_update_elem(fd_allowed, &key, &one, 0);
		}
		if (opt_no_track) {
			/* no allocation probes: every tracked kind is checked by kind only */
			if (p.flags & KC_F_TRACKED_SLAB)
				p.flags |= KC_F_UNTRACKED_SLAB;
			if (p.flags & KC_F_TRACKED_BUDDY)
				p.flags |= KC_F_UNTRACKED_BUDDY;
			if (p.flags & KC_F_TRACKED_VMALLOC)
				p.flags |= KC_F_UNTRACKED_VMALLOC;
		}
		if (bpf_map_update_elem(fd_sites, &i, &p, 0)) {
			fprintf(stderr, "KC-ERROR kc_sites update %u: %s\n", i, strerror(errno));
			return -errno;
		}
	}
	fprintf(stdout, "KC-MAPS sites=%d global_ranges=%u over_global_limit=%u caches_widened=%u vm_callers=%u vm_callers_widened=%u\n",
		KC_SEED_SITES, next_global, over, widened_caches, vm_callers, widened_callers);
	free(list_first);
	free(list_count);
	free(list_done);
	return 0;
}

static void report_refusal(const char *what, const char *program, const char *symbol, unsigned long offset, int err)
{
	fprintf(stdout, "KC-REFUSED %s %s at \"", what, program);
	put_name(stdout, symbol);
	fprintf(stdout, "\"+0x%lx: %s\n", offset, strerror(-err));
}

static int attach_kprobe(const char *program, const char *symbol, unsigned long offset, int retprobe)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, program);
	struct bpf_link *l;

	if (!p)
		return -ENOENT;
	LIBBPF_OPTS(bpf_kprobe_opts, o, .offset = offset, .retprobe = retprobe);
	l = bpf_program__attach_kprobe_opts(p, symbol, &o);
	if (!l)
		return -errno ? -errno : -EINVAL;
	keep_link(l);
	return 0;
}

static void attach_sites(void)
{
	int i, err;

	for (i = 0; i < KC_SEED_SITES; i++) {
		const struct kc_seed_site *s = &kc_seed_sites[i];

		err = attach_kprobe(s->program, N(s->symbol), s->offset, 0);
		if (err) {
			refused++;
			report_refusal("site", s->program, N(s->symbol), s->offset, err);
		} else {
			attached++;
		}
	}
	for (i = 0; i < KC_SEED_PROBES; i++) {
		const struct kc_seed_probe *p = &kc_seed_probes[i];

		err = attach_kprobe(p->program, N(p->symbol), p->offset, 0);
		if (err) {
			track_refused++;
			report_refusal("alloc", p->program, N(p->symbol), p->offset, err);
		} else {
			track_attached++;
		}
	}
}

/* The free probes, vmalloc probes and page tracepoints; the kernel's spelling of each function. */
static void attach_tracking(void)
{
	static const struct {
		const char *program;
		const char *symbols[3];
		int retprobe;
	} fixed[] = {
		{ "kc_free_kfree", { "kfree" }, 0 },
		{ "kc_free_cache", { "kmem_cache_free" }, 0 },
		{ "kc_free_bulk", { "kmem_cache_free_bulk" }, 0 },
		{ "kc_free_vfree", { "vfree" }, 0 },
		{ "kc_vmalloc_entry", { "__vmalloc_node_range", "__vmalloc_node_range_noprof" }, 0 },
		{ "kc_vmalloc_ret", { "__vmalloc_node_range", "__vmalloc_node_range_noprof" }, 1 },
	};
	static const char *const tps[] = { "kc_page_alloc", "kc_page_free" };
	size_t i, k;
	int err;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		err = -ENOENT;
		for (k = 0; k < 3 && fixed[i].symbols[k]; k++) {
			if (!ksym_addr(fixed[i].symbols[k]))
				continue;
			err = attach_kprobe(fixed[i].program, fixed[i].symbols[k], 0, fixed[i].retprobe);
			break;
		}
		if (err) {
			track_refused++;
			report_refusal("track", fixed[i].program, fixed[i].symbols[0], 0, err);
		} else {
			track_attached++;
		}
	}
	for (i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, tps[i]);
		struct bpf_link *l = p ? bpf_program__attach(p) : NULL;

		if (!l) {
			track_refused++;
			report_refusal("track", tps[i], "tracepoint", 0, p ? -errno : -ENOENT);
		} else {
			keep_link(l);
			track_attached++;
		}
	}
}

static void set_enforce(unsigned int on)
{
	size_t size = bpf_map__value_size(map_bss);
	void *v = calloc(1, size);
	__u32 zero = 0;

	if (v && bpf_map_lookup_elem(bpf_map__fd(map_bss), &zero, v) == 0) {
		memcpy(v, &on, sizeof(on)); /* kc_enforce is the only variable of .bss */
		bpf_map_update_elem(bpf_map__fd(map_bss), &zero, v, 0);
	}
	free(v);
	fprintf(stdout, "KC-PHASE %s\n", on ? "enforce" : "audit");
	fflush(stdout);
}

static const char *const counter_names[KC_CNT_MAX] = {
	[KC_CNT_CHECKS] = "checks", [KC_CNT_PASSES] = "passes", [KC_CNT_VIOLATIONS] = "violations",
	[KC_CNT_AUDITED] = "audited", [KC_CNT_DROPS] = "drops", [KC_CNT_UNKNOWN_SITE] = "unknown_site",
	[KC_CNT_TRACKED] = "tracked", [KC_CNT_ADOPTED] = "adopted", [KC_CNT_FREED] = "freed",
	[KC_CNT_TRACK_FULL] = "track_full", [KC_CNT_UNTRACKED_PASS] = "untracked_pass",
	[KC_CNT_PASS_STACK] = "pass_stack", [KC_CNT_PASS_GLOBAL] = "pass_global", [KC_CNT_PASS_SLAB] = "pass_slab",
	[KC_CNT_PASS_BUDDY] = "pass_buddy", [KC_CNT_PASS_VMALLOC] = "pass_vmalloc", [KC_CNT_PASS_PERCPU] = "pass_percpu",
	[KC_CNT_PASS_VMEMMAP] = "pass_vmemmap",
};

static void print_counters(const char *when)
{
	int ncpu = possible_cpus(), c;
	__u64 *vals = calloc(ncpu, sizeof(__u64));
	__u32 k;

	fprintf(stdout, "KC-COUNTERS %s", when);
	for (k = 0; vals && k < KC_CNT_MAX; k++) {
		__u64 sum = 0;

		if (bpf_map_lookup_elem(fd_counters, &k, vals) == 0)
			for (c = 0; c < ncpu; c++)
				sum += vals[c];
		fprintf(stdout, " %s=%llu", counter_names[k] ? counter_names[k] : "?", (unsigned long long)sum);
	}
	fprintf(stdout, "\n");
	fflush(stdout);
	free(vals);
}

static const char *region_name(unsigned int r)
{
	switch (r) {
	case KC_R_STACK: return "stack";
	case KC_R_GLOBAL: return "global";
	case KC_R_SLAB: return "slab";
	case KC_R_BUDDY: return "buddy";
	case KC_R_VMALLOC: return "vmalloc";
	case KC_R_PERCPU: return "percpu";
	case KC_R_VMEMMAP: return "vmemmap";
	default: return "none";
	}
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct kc_event *e = data;
	const struct kc_seed_site *s;
	char buf[160], comm[KC_COMM_LEN + 1];
	__u64 ips[32];
	int i;

	(void)ctx;
	if (len < sizeof(*e) || e->site >= KC_SEED_SITES)
		return 0;
	s = &kc_seed_sites[e->site];
	memcpy(comm, e->comm, KC_COMM_LEN);
	comm[KC_COMM_LEN] = 0;
	fprintf(stdout, "KC-VIOLATION site=%u at=\"", e->site);
	put_name(stdout, N(s->file));
	fprintf(stdout, ":%u:%u\" function=\"", s->line, s->column);
	put_name(stdout, N(s->function));
	fprintf(stdout, "\" probe=\"");
	put_name(stdout, N(s->symbol));
	fprintf(stdout, "+0x%lx\" access=\"", s->offset);
	put_name(stdout, N(s->access));
	fprintf(stdout, "\" addr=0x%llx region=%s object=0x%llx cache=0x%llx alloc=", e->addr, region_name(e->region),
		e->object, e->cache);
	if (e->alloc == KC_ALLOC_NONE)
		fprintf(stdout, "none");
	else if (e->alloc == KC_ALLOC_ADOPTED)
		fprintf(stdout, "adopted");
	else if (e->alloc >= KC_VM_ALLOC_BASE)
		fprintf(stdout, "vmalloc-caller-%u", e->alloc - KC_VM_ALLOC_BASE);
	else if (e->alloc < sizeof(kc_seed_allocs) / sizeof(kc_seed_allocs[0]) && kc_seed_allocs[e->alloc].site >= 0) {
		fputc('"', stdout);
		put_name(stdout, N(kc_seed_allocs[e->alloc].site));
		fputc('"', stdout);
	}
	fprintf(stdout, " pid=%u comm=\"", e->pid);
	put_name(stdout, comm);
	fprintf(stdout, "\" stack_id=%d\n", e->stack_id);
	if (e->stack_id >= 0 && bpf_map_lookup_elem(fd_stacks, &e->stack_id, ips) == 0) {
		fprintf(stdout, "KC-STACK");
		for (i = 0; i < 32 && ips[i]; i++)
			fprintf(stdout, " %s", ksym_describe(ips[i], buf, sizeof(buf)));
		fprintf(stdout, "\n");
	}
	fflush(stdout);
	return 0;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s OBJECT.bpf.o [--no-attach] [--no-track] [--enforce | --enforce-after SECONDS] [--duration SECONDS] [--verbose]\n"
		"  compartment: \"", argv0);
	put_name(stderr, KC_SEED_COMPARTMENT);
	fprintf(stderr, "\" (%d site programs, %d allocation probes)\n"
		"  SIGUSR1: switch to enforce; SIGUSR2: print counters; SIGINT/SIGTERM: counters, detach, exit\n",
		KC_SEED_SITES, KC_SEED_PROBES);
}

int main(int argc, char **argv)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY }, files = { 1 << 20, 1 << 20 };
	struct kc_runtime rt = {};
	struct ring_buffer *rb = NULL;
	unsigned long long *cache_ptr;
	double start, enforce_at = -1;
	__u32 zero = 0;
	int i, err, enforced = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-attach"))
			opt_no_attach = 1;
		else if (!strcmp(argv[i], "--no-track"))
			opt_no_track = 1;
		else if (!strcmp(argv[i], "--enforce"))
			opt_enforce_now = 1;
		else if (!strcmp(argv[i], "--verbose"))
			opt_verbose = 1;
		else if (!strcmp(argv[i], "--enforce-after") && i + 1 < argc)
			opt_enforce_after = atof(argv[++i]);
		else if (!strcmp(argv[i], "--duration") && i + 1 < argc)
			opt_duration = atof(argv[++i]);
		else if (argv[i][0] != '-' && !opt_object)
			opt_object = argv[i];
		else {
			usage(argv[0]);
			return 2;
		}
	}
	if (!opt_object) {
		usage(argv[0]);
		return 2;
	}
	libbpf_set_print(libbpf_print);
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	if (setrlimit(RLIMIT_NOFILE, &files)) {
		files.rlim_cur = files.rlim_max = 65536;
		setrlimit(RLIMIT_NOFILE, &files);
	}
	err = load_kallsyms();
	if (err) {
		fprintf(stderr, "KC-ERROR /proc/kallsyms: %s (root, and kptr_restrict <= 1, are needed)\n", strerror(-err));
		return 1;
	}
	start = now();
	obj = bpf_object__open_file(opt_object, NULL);
	if (!obj) {
		fprintf(stderr, "KC-ERROR open %s: %s\n", opt_object, strerror(errno));
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "KC-ERROR load %s: %s (rerun with --verbose for the verifier log)\n", opt_object, strerror(-err));
		return 1;
	}
	fprintf(stdout, "KC-LOADED compartment=\"");
	put_name(stdout, KC_SEED_COMPARTMENT);
	fprintf(stdout, "\" sites=%d probes=%d seconds=%.2f\n", KC_SEED_SITES, KC_SEED_PROBES, now() - start);
	fd_sites = map_fd("kc_sites");
	fd_globals = map_fd("kc_globals");
	fd_caches = map_fd("kc_allowed_caches");
	fd_allowed = map_fd("kc_allowed_allocs");
	fd_vm_callers = map_fd("kc_vm_callers");
	fd_counters = map_fd("kc_counters");
	fd_peek = map_fd("kc_peek_slots");
	fd_stacks = map_fd("kc_stacks");
	map_bss = bpf_object__find_map_by_name(obj, ".bss");
	map_rt = bpf_object__find_map_by_name(obj, ".data.kcrt");
	if (!map_bss || !map_rt) {
		fprintf(stderr, "KC-ERROR %s has no .bss or .data.kcrt map\n", opt_object);
		return 1;
	}

	find_percpu(&rt);
	cache_ptr = resolve_caches();
	if (!cache_ptr)
		return 1;
	for (i = 0; i < KC_SEED_CACHES; i++)
		widened_caches += !cache_ptr[i];
	fill_vm_callers();
	rt.vm_caller_count = vm_callers;
	if (bpf_map_update_elem(bpf_map__fd(map_rt), &zero, &rt, 0)) {
		fprintf(stderr, "KC-ERROR .data.kcrt update: %s\n", strerror(errno));
		return 1;
	}
	if (fill_maps(cache_ptr))
		return 1;
	fprintf(stdout, "KC-RUNTIME percpu=[0x%llx,0x%llx)\n", rt.percpu_start, rt.percpu_end);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
	if (!opt_no_attach) {
		double t = now();

		if (!opt_no_track && (KC_SEED_PROBES > 0 || vm_callers > 0))
			attach_tracking();
		attach_sites();
		fprintf(stdout, "KC-ATTACHED sites=%u refused=%u alloc_and_track=%u track_refused=%u seconds=%.2f\n", attached,
			refused, track_attached, track_refused, now() - t);
	}
	rb = ring_buffer__new(map_fd("kc_events"), on_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "KC-ERROR ring buffer: %s\n", strerror(errno));
		return 1;
	}
	set_enforce(opt_enforce_now ? 1 : 0);
	enforced = opt_enforce_now;
	if (opt_enforce_after >= 0 && !enforced)
		enforce_at = now() + opt_enforce_after;
	fprintf(stdout, "KC-READY\n");
	fflush(stdout);
	start = now();
	while (!want_stop) {
		err = ring_buffer__poll(rb, 100);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "KC-ERROR ring buffer poll: %s\n", strerror(-err));
			break;
		}
		if (!enforced && (want_enforce || (enforce_at >= 0 && now() >= enforce_at))) {
			print_counters("audit-end");
			set_enforce(1);
			enforced = 1;
		}
		if (want_counters) {
			want_counters = 0;
			print_counters("now");
		}
		if (opt_duration >= 0 && now() - start >= opt_duration)
			break;
	}
	ring_buffer__consume(rb);
	print_counters("final");
	ring_buffer__free(rb);
	for (i = 0; i < (int)nlinks; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	fprintf(stdout, "KC-DONE detached=%zu\n", nlinks);
	fflush(stdout);
	return 0;
}
