// SPDX-License-Identifier: GPL-2.0
/* site_run.c: drives site_harness.bpf.c (test/emit/site-data.test.ts): opens and loads the
 * object (never attaches), fills kc_recipes with the recipes of the generated seed exactly as
 * the loader does (site_cases.h: the `.recipe = { … }` initializers of <name>.seed.h), kc_sites
 * and kc_relocs with the test's policies, kc_globals[0] with the range of argv[2..3]; then for
 * every line of stdin "ID MODE R15 R14 R13 R12 BP BX R11 R10 R9 R8 AX CX DX SI DI ORIG_AX IP CS
 * FLAGS SP SS" (x86-64 struct pt_regs order) writes the registers (the global kc_test_io, section .data.kctest), runs kc_test_site through
 * BPF_PROG_TEST_RUN and prints "ID SLOT CALLED SITE ADDR LEN SP VERDICT" for both slots and
 * "ID ret RETVAL"; at the end "unknown_probe N" (the counter summed over CPUs).
 * Usage: site_run OBJECT GLOBAL_START GLOBAL_END < cases */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcompart.h"
#include "site_cases.h"

struct test_rec {
	unsigned long long addr, len, sp;
	unsigned int site;
	int verdict;
	unsigned int called, pad;
};

/* site_harness.bpf.c's struct kc_test_io: x86-64 struct pt_regs (21 words), then two records */
struct test_io {
	unsigned long long regs[21];
	struct test_rec out[2];
};

static int fd_of(struct bpf_object *o, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(o, name);
	int fd = m ? bpf_map__fd(m) : -1;

	if (fd < 0) {
		fprintf(stderr, "no map %s\n", name);
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct bpf_object *o;
	struct bpf_program *p;
	struct kc_range g;
	struct test_io io;
	unsigned long long args[2], *percpu;
	int ncpu = libbpf_num_possible_cpus(), i, fd_prog;
	unsigned int id, mode, k;
	__u32 key;

	if (argc != 4) {
		fprintf(stderr, "usage: %s OBJECT GLOBAL_START GLOBAL_END < cases\n", argv[0]);
		return 2;
	}
	o = bpf_object__open_file(argv[1], NULL);
	if (!o || bpf_object__load(o)) {
		fprintf(stderr, "load %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	p = bpf_object__find_program_by_name(o, "kc_test_site");
	fd_prog = p ? bpf_program__fd(p) : -1;
	g.start = strtoull(argv[2], NULL, 0);
	g.end = strtoull(argv[3], NULL, 0);
	key = 0;
	if (fd_prog < 0 || bpf_map_update_elem(fd_of(o, "kc_globals"), &key, &g, 0))
		return 1;
	for (k = 0; k < sizeof(kc_test_recipes) / sizeof(kc_test_recipes[0]); k++) {
		key = kc_test_recipes[k].site & ~KC_SITE_GS;
		if (bpf_map_update_elem(fd_of(o, "kc_recipes"), &key, &kc_test_recipes[k], 0) ||
		    bpf_map_update_elem(fd_of(o, "kc_sites"), &key, &kc_test_policies[k], 0) ||
		    bpf_map_update_elem(fd_of(o, "kc_relocs"), &key, &kc_test_relocs[k], 0)) {
			fprintf(stderr, "fill site %u: %s\n", key, strerror(errno));
			return 1;
		}
	}
	while (scanf("%u %u", &id, &mode) == 2) {
		for (i = 0; i < 21; i++)
			if (scanf("%llx", &io.regs[i]) != 1)
				return 2;
		memset(io.out, 0, sizeof(io.out));
		key = 0;
		if (bpf_map_update_elem(fd_of(o, ".data.kctest"), &key, &io, 0))
			return 1;
		args[0] = id;
		args[1] = mode;
		LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
		if (bpf_prog_test_run_opts(fd_prog, &opts)) {
			fprintf(stderr, "BPF_PROG_TEST_RUN: %s\n", strerror(errno));
			return 1;
		}
		key = 0;
		if (bpf_map_lookup_elem(fd_of(o, ".data.kctest"), &key, &io))
			return 1;
		for (key = 0; key < 2; key++) {
			const struct test_rec r = io.out[key];

			printf("%u %u %u %u 0x%llx %llu 0x%llx %d\n", id, key, r.called, r.site, r.addr, r.len, r.sp, r.verdict);
		}
		printf("%u ret %d\n", id, (int)opts.retval);
	}
	percpu = calloc(ncpu, sizeof(*percpu));
	key = KC_CNT_UNKNOWN_PROBE;
	if (!percpu || bpf_map_lookup_elem(fd_of(o, "kc_counters"), &key, percpu))
		return 1;
	{
		unsigned long long sum = 0;

		for (i = 0; i < ncpu; i++)
			sum += percpu[i];
		printf("unknown_probe %llu\n", sum);
	}
	bpf_object__close(o);
	return 0;
}
