// SPDX-License-Identifier: GPL-2.0
/* icalls.c: the indirect-call checks of the kcompart loader (issue 16). Resolves every allowed
 * target of every indirect-call site of the seed through /proc/kallsyms — a name's every text
 * address, since kallsyms does not say which file a static function comes from (a duplicated
 * static name widens the set by its namesakes; counted as duplicated) — sizes and fills
 * kc_icall_allowed with (site, address) pairs, attaches the generated kc_icall_N programs at
 * their call instructions, and prints what they report: KC-ICALL-MAPS, KC-ICALL-UNCHECKED (a
 * site none of whose targets kallsyms knows gets no program: it would refuse every call),
 * KC-ICALL-ATTACHED, KC-ICALL-VIOLATION (+ KC-STACK), KC-ICALL-COUNTERS. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "icalls.h"

/* Resolved addresses per site: addrs[first[i] .. first[i] + count[i]). */
static unsigned long long *addrs;
static unsigned int *first, *count;
static size_t naddrs;
static unsigned int unresolved_names, duplicated_names;
static struct bpf_link **links;
static size_t nlinks;

static const char *icall_name(int i)
{
	return i >= 0 && i < kc_icall_seed.n_names ? kc_icall_seed.names[i] : "?";
}

static int is_text(char t)
{
	return t == 't' || t == 'T' || t == 'w' || t == 'W';
}

int kc_icalls_prepare(void)
{
	const struct kc_icall_seed *s = &kc_icall_seed;
	size_t cap = 0;
	int i;
	unsigned int k;

	first = calloc(s->n_sites + 1, sizeof(*first));
	count = calloc(s->n_sites + 1, sizeof(*count));
	if (!first || !count)
		return -ENOMEM;
	for (i = 0; i < s->n_sites; i++) {
		const struct kc_icall_seed_site *site = &s->sites[i];

		first[i] = naddrs;
		for (k = 0; k < site->count; k++) {
			const struct kc_icall_target *t = &s->targets[site->first + k];
			const char *name = icall_name(t->symbol);
			long at = kc_ksym_find(name);
			const struct kc_ksym *ks;
			unsigned int found = 0;

			for (; at >= 0 && (ks = kc_ksym_at(at)) && !strcmp(ks->name, name); at++) {
				if (!is_text(ks->type) || !ks->addr)
					continue;
				if (naddrs == cap) {
					cap = cap ? cap * 2 : 4096;
					addrs = realloc(addrs, cap * sizeof(*addrs));
					if (!addrs)
						return -ENOMEM;
				}
				addrs[naddrs++] = ks->addr;
				found++;
			}
			if (!found)
				unresolved_names++;
			else if (found > 1)
				duplicated_names++;
		}
		count[i] = naddrs - first[i];
	}
	if (bpf_map__set_max_entries(kc_skel->maps.kc_icall_allowed, naddrs ? naddrs : 1))
		return -EINVAL;
	if (bpf_map__set_max_entries(kc_skel->maps.kc_icall_sites, s->n_sites ? s->n_sites : 1))
		return -EINVAL;
	return 0;
}

int kc_icalls_fill(void)
{
	int allowed = bpf_map__fd(kc_skel->maps.kc_icall_allowed);
	int sites = bpf_map__fd(kc_skel->maps.kc_icall_sites);
	unsigned int empty = 0;
	__u8 one = 1;
	int i, err = 0;
	size_t k;

	for (i = 0; i < kc_icall_seed.n_sites; i++) {
		struct kc_icall_site info = { .targets = count[i], .pad = 0 };
		__u32 id = i;

		if (!count[i])
			empty++;
		if (bpf_map_update_elem(sites, &id, &info, BPF_ANY))
			err = -errno;
		for (k = first[i]; k < first[i] + count[i]; k++) {
			struct kc_icall_key key = { .site = i, .pad = 0, .addr = addrs[k] };

			if (bpf_map_update_elem(allowed, &key, &one, BPF_ANY))
				err = -errno;
		}
	}
	fprintf(stdout, "KC-ICALL-MAPS sites=%d targets=%d addresses=%zu unresolved_names=%u duplicated_names=%u no_target=%u%s%s\n",
		kc_icall_seed.n_sites, kc_icall_seed.n_targets, naddrs, unresolved_names, duplicated_names, empty,
		err ? " error=" : "", err ? strerror(-err) : "");
	return err;
}

/* The number N of a program called kc_icall_N, or -1. */
static long icall_id(const char *name)
{
	char *end;
	long id;

	if (strncmp(name, "kc_icall_", 9) || name[9] < '0' || name[9] > '9')
		return -1;
	id = strtol(name + 9, &end, 10);
	return *end ? -1 : id;
}

void kc_icalls_attach(void)
{
	struct bpf_program **prog = calloc(kc_icall_seed.n_sites + 1, sizeof(*prog));
	struct bpf_program *p;
	unsigned int attached = 0, refused = 0, unchecked = 0;
	int i;

	links = calloc(kc_icall_seed.n_sites + 1, sizeof(*links));
	if (!prog || !links) {
		fprintf(stderr, "KC-ERROR out of memory\n");
		exit(1);
	}
	bpf_object__for_each_program(p, kc_skel->obj) {
		long id = icall_id(bpf_program__name(p));

		if (id >= 0 && id < kc_icall_seed.n_sites && !strcmp(kc_icall_seed.sites[id].program, bpf_program__name(p)))
			prog[id] = p;
	}
	for (i = 0; i < kc_icall_seed.n_sites; i++) {
		const struct kc_icall_seed_site *s = &kc_icall_seed.sites[i];
		struct bpf_link *l;

		if (!count[i] || !prog[i]) {
			/* no address of its set is known here: attaching would refuse every call */
			unchecked++;
			fprintf(stdout, "KC-ICALL-UNCHECKED icall=%d call=\"", i);
			kc_put_name(stdout, icall_name(s->call));
			fprintf(stdout, "\" reason=%s\n", prog[i] ? "no-resolved-target" : "no-program");
			continue;
		}
		LIBBPF_OPTS(bpf_kprobe_opts, o, .offset = s->offset);
		l = bpf_program__attach_kprobe_opts(prog[i], icall_name(s->symbol), &o);
		if (!l) {
			refused++;
			kc_report_refusal("icall", s->program, icall_name(s->symbol), s->offset, -errno ? -errno : -EINVAL);
			continue;
		}
		links[nlinks++] = l;
		attached++;
	}
	fprintf(stdout, "KC-ICALL-ATTACHED sites=%u refused=%u unchecked=%u\n", attached, refused, unchecked);
	fflush(stdout);
	free(prog);
}

size_t kc_icalls_detach(void)
{
	size_t i, n = nlinks;

	for (i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	nlinks = 0;
	return n;
}

int kc_icall_event(const struct kc_event *e)
{
	const struct kc_icall_seed_site *s;
	char buf[160], comm[KC_COMM_LEN + 1];
	__u64 ips[KC_STACK_DEPTH];
	int i;

	if (e->site >= (unsigned int)kc_icall_seed.n_sites)
		return 0;
	s = &kc_icall_seed.sites[e->site];
	memcpy(comm, e->comm, KC_COMM_LEN);
	comm[KC_COMM_LEN] = 0;
	fprintf(stdout, "KC-ICALL-VIOLATION icall=%u at=\"", e->site);
	kc_put_name(stdout, icall_name(s->file));
	fprintf(stdout, ":%u:%u\" function=\"", s->line, s->column);
	kc_put_name(stdout, icall_name(s->function));
	fprintf(stdout, "\" probe=\"");
	kc_put_name(stdout, icall_name(s->symbol));
	fprintf(stdout, "+0x%lx\" call=\"", s->offset);
	kc_put_name(stdout, icall_name(s->call));
	fprintf(stdout, "\" target=0x%llx symbol=\"", e->addr);
	kc_put_name(stdout, kc_ksym_describe(e->addr, buf, sizeof(buf)));
	fprintf(stdout, "\" expected=%llu expected_names=%u pid=%u comm=\"", e->object, s->count, e->pid);
	kc_put_name(stdout, comm);
	fprintf(stdout, "\" stack_id=%d%s\n", e->stack_id, e->killed ? " killed=1" : "");
	if (e->stack_id >= 0 && bpf_map_lookup_elem(bpf_map__fd(kc_skel->maps.kc_stacks), &e->stack_id, ips) == 0) {
		fprintf(stdout, "KC-STACK");
		for (i = 0; i < KC_STACK_DEPTH && ips[i]; i++)
			fprintf(stdout, " %s", kc_ksym_describe(ips[i], buf, sizeof(buf)));
		fprintf(stdout, "\n");
	}
	fflush(stdout);
	return 0;
}

void kc_icalls_print_counters(const char *when)
{
	static const char *const names[KC_ICNT_MAX] = {
		[KC_ICNT_CHECKS] = "checks", [KC_ICNT_PASSES] = "passes", [KC_ICNT_VIOLATIONS] = "violations",
		[KC_ICNT_AUDITED] = "audited", [KC_ICNT_KILLED] = "killed", [KC_ICNT_KILL_SKIPPED] = "kill_skipped",
		[KC_ICNT_DROPS] = "drops",
	};
	int fd = bpf_map__fd(kc_skel->maps.kc_icall_counters);
	int ncpu = kc_possible_cpus(), c;
	__u64 *vals = calloc(ncpu, sizeof(__u64));
	__u32 k;

	fprintf(stdout, "KC-ICALL-COUNTERS %s sites=%d", when, kc_icall_seed.n_sites);
	for (k = 0; vals && k < KC_ICNT_MAX; k++) {
		__u64 sum = 0;

		if (bpf_map_lookup_elem(fd, &k, vals) == 0)
			for (c = 0; c < ncpu; c++)
				sum += vals[c];
		fprintf(stdout, " %s=%llu", names[k], (unsigned long long)sum);
	}
	fprintf(stdout, "\n");
	fflush(stdout);
	free(vals);
}
