// Owns the inline-chain query over the `.debug_info` scope trees: for a code
// address keyed by (section, offset), the enclosing DW_TAG_subprogram and the
// nested DW_TAG_inlined_subroutine frames, innermost first, each with its
// callee and call site — what llvm-symbolizer --inlining prints, frame by frame.

import type { ElfFile } from '../elf/file.js';
import type { SectionIndex, SectionOffset } from '../offsets.js';
import type { CompileUnitInfo, Scope } from './info.js';
import { readDebugInfo } from './info.js';

/** The inlining context of one code address. */
export interface InlineChain {
  readonly unit: CompileUnitInfo;
  /** The out-of-line function the address lies in. */
  readonly subprogram: Scope;
  /**
   * The inlined subroutines whose ranges hold the address, innermost first.
   * Frame i was called from frames[i].callFile:callLine:callColumn inside
   * frames[i + 1] (or inside `subprogram` for the last one).
   */
  readonly frames: readonly Scope[];
  /** The innermost lexical block holding the address, if any (DW_TAG_lexical_block with ranges). */
  readonly block: Scope | undefined;
}

interface TopEntry {
  readonly start: number;
  readonly end: number;
  readonly scope: Scope;
  readonly unit: CompileUnitInfo;
}

function contains(s: Scope, section: SectionIndex, offset: number): boolean {
  for (const r of s.ranges) {
    if (r.section?.index === section && r.offset !== undefined && offset >= r.offset && offset < r.offset + r.size) return true;
  }
  return false;
}

/**
 * The inlined_subroutine below `scope` (looking through lexical blocks and
 * other non-subroutine scopes, as LLVM's address-to-DIE map does) whose
 * ranges hold the address; the innermost lexical block seen on the way to it is
 * reported through `onBlock`.
 */
function findInlined(scope: Scope, section: SectionIndex, offset: number, onBlock: (b: Scope) => void): Scope | undefined {
  const work: Scope[] = [...scope.children].reverse();
  while (work.length > 0) {
    const s = work.pop()!;
    if (s.kind === 'inlined_subroutine') {
      if (contains(s, section, offset)) return s;
      continue;
    }
    if (s.kind === 'lexical_block') {
      const holds = contains(s, section, offset);
      if (s.ranges.length > 0 && !holds) {
        // LLVM ignores block ranges; descend anyway, but a block that does not hold the address is not reported
      } else if (holds) onBlock(s);
    }
    for (let i = s.children.length - 1; i >= 0; i--) work.push(s.children[i]!);
  }
  return undefined;
}

/**
 * An index of the subprograms of some units by (section, offset), answering
 * inline-chain queries.
 *
 * @example
 * const idx = new InlineIndex(readDebugInfo(elf));
 * const c = idx.chainAt(textIndex, 0x4e10);
 * // c.frames.map(f => f.name) → ["arch_atomic_read", "atomic_read", …]; c.subprogram.name → "fib6_nh_init"
 */
export class InlineIndex {
  readonly units: readonly CompileUnitInfo[];
  private readonly bySection = new Map<number, { entries: TopEntry[]; maxEnd: number[] }>();

  constructor(units: readonly CompileUnitInfo[]) {
    this.units = units;
    const lists = new Map<number, TopEntry[]>();
    for (const unit of units) {
      const work: Scope[] = [...unit.scopes];
      while (work.length > 0) {
        const s = work.pop()!;
        if (s.kind !== 'subprogram') {
          work.push(...s.children);
          continue;
        }
        for (const r of s.ranges) {
          if (r.section === undefined || r.offset === undefined) continue;
          let l = lists.get(r.section.index);
          if (l === undefined) lists.set(r.section.index, (l = []));
          l.push({ start: r.offset, end: r.offset + r.size, scope: s, unit });
        }
        // nested subprograms (rare in C) are indexed as well
        for (const c of s.children) if (c.kind === 'subprogram') work.push(c);
      }
    }
    for (const [sec, entries] of lists) {
      entries.sort((a, b) => a.start - b.start || a.end - b.end);
      const maxEnd: number[] = new Array(entries.length);
      let m = -1;
      entries.forEach((e, i) => {
        maxEnd[i] = m = Math.max(m, e.end);
      });
      this.bySection.set(sec, { entries, maxEnd });
    }
  }

  /** The subprograms whose ranges hold (section, offset); usually one. */
  subprogramsAt(section: SectionIndex, offset: SectionOffset | number): { scope: Scope; unit: CompileUnitInfo }[] {
    const idx = this.bySection.get(section);
    if (idx === undefined) return [];
    const { entries, maxEnd } = idx;
    let lo = 0;
    let hi = entries.length; // first entry with start > offset
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (entries[mid]!.start <= offset) lo = mid + 1;
      else hi = mid;
    }
    const out: { scope: Scope; unit: CompileUnitInfo }[] = [];
    for (let i = lo - 1; i >= 0 && maxEnd[i]! > offset; i--) {
      const e = entries[i]!;
      if (offset < e.end) out.push({ scope: e.scope, unit: e.unit });
    }
    return out.reverse();
  }

  /**
   * The inline chain at (section, offset): the innermost subprogram holding it
   * and the inlined subroutines nested in it that hold it, innermost first.
   * Undefined when no subprogram covers the address.
   */
  chainAt(section: SectionIndex, offset: SectionOffset | number): InlineChain | undefined {
    const subs = this.subprogramsAt(section, offset);
    if (subs.length === 0) return undefined;
    // the innermost: a subprogram nested in another comes later in a DFS, prefer the smallest
    let best = subs[0]!;
    for (const s of subs) if (totalSize(s.scope) < totalSize(best.scope)) best = s;
    const frames: Scope[] = [];
    let block: Scope | undefined;
    let cur: Scope = best.scope;
    for (;;) {
      const next = findInlined(cur, section, offset, (b) => (block = b));
      if (next === undefined) break;
      frames.push(next);
      cur = next;
    }
    return { unit: best.unit, subprogram: best.scope, frames: frames.reverse(), block };
  }
}

function totalSize(s: Scope): number {
  let n = 0;
  for (const r of s.ranges) n += r.size;
  return n;
}

/** The inline chain at (section, offset) of an ELF file (builds the index each call: prefer InlineIndex for many queries). */
export function inlineChainAt(elf: ElfFile, section: SectionIndex, offset: SectionOffset | number): InlineChain | undefined {
  return new InlineIndex(readDebugInfo(elf)).chainAt(section, offset);
}
