/* SPDX-License-Identifier: GPL-2.0 */
/* kcicall.h: the layout of the indirect-call checks (issue 16) shared by BPF (icall.bpf.h) and
 * the loader (icalls.c): the allowed-target map's key, the event kind of a hijacked call, and
 * the slots of the icall counters. Plain C: user space includes it as is. */
#ifndef KCICALL_H
#define KCICALL_H

/* struct kc_event.kind of an indirect call whose target is outside its set: .site is the icall
 * id, .addr the target, .object the expected set's size (addresses allowed for the site). */
#define KC_EVENT_ICALL 2

/* Default capacity of kc_icall_allowed; the loader sizes it to what it resolved before load. */
#define KC_MAX_ICALL_TARGETS 65536

/* Key of kc_icall_allowed: one allowed target address of one indirect-call site. */
struct kc_icall_key {
	unsigned int site;
	unsigned int pad; /* 0 */
	unsigned long long addr;
};

/* Value of kc_icall_sites: what the loader resolved for a site. */
struct kc_icall_site {
	unsigned int targets; /* addresses allowed (the expected set's size at run time) */
	unsigned int pad;
};

/* Slots of the per-cpu array kc_icall_counters. */
enum kc_icall_counter {
	KC_ICNT_CHECKS = 0,
	KC_ICNT_PASSES,
	KC_ICNT_VIOLATIONS,   /* enforce phase: reported */
	KC_ICNT_AUDITED,      /* audit phase: counted, not reported */
	KC_ICNT_KILLED,
	KC_ICNT_KILL_SKIPPED, /* kill asked but the call ran in an interrupt, a softirq or a kthread */
	KC_ICNT_DROPS,        /* ring buffer full */
	KC_ICNT_MAX,
};

#endif /* KCICALL_H */
