// SPDX-License-Identifier: GPL-2.0
/* main.c: the user-space side of a kcompart policy (DESIGN.md §5), on libbpf
 * and the policy's bpftool skeleton (the BPF object is embedded in the
 * loader). Built once per policy by src/emit/compile.ts:
 *
 *   cc -O2 -Wall -DKC_SEED='"<name>.seed.h"' -DKC_SKEL_HEADER='"<name>.skel.h"' -DKC_SKEL_NAME=<name> \
 *      main.c kallsyms.c seed.c maps.c attach.c report.c -o <name>-loader -static -lbpf -lelf -lz
 *
 * It reads /proc/kallsyms, opens the skeleton, sets the knobs (.rodata) from
 * its options, loads the object, resolves the policy's names and the kernel
 * words it needs, fills the checker's maps, attaches every site program and
 * allocation probe at symbol+offset (reporting what the kernel refuses), then
 * prints violations from the ring buffer until told to stop. Phases: audit
 * first, enforce on SIGUSR1 or after --enforce-after seconds. SIGUSR2 prints
 * the counters; SIGINT/SIGTERM (or --duration) prints them, detaches
 * everything and exits. Output lines start with KC- and are made for scripts. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "loader.h"
#include "icalls.h"

struct kc_options kc_opt = { .enforce_after = -1, .duration = -1, .paging_levels = 4, .old_objects = KC_OLD_REPORT };
KC_SKEL *kc_skel;

static volatile sig_atomic_t want_stop, want_enforce, want_counters, want_matrix;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_enforce = 1;
	else if (sig == SIGUSR2)
		want_counters = 1;
	else if (sig == SIGHUP)
		want_matrix = 1;
	else
		want_stop = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || (!kc_opt.verbose && level == LIBBPF_INFO))
		return 0;
	if (!kc_opt.verbose && level == LIBBPF_WARN)
		return 0; /* refusals are reported by the loader itself, one line each */
	return vfprintf(stderr, fmt, ap);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void usage(FILE *f, const char *argv0)
{
	fprintf(f,
		"usage: %s [--no-attach] [--no-track] [--enforce | --enforce-after SECONDS] [--duration SECONDS]\n"
		"          [--thread-size BYTES] [--paging-levels 4|5] [--no-kfunc] [--old-objects pass|report|violation]\n"
		"          [--on-violation report|kill] [--matrix TARGETS] [--strict] [--hits] [--verbose] [--help]\n"
		"  compartment: \"", argv0);
	kc_put_name(f, kc_seed.compartment);
	fprintf(f, "\" (%d sites checked by %s, %d allocation probes; the BPF object is built in)\n"
		"  --no-attach           load and fill the maps, attach nothing (with --duration 0: a load test)\n"
		"  --no-track            attach no allocation probe: allocations are checked by kind only\n"
		"  --enforce             start in the enforce phase (default: audit, then SIGUSR1)\n"
		"  --enforce-after S     switch to enforce S seconds after start\n"
		"  --duration S          stop after S seconds\n"
		"  --thread-size BYTES   THREAD_SIZE of the kernel (default: %llu, twice that when kallsyms shows KASAN)\n"
		"  --paging-levels 4|5   the x86-64 address-space layout (default 4): sizes of the direct map,\n"
		"                        vmalloc area and vmemmap, and their bases when not randomized\n"
		"  --no-kfunc            find slab caches by the CO-RE page walk even where bpf_get_kmem_cache exists\n"
		"  --old-objects RULE    a write to memory of unknown owner (allocated before the load, or by code\n"
		"                        the policy cannot type), for sites whose set reaches such memory:\n"
		"                        pass, report (default: an event once per site and cache, not a violation)\n"
		"                        or violation\n"
		"  --on-violation R      report (default), or kill: SIGKILL to the task that made the write, when\n"
		"                        it runs on its own stack (not in an interrupt, a softirq or a kthread)\n"
		"  --matrix TARGETS      on SIGHUP, the attack matrix: for every site and every target of the file\n"
		"                        (lines LABEL ADDR), would a write there pass? (KC-MATRIX lines)\n"
		"  --strict              refuse to enforce (exit 3) when the kernel refused any site program\n"
		"  --hits                count the checks of every site program; at exit, KC-HITS lines (where the\n"
		"                        cost goes: bench:cost turns them into a CSV)\n"
		"  --verbose             libbpf's messages (the verifier log on a refused load)\n"
		"  SIGUSR1: switch to enforce; SIGUSR2: print counters; SIGHUP: the attack matrix;\n"
		"  SIGINT/SIGTERM: counters, detach, exit\n",
		kc_seed.n_sites, kc_seed.site_data ? "one data-driven program" : "a program each", kc_seed.n_probes,
		(unsigned long long)(KC_PAGE_SIZE << KC_THREAD_SIZE_ORDER));
}

/* A non-negative number of seconds, or -1. */
static double seconds_arg(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	return end != s && !*end && v >= 0 ? v : -1;
}

/* Parses argv into kc_opt. Returns -1 to continue, else the exit status. */
static int parse_options(int argc, char **argv)
{
	enum { O_ENFORCE_AFTER = 256, O_DURATION, O_THREAD_SIZE, O_PAGING_LEVELS, O_NO_KFUNC, O_NO_ATTACH, O_NO_TRACK, O_ENFORCE,
	       O_OLD_OBJECTS, O_ON_VIOLATION, O_MATRIX, O_STRICT, O_HITS };
	static const struct option longopts[] = {
		{ "no-attach", no_argument, NULL, O_NO_ATTACH },
		{ "no-track", no_argument, NULL, O_NO_TRACK },
		{ "enforce", no_argument, NULL, O_ENFORCE },
		{ "enforce-after", required_argument, NULL, O_ENFORCE_AFTER },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "thread-size", required_argument, NULL, O_THREAD_SIZE },
		{ "paging-levels", required_argument, NULL, O_PAGING_LEVELS },
		{ "no-kfunc", no_argument, NULL, O_NO_KFUNC },
		{ "old-objects", required_argument, NULL, O_OLD_OBJECTS },
		{ "on-violation", required_argument, NULL, O_ON_VIOLATION },
		{ "matrix", required_argument, NULL, O_MATRIX },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "hits", no_argument, NULL, O_HITS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case O_NO_ATTACH: kc_opt.no_attach = 1; break;
		case O_NO_TRACK: kc_opt.no_track = 1; break;
		case O_ENFORCE: kc_opt.enforce_now = 1; break;
		case O_NO_KFUNC: kc_opt.no_kfunc = 1; break;
		case O_STRICT: kc_opt.strict = 1; break;
		case O_HITS: kc_opt.hits = 1; break;
		case 'v': kc_opt.verbose = 1; break;
		case 'h': usage(stdout, argv[0]); return 0;
		case O_ENFORCE_AFTER:
		case O_DURATION: {
			double v = seconds_arg(optarg);

			if (v < 0) {
				fprintf(stderr, "%s: --%s takes a number of seconds\n", argv[0], c == O_DURATION ? "duration" : "enforce-after");
				return 2;
			}
			*(c == O_DURATION ? &kc_opt.duration : &kc_opt.enforce_after) = v;
			break;
		}
		case O_THREAD_SIZE:
			kc_opt.thread_size = strtoull(optarg, &end, 0);
			if (end == optarg || *end || kc_opt.thread_size < KC_PAGE_SIZE || (kc_opt.thread_size & (kc_opt.thread_size - 1))) {
				fprintf(stderr, "%s: --thread-size takes a power of two of at least %llu bytes\n", argv[0], (unsigned long long)KC_PAGE_SIZE);
				return 2;
			}
			break;
		case O_OLD_OBJECTS:
			if (!strcmp(optarg, "pass"))
				kc_opt.old_objects = KC_OLD_PASS;
			else if (!strcmp(optarg, "report"))
				kc_opt.old_objects = KC_OLD_REPORT;
			else if (!strcmp(optarg, "violation"))
				kc_opt.old_objects = KC_OLD_VIOLATION;
			else {
				fprintf(stderr, "%s: --old-objects takes pass, report or violation\n", argv[0]);
				return 2;
			}
			break;
		case O_ON_VIOLATION:
			if (!strcmp(optarg, "report"))
				kc_opt.on_violation = KC_ON_VIOLATION_REPORT;
			else if (!strcmp(optarg, "kill"))
				kc_opt.on_violation = KC_ON_VIOLATION_KILL;
			else {
				fprintf(stderr, "%s: --on-violation takes report or kill\n", argv[0]);
				return 2;
			}
			break;
		case O_MATRIX: kc_opt.matrix = optarg; break;
		case O_PAGING_LEVELS:
			if (strcmp(optarg, "4") && strcmp(optarg, "5")) {
				fprintf(stderr, "%s: --paging-levels takes 4 or 5\n", argv[0]);
				return 2;
			}
			kc_opt.paging_levels = optarg[0] - '0';
			break;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\" (the BPF object is built into the loader)\n", argv[0], argv[optind]);
		usage(stderr, argv[0]);
		return 2;
	}
	return -1;
}

/* Every knob of maps.bpf.h, from the options, before load. */
static void set_knobs(void)
{
	int l5 = kc_opt.paging_levels == 5;
	unsigned long long thread_size = kc_opt.thread_size;

	if (!thread_size)
		thread_size = KC_PAGE_SIZE << (kc_ksym_addr("kasan_report") ? KC_THREAD_SIZE_ORDER_KASAN : KC_THREAD_SIZE_ORDER);
	kc_skel->rodata->kc_thread_size = thread_size;
	kc_skel->rodata->kc_direct_map_size = l5 ? KC_L5_DIRECT_MAP_BYTES : KC_L4_DIRECT_MAP_BYTES;
	kc_skel->rodata->kc_vmalloc_size = l5 ? KC_L5_VMALLOC_BYTES : KC_L4_VMALLOC_BYTES;
	kc_skel->rodata->kc_vmemmap_size = l5 ? KC_L5_VMEMMAP_BYTES : KC_L4_VMEMMAP_BYTES;
	kc_skel->rodata->kc_page_offset_fixed = l5 ? KC_L5_PAGE_OFFSET : KC_L4_PAGE_OFFSET;
	kc_skel->rodata->kc_vmalloc_fixed = l5 ? KC_L5_VMALLOC_START : KC_L4_VMALLOC_START;
	kc_skel->rodata->kc_vmemmap_fixed = l5 ? KC_L5_VMEMMAP_START : KC_L4_VMEMMAP_START;
	kc_skel->rodata->kc_use_kfunc = !kc_opt.no_kfunc;
	kc_skel->rodata->kc_old_objects = kc_opt.old_objects;
	kc_skel->rodata->kc_on_violation = kc_opt.on_violation;
	kc_skel->rodata->kc_count_hits = kc_opt.hits;
	fprintf(stdout, "KC-KNOBS thread_size=%llu paging_levels=%d kfunc=%d old_objects=%s on_violation=%s\n", thread_size,
		kc_opt.paging_levels, !kc_opt.no_kfunc,
		kc_opt.old_objects == KC_OLD_PASS ? "pass" : kc_opt.old_objects == KC_OLD_VIOLATION ? "violation" : "report",
		kc_opt.on_violation == KC_ON_VIOLATION_KILL ? "kill" : "report");
}

static void set_enforce(unsigned int on)
{
	kc_skel->bss->kc_enforce = on;
	fprintf(stdout, "KC-PHASE %s\n", on ? "enforce" : "audit");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY }, files = { 1 << 20, 1 << 20 };
	struct kc_attach_stats st = { 0 };
	struct kc_runtime rt = { 0 };
	struct ring_buffer *rb = NULL;
	unsigned long long *cache_ptr;
	double start, enforce_at = -1;
	int err, enforced = 0;
	size_t detached;

	err = parse_options(argc, argv);
	if (err >= 0)
		return err;
	libbpf_set_print(libbpf_print);
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	if (setrlimit(RLIMIT_NOFILE, &files)) {
		files.rlim_cur = files.rlim_max = 65536;
		setrlimit(RLIMIT_NOFILE, &files);
	}
	err = kc_kallsyms_load();
	if (err) {
		fprintf(stderr, "KC-ERROR /proc/kallsyms: %s (root, and kptr_restrict <= 1, are needed)\n", strerror(-err));
		return 1;
	}
	start = now();
	kc_skel = KC_SKEL_FN(__open)();
	if (!kc_skel) {
		fprintf(stderr, "KC-ERROR open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	if (kc_skel->rodata_kcpolicy->kc_policy_hash != kc_seed.hash) {
		/* the object and the seed come from different policies (or one was edited): refuse */
		fprintf(stderr, "KC-ERROR policy hash mismatch: the BPF object has 0x%016llx, the loader's seed 0x%016llx; rebuild both with kcompart emit\n",
			(unsigned long long)kc_skel->rodata_kcpolicy->kc_policy_hash, kc_seed.hash);
		KC_SKEL_FN(__destroy)(kc_skel);
		return 1;
	}
	set_knobs();
	if ((err = kc_size_maps())) {
		fprintf(stderr, "KC-ERROR size the maps (kc_recipes, kc_allowed_allocs, kc_allowed_caches): %s\n", strerror(-err));
		return 1;
	}
	if ((err = kc_icalls_prepare())) { /* indirect calls (icalls.c): sizes its map before load */
		fprintf(stderr, "KC-ERROR indirect-call targets: %s\n", strerror(-err));
		return 1;
	}
	err = KC_SKEL_FN(__load)(kc_skel);
	if (err) {
		fprintf(stderr, "KC-ERROR load the BPF object: %s (rerun with --verbose for the verifier log)\n", strerror(-err));
		return 1;
	}
	fprintf(stdout, "KC-LOADED compartment=\"");
	kc_put_name(stdout, kc_seed.compartment);
	fprintf(stdout, "\" sites=%d probes=%d seconds=%.2f hash=0x%016llx site_programs=%s\n", kc_seed.n_sites, kc_seed.n_probes, now() - start,
		kc_seed.hash, kc_seed.site_data ? "data" : "per-site");

	kc_find_percpu(&rt);
	cache_ptr = kc_resolve_caches();
	if (!cache_ptr)
		return 1;
	rt.vm_caller_count = kc_fill_vm_callers();
	rt.skb_ctor_count = kc_fill_skb_ctors(); /* 0 unless some site has KC_F_SKB_HEAD */
	kc_skel->data_kcrt->kc_rt = rt;
	if (kc_resolve_globals(stdout))
		return 1;
	if (kc_fill_maps(cache_ptr))
		return 1;
	if (kc_fill_fns())
		return 1;
	kc_fill_deny();
	if (kc_icalls_fill())
		return 1;
	fprintf(stdout, "KC-RUNTIME percpu=[0x%llx,0x%llx) unit=0x%llx contiguous=%u static_end=0x%llx skb_ctors=%u\n", rt.percpu_start,
		rt.percpu_end, rt.percpu_unit, rt.percpu_contiguous, rt.percpu_static_end, rt.skb_ctor_count);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
	signal(SIGHUP, on_signal);
	if (!kc_opt.no_attach) {
		double t = now();
		struct kc_place_stats ps;

		/* the skb-head class needs the kmem tracepoints and the install probes to know any head */
		if (!kc_opt.no_track && (kc_seed.n_probes > 0 || rt.vm_caller_count > 0 || kc_seed.n_fns > 0 || kc_seed_skb_sites() > 0))
			kc_attach_tracking(&st);
		kc_attach_sites(&st);
		kc_icalls_attach();
		/* after the indirect-call programs, which are placed the same way */
		ps = kc_place_stats();
		fprintf(stdout, "KC-PLACED functions=%d repeated=%u by_neighbours=%u unplaced=%u\n", kc_seed.n_functions, ps.repeated,
			ps.by_neighbours, ps.unplaced);
		fprintf(stdout, "KC-ATTACHED sites=%u refused=%u alloc_and_track=%u track_refused=%u seconds=%.2f\n", st.sites,
			st.refused, st.track, st.track_refused, now() - t);
		if (kc_opt.strict && st.refused) {
			/* a refused site program is a write nobody checks: --strict will not enforce around it */
			fprintf(stdout, "KC-STRICT refused: %u site programs are not attached (KC-REFUSED lines above): no enforce phase\n", st.refused);
			fflush(stdout);
			kc_detach_all();
			KC_SKEL_FN(__destroy)(kc_skel);
			return 3;
		}
	}
	rb = kc_events_open();
	if (!rb) {
		fprintf(stderr, "KC-ERROR ring buffer: %s\n", strerror(errno));
		return 1;
	}
	set_enforce(kc_opt.enforce_now ? 1 : 0);
	enforced = kc_opt.enforce_now;
	if (kc_opt.enforce_after >= 0 && !enforced)
		enforce_at = now() + kc_opt.enforce_after;
	fprintf(stdout, "KC-READY\n");
	fflush(stdout);
	start = now();
	while (!want_stop) {
		err = ring_buffer__poll(rb, 100);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "KC-ERROR ring buffer poll: %s\n", strerror(-err));
			break;
		}
		if (!enforced && (want_enforce || (enforce_at >= 0 && now() >= enforce_at))) {
			kc_print_counters("audit-end");
			set_enforce(1);
			enforced = 1;
		}
		if (want_counters) {
			want_counters = 0;
			kc_print_counters("now");
		}
		if (want_matrix) {
			want_matrix = 0;
			ring_buffer__consume(rb);
			if (!kc_opt.matrix)
				fprintf(stdout, "KC-MATRIX-DONE error=\"no --matrix FILE\"\n");
			else if ((err = kc_run_matrix(kc_opt.matrix)))
				fprintf(stdout, "KC-MATRIX-DONE error=\"%s\"\n", strerror(-err));
			fflush(stdout);
		}
		if (kc_opt.duration >= 0 && now() - start >= kc_opt.duration)
			break;
	}
	ring_buffer__consume(rb);
	kc_print_counters("final");
	if (kc_opt.hits)
		kc_print_hits();
	ring_buffer__free(rb);
	detached = kc_detach_all() + kc_icalls_detach();
	KC_SKEL_FN(__destroy)(kc_skel);
	fprintf(stdout, "KC-DONE detached=%zu\n", detached);
	fflush(stdout);
	return 0;
}
