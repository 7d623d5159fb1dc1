// SPDX-License-Identifier: GPL-2.0
/* place.c: where a probe goes when kallsyms repeats the name of its function (issue 10). A static
 * function of the compartment may share its name with statics of other TUs, or with a global
 * (net/ipv6's static calipso_doi_add beside net/netlabel's global one); the kernel then refuses a
 * kprobe on `name+offset` with EADDRNOTAVAIL, and the site ran unchecked. The linker keeps an
 * input section whole, so this TU's copy is the candidate whose neighbours in its object file's
 * section (names and distances, from the seed) sit at those distances in kallsyms, as for static
 * globals (globals.c). The probe then names the nearest text symbol below that copy which
 * kallsyms holds once, with the distance from it as offset: libbpf 1.1 attaches a kprobe by name
 * and offset only, and the kernel accepts an offset past the end of the named symbol. A copy the
 * neighbours do not single out keeps its name, so its probes are still refused and counted.
 * Needs only kallsyms.c and the seed, so the tests run it on a System.map. */
#include <stdlib.h>
#include <string.h>

#include "loader.h"

/* How far below a copy its anchor may be: the whole kernel text. */
#define KC_ANCHOR_WITHIN (64ULL << 20)

enum place_state { PLACE_UNSEEN, PLACE_UNIQUE, PLACE_ADDRESS, PLACE_UNPLACED };

struct place {
	enum place_state state;
	unsigned long long addr;      /* PLACE_ADDRESS: this TU's copy */
	const struct kc_ksym *anchor; /* PLACE_ADDRESS: the unique symbol the probe names */
};

static struct place *places;
static struct kc_place_stats stats;

static int text_type(char t)
{
	return t == 't' || t == 'T' || t == 'w' || t == 'W';
}

static void resolve(int place, struct place *p)
{
	const struct kc_seed_function *f = &kc_seed.functions[place];
	const char *name = kc_name(f->name);
	const struct kc_ksym *chosen;
	unsigned int best, at_best;

	if (kc_ksym_count(name) <= 1) {
		p->state = PLACE_UNIQUE;
		return;
	}
	stats.repeated++;
	chosen = kc_best_candidate(name, text_type, f->neighbours, f->n_neighbours, &best, &at_best);
	p->anchor = chosen && best > 0 && at_best == 1 ? kc_ksym_unique_text_below(chosen->addr, KC_ANCHOR_WITHIN) : NULL;
	if (!p->anchor) {
		p->state = PLACE_UNPLACED;
		stats.unplaced++;
		return;
	}
	p->state = PLACE_ADDRESS;
	p->addr = chosen->addr;
	stats.by_neighbours++;
}

void kc_place_probe(int place, const char *symbol, unsigned long offset, const char **name, unsigned long *off)
{
	struct place *p;

	*name = symbol;
	*off = offset;
	if (place < 0 || place >= kc_seed.n_functions)
		return;
	if (!places) {
		places = calloc(kc_seed.n_functions + 1, sizeof(*places));
		if (!places)
			return; /* by name: refused where the name repeats, and reported */
	}
	p = &places[place];
	if (p->state == PLACE_UNSEEN)
		resolve(place, p);
	if (p->state != PLACE_ADDRESS)
		return;
	*name = p->anchor->name;
	*off = (unsigned long)(p->addr - p->anchor->addr) + offset;
}

struct kc_place_stats kc_place_stats(void)
{
	return stats;
}
