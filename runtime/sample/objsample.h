/* SPDX-License-Identifier: GPL-2.0 */
/* objsample.h: the record the object sampler (objsample.bpf.c) hands to its
 * loader (objsample.c) through the ring buffer, and that the loader writes
 * as is to its output file; src/classify/samples.ts parses that file
 * (issue 10 item 3: labelled samples of slab objects for the old-object
 * classifier). Plain C, little-endian, no padding: every field is naturally
 * aligned and the struct's size is a multiple of 8. */
#ifndef KC_OBJSAMPLE_H
#define KC_OBJSAMPLE_H

#define KC_SAMPLE_MAGIC 0x4b435331u /* "KCS1": the file's first word, then records back to back */
#define KC_SAMPLE_BYTES 256        /* the first bytes of each object */
#define KC_SAMPLE_CACHE_NAME 32    /* the cache's name, NUL-padded */

struct kc_sample {
	__u64 ptr;        /* the object's address (direct map) */
	__u64 call_site;  /* the kmem tracepoint's call_site of its allocation; 0 when allocated before the load */
	__u64 cache;      /* the struct kmem_cache's address */
	__u32 object_size; /* kmem_cache.object_size */
	__u32 bytes_req;  /* what the allocation asked for (0 when unknown) */
	__u32 copied;     /* bytes of `bytes` read (min(object_size, KC_SAMPLE_BYTES); 0 when the read failed) */
	__u32 how;        /* 1: kmem_cache_free, 2: __kmem_cache_free (kfree) */
	char name[KC_SAMPLE_CACHE_NAME];
	__u8 bytes[KC_SAMPLE_BYTES];
};

/* src/classify/samples.ts reads records of this size (test/classify checks the two agree) */
#define KC_SAMPLE_RECORD_SIZE 328
_Static_assert(sizeof(struct kc_sample) == KC_SAMPLE_RECORD_SIZE, "struct kc_sample's size is part of the file format");

#endif /* KC_OBJSAMPLE_H */
