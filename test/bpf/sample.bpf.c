/* SPDX-License-Identifier: GPL-2.0 */
/* sample.bpf.c: two site programs on ip6_output as src/emit generates them:
 * each computes the effective address of the write from struct pt_regs fields
 * and calls the shared checker with its site id; one allocation probe. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "checker.bpf.h"
#include "track.bpf.h"
#include "sample.config.h"

SEC("kprobe/ip6_output+0xe")
int kc_site_0(struct pt_regs *ctx)
{
	kc_site_check(ctx, KC_SITE0_ID, KC_SITE0_ADDR(ctx), 8, ctx->sp);
	return 0;
}

SEC("kprobe/ip6_output+0x2b")
int kc_site_1(struct pt_regs *ctx)
{
	kc_site_check(ctx, KC_SITE1_ID, KC_SITE1_ADDR(ctx), 4, ctx->sp);
	return 0;
}

/* allocation 0: the instruction after ip6_output's call of __kmalloc (rax is the object) */
SEC("kprobe/ip6_output+0x40")
int kc_alloc_0(struct pt_regs *ctx)
{
	kc_track(KC_ALLOC0_ID, ctx->ax);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
