// SPDX-License-Identifier: GPL-2.0
/* globals.c: where the globals of the legal sets are in the running kernel (issue 11 finding 8).
 * A global's legal range is [address, address + size) with the size the policy took from debug
 * info (the next kallsyms symbol ends it only when the size is unknown). A static name may repeat
 * in other TUs: this TU's symbol is the candidate whose neighbours in its object file's section
 * (names and distances from the seed) sit at those distances in kallsyms, since the linker keeps
 * an input section whole. When no candidate, or several, match best, the global is widened to
 * every candidate and counted (KC-WIDENED global, KC-GLOBALS ambiguous=N). Per-cpu variables are
 * resolved the same way; their kallsyms value is their offset in a CPU's per-cpu unit. Needs only
 * kallsyms.c and the seed, so the tests run it on a System.map. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

static struct kc_global_place *places;
static struct kc_range *ranges;
static size_t n_ranges, cap_ranges;

const struct kc_global_place *kc_global_place(int g)
{
	return places && g >= 0 && g < kc_seed.n_globals ? &places[g] : NULL;
}

const struct kc_range *kc_global_ranges(void)
{
	return ranges;
}

static int push(unsigned long long start, unsigned long long end)
{
	if (n_ranges == cap_ranges) {
		struct kc_range *r;

		cap_ranges = cap_ranges ? cap_ranges * 2 : 256;
		r = realloc(ranges, cap_ranges * sizeof(*ranges));
		if (!r)
			return -ENOMEM;
		ranges = r;
	}
	ranges[n_ranges].start = start;
	ranges[n_ranges].end = end;
	n_ranges++;
	return 0;
}

/* Data, bss, rodata and absolute (x86-64 per-cpu) symbols. */
static int data_type(char t)
{
	return strchr("dDbBrRaAvV", t) != NULL;
}

/* 1 when kallsyms has a symbol `name` at `addr`. */
static int has_symbol_at(const char *name, unsigned long long addr)
{
	long j = kc_ksym_find(name);
	const struct kc_ksym *s;

	for (s = kc_ksym_at(j); s && !strcmp(s->name, name); s = kc_ksym_at(++j))
		if (s->addr == addr)
			return 1;
	return 0;
}

unsigned int kc_neighbours_at(unsigned int first, unsigned int count, unsigned long long addr)
{
	unsigned int k, n = 0;

	for (k = 0; k < count; k++) {
		const struct kc_seed_neighbour *nb = &kc_seed.neighbours[first + k];

		n += has_symbol_at(kc_name(nb->name), addr + (unsigned long long)nb->delta);
	}
	return n;
}

const struct kc_ksym *kc_best_candidate(const char *name, int (*keep)(char type), unsigned int first, unsigned int count,
				       unsigned int *best, unsigned int *at_best)
{
	long j = kc_ksym_find(name);
	const struct kc_ksym *s, *chosen = NULL;

	*best = *at_best = 0;
	for (s = kc_ksym_at(j); s && !strcmp(s->name, name); s = kc_ksym_at(++j)) {
		unsigned int score;

		if (keep && !keep(s->type))
			continue;
		score = count ? kc_neighbours_at(first, count, s->addr) : 0;
		if (!chosen || score > *best) {
			*best = score;
			*at_best = 1;
			chosen = s;
		} else if (score == *best) {
			(*at_best)++;
		}
	}
	return chosen;
}

int kc_resolve_globals(FILE *out)
{
	unsigned int exact = 0, by_neighbours = 0, ambiguous = 0, missing = 0, sized = 0, candidates_widened = 0;
	int g;

	free(places);
	places = calloc(kc_seed.n_globals + 1, sizeof(*places));
	if (!places)
		return -ENOMEM;
	n_ranges = 0;
	for (g = 0; g < kc_seed.n_globals; g++) {
		const struct kc_seed_global *sg = &kc_seed.globals[g];
		const char *name = kc_name(sg->name);
		long first = kc_ksym_find(name), j;
		const struct kc_ksym *s;
		unsigned int n = 0, data = 0, best = 0, at_best = 0;
		const struct kc_ksym *chosen = NULL;

		places[g].first = (unsigned int)n_ranges;
		for (s = kc_ksym_at(first), j = first; s && !strcmp(s->name, name); s = kc_ksym_at(++j)) {
			n++;
			data += data_type(s->type);
		}
		if (!n) {
			missing++;
			continue;
		}
		sized += sg->size > 0;
		/* candidates: the data symbols of that name when there are some (a static variable may share
		 * its name with a function of another TU), else every symbol */
		chosen = kc_best_candidate(name, data ? data_type : NULL, sg->neighbours, sg->n_neighbours, &best, &at_best);
		if ((data ? data : n) == 1) {
			exact++;
		} else if (best > 0 && at_best == 1) {
			exact++;
			by_neighbours++;
			places[g].by_neighbours = 1;
		} else {
			chosen = NULL;
			ambiguous++;
			places[g].ambiguous = 1;
		}
		for (s = kc_ksym_at(first), j = first; s && !strcmp(s->name, name); s = kc_ksym_at(++j)) {
			if ((chosen && s != chosen) || (data && !data_type(s->type)))
				continue;
			if (push(s->addr, sg->size ? s->addr + sg->size : kc_ksym_end(s)))
				return -ENOMEM;
			places[g].count++;
		}
		if (places[g].ambiguous) {
			candidates_widened += places[g].count;
			if (out) {
				fprintf(out, "KC-WIDENED global \"");
				kc_put_name(out, name);
				fprintf(out, "\": %u candidates in kallsyms, none placed by its %u neighbours: all allowed\n", places[g].count,
					sg->n_neighbours);
			}
		}
	}
	if (out)
		fprintf(out, "KC-GLOBALS globals=%d exact=%u by_neighbours=%u ambiguous=%u ambiguous_candidates=%u missing=%u sized=%u\n",
			kc_seed.n_globals, exact, by_neighbours, ambiguous, candidates_widened, missing, sized);
	return 0;
}
