// SPDX-License-Identifier: GPL-2.0
/* fns.c: the analyzed functions of the seed by address, for whole-kernel
 * allocation tracking (track.bpf.h, kc_alloc_owner): every kallsyms text symbol
 * of each function name (statics of other translation units with the same name
 * are taken too: a widening of attribution, never a missed record) as one range
 * of kc_fns, sorted and made disjoint, with the allocation id KC_FN_ALLOC_BASE +
 * the function's group (its index in the seed); and kc_fn_pages, the run of
 * kc_fns slots meeting each text page, so a frame outside every analyzed
 * function costs the BPF side one lookup. Prints KC-FNS. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

static int cmp_fn(const void *a, const void *b)
{
	const struct kc_fn_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int is_text(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

int kc_fill_fns(void)
{
	int fd = bpf_map__fd(kc_skel->maps.kc_fns);
	int fd_pages = bpf_map__fd(kc_skel->maps.kc_fn_pages);
	struct kc_fn_range *rs = NULL;
	size_t n = 0, cap = 0, m, kept = 0;
	unsigned int unresolved = 0, pages = 0, dropped = 0;
	unsigned long long page = ~0ULL;
	struct kc_fn_span span = { 0, 0 };
	int g;

	for (g = 0; g < kc_seed.n_fns; g++) {
		const char *name = kc_name(kc_seed.fns[g]);
		long j = kc_ksym_find(name);
		const struct kc_ksym *sym;
		int found = 0;

		for (sym = kc_ksym_at(j); sym && !strcmp(sym->name, name); sym = kc_ksym_at(++j)) {
			if (!is_text(sym->type))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				rs = realloc(rs, cap * sizeof(*rs));
				if (!rs)
					return -ENOMEM;
			}
			rs[n].start = sym->addr;
			rs[n].end = kc_ksym_end(sym);
			rs[n].alloc = KC_FN_ALLOC_BASE + (unsigned int)g;
			rs[n].pad = 0;
			n++;
			found = 1;
		}
		unresolved += !found;
	}
	if (n)
		qsort(rs, n, sizeof(*rs), cmp_fn);
	for (m = 0; m < n; m++) {
		unsigned int slot = (unsigned int)kept;
		unsigned long long p;

		/* disjoint: a range ends where the next (higher) one starts; an empty one is dropped */
		if (m + 1 < n && rs[m].end > rs[m + 1].start)
			rs[m].end = rs[m + 1].start;
		if (rs[m].end <= rs[m].start)
			continue;
		if (kept >= KC_MAX_FNS) {
			dropped++;
			continue;
		}
		if (bpf_map_update_elem(fd, &slot, &rs[m], 0)) {
			dropped++;
			continue;
		}
		kept++;
		/* slots are in address order, so the pages of each range come in order too */
		for (p = rs[m].start >> KC_PAGE_SHIFT; p <= (rs[m].end - 1) >> KC_PAGE_SHIFT; p++) {
			if (p != page) {
				if (page != ~0ULL && bpf_map_update_elem(fd_pages, &page, &span, 0) == 0)
					pages++;
				page = p;
				span.lo = slot;
			}
			span.hi = slot + 1;
		}
	}
	if (page != ~0ULL && bpf_map_update_elem(fd_pages, &page, &span, 0) == 0)
		pages++;
	free(rs);
	/* a dropped range or page: allocations there are recorded as an unknown site or an outer
	 * analyzed function, which the checker may refuse: said, so a false alarm has its cause */
	fprintf(stdout, "KC-FNS functions=%d resolved=%d unresolved=%u ranges=%zu pages=%u dropped=%u\n", kc_seed.n_fns,
		kc_seed.n_fns - (int)unresolved, unresolved, kept, pages, dropped);
	return 0;
}
