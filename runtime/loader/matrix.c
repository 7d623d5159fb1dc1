// SPDX-License-Identifier: GPL-2.0
/* matrix.c: the attack matrix of the loader (bench:attack, DESIGN.md §5).
 * On SIGHUP the loader reads a targets file, one exploit target a line
 * ("LABEL ADDR": a cred, modprobe_path, a page-table page, a foreign kmalloc
 * neighbour, …, found live by the harness), and asks the real checker, with the
 * live maps, whether a write of every site program to every target would pass:
 * kc_matrix run through BPF_PROG_TEST_RUN (never attached). It prints one
 * KC-MATRIX line per (target, verdict, region) with the site ids that gave it,
 * then KC-MATRIX-DONE. The harness judges the verdicts against the policy. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

#define KC_MATRIX_LABEL 64

/* One kc_check of site `site` on `addr` through kc_matrix: its return value, or -errno. */
static long ask(int prog_fd, unsigned long long site, unsigned long long addr)
{
	unsigned long long args[2] = { site, addr };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	return (long)opts.retval;
}

static const char *verdict_name(unsigned int v)
{
	switch (v) {
	case KC_PASS: return "pass";
	case KC_VIOLATION: return "violation";
	case KC_REPORT: return "report";
	default: return "unknown-site";
	}
}

/* The kernel address of the run time's phase flag (kc_enforce, in the object's .bss map), 0 if unknown. */
static unsigned long long phase_flag_address(int prog_fd)
{
	int fd = bpf_map__fd(kc_skel->maps.kc_peek_slots);
	struct kc_peek_slot slot = { 0 };
	__u32 zero = 0;

	if (bpf_map_update_elem(fd, &zero, &slot, 0) || ask(prog_fd, (unsigned int)KC_MATRIX_WHERE, 0) < 0
	    || bpf_map_lookup_elem(fd, &zero, &slot))
		return 0;
	return slot.val;
}

int kc_run_matrix(const char *path)
{
	int prog_fd = bpf_program__fd(kc_skel->progs.kc_matrix), n = 0;
	char line[256], label[KC_MATRIX_LABEL];
	FILE *f = fopen(path, "a+");
	unsigned long long flag;

	if (!f)
		return -errno;
	/* the run time's own memory is a target of every matrix */
	flag = phase_flag_address(prog_fd);
	if (flag)
		fprintf(f, "runtime_phase_flag %llx\n", flag);
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		/* sites by verdict (4) and region (bits 0..7 of the region byte), printed as runs of ids */
		unsigned char *verdict = calloc(kc_seed.n_sites ? kc_seed.n_sites : 1, 2);
		int i, v, r;

		if (!verdict) {
			fclose(f);
			return -ENOMEM;
		}
		if (sscanf(line, "%63s %llx", label, &addr) != 2 || label[0] == '#') {
			free(verdict);
			continue;
		}
		for (i = 0; i < kc_seed.n_sites; i++) {
			long ret = ask(prog_fd, (unsigned int)i | (kc_seed.sites[i].gs ? KC_SITE_GS : 0u), addr);

			if (ret < 0) {
				free(verdict);
				fclose(f);
				return (int)ret;
			}
			verdict[2 * i] = ret & 0xff;
			verdict[2 * i + 1] = (ret >> 8) & 0xff;
		}
		for (v = 0; v < 4; v++) {
			for (r = 0; r < 256; r++) {
				int first = 1, count = 0;

				for (i = 0; i < kc_seed.n_sites; i++)
					count += verdict[2 * i] == v && verdict[2 * i + 1] == r;
				if (!count)
					continue;
				fprintf(stdout, "KC-MATRIX target=\"");
				kc_put_name(stdout, label);
				fprintf(stdout, "\" addr=0x%llx verdict=%s region=%s sites=%d ids=", addr, verdict_name(v), kc_region_name(r), count);
				for (i = 0; i < kc_seed.n_sites; i++) {
					if (verdict[2 * i] != v || verdict[2 * i + 1] != r)
						continue;
					fprintf(stdout, "%s%d", first ? "" : ",", i);
					first = 0;
				}
				fprintf(stdout, "\n");
			}
		}
		free(verdict);
		n++;
	}
	fclose(f);
	fprintf(stdout, "KC-MATRIX-DONE targets=%d sites=%d\n", n, kc_seed.n_sites);
	return 0;
}
