// SPDX-License-Identifier: GPL-2.0
/* fns.c: the analyzed functions of the seed by address, for whole-kernel
 * allocation tracking (track.bpf.h, kc_alloc_owner): every kallsyms text symbol
 * of each function name (statics of other translation units with the same name
 * are taken too: a widening of attribution, never a missed record) as one range
 * of kc_fns, sorted and made disjoint, with the allocation id KC_FN_ALLOC_BASE +
 * the function's group (its index in the seed); and kc_fn_pages, the run of
 * kc_fns slots meeting each text page, so a frame outside every analyzed
 * function costs the BPF side one lookup. Prints KC-FNS. Also the skb
 * constructors (kc_skb_ctors): the text ranges of the functions that allocate
 * skb heads, for the skb-head class (KC_F_SKB_HEAD; track.bpf.h registers what
 * is allocated under them). Prints KC-SKB-CTORS. */
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

/* The functions that allocate and install skb heads in 6.1: kmalloc_reserve (inlined) in
 * __alloc_skb, pskb_expand_head and pskb_carve; page_frag_alloc, whose page refill fires
 * mm_page_alloc, in __napi_alloc_skb and __netdev_alloc_skb. */
static const char *const skb_ctors[] = { "__alloc_skb", "__napi_alloc_skb", "__netdev_alloc_skb", "pskb_expand_head", "pskb_carve" };

int kc_seed_skb_sites(void)
{
	int i, n = 0;

	for (i = 0; i < kc_seed.n_sites; i++)
		n += (kc_seed.sites[i].flags & KC_F_SKB_HEAD) != 0;
	return n;
}

unsigned int kc_fill_skb_ctors(void)
{
	int fd = bpf_map__fd(kc_skel->maps.kc_skb_ctors);
	int sites = kc_seed_skb_sites();
	unsigned int slot = 0, missing = 0, dropped = 0;
	size_t i;

	/* no site of the class: nothing registered, kc_rt.skb_ctor_count stays 0 (one load per allocation) */
	if (!sites)
		return 0;
	for (i = 0; i < sizeof(skb_ctors) / sizeof(skb_ctors[0]); i++) {
		const char *name = skb_ctors[i];
		long j = kc_ksym_find(name);
		const struct kc_ksym *sym;
		int found = 0;

		/* every text symbol of the name, as for the analyzed functions (a static of another TU
		 * with the same name only widens what is registered) */
		for (sym = kc_ksym_at(j); sym && !strcmp(sym->name, name); sym = kc_ksym_at(++j)) {
			struct kc_range r;

			if (!is_text(sym->type))
				continue;
			found = 1;
			r.start = sym->addr;
			r.end = kc_ksym_end(sym);
			if (slot >= KC_MAX_SKB_CTORS || bpf_map_update_elem(fd, &slot, &r, 0)) {
				dropped++;
				continue;
			}
			slot++;
		}
		if (!found) {
			/* inlined or renamed in this kernel: its heads are registered only when installed by
			 * build_skb and kin, else they are memory of a recorded owner (a false alarm's cause) */
			missing++;
			kc_report_refusal("skb-ctor", "kc_skb_ctors", name, 0, -ENOENT);
		}
	}
	fprintf(stdout, "KC-SKB-CTORS sites=%d ctors=%zu missing=%u ranges=%u dropped=%u\n", sites, sizeof(skb_ctors) / sizeof(skb_ctors[0]),
		missing, slot, dropped);
	return slot;
}
