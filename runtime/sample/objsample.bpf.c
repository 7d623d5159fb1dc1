// SPDX-License-Identifier: GPL-2.0
/* objsample.bpf.c: the object sampler of issue 10 item 3, a BPF program of
 * its own (no policy needed). It makes the labelled sample that the old-object
 * classifier (src/classify/) is trained and measured on:
 *  - kmem:kmalloc and kmem:kmem_cache_alloc remember each new object's
 *    call_site and requested size (an LRU hash by address);
 *  - kprobes on kmem_cache_free(s, x) and __kmem_cache_free(s, x, caller) (the
 *    slab half of kfree in 6.1) copy, before SLUB writes its freelist pointer,
 *    the object's first KC_SAMPLE_BYTES bytes, its cache's name and
 *    object_size, and the remembered call_site into the ring buffer.
 * Bounded: at most `per_key_max` samples per (cache, call_site) and
 * `per_cache_max` per cache, so a busy cache does not crowd out the others;
 * what is skipped or lost is counted (`kc_sample_counts`).
 * Only ever attached inside the qemu guest (bench/classify.ts). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "objsample.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 per_key_max = 40;
const volatile __u32 per_cache_max = 400;

struct kc_born {
	__u64 call_site;
	__u64 bytes_req;
};

struct kc_sample_key {
	__u64 cache;
	__u64 call_site;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, __u64);
	__type(value, struct kc_born);
} kc_born SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 14);
	__type(key, struct kc_sample_key);
	__type(value, __u32);
} kc_per_key SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 12);
	__type(key, __u64);
	__type(value, __u32);
} kc_per_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} kc_samples SEC(".maps");

/* 0 sampled, 1 skipped (cap reached), 2 ring buffer full, 3 cap map full, 4 born recorded */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 5);
	__type(key, __u32);
	__type(value, __u64);
} kc_sample_counts SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&kc_sample_counts, &slot);

	if (c)
		*c += 1;
}

static __always_inline void born(__u64 ptr, __u64 call_site, __u64 bytes_req)
{
	struct kc_born b = { .call_site = call_site, .bytes_req = bytes_req };

	if (!ptr)
		return;
	bpf_map_update_elem(&kc_born, &ptr, &b, BPF_ANY);
	count(4);
}

SEC("tracepoint/kmem/kmalloc")
int kc_sample_kmalloc(struct trace_event_raw_kmalloc *ctx)
{
	born((__u64)BPF_CORE_READ(ctx, ptr), BPF_CORE_READ(ctx, call_site), BPF_CORE_READ(ctx, bytes_req));
	return 0;
}

SEC("tracepoint/kmem/kmem_cache_alloc")
int kc_sample_cache_alloc(struct trace_event_raw_kmem_cache_alloc *ctx)
{
	born((__u64)BPF_CORE_READ(ctx, ptr), BPF_CORE_READ(ctx, call_site), BPF_CORE_READ(ctx, bytes_req));
	return 0;
}

/* 1 when the cap `max` of the counter at `key` in `map` is reached, else counts one more. */
static __always_inline int capped(void *map, void *key, __u32 max)
{
	__u32 one = 1, *n = bpf_map_lookup_elem(map, key);

	if (n) {
		if (*n >= max)
			return 1;
		__sync_fetch_and_add(n, 1);
		return 0;
	}
	if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST)) {
		count(3);
		return 1;
	}
	return 0;
}

static __always_inline void sample(struct kmem_cache *s, __u64 obj, __u32 how)
{
	struct kc_born *b;
	struct kc_sample_key key = { .cache = (__u64)s };
	struct kc_sample *r;
	__u32 size, n;

	if (!s || !obj)
		return;
	b = bpf_map_lookup_elem(&kc_born, &obj);
	if (b)
		key.call_site = b->call_site;
	if (capped(&kc_per_cache, &key.cache, per_cache_max) || capped(&kc_per_key, &key, per_key_max)) {
		count(1);
		goto out;
	}
	r = bpf_ringbuf_reserve(&kc_samples, sizeof(*r), 0);
	if (!r) {
		count(2);
		goto out;
	}
	size = BPF_CORE_READ(s, object_size);
	r->ptr = obj;
	r->call_site = key.call_site;
	r->cache = key.cache;
	r->object_size = size;
	r->bytes_req = b ? (__u32)b->bytes_req : 0;
	r->how = how;
	__builtin_memset(r->name, 0, sizeof(r->name));
	bpf_probe_read_kernel_str(r->name, sizeof(r->name), BPF_CORE_READ(s, name));
	n = size < KC_SAMPLE_BYTES ? size : KC_SAMPLE_BYTES;
	__builtin_memset(r->bytes, 0, sizeof(r->bytes));
	if (n > 0 && n <= KC_SAMPLE_BYTES && bpf_probe_read_kernel(r->bytes, n, (const void *)obj) == 0)
		r->copied = n;
	else
		r->copied = 0;
	bpf_ringbuf_submit(r, 0);
	count(0);
out:
	if (b)
		bpf_map_delete_elem(&kc_born, &obj);
}

SEC("kprobe/kmem_cache_free")
int BPF_KPROBE(kc_sample_cache_free, struct kmem_cache *s, void *x)
{
	sample(s, (__u64)x, 1);
	return 0;
}

SEC("kprobe/__kmem_cache_free")
int BPF_KPROBE(kc_sample_kfree, struct kmem_cache *s, void *x)
{
	sample(s, (__u64)x, 2);
	return 0;
}
