// The allocator table: defaults cover DESIGN.md §3's list; user files extend
// it and a bad file is refused with the bad field named.
import { describe, expect, it } from 'vitest';
import { AllocatorFileError, allocatorTable, parseAllocatorFile } from '../../src/analysis/allocators.js';

describe('allocator table', () => {
  it('covers every allocator DESIGN.md §3 lists', () => {
    const t = allocatorTable();
    for (const n of [
      'kmalloc',
      '__kmalloc',
      'kmalloc_trace',
      'kmalloc_node_trace',
      '__kmalloc_node',
      'kmalloc_large',
      'kmalloc_large_node',
      'kzalloc',
      'kcalloc',
      'kmalloc_array',
      'krealloc',
      'kmemdup',
      'kstrdup',
      'kstrndup',
      'kmem_cache_alloc',
      'kmem_cache_alloc_lru',
      'kmem_cache_alloc_node',
      'kmem_cache_zalloc',
      'alloc_pages',
      '__alloc_pages',
      'alloc_pages_node',
      '__get_free_pages',
      'get_zeroed_page',
      'folio_alloc',
      '__folio_alloc',
      'alloc_pages_exact',
      'vmalloc',
      'vzalloc',
      'vmalloc_node',
      '__vmalloc',
      '__vmalloc_node_range',
      'vmalloc_user',
      'kvmalloc_node',
      '__alloc_percpu',
      '__alloc_percpu_gfp',
      '__kmalloc_noprof',
    ])
      expect(t.has(n), n).toBe(true);
    expect(t.get('kcalloc')).toMatchObject({ kind: 'slab', count: 0, size: 1, gfp: 2 });
    expect(t.get('__get_free_pages')).toMatchObject({ kind: 'buddy', returns: 'address', order: 1 });
    expect(t.get('__vmalloc_node_range')).toMatchObject({ kind: 'vmalloc', caller: 8 });
  });
  it('extends, replaces and removes entries from a user file', () => {
    const t = parseAllocatorFile(
      JSON.stringify({
        allocators: [
          { name: 'my_pool_get', kind: 'slab', returns: 'object', size: 1 },
          { name: 'kmalloc', kind: 'slab', returns: 'object', size: 0, gfp: 1, note: 'mine' },
        ],
        remove: ['vmalloc_32'],
      }),
    );
    expect(t.get('my_pool_get')?.size).toBe(1);
    expect(t.get('kmalloc')?.note).toBe('mine');
    expect(t.has('vmalloc_32')).toBe(false);
  });
  it('names the bad field of a bad file', () => {
    const bad = JSON.stringify({
      allocators: [
        { name: 'x', kind: 'slab', returns: 'object' },
        { name: 'y', kind: 'heap', returns: 'object' },
      ],
    });
    try {
      parseAllocatorFile(bad, 'alloc.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AllocatorFileError);
      expect((e as AllocatorFileError).path).toBe('allocators[1].kind');
      expect((e as Error).message).toMatch(/^alloc\.json: allocators\[1\]\.kind/);
    }
    expect(() => parseAllocatorFile('{', 'a.json')).toThrow(/not JSON/);
    expect(() => parseAllocatorFile('{"allocators":[],"extra":1}', 'a.json')).toThrow(AllocatorFileError);
  });
});
