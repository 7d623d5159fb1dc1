// SPDX-License-Identifier: GPL-2.0
/* icalls.c: the indirect-call checks of the kcompart loader (issue 16). Resolves every allowed
 * target of every indirect-call site of the seed through /proc/kallsyms — a name's every text
 * address, since kallsyms does not say which file a static function comes from (a duplicated
 * static name widens the set by its namesakes; counted as duplicated) — widens the sets the
 * analysis could not close by their C prototype through the kernel's BTF (every function of
 * that prototype, as kCFI would allow: KC-ICALL-WIDENED) — sizes and fills
 * kc_icall_allowed with (site, address) pairs, attaches the generated kc_icall_N programs at
 * their call instructions, and prints what they report: KC-ICALL-MAPS, KC-ICALL-UNCHECKED (a
 * site none of whose targets kallsyms knows gets no program: it would refuse every call),
 * KC-ICALL-ATTACHED, KC-ICALL-VIOLATION (+ KC-STACK), KC-ICALL-COUNTERS. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "icalls.h"

/* Resolved addresses per site: addrs[first[i] .. first[i] + count[i]). */
static unsigned long long *addrs;
static unsigned int *first, *count;
static size_t naddrs;
static unsigned int unresolved_names, duplicated_names, widened_sites;
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

/* ---- BTF (libbpf): the prototype of every kernel function ---- */

/* The kernel's BTF: $KC_BTF when set (a vmlinux.btf of the booted kernel), else libbpf's
 * /sys/kernel/btf/vmlinux. NULL with errno set when it cannot be read. */
static struct btf *btf_load(void)
{
	const char *path = getenv("KC_BTF");

	return path ? btf__parse(path, NULL) : btf__load_vmlinux_btf();
}

static const char *btf_name(const struct btf *b, const struct btf_type *t)
{
	const char *name = btf__name_by_offset(b, t->name_off);

	return name ? name : "";
}

/* Appends the C type `id` the way the analysis writes prototypes (src/analysis/icalls.ts
 * canonicalName): typedefs and qualifiers looked through at every pointer level, `struct x`,
 * `function` for a function type. */
static void btf_canon(const struct btf *b, __u32 id, char *out, size_t len, int depth)
{
	const struct btf_type *t = id ? btf__type_by_id(b, id) : NULL;
	const char *name;
	size_t used = strlen(out);

	if (used + 1 >= len)
		return;
	if (!t || depth > 16) {
		snprintf(out + used, len - used, "%s", id ? "?" : "void");
		return;
	}
	name = btf_name(b, t);
	switch (btf_kind(t)) {
	case BTF_KIND_INT: case BTF_KIND_FLOAT: snprintf(out + used, len - used, "%s", name); break;
	case BTF_KIND_PTR: btf_canon(b, t->type, out, len, depth + 1); used = strlen(out); snprintf(out + used, len - used, " *"); break;
	case BTF_KIND_STRUCT: snprintf(out + used, len - used, "struct %s", *name ? name : "(anonymous)"); break;
	case BTF_KIND_UNION: snprintf(out + used, len - used, "union %s", *name ? name : "(anonymous)"); break;
	case BTF_KIND_ENUM: case BTF_KIND_ENUM64: snprintf(out + used, len - used, "enum %s", *name ? name : "(anonymous)"); break;
	case BTF_KIND_FWD: snprintf(out + used, len - used, "%s %s", btf_kflag(t) ? "union" : "struct", name); break;
	case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG:
		btf_canon(b, t->type, out, len, depth + 1);
		break;
	case BTF_KIND_FUNC_PROTO: snprintf(out + used, len - used, "function"); break;
	case BTF_KIND_ARRAY:
		btf_canon(b, btf_array(t)->type, out, len, depth + 1);
		used = strlen(out);
		snprintf(out + used, len - used, "[%u]", btf_array(t)->nelems);
		break;
	default: snprintf(out + used, len - used, "?"); break;
	}
}

/* "int (struct sk_buff *, unsigned int)" of the FUNC_PROTO `proto`. */
static void btf_prototype(const struct btf *b, const struct btf_type *proto, char *out, size_t len)
{
	const struct btf_param *params = btf_params(proto);
	unsigned int k, vlen = btf_vlen(proto);
	size_t used;

	out[0] = 0;
	btf_canon(b, proto->type, out, len, 0);
	used = strlen(out);
	snprintf(out + used, len - used, " (");
	for (k = 0; k < vlen; k++) {
		used = strlen(out);
		if (k)
			snprintf(out + used, len - used, ", ");
		used = strlen(out);
		if (!params[k].type && k + 1 == vlen)
			snprintf(out + used, len - used, "...");
		else
			btf_canon(b, params[k].type, out, len, 0);
	}
	used = strlen(out);
	snprintf(out + used, len - used, ")");
}

/* Adds every text address of `name` to addrs; returns how many. */
static unsigned int add_addresses(const char *name, size_t *cap)
{
	long at = kc_ksym_find(name);
	const struct kc_ksym *ks;
	unsigned int found = 0;

	for (; at >= 0 && (ks = kc_ksym_at(at)) && !strcmp(ks->name, name); at++) {
		if (!is_text(ks->type) || !ks->addr)
			continue;
		if (naddrs == *cap) {
			*cap = *cap ? *cap * 2 : 4096;
			addrs = realloc(addrs, *cap * sizeof(*addrs));
			if (!addrs) {
				fprintf(stderr, "KC-ERROR out of memory\n");
				exit(1);
			}
		}
		addrs[naddrs++] = ks->addr;
		found++;
	}
	return found;
}

/* The functions of the kernel's BTF with prototype `proto`: their addresses are added for site i. */
static void widen_by_prototype(const struct btf *b, char **protos, int i, const char *proto, size_t *cap)
{
	__u32 id, n = btf__type_cnt(b);
	unsigned int functions = 0, addresses = 0;

	for (id = 1; id < n; id++) {
		if (!protos[id] || strcmp(protos[id], proto))
			continue;
		functions++;
		addresses += add_addresses(btf_name(b, btf__type_by_id(b, id)), cap);
	}
	widened_sites++;
	fprintf(stdout, "KC-ICALL-WIDENED icall=%d by=prototype functions=%u addresses=%u prototype=\"", i, functions, addresses);
	kc_put_name(stdout, proto);
	fprintf(stdout, "\"\n");
}

int kc_icalls_prepare(void)
{
	const struct kc_icall_seed *s = &kc_icall_seed;
	struct btf *btf = NULL;
	char **protos = NULL;
	size_t cap = 0;
	int i, need_btf = 0;
	unsigned int k;

	first = calloc(s->n_sites + 1, sizeof(*first));
	count = calloc(s->n_sites + 1, sizeof(*count));
	if (!first || !count)
		return -ENOMEM;
	for (i = 0; i < s->n_sites; i++)
		need_btf |= s->sites[i].prototype >= 0;
	if (need_btf && (btf = btf_load())) {
		/* every FUNC's prototype, once (FUNC_PROTOs are shared: memoized by proto id) */
		__u32 id, n = btf__type_cnt(btf);
		char **by_proto = calloc(n, sizeof(*by_proto));

		protos = calloc(n, sizeof(*protos));
		for (id = 1; protos && by_proto && id < n; id++) {
			const struct btf_type *t = btf__type_by_id(btf, id);
			const struct btf_type *proto = btf__type_by_id(btf, t->type);
			char buf[1024];

			if (!btf_is_func(t) || !proto || !btf_is_func_proto(proto))
				continue;
			if (!by_proto[t->type]) {
				btf_prototype(btf, proto, buf, sizeof(buf));
				by_proto[t->type] = strdup(buf);
			}
			protos[id] = by_proto[t->type];
		}
		free(by_proto); /* the strings stay, shared through protos */
	} else if (need_btf) {
		fprintf(stdout, "KC-ICALL-WIDENED error=\"no BTF (%s): sets to widen by prototype keep the analysis' targets only\"\n", strerror(errno));
	}
	for (i = 0; i < s->n_sites; i++) {
		const struct kc_icall_seed_site *site = &s->sites[i];

		first[i] = naddrs;
		for (k = 0; k < site->count; k++) {
			unsigned int found = add_addresses(icall_name(s->targets[site->first + k].symbol), &cap);

			if (!found)
				unresolved_names++;
			else if (found > 1)
				duplicated_names++;
		}
		if (site->prototype >= 0 && protos)
			widen_by_prototype(btf, protos, i, icall_name(site->prototype), &cap);
		count[i] = naddrs - first[i];
	}
	btf__free(btf);
	free(protos);
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
	fprintf(stdout, "KC-ICALL-MAPS sites=%d targets=%d addresses=%zu unresolved_names=%u duplicated_names=%u widened=%u no_target=%u%s%s\n",
		kc_icall_seed.n_sites, kc_icall_seed.n_targets, naddrs, unresolved_names, duplicated_names, widened_sites, empty,
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
		const char *at;
		unsigned long off;

		if (!count[i] || !prog[i]) {
			/* no address of its set is known here: attaching would refuse every call */
			unchecked++;
			fprintf(stdout, "KC-ICALL-UNCHECKED icall=%d call=\"", i);
			kc_put_name(stdout, icall_name(s->call));
			fprintf(stdout, "\" reason=%s\n", prog[i] ? "no-resolved-target" : "no-program");
			continue;
		}
		/* a static function whose name kallsyms repeats: by a unique symbol below it */
		kc_place_probe(s->place, icall_name(s->symbol), s->offset, &at, &off);
		LIBBPF_OPTS(bpf_kprobe_opts, o, .offset = off);
		l = bpf_program__attach_kprobe_opts(prog[i], at, &o);
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
	kc_print_stack(e->stack_id);
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
