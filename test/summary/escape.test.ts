// Which allocation sites a lost pointer may point to, over the whole program (issue 12): a
// typeless buffer whose address stays with what the analysis follows (read by an exported
// function of another TU, freed, passed through helpers, returned to a caller that only reads it,
// stored into a field no TU loads, passed as a variadic argument only read, handed to assembly
// that only moves bytes) is left out of "any object of type T"; one that a callee keeps, hands to
// code without IR, or returns to a caller that keeps it stays in. Fixtures: hand-written C made
// into test/fixtures/summary/escape-*.ll (command line in escape-lib.c).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { allocatorTable, findAllocationSites, PointsTo, Program } from '../../src/analysis/index.js';
import { asmOperands } from '../../src/analysis/writes.js';
import type { Policy } from '../../src/policy/schema.js';
import {
  analyzeWithSummaries,
  EscapeClosure,
  externalFacts,
  fixedParameters,
  summarizeFile,
  type TuSummary,
} from '../../src/summary/index.js';

const dir = join(import.meta.dirname, '../fixtures/summary');
const LIB = join(dir, 'escape-lib.ll');
const COMP = join(dir, 'escape-comp.ll');

/** The allocation site made in `fn`. */
function siteIn(s: TuSummary, fn: string): string {
  const ids = s.sites.filter((x) => x.caller === fn).map((x) => x.id);
  expect(ids, `sites in ${fn}`).toHaveLength(1);
  return ids[0]!;
}

function pokeSet(policy: Policy) {
  const writes = policy.accesses.filter((a) => a.function === 'poke');
  expect(writes).toHaveLength(1);
  return writes[0]!.legal;
}

describe('escape across TUs', () => {
  let lib: TuSummary;
  let comp: TuSummary;
  beforeAll(async () => {
    [lib, comp] = await Promise.all([summarizeFile(LIB), summarizeFile(COMP)]);
  });

  it('a summary lists the untyped parameters that escape, not the one only read through', () => {
    const params = lib.escapes.filter((o) => o.startsWith('param:'));
    expect(params).toEqual(['param:copy_elsewhere:0', 'param:copy_elsewhere:1', 'param:keep:0', 'param:keep_page:0']);
    // keep_hash keeps the address's low half only (`ptr_to_hashval`): no address, no escape
    // same returns it: its callers' walks of the result decide (`param:` in its returns)
    expect(lib.functions.find((f) => f.name === 'same')?.returns).toContain('param:same:0@*');
    // fill's buffer goes through put, which returns it moved on: followed back in fill, not an escape
    expect(lib.escapes).not.toContain('param:fill:0');
    // hand_off passes its own parameter on: recorded for the whole program, not an escape here
    expect(lib.arguments).toContainEqual(['opaque', 0, ['passed:hand_off:0@0', 'passed:relay:0@*', 'unknown@*']]);
    // relay passes its parameter on through a static helper, and returns an int another TU counts
    // of it: both calls recorded, no escape (the old walk counted the int as the address returned)
    expect(lib.escapes).not.toContain('param:relay:0');
    expect(lib.arguments).toContainEqual(['opaque_count', 0, ['passed:relay:0@0']]);
  });

  it('a returned parameter escapes only where a caller lets the result escape, even a caller in its own TU', () => {
    const closure = new EscapeClosure([lib, comp], true);
    const confined = closure.confinedSites([]);
    // skip returns its buffer moved on; through_skip only measures the result
    expect(lib.functions.find((f) => f.name === 'skip')?.returns).toContain('param:skip:0@*');
    expect(comp.arguments.find(([callee, k]) => callee === 'measure' && k === 0)?.[2]).toContain('result:skip@*');
    expect(confined.has(siteIn(comp, 'through_skip'))).toBe(true);
    // keep_returned hands what returned_buffer (same TU, not inlined) returns, same's result, to keep
    expect(comp.arguments.find(([callee, k]) => callee === 'keep' && k === 0)?.[2]).toContain('result:returned_buffer@*');
    expect(comp.functions.find((f) => f.name === 'returned_buffer')?.returns).toContain('result:same@*');
    expect(confined.has(siteIn(comp, 'returned_buffer'))).toBe(false);
    expect(closure.because.get('result:returned_buffer')).toBe('with param:keep:0');
    expect(closure.because.get('result:same')).toBe('with result:returned_buffer');
    expect(closure.because.get('param:same:0')).toBe('with result:same');
    // the open world: callers outside the summaries may keep any result
    expect(new EscapeClosure([lib, comp], false).confinedSites([]).has(siteIn(comp, 'through_skip'))).toBe(false);
  });

  it('a parameter stored into a typed field or an exported global escapes only where some TU loads it, its own TU too', () => {
    expect(lib.fieldStores).toContainEqual(['T:struct holder@8', ['passed:attach:1@*', 'unknown@*']]);
    expect(lib.fieldStores).toContainEqual(['G:kept@0', ['passed:park:0@*', 'unknown@*']]);
    expect(lib.escapes).not.toContain('param:attach:1');
    const sites = [siteIn(comp, 'attached_buffer'), siteIn(comp, 'parked_buffer')];
    const confined = new EscapeClosure([lib, comp], true).confinedSites([]);
    for (const site of sites) expect(confined.has(site), site).toBe(true);
    // a TU that loads both: another one, or the storing one itself (whose analysis lost the parameter)
    for (const module of ['reader.c', lib.module]) {
      const reader: TuSummary = { ...lib, module, fieldStores: [], fieldLoads: ['G:kept@0', 'T:struct holder@8'], escapes: [], holds: [] };
      const closure = new EscapeClosure([lib, comp, reader], true);
      const open = closure.confinedSites([]);
      for (const site of sites) expect(open.has(site), `${site} loaded by ${module}`).toBe(false);
      expect(closure.because.get('param:park:0')).toMatch(module === 'reader.c' ? /loaded elsewhere/ : /loaded there/);
    }
  });

  it('variadic arguments are followed through va_start into the va_list walks, across TUs', () => {
    // measure_all hands its va_list to vmeasure, which only reads the strings behind it
    expect(lib.escapes).not.toContain('va:measure_all');
    expect(lib.vaLists).toEqual([['vmeasure', 1]]);
    // keep_all hands its va_list to vkeep, another TU's, which keeps the first string
    expect(lib.vaPasses).toEqual([['vkeep', 0, ['va:keep_all@*']]]);
    expect(comp.vaLists).toEqual([['vkeep', 0]]);
    expect(comp.escapes).toContain('va:vkeep:0');
    const closure = new EscapeClosure([lib, comp], true);
    const confined = closure.confinedSites([]);
    expect(confined.has(siteIn(comp, 'measured_vararg'))).toBe(true);
    expect(confined.has(siteIn(comp, 'kept_vararg'))).toBe(false);
    expect(closure.because.get(`site:${siteIn(comp, 'kept_vararg')}`)).toBe('with va:keep_all');
    expect(closure.because.get('va:keep_all')).toBe('with va:vkeep:0');
    // a va_list passed to a function whose TU did not walk that parameter: what is behind it escapes
    const unwalked = new EscapeClosure([lib, { ...comp, vaLists: [], escapes: [] }], true);
    expect(unwalked.confinedSites([]).has(siteIn(comp, 'kept_vararg'))).toBe(false);
    expect(unwalked.because.get('va:keep_all')).toMatch(/behind a va_list passed to vkeep .* not walked there/);
  });

  it('a static function called indirectly from another TU has its parameters walked', () => {
    // op_buffer calls ops->len, which the library sets to its static op_len
    const closure = new EscapeClosure([lib, comp], true);
    expect(lib.escapes).not.toContain('param:escape-lib.c::op_len:0');
    expect(closure.confinedSites([]).has(siteIn(comp, 'op_buffer'))).toBe(true);
    // a static function its TU does not walk (no address taken there): what is passed escapes
    const unwalked = { ...lib, functions: lib.functions.map((f) => (f.name === 'op_len' ? { ...f, addressTaken: false } : f)) };
    const without = new EscapeClosure([unwalked, comp], true);
    expect(without.confinedSites([]).has(siteIn(comp, 'op_buffer'))).toBe(false);
    expect(without.because.get(`site:${siteIn(comp, 'op_buffer')}`)).toMatch(/passed to escape-lib.c::op_len/);
  });

  it('assembly that only moves bytes keeps no pointer: copy_user_generic and copy_page', () => {
    // copy_out's asm only calls copy_user_generic_unrolled or _string; copy_elsewhere's calls opaque
    expect(lib.escapes).not.toContain('param:copy_out:0');
    expect(lib.escapes).not.toContain('param:copy_out:1');
    expect(lib.escapes).toEqual(expect.arrayContaining(['param:copy_elsewhere:0', 'param:copy_elsewhere:1']));
    // copy_page has no IR, and only moves bytes
    const closure = new EscapeClosure([lib, comp], true);
    expect(closure.confinedSites([]).has(siteIn(comp, 'paged_buffer'))).toBe(true);
    expect(closure.because.get('param:hand_off:0')).toMatch(/passed to opaque/);
  });

  it('the closure decides a parameter passed on through a helper where the callee is', () => {
    const closure = new EscapeClosure([lib, comp], true);
    closure.confinedSites([]);
    expect(closure.because.get('param:relay:0')).toMatch(/passed to opaque/);
  });

  it('the closure: measured and freed stays confined; kept, handed to code without IR, returned escape', () => {
    const closure = new EscapeClosure([lib, comp], true);
    const confined = closure.confinedSites([]);
    expect(confined.has(siteIn(comp, 'confined_buffer'))).toBe(true);
    for (const fn of ['kept_buffer', 'handed_buffer', 'returned_buffer']) expect(confined.has(siteIn(comp, fn)), fn).toBe(false);
    expect(closure.because.get('param:hand_off:0')).toMatch(/passed to opaque/);
    expect(closure.because.get(`site:${siteIn(comp, 'kept_buffer')}`)).toBe('with param:keep:0');
    // merged with a lost pointer (`e ? e : (char *)addr`) and written through: still named, so confined
    expect(confined.has(siteIn(comp, 'merged_buffer'))).toBe(true);
    // what the program read in full lets escape in its own solve escapes too
    expect(closure.confinedSites([`site:${siteIn(comp, 'confined_buffer')}`]).has(siteIn(comp, 'confined_buffer'))).toBe(false);
  });

  it('a buffer stored into a field escapes only when another TU loads it, directly or through a record related by embedding', () => {
    const site = siteIn(comp, 'fill_holder');
    expect(comp.fieldStores.find(([cell]) => cell === 'T:struct holder@8')?.[1]).toContain(`site:${site}@0`);
    const reader = (loads: string[], records: TuSummary['records']): TuSummary => ({
      ...lib,
      module: 'reader.c',
      functions: [],
      globals: [],
      calls: [],
      arguments: [],
      indirectCalls: [],
      sites: [],
      caches: [],
      wrappers: [],
      setters: [],
      fieldCopies: [],
      opaqueFields: [],
      fieldStores: [],
      records,
      fieldLoads: loads,
      escapes: [],
      holds: [],
      externals: [],
    });
    expect(new EscapeClosure([lib, comp], true).confinedSites([]).has(site)).toBe(true);
    expect(new EscapeClosure([lib, comp, reader(['T:struct holder@8'], [])], true).confinedSites([]).has(site)).toBe(false);
    // a `struct box` holding a `struct holder` at 16: its cell at 24 is the holder's `data`
    const boxFacts: TuSummary['records'] = [['struct box', 32, ['struct holder'], [], [], [['struct holder', 16]]]];
    const box = reader(['T:struct box@24'], boxFacts);
    const closure = new EscapeClosure([lib, comp, box], true);
    expect(closure.confinedSites([]).has(site)).toBe(false);
    expect(closure.because.get(`site:${site}`)).toMatch(/stored into T:struct holder@8 .* loaded elsewhere/);
    // the box's other bytes (its own field at 8, the holder's `n` at 16) are not the holder's `data`
    expect(new EscapeClosure([lib, comp, reader(['T:struct box@8', 'T:struct box@16'], boxFacts)], true).confinedSites([]).has(site)).toBe(
      true,
    );
    // a whole-box copy reads every byte of it
    expect(new EscapeClosure([lib, comp, reader(['T:struct box@*'], boxFacts)], true).confinedSites([]).has(site)).toBe(false);
    // the open world: code outside the summaries may load any shared cell
    expect(new EscapeClosure([lib, comp], false).confinedSites([]).has(site)).toBe(false);
  });

  it("a buffer stored through a lost `struct holder *` goes to the holder's field cell, not everywhere", () => {
    // `h = (struct holder *)addr; h->data = buf`: the analysis cannot follow addr, but the write is to a holder's data
    const site = siteIn(comp, 'fill_lost_holder');
    expect(comp.fieldStores.find(([cell]) => cell === 'T:struct holder@8')?.[1]).toContain(`site:${site}@0`);
    expect(comp.escapes).not.toContain(`site:${site}`);
    expect(new EscapeClosure([lib, comp], true).confinedSites([]).has(site)).toBe(true);
  });

  it('a buffer beside "unknown" in a stored set stays named in the summary: it escapes only where that cell is read', () => {
    // `h->data = e ? e : (char *)addr`
    const site = siteIn(comp, 'fill_holder_merged');
    expect(comp.fieldStores.find(([cell]) => cell === 'T:struct holder@8')?.[1]).toEqual(
      expect.arrayContaining([`site:${site}@0`, 'unknown@*']),
    );
    expect(comp.escapes).not.toContain(`site:${site}`);
    expect(new EscapeClosure([lib, comp], true).confinedSites([]).has(site)).toBe(true);
  });

  it("a private area's cells are both records': a store into one is loaded elsewhere through the other", () => {
    const site = siteIn(comp, 'fill_holder');
    // fill_holder stores into `struct holder` at 8; say a TU found a holder at 64 past a `struct dev`'s end
    const area = { ...comp, privateAreas: [['struct dev', 64, 'struct holder']] as [string, number, string][] };
    const loader = (loads: string[]): TuSummary => ({
      ...lib,
      module: 'reader.c',
      fieldLoads: loads,
      escapes: [],
      holds: [],
      privateAreas: [],
    });
    expect(new EscapeClosure([lib, area], true).confinedSites([]).has(site)).toBe(true);
    // the same bytes through the owner: at 64 + 8, or at an unknown offset
    expect(new EscapeClosure([lib, area, loader(['T:struct dev@72'])], true).confinedSites([]).has(site)).toBe(false);
    expect(new EscapeClosure([lib, area, loader(['T:struct dev@*'])], true).confinedSites([]).has(site)).toBe(false);
    // another field of the owner is other bytes
    expect(new EscapeClosure([lib, area, loader(['T:struct dev@8'])], true).confinedSites([]).has(site)).toBe(true);
  });

  it('"any struct hdr" admits the escaping buffers and leaves the confined one out (closed and open world)', async () => {
    for (const closedWorld of [true, false]) {
      const { policy } = await analyzeWithSummaries([COMP], [lib, comp], { closedWorld });
      const legal = pokeSet(policy);
      expect(legal.reasons.map((r) => r.detail)).toContain('any object of type struct hdr');
      expect(legal.slabSites).not.toContain(siteIn(comp, 'confined_buffer'));
      for (const fn of ['kept_buffer', 'handed_buffer', 'returned_buffer']) expect(legal.slabSites, fn).toContain(siteIn(comp, fn));
    }
  });

  it('"any struct hdr" leaves out an escaping string: text by kstrdup\'s contract, no header lives in it', async () => {
    const string = siteIn(comp, 'kept_string');
    expect(comp.sites.find((x) => x.id === string)?.type).toMatchObject({ kind: 'buffer', contents: 'string' });
    expect(new EscapeClosure([lib, comp], true).confinedSites([]).has(string)).toBe(false);
    for (const closedWorld of [true, false]) {
      const { policy } = await analyzeWithSummaries([COMP], [lib, comp], { closedWorld });
      const legal = pokeSet(policy);
      expect(legal.slabSites).toContain(siteIn(comp, 'kept_buffer'));
      expect(legal.slabSites).not.toContain(string);
    }
  });

  it('"any struct hdr" leaves out the typed headers no lost pointer reaches, too (closed world)', async () => {
    const { policy } = await analyzeWithSummaries([COMP], [lib, comp], { closedWorld: true });
    const sites = new Map(policy.allocationSites.map((x) => [x.id, x]));
    const confined = siteIn(comp, 'confined_hdr');
    const kept = siteIn(comp, 'kept_hdr');
    expect(sites.get(confined)?.type).toMatchObject({ kind: 'struct', name: 'struct hdr' });
    expect(sites.get(kept)?.type).toMatchObject({ kind: 'struct', name: 'struct hdr' });
    const legal = pokeSet(policy);
    expect(legal.slabSites).toContain(kept);
    expect(legal.slabSites).not.toContain(confined);
  });

  it('without the library summary the confined buffer is passed where nothing follows it: it stays in', async () => {
    const { policy } = await analyzeWithSummaries([COMP], [comp], { closedWorld: true });
    expect(pokeSet(policy).slabSites).toContain(siteIn(comp, 'confined_buffer'));
  });

  it('a reference the facts name symbolically and the analysis cannot resolve is lost there: what it stands for escapes', async () => {
    // skip's result as another TU's function would return it: what `elsewhere` returns, unresolved here
    const program = await Program.load([COMP]);
    const found = findAllocationSites(program, allocatorTable());
    const facts = externalFacts([lib], new Set([comp.module]), { closedWorld: true });
    facts.returns.set('skip', ['result:elsewhere@*']);
    const pts = new PointsTo(program, found.sites, found.siteCalls, facts);
    pts.solve();
    expect(pts.escapingObjects()).toContain('result:elsewhere');
    // the closure then lets everything `elsewhere` returns escape
    const closure = new EscapeClosure([lib, comp], true);
    closure.confinedSites(pts.escapingObjects());
    expect(closure.escaped.has('result:elsewhere')).toBe(true);
  });

  it('reads asm constraints: register operands, memory operands, and whether the asm may write memory', () => {
    expect(asmOperands('=r,r,*m,~{dirflag}')).toEqual({
      args: [
        { indirect: false, output: false },
        { indirect: true, output: false },
      ],
      writesMemory: false,
    });
    expect(asmOperands('=*m,r,~{memory}').writesMemory).toBe(true);
    expect(asmOperands('=*m,r').args).toEqual([
      { indirect: true, output: true },
      { indirect: false, output: false },
    ]);
    expect(fixedParameters('i32 (ptr, { i64, i64 }, ...)')).toBe(2);
    expect(fixedParameters('void ()')).toBe(0);
  });
});
