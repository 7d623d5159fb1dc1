// Legal sets for per-cpu memory (the kernel's %gs-relative asm and
// this_cpu_ptr arithmetic), memcpy moving pointers between objects, and
// clang 14 typed-pointer IR — on small hand-written modules.
import { describe, expect, it } from 'vitest';
import { analyzeProgram, Program } from '../../src/analysis/index.js';
import { parseModule } from '../../src/index.js';

function analyzeText(src: string) {
  const module = parseModule(src, { filename: 't.ll' });
  const program = new Program([{ module, name: 't.c', role: 'compartment' }]);
  return analyzeProgram(program).policy;
}

describe('per-cpu writes', () => {
  const policy = analyzeText(`
@counter = global i64 0, section ".data..percpu"
@stats = internal global ptr null
define void @bump() {
  ; this_cpu_inc(counter): incq %gs:counter
  call void asm sideeffect "incq %gs:$0", "=*m,*m,~{dirflag}"(ptr elementtype(i64) @counter, ptr elementtype(i64) @counter)
  ret void
}
define void @init() {
  %p = call ptr @__alloc_percpu(i64 16, i64 8)
  store ptr %p, ptr @stats, align 8
  ret void
}
define void @use() {
  %base = load ptr, ptr @stats, align 8
  ; this_cpu_ptr(stats): add %gs:this_cpu_off, base
  %mine = call ptr asm "add %gs:this_cpu_off, $0", "=r,0"(ptr %base)
  store i64 1, ptr %mine, align 8
  ret void
}
declare ptr @__alloc_percpu(i64, i64)
`);
  it('a %gs write to a per-cpu variable is per-cpu', () => {
    const w = policy.accesses.find((a) => a.function === 'bump')!;
    expect(w.callee).toBe('asm');
    expect(w.legal).toMatchObject({ any: false, percpu: true, globals: [] });
  });
  it('a write through this_cpu_ptr of a per-cpu allocation is per-cpu', () => {
    const w = policy.accesses.find((a) => a.function === 'use')!;
    expect(w.legal).toMatchObject({ any: false, percpu: true });
  });
});

describe('asm operands: what the result is, what is stored', () => {
  // the kernel's own forms (clang 19, net/core/skbuff.c and net/ipv6/route.c)
  const policy = analyzeText(`
@this_cpu_off = external global i64, section ".data..percpu..read_mostly"
@cache = internal global [4 x ptr] zeroinitializer, section ".data..percpu"
@slot = internal global ptr null
@obj = global i64 0
@other = global i64 0
define void @fill() {
  store ptr @obj, ptr @slot, align 8
  ret void
}
define void @use_cache() {
  ; this_cpu_ptr(&cache): the memory operand is read (an integer), the tied register input moved
  %off = call i64 asm "add %gs:$1, $0", "=r,*m,0,~{dirflag},~{fpsr},~{flags}"(ptr elementtype(i64) @this_cpu_off, ptr @cache)
  %mine = inttoptr i64 %off to ptr
  store ptr null, ptr %mine, align 8
  ret void
}
define void @swap() {
  ; old = xchg(&slot, &other): the result is what the slot held, and &other is stored there
  %old = call ptr asm sideeffect "xchgq \${0:q}, $1", "=r,=*m,0,*m,~{memory},~{cc}"(ptr elementtype(ptr) @slot, ptr @other, ptr elementtype(ptr) @slot)
  store i64 1, ptr %old, align 8
  %now = load ptr, ptr @slot, align 8
  store i64 2, ptr %now, align 8
  ret void
}
`);
  const legal = (fn: string, k: number) => policy.accesses.filter((a) => a.function === fn && a.op === 'store')[k]!.legal;
  it('this_cpu_ptr points into the per-cpu variable, not into this_cpu_off', () => {
    expect(legal('use_cache', 0)).toMatchObject({ any: false, percpu: true, percpuGlobals: ['t.c::cache'] });
  });
  it("xchg's result is the memory operand's old content, not its address", () => {
    expect(legal('swap', 0)).toMatchObject({ any: false, globals: ['obj', 'other'] });
  });
  it('xchg stores its register input through the memory operand', () => {
    expect(legal('swap', 1)).toMatchObject({ any: false, globals: ['obj', 'other'] });
  });
});

describe('memcpy moves pointers', () => {
  const policy = analyzeText(`
@g = global i32 0
define void @f() {
  %a = alloca [2 x ptr], align 8
  %b = alloca [2 x ptr], align 8
  store ptr @g, ptr %a, align 8
  call void @llvm.memcpy.p0.p0.i64(ptr %b, ptr %a, i64 16, i1 false)
  %p = load ptr, ptr %b, align 8
  store i32 1, ptr %p, align 4
  ret void
}
declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)
`);
  it('a pointer copied by memcpy is followed', () => {
    const w = policy.accesses.filter((a) => a.function === 'f' && a.op === 'store').at(-1)!;
    expect(w.legal).toMatchObject({ any: false, globals: ['g'] });
    expect(policy.accesses.find((a) => a.op === 'memcpy')!.legal).toMatchObject({ any: false, stack: true });
  });
});

describe('typed pointers (clang 14 IR)', () => {
  const policy = analyzeText(`
%struct.conn = type { i32, %struct.conn* }
@head = internal global %struct.conn* null
define void @add() {
  %m = call i8* @__kmalloc(i64 16, i32 0)
  %c = bitcast i8* %m to %struct.conn*
  %next = getelementptr inbounds %struct.conn, %struct.conn* %c, i64 0, i32 1
  %old = load %struct.conn*, %struct.conn** @head, align 8
  store %struct.conn* %old, %struct.conn** %next, align 8
  store %struct.conn* %c, %struct.conn** @head, align 8
  ret void
}
define void @touch() {
  %h = load %struct.conn*, %struct.conn** @head, align 8
  %id = getelementptr inbounds %struct.conn, %struct.conn* %h, i64 0, i32 0
  store i32 7, i32* %id, align 4
  ret void
}
declare i8* @__kmalloc(i64, i32)
`);
  it('follows a typed-pointer list head to its allocation site', () => {
    const site = policy.allocationSites[0]!;
    expect(site.type.name).toBe('struct conn');
    const w = policy.accesses.find((a) => a.function === 'touch')!;
    expect(w.legal).toMatchObject({ any: false, slabSites: [site.id] });
    const link = policy.accesses.find((a) => a.function === 'add' && a.width === 8 && a.legal.slabSites.length)!;
    expect(link.legal.slabSites).toEqual([site.id]);
  });
});
