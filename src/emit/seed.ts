// Owns the seed of a policy's maps: its types (SeedSite, SeedAlloc: what
// `<name>.seed.json` holds) and `<name>.seed.h`, the same as C data for the
// loader (runtime/loader/seed.c includes it; the struct types are in
// runtime/loader/loader.h): the site programs with their legal sets (global
// names, caches with the global that holds each pointer, allocation ids,
// vmalloc caller functions), the globals with their sizes and the neighbours that place a
// static in its TU (Policy.globals), the allocations a probe records, and the probe
// points. The loader is compiled with it, so it needs no parser; every name is
// a cString literal, so a policy cannot change the loader's code.
import type { Policy } from '../policy/index.js';
import { KC } from './constants.js';
import { cComment, cString } from './escape.js';

/** What the seed needs of an allocation probe (emit.ts's EmittedProbe is one). */
export interface SeedProbe {
  readonly program: string;
  readonly alloc: number;
  readonly object: string;
  readonly symbol: string;
  readonly offset: number;
}

/** Seed data for the checker's maps, keyed by site id (the loader resolves names to addresses). */
export interface SeedSite {
  readonly id: number;
  readonly access: string;
  readonly object: string;
  readonly symbol: string;
  readonly offset: number;
  readonly regions: number;
  readonly gs: boolean;
  readonly globals: readonly string[];
  /** The static per-cpu variables the site may write (bounded to [offset, offset + size) at run time). */
  readonly percpuGlobals?: readonly string[];
  readonly slabCaches: readonly string[];
  readonly slabSites: readonly string[];
  readonly buddySites: readonly string[];
  readonly vmallocCallers: readonly string[];
  readonly flags: number;
  /** Allocation ids (indices of the seed's `allocs`) whose recorded memory the site may write. */
  readonly allocs: readonly number[];
  /**
   * For a typed fallback (KC_F_FOREIGN): the sizes of the types it admits from the rest of the kernel;
   * an unrecorded object of a dedicated cache passes when the cache's object size is one of them.
   */
  readonly foreignSizes: readonly number[];
  /** Every access on this instruction, when several share it (the program checks the union of their sets). */
  readonly accesses?: readonly string[];
  /** The relocated displacement of the operand: the loader adds this symbol's address + addend (kc_relocs). */
  readonly reloc?: { readonly symbol: string; readonly addend: number };
  /** How the program checks: one write, a rep string store, a writer call. */
  readonly kind?: 'write' | 'rep' | 'writer';
  /** The effective address and length as data (the data-driven site program's kc_recipes entry). */
  readonly recipe?: SeedRecipe;
  /** Where the write is in the source (its innermost frame). */
  readonly function: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A site's recipe (emit.ts's SiteRecipe, struct kc_recipe): registers by number (KC_REG_*), scale, displacement, kind, length. */
export interface SeedRecipe {
  readonly base: number;
  readonly index: number;
  readonly scale: number;
  readonly disp: number;
  readonly base32: boolean;
  readonly index32: boolean;
  readonly kind: 'write' | 'rep' | 'writer';
  readonly len: number;
  readonly lenReg: number;
}

const RECIPE_KIND = { write: KC.KIND_WRITE, rep: KC.KIND_REP, writer: KC.KIND_WRITER } as const;

/**
 * The C initializer of a site's `struct kc_recipe` (runtime/include/kcompart.h), as the loader
 * copies it into kc_recipes: every field a number the policy cannot turn into code.
 */
export function recipeInitializer(id: number, gs: boolean, reloc: boolean, r: SeedRecipe): string {
  const reg = (n: number): number => {
    if (!Number.isInteger(n) || n < 0 || n > KC.REG_NONE) throw new RangeError(`recipe of site ${id}: register ${n}`);
    return n;
  };
  if (![1, 2, 4, 8].includes(r.scale)) throw new RangeError(`recipe of site ${id}: scale ${r.scale}`);
  if (!Number.isSafeInteger(r.disp) || !Number.isSafeInteger(r.len) || r.len < 0) {
    throw new RangeError(`recipe of site ${id}: displacement ${r.disp}, length ${r.len}`);
  }
  const flags = KC.RCP_VALID | (r.base32 ? KC.RCP_BASE32 : 0) | (r.index32 ? KC.RCP_INDEX32 : 0) | (reloc ? KC.RCP_RELOC : 0);
  const site = gs ? `${id}u | KC_SITE_GS` : `${id}u`;
  return (
    `{ .site = ${site}, .base = ${reg(r.base)}, .index = ${reg(r.index)}, .scale = ${r.scale}, .kind = ${RECIPE_KIND[r.kind]}, ` +
    `.len_reg = ${reg(r.lenReg)}, .flags = 0x${flags.toString(16)}, .disp = ${r.disp}LL, .len = ${r.len}ULL }`
  );
}

/** One allocation of the seed: a policy allocation site whose objects a probe records. */
export interface SeedAlloc {
  readonly id: number;
  readonly site: string;
  readonly kind: string;
  readonly allocator: string;
  readonly caller: string;
  readonly file: string;
  readonly line: number;
}

/** `@sym`, `@sym+120`, `sym+0x78` → symbol and byte offset. */
export function parseHolder(holder: string): { symbol: string; offset: number } {
  const h = holder.startsWith('@') ? holder.slice(1) : holder;
  const m = /^(.*?)([+-])(0x[0-9a-f]+|\d+)$/i.exec(h);
  if (!m || m[1] === '') return { symbol: h, offset: 0 };
  const n = Number(m[3]);
  return { symbol: m[1]!, offset: m[2] === '-' ? -n : n };
}

/** `module::name` → `name` (kallsyms has no module qualifier for statics). */
export function kernelName(name: string): string {
  const i = name.lastIndexOf('::');
  return i >= 0 ? name.slice(i + 2) : name;
}

/** Interns strings and integer lists into flat tables. */
class Tables {
  readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  readonly lists: number[] = [];
  private readonly listIds = new Map<string, number>();

  name(s: string): number {
    let id = this.nameIds.get(s);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(s);
      this.nameIds.set(s, id);
    }
    return id;
  }

  /** Offset of the list in `lists`: its length, then its items. Equal lists share one copy. */
  list(items: readonly number[]): number {
    const key = items.join(',');
    let at = this.listIds.get(key);
    if (at === undefined) {
      at = this.lists.length;
      this.lists.push(items.length, ...items);
      this.listIds.set(key, at);
    }
    return at;
  }
}

function rows(items: readonly string[], perLine = 1): string {
  const out: string[] = [];
  for (let i = 0; i < items.length; i += perLine) out.push(`\t${items.slice(i, i + perLine).join(', ')},`);
  return out.join('\n');
}

/** The C header of the seed (runtime/loader/loader.h defines its struct types; runtime/loader/seed.c includes it). */
export function seedHeader(
  policy: Policy,
  sites: readonly SeedSite[],
  allocs: readonly SeedAlloc[],
  probes: readonly SeedProbe[],
  fns: readonly string[] = [],
  mode: 'data' | 'per-site' = 'per-site',
): string {
  const t = new Tables();
  const cacheIndex = new Map<string, number>();
  const cacheRows: string[] = [];
  for (const c of policy.caches) {
    if (cacheIndex.has(c.name)) continue;
    cacheIndex.set(c.name, cacheRows.length);
    const h = parseHolder(c.holder);
    cacheRows.push(
      `{ .name = ${t.name(c.name)}, .holder = ${t.name(kernelName(h.symbol))}, .offset = ${h.offset}, ` +
        `.typed = ${c.objectTypes?.length ? 1 : 0}, .catalogued = ${c.catalogued ? 1 : 0} }`,
    );
  }
  const unknownCache = (name: string): number => {
    // a cache the policy names in a legal set but lists no holder for: the loader cannot find it
    cacheIndex.set(name, cacheRows.length);
    cacheRows.push(`{ .name = ${t.name(name)}, .holder = -1, .offset = 0 }`);
    return cacheIndex.get(name)!;
  };
  // the globals the sets name, each once: its kallsyms name, size and neighbours (policy.globals);
  // a name the policy's table lacks (an older policy, a function) is found by name alone
  const info = new Map((policy.globals ?? []).map((g) => [g.name, g]));
  const globalIndex = new Map<string, number>();
  const globalRows: string[] = [];
  const neighbourRows: string[] = [];
  const globalOf = (name: string, percpu = false): number => {
    let at = globalIndex.get(name);
    if (at !== undefined) return at;
    const g = info.get(name);
    const first = neighbourRows.length;
    for (const n of g?.neighbours ?? []) neighbourRows.push(`{ .name = ${t.name(n.symbol)}, .delta = ${n.delta} }`);
    at = globalRows.length;
    globalRows.push(
      `{ .name = ${t.name(g?.symbol ?? kernelName(name))}, .size = ${g?.size ?? 0}, .percpu = ${g?.percpu || percpu ? 1 : 0}, ` +
        `.neighbours = ${first}, .n_neighbours = ${neighbourRows.length - first} }`,
    );
    globalIndex.set(name, at);
    return at;
  };
  // the static functions the probes attach to (policy.functions, in its order, so the indirect-call
  // seed names the same entries), with the neighbours that place them: the loader attaches by
  // address where kallsyms repeats the name (place.c)
  const functionIndex = new Map<string, number>();
  const functionRows = (policy.functions ?? []).map((f, at) => {
    functionIndex.set(`${f.object}\0${f.symbol}`, at);
    const first = neighbourRows.length;
    for (const n of f.neighbours) neighbourRows.push(`{ .name = ${t.name(n.symbol)}, .delta = ${n.delta} }`);
    return `{ .name = ${t.name(f.symbol)}, .neighbours = ${first}, .n_neighbours = ${f.neighbours.length} }`;
  });
  const placeOf = (object: string, symbol: string): number => functionIndex.get(`${object}\0${symbol}`) ?? -1;
  /** The table entry of a relocation's symbol: the static of the site's object, else the name. */
  const relocGlobal = (s: SeedSite): number => {
    const sym = s.reloc!.symbol;
    const own = (policy.globals ?? []).find((g) => g.symbol === sym && g.object === s.object && g.name.includes('::'));
    return globalOf(own?.name ?? sym);
  };
  const siteRows = sites.map((s) => {
    const globals = t.list(
      [...new Set([...s.globals.map((g) => globalOf(g)), ...(s.percpuGlobals ?? []).map((g) => globalOf(g, true))])].sort((x, y) => x - y),
    );
    const caches = t.list(s.slabCaches.map((c) => cacheIndex.get(c) ?? unknownCache(c)));
    const allocList = t.list(s.allocs);
    const callers = t.list([...new Set(s.vmallocCallers.map(kernelName))].sort().map((c) => t.name(c)));
    const sizes = t.list(s.foreignSizes);
    return (
      `{ .program = ${cString(`kc_site_${s.id}`)}, .symbol = ${t.name(s.symbol)}, .place = ${placeOf(s.object, s.symbol)}, .offset = 0x${s.offset.toString(16)}, ` +
      `.regions = 0x${(s.regions >>> 0).toString(16)}u, .flags = 0x${s.flags.toString(16)}u, .gs = ${s.gs ? 1 : 0}, ` +
      `.globals = ${globals}, .caches = ${caches}, .allocs = ${allocList}, .vm_callers = ${callers}, .foreign_sizes = ${sizes}, ` +
      `.access = ${t.name(s.access)}, .function = ${t.name(s.function)}, .file = ${t.name(s.file)}, .line = ${s.line}, .column = ${s.column}, ` +
      `.reloc = ${s.reloc ? t.name(s.reloc.symbol) : -1}, .reloc_global = ${s.reloc ? relocGlobal(s) : -1}, .reloc_addend = ${s.reloc?.addend ?? 0}` +
      (s.recipe ? `, .recipe = ${recipeInitializer(s.id, s.gs, s.reloc !== undefined, s.recipe)} }` : ' }')
    );
  });
  const allocRows = allocs.map(
    (a) =>
      `{ .site = ${t.name(a.site)}, .kind = ${t.name(a.kind)}, .allocator = ${t.name(a.allocator)}, .file = ${t.name(a.file)}, .line = ${a.line} }`,
  );
  const probeRows = probes.map(
    (p) =>
      `{ .program = ${cString(p.program)}, .alloc = ${p.alloc}, .symbol = ${t.name(p.symbol)}, .place = ${placeOf(p.object, p.symbol)}, ` +
      `.offset = 0x${p.offset.toString(16)} }`,
  );
  const fnRows = fns.map((f) => String(t.name(f)));
  const nameRows = t.names.map((n) => cString(n));
  return `/* SPDX-License-Identifier: GPL-2.0 */
/* Generated by kcompart: the seed of compartment ${cComment(policy.compartment.name)} for the loader (seed.c)
 * (${sites.length} site programs, ${allocs.length} tracked allocations, ${probes.length} allocation probes). Do not edit.
 * Names are indices into kc_seed_names; lists are offsets into kc_seed_lists (length, then items). */
#define KC_SEED_COMPARTMENT ${cString(policy.compartment.name)}
/* 1: one data-driven site program (kc_site, attached at every site with its id as cookie); 0: kc_site_N per site */
#define KC_SEED_SITE_DATA ${mode === 'data' ? 1 : 0}
#define KC_SEED_SITES ${sites.length}
#define KC_SEED_ALLOCS ${allocs.length}
#define KC_SEED_PROBES ${probes.length}
#define KC_SEED_CACHES ${cacheRows.length}
#define KC_SEED_NAMES ${nameRows.length}
#define KC_SEED_LISTS ${t.lists.length}
#define KC_SEED_GLOBALS ${globalRows.length}
#define KC_SEED_NEIGHBOURS ${neighbourRows.length}
#define KC_SEED_FUNCTIONS ${functionRows.length}
#define KC_SEED_FNS ${fnRows.length}

static const char *const kc_seed_names[KC_SEED_NAMES + 1] = {
${rows(nameRows)}
	0,
};

static const unsigned int kc_seed_lists[KC_SEED_LISTS + 1] = {
${rows(t.lists.map(String), 16)}
	0,
};

static const struct kc_seed_cache kc_seed_caches[KC_SEED_CACHES + 1] = {
${rows(cacheRows)}
	{ .name = -1, .holder = -1 },
};

static const struct kc_seed_alloc kc_seed_allocs[KC_SEED_ALLOCS + 1] = {
${rows(allocRows)}
	{ .site = -1 },
};

static const struct kc_seed_probe kc_seed_probes[KC_SEED_PROBES + 1] = {
${rows(probeRows)}
	{ .program = 0 },
};

/* The analyzed functions (names): what the kernel allocates inside function g is allocation KC_FN_ALLOC_BASE + g. */
static const int kc_seed_fns[KC_SEED_FNS + 1] = {
${rows(fnRows, 16)}
	-1,
};

static const struct kc_seed_site kc_seed_sites[KC_SEED_SITES + 1] = {
${rows(siteRows)}
	{ .program = 0 },
};

static const struct kc_seed_global kc_seed_globals[KC_SEED_GLOBALS + 1] = {
${rows(globalRows)}
	{ .name = -1 },
};

/* The static functions that probes attach to (.place of a site or probe): kallsyms may repeat their names. */
static const struct kc_seed_function kc_seed_functions[KC_SEED_FUNCTIONS + 1] = {
${rows(functionRows)}
	{ .name = -1 },
};

static const struct kc_seed_neighbour kc_seed_neighbours[KC_SEED_NEIGHBOURS + 1] = {
${rows(neighbourRows)}
	{ .name = -1 },
};
`;
}
