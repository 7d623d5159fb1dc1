// Points-to and legal sets on a small clang-19 module (test/fixtures/analysis/flows.c):
// field-sensitive flow across functions, phi/select merges, stack and globals,
// int-to-ptr and unknown-external widening with reasons, debug-type fallback,
// vmalloc caller, container_of, a lost pointer typed by its field, its origins or bounded by __percpu;
// inline-asm write constraints.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeProgram, asmWrittenArgs, Program } from '../../src/analysis/index.js';
import { parseModule, validatePolicy } from '../../src/index.js';

const file = join(import.meta.dirname, '../fixtures/analysis/flows.ll');
const module = parseModule(readFileSync(file), { filename: file });
const program = new Program([{ module, name: module.sourceFilename!, role: 'compartment' }]);
const { policy } = analyzeProgram(program);
const at = (fn: string, line: number) => {
  const a = policy.accesses.filter((x) => x.function === fn && x.location[0]?.line === line);
  expect(a, `${fn}:${line}`).toHaveLength(1);
  return a[0]!.legal;
};

describe('legal sets', () => {
  it('produces a policy that validates', () => {
    expect(() => validatePolicy(policy)).not.toThrow();
    expect(policy.accesses).toHaveLength(20);
  });
  it('follows a pointer stored into a field in one function and written through in another', () => {
    expect(at('holder_use', 31)).toMatchObject({ any: false, slabSites: ['flows.c:holder_fill:0'], globals: [], stack: false });
  });
  it('merges phi/select origins: a site or a global, the stack or a global', () => {
    expect(at('merges', 44)).toMatchObject({ any: false, slabSites: ['flows.c:merges:1'], globals: ['flows.c::global_item'] });
    expect(at('merges', 47)).toMatchObject({ any: false, stack: true, globals: ['counter'], slabSites: [] });
  });
  it('widens int-to-ptr and untyped external results to anything, saying why', () => {
    const w4 = at('widen', 52);
    expect(w4.any).toBe(true);
    expect(w4.reasons.map((r) => r.kind)).toEqual(['int-to-ptr']);
    const w5 = at('widen', 54);
    expect(w5.any).toBe(true);
    expect(w5.reasons[0]).toMatchObject({ kind: 'unknown-external', detail: 'result of ext_get' });
  });
  it('falls back to every object of the debug type for a typed external result', () => {
    const w6 = at('widen', 56);
    expect(w6.any).toBe(false);
    expect(w6.slabSites).toEqual(['flows.c:holder_fill:0', 'flows.c:merges:1']);
    expect(w6.globals).toEqual(['flows.c::global_item']);
    expect(w6.reasons[0]).toMatchObject({ kind: 'untyped-origin', detail: 'any object of type struct item' });
  });
  it('allows a vmalloc area by its caller, and container_of by the enclosing types', () => {
    expect(at('vm_and_container', 62)).toMatchObject({ any: false, vmallocCallers: ['vm_and_container'], stack: false });
    const w8 = at('vm_and_container', 64);
    expect(w8.any).toBe(false);
    expect(w8.reasons[0]!.detail).toBe('any object of type struct node');
  });
  it('types a lost pointer that no variable names by the field it is loaded from (multi-layer typing)', () => {
    // `((struct dev *)ext_get())[i].st->tx`: nothing the program stores reaches `st`, but `struct dev` declares it
    // a `struct stats *`, so the write lands in a struct stats
    const w9 = at('field_typed', 76);
    expect(w9.any).toBe(false);
    expect(w9.reasons[0]).toMatchObject({ kind: 'untyped-origin', detail: 'any object of type struct stats' });
    // `…[i].buf[2]`: a `char *` field names no record, so the write stays unbounded
    const w10 = at('field_typed', 77);
    expect(w10.any).toBe(true);
    expect(w10.reasons[0]).toMatchObject({ kind: 'unknown-load' });
  });
  it('bounds a lost __percpu pointer (btf_type_tag "percpu" on its field) to per-cpu memory', () => {
    const w11 = at('field_typed', 78);
    expect(w11).toMatchObject({ any: false, percpu: true, stack: false, slabSites: [], globals: [] });
    // no variable or area named: every per-cpu byte (emit gives it KC_F_PERCPU_ANY), nothing else
    expect(w11.percpuGlobals).toBeUndefined();
    expect(w11.percpuAreas).toBeUndefined();
    expect(w11.reasons[0]!.detail).toBe('any per-cpu memory (a __percpu pointer)');
    // a `struct stats __percpu *`: the dynamic per-cpu areas (which of them hold a struct stats the
    // run time cannot tell), not a slab struct stats
    const w12 = at('field_typed', 79);
    expect(w12).toMatchObject({ any: false, percpu: true, percpuAreas: true, stack: false, slabSites: [], globals: [] });
    expect(w12.reasons[0]!.detail).toBe('any per-cpu struct stats (a __percpu pointer)');
  });
  it('types a byte pointer stepped along a lost object by its origin, unless an origin is a byte buffer', () => {
    // `char *d = it->tag + n; … d += 2`: d is a char * (no record) and a loop phi, but every value
    // it may be starts at `struct item *it`: the write lands in that item
    const w13 = at('step', 90);
    expect(w13.any).toBe(false);
    expect(w13.reasons[0]).toMatchObject({ kind: 'untyped-origin', detail: 'any object of type struct item' });
    // `c > 5 ? it->tag + n : (char *)ext_get()`: one origin names no record, so the write stays unbounded
    const w14 = at('step', 94);
    expect(w14.any).toBe(true);
    expect(w14.reasons.map((r) => r.kind)).toContain('unknown-external');
  });
  it('types a list cursor by the entry debug info places it in (list_for_each_entry)', () => {
    // the loop keeps `&e->link` as a phi bound by `e = cursor - 8` (DW_OP_constu 8, DW_OP_minus):
    // `e->b` lands in a struct elem, not in any object holding a struct node
    const w15 = at('walk', 109);
    expect(w15.any).toBe(false);
    expect(w15.reasons.map((r) => r.detail)).toEqual(['any object of type struct elem']);
  });
  it('types a lost parameter nothing types by what the callers the program holds pass (ndisc_mc_map)', () => {
    // `fill_byte(it->tag)`, with `it` a lost `struct item *`: the static callee's `char *buf`
    // lands where its only caller's argument does
    const w17 = at('fill_byte', 138);
    expect(w17.any).toBe(false);
    expect(w17.reasons.map((r) => r.detail)).toEqual(['any object of type struct item']);
    // a second caller passes `(char *)ext_get()`, which nothing types: the write stays unbounded
    const w18 = at('fill_byte_mixed', 143);
    expect(w18.any).toBe(true);
    // the reason follows the parameter to the caller that loses it, and names only the untyped one
    expect(w18.reasons).toMatchObject([{ kind: 'unknown-external', detail: 'argument %buf: from caller_typed: result of ext_get' }]);
  });
  it('says where a callee the program has loses the pointer it returns, not "unknown-external"', () => {
    const w19 = at('via_callee', 163);
    expect(w19.any).toBe(true);
    expect(w19.reasons).toMatchObject([
      { kind: 'int-to-ptr', detail: 'result of pick: %0 = inttoptr', location: [{ line: 157, function: 'pick' }] },
    ]);
  });
  it('types a write at another offset from a lost byte pointer by its typed sibling (`fh = __skb_push(…)`)', () => {
    // `h = data - 8` is bound to `struct hdr8 *h`; the optimizer writes `h->b` as `data - 7`
    const w16 = at('push_hdr', 125);
    expect(w16.any).toBe(false);
    expect(w16.reasons.map((r) => r.detail)).toEqual(['any object of type struct hdr8']);
  });
  it('writes into the argument object of a function callable from outside by its type', () => {
    expect(at('holder_fill', 25)).toMatchObject({ any: false, globals: ['the_holder'], stack: true });
  });
});

describe('inline asm writes', () => {
  it('finds the arguments of =*m outputs, skipping direct outputs, clobbers and labels', () => {
    expect(asmWrittenArgs('={@ccz},=*m,={ax},r,*m,2,~{memory},~{dirflag}')).toEqual([0]);
    expect(asmWrittenArgs('=r,=*m,0,*m,~{memory},~{cc}')).toEqual([0]);
    expect(asmWrittenArgs('*m,=*m,r')).toEqual([1]);
    expect(asmWrittenArgs('i,i,!i,~{dirflag}')).toEqual([]);
  });
});
