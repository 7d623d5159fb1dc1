// Owns the dedicated-cache catalogue (issue 10): the kernel's `kmem_cache_create` calls outside the
// analyzed program, each with the global that holds the cache pointer, its object size and the types
// that the same TU's allocations from it give its objects. Without it, "any object of type T" can
// only admit an unrecorded object of a dedicated cache by the cache's object size, so every cache of
// that size passes: `cred_jar` (176 bytes) passed at the net/ipv6 sites whose sets hold an `rtable`
// or an `inet_frag_queue`, also 176 bytes. A catalogued cache with a type is a cache created for that
// type: a set admits it by name when the type is or contains T, and never by size (the run time's
// kc_typed_caches). Each TU is read, searched and dropped on its own, so the catalogue can take the
// whole kernel's IR; a cache whose objects its own TU never allocates keeps no type and stays
// admitted by size, as before.
import { readFile } from 'node:fs/promises';
import type { AllocationSite, Cache } from '../policy/schema.js';
import { type AllocatorTable, allocatorTable } from './allocators.js';
import { Program } from './program.js';
import { findAllocationSites } from './sites.js';

/** What every cache creator's name holds (`kmem_cache_create`, `__kmem_cache_create`, `…_usercopy`). */
const CREATE = 'kmem_cache_create';

/** The types a cache's objects get from the allocation sites that take it, none for a typeless buffer. */
export function cacheObjectTypes(cache: string, sites: readonly AllocationSite[]): string[] {
  const types = new Set<string>();
  for (const s of sites) {
    if (s.kind !== 'slab' || !(s.caches ?? (s.cache !== undefined ? [s.cache] : [])).includes(cache)) continue;
    if (s.type.kind === 'struct' || s.type.kind === 'union') types.add(s.type.name);
  }
  return [...types].sort();
}

/** The caches of one program with the types of their objects (`objectTypes`) where its sites give them. */
export function typedCaches(caches: readonly Cache[], sites: readonly AllocationSite[]): Cache[] {
  return caches.map((c) => {
    const objectTypes = cacheObjectTypes(c.name, sites);
    return objectTypes.length ? { ...c, objectTypes } : c;
  });
}

/**
 * The caches that the TUs `files` (`.ll`) create, each marked
 * `catalogued`, with its object types where its TU allocates from it. A cache name created twice
 * keeps its first creation; TUs are read one at a time.
 *
 * @throws IrParseError (file, line, column) for a malformed `.ll`
 */
export async function readCacheCatalogue(
  files: readonly string[],
  options: { allocators?: AllocatorTable; onFile?: (file: string, done: number, total: number) => void } = {},
): Promise<Cache[]> {
  const table = options.allocators ?? allocatorTable();
  const byName = new Map<string, Cache>();
  for (const [k, file] of files.entries()) {
    options.onFile?.(file, k, files.length);
    // a TU that never calls kmem_cache_create* creates no cache: not parsed (the whole kernel's IR is GBs)
    if (!file.endsWith('.gz') && !(await readFile(file)).includes(CREATE)) continue;
    const program = await Program.load([file], []);
    const { sites, caches } = findAllocationSites(program, table);
    for (const c of typedCaches(caches, sites)) if (!byName.has(c.name)) byName.set(c.name, { ...c, catalogued: true });
  }
  return [...byName.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}
