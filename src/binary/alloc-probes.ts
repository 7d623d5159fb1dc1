// Owns the allocation-site → probe-point mapping (DESIGN.md §4): for each
// allocation site of a policy, the machine `call` instructions of the site's
// allocator at the site's source location (rows of file:line:column inside the
// caller's symbol, inline chain matched frame by frame, as for accesses; the
// same line at another column as a fallback), the call target resolved
// through the relocation at the call's displacement (or, for a local function
// of the same section, through the symbol table by address) — and, for each,
// the instruction just after the call, where a kprobe reads the object, page
// or address returned in `rax`.

import type { AllocationProbe, AllocationSite, Policy } from '../policy/schema.js';
import { STT_FUNC, STT_SECTION } from './elf/constants.js';
import type { ElfSection } from './elf/file.js';
import type { ElfSymbol } from './elf/symbols.js';
import { ObjectIndex, instructionsInSpans, objectsDefining, type MapperObject, type RowSpan, type SpanWalk } from './object-index.js';
import type { DecodedInstruction } from './x86/decode.js';

/** Why an allocation site gets no probe. */
export type AllocationUnmappedReason =
  | 'no-location' // the IR call carries no debug location
  | 'line-0' // its location is line 0 (merged by the optimizer)
  | 'no-symbol' // no object defines the site's caller (its module is not among the objects)
  | 'no-rows' // the caller has no line-table row at the site's file:line (any column)
  | 'inlined-away' // rows exist, but none under the site's inline chain
  | 'no-call-to-allocator' // the matched instructions call other functions, not the allocator
  | 'allocator-inlined' // the matched instructions call nothing: the allocation was expanded in place
  | 'tail-call' // the allocator is reached by a `jmp`: no instruction after it in this function
  | 'no-instruction-after'; // the call is the last instruction of its symbol

/** Counts of one allocation-site mapping run. */
export interface AllocationStats {
  readonly sites: number;
  /** Sites with one probe. */
  readonly exact: number;
  /** Sites with several probes (inlined copies, two calls on one line). */
  readonly ambiguous: number;
  readonly unmapped: number;
  readonly unmappedReasons: Readonly<Record<AllocationUnmappedReason, number>>;
  /** Probe points recorded (exact + every ambiguous one). */
  readonly probes: number;
  /** Sites mapped only through a row of the same line at another column. */
  readonly byLine: number;
}

/** One call (or tail-call `jmp`) of an allocator found at a site. */
interface FoundCall {
  readonly object: ObjectIndex;
  readonly symbol: ElfSymbol;
  readonly section: ElfSection;
  readonly insn: DecodedInstruction;
  readonly tail: boolean;
}

/** The name without a compiler suffix (`.constprop.0`, `.isra.0`, `.llvm.123`, `.cold`). */
export function bareName(name: string): string {
  const i = name.indexOf('.');
  return i <= 0 ? name : name.slice(0, i);
}

/**
 * The function a direct `call rel32` / `jmp rel32` / `jmp rel8` reaches: the
 * symbol of the relocation at its displacement (R_X86_64_PLT32 / PC32; a
 * section symbol + addend is the function at that offset), else — the
 * assembler resolved a local call itself — the function symbol of the same
 * section at the target address. Undefined for indirect calls.
 */
export function callTarget(object: ObjectIndex, section: ElfSection, insn: DecodedInstruction): string | undefined {
  const data = object.elf.sectionData(section);
  const op = data[insn.offset];
  let dispAt: number;
  let dispSize: number;
  if ((op === 0xe8 || op === 0xe9) && insn.length === 5) {
    dispAt = insn.offset + 1;
    dispSize = 4;
  } else if (op === 0xeb && insn.length === 2) {
    dispAt = insn.offset + 1;
    dispSize = 1;
  } else return undefined;
  const end = insn.offset + insn.length;
  const r = dispSize === 4 ? object.relocationAt(section, dispAt) : undefined;
  if (r !== undefined) {
    const s = object.elf.symbols[r.symbolIndex];
    if (s === undefined) return undefined;
    if (s.type !== STT_SECTION) return s.name;
    // S + A − P with P the displacement: the target is A + (end − P) into the section
    const at = Number(r.addend ?? 0n) + (end - dispAt);
    return functionAt(object, s.sectionIndex, at)?.name;
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const rel = dispSize === 4 ? view.getInt32(dispAt, true) : view.getInt8(dispAt);
  return functionAt(object, section.index, end + rel)?.name;
}

function functionAt(object: ObjectIndex, section: number, offset: number): ElfSymbol | undefined {
  const s = object.symbolAt(section, offset);
  if (s !== undefined && s.sectionOffset === offset) return s;
  return object.elf.symbols.find((x) => x.type === STT_FUNC && x.sectionIndex === section && x.sectionOffset === offset);
}

/** The calls of the site's allocator at its location, or why there are none. */
export function allocationCallsOf(
  site: AllocationSite,
  objects: readonly ObjectIndex[],
): {
  calls: FoundCall[];
  tier?: 'location' | 'line' | 'target';
  reason?: AllocationUnmappedReason;
  symbol?: { object: ObjectIndex; symbol: ElfSymbol };
} {
  if (site.location.length === 0) return { calls: [], reason: 'no-location' };
  const inner = site.location[0]!;
  const outs = objectsDefining(site.caller, site.module, objects);
  if (inner.line === 0) return line0Calls(site, outs);
  if (outs.length === 0) return { calls: [], reason: 'no-symbol' };
  const first = { object: outs[0]!, symbol: outs[0]!.symbolsNamed(site.caller)[0]! };
  const want = bareName(site.allocator);
  const walk: SpanWalk = { sawRows: false, sawChain: false };
  let sawCall = false;
  const collect = (spansOf: (o: ObjectIndex) => readonly RowSpan[]): FoundCall[] => {
    const out: FoundCall[] = [];
    const seen = new Set<string>();
    for (const { object: o, symbol: sym, code, insn } of instructionsInSpans(outs, site.caller, site.location, spansOf, walk)) {
      if (insn.mnemonic !== 'call' && insn.mnemonic !== 'jmp') continue;
      const target = callTarget(o, code.section, insn);
      if (insn.mnemonic === 'call') sawCall = true;
      if (target === undefined || bareName(target) !== want) continue;
      // a jmp to the allocator is a tail call; a jmp inside the caller is a branch
      const key = `${o.path}\0${code.section.index}\0${insn.offset}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ object: o, symbol: sym, section: code.section, insn, tail: insn.mnemonic === 'jmp' });
    }
    return out;
  };
  let calls = collect((o) => o.rowsAt(inner.file, inner.line, inner.column));
  let tier: 'location' | 'line' = 'location';
  if (calls.length === 0) {
    const exact = new Set<RowSpan>();
    calls = collect((o) => {
      for (const r of o.rowsAt(inner.file, inner.line, inner.column)) exact.add(r);
      return o.rowsOnLine(inner.file, inner.line).filter((r) => !exact.has(r));
    });
    tier = 'line';
  }
  if (calls.length > 0) return { calls, tier, symbol: first };
  // the backend merged this call with another one under a line-0 row (tail merging)
  const merged = line0Calls(site, outs);
  if (merged.calls.length > 0) return merged;
  const reason: AllocationUnmappedReason = !walk.sawRows
    ? 'no-rows'
    : !walk.sawChain
      ? 'inlined-away'
      : sawCall
        ? 'no-call-to-allocator'
        : 'allocator-inlined';
  return { calls, reason, symbol: first };
}

/**
 * A site at line 0, or whose location has no call of the allocator: the backend merged calls of
 * the allocator (two calls of one helper become one, under a line-0 row), so no row places it. Its calls are found by their target inside the caller, among the
 * instructions under a line-0 row or under none (tier `target`: always ambiguous, since the
 * merged call serves several source calls).
 */
function line0Calls(
  site: AllocationSite,
  outs: readonly ObjectIndex[],
): { calls: FoundCall[]; tier?: 'target'; reason?: AllocationUnmappedReason; symbol?: { object: ObjectIndex; symbol: ElfSymbol } } {
  if (outs.length === 0) return { calls: [], reason: 'line-0' };
  const want = bareName(site.allocator);
  const calls: FoundCall[] = [];
  for (const o of outs) {
    for (const sym of o.symbolsNamed(site.caller)) {
      const code = o.codeOf(sym);
      for (const insn of code.instructions) {
        if (insn.mnemonic !== 'call' && insn.mnemonic !== 'jmp') continue;
        const line = o.lineAt(code.section.index, insn.offset);
        if (line !== undefined && line !== 0) continue;
        const target = callTarget(o, code.section, insn);
        if (target === undefined || bareName(target) !== want) continue;
        calls.push({ object: o, symbol: sym, section: code.section, insn, tail: insn.mnemonic === 'jmp' });
      }
    }
  }
  const first = { object: outs[0]!, symbol: outs[0]!.symbolsNamed(site.caller)[0]! };
  return calls.length > 0 ? { calls, tier: 'target', symbol: first } : { calls, reason: 'line-0', symbol: first };
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * The probe points of every allocation site of `policy` in `objects`: for
 * each site, one probe per machine call of its allocator at its location,
 * `offset` being the instruction after the call (`rax` holds the result
 * there), `confidence` `exact` for one call, `ambiguous` for several; a site
 * with none gets one `unmapped` probe with its {@link AllocationUnmappedReason}
 * (`tail-call` when the allocator is only reached by a `jmp`). Objects given
 * as {@link MapperObject}s are indexed and disposed here.
 *
 * @example
 * const { allocationSites, stats } = mapAllocationSites(policy, [{ path: "addrlabel.o", elf }]);
 * // allocationSites[0].probes → [{ object: "addrlabel.o", symbol: "ip6addrlbl_add", offset: 0x5d, callOffset: 0x58, section: ".text", confidence: "exact" }]
 */
export function mapAllocationSites(
  policy: Pick<Policy, 'allocationSites'>,
  objects: readonly MapperObject[] | readonly ObjectIndex[],
): { allocationSites: AllocationSite[]; stats: AllocationStats } {
  const owned = objects.length > 0 && !(objects[0] instanceof ObjectIndex);
  const indexes = owned ? (objects as readonly MapperObject[]).map((o) => new ObjectIndex(o)) : (objects as readonly ObjectIndex[]);
  const reasons: Record<AllocationUnmappedReason, number> = {
    'no-location': 0,
    'line-0': 0,
    'no-symbol': 0,
    'no-rows': 0,
    'inlined-away': 0,
    'no-call-to-allocator': 0,
    'allocator-inlined': 0,
    'tail-call': 0,
    'no-instruction-after': 0,
  };
  let exact = 0,
    ambiguous = 0,
    unmapped = 0,
    probes = 0,
    byLine = 0;
  try {
    const allocationSites = policy.allocationSites.map((site): AllocationSite => {
      const { calls, reason, symbol, tier } = allocationCallsOf(site, indexes);
      const real = calls.filter((c) => !c.tail && c.insn.offset + c.insn.length < c.symbol.sectionOffset! + c.symbol.size);
      if (real.length === 0) {
        const why: AllocationUnmappedReason =
          calls.length === 0 ? reason! : calls.some((c) => c.tail) ? 'tail-call' : 'no-instruction-after';
        unmapped++;
        reasons[why]++;
        const at = calls[0];
        const probe: AllocationProbe = {
          object: at?.object.path ?? symbol?.object.path ?? '',
          symbol: at?.symbol.name ?? symbol?.symbol.name ?? site.caller,
          offset: 0,
          callOffset: at !== undefined ? at.insn.offset - at.symbol.sectionOffset! : 0,
          section: at?.section.name ?? (symbol !== undefined ? (symbol.object.elf.sections[symbol.symbol.sectionIndex]?.name ?? '') : ''),
          confidence: 'unmapped',
          reason: why,
        };
        return { ...site, probes: [probe] };
      }
      const confidence = real.length === 1 && tier !== 'target' ? 'exact' : 'ambiguous';
      if (confidence === 'exact') exact++;
      else ambiguous++;
      if (tier === 'line') byLine++;
      const notes: string[] = [];
      if (tier === 'line') notes.push('call row on the same line at another column');
      if (tier === 'target') notes.push('line-0 site: merged call found by its target in the function');
      const tails = calls.filter((c) => c.tail);
      if (tails.length > 0)
        notes.push(
          `also reached by a tail call at ${tails.map((c) => `${c.symbol.name}+${hex(c.insn.offset - c.symbol.sectionOffset!)}`).join(', ')} (not recorded)`,
        );
      const out = real.map((c): AllocationProbe => {
        probes++;
        const callOffset = c.insn.offset - c.symbol.sectionOffset!;
        return {
          object: c.object.path,
          symbol: c.symbol.name,
          offset: callOffset + c.insn.length,
          callOffset,
          section: c.section.name,
          confidence,
          ...(notes.length > 0 ? { reason: notes.join('; ') } : {}),
        };
      });
      return { ...site, probes: out };
    });
    return {
      allocationSites,
      stats: { sites: allocationSites.length, exact, ambiguous, unmapped, unmappedReasons: reasons, probes, byLine },
    };
  } finally {
    if (owned) for (const o of indexes) o.dispose();
  }
}
