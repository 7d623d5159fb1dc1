// SPDX-License-Identifier: GPL-2.0
/*
 * kcdemo - the kcompart end-to-end example compartment.
 *
 * A small character driver (/dev/kcdemo, a misc device) that takes one text
 * command per write() and reports its statistics on read(). Its normal
 * commands write to every kind of memory kcompart tells apart:
 *
 *   open         a session object from the dedicated "kcdemo_session" kmem_cache
 *   msg TEXT     a typed kmalloc object (struct kcdemo_msg), kept on the session
 *   buf LEN      a typeless kmalloc buffer (char *), filled and freed
 *   page         a buddy page (alloc_page + page_address), filled and freed
 *   vm           a vzalloc area, filled and freed
 *   stat         a stack snapshot, per-cpu counters summed into the session
 *   close        frees the session and its messages
 *   note LEN     THE BUG (see kcdemo_note() below)
 *   op NAME ARG  an indirect call through an ops table (opset: THE THIRD BUG)
 *
 * Every command also bumps per-cpu counters (alloc_percpu and DEFINE_PER_CPU)
 * and the module global kcdemo_stats, and parses its argument in stack locals.
 * Everything allocated is freed by the command itself, by "close", by the
 * release of the file or at module exit, so the workload can run forever.
 *
 * THE BUG, the "0-day hotspot": kcdemo_note() allocates a 64-byte note buffer
 * (kmalloc call site A) and fills it with a byte-store loop whose length comes
 * from user space and is checked against the wrong bound
 * (KCDEMO_NOTE_SIZE + KCDEMO_NOTE_SLACK instead of KCDEMO_NOTE_SIZE). Bytes
 * 64..len-1 land in the next kmalloc-64 object. So that the guest survives,
 * the handler first arranges for that next object to be one of its own
 * struct kcdemo_victim objects (kmalloc call site B): SLUB without freelist
 * randomisation hands out a fresh slab's objects in address order, so
 * alternating A and B allocations soon yields a B exactly at note + 64.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#define KCDEMO_CMD_MAX		128
#define KCDEMO_MSG_TEXT		48
#define KCDEMO_BUF_MAX		4096
#define KCDEMO_VM_SIZE		(4 * PAGE_SIZE)
#define KCDEMO_NOTE_SIZE	64
#define KCDEMO_NOTE_SLACK	64	/* the wrong bound: see kcdemo_note() */
#define KCDEMO_NOTE_TRIES	32
#define KCDEMO_VICTIM_MAGIC	0x6b637669u	/* "kcvi" */

/* One per open file after "open": lives in the kcdemo_session kmem_cache. */
struct kcdemo_session {
	u32 id;
	u32 nr_msgs;
	u64 bytes;
	u64 last_checksum;
	unsigned long last_stat[4];
	struct list_head msgs;
	char name[16];
};

/* A typed general kmalloc object (kmalloc-96). */
struct kcdemo_msg {
	struct list_head node;
	u32 seq;
	u32 len;
	char text[KCDEMO_MSG_TEXT];
};

/* The neighbour of a note buffer: exactly one kmalloc-64 object (site B). */
struct kcdemo_victim {
	u32 magic;
	u32 index;
	u64 cookie;
	char payload[48];
};

/* Per-cpu counters: a dynamically allocated area and a static one. */
struct kcdemo_pcpu {
	unsigned long cmds;
	unsigned long bytes;
};

struct kcdemo_stats {
	unsigned long sessions;
	unsigned long msgs;
	unsigned long bufs;
	unsigned long pages;
	unsigned long vms;
	unsigned long notes;
	unsigned long overflows;
	unsigned long errors;
};

static struct kmem_cache *kcdemo_session_cache;
static struct kcdemo_pcpu __percpu *kcdemo_pcpu;
static DEFINE_PER_CPU(unsigned long, kcdemo_writes);
static DEFINE_MUTEX(kcdemo_lock);
static struct kcdemo_stats kcdemo_stats;	/* under kcdemo_lock */
static u32 kcdemo_next_id;			/* under kcdemo_lock */

/* ---- sessions and messages ---------------------------------------------- */

static void kcdemo_session_free(struct kcdemo_session *s)
{
	struct kcdemo_msg *m, *tmp;

	list_for_each_entry_safe(m, tmp, &s->msgs, node) {
		list_del(&m->node);
		kfree(m);
	}
	kmem_cache_free(kcdemo_session_cache, s);
}

static int kcdemo_open_session(struct file *file)
{
	struct kcdemo_session *s;

	if (file->private_data)
		return -EBUSY;
	s = kmem_cache_zalloc(kcdemo_session_cache, GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->id = ++kcdemo_next_id;
	INIT_LIST_HEAD(&s->msgs);
	snprintf(s->name, sizeof(s->name), "session-%u", s->id);
	file->private_data = s;
	kcdemo_stats.sessions++;
	return 0;
}

static int kcdemo_close_session(struct file *file)
{
	struct kcdemo_session *s = file->private_data;

	if (!s)
		return -ENOENT;
	file->private_data = NULL;
	kcdemo_session_free(s);
	return 0;
}

static int kcdemo_msg(struct kcdemo_session *s, const char *text)
{
	struct kcdemo_msg *m;
	size_t i;

	if (!s)
		return -ENOENT;
	m = kmalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->seq = s->nr_msgs;
	for (i = 0; i < sizeof(m->text) - 1 && text[i]; i++)
		m->text[i] = text[i];
	m->text[i] = '\0';
	m->len = i;
	list_add_tail(&m->node, &s->msgs);
	s->nr_msgs++;
	s->bytes += i;
	kcdemo_stats.msgs++;
	return 0;
}

/* ---- buffers, pages, vmalloc areas --------------------------------------- */

static u64 kcdemo_checksum(const u8 *p, size_t len)
{
	u64 sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum = sum * 31 + p[i];
	return sum;
}

static int kcdemo_buf(struct kcdemo_session *s, unsigned int len)
{
	char *buf;
	unsigned int i;

	if (len == 0 || len > KCDEMO_BUF_MAX)	/* the right bound */
		return -EINVAL;
	buf = kmalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < len; i++)
		buf[i] = 'a' + i % 26;
	if (s)
		s->last_checksum = kcdemo_checksum(buf, len);
	kfree(buf);
	kcdemo_stats.bufs++;
	return 0;
}

static int kcdemo_page(struct kcdemo_session *s)
{
	struct page *page;
	unsigned long *words;
	unsigned int i;

	page = alloc_page(GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	words = page_address(page);
	for (i = 0; i < PAGE_SIZE / sizeof(*words); i++)
		words[i] = i * 0x9e3779b97f4a7c15ul;
	if (s)
		s->last_checksum = kcdemo_checksum((u8 *)words, PAGE_SIZE);
	__free_page(page);
	kcdemo_stats.pages++;
	return 0;
}

static int kcdemo_vm(struct kcdemo_session *s)
{
	u32 *area;
	unsigned int i;

	area = vzalloc(KCDEMO_VM_SIZE);
	if (!area)
		return -ENOMEM;
	for (i = 0; i < KCDEMO_VM_SIZE / sizeof(*area); i += 7)
		area[i] = i ^ 0x5a5a5a5a;
	if (s)
		s->last_checksum = kcdemo_checksum((u8 *)area, KCDEMO_VM_SIZE);
	vfree(area);
	kcdemo_stats.vms++;
	return 0;
}

/* ---- statistics ------------------------------------------------------------ */

struct kcdemo_snapshot {
	unsigned long cmds;
	unsigned long bytes;
	unsigned long writes;
	unsigned long sessions;
};

static void kcdemo_snapshot(struct kcdemo_snapshot *snap)
{
	int cpu;

	memset(snap, 0, sizeof(*snap));
	for_each_possible_cpu(cpu) {
		snap->cmds += per_cpu_ptr(kcdemo_pcpu, cpu)->cmds;
		snap->bytes += per_cpu_ptr(kcdemo_pcpu, cpu)->bytes;
		snap->writes += per_cpu(kcdemo_writes, cpu);
	}
	snap->sessions = kcdemo_stats.sessions;
}

static int kcdemo_stat(struct kcdemo_session *s)
{
	struct kcdemo_snapshot snap;

	if (!s)
		return -ENOENT;
	kcdemo_snapshot(&snap);
	s->last_stat[0] = snap.cmds;
	s->last_stat[1] = snap.bytes;
	s->last_stat[2] = snap.writes;
	s->last_stat[3] = snap.sessions;
	return 0;
}

/* ---- the bug ----------------------------------------------------------------- */

/*
 * Finds a note buffer (site A) directly followed by one of our victims
 * (site B) in kmalloc-64. Returns the note, with *victim set, or NULL; the
 * objects not chosen are freed. notes[] and victims[] stay apart on purpose:
 * a points-to analysis keeps the two sites distinct.
 */
static noinline char *kcdemo_note_alloc(struct kcdemo_victim **victim)
{
	char *notes[KCDEMO_NOTE_TRIES] = {};
	struct kcdemo_victim *victims[KCDEMO_NOTE_TRIES] = {};
	char *note = NULL;
	int i, j, found_a = -1, found_b = -1;

	for (i = 0; i < KCDEMO_NOTE_TRIES && found_a < 0; i++) {
		notes[i] = kmalloc(KCDEMO_NOTE_SIZE, GFP_KERNEL);		/* site A */
		victims[i] = kmalloc(sizeof(*victims[i]), GFP_KERNEL);	/* site B */
		if (!notes[i] || !victims[i])
			break;
		victims[i]->magic = KCDEMO_VICTIM_MAGIC;
		victims[i]->index = i;
		victims[i]->cookie = (unsigned long)victims[i];
		memset(victims[i]->payload, 0, sizeof(victims[i]->payload));
		for (j = 0; j <= i; j++) {
			if ((unsigned long)victims[j] == (unsigned long)notes[i] + KCDEMO_NOTE_SIZE) {
				found_a = i;
				found_b = j;
				break;
			}
		}
	}
	for (i = 0; i < KCDEMO_NOTE_TRIES; i++) {
		if (i == found_a)
			note = notes[i];
		else
			kfree(notes[i]);
		if (i == found_b)
			*victim = victims[i];
		else
			kfree(victims[i]);
	}
	return note;
}

static noinline int kcdemo_note(unsigned int len, u8 pattern)
{
	struct kcdemo_victim *victim = NULL;
	char *note;
	unsigned int i;

	/* BUG: the bound should be KCDEMO_NOTE_SIZE; up to 64 bytes overflow. */
	if (len > KCDEMO_NOTE_SIZE + KCDEMO_NOTE_SLACK)
		return -EINVAL;

	note = kcdemo_note_alloc(&victim);
	if (!note) {
		pr_info("note: no victim adjacent to a note buffer, giving up\n");
		return -EAGAIN;
	}
	pr_info("note %px victim %px len %u\n", note, victim, len);

	/* The faulty write: a byte store per iteration, past the 64-byte buffer. */
	for (i = 0; i < len; i++)
		note[i] = pattern ^ (u8)(i * 7);

	kcdemo_stats.notes++;
	if (victim->magic != KCDEMO_VICTIM_MAGIC) {
		kcdemo_stats.overflows++;
		pr_info("note overflowed into victim at %px\n", victim);
	}
	kfree(victim);
	kfree(note);
	return 0;
}

/* ---- the attack harness: targets, holes and THE SECOND BUG ------------------------ */
/*
 * Commands for the attack matrix (scripts/e2e, bench:attack):
 *   targets      prints the addresses of exploit targets
 *   hole SIZE    a freed compartment object, for a foreign owner to reuse
 *   poke ADDR X  THE SECOND BUG, an arbitrary write (see kcdemo_poke())
 */
#include <linux/sched/task.h>
#include <linux/skbuff.h>

/* A packet kept for the attack matrix: its head buffer, which __alloc_skb made, is a target. */
static struct sk_buff *kcdemo_packet;

/*
 * "targets" prints, for the attack matrix, the addresses of exploit targets
 * that only the kernel can name for the calling task: its own struct cred and
 * task_struct, its page-table root, the kernel stack of another task (pid 1),
 * the struct page of a kernel-text page, the direct-map alias of kernel data
 * (init_task), and the head buffer of a packet (an sk_buff's data, as every
 * network driver and protocol allocates it). Globals (modprobe_path,
 * core_pattern, init_cred, text and rodata) come from /proc/kallsyms; the
 * harness reads them there.
 */
static int kcdemo_targets(void)
{
	struct task_struct *other;

	if (!kcdemo_packet)
		kcdemo_packet = alloc_skb(128, GFP_KERNEL);

	pr_info("target cred %px\n", current_cred());
	pr_info("target task %px\n", current);
	if (current->mm)
		pr_info("target pgd %px\n", current->mm->pgd);
	rcu_read_lock();
	other = pid_task(find_vpid(1), PIDTYPE_PID);
	if (other && other != current)
		pr_info("target other_stack %px\n", (u8 *)other->stack + THREAD_SIZE / 2);
	rcu_read_unlock();
	pr_info("target text_page %px\n", virt_to_page(_printk));
	pr_info("target alias %px\n", lm_alias(&init_task));
	if (kcdemo_packet)
		pr_info("target skb_head %px\n", kcdemo_packet->head);
	return 0;
}

/*
 * "hole SIZE" allocates a SIZE-byte object at a compartment site, prints its
 * address and frees it: the harness then makes another subsystem allocate an
 * object of the same kmalloc cache (msgsnd, pipe, single_open), which on one
 * CPU reuses the freed slot (SLUB frees to the head of the per-cpu freelist).
 * The slot becomes a freed-and-reallocated object of a foreign owner; left
 * alone, it is a freed object.
 */
static noinline int kcdemo_hole(unsigned int size)
{
	void *p;

	if (size == 0 || size > KCDEMO_BUF_MAX)
		return -EINVAL;
	/* accounted, like the msg_msg, pipe_buffer and seq_operations allocations that reuse it */
	p = kmalloc(size, GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	memset(p, 0, size);
	pr_info("hole %px size %u\n", p, size);
	kfree(p);
	return 0;
}

/*
 * THE SECOND BUG, "poke ADDR XOR": the arbitrary-write primitive that a heap
 * overflow is usually turned into. A 64-byte scratch object (kmalloc call
 * site C) is indexed by an attacker-controlled 32-bit-word index computed
 * from a kernel address, and the word there is XORed with XOR (0 keeps its
 * value: the write still happens and is checked). The store's legal set is
 * the scratch object alone, so every target outside it is a violation.
 */
static noinline int kcdemo_poke(unsigned long target, u32 xor)
{
	u32 *slot;
	long idx;

	if (target & 3)
		return -EINVAL;
	slot = kmalloc(64, GFP_KERNEL);
	if (!slot)
		return -ENOMEM;
	idx = ((long)target - (long)slot) / 4;
	pr_info("poke %px from %px\n", (void *)target, slot);
	slot[idx] ^= xor;	/* the injected write */
	kfree(slot);
	return 0;
}

static int kcdemo_parse_poke(char *arg)
{
	char *xor = arg ? strchr(arg, ' ') : NULL;
	unsigned long target;
	unsigned int val = 0;

	if (!arg)
		return -EINVAL;
	if (xor) {
		*xor++ = '\0';
		if (kstrtouint(skip_spaces(xor), 0, &val))
			return -EINVAL;
	}
	if (kstrtoul(arg, 16, &target))
		return -EINVAL;
	return kcdemo_poke(target, val);
}

/* ---- indirect calls: an ops table and THE THIRD BUG (issue 16) ---------------- */
/*
 * Commands:
 *   op NAME ARG      calls kcdemo_ops[NAME].fn(ARG) through its function pointer
 *                    (the legitimate indirect call; NAME is sum or mix)
 *   opset IDX ADDR   THE THIRD BUG: stores the hexadecimal ADDR into
 *                    kcdemo_ops[IDX].fn, as a use-after-free or an overflow into an
 *                    ops structure would; the next "op" calls whatever ADDR is
 *                    (commit_creds, with ARG = &init_cred: uid 0). The store
 *                    itself is legal (kcdemo_ops is the compartment's own global):
 *                    only the indirect-call check sees the hijack.
 */
struct kcdemo_ops {
	const char *name;
	unsigned long (*fn)(unsigned long arg);
};

static noinline unsigned long kcdemo_op_sum(unsigned long arg)
{
	return arg * (arg + 1) / 2;
}

static noinline unsigned long kcdemo_op_mix(unsigned long arg)
{
	return (arg ^ 0x9e3779b97f4a7c15ul) * 31;
}

/* writable on purpose (a const table would sit in rodata, out of the bug's reach) */
static struct kcdemo_ops kcdemo_ops[] = {
	{ .name = "sum", .fn = kcdemo_op_sum },
	{ .name = "mix", .fn = kcdemo_op_mix },
};

static unsigned long kcdemo_op_result;	/* under kcdemo_lock */

static noinline int kcdemo_op(const char *arg)
{
	char name[8];
	unsigned long val = 0;
	size_t i;

	if (!arg || sscanf(arg, "%7s %lu", name, &val) != 2)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(kcdemo_ops); i++) {
		if (!strcmp(name, kcdemo_ops[i].name)) {
			kcdemo_op_result = kcdemo_ops[i].fn(val);	/* the indirect call */
			return 0;
		}
	}
	return -EINVAL;
}

static noinline int kcdemo_opset(const char *arg)
{
	unsigned int idx;
	unsigned long addr;

	if (!arg || sscanf(arg, "%u %lx", &idx, &addr) != 2 || idx >= ARRAY_SIZE(kcdemo_ops))
		return -EINVAL;
	pr_info("opset %u %px\n", idx, (void *)addr);
	kcdemo_ops[idx].fn = (unsigned long (*)(unsigned long))addr;	/* THE THIRD BUG */
	return 0;
}
/* ---- end of indirect calls ----------------------------------------------------- */
/* ---- BEGIN issue 11 (checker fidelity): injected writes the run time must report ---- */
/*
 * Commands for the attack harness (scripts/e2e/attack.ts), each a write the run time
 * must report with its site, region and owner. Each overflow lands in an object the
 * module owns and leaves its bytes as they were, so the guest stays healthy:
 *   cpy LEN      memcpy of LEN bytes (attacker's length, up to 128) into a 64-byte
 *                object: a writer call checked as [dst, dst + LEN) at the call
 *   stos OFF     a rep stos of 96 bytes from word OFF (up to 8) of a 128-byte object
 *   straddle OFF an 8-byte store at OFF (up to 60) in a 64-byte object: at 60 it
 *                straddles the object's end
 *   pcpu IDX X   this_cpu_or of slot IDX (up to 7) of a 4-slot per-cpu array, a
 *                gs-relative write (X 0 keeps the value)
 * The pair allocator puts a neighbour (site V) right after the object written (site
 * O); the two sites stay apart so that the write's legal set is site O alone.
 */
#include <asm/unaligned.h>

static DEFINE_PER_CPU(unsigned long, kcfid_slots[4]);

/* An object of `size` bytes (site O) directly followed by a neighbour (site V), or NULL. */
static noinline void *kcfid_pair(size_t size, void **neighbour)
{
	void *objs[KCDEMO_NOTE_TRIES] = {}, *nbrs[KCDEMO_NOTE_TRIES] = {}, *obj = NULL;
	int i, j, found_o = -1, found_v = -1;

	for (i = 0; i < KCDEMO_NOTE_TRIES && found_o < 0; i++) {
		objs[i] = kmalloc(size, GFP_KERNEL);	/* site O */
		nbrs[i] = kmalloc(size, GFP_KERNEL);	/* site V */
		if (!objs[i] || !nbrs[i])
			break;
		for (j = 0; j <= i; j++) {
			if ((unsigned long)nbrs[j] == (unsigned long)objs[i] + size) {
				found_o = i;
				found_v = j;
				break;
			}
		}
	}
	for (i = 0; i < KCDEMO_NOTE_TRIES; i++) {
		if (i == found_o)
			obj = objs[i];
		else
			kfree(objs[i]);
		if (i == found_v)
			*neighbour = nbrs[i];
		else
			kfree(nbrs[i]);
	}
	return obj;
}

static noinline int kcfid_cpy(unsigned int len)
{
	u8 copy[128];
	void *nbr = NULL;
	u8 *obj;

	if (len > sizeof(copy))	/* BUG: the bound should be 64 */
		return -EINVAL;
	obj = kcfid_pair(64, &nbr);
	if (!obj)
		return -EAGAIN;
	memcpy(copy, obj, len);
	pr_info("fid cpy %px len %u\n", obj, len);
	memcpy(obj, copy, len);	/* the injected write: past the end when len > 64 */
	kfree(nbr);
	kfree(obj);
	return 0;
}

/* minsize: clang 19 with the kernel's flags lowers no memset to rep stos otherwise (a variable
 * length becomes a call of memset, the writer-call path of "cpy"; a constant one, stores) */
static noinline __attribute__((minsize)) int kcfid_stos(unsigned int off)
{
	void *nbr = NULL;
	u64 *obj;

	if (off > 8)	/* BUG: the bound should be 4 */
		return -EINVAL;
	obj = kcfid_pair(128, &nbr);
	if (!obj)
		return -EAGAIN;
	pr_info("fid stos %px off %u\n", obj, off);
	memset(obj + off, 0, 96);	/* the injected write (rep stosq of 12): past the end when off > 4 */
	kfree(nbr);
	kfree(obj);
	return 0;
}

static noinline int kcfid_straddle(unsigned int off)
{
	void *nbr = NULL;
	u8 *obj;
	u64 val;

	if (off > 60)	/* BUG: the bound should be 56 */
		return -EINVAL;
	obj = kcfid_pair(64, &nbr);
	if (!obj)
		return -EAGAIN;
	pr_info("fid straddle %px off %u\n", obj, off);
	/* the injected write: 8 bytes at off, the same bytes back */
	val = get_unaligned((u64 *)(obj + off));
	OPTIMIZER_HIDE_VAR(val);
	put_unaligned(val, (u64 *)(obj + off));
	kfree(nbr);
	kfree(obj);
	return 0;
}

static noinline int kcfid_pcpu(unsigned int idx, unsigned long x)
{
	if (idx > 7)	/* BUG: the bound should be 3 */
		return -EINVAL;
	pr_info("fid pcpu %u\n", idx);
	this_cpu_or(kcfid_slots[idx], x);	/* the injected write (gs-relative) */
	return 0;
}

static int kcfid_dispatch(const char *cmd, char *arg)
{
	char *second = arg ? strchr(arg, ' ') : NULL;
	unsigned int val = 0, x = 0;

	if (second)
		*second++ = '\0';
	if (!arg || kstrtouint(arg, 0, &val) || (second && kstrtouint(skip_spaces(second), 0, &x)))
		return -EINVAL;
	if (!strcmp(cmd, "cpy"))
		return kcfid_cpy(val);
	if (!strcmp(cmd, "stos"))
		return kcfid_stos(val);
	if (!strcmp(cmd, "straddle"))
		return kcfid_straddle(val);
	return kcfid_pcpu(val, x);
}
/* ---- END issue 11 ---- */

/* ---- the device ---------------------------------------------------------------- */

static int kcdemo_parse_uint(const char *arg, unsigned int *val)
{
	if (!arg)
		return -EINVAL;
	return kstrtouint(arg, 0, val);
}

static int kcdemo_dispatch(struct file *file, char *cmd)
{
	struct kcdemo_session *s = file->private_data;
	char *arg = strchr(cmd, ' ');
	unsigned int val = 0;
	int ret;

	if (arg) {
		*arg++ = '\0';
		arg = skip_spaces(arg);
	}

	if (!strcmp(cmd, "open"))
		return kcdemo_open_session(file);
	if (!strcmp(cmd, "close"))
		return kcdemo_close_session(file);
	if (!strcmp(cmd, "msg"))
		return kcdemo_msg(s, arg ? arg : "");
	if (!strcmp(cmd, "page"))
		return kcdemo_page(s);
	if (!strcmp(cmd, "vm"))
		return kcdemo_vm(s);
	if (!strcmp(cmd, "stat"))
		return kcdemo_stat(s);
	if (!strcmp(cmd, "buf")) {
		ret = kcdemo_parse_uint(arg, &val);
		return ret ? ret : kcdemo_buf(s, val);
	}
	if (!strcmp(cmd, "note")) {
		ret = kcdemo_parse_uint(arg, &val);
		return ret ? ret : kcdemo_note(val, s ? (u8)s->id : 0xa5);
	}
	if (!strcmp(cmd, "targets"))
		return kcdemo_targets();
	if (!strcmp(cmd, "hole")) {
		ret = kcdemo_parse_uint(arg, &val);
		return ret ? ret : kcdemo_hole(val);
	}
	if (!strcmp(cmd, "poke"))
		return kcdemo_parse_poke(arg);
	if (!strcmp(cmd, "op") || !strcmp(cmd, "opset"))	/* indirect calls (issue 16) */
		return cmd[2] ? kcdemo_opset(arg) : kcdemo_op(arg);
	if (!strcmp(cmd, "cpy") || !strcmp(cmd, "stos") || !strcmp(cmd, "straddle") || !strcmp(cmd, "pcpu"))
		return kcfid_dispatch(cmd, arg);	/* issue 11 */
	return -EINVAL;
}

static ssize_t kcdemo_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	char cmd[KCDEMO_CMD_MAX];
	struct kcdemo_pcpu *pc;
	int ret;

	if (count == 0 || count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = '\0';

	pc = get_cpu_ptr(kcdemo_pcpu);
	pc->cmds++;
	pc->bytes += count;
	put_cpu_ptr(kcdemo_pcpu);
	this_cpu_inc(kcdemo_writes);

	mutex_lock(&kcdemo_lock);
	ret = kcdemo_dispatch(file, strim(cmd));
	if (ret)
		kcdemo_stats.errors++;
	mutex_unlock(&kcdemo_lock);
	return ret ? ret : count;
}

static ssize_t kcdemo_read(struct file *file, char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	struct kcdemo_snapshot snap;
	char text[256];
	int len;

	mutex_lock(&kcdemo_lock);
	kcdemo_snapshot(&snap);
	len = scnprintf(text, sizeof(text),
			"cmds %lu bytes %lu writes %lu sessions %lu msgs %lu bufs %lu pages %lu vms %lu notes %lu overflows %lu errors %lu\n",
			snap.cmds, snap.bytes, snap.writes, kcdemo_stats.sessions,
			kcdemo_stats.msgs, kcdemo_stats.bufs, kcdemo_stats.pages,
			kcdemo_stats.vms, kcdemo_stats.notes,
			kcdemo_stats.overflows, kcdemo_stats.errors);
	mutex_unlock(&kcdemo_lock);
	return simple_read_from_buffer(ubuf, count, ppos, text, len);
}

/* misc_open() points private_data at the miscdevice: here it holds the session. */
static int kcdemo_fop_open(struct inode *inode, struct file *file)
{
	file->private_data = NULL;
	return 0;
}

static int kcdemo_release(struct inode *inode, struct file *file)
{
	mutex_lock(&kcdemo_lock);
	if (file->private_data)
		kcdemo_close_session(file);
	mutex_unlock(&kcdemo_lock);
	return 0;
}

static const struct file_operations kcdemo_fops = {
	.owner		= THIS_MODULE,
	.open		= kcdemo_fop_open,
	.read		= kcdemo_read,
	.write		= kcdemo_write,
	.release	= kcdemo_release,
	.llseek		= noop_llseek,
};

static struct miscdevice kcdemo_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kcdemo",
	.fops	= &kcdemo_fops,
	.mode	= 0666,
};

static int __init kcdemo_init(void)
{
	int ret;

	kcdemo_session_cache = kmem_cache_create("kcdemo_session",
						 sizeof(struct kcdemo_session),
						 0, 0, NULL);
	if (!kcdemo_session_cache)
		return -ENOMEM;
	kcdemo_pcpu = alloc_percpu(struct kcdemo_pcpu);
	if (!kcdemo_pcpu) {
		ret = -ENOMEM;
		goto err_cache;
	}
	ret = misc_register(&kcdemo_dev);
	if (ret)
		goto err_pcpu;
	pr_info("loaded: /dev/kcdemo\n");
	return 0;

err_pcpu:
	free_percpu(kcdemo_pcpu);
err_cache:
	kmem_cache_destroy(kcdemo_session_cache);
	return ret;
}

static void __exit kcdemo_exit(void)
{
	misc_deregister(&kcdemo_dev);
	kfree_skb(kcdemo_packet);
	free_percpu(kcdemo_pcpu);
	kmem_cache_destroy(kcdemo_session_cache);
	pr_info("unloaded\n");
}

module_init(kcdemo_init);
module_exit(kcdemo_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kcompart end-to-end example compartment (with a deliberate heap overflow)");
