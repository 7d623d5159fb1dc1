// SPDX-License-Identifier: GPL-2.0
/* test_run.c: runs a pinned raw_tp program once through BPF_PROG_TEST_RUN
 * with four to eight u64 arguments and prints its return value (bpftool 7.1's
 * `prog run` always sets repeat, which raw_tp test runs refuse).
 * Usage: test_run PINNED_PROG A0 A1 A2 A3 [A4 …] */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	unsigned long long args[8] = { 0 };
	int fd, err, i;

	if (argc < 6 || argc > 10) {
		fprintf(stderr, "usage: %s PINNED_PROG A0 A1 A2 A3 [A4 … A7]\n", argv[0]);
		return 2;
	}
	for (i = 0; i + 2 < argc; i++)
		args[i] = strtoull(argv[i + 2], NULL, 0);
	fd = bpf_obj_get(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "bpf_obj_get %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
	err = bpf_prog_test_run_opts(fd, &opts);
	if (err) {
		fprintf(stderr, "BPF_PROG_TEST_RUN: %s\n", strerror(errno));
		return 1;
	}
	printf("%u\n", opts.retval);
	return 0;
}
