// Owns the elimination of checks covered by an earlier check (issue 15 item 2): a later write
// through the same base (and index) register, unchanged since an earlier checked write of a
// legal set it admits, is checked by that first write's check, widened to the extent
// [min displacement, max displacement + width) of the writes it covers. Each covered site
// records the site that covers it and the proof (`coveredBy`), the covering site its `extent`.
//
// Why this holds (the proof each covered site carries), on the function's control-flow graph
// (cfg.ts, whose roots are every place control may arrive at from outside: the function's
// start and every place a relocation names):
// - the covering write W1 dominates the covered write W2: W2 executes only after W1's check
//   passed (same block and earlier, or W1's block dominates W2's);
// - on every path from W1 to W2 that does not pass W1 again, no instruction writes the base or
//   index register, so both compute base + index × scale + their own displacement from one
//   value; and none of them is
//   - a call: the callee may free or reuse the object W1 checked (and it clobbers registers),
//   - a trap (`ud2`, `int3`): its handler runs arbitrary code and BUG does not come back,
//   - a place control can arrive at from outside (a relocation-named place): code we do not
//     see (an alternative's replacement, an exception fixup) may run there;
//   (returns, tail calls and indirect jumps leave the function, so no such path holds one);
// - the covering check verifies the whole extent lies inside ONE allowed object, stack, block
//   or global range (kc_check_range), the covered write's bytes lie inside that extent, and its
//   legal set admits everything the covering site's set admits (the same set, or a superset).
// No false alarm is added on legitimate code: the extent only grows by a write W2 that follows W1
// on EVERY path (`straight-line`: the same block; `must-follow`: every path leaving W1 reaches
// W2 without leaving the function, trapping, calling, looping or passing W1 again), so both
// execute with one pointer value, which C confines to one object, and the extent is inside it.
// A write that only some paths reach is covered only when its bytes already lie inside the extent
// (`inside-extent`). The extent is capped at a page to keep that argument away from pointers used
// as raw bases.

import type { Access, BinarySite, LegalSet } from '../policy/schema.js';
import { MachineCfg } from './cfg.js';
import type { ObjectIndex } from './object-index.js';

/** Longest extent one covering check may take (bytes). */
export const MAX_COVER_EXTENT = 4096;

/** Counts of one coverage pass. */
export interface CoverageStats {
  /** Sites whose check another site's widened check performs. */
  readonly covered: number;
  /** Sites whose check was widened to cover later writes. */
  readonly covering: number;
  /** Covered sites by the proof that covers them. */
  readonly byProof: Readonly<Record<CoverProof, number>>;
}

/** The legal set without its reasons: two sets equal under this key admit the same memory. */
function legalKey(l: LegalSet): string {
  const { reasons: _reasons, ...rest } = l;
  return JSON.stringify(rest);
}

interface Candidate {
  readonly access: number;
  readonly site: number;
  readonly b: BinarySite;
  readonly key: string;
  readonly legal: LegalSet;
}

const within = (inner: readonly string[], outer: readonly string[]): boolean => inner.every((x) => outer.includes(x));

/**
 * True when every memory `inner` admits, `outer` admits too (neither being "any"): an object
 * that passed a check against `inner` is legal for `outer`. Allocation sites carry their
 * tracked or untracked widening with them, so a superset of sites is a superset of memory.
 */
export function admitsAll(outer: LegalSet, inner: LegalSet): boolean {
  return (
    (!inner.stack || outer.stack) &&
    (!inner.percpu || outer.percpu) &&
    (!inner.vmemmap || outer.vmemmap) &&
    (!inner.foreign || outer.foreign === true) &&
    within(inner.globals, outer.globals) &&
    within(inner.slabCaches, outer.slabCaches) &&
    within(inner.slabSites, outer.slabSites) &&
    within(inner.buddySites, outer.buddySites) &&
    within(inner.vmallocCallers, outer.vmallocCallers) &&
    within(inner.classes ?? [], outer.classes ?? []) &&
    within(
      (inner.foreignTypes ?? []).map((t) => t.name),
      (outer.foreignTypes ?? []).map((t) => t.name),
    )
  );
}

const GPR64 = new Set(['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15']);

/** A site that may take part: a checked write through a plain 64-bit base (and index) register, of constant width. */
function eligible(a: Access, b: BinarySite): boolean {
  const op = b.operand;
  return (
    !a.legal.any &&
    b.staticallySafe !== true &&
    b.confidence !== 'unmapped' &&
    b.call !== true &&
    op !== undefined &&
    op.base !== undefined &&
    GPR64.has(op.base) &&
    (op.index === undefined || GPR64.has(op.index)) &&
    op.segment === undefined &&
    op.displacementTarget === undefined &&
    op.repElement === undefined &&
    op.width > 0
  );
}

/** Why a covered site's bytes lie inside its covering check's extent (see the file comment). */
export type CoverProof = 'straight-line' | 'must-follow' | 'inside-extent';

interface Leader {
  readonly cands: Candidate[];
  readonly insn: number;
  readonly base: string;
  readonly index: string | undefined;
  readonly scale: number;
  readonly legal: LegalSet;
  from: number;
  to: number;
  members: { cands: Candidate[]; proof: CoverProof }[];
}

/**
 * Marks the sites of `accesses` whose check an earlier site's check can cover (see the file
 * comment) and widens the covering sites' checks; returns new accesses and the counts.
 */
export function coverDominatedSites(
  accesses: readonly Access[],
  indexes: readonly ObjectIndex[],
): { accesses: Access[]; stats: CoverageStats } {
  const byObject = new Map(indexes.map((o) => [o.path, o]));
  // candidate sites per (object, section, symbol), by instruction offset in the symbol
  const groups = new Map<string, Map<number, Candidate[]>>();
  for (const [ai, a] of accesses.entries()) {
    const key = legalKey(a.legal);
    for (const [si, b] of (a.binary ?? []).entries()) {
      if (!eligible(a, b)) continue;
      const g = `${b.object}\u0000${b.section}\u0000${b.symbol}`;
      let at = groups.get(g);
      if (at === undefined) groups.set(g, (at = new Map()));
      const list = at.get(b.offset) ?? [];
      list.push({ access: ai, site: si, b, key, legal: a.legal });
      at.set(b.offset, list);
    }
  }
  const patch = new Map<string, Partial<BinarySite>>();
  const byProof: Record<CoverProof, number> = { 'straight-line': 0, 'must-follow': 0, 'inside-extent': 0 };
  let covered = 0;
  let covering = 0;
  for (const [g, at] of groups) {
    if (at.size < 2) continue;
    const [path, sectionName, symbolName] = g.split('\u0000') as [string, string, string];
    const object = byObject.get(path);
    const symbol = object?.symbolsNamed(symbolName).find((s) => object.elf.sections[s.sectionIndex]?.name === sectionName);
    if (object === undefined || symbol === undefined || symbol.sectionOffset === undefined) continue;
    const code = object.codeOf(symbol);
    const entries = object.entryPoints(code.section);
    const cfg = new MachineCfg(code.instructions, entries);
    const insns = code.instructions;
    // the sites in an order where a dominator comes before what it dominates
    const sites: { insn: number; here: Candidate[] }[] = [];
    for (const [i, insn] of insns.entries()) {
      const here = at.get(insn.offset - symbol.sectionOffset);
      if (here !== undefined && cfg.rpo[cfg.blockOf[i]!]! >= 0) sites.push({ insn: i, here });
    }
    sites.sort((x, y) => cfg.rpo[cfg.blockOf[x.insn]!]! - cfg.rpo[cfg.blockOf[y.insn]!]! || x.insn - y.insn);
    const leaders: Leader[] = [];
    const joins = (l: Leader, s: number, lo: number, hi: number): CoverProof | undefined => {
      const bl = cfg.blockOf[l.insn]!;
      const bs = cfg.blockOf[s]!;
      if (!(bl === bs ? l.insn < s : cfg.dominates(bl, bs))) return undefined;
      if (entries.has(insns[s]!.offset)) return undefined;
      const path = cfg.between(l.insn, s);
      if (path === undefined) return undefined;
      for (const i of path.instructions) {
        const insn = insns[i]!;
        if (insn.flow !== 'next' && insn.flow !== 'branch' && insn.flow !== 'conditional') return undefined;
        if (i !== l.insn && entries.has(insn.offset)) return undefined;
        if (insn.registersWritten.includes(l.base) || (l.index !== undefined && insn.registersWritten.includes(l.index))) return undefined;
      }
      if (path.mustReach && Math.max(l.to, hi) - Math.min(l.from, lo) <= MAX_COVER_EXTENT)
        return bl === bs ? 'straight-line' : 'must-follow';
      if (lo >= l.from && hi <= l.to) return 'inside-extent';
      return undefined;
    };
    for (const { insn: s, here } of sites) {
      const op = here[0]!.b.operand!;
      const same = here.every(
        (c) =>
          c.key === here[0]!.key &&
          c.b.operand!.base === op.base &&
          c.b.operand!.index === op.index &&
          c.b.operand!.scale === op.scale &&
          c.b.operand!.displacement === op.displacement &&
          c.b.operand!.width === op.width,
      );
      if (!same) continue;
      const lo = op.displacement;
      const hi = op.displacement + op.width;
      let joined = false;
      // the latest leader first: the nearest one is the likeliest to have the register unchanged
      for (let k = leaders.length - 1; k >= 0 && !joined; k--) {
        const l = leaders[k]!;
        if (l.base !== op.base || l.index !== op.index || l.scale !== op.scale) continue;
        if (!here.every((c) => admitsAll(c.legal, l.legal))) continue;
        const proof = joins(l, s, lo, hi);
        if (proof === undefined) continue;
        if (proof !== 'inside-extent') {
          l.from = Math.min(l.from, lo);
          l.to = Math.max(l.to, hi);
        }
        l.members.push({ cands: here, proof });
        joined = true;
      }
      if (!joined)
        leaders.push({
          cands: here,
          insn: s,
          base: op.base!,
          index: op.index,
          scale: op.scale,
          legal: here[0]!.legal,
          from: lo,
          to: hi,
          members: [],
        });
    }
    for (const l of leaders) {
      if (l.members.length === 0) continue;
      const leaderOffset = l.cands[0]!.b.offset;
      for (const c of l.cands) patch.set(`${c.access}:${c.site}`, { extent: { from: l.from, to: l.to } });
      covering += l.cands.length;
      for (const m of l.members) {
        for (const c of m.cands)
          patch.set(`${c.access}:${c.site}`, {
            staticallySafe: true,
            coveredBy: { symbol: symbolName, offset: leaderOffset, proof: m.proof },
          });
        covered += m.cands.length;
        byProof[m.proof] += m.cands.length;
      }
    }
  }
  if (patch.size === 0) return { accesses: [...accesses], stats: { covered, covering, byProof } };
  const out = accesses.map((a, ai) => {
    const binary = a.binary?.map((b, si) => {
      const p = patch.get(`${ai}:${si}`);
      return p === undefined ? b : { ...b, ...p };
    });
    return binary === undefined ? a : { ...a, binary };
  });
  return { accesses: out, stats: { covered, covering, byProof } };
}
