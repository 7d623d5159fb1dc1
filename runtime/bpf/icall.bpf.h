/* SPDX-License-Identifier: GPL-2.0 */
/* icall.bpf.h: the indirect-call checks (issue 16). A generated kc_icall_N program sits on the
 * call instruction of indirect-call site N (a kprobe: the call has not happened yet), reads the
 * target — the register of `call *%reg` or of the retpoline thunk, or the word of
 * `call *disp(%reg)` — and calls kc_icall_check(), which looks (site, target) up in
 * kc_icall_allowed, the set the loader filled from kallsyms. A target outside it is a violation
 * with the write checks' phases and response: audit counts it, enforce reports it through
 * kc_events (kind KC_EVENT_ICALL, with the kernel stack) and, under --on-violation kill, sends
 * SIGKILL to the calling task. Included after checker.bpf.h (kc_events, kc_stacks, kc_enforce,
 * kc_on_violation, kc_may_kill). */
#ifndef KC_ICALL_BPF_H
#define KC_ICALL_BPF_H

/* its maps (kc_icall_allowed, kc_icall_sites, kc_icall_counters) are in maps.bpf.h */

static __always_inline void kc_icall_count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&kc_icall_counters, &slot);

	if (v)
		*v += 1;
}

/* The word at `addr` (the target of a memory-indirect call), 0 when unreadable. */
static __always_inline __u64 kc_icall_load(__u64 addr)
{
	__u64 v = 0;

	if (bpf_probe_read_kernel(&v, sizeof(v), (const void *)addr))
		return 0;
	return v;
}

/* Checks the target of indirect-call site `site` about to be called with stack pointer `sp`. */
static __always_inline int kc_icall_check(void *ctx, __u32 site, __u64 target, __u64 sp)
{
	struct kc_icall_key key = { .site = site, .pad = 0, .addr = target };
	struct kc_icall_site *info;
	struct kc_event *e;
	int killed = 0;

	kc_icall_count(KC_ICNT_CHECKS);
	if (bpf_map_lookup_elem(&kc_icall_allowed, &key)) {
		kc_icall_count(KC_ICNT_PASSES);
		return KC_PASS;
	}
	if (!kc_enforce) {
		kc_icall_count(KC_ICNT_AUDITED);
		return KC_VIOLATION;
	}
	kc_icall_count(KC_ICNT_VIOLATIONS);
	if (kc_on_violation == KC_ON_VIOLATION_KILL) {
		if (kc_may_kill(sp) && bpf_send_signal(9 /* SIGKILL */) == 0) {
			kc_icall_count(KC_ICNT_KILLED);
			killed = 1;
		} else {
			kc_icall_count(KC_ICNT_KILL_SKIPPED);
		}
	}
	e = bpf_ringbuf_reserve(&kc_events, sizeof(*e), 0);
	if (!e) {
		kc_icall_count(KC_ICNT_DROPS);
		return KC_VIOLATION;
	}
	info = bpf_map_lookup_elem(&kc_icall_sites, &site);
	e->site = site;
	e->region = 0;
	e->addr = target;
	e->cache = 0;
	e->object = info ? info->targets : 0;
	e->alloc = KC_ALLOC_NONE;
	e->phase = 1;
	e->kind = KC_EVENT_ICALL;
	e->object_size = 0;
	e->killed = killed;
	e->pad = 0;
	e->cache_name[0] = 0;
	e->pid = (__u32)bpf_get_current_pid_tgid();
	e->stack_id = bpf_get_stackid(ctx, &kc_stacks, 0);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return KC_VIOLATION;
}

#endif /* KC_ICALL_BPF_H */
