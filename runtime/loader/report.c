// SPDX-License-Identifier: GPL-2.0
/* report.c: what the kcompart loader prints for scripts (scripts/e2e parses
 * these lines; keep their text): KC-VIOLATION for each event of the ring
 * buffer kc_events (site, source line, function, probe, access, address,
 * region, object, cache, allocation site, pid, comm, stack id) followed by a
 * symbolized KC-STACK from kc_stacks, KC-COUNTERS (the per-cpu counters
 * summed; the skb-head class's skb_heads, skb_head_drops, pass_skb_head
 * last), KC-REFUSED for a probe the kernel refuses. Names are printed with
 * every byte outside printable ASCII as \xNN. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "icalls.h"

void kc_put_name(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			fputc(c, f);
		else
			fprintf(f, "\\x%02x", c);
	}
}

void kc_report_refusal(const char *what, const char *program, const char *symbol, unsigned long offset, int err)
{
	fprintf(stdout, "KC-REFUSED %s %s at \"", what, program);
	kc_put_name(stdout, symbol);
	fprintf(stdout, "\"+0x%lx: %s\n", offset, strerror(-err));
}

void kc_report_site_refusal(const struct kc_seed_site *s, int err)
{
	fprintf(stdout, "KC-REFUSED site %s at \"", s->program);
	kc_put_name(stdout, kc_name(s->symbol));
	fprintf(stdout, "\"+0x%lx: %s source=\"", s->offset, strerror(-err));
	kc_put_name(stdout, kc_name(s->file));
	fprintf(stdout, ":%u:%u\" function=\"", s->line, s->column);
	kc_put_name(stdout, kc_name(s->function));
	fprintf(stdout, "\"\n");
}

static const char *const counter_names[KC_CNT_MAX] = {
	[KC_CNT_CHECKS] = "checks", [KC_CNT_PASSES] = "passes", [KC_CNT_VIOLATIONS] = "violations",
	[KC_CNT_AUDITED] = "audited", [KC_CNT_DROPS] = "drops", [KC_CNT_UNKNOWN_SITE] = "unknown_site",
	[KC_CNT_TRACKED] = "tracked", [KC_CNT_ADOPTED] = "adopted", [KC_CNT_FREED] = "freed",
	[KC_CNT_TRACK_FULL] = "track_full", [KC_CNT_UNTRACKED_PASS] = "untracked_pass",
	[KC_CNT_PASS_STACK] = "pass_stack", [KC_CNT_PASS_GLOBAL] = "pass_global", [KC_CNT_PASS_SLAB] = "pass_slab",
	[KC_CNT_PASS_BUDDY] = "pass_buddy", [KC_CNT_PASS_VMALLOC] = "pass_vmalloc", [KC_CNT_PASS_PERCPU] = "pass_percpu",
	[KC_CNT_PASS_VMEMMAP] = "pass_vmemmap", [KC_CNT_FOREIGN_PASS] = "foreign_pass",
	[KC_CNT_UNKNOWN_OWNER] = "unknown_owner", [KC_CNT_REPORTED] = "reported", [KC_CNT_KILLED] = "killed",
	[KC_CNT_KILL_SKIPPED] = "kill_skipped", [KC_CNT_DENIED] = "denied", [KC_CNT_CROSSED] = "crossed",
	[KC_CNT_KALLOC] = "kalloc", [KC_CNT_KALLOC_UNKNOWN] = "kalloc_unknown", [KC_CNT_KALLOC_DROPS] = "kalloc_drops",
	[KC_CNT_UNKNOWN_PROBE] = "unknown_probe", [KC_CNT_SKB_HEADS] = "skb_heads", [KC_CNT_SKB_HEAD_DROPS] = "skb_head_drops",
	[KC_CNT_PASS_SKB_HEAD] = "pass_skb_head",
};

/* Counters printed after the kprobe and recursion fields: the slots added since (from
 * KC_CNT_SKB_HEADS on), at the end of the line, so what scripts match of its older text holds. */
#define KC_CNT_LATE KC_CNT_SKB_HEADS

/* BPF recursion misses (bpf_prog_info.recursion_misses, 5.12+) summed over the object's programs:
 * runs the kernel skipped because a BPF program was already running on the CPU. */
static unsigned long long recursion_misses(void)
{
	struct bpf_program *p;
	unsigned long long sum = 0;

	bpf_object__for_each_program(p, kc_skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		memset(&info, 0, sizeof(info));
		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			sum += info.recursion_misses;
	}
	return sum;
}

/* " name=sum" for the counter slots [from, to), summed over the CPUs. */
static void print_counter_slots(int fd, __u64 *vals, int ncpu, __u32 from, __u32 to)
{
	__u32 k;
	int c;

	for (k = from; vals && k < to; k++) {
		__u64 sum = 0;

		if (bpf_map_lookup_elem(fd, &k, vals) == 0)
			for (c = 0; c < ncpu; c++)
				sum += vals[c];
		fprintf(stdout, " %s=%llu", counter_names[k] ? counter_names[k] : "?", (unsigned long long)sum);
	}
}

void kc_print_counters(const char *when)
{
	int fd = bpf_map__fd(kc_skel->maps.kc_counters);
	int ncpu = kc_possible_cpus();
	__u64 *vals = calloc(ncpu, sizeof(__u64));

	fprintf(stdout, "KC-COUNTERS %s", when);
	print_counter_slots(fd, vals, ncpu, 0, KC_CNT_LATE);
	{
		int known = 0;
		unsigned long long missed = kc_kprobe_missed(&known);

		fprintf(stdout, " kprobe_missed=%llu kprobe_missed_known=%d recursion_misses=%llu", missed, known, recursion_misses());
	}
	print_counter_slots(fd, vals, ncpu, KC_CNT_LATE, KC_CNT_MAX);
	fprintf(stdout, "\n");
	fflush(stdout);
	free(vals);
	kc_icalls_print_counters(when);
}

void kc_print_hits(void)
{
	int fd = bpf_map__fd(kc_skel->maps.kc_hits);
	int ncpu = kc_possible_cpus(), c, i;
	__u64 *vals = calloc(ncpu, sizeof(__u64));

	for (i = 0; vals && i < kc_seed.n_sites; i++) {
		const struct kc_seed_site *s = &kc_seed.sites[i];
		__u32 k = i;
		__u64 sum = 0;

		if (bpf_map_lookup_elem(fd, &k, vals) == 0)
			for (c = 0; c < ncpu; c++)
				sum += vals[c];
		if (!sum)
			continue;
		fprintf(stdout, "KC-HITS site=%d hits=%llu regions=0x%x at=\"", i, (unsigned long long)sum, s->regions);
		kc_put_name(stdout, kc_name(s->file));
		fprintf(stdout, ":%u:%u\" probe=\"", s->line, s->column);
		kc_put_name(stdout, kc_name(s->symbol));
		fprintf(stdout, "+0x%lx\"\n", s->offset);
	}
	fflush(stdout);
	free(vals);
}

const char *kc_region_name(unsigned int r)
{
	switch (r) {
	case KC_R_STACK: return "stack";
	case KC_R_GLOBAL: return "global";
	case KC_R_SLAB: return "slab";
	case KC_R_BUDDY: return "buddy";
	case KC_R_VMALLOC: return "vmalloc";
	case KC_R_PERCPU: return "percpu";
	case KC_R_VMEMMAP: return "vmemmap";
	case KC_R_RUNTIME: return "runtime";
	default: return "none";
	}
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct kc_event *e = data;
	const struct kc_seed_site *s;
	char buf[160], comm[KC_COMM_LEN + 1];

	(void)ctx;
	if (len >= sizeof(*e) && e->kind == KC_EVENT_ICALL)
		return kc_icall_event(e); /* icalls.c */
	if (len < sizeof(*e) || e->site >= (unsigned int)kc_seed.n_sites)
		return 0;
	s = &kc_seed.sites[e->site];
	memcpy(comm, e->comm, KC_COMM_LEN);
	comm[KC_COMM_LEN] = 0;
	fprintf(stdout, "%s site=%u at=\"", e->kind == KC_EVENT_UNKNOWN ? "KC-UNKNOWN" : "KC-VIOLATION", e->site);
	kc_put_name(stdout, kc_name(s->file));
	fprintf(stdout, ":%u:%u\" function=\"", s->line, s->column);
	kc_put_name(stdout, kc_name(s->function));
	fprintf(stdout, "\" probe=\"");
	kc_put_name(stdout, kc_name(s->symbol));
	fprintf(stdout, "+0x%lx\" access=\"", s->offset);
	kc_put_name(stdout, kc_name(s->access));
	fprintf(stdout, "\" addr=0x%llx region=%s object=0x%llx cache=0x%llx", e->addr, kc_region_name(e->region), e->object, e->cache);
	if (e->cache) {
		char name[KC_CACHE_NAME_LEN + 1];

		memcpy(name, e->cache_name, KC_CACHE_NAME_LEN);
		name[KC_CACHE_NAME_LEN] = 0;
		fprintf(stdout, " cache_name=\"");
		kc_put_name(stdout, name);
		fprintf(stdout, "\" object_size=%u", e->object_size);
	}
	if (e->region == 0 || e->region == KC_R_GLOBAL) {
		/* an address no region claims: name the kernel symbol it lies in (a global, text, rodata) */
		kc_ksym_describe(e->addr, buf, sizeof(buf));
		fprintf(stdout, " symbol=\"");
		kc_put_name(stdout, buf);
		fputc('"', stdout);
	}
	fprintf(stdout, " alloc=");
	if (e->alloc == KC_ALLOC_NONE)
		fprintf(stdout, "none");
	else if (e->alloc == KC_ALLOC_ADOPTED)
		fprintf(stdout, "adopted");
	else if (e->alloc == KC_ALLOC_UNKNOWN_SITE)
		fprintf(stdout, "unknown-site"); /* allocated after the load by no analyzed function */
	else if (e->alloc >= KC_VM_ALLOC_BASE)
		fprintf(stdout, "vmalloc-caller-%u", e->alloc - KC_VM_ALLOC_BASE);
	else if (e->alloc >= KC_FN_ALLOC_BASE && e->alloc - KC_FN_ALLOC_BASE < (unsigned int)kc_seed.n_fns) {
		/* allocated after the load inside an analyzed function (one of its IR allocation sites) */
		fprintf(stdout, "\"function:");
		kc_put_name(stdout, kc_name(kc_seed.fns[e->alloc - KC_FN_ALLOC_BASE]));
		fputc('"', stdout);
	}
	else if (e->alloc < (unsigned int)kc_seed.n_allocs && kc_seed.allocs[e->alloc].site >= 0) {
		fputc('"', stdout);
		kc_put_name(stdout, kc_name(kc_seed.allocs[e->alloc].site));
		fputc('"', stdout);
	}
	fprintf(stdout, " pid=%u comm=\"", e->pid);
	kc_put_name(stdout, comm);
	fprintf(stdout, "\" stack_id=%d%s\n", e->stack_id, e->killed ? " killed=1" : "");
	kc_print_stack(e->stack_id);
	fflush(stdout);
	return 0;
}

void kc_print_stack(int stack_id)
{
	__u64 ips[KC_STACK_DEPTH];
	char buf[160];
	int i;

	if (stack_id < 0 || bpf_map_lookup_elem(bpf_map__fd(kc_skel->maps.kc_stacks), &stack_id, ips))
		return;
	fprintf(stdout, "KC-STACK");
	for (i = 0; i < KC_STACK_DEPTH && ips[i]; i++)
		fprintf(stdout, " %s", kc_ksym_describe(ips[i], buf, sizeof(buf)));
	fprintf(stdout, "\n");
}

struct ring_buffer *kc_events_open(void)
{
	return ring_buffer__new(bpf_map__fd(kc_skel->maps.kc_events), on_event, NULL, NULL);
}
