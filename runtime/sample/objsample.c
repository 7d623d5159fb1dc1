// SPDX-License-Identifier: GPL-2.0
/* objsample.c: the user-space side of the object sampler (objsample.bpf.c,
 * issue 10 item 3). Loads the skeleton, attaches its two tracepoints and two
 * kprobes, and appends every ring-buffer record (struct kc_sample) to the
 * output file until SIGINT/SIGTERM, then prints the counters. Built by
 * bench/classify.ts:
 *
 *   clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I <dir of vmlinux.h> -c objsample.bpf.c -o objsample.bpf.o
 *   bpftool gen skeleton objsample.bpf.o name objsample > objsample.skel.h
 *   cc -O2 -Wall objsample.c -o objsample -static -lbpf -lelf -lz
 *
 *   usage: objsample OUT [PER_KEY_MAX PER_CACHE_MAX]
 * Lines: `KC-SAMPLE-READY`, `KC-SAMPLE-COUNTS sampled=… skipped=… ringbuf_full=… cap_full=… born=…`.
 * Run only inside the qemu guest. */
#include <errno.h>
#include <linux/types.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "objsample.h"
#include "objsample.skel.h"

static volatile sig_atomic_t stop;
static FILE *out;
static unsigned long long written;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int on_sample(void *ctx, void *data, size_t len)
{
	(void)ctx;
	if (len < sizeof(struct kc_sample))
		return 0;
	if (fwrite(data, sizeof(struct kc_sample), 1, out) == 1)
		written++;
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	struct objsample *skel;
	struct ring_buffer *rb;
	unsigned int magic = KC_SAMPLE_MAGIC;
	const char *names[5] = { "sampled", "skipped", "ringbuf_full", "cap_full", "born" };
	int ncpu, err;

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: %s OUT [PER_KEY_MAX PER_CACHE_MAX]\n", argv[0]);
		return 2;
	}
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	out = fopen(argv[1], "wb");
	if (!out) {
		fprintf(stderr, "KC-SAMPLE-ERROR cannot write %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fwrite(&magic, sizeof(magic), 1, out);
	skel = objsample__open();
	if (!skel) {
		fprintf(stderr, "KC-SAMPLE-ERROR open: %s\n", strerror(errno));
		return 1;
	}
	if (argc == 4) {
		skel->rodata->per_key_max = (unsigned int)strtoul(argv[2], NULL, 0);
		skel->rodata->per_cache_max = (unsigned int)strtoul(argv[3], NULL, 0);
	}
	err = objsample__load(skel);
	if (!err)
		err = objsample__attach(skel);
	if (err) {
		fprintf(stderr, "KC-SAMPLE-ERROR load/attach: %d\n", err);
		return 1;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.kc_samples), on_sample, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "KC-SAMPLE-ERROR ring buffer\n");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("KC-SAMPLE-READY\n");
	fflush(stdout);
	while (!stop) {
		err = ring_buffer__poll(rb, 100);
		if (err < 0 && err != -EINTR)
			break;
	}
	objsample__detach(skel);
	ring_buffer__consume(rb);
	fclose(out);
	ncpu = libbpf_num_possible_cpus();
	printf("KC-SAMPLE-COUNTS written=%llu", written);
	for (__u32 k = 0; k < 5 && ncpu > 0; k++) {
		__u64 v[ncpu], sum = 0;

		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.kc_sample_counts), &k, v) == 0)
			for (int c = 0; c < ncpu; c++)
				sum += v[c];
		printf(" %s=%llu", names[k], (unsigned long long)sum);
	}
	printf("\n");
	ring_buffer__free(rb);
	objsample__destroy(skel);
	return 0;
}
