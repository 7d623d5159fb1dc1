// SPDX-License-Identifier: GPL-2.0
/* attach.c: attaches the policy's programs with libbpf: the run time's fixed
 * programs through the skeleton (kc_skel->progs.kc_free_kfree, …: the free
 * probes, the vmalloc probes on the kernel's spelling of
 * __vmalloc_node_range, the kmem page tracepoints, and for a policy with
 * skb-head sites the install probes on build_skb and kin), and the generated site
 * programs and allocation probes (kc_alloc_N), found by iterating the object's
 * programs, at the symbol+offset the seed gives: in data mode the one program
 * kc_site at every site with the site id as its BPF cookie (site.bpf.h reads
 * the site's recipe by it) and kc_alloc at every allocation probe with the
 * allocation id as cookie, else kc_site_N at site N and kc_alloc_N at probe N (their section
 * may be a bare "kprobe" when the symbol is no C-safe name); a static function whose name
 * kallsyms repeats is reached through a unique symbol below it (place.c, KC-PLACED). Every
 * refusal is one KC-REFUSED line with the kernel's reason; links are kept for detaching. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

static struct bpf_link **links;
static size_t nlinks, caplinks;

static void keep_link(struct bpf_link *l)
{
	if (nlinks == caplinks) {
		caplinks = caplinks ? caplinks * 2 : 1024;
		links = realloc(links, caplinks * sizeof(*links));
		if (!links) {
			fprintf(stderr, "KC-ERROR out of memory\n");
			exit(1);
		}
	}
	links[nlinks++] = l;
}

static int attach_kprobe_cookie(struct bpf_program *p, const char *symbol, unsigned long offset, int retprobe, __u64 cookie)
{
	struct bpf_link *l;

	if (!p)
		return -ENOENT;
	LIBBPF_OPTS(bpf_kprobe_opts, o, .offset = offset, .retprobe = retprobe, .bpf_cookie = cookie);
	l = bpf_program__attach_kprobe_opts(p, symbol, &o);
	if (!l)
		return -errno ? -errno : -EINVAL;
	keep_link(l);
	return 0;
}

static int attach_kprobe(struct bpf_program *p, const char *symbol, unsigned long offset, int retprobe)
{
	return attach_kprobe_cookie(p, symbol, offset, retprobe, 0);
}

/* The number N of a generated program called `<prefix>N`, or -1. */
static long generated_id(const char *name, const char *prefix)
{
	size_t len = strlen(prefix);
	char *end;
	long id;

	if (strncmp(name, prefix, len) || name[len] < '0' || name[len] > '9')
		return -1;
	id = strtol(name + len, &end, 10);
	return *end ? -1 : id;
}

void kc_attach_sites(struct kc_attach_stats *st)
{
	struct bpf_program **site_prog = calloc(kc_seed.n_sites + 1, sizeof(*site_prog));
	struct bpf_program **probe_prog = calloc(kc_seed.n_probes + 1, sizeof(*probe_prog));
	struct bpf_program *prog, *data = NULL, *data_alloc = NULL;
	int i, err;

	if (!site_prog || !probe_prog) {
		fprintf(stderr, "KC-ERROR out of memory\n");
		exit(1);
	}
	bpf_object__for_each_program(prog, kc_skel->obj) {
		const char *name = bpf_program__name(prog);
		long id;

		if (kc_seed.site_data && !strcmp(name, "kc_site"))
			data = prog;
		else if (kc_seed.site_data && !strcmp(name, "kc_alloc"))
			data_alloc = prog;
		else if ((id = generated_id(name, "kc_site_")) >= 0 && id < kc_seed.n_sites && !strcmp(kc_seed.sites[id].program, name))
			site_prog[id] = prog;
		else if ((id = generated_id(name, "kc_alloc_")) >= 0 && id < kc_seed.n_probes && !strcmp(kc_seed.probes[id].program, name))
			probe_prog[id] = prog;
	}
	for (i = 0; i < kc_seed.n_sites; i++) {
		const struct kc_seed_site *s = &kc_seed.sites[i];
		const char *at;
		unsigned long off;

		/* a static function whose name kallsyms repeats: by a unique symbol below it (place.c) */
		kc_place_probe(s->place, kc_name(s->symbol), s->offset, &at, &off);
		/* data mode: the one program everywhere, told the site by the cookie (kc_recipes[i]) */
		err = kc_seed.site_data ? attach_kprobe_cookie(data, at, off, 0, (__u64)i) : attach_kprobe(site_prog[i], at, off, 0);
		if (err) {
			st->refused++;
			kc_report_site_refusal(s, err);
		} else {
			st->sites++;
		}
	}
	for (i = 0; i < kc_seed.n_probes; i++) {
		const struct kc_seed_probe *p = &kc_seed.probes[i];
		const char *at;
		unsigned long off;

		kc_place_probe(p->place, kc_name(p->symbol), p->offset, &at, &off);
		/* data mode: kc_alloc everywhere, told the allocation id by the cookie */
		err = kc_seed.site_data ? attach_kprobe_cookie(data_alloc, at, off, 0, (__u64)p->alloc)
					: attach_kprobe(probe_prog[i], at, off, 0);
		if (err) {
			st->track_refused++;
			kc_report_refusal("alloc", p->program, kc_name(p->symbol), p->offset, err);
		} else {
			st->track++;
		}
	}
	free(site_prog);
	free(probe_prog);
}

/* The skb-head class (KC_F_SKB_HEAD): the functions that install a buffer allocated elsewhere as an
 * skb head, at entry, by the argument holding it. Each that kallsyms has: a kernel without one (it
 * came later, was renamed or inlined) installs no head through it. KC-SKB-INSTALL says what was
 * found (absent: not in kallsyms). */
static void attach_skb_install(struct kc_attach_stats *st)
{
	const struct {
		struct bpf_program *prog;
		const char *program;
		const char *symbol;
		int retprobe;
	} installs[] = {
		{ kc_skel->progs.kc_skb_install_1, "kc_skb_install_1", "build_skb", 0 },
		{ kc_skel->progs.kc_skb_install_1, "kc_skb_install_1", "napi_build_skb", 0 },
		{ kc_skel->progs.kc_skb_install_1, "kc_skb_install_1", "__build_skb", 0 },
		/* 6.1's static helper of napi_build_skb and __napi_alloc_skb: a head carved from a page
		 * that napi_alloc_frag refilled (the same per-cpu cache, no constructor on the stack) */
		{ kc_skel->progs.kc_skb_install_1, "kc_skb_install_1", "__napi_build_skb", 0 },
		{ kc_skel->progs.kc_skb_install_2, "kc_skb_install_2", "build_skb_around", 0 },
		/* the constructors that carve heads from shared page fragments with that helper inlined
		 * (6.1: it is): the head of the skb they return */
		{ kc_skel->progs.kc_skb_ret, "kc_skb_ret", "__napi_alloc_skb", 1 },
		{ kc_skel->progs.kc_skb_ret, "kc_skb_ret", "__netdev_alloc_skb", 1 },
	};
	unsigned int attached = 0, absent = 0, refused = 0;
	size_t i;
	int err;

	for (i = 0; i < sizeof(installs) / sizeof(installs[0]); i++) {
		if (!kc_ksym_addr(installs[i].symbol)) {
			absent++;
			continue;
		}
		err = attach_kprobe(installs[i].prog, installs[i].symbol, 0, installs[i].retprobe);
		if (err) {
			/* its heads stay recorded as their allocator's memory: a class site writing them is flagged */
			refused++;
			st->track_refused++;
			kc_report_refusal("track", installs[i].program, installs[i].symbol, 0, err);
		} else {
			attached++;
			st->track++;
		}
	}
	fprintf(stdout, "KC-SKB-INSTALL attached=%u absent=%u refused=%u\n", attached, absent, refused);
}

void kc_attach_tracking(struct kc_attach_stats *st)
{
	const struct {
		struct bpf_program *prog;
		const char *program;
		const char *symbols[3];
		int retprobe;
	} fixed[] = {
		{ kc_skel->progs.kc_free_kfree, "kc_free_kfree", { "kfree" }, 0 },
		{ kc_skel->progs.kc_free_cache, "kc_free_cache", { "kmem_cache_free" }, 0 },
		{ kc_skel->progs.kc_free_bulk, "kc_free_bulk", { "kmem_cache_free_bulk" }, 0 },
		{ kc_skel->progs.kc_free_vfree, "kc_free_vfree", { "vfree" }, 0 },
		{ kc_skel->progs.kc_vmalloc_entry, "kc_vmalloc_entry", { "__vmalloc_node_range", "__vmalloc_node_range_noprof" }, 0 },
		{ kc_skel->progs.kc_vmalloc_ret, "kc_vmalloc_ret", { "__vmalloc_node_range", "__vmalloc_node_range_noprof" }, 1 },
	};
	const struct {
		struct bpf_program *prog;
		const char *program;
	} tps[] = {
		{ kc_skel->progs.kc_page_alloc, "kc_page_alloc" },
		{ kc_skel->progs.kc_page_free, "kc_page_free" },
		{ kc_skel->progs.kc_kmalloc, "kc_kmalloc" },
		{ kc_skel->progs.kc_kmem_cache_alloc, "kc_kmem_cache_alloc" },
	};
	size_t i, k;
	int err;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		err = -ENOENT;
		for (k = 0; k < 3 && fixed[i].symbols[k]; k++) {
			if (!kc_ksym_addr(fixed[i].symbols[k]))
				continue;
			err = attach_kprobe(fixed[i].prog, fixed[i].symbols[k], 0, fixed[i].retprobe);
			break;
		}
		if (err) {
			st->track_refused++;
			kc_report_refusal("track", fixed[i].program, fixed[i].symbols[0], 0, err);
		} else {
			st->track++;
		}
	}
	for (i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
		struct bpf_link *l = bpf_program__attach(tps[i].prog);

		if (!l) {
			st->track_refused++;
			kc_report_refusal("track", tps[i].program, "tracepoint", 0, -errno);
		} else {
			keep_link(l);
			st->track++;
		}
	}
	if (kc_seed_skb_sites())
		attach_skb_install(st);
}

unsigned long long kc_kprobe_missed(int *known)
{
	unsigned long long sum = 0;
	size_t i;

	*known = 0;
	for (i = 0; i < nlinks; i++) {
		/* struct bpf_link_info of a perf-event link, by offset (libbpf 1.1's header predates
		 * perf_event.kprobe): type @0, perf_event.type @16, perf_event.kprobe.missed @48 */
		unsigned char buf[128];
		__u32 len = sizeof(buf), type, pe_type;
		unsigned long long missed;
		int fd = bpf_link__fd(links[i]);

		memset(buf, 0, sizeof(buf));
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, buf, &len))
			continue;
		memcpy(&type, buf, sizeof(type));
		memcpy(&pe_type, buf + 16, sizeof(pe_type));
		memcpy(&missed, buf + 48, sizeof(missed));
		if (type != 7 /* BPF_LINK_TYPE_PERF_EVENT */ || len < 56)
			continue;
		if (pe_type != 3 && pe_type != 4) /* BPF_PERF_EVENT_KPROBE, _KRETPROBE */
			continue;
		*known = 1;
		sum += missed;
	}
	return sum;
}

size_t kc_detach_all(void)
{
	size_t i, n = nlinks;

	for (i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	free(links);
	links = NULL;
	nlinks = caplinks = 0;
	return n;
}
