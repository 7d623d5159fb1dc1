// The allocator table (DESIGN.md §3): which kernel functions allocate memory,
// of which kind, and which argument is the size, count, cache, order or gfp.
// A default table for Linux 6.1–6.18; users extend or override it with a JSON
// file validated by zod (a bad file gets an error naming the bad field).
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/** What an allocator hands back. */
export const AllocatorReturnSchema = z.enum([
  'object', // a pointer to the object (kmalloc, kmem_cache_alloc, vmalloc…)
  'page', // struct page * (alloc_pages)
  'folio', // struct folio * (folio_alloc)
  'address', // an unsigned long address (__get_free_pages)
  'percpu', // a __percpu pointer (__alloc_percpu)
]);

/** One allocator. Argument positions are 0-based. */
export const AllocatorSchema = z
  .object({
    name: z.string().min(1),
    kind: z.enum(['slab', 'buddy', 'vmalloc', 'percpu', 'slab-or-vmalloc']),
    returns: AllocatorReturnSchema,
    /** The size argument (bytes). */
    size: z.number().int().nonnegative().optional(),
    /** A count multiplying the size (kcalloc, kmalloc_array). */
    count: z.number().int().nonnegative().optional(),
    /** The `struct kmem_cache *` argument. */
    cache: z.number().int().nonnegative().optional(),
    /** The page order argument (size = PAGE_SIZE << order). */
    order: z.number().int().nonnegative().optional(),
    gfp: z.number().int().nonnegative().optional(),
    /** An argument the new object copies (kmemdup, kstrdup, krealloc): its type carries over. */
    copiesFrom: z.number().int().nonnegative().optional(),
    /** A string argument whose length (plus NUL) is the size (kstrdup). */
    sizeFromString: z.number().int().nonnegative().optional(),
    /**
     * What the allocator's contract puts in the object: `string`, a NUL-terminated copy of
     * characters (kstrdup, kasprintf, memdup_user_nul). No record lives in such memory, so a typed
     * fallback ("any object of type T") does not admit it. Wrappers inherit it.
     */
    contents: z.enum(['string']).optional(),
    /** The `caller` argument recorded in vm_struct (__vmalloc_node_range). */
    caller: z.number().int().nonnegative().optional(),
    /** Why this entry is here (kernel version, header). */
    note: z.string().optional(),
  })
  .strict();
export type Allocator = z.infer<typeof AllocatorSchema>;

/** A user allocator file: entries added to (or replacing, by name) the defaults. */
export const AllocatorFileSchema = z
  .object({
    allocators: z.array(AllocatorSchema),
    /** Names of default entries to drop. */
    remove: z.array(z.string()).optional(),
  })
  .strict();

const slab = (name: string, a: Omit<Allocator, 'name' | 'kind' | 'returns'>): Allocator => ({
  name,
  kind: 'slab',
  returns: 'object',
  ...a,
});
const buddy = (name: string, returns: Allocator['returns'], a: Omit<Allocator, 'name' | 'kind' | 'returns'>): Allocator => ({
  name,
  kind: 'buddy',
  returns,
  ...a,
});
const vmalloc = (name: string, a: Omit<Allocator, 'name' | 'kind' | 'returns'>): Allocator => ({
  name,
  kind: 'vmalloc',
  returns: 'object',
  ...a,
});

/** The default table: Linux 6.1 names, and the `_noprof` spellings of 6.10+. */
export const DEFAULT_ALLOCATORS: readonly Allocator[] = [
  // general kmalloc caches
  slab('kmalloc', { size: 0, gfp: 1, note: 'inline in 6.1; out of line when not inlined' }),
  slab('__kmalloc', { size: 0, gfp: 1 }),
  slab('kmalloc_trace', { cache: 0, gfp: 1, size: 2, note: '6.1: kmalloc of a constant size, cache is kmalloc_caches[...]' }),
  slab('kmalloc_node_trace', { cache: 0, gfp: 1, size: 3 }),
  slab('__kmalloc_node', { size: 0, gfp: 1 }),
  slab('__kmalloc_node_track_caller', { size: 0, gfp: 1 }),
  slab('kmalloc_large', { size: 0, gfp: 1 }),
  slab('kmalloc_large_node', { size: 0, gfp: 1 }),
  slab('kzalloc', { size: 0, gfp: 1 }),
  slab('kcalloc', { count: 0, size: 1, gfp: 2 }),
  slab('kmalloc_array', { count: 0, size: 1, gfp: 2 }),
  slab('krealloc', { size: 1, gfp: 2, copiesFrom: 0 }),
  slab('kmemdup', { size: 1, gfp: 2, copiesFrom: 0 }),
  // the string family (include/linux/string.h, mm/util.c, lib/kasprintf.c): text, never a record
  slab('kstrdup', { sizeFromString: 0, gfp: 1, contents: 'string' }),
  slab('kstrndup', { sizeFromString: 0, gfp: 2, contents: 'string' }),
  slab('kmemdup_nul', { size: 1, gfp: 2, contents: 'string', note: 'size is len + 1' }),
  slab('kvasprintf', { gfp: 0, contents: 'string' }),
  slab('kasprintf', { gfp: 0, contents: 'string' }),
  slab('strndup_user', { contents: 'string', note: 'an ERR_PTR on failure' }),
  slab('memdup_user_nul', { size: 1, contents: 'string', note: 'size is len + 1; an ERR_PTR on failure' }),
  // dedicated caches
  slab('kmem_cache_alloc', { cache: 0, gfp: 1 }),
  slab('kmem_cache_alloc_lru', { cache: 0, gfp: 2 }),
  slab('kmem_cache_alloc_node', { cache: 0, gfp: 1 }),
  slab('kmem_cache_zalloc', { cache: 0, gfp: 1 }),
  // 6.10+ allocation profiling spellings
  slab('kmalloc_noprof', { size: 0, gfp: 1 }),
  slab('__kmalloc_noprof', { size: 0, gfp: 1 }),
  slab('kmalloc_trace_noprof', { cache: 0, gfp: 1, size: 2 }),
  slab('__kmalloc_cache_noprof', { cache: 0, gfp: 1, size: 2 }),
  slab('kmalloc_node_trace_noprof', { cache: 0, gfp: 1, size: 3 }),
  slab('__kmalloc_cache_node_noprof', { cache: 0, gfp: 1, size: 3 }),
  slab('__kmalloc_node_noprof', { size: 0, gfp: 1 }),
  slab('__kmalloc_node_track_caller_noprof', { size: 0, gfp: 1 }),
  slab('__kmalloc_large_noprof', { size: 0, gfp: 1 }),
  slab('__kmalloc_large_node_noprof', { size: 0, gfp: 1 }),
  slab('krealloc_noprof', { size: 1, gfp: 2, copiesFrom: 0 }),
  slab('kmemdup_noprof', { size: 1, gfp: 2, copiesFrom: 0 }),
  slab('kmem_cache_alloc_noprof', { cache: 0, gfp: 1 }),
  slab('kmem_cache_alloc_lru_noprof', { cache: 0, gfp: 2 }),
  slab('kmem_cache_alloc_node_noprof', { cache: 0, gfp: 1 }),
  // buddy pages
  buddy('alloc_pages', 'page', { gfp: 0, order: 1 }),
  buddy('__alloc_pages', 'page', { gfp: 0, order: 1 }),
  buddy('alloc_pages_node', 'page', { gfp: 1, order: 2 }),
  buddy('__get_free_pages', 'address', { gfp: 0, order: 1 }),
  buddy('get_zeroed_page', 'address', { gfp: 0 }),
  buddy('folio_alloc', 'folio', { gfp: 0, order: 1 }),
  buddy('__folio_alloc', 'folio', { gfp: 0, order: 1 }),
  buddy('alloc_pages_exact', 'object', { size: 0, gfp: 1 }),
  buddy('alloc_pages_noprof', 'page', { gfp: 0, order: 1 }),
  buddy('__alloc_pages_noprof', 'page', { gfp: 0, order: 1 }),
  buddy('alloc_pages_node_noprof', 'page', { gfp: 1, order: 2 }),
  buddy('get_free_pages_noprof', 'address', { gfp: 0, order: 1 }),
  buddy('get_zeroed_page_noprof', 'address', { gfp: 0 }),
  buddy('folio_alloc_noprof', 'folio', { gfp: 0, order: 1 }),
  buddy('__folio_alloc_noprof', 'folio', { gfp: 0, order: 1 }),
  buddy('alloc_pages_exact_noprof', 'object', { size: 0, gfp: 1 }),
  // page fragments: bytes carved from a buddy block the per-cpu frag cache refills (skb heads of
  // `__netdev_alloc_skb` / `__napi_alloc_skb`, `netdev_alloc_frag` for drivers' `build_skb`). The
  // block is recorded with the innermost analyzed frame of the refill, so these calls must be sites
  // for a legal set to admit it: without them a header written in a received packet is a false alarm
  buddy('page_frag_alloc_align', 'object', { size: 1, gfp: 2, note: 'mm/page_alloc.c (6.1; the corpus IR calls it)' }),
  buddy('__page_frag_alloc_align', 'object', {
    size: 1,
    gfp: 2,
    note: 'the spelling of later kernels (page_frag_alloc_align an inline wrapper of it)',
  }),
  // vmalloc
  vmalloc('vmalloc', { size: 0 }),
  vmalloc('vzalloc', { size: 0 }),
  vmalloc('vmalloc_node', { size: 0 }),
  vmalloc('vzalloc_node', { size: 0 }),
  vmalloc('vmalloc_user', { size: 0 }),
  vmalloc('vmalloc_32', { size: 0 }),
  vmalloc('__vmalloc', { size: 0, gfp: 1 }),
  vmalloc('__vmalloc_node', { size: 0, gfp: 2, caller: 4 }),
  vmalloc('__vmalloc_node_range', { size: 0, gfp: 4, caller: 8 }),
  vmalloc('vmalloc_noprof', { size: 0 }),
  vmalloc('vzalloc_noprof', { size: 0 }),
  vmalloc('__vmalloc_noprof', { size: 0, gfp: 1 }),
  vmalloc('__vmalloc_node_noprof', { size: 0, gfp: 2, caller: 4 }),
  vmalloc('__vmalloc_node_range_noprof', { size: 0, gfp: 4, caller: 8 }),
  // kvmalloc: slab first, vmalloc as fallback
  { name: 'kvmalloc_node', kind: 'slab-or-vmalloc', returns: 'object', size: 0, gfp: 1 },
  { name: '__kvmalloc_node_noprof', kind: 'slab-or-vmalloc', returns: 'object', size: 0, gfp: 1 },
  { name: 'kvmalloc_node_noprof', kind: 'slab-or-vmalloc', returns: 'object', size: 0, gfp: 1 },
  { name: 'kvrealloc', kind: 'slab-or-vmalloc', returns: 'object', size: 2, gfp: 3, copiesFrom: 0 },
  // per-cpu
  { name: '__alloc_percpu', kind: 'percpu', returns: 'percpu', size: 0 },
  { name: '__alloc_percpu_gfp', kind: 'percpu', returns: 'percpu', size: 0, gfp: 2 },
  { name: 'pcpu_alloc_noprof', kind: 'percpu', returns: 'percpu', size: 0, gfp: 3 },
];

/** A user allocator file that does not match the schema (the field is named). */
export class AllocatorFileError extends Error {
  override readonly name = 'AllocatorFileError';
  constructor(
    readonly file: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${file}: ${path || '(root)'}: ${problem}`);
  }
}

/** The table as a map by function name. */
export type AllocatorTable = ReadonlyMap<string, Allocator>;

/** The defaults, extended by `extra` (same name replaces). */
export function allocatorTable(extra: readonly Allocator[] = [], remove: readonly string[] = []): AllocatorTable {
  const m = new Map(DEFAULT_ALLOCATORS.map((a) => [a.name, a]));
  for (const r of remove) m.delete(r);
  for (const a of extra) m.set(a.name, a);
  return m;
}

/** Parses a user allocator file's content. @throws {@link AllocatorFileError} naming the bad field. */
export function parseAllocatorFile(text: string, file = '<allocators>'): AllocatorTable {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new AllocatorFileError(file, '', `not JSON: ${(e as Error).message}`);
  }
  const r = AllocatorFileSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const path = i.path.map((p, k) => (typeof p === 'number' ? `[${p}]` : `${k ? '.' : ''}${String(p)}`)).join('');
    throw new AllocatorFileError(file, path, i.message);
  }
  return allocatorTable(r.data.allocators, r.data.remove);
}

/** Reads a user allocator file. @throws {@link AllocatorFileError} */
export async function readAllocatorFile(path: string): Promise<AllocatorTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new AllocatorFileError(path, '', `cannot read: ${(e as Error).message}`);
  }
  return parseAllocatorFile(text, path);
}
