// Tests unionLegalSets (src/policy/legal-set.ts), the join the orphan fallback checks against:
// every entry of every set is kept, and the optional refinements keep their "absent means
// unbounded" reading (per-cpu memory, foreign types), so the union is never narrower than a part.
import { describe, expect, it } from 'vitest';
import { legalSetAdmits } from '../../src/policy/admits.js';
import { emptyLegalSet, unionLegalSets } from '../../src/policy/legal-set.js';

describe('unionLegalSets', () => {
  it('keeps every entry and region of every set, reasons once', () => {
    const r = { kind: 'other' as const, detail: 'x' };
    const a = emptyLegalSet({ globals: ['b', 'a'], slabSites: ['s1'], stack: true, reasons: [r] });
    const b = emptyLegalSet({ globals: ['a', 'c'], slabCaches: ['cred_jar'], vmallocCallers: ['f'], vmemmap: true, reasons: [r] });
    const u = unionLegalSets([a, b]);
    expect(u).toMatchObject({
      any: false,
      stack: true,
      vmemmap: true,
      globals: ['a', 'b', 'c'],
      slabSites: ['s1'],
      slabCaches: ['cred_jar'],
    });
    expect(u.reasons).toEqual([r]);
    expect(legalSetAdmits(u, { region: 'slab', cache: 'cred_jar' })).toBe(true);
    expect(legalSetAdmits(u, { region: 'global', symbol: 'b' })).toBe(true);
    expect(legalSetAdmits(u, { region: 'global', symbol: 'modprobe_path' })).toBe(false);
    expect(unionLegalSets([])).toEqual(emptyLegalSet());
  });

  it('is "any" (with the reasons only) when one part is', () => {
    const u = unionLegalSets([
      emptyLegalSet({ globals: ['a'] }),
      emptyLegalSet({ any: true, reasons: [{ kind: 'int-to-ptr', detail: 'p' }] }),
    ]);
    expect(u).toEqual({ ...emptyLegalSet(), any: true, reasons: [{ kind: 'int-to-ptr', detail: 'p' }] });
  });

  it('per-cpu: unbounded when one part allows per-cpu memory without naming variables or areas', () => {
    const named = emptyLegalSet({ percpu: true, percpuGlobals: ['v'] });
    const areas = emptyLegalSet({ percpu: true, percpuAreas: true });
    expect(unionLegalSets([named, areas])).toMatchObject({ percpu: true, percpuGlobals: ['v'], percpuAreas: true });
    const u = unionLegalSets([named, emptyLegalSet({ percpu: true })]);
    expect(u.percpu).toBe(true);
    expect(u.percpuGlobals).toBeUndefined();
    expect(u.percpuAreas).toBeUndefined();
  });

  it('foreign: any type when one part admits foreign objects without naming types; else the union of types', () => {
    const t1 = emptyLegalSet({ foreign: true, foreignTypes: [{ name: 'struct sock', size: 760 }] });
    const t2 = emptyLegalSet({ foreign: true, foreignTypes: [{ name: 'struct file', size: 232 }] });
    expect(unionLegalSets([t1, t2]).foreignTypes?.map((t) => t.name)).toEqual(['struct file', 'struct sock']);
    const u = unionLegalSets([t1, emptyLegalSet({ foreign: true })]);
    expect(u.foreign).toBe(true);
    expect(u.foreignTypes).toBeUndefined();
  });
});
