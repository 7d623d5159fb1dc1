// Tests the attack matrix's accounting of machine sites (scripts/e2e/attack.ts machineSites,
// siteVerdict) without a VM: an unmapped access whose function has orphan-write fallback sites
// counts as checked by all of those programs (caught only when each reports), with its OWN legal
// set as the truth; it stays "unmapped" when one of those instructions has no program; the
// fallback's own instructions are not sites of their own.
import { describe, expect, it } from 'vitest';
import { emptyLegalSet, unionLegalSets } from '../../src/policy/legal-set.js';
import type { Access, BinarySite, Policy } from '../../src/policy/schema.js';
import { fallbackInstructions, machineSites, siteVerdict } from '../../scripts/e2e/attack.js';

const site = (symbol: string, offset: number, extra: Partial<BinarySite> = {}): BinarySite => ({
  object: 'x.o',
  symbol,
  offset,
  section: '.text',
  operand: { base: 'rdi', scale: 1, displacement: 0, width: 8 },
  confidence: 'exact',
  ...extra,
});
const access = (id: string, fn: string, legal = emptyLegalSet(), binary: BinarySite[] = [], extra: Partial<Access> = {}): Access => ({
  id,
  module: 'm.c',
  function: fn,
  op: 'store',
  location: [],
  legal,
  binary,
  ...extra,
});
const unmapped = (fn: string): BinarySite =>
  ({ ...site(fn, 0), operand: undefined, confidence: 'unmapped', reason: 'no rows' }) as BinarySite;

function policy(accesses: Access[]): Policy {
  return {
    schema: 'kcompart.policy',
    version: 1,
    generator: { tool: 'kcompart', version: 't' },
    compartment: { name: 't', modules: ['m.c'], context: [], functions: ['f', 'g'] },
    allocationSites: [],
    caches: [],
    accesses,
  };
}

describe('machineSites with orphan-write fallbacks', () => {
  const own = emptyLegalSet({ slabSites: ['m.c:f:1'] });
  const other = emptyLegalSet({ globals: ['g_var'] });
  const a = access('m.c:f:1', 'f', own, [unmapped('f')]);
  const b = access('m.c:f:2', 'f', other, [unmapped('f')]);
  const mapped = access('m.c:f:3', 'f', other, [site('f', 0x10)]);
  const fb = access(
    'm.c:f:fallback',
    'f',
    unionLegalSets([own, other, emptyLegalSet({ stack: true })]),
    [site('f', 0x20), site('f', 0x30), site('f', 0x40, { staticallySafe: true, coveredBy: { symbol: 'f', offset: 0x20 } })],
    {
      fallback: { accesses: [a.id, b.id], basis: 'unmapped', detail: 't' },
    },
  );
  const c = access('m.c:g:1', 'g', own, [unmapped('g')]);
  const fbG = access('m.c:g:fallback', 'g', own, [site('g', 0x8)], { fallback: { accesses: [c.id], basis: 'unmapped', detail: 't' } });
  const p = policy([a, b, mapped, fb, c, fbG]);
  // programs: f+0x10 (mapped), f+0x20 and f+0x30 (fallback); g+0x8 has none (refused to emit, say)
  const programs = new Map([
    ['f+0x10', 0],
    ['f+0x20', 1],
    ['f+0x30', 2],
  ]);
  const sites = machineSites(p, programs, new Set());

  it('counts an unmapped access behind a fallback as checked by all its programs, with its own legal set', () => {
    const sa = sites.find((s) => s.key === 'unmapped:m.c:f:1')!;
    expect(sa.kind).toBe('fallback');
    expect(sa.legal).toBe(own);
    expect(sa.programs?.sort()).toEqual([1, 2]);
    expect(sites.find((s) => s.key === 'unmapped:m.c:f:2')?.legal).toBe(other);
  });

  it('leaves the fallback instructions out as sites of their own', () => {
    expect(sites.map((s) => s.key).sort()).toEqual(['f+0x10', 'unmapped:m.c:f:1', 'unmapped:m.c:f:2', 'unmapped:m.c:g:1']);
    expect(fallbackInstructions(p)).toEqual({ forUnmapped: 4, functionOnly: 0 });
  });

  it('keeps an access unmapped when one instruction of its fallback has no program', () => {
    expect(sites.find((s) => s.key === 'unmapped:m.c:g:1')?.kind).toBe('unmapped');
  });

  it('a fallback site is caught only when every program reports the write', () => {
    const sa = sites.find((s) => s.key === 'unmapped:m.c:f:1')!;
    expect(siteVerdict(sa, () => 'violation')).toBe('violation');
    expect(siteVerdict(sa, (id) => (id === 1 ? 'violation' : 'pass'))).toBe('pass');
    expect(siteVerdict(sa, (id) => (id === 1 ? 'violation' : 'report'))).toBe('report');
    expect(siteVerdict(sa, (id) => (id === 1 ? 'violation' : undefined))).toBeUndefined();
  });
});

describe('machineSites: an unmapped access in a function without orphan writes', () => {
  const own = emptyLegalSet({ slabSites: ['m.c:h:1'] });
  const other = emptyLegalSet({ globals: ['g_var'] });
  // h: every machine write is claimed (h+0x10 by h:2, h+0x18 covered by it), no fallback
  const lost = access('m.c:h:1', 'h', own, [unmapped('h')]);
  const claimer = access('m.c:h:2', 'h', other, [site('h', 0x10)]);
  const covered = access('m.c:h:3', 'h', other, [site('h', 0x18, { staticallySafe: true, coveredBy: { symbol: 'h', offset: 0x10 } })]);
  const frame = access('m.c:h:4', 'h', other, [site('h', 0x20, { staticallySafe: true })]);
  // k: one of its writes has no program (its set is "any")
  const lostK = access('m.c:k:1', 'k', own, [unmapped('k')]);
  const anyK = access('m.c:k:2', 'k', { ...emptyLegalSet(), any: true }, [site('k', 0x10)]);
  const okK = access('m.c:k:3', 'k', other, [site('k', 0x18)]);
  const p = policy([lost, claimer, covered, frame, lostK, anyK, okK]);
  const programs = new Map([
    ['h+0x10', 5],
    ['k+0x18', 6],
  ]);

  it('counts it as checked by all its function’s programs when every aimable write has one (orphans of every function known)', () => {
    const sites = machineSites(p, programs, new Set(), true);
    const s = sites.find((x) => x.key === 'unmapped:m.c:h:1')!;
    expect(s.kind).toBe('function');
    expect(s.legal).toBe(own);
    expect(s.programs).toEqual([5]);
    expect(siteVerdict(s, () => 'violation')).toBe('violation');
    // k+0x10 has no program: k's unmapped access may be that write, unchecked
    expect(sites.find((x) => x.key === 'unmapped:m.c:k:1')!.kind).toBe('unmapped');
  });

  it('keeps it unmapped when the orphan writes were not computed for every function, or a program was refused', () => {
    expect(machineSites(p, programs, new Set()).find((x) => x.key === 'unmapped:m.c:h:1')!.kind).toBe('unmapped');
    expect(machineSites(p, programs, new Set(['h+0x10']), true).find((x) => x.key === 'unmapped:m.c:h:1')!.kind).toBe('unmapped');
  });

  it('counts an unmapped write into a fixed slot of its own frame as fixed (not aimable), even beside an unchecked write', () => {
    const slot = access('m.c:k:4', 'k', emptyLegalSet({ stack: true }), [unmapped('k')], { frameSlot: true });
    const sites = machineSites(policy([lostK, anyK, okK, slot]), programs, new Set(), true);
    expect(sites.find((x) => x.key === 'unmapped:m.c:k:4')!.kind).toBe('fixed');
    expect(sites.find((x) => x.key === 'unmapped:m.c:k:1')!.kind).toBe('unmapped');
  });
});
