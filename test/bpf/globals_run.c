// SPDX-License-Identifier: GPL-2.0
/* globals_run.c: runs the loader's global placement (runtime/loader/globals.c) on a kallsyms-like
 * file (the corpus System.map) with a generated seed, and prints what it placed: the KC-GLOBALS
 * and KC-WIDENED lines, then one line per seed global:
 *   G <index> <name> count=<n> ambiguous=<0|1> by_neighbours=<0|1> ranges=<start>-<end>,...
 * Built by test/emit/globals.test.ts with -DKC_SEED='"<seed.h>"' -DKC_SEED_HASH=0ULL and a dummy
 * skeleton header (the loader's parts but the BPF object). */
#include <stdio.h>
#include <string.h>

#include "loader.h"

void kc_put_name(FILE *f, const char *s)
{
	fputs(s, f);
}

int main(int argc, char **argv)
{
	int g, err;

	if (argc != 2) {
		fprintf(stderr, "usage: globals_run KALLSYMS\n");
		return 2;
	}
	/* -EPERM says every address is 0 (hidden): not the case of a System.map */
	err = kc_kallsyms_load_file(argv[1]);
	if (err) {
		fprintf(stderr, "globals_run: %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	if (kc_resolve_globals(stdout))
		return 1;
	for (g = 0; g < kc_seed.n_globals; g++) {
		const struct kc_global_place *p = kc_global_place(g);
		unsigned int r;

		printf("G %d %s count=%u ambiguous=%d by_neighbours=%d ranges=", g, kc_name(kc_seed.globals[g].name), p->count, p->ambiguous,
		       p->by_neighbours);
		for (r = 0; r < p->count; r++)
			printf("%s%llx-%llx", r ? "," : "", kc_global_ranges()[p->first + r].start, kc_global_ranges()[p->first + r].end);
		printf("\n");
	}
	return 0;
}
