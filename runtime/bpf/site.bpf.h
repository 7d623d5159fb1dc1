/* SPDX-License-Identifier: GPL-2.0 */
/* site.bpf.h: the data-driven site check (--site-programs data, issue 15): what one kprobe
 * program, attached by the loader at every checked instruction, does in place of a generated
 * program per site. The instruction is named by the probe's BPF cookie, which the loader sets
 * to the site id when it attaches (bpf_get_attach_cookie, 5.15+; bpf_get_func_ip cannot name it:
 * since 6.0 it returns 0 for a kprobe inside a function). The site's recipe (kc_recipes, filled
 * by the loader from the seed) says which pt_regs registers, scale, displacement, segment, width
 * or rep count make the write; the range then goes through kc_site_check exactly as a per-site
 * program's does. A cookie with no recipe is counted (KC_CNT_UNKNOWN_PROBE) and checks nothing.
 * The generated <name>.bpf.c defines the program (kc_site) over kc_site_recipe; the checker's
 * tests call kc_site_recipe from a raw_tp program with registers of their own. */
#ifndef KC_SITE_BPF_H
#define KC_SITE_BPF_H

#include "checker.bpf.h"

/* Register `r` (KC_REG_*) of a register file, its low 32 bits when `narrow`. */
static __always_inline __u64 kc_recipe_reg(const __u64 *file, __u32 r, int narrow)
{
	__u64 v;

	if (r > KC_REG_NONE)
		r = KC_REG_NONE;
	v = file[r];
	return narrow ? (__u64)(__u32)v : v;
}

/* Checks the write of site `id` (the probe's cookie) made with the registers `regs`; `ctx` is the
 * program's context (for the violation's stack). Returns what kc_site_check returned, KC_PASS for
 * a rep store that writes nothing, or KC_UNKNOWN_SITE when no recipe names `id`. */
static __always_inline int kc_site_recipe(void *ctx, const struct pt_regs *regs, __u32 id)
{
	const struct kc_recipe *rc = bpf_map_lookup_elem(&kc_recipes, &id);
	__u64 file[KC_REG_NONE + 1];
	__u64 addr, len;

	if (!rc || !(rc->flags & KC_RCP_VALID)) {
		kc_count(KC_CNT_UNKNOWN_PROBE);
		return KC_UNKNOWN_SITE;
	}
	/* the x86-64 encoding order, so a recipe names a register by its number */
	file[KC_REG_AX] = regs->ax;
	file[KC_REG_CX] = regs->cx;
	file[KC_REG_DX] = regs->dx;
	file[KC_REG_BX] = regs->bx;
	file[KC_REG_SP] = regs->sp;
	file[KC_REG_BP] = regs->bp;
	file[KC_REG_SI] = regs->si;
	file[KC_REG_DI] = regs->di;
	file[8] = regs->r8;
	file[9] = regs->r9;
	file[10] = regs->r10;
	file[11] = regs->r11;
	file[12] = regs->r12;
	file[13] = regs->r13;
	file[14] = regs->r14;
	file[15] = regs->r15;
	file[KC_REG_NONE] = 0;
	addr = kc_recipe_reg(file, rc->base, rc->flags & KC_RCP_BASE32) +
	       kc_recipe_reg(file, rc->index, rc->flags & KC_RCP_INDEX32) * rc->scale + (__u64)rc->disp;
	if (rc->flags & KC_RCP_RELOC)
		addr += kc_reloc(rc->site & ~KC_SITE_GS);
	len = rc->len;
	if (rc->kind == KC_KIND_REP) {
		if (!kc_rep_range(addr, file[KC_REG_CX], rc->len, regs->flags, &addr, &len))
			return KC_PASS;
	} else if (rc->kind == KC_KIND_WRITER && rc->len_reg < KC_REG_NONE) {
		len = kc_recipe_reg(file, rc->len_reg, 0);
	}
	return kc_site_check(ctx, rc->site, addr, len, regs->sp);
}

#endif /* KC_SITE_BPF_H */
