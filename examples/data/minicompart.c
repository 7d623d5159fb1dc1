// SPDX-License-Identifier: GPL-2.0
/*
 * minicompart.c - a tiny kernel-style translation unit for kcompart's example.
 *
 * It has the shapes the analysis cares about: a heap object allocated through
 * a kmalloc-like allocator, field writes into it, an inlined static helper that
 * writes through a pointer, a write to a global counter and a memset into a
 * buffer. Built freestanding (no kernel headers), see README.md.
 */

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned int gfp_t;
typedef unsigned long size_t;

#define NULL ((void *)0)
#define GFP_KERNEL 0xcc0u
#define __always_inline inline __attribute__((__always_inline__))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

extern void *__kmalloc(unsigned long size, unsigned int flags);
extern void kfree(const void *p);

struct mini_stats {
	u64 packets;
	u64 bytes;
};

struct mini_conn {
	u32 id;
	u16 port;
	u8 state;
	u8 flags;
	struct mini_stats stats;
	struct mini_conn *next;
	u8 cookie[16];
};

/* written by mini_conn_alloc: a global the compartment owns */
unsigned long mini_conn_count;
struct mini_conn *mini_conn_list;

static __always_inline void mini_stats_account(struct mini_stats *st, u32 len)
{
	st->packets++;
	st->bytes += len;
}

static inline void mini_set_state(struct mini_conn *c, u8 state)
{
	c->state = state;
	c->flags |= 1;
}

struct mini_conn *mini_conn_alloc(u32 id, u16 port, gfp_t gfp)
{
	struct mini_conn *c;

	c = __kmalloc(sizeof(*c), gfp);
	if (unlikely(!c))
		return NULL;

	c->id = id;
	c->port = port;
	c->flags = 0;
	c->stats.packets = 0;
	c->stats.bytes = 0;
	__builtin_memset(c->cookie, 0, sizeof(c->cookie));
	mini_set_state(c, 1);

	c->next = mini_conn_list;
	mini_conn_list = c;
	mini_conn_count++;
	return c;
}

void mini_conn_rx(struct mini_conn *c, u32 len)
{
	if (likely(c->state == 1))
		mini_stats_account(&c->stats, len);
}

void mini_conn_free(struct mini_conn *c)
{
	mini_set_state(c, 0);
	mini_conn_count--;
	kfree(c);
}
