// Allocation sites on a small clang-19 module (test/fixtures/analysis/sites.c):
// kinds, wrappers, caches named through a global and a global's field, type
// evidence, synthetic buffer types; and a typed-pointer (clang 14 style) module.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocatorTable } from '../../src/analysis/allocators.js';
import { Program } from '../../src/analysis/program.js';
import { findAllocationSites } from '../../src/analysis/sites.js';
import { parseModule } from '../../src/index.js';

const file = join(import.meta.dirname, '../fixtures/analysis/sites.ll');
const module = parseModule(readFileSync(file), { filename: file });
const program = new Program([{ module, name: module.sourceFilename!, role: 'compartment' }]);
const { sites, caches, wrappers } = findAllocationSites(program, allocatorTable());
const siteIn = (fn: string, allocator: string) => {
  const s = sites.filter((x) => x.caller === fn && x.allocator === allocator);
  expect(s, `${allocator} in ${fn}`).toHaveLength(1);
  return s[0]!;
};

describe('allocation sites', () => {
  it('names caches stored to a global and to a field of a global', () => {
    expect(caches.map((c) => [c.name, c.holder, c.objectSize])).toEqual([
      ['conn_cache', '@sites.c::conn_cache', 40],
      ['peer_cache', '@tbl', 16],
    ]);
    expect(siteIn('conn_new', 'kmem_cache_alloc').cache).toBe('conn_cache');
    expect(siteIn('peer_new', 'kmem_cache_alloc').cache).toBe('peer_cache');
  });
  it('finds wrappers that return fresh memory, and not lookups', () => {
    // constructors that return their new object are wrappers too (as dst_alloc is in the kernel)
    expect(new Map([...wrappers.values()].map((w) => [w.function.value.name, w.wraps]))).toEqual(
      new Map([
        ['zalloc_wrapper', '__kmalloc'],
        ['conn_new', 'kmem_cache_alloc'],
        ['peer_new', 'kmem_cache_alloc'],
        ['buffers', '__kmalloc'],
        ['label_dup', 'kstrdup'],
        ['label_or_blob', 'kstrdup'],
      ]),
    );
    const w = siteIn('buffers', 'zalloc_wrapper');
    expect(w.kind).toBe('slab');
    expect(w.type.name).toBe('struct peer');
    expect(sites.some((s) => s.allocator === 'conn_lookup_or_new')).toBe(false);
  });
  it('types objects from debug records, with size agreement', () => {
    const c = siteIn('conn_new', 'kmem_cache_alloc');
    expect(c.type).toMatchObject({ name: 'struct conn', kind: 'struct', size: 40 });
    expect(c.type.evidence.map((e) => e.kind)).toContain('debug-variable');
    expect(c.location[0]).toMatchObject({ file: './sites.c', function: 'conn_new' });
  });
  it('gives a typeless allocation a synthetic buffer type with a symbolic size', () => {
    const raw = siteIn('buffers', '__kmalloc');
    expect(raw.type.kind).toBe('buffer');
    expect(raw.type.name).toMatch(/^buf@buffers:\d+:\d+$/);
    expect(raw.size).toEqual({ expression: 'arg0', multipleOf: 8 }); // n * 24 + 8
  });
  it('marks the buffers of the string family as strings, through wrappers that only return strings', () => {
    expect(siteIn('labels', 'kstrdup').type).toMatchObject({ kind: 'buffer', contents: 'string' });
    expect(siteIn('labels', 'kasprintf').type).toMatchObject({ kind: 'buffer', contents: 'string' });
    expect(siteIn('labels', 'label_dup').type).toMatchObject({ kind: 'buffer', contents: 'string' });
    // a wrapper that may return a kmalloc'd blob is not a string allocator
    expect(siteIn('labels', 'label_or_blob').type.kind).toBe('buffer');
    expect(siteIn('labels', 'label_or_blob').type.contents).toBeUndefined();
    expect(siteIn('buffers', '__kmalloc').type.contents).toBeUndefined();
  });
  it('takes no type from a store into a union of pointers of several types, and one from a union whose pointers agree', () => {
    // n->link shares its bytes with n->pipe and n->peer: the string stays a string
    expect(siteIn('set_link', 'kstrdup').type).toMatchObject({ kind: 'buffer', contents: 'string' });
    expect(siteIn('set_link', 'kstrdup').type.header).toBeUndefined();
    expect(siteIn('set_peer', '__kmalloc').type).toMatchObject({ name: 'struct peer', kind: 'struct' });
  });
  it('classifies buddy, vmalloc and percpu allocations with their sizes', () => {
    expect(siteIn('buffers', '__get_free_pages')).toMatchObject({ kind: 'buddy', size: { constant: 16384 } });
    expect(siteIn('buffers', 'vmalloc')).toMatchObject({ kind: 'vmalloc', size: { constant: 1048576 } });
    expect(siteIn('buffers', '__alloc_percpu')).toMatchObject({ kind: 'percpu', size: { constant: 4 } });
  });
  it('gives every site a type and a unique id', () => {
    expect(new Set(sites.map((s) => s.id)).size).toBe(sites.length);
    for (const s of sites) expect(s.type.evidence.length, s.id).toBeGreaterThan(0);
  });
});

describe('typed pointers (clang 14 style)', () => {
  const src = `
%struct.conn = type { i32, [16 x i8] }
@conn_cache = internal global %struct.kmem_cache* null
%struct.kmem_cache = type opaque
define %struct.conn* @conn_new() {
entry:
  %0 = load %struct.kmem_cache*, %struct.kmem_cache** @conn_cache, align 8
  %call = call i8* @kmem_cache_alloc(%struct.kmem_cache* %0, i32 0)
  %c = bitcast i8* %call to %struct.conn*
  %id = getelementptr inbounds %struct.conn, %struct.conn* %c, i64 0, i32 0
  store i32 1, i32* %id, align 4
  ret %struct.conn* %c
}
define void @init() {
  %c = call %struct.kmem_cache* @kmem_cache_create(i8* getelementptr inbounds ([5 x i8], [5 x i8]* @.str, i64 0, i64 0), i32 20, i32 0, i64 0, i8* null)
  store %struct.kmem_cache* %c, %struct.kmem_cache** @conn_cache, align 8
  ret void
}
@.str = private constant [5 x i8] c"conn\\00"
declare i8* @kmem_cache_alloc(%struct.kmem_cache*, i32)
declare %struct.kmem_cache* @kmem_cache_create(i8*, i32, i32, i64, i8*)
`;
  const m = parseModule(src, { filename: 'typed.ll' });
  const p = new Program([{ module: m, name: 'typed.c', role: 'compartment' }]);
  const r = findAllocationSites(p, allocatorTable());
  it('reads the type from the pointer type and GEPs, and the cache through the global', () => {
    const s = r.sites.find((x) => x.allocator === 'kmem_cache_alloc')!;
    expect(s.cache).toBe('conn');
    expect(s.type.name).toBe('struct conn');
    expect(s.type.evidence.map((e) => e.kind).sort()).toEqual(['gep-source', 'typed-pointer']);
  });
});

describe('caches chosen at run time and through wrappers', () => {
  const src = `
@head_cache = global ptr null
@clone_cache = global ptr null
@.s1 = private constant [5 x i8] c"head\\00"
@.s2 = private constant [6 x i8] c"clone\\00"
define void @init() {
  %a = call ptr @kmem_cache_create(ptr @.s1, i32 232, i32 0, i64 0, ptr null)
  store ptr %a, ptr @head_cache
  %b = call ptr @kmem_cache_create(ptr @.s2, i32 496, i32 0, i64 0, ptr null)
  store ptr %b, ptr @clone_cache
  ret void
}
define internal ptr @obj_alloc(i1 %clone) {
  %h = load ptr, ptr @head_cache
  %c = load ptr, ptr @clone_cache
  %cache = select i1 %clone, ptr %c, ptr %h
  %o = call ptr @kmem_cache_alloc(ptr %cache, i32 0)
  ret ptr %o
}
define void @user() {
  %o = call ptr @obj_alloc(i1 true)
  store i32 1, ptr %o
  ret void
}
declare ptr @kmem_cache_create(ptr, i32, i32, i64, ptr)
declare ptr @kmem_cache_alloc(ptr, i32)
`;
  const m = parseModule(src, { filename: 'caches.ll' });
  const p = new Program([{ module: m, name: 'caches.c', role: 'compartment' }]);
  const r = findAllocationSites(p, allocatorTable());
  it('lists both caches of a select', () => {
    const inner = r.sites.find((s) => s.caller === 'obj_alloc')!;
    expect(inner.caches).toEqual(['clone', 'head']);
  });
  it('gives a wrapper call site the caches of the allocation it wraps', () => {
    const outer = r.sites.find((s) => s.caller === 'user')!;
    expect(outer.allocator).toBe('obj_alloc');
    expect([outer.cache, outer.caches]).toEqual(['clone', ['clone', 'head']]);
  });
});
