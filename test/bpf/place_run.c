// SPDX-License-Identifier: GPL-2.0
/* place_run.c: runs the loader's probe placement (runtime/loader/place.c) on a kallsyms-like file
 * (the corpus System.map) with a generated seed, and prints where each seed site's probe goes:
 *   S <site> <symbol> anchor=<name> offset=<hex> address=<hex>
 * then the KC-PLACED counts. Built by test/emit/place.test.ts with -DKC_SEED='"<seed.h>"'
 * -DKC_SEED_HASH=0ULL and a dummy skeleton header (the loader's parts but the BPF object). */
#include <stdio.h>
#include <string.h>

#include "loader.h"

void kc_put_name(FILE *f, const char *s)
{
	fputs(s, f);
}

int main(int argc, char **argv)
{
	struct kc_place_stats ps;
	int i, err;

	if (argc != 2) {
		fprintf(stderr, "usage: place_run KALLSYMS\n");
		return 2;
	}
	err = kc_kallsyms_load_file(argv[1]);
	if (err) {
		fprintf(stderr, "place_run: %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	for (i = 0; i < kc_seed.n_sites; i++) {
		const struct kc_seed_site *s = &kc_seed.sites[i];
		const char *at;
		unsigned long off;

		kc_place_probe(s->place, kc_name(s->symbol), s->offset, &at, &off);
		printf("S %d %s anchor=%s offset=%lx address=%llx\n", i, kc_name(s->symbol), at, off, kc_ksym_addr(at) + off);
	}
	ps = kc_place_stats();
	printf("KC-PLACED functions=%d repeated=%u by_neighbours=%u unplaced=%u\n", kc_seed.n_functions, ps.repeated, ps.by_neighbours,
	       ps.unplaced);
	return 0;
}
