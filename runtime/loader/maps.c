// SPDX-License-Identifier: GPL-2.0
/* maps.c: fills the checker's maps from the seed, through the skeleton
 * (kc_skel->maps.*): the kernel words it needs read by the object's kc_peek
 * program (BPF_PROG_TEST_RUN, never attached): the per-cpu areas and the cache
 * pointers held by globals; vmalloc callers as function ranges; then every
 * site's record, its global ranges (sorted, disjoint), allowed caches,
 * allowed allocations and vmalloc callers. What cannot be resolved widens the
 * site (KC-WIDENED, KC_F_UNTRACKED_*), never narrows it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

int kc_possible_cpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : 1;
}

/* Reads up to KC_PEEK_SLOTS kernel words through kc_peek. Returns 0 or -errno. */
static int peek(const unsigned long long *addrs, unsigned long long *vals, int *ok, int n)
{
	int fd_peek = bpf_map__fd(kc_skel->maps.kc_peek_slots);
	struct kc_peek_slot slot;
	unsigned long long args[1] = { 0 };
	__u32 i;
	int err;

	if (n > KC_PEEK_SLOTS)
		return -EINVAL;
	for (i = 0; i < KC_PEEK_SLOTS; i++) {
		memset(&slot, 0, sizeof(slot));
		slot.addr = (int)i < n ? addrs[i] : 0;
		if (bpf_map_update_elem(fd_peek, &i, &slot, 0))
			return -errno;
	}
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
	err = bpf_prog_test_run_opts(bpf_program__fd(kc_skel->progs.kc_peek), &opts);
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

/* The per-cpu areas: [min __per_cpu_offset[c], max __per_cpu_offset[c] + pcpu_unit_size). */
void kc_find_percpu(struct kc_runtime *rt)
{
	unsigned long long base = kc_ksym_addr("__per_cpu_offset"), unit = kc_ksym_addr("pcpu_unit_size");
	unsigned long long addrs[KC_PEEK_SLOTS], vals[KC_PEEK_SLOTS], lo = ~0ULL, hi = 0;
	int ok[KC_PEEK_SLOTS], ncpu = kc_possible_cpus(), i;

	if (!base || !unit) {
		fprintf(stderr, "KC-WARN no __per_cpu_offset / pcpu_unit_size in kallsyms: per-cpu addresses are not classified\n");
		return;
	}
	if (ncpu > KC_PEEK_SLOTS - 1)
		ncpu = KC_PEEK_SLOTS - 1;
	addrs[0] = unit;
	for (i = 0; i < ncpu; i++)
		addrs[i + 1] = base + sizeof(unsigned long long) * i;
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
		rt->percpu_unit = vals[0] & 0xffffffffULL;
		rt->percpu_static_end = kc_ksym_addr("__per_cpu_end");
		/* the checker finds another CPU's unit by stride only when the units are laid out so */
		rt->percpu_contiguous = rt->percpu_unit != 0;
		for (i = 0; i < ncpu; i++) {
			if (ok[i + 1] && vals[i + 1] && (vals[i + 1] - lo) % rt->percpu_unit)
				rt->percpu_contiguous = 0;
		}
	}
}

unsigned long long *kc_resolve_caches(void)
{
	const int ncaches = kc_seed.n_caches;
	unsigned long long *ptr = calloc(ncaches + 1, sizeof(*ptr));
	unsigned long long addrs[KC_PEEK_SLOTS], vals[KC_PEEK_SLOTS];
	int ok[KC_PEEK_SLOTS], idx[KC_PEEK_SLOTS], n = 0, i, c;

	if (!ptr)
		return NULL;
	for (c = 0; c <= ncaches; c++) {
		if (c < ncaches && kc_seed.caches[c].holder >= 0) {
			unsigned long long a = kc_ksym_addr(kc_name(kc_seed.caches[c].holder));

			if (a) {
				addrs[n] = a + kc_seed.caches[c].offset;
				idx[n++] = c;
			}
		}
		if (n == KC_PEEK_SLOTS || (c == ncaches && n)) {
			if (peek(addrs, vals, ok, n) == 0)
				for (i = 0; i < n; i++)
					ptr[idx[i]] = ok[i] ? vals[i] : 0;
			n = 0;
		}
	}
	for (c = 0; c < ncaches; c++) {
		/* a catalogued cache the kernel lacks (a module not loaded) is named by no set: nothing widens */
		if (ptr[c] || kc_seed.caches[c].catalogued)
			continue;
		fprintf(stdout, "KC-WIDENED cache \"");
		kc_put_name(stdout, kc_name(kc_seed.caches[c].name));
		fprintf(stdout, "\" (holder \"");
		kc_put_name(stdout, kc_seed.caches[c].holder >= 0 ? kc_name(kc_seed.caches[c].holder) : "?");
		fprintf(stdout, "\") not found: its sites allow untracked slab objects\n");
	}
	return ptr;
}

/* kc_vm_callers: one range per distinct caller function name (slot = name's order of first use). */
static int *vm_caller_slot; /* by name index, -1 if none, -2 if unresolvable */
static unsigned int vm_callers, widened_callers;

unsigned int kc_fill_vm_callers(void)
{
	int fd = bpf_map__fd(kc_skel->maps.kc_vm_callers);
	int i;

	vm_caller_slot = malloc(sizeof(int) * (kc_seed.n_names + 1));
	if (!vm_caller_slot)
		return 0;
	for (i = 0; i <= kc_seed.n_names; i++)
		vm_caller_slot[i] = -1;
	for (i = 0; i < kc_seed.n_sites; i++) {
		const unsigned int *l = &kc_seed.lists[kc_seed.sites[i].vm_callers];
		unsigned int k;

		for (k = 0; k < l[0]; k++) {
			int name = (int)l[1 + k];
			long j = kc_ksym_find(kc_name(name));
			struct kc_range r;

			if (vm_caller_slot[name] != -1 || j < 0 || vm_callers >= KC_MAX_VM_CALLERS) {
				if (j < 0 && vm_caller_slot[name] == -1) {
					vm_caller_slot[name] = -2; /* unresolvable: widened */
					widened_callers++;
				}
				continue;
			}
			r.start = kc_ksym_at(j)->addr;
			r.end = kc_ksym_end(kc_ksym_at(j));
			if (bpf_map_update_elem(fd, &vm_callers, &r, 0) == 0)
				vm_caller_slot[name] = (int)vm_callers++;
		}
	}
	return vm_callers;
}

static int cmp_range(const void *a, const void *b)
{
	const struct kc_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int kc_size_maps(void)
{
	unsigned long long allocs = 0, caches = 0;
	int i, err;

	if ((err = bpf_map__set_max_entries(kc_skel->maps.kc_recipes, kc_seed.site_data && kc_seed.n_sites ? kc_seed.n_sites : 1)))
		return err;
	/* the (site, allocation) and (site, cache) pairs: as many as the seed holds, not a fixed
	 * bound a whole-kernel policy overflows (its typed fallbacks name thousands of sites each) */
	for (i = 0; i < kc_seed.n_sites; i++) {
		/* the vmalloc callers' areas are allocations of kc_allowed_allocs too */
		allocs += kc_seed.lists[kc_seed.sites[i].allocs] + kc_seed.lists[kc_seed.sites[i].vm_callers];
		caches += kc_seed.lists[kc_seed.sites[i].caches];
	}
	if (allocs > KC_MAX_ALLOWED_ALL || caches > KC_MAX_ALLOWED_ALL)
		return -E2BIG;
	if ((err = bpf_map__set_max_entries(kc_skel->maps.kc_allowed_allocs, allocs > KC_MAX_ALLOWED ? allocs : KC_MAX_ALLOWED)))
		return err;
	return bpf_map__set_max_entries(kc_skel->maps.kc_allowed_caches, caches > KC_MAX_CACHES ? caches : KC_MAX_CACHES);
}

/* kc_typed_caches: every resolved cache created for a known type, whose holder kallsyms names once (a
 * holder name that repeats may have led to another TU's cache: that one stays admitted by size). */
static int kc_fill_typed_caches(const unsigned long long *cache_ptr)
{
	int fd = bpf_map__fd(kc_skel->maps.kc_typed_caches);
	unsigned int typed = 0, catalogued = 0, resolved = 0, repeated = 0;
	unsigned char one = 1;
	int c;

	for (c = 0; c < kc_seed.n_caches; c++) {
		const struct kc_seed_cache *sc = &kc_seed.caches[c];

		catalogued += sc->catalogued;
		resolved += cache_ptr[c] != 0;
		if (!sc->typed || !cache_ptr[c])
			continue;
		if (kc_ksym_count(kc_name(sc->holder)) != 1) {
			repeated++;
			continue;
		}
		if (bpf_map_update_elem(fd, &cache_ptr[c], &one, 0)) {
			fprintf(stderr, "KC-ERROR kc_typed_caches full: caches created for another type would pass by size\n");
			return -ENOSPC;
		}
		typed++;
	}
	fprintf(stdout, "KC-CACHES caches=%d catalogued=%u resolved=%u typed=%u typed_holder_repeated=%u\n", kc_seed.n_caches, catalogued,
		resolved, typed, repeated);
	return 0;
}

int kc_fill_maps(const unsigned long long *cache_ptr)
{
	int fd_sites = bpf_map__fd(kc_skel->maps.kc_sites);
	int fd_globals = bpf_map__fd(kc_skel->maps.kc_globals);
	int fd_caches = bpf_map__fd(kc_skel->maps.kc_allowed_caches);
	int fd_allowed = bpf_map__fd(kc_skel->maps.kc_allowed_allocs);
	int fd_relocs = bpf_map__fd(kc_skel->maps.kc_relocs);
	int fd_recipes = bpf_map__fd(kc_skel->maps.kc_recipes);
	unsigned int widened_relocs = 0;
	unsigned int *list_first = calloc(kc_seed.n_lists + 1, sizeof(unsigned int));
	unsigned int *list_count = calloc(kc_seed.n_lists + 1, sizeof(unsigned int));
	char *list_done = calloc(kc_seed.n_lists + 1, 1);
	char *foreign_done = calloc(kc_seed.n_lists + 1, 1);
	unsigned int next_global = 0, over = 0, widened_caches = 0, i, k;
	unsigned char one = 1;
	int c;

	if (!list_first || !list_count || !list_done || !foreign_done)
		return -ENOMEM;
	for (c = 0; c < kc_seed.n_caches; c++)
		widened_caches += !cache_ptr[c] && !kc_seed.caches[c].catalogued;
	if (kc_fill_typed_caches(cache_ptr))
		return -ENOSPC;
	for (i = 0; i < (unsigned int)kc_seed.n_sites; i++) {
		const struct kc_seed_site *s = &kc_seed.sites[i];
		struct kc_site_policy p = { .regions = s->regions, .flags = s->flags, .foreign_set = s->foreign_sizes };
		const unsigned int *l;

		/* globals: the ranges globals.c placed for each global of the list (its TU's symbol, sized by
		 * the policy; per-cpu variables as offsets, which sort first), shared by equal lists, sorted
		 * and merged for the checker's binary search */
		if (!list_done[s->globals]) {
			struct kc_range *rs = NULL;
			size_t n = 0, cap = 0, m, w;

			list_done[s->globals] = 1;
			list_first[s->globals] = next_global;
			l = &kc_seed.lists[s->globals];
			for (k = 0; k < l[0]; k++) {
				const struct kc_global_place *gp = kc_global_place((int)l[1 + k]);
				unsigned int r;

				for (r = 0; gp && r < gp->count; r++) {
					if (n == cap) {
						cap = cap ? cap * 2 : 64;
						rs = realloc(rs, cap * sizeof(*rs));
						if (!rs)
							return -ENOMEM;
					}
					rs[n++] = kc_global_ranges()[gp->first + r];
				}
			}
			if (n)
				qsort(rs, n, sizeof(*rs), cmp_range);
			/* disjoint: overlapping ranges (aliases) are merged */
			for (m = 0, w = 0; m < n; m++) {
				if (w && rs[m].start < rs[w - 1].end) {
					if (rs[m].end > rs[w - 1].end)
						rs[w - 1].end = rs[m].end;
				} else {
					rs[w++] = rs[m];
				}
			}
			for (m = 0; m < w && next_global < KC_MAX_GLOBALS; m++) {
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
		l = &kc_seed.lists[s->caches];
		for (k = 0; k < l[0]; k++) {
			unsigned long long cp = cache_ptr[l[1 + k]];
			struct kc_cache_key key = { .site = i, .cache = cp };

			if (!cp) {
				p.flags |= KC_F_UNTRACKED_SLAB;
				continue;
			}
			if (bpf_map_update_elem(fd_caches, &key, &one, 0))
				fprintf(stderr, "KC-WARN kc_allowed_caches full\n");
		}
		l = &kc_seed.lists[s->allocs];
		for (k = 0; k < l[0]; k++) {
			struct kc_alloc_key key = { .site = i, .alloc = l[1 + k] };

			if (bpf_map_update_elem(fd_allowed, &key, &one, 0))
				fprintf(stderr, "KC-WARN kc_allowed_allocs full\n");
		}
		l = &kc_seed.lists[s->vm_callers];
		for (k = 0; k < l[0]; k++) {
			int slot = vm_caller_slot ? vm_caller_slot[l[1 + k]] : -2;

			if (slot < 0) {
				p.flags |= KC_F_UNTRACKED_VMALLOC;
				continue;
			}
			struct kc_alloc_key key = { .site = i, .alloc = KC_VM_ALLOC_BASE + (unsigned int)slot };

			if (bpf_map_update_elem(fd_allowed, &key, &one, 0))
				fprintf(stderr, "KC-WARN kc_allowed_allocs full\n");
		}
		/* the sizes of a list once, keyed by the list's offset (equal lists are one copy in the seed) */
		l = &kc_seed.lists[s->foreign_sizes];
		for (k = 0; k < l[0] && !foreign_done[s->foreign_sizes]; k++) {
			struct kc_size_key key = { .set = s->foreign_sizes, .size = l[1 + k] };

			if (bpf_map_update_elem(bpf_map__fd(kc_skel->maps.kc_foreign_sizes), &key, &one, 0)) {
				fprintf(stderr, "KC-ERROR kc_foreign_sizes full: a typed fallback would refuse objects it admits\n");
				return -ENOSPC;
			}
		}
		foreign_done[s->foreign_sizes] = 1;
		if (s->reloc >= 0) {
			/* a relocated displacement: the one symbol globals.c placed for it; several candidates
			 * it could not tell apart (statics of other TUs), or none, widen the site */
			const char *name = kc_name(s->reloc);
			const struct kc_global_place *gp = kc_global_place(s->reloc_global);

			if (gp && gp->count == 1 && !gp->ambiguous) {
				unsigned long long v = kc_global_ranges()[gp->first].start + (unsigned long long)s->reloc_addend;

				bpf_map_update_elem(fd_relocs, &i, &v, 0);
			} else {
				p.regions |= KC_R_ANY;
				widened_relocs++;
				fprintf(stdout, "KC-WIDENED site %s relocation \"", s->program);
				kc_put_name(stdout, name);
				fprintf(stdout, "\": %s in kallsyms: the site allows any memory\n", gp && gp->count ? "several data symbols" : "no data symbol");
			}
		}
		if (kc_opt.no_track) {
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
		/* data mode: the site's recipe, found by kc_site through the probe's cookie (the site id) */
		if (kc_seed.site_data) {
			if ((s->recipe.site & ~KC_SITE_GS) != i || !(s->recipe.flags & KC_RCP_VALID)) {
				fprintf(stderr, "KC-ERROR site %u: the seed's recipe names site %u\n", i, s->recipe.site & ~KC_SITE_GS);
				return -EINVAL;
			}
			if (bpf_map_update_elem(fd_recipes, &i, &s->recipe, 0)) {
				fprintf(stderr, "KC-ERROR kc_recipes update %u: %s\n", i, strerror(errno));
				return -errno;
			}
		}
	}
	fprintf(stdout, "KC-MAPS sites=%d recipes=%d global_ranges=%u over_global_limit=%u caches_widened=%u vm_callers=%u vm_callers_widened=%u relocs_widened=%u\n",
		kc_seed.n_sites, kc_seed.site_data ? kc_seed.n_sites : 0, next_global, over, widened_caches, vm_callers, widened_callers, widened_relocs);
	free(list_first);
	free(list_count);
	free(list_done);
	free(foreign_done);
	return 0;
}

/* ---- self-defence: the run time's own memory ---- */

static int cmp_range_start(const void *a, const void *b)
{
	const struct kc_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Appends [start, end) to a growing array. */
static int push_range(struct kc_range **rs, size_t *n, size_t *cap, unsigned long long start, unsigned long long end)
{
	if (end <= start)
		return 0;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*rs = realloc(*rs, *cap * sizeof(**rs));
		if (!*rs)
			return -ENOMEM;
	}
	(*rs)[*n].start = start;
	(*rs)[*n].end = end;
	(*n)++;
	return 0;
}

/* The JIT images of every program of the object (bpf_prog_info.jited_ksyms and jited_func_lens);
 * none when the kernel interprets BPF (no JIT: the instructions live in struct bpf_prog, whose
 * address user space cannot learn). Returns the images found. */
static size_t jit_images(struct kc_range **rs, size_t *n, size_t *cap)
{
	struct bpf_program *p;
	size_t images = 0;

	bpf_object__for_each_program(p, kc_skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info), k, nk;
		int fd = bpf_program__fd(p);
		unsigned long long *addrs;
		__u32 *lens;

		memset(&info, 0, sizeof(info));
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) || !info.nr_jited_ksyms)
			continue;
		nk = info.nr_jited_ksyms;
		addrs = calloc(nk, sizeof(*addrs));
		lens = calloc(nk, sizeof(*lens));
		if (!addrs || !lens) {
			free(addrs);
			free(lens);
			continue;
		}
		memset(&info, 0, sizeof(info));
		info.nr_jited_ksyms = nk;
		info.nr_jited_func_lens = nk;
		info.jited_ksyms = (unsigned long)addrs;
		info.jited_func_lens = (unsigned long)lens;
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
			for (k = 0; k < nk && k < info.nr_jited_ksyms; k++) {
				if (addrs[k] && lens[k] && push_range(rs, n, cap, addrs[k], addrs[k] + lens[k]) == 0)
					images++;
			}
		}
		free(addrs);
		free(lens);
	}
	return images;
}

int kc_fill_deny(void)
{
	int fd_peek = bpf_map__fd(kc_skel->maps.kc_peek_slots);
	unsigned long long args[4];
	struct kc_range *rs = NULL;
	size_t n = 0, cap = 0, m, k, images;
	struct kc_peek_slot slot;
	unsigned int found, i;
	int err;

	args[0] = (unsigned long long)kc_possible_cpus();
	args[1] = (unsigned long long)((char *)&kc_skel->bss->kc_enforce - (char *)kc_skel->bss);
	args[2] = (unsigned long long)((char *)&kc_skel->data_kcrt->kc_rt - (char *)kc_skel->data_kcrt);
	args[3] = (unsigned long long)((const char *)&kc_skel->rodata->kc_thread_size - (const char *)kc_skel->rodata);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
	err = bpf_prog_test_run_opts(bpf_program__fd(kc_skel->progs.kc_whereis), &opts);
	if (err) {
		err = -errno;
		fprintf(stderr, "KC-WARN kc_whereis: %s: the run time's own memory is not denied\n", strerror(-err));
		return err;
	}
	found = opts.retval;
	for (i = 0; i < found && i < KC_PEEK_SLOTS; i++) {
		if (bpf_map_lookup_elem(fd_peek, &i, &slot) == 0 && push_range(&rs, &n, &cap, slot.addr, slot.val))
			return -ENOMEM;
	}
	images = jit_images(&rs, &n, &cap);
	if (n)
		qsort(rs, n, sizeof(*rs), cmp_range_start);
	/* merge what overlaps or touches */
	for (m = 0, k = 0; k < n; k++) {
		if (m && rs[k].start <= rs[m - 1].end) {
			if (rs[k].end > rs[m - 1].end)
				rs[m - 1].end = rs[k].end;
		} else {
			rs[m++] = rs[k];
		}
	}
	n = m;
	/* too many: close the smallest gaps (what lies between two pieces of the run time's memory is
	 * kernel text or other BPF memory of the same allocations: never a legal write target here) */
	while (n > KC_MAX_DENY) {
		size_t best = 0;

		for (k = 1; k + 1 < n; k++)
			if (rs[k + 1].start - rs[k].end < rs[best + 1].start - rs[best].end)
				best = k;
		rs[best].end = rs[best + 1].end;
		memmove(&rs[best + 1], &rs[best + 2], (n - best - 2) * sizeof(*rs));
		n--;
	}
	for (k = 0; k < n; k++)
		kc_skel->data_kcdeny->kc_deny.r[k] = rs[k];
	kc_skel->data_kcdeny->kc_deny.count = (unsigned int)n;
	fprintf(stdout, "KC-DENY ranges=%zu maps_and_data=%u jit_images=%zu%s\n", n, found, images,
		images ? "" : " (no JIT image: interpreted programs are not covered)");
	free(rs);
	return 0;
}
