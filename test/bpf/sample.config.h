/* SPDX-License-Identifier: GPL-2.0 */
/* sample.config.h: a sample configuration for sample.bpf.c: two sites of
 * ip6_output and their memory operands, as src/emit would generate them
 * (site ids index the kc_sites map). */
#ifndef KC_SAMPLE_CONFIG_H
#define KC_SAMPLE_CONFIG_H

/* site 0: ip6_output+0xe   mov %rax, 0x10(%rdi,%rsi,8) */
#define KC_SITE0_ID 0
#define KC_SITE0_ADDR(regs) ((regs)->di + (regs)->si * 8 + 0x10)

/* site 1: ip6_output+0x2b  mov %ecx, -0x8(%rbx) */
#define KC_SITE1_ID 1
#define KC_SITE1_ADDR(regs) ((regs)->bx - 0x8)

/* allocation 0: ip6_output+0x3b call __kmalloc; the probe sits on the next instruction */
#define KC_ALLOC0_ID 0

#endif /* KC_SAMPLE_CONFIG_H */
