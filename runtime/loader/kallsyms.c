// SPDX-License-Identifier: GPL-2.0
/* kallsyms.c: /proc/kallsyms for the kcompart loader: every symbol sorted by
 * address (ranges, symbolized stacks) and by name (the policy's names; static
 * names that repeat stay next to each other). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

static struct kc_ksym *ksyms;     /* by address */
static struct kc_ksym **by_name;  /* by name */
static size_t nksyms;

static int cmp_addr(const void *a, const void *b)
{
	const struct kc_ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_name(const void *a, const void *b)
{
	const struct kc_ksym *const *x = a, *const *y = b;
	int c = strcmp((*x)->name, (*y)->name);

	return c ? c : ((*x)->addr < (*y)->addr ? -1 : (*x)->addr > (*y)->addr);
}

int kc_kallsyms_load(void)
{
	return kc_kallsyms_load_file("/proc/kallsyms");
}

int kc_kallsyms_load_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512], name[256], type;
	unsigned long long addr;
	size_t cap = 0, i;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (nksyms == cap) {
			cap = cap ? cap * 2 : 65536;
			ksyms = realloc(ksyms, cap * sizeof(*ksyms));
			if (!ksyms) {
				fclose(f);
				return -ENOMEM;
			}
		}
		ksyms[nksyms].addr = addr;
		ksyms[nksyms].type = type;
		ksyms[nksyms].name = strdup(name);
		nksyms++;
	}
	fclose(f);
	qsort(ksyms, nksyms, sizeof(*ksyms), cmp_addr);
	by_name = malloc(nksyms * sizeof(*by_name));
	if (!by_name)
		return -ENOMEM;
	for (i = 0; i < nksyms; i++)
		by_name[i] = &ksyms[i];
	qsort(by_name, nksyms, sizeof(*by_name), cmp_name);
	for (i = 0; i < nksyms && !ksyms[i].addr; i++)
		;
	return i == nksyms ? -EPERM : 0; /* all zero: kptr_restrict hides the addresses */
}

long kc_ksym_find(const char *name)
{
	size_t lo = 0, hi = nksyms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(by_name[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nksyms && !strcmp(by_name[lo]->name, name) ? (long)lo : -1;
}

const struct kc_ksym *kc_ksym_at(long i)
{
	return i >= 0 && (size_t)i < nksyms ? by_name[i] : NULL;
}

unsigned long long kc_ksym_end(const struct kc_ksym *s)
{
	size_t i = (size_t)(s - ksyms);
	unsigned long long cap = s->addr + KC_MAX_SYMBOL_BYTES;

	for (i++; i < nksyms; i++)
		if (ksyms[i].addr > s->addr)
			return ksyms[i].addr < cap ? ksyms[i].addr : cap;
	return s->addr + KC_PAGE_SIZE;
}

unsigned long long kc_ksym_addr(const char *name)
{
	long i = kc_ksym_find(name);

	return i < 0 ? 0 : by_name[i]->addr;
}

/* How many symbols sit at or below addr: ksyms[result - 1] is the last of them. */
static size_t at_or_below(unsigned long long addr)
{
	size_t lo = 0, hi = nksyms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ksyms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *kc_ksym_describe(unsigned long long addr, char *buf, size_t len)
{
	size_t lo = at_or_below(addr);

	if (!lo)
		snprintf(buf, len, "0x%llx", addr);
	else
		snprintf(buf, len, "%s+0x%llx", ksyms[lo - 1].name, addr - ksyms[lo - 1].addr);
	return buf;
}

unsigned int kc_ksym_count(const char *name)
{
	long j = kc_ksym_find(name);
	unsigned int n = 0;
	const struct kc_ksym *s;

	for (s = kc_ksym_at(j); s && !strcmp(s->name, name); s = kc_ksym_at(++j))
		n++;
	return n;
}

const struct kc_ksym *kc_ksym_unique_text_below(unsigned long long addr, unsigned long long within)
{
	size_t lo = at_or_below(addr);

	/* ksyms[lo - 1] is the last symbol at or below addr; walk down to one a kprobe can name */
	while (lo > 0 && addr - ksyms[lo - 1].addr <= within) {
		const struct kc_ksym *s = &ksyms[--lo];

		if ((s->type == 't' || s->type == 'T') && kc_ksym_count(s->name) == 1)
			return s;
	}
	return NULL;
}
