/* SPDX-License-Identifier: GPL-2.0 */
/* sample.bpf.c: two site programs on ip6_output as src/emit generates them:
 * each computes the effective address of the write from struct pt_regs fields
 * and calls the shared checker with its site id. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "checker.bpf.h"
#include "sample.config.h"

SEC("kprobe/ip6_output+0xe")
int kc_site_0(struct pt_regs *ctx)
{
	kc_check(KC_SITE0_ID, KC_SITE0_ADDR(ctx));
	return 0;
}

SEC("kprobe/ip6_output+0x2b")
int kc_site_1(struct pt_regs *ctx)
{
	kc_check(KC_SITE1_ID, KC_SITE1_ADDR(ctx));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
