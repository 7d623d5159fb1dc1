/* SPDX-License-Identifier: GPL-2.0 */
/* icalls.h: the indirect-call part of the kcompart loader (issue 16, icalls.c): the seed's
 * indirect-call sites and their allowed targets (generated into <name>.seed.h by
 * src/emit/icalls.ts, after the write seed), and the hooks main.c and report.c call. */
#ifndef KC_ICALLS_H
#define KC_ICALLS_H

#include "loader.h"
#include "kcicall.h"

/* One allowed target: a function name, and the translation unit the policy says defines it. */
struct kc_icall_target {
	int symbol; /* index into kc_icall_seed.names */
	int module;
};

/* One checked indirect-call instruction: its program kc_icall_N, probe point, source, targets. */
struct kc_icall_seed_site {
	const char *program;
	int symbol;
	int place; /* its entry of kc_seed.functions (place.c), -1: a global function */
	unsigned long offset;
	int call;     /* the policy's indirect-call id (the first, when several share the instruction) */
	int function; /* the IR function */
	int file;
	unsigned int line, column;
	unsigned int first, count; /* its targets: kc_icall_seed.targets[first .. first + count) */
	int prototype; /* widen by every function of this C prototype in the kernel's BTF (a name), -1: no */
};

struct kc_icall_seed {
	int n_sites, n_targets, n_names;
	const char *const *names;
	const struct kc_icall_target *targets;
	const struct kc_icall_seed_site *sites;
};

/* Defined in the generated <name>.seed.h (compiled into seed.c). */
extern const struct kc_icall_seed kc_icall_seed;

/* Before load: resolves every target name through kallsyms (every address of a name: static
 * functions of the same name in several files cannot be told apart there), widens the sets the
 * analysis could not close by their prototype (every function of the running kernel's BTF,
 * /sys/kernel/btf/vmlinux or $KC_BTF, with that prototype: KC-ICALL-WIDENED) and sizes
 * kc_icall_allowed. Returns 0 or -errno. */
int kc_icalls_prepare(void);
/* After load: fills kc_icall_allowed and kc_icall_sites (KC-ICALL-MAPS line). */
int kc_icalls_fill(void);
/* Attaches every kc_icall_N with a resolved set at its symbol+offset (KC-ICALL-ATTACHED line,
 * KC-REFUSED icall per refusal, KC-ICALL-UNCHECKED per site left without a check). */
void kc_icalls_attach(void);
/* Destroys the icall links; returns how many there were. */
size_t kc_icalls_detach(void);
/* Prints one KC_EVENT_ICALL event (KC-ICALL-VIOLATION and KC-STACK). */
int kc_icall_event(const struct kc_event *e);
/* KC-ICALL-COUNTERS <when> name=sum … */
void kc_icalls_print_counters(const char *when);

#endif /* KC_ICALLS_H */
