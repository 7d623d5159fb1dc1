// SPDX-License-Identifier: GPL-2.0
/* seed.c: the policy compiled into the kcompart loader. The generated
 * <name>.seed.h (src/emit/seed.ts) holds the site programs with their legal
 * sets, the tracked allocations, the probe points and every name as static
 * data; it is included here only (built with -DKC_SEED='"<name>.seed.h"'),
 * and the other parts of the loader read it through kc_seed. */
#include "loader.h"

#ifndef KC_SEED
#error "build with -DKC_SEED='\"<name>.seed.h\"'"
#endif
#include KC_SEED

const struct kc_seed kc_seed = {
	.compartment = KC_SEED_COMPARTMENT,
	.hash = KC_SEED_HASH,
	.n_sites = KC_SEED_SITES,
	.site_data = KC_SEED_SITE_DATA,
	.n_allocs = KC_SEED_ALLOCS,
	.n_probes = KC_SEED_PROBES,
	.n_caches = KC_SEED_CACHES,
	.n_names = KC_SEED_NAMES,
	.n_lists = KC_SEED_LISTS,
	.n_fns = KC_SEED_FNS,
	.names = kc_seed_names,
	.lists = kc_seed_lists,
	.caches = kc_seed_caches,
	.allocs = kc_seed_allocs,
	.probes = kc_seed_probes,
	.sites = kc_seed_sites,
	.n_globals = KC_SEED_GLOBALS,
	.n_neighbours = KC_SEED_NEIGHBOURS,
	.globals = kc_seed_globals,
	.neighbours = kc_seed_neighbours,
	.n_functions = KC_SEED_FUNCTIONS,
	.functions = kc_seed_functions,
	.fns = kc_seed_fns,
};

const char *kc_name(int i)
{
	return i >= 0 && i < KC_SEED_NAMES ? kc_seed_names[i] : "?";
}
