// Owns the elimination of checks covered by an earlier check (issue 15 item 2): inside one
// straight-line run of a function's machine code, later writes through the same base (and
// index) register, unchanged since an earlier checked write of the same legal set, are checked
// by that first write's check, widened to the extent [min displacement, max displacement +
// width) of all of them. Each covered site records the site that covers it (`coveredBy`), the
// covering site its `extent`.
//
// Why this holds (the proof each covered site carries):
// - the run from the covering write to the covered one is straight-line: no instruction between
//   branches, calls, returns or traps, and none is a place control can arrive at otherwise (a
//   decoded branch target of the function, or any place a relocation names: exception-table
//   fixups, jump labels, alternatives, `.cold` parts; objtool rejects jumps into the middle of
//   another function), so the covered write executes only after the covering check passed;
// - no instruction from the covering write up to the covered one writes the base or index
//   register, so both compute base + index × scale + their own displacement from one value;
// - the covering check verifies the whole extent lies inside ONE allowed object, stack, block
//   or global range (kc_check_range), and the covered write's bytes lie inside that extent,
//   and its legal set admits everything the covering site's set admits (the same set, or a
//   superset): the object that passed the covering check is legal for the covered write too.
// No false alarm is added on legitimate code: two writes through one pointer value that both
// execute on the same straight path land in one C object (reaching another object through a
// pointer to the first is undefined behaviour), so their extent is inside that object. The
// extent is capped at a page to keep that argument away from pointers used as raw bases.

import type { Access, BinarySite, LegalSet } from '../policy/schema.js';
import type { ObjectIndex } from './object-index.js';
import type { DecodedInstruction } from './x86/decode.js';

/** Longest extent one covering check may take (bytes). */
export const MAX_COVER_EXTENT = 4096;

/** Counts of one coverage pass. */
export interface CoverageStats {
  /** Sites whose check another site's widened check performs. */
  readonly covered: number;
  /** Sites whose check was widened to cover later writes. */
  readonly covering: number;
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
    const targets = new Set<number>();
    for (const insn of code.instructions) if (insn.branchTarget !== undefined) targets.add(insn.branchTarget);
    let run:
      | {
          leader: Candidate[];
          base: string;
          index: string | undefined;
          scale: number;
          legal: LegalSet;
          from: number;
          to: number;
          members: Candidate[];
        }
      | undefined;
    const close = (): void => {
      if (run !== undefined && run.members.length > 0) {
        const leaderOffset = run.leader[0]!.b.offset;
        for (const c of run.leader) patch.set(`${c.access}:${c.site}`, { extent: { from: run.from, to: run.to } });
        for (const c of run.members)
          patch.set(`${c.access}:${c.site}`, { staticallySafe: true, coveredBy: { symbol: symbolName, offset: leaderOffset } });
        covering += run.leader.length;
        covered += run.members.length;
      }
      run = undefined;
    };
    for (const insn of code.instructions as readonly DecodedInstruction[]) {
      const rel = insn.offset - symbol.sectionOffset;
      if (entries.has(insn.offset) || targets.has(insn.offset)) close();
      const here = at.get(rel);
      if (here !== undefined) {
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
        const lo = op.displacement;
        const hi = op.displacement + op.width;
        if (!same) {
          close();
        } else if (
          run !== undefined &&
          run.base === op.base &&
          run.index === op.index &&
          run.scale === op.scale &&
          here.every((c) => admitsAll(c.legal, run!.legal)) &&
          Math.max(run.to, hi) - Math.min(run.from, lo) <= MAX_COVER_EXTENT
        ) {
          run.members.push(...here);
          run.from = Math.min(run.from, lo);
          run.to = Math.max(run.to, hi);
        } else {
          close();
          run = { leader: here, base: op.base!, index: op.index, scale: op.scale, legal: here[0]!.legal, from: lo, to: hi, members: [] };
        }
      }
      if (
        run !== undefined &&
        (insn.flow !== 'next' ||
          insn.registersWritten.includes(run.base) ||
          (run.index !== undefined && insn.registersWritten.includes(run.index)))
      ) {
        close();
      }
    }
    close();
  }
  if (patch.size === 0) return { accesses: [...accesses], stats: { covered, covering } };
  const out = accesses.map((a, ai) => {
    const binary = a.binary?.map((b, si) => {
      const p = patch.get(`${ai}:${si}`);
      return p === undefined ? b : { ...b, ...p };
    });
    return binary === undefined ? a : { ...a, binary };
  });
  return { accesses: out, stats: { covered, covering } };
}
