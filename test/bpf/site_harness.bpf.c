/* SPDX-License-Identifier: GPL-2.0 */
/* site_harness.bpf.c: the data-driven site program (site.bpf.h) against the per-site programs
 * src/emit generates, through BPF_PROG_TEST_RUN on this machine's kernel (a raw_tp program:
 * loaded, run on demand, never attached). Both read the registers of the global kc_test_io (a
 * struct pt_regs the test writes, kc_test_io.regs) in place of a probe's context; kc_site_check is replaced by
 * a recorder that runs the same kc_check_range and keeps what it was asked (site, address,
 * length, stack pointer) and answered: slot 0 for the per-site program, slot 1 for the data path.
 * (kc_test_io.out). site_cases.bpf.h (written by test/emit/site-data.test.ts from emitBpf's per-site C) defines
 * kc_test_per_site(id, regs). args[0]: the site id (the data path's cookie); args[1]: bit 0 runs
 * the per-site program, bit 1 the data path, whose result is the return value. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "checker.bpf.h"

struct kc_test_rec {
	__u64 addr;
	__u64 len;
	__u64 sp;
	__u32 site;
	__s32 verdict;
	__u32 called;
	__u32 pad;
};

/* The test's input and output: global data of its own section (one array map of one value, which
 * site_run.c writes and reads), so the run time's maps stay defined once, in maps.bpf.h. */
struct kc_test_io {
	struct pt_regs regs;
	struct kc_test_rec out[2];
};

struct kc_test_io kc_test_io SEC(".data.kctest") = {};

static __always_inline int kc_test_rec(__u32 slot, __u32 site, __u64 addr, __u64 len, __u64 sp)
{
	struct kc_test_rec *r = &kc_test_io.out[slot & 1];
	int v = kc_check_range(site, addr, len, sp);

	r->site = site;
	r->addr = addr;
	r->len = len;
	r->sp = sp;
	r->verdict = v;
	r->called = 1;
	return v;
}

static __always_inline int kc_test_rep(__u32 slot, __u32 site, __u64 di, __u64 count, __u64 elem, __u64 flags, __u64 sp)
{
	__u64 addr = 0, len = 0;

	if (!kc_rep_range(di, count, elem, flags, &addr, &len))
		return KC_PASS;
	return kc_test_rec(slot, site, addr, len, sp);
}

/* what the site programs call, recorded (checker.bpf.h's own definitions are above, untouched) */
#define kc_site_check(ctx, site, addr, len, sp) kc_test_rec(KC_TEST_SLOT, site, addr, len, sp)
#define kc_site_check_rep(ctx, site, di, count, elem, flags, sp) kc_test_rep(KC_TEST_SLOT, site, di, count, elem, flags, sp)

#define KC_TEST_SLOT 1
#include "site.bpf.h"
#undef KC_TEST_SLOT
#define KC_TEST_SLOT 0
#include "site_cases.bpf.h"

SEC("raw_tp")
int kc_test_site(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 id = (__u32)ctx->args[0];
	struct pt_regs *regs = &kc_test_io.regs;

	__builtin_memset(kc_test_io.out, 0, sizeof(kc_test_io.out));
	if (ctx->args[1] & 1)
		kc_test_per_site(id, regs);
	if (ctx->args[1] & 2)
		return kc_site_recipe(ctx, regs, id);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
