// Owns the IR-site → machine-instruction mapping (DESIGN.md §4, issue 4 items
// 4 and 5): for each access of an IR-level policy, the instructions of the
// same source location (file basename, line, column) inside the function
// symbol named by the access, whose inline chain (DW_TAG_inlined_subroutine)
// matches the access's frames one by one, and that write memory with a width
// compatible with the IR write — recorded as BinarySites with a confidence;
// when no row carries the location, fallback tiers (another column; the
// rowless instructions of the site's own inlined instance) — and the static
// elimination of writes that need no run-time check (constant offsets from
// rsp, from rbp under a frame pointer, rip-relative writes inside a global of
// the legal set).

import { functionLayouts, withGlobalLayout } from './global-layout.js';
import type { Access, BinarySite, MemoryOperand, Policy } from '../policy/schema.js';
import { mapAllocationSites, type AllocationStats } from './alloc-probes.js';
import { coverDominatedSites } from './coverage.js';
import { mapIndirectCalls, type IndirectCallMapStats } from './icall-map.js';
import type { ElfSection } from './elf/file.js';
import type { ElfSymbol } from './elf/symbols.js';
import {
  ObjectIndex,
  calleeSymbols,
  instructionsInSpans,
  objectsDefining,
  type MapperObject,
  type RowSpan,
  type SpanWalk,
} from './object-index.js';
import type { DecodedInstruction, MemoryWrite } from './x86/decode.js';
import { staticSafety } from './static-safety.js';
import { addOrphanFallbacks, attributeMergedStores, attributeWriterCalls, type FallbackScope, type OrphanStats } from './orphans.js';

export { staticSafety } from './static-safety.js';

/** Why an access could not be mapped. */
export type UnmappedReason =
  | 'no location' // the IR write carries no debug location
  | 'line 0' // its location is line 0 (merged by the optimizer) outside any inlined function
  | 'no symbol' // no object defines a function symbol of the access's name
  | 'no rows' // the symbol has no line-table row of the innermost frame's file:line:column
  | 'inlined away' // rows exist, but none under the access's inline chain
  | 'no writing instruction'; // the rows' instructions write no memory of a compatible width

/** Counts of one mapping run. */
export interface MapStats {
  readonly accesses: number;
  /** Accesses with at least one candidate (exact + ambiguous). */
  readonly mapped: number;
  readonly exact: number;
  readonly ambiguous: number;
  readonly unmapped: number;
  readonly unmappedReasons: Readonly<Record<UnmappedReason, number>>;
  /** Candidate instructions recorded (one access may have several). */
  readonly sites: number;
  /** Candidate instructions statically safe (no run-time check). */
  readonly staticallySafeSites: number;
  /** Mapped accesses all of whose sites are statically safe. */
  readonly staticallySafeAccesses: number;
  /** Statically safe sites by rule (`covered`: checked by an earlier site's widened check, coverage.ts). */
  readonly safeBy: Readonly<{ rsp: number; rbp: number; global: number; covered: number }>;
  /** Accesses mapped only by a fallback tier (another column; rowless instructions of the inlined instance). */
  readonly byTier: Readonly<{ line: number; rowless: number }>;
  /** Sites that still need a run-time check. */
  readonly checkedSites: number;
  /** The allocation sites' probe points ({@link mapAllocationSites}). */
  readonly allocations: AllocationStats;
  /** The indirect calls' machine instructions ({@link mapIndirectCalls}). */
  readonly indirectCalls: IndirectCallMapStats;
  /** The orphan writes and their fallback sites ({@link addOrphanFallbacks}); absent with `orphans: 'none'`. */
  readonly orphans?: OrphanStats;
  /**
   * Writer calls (`memcpy`, `copy_from_user`, …) given the calls of their routine no access claimed
   * ({@link attributeWriterCalls}): accesses, and how many of them were unmapped; absent with `orphans: 'none'`.
   */
  readonly writerCalls?: { readonly accesses: number; readonly wereUnmapped: number };
  /** Unmapped stores given the site of a neighbour's merged store ({@link attributeMergedStores}); absent with `orphans: 'none'`. */
  readonly mergedStores?: number;
}

/** Options of {@link mapSitesToAddresses}. */
export interface MapOptions {
  /** Skip static elimination (every site needs a check). */
  readonly noStaticElimination?: boolean;
  /**
   * Which functions get a fallback access for their orphan writes (orphans.ts): `all` (default),
   * `unmapped` (only functions with unmapped accesses), or `none`.
   */
  readonly orphans?: FallbackScope | 'none';
}

/**
 * How well a machine write fits the IR write: 2 when it performs it at the
 * same width (a wider IR store may also be split into equal smaller pieces),
 * 1 when it can still be it at another width (a store narrowed to the bytes it
 * changes, as `or byte [r], 1` for a bit field; adjacent stores merged into
 * one wider move), 0 when it cannot. Stores, atomics and cmpxchg need an
 * explicit or string write; memcpy, memmove, memset and calls accept any write,
 * the stack write of a call included (the callee writes).
 */
export function widthFit(access: Pick<Access, 'op' | 'width'>, w: MemoryWrite): 0 | 1 | 2 {
  switch (access.op) {
    case 'store':
    case 'atomicrmw':
    case 'cmpxchg': {
      if (w.kind === 'stack') return 0;
      const iw = access.width;
      if (iw === undefined) return 2;
      const mw = w.operand.width;
      if (mw === iw) return 2;
      if (iw > 8 && mw > 0 && mw < iw && iw % mw === 0) return 2;
      return access.op === 'store' ? 1 : 0;
    }
    default:
      return 2;
  }
}

/** True when a machine write can perform the IR write at all ({@link widthFit} > 0). */
export function widthCompatible(access: Pick<Access, 'op' | 'width'>, w: MemoryWrite): boolean {
  return widthFit(access, w) > 0;
}

/** The write a tail call stands for: none of its own (the callee writes); no operand is recorded. */
const TAIL_CALL: MemoryWrite = {
  operand: { scale: 1, displacement: 0, width: 0 },
  kind: 'stack',
  access: 'write',
  repCount: undefined,
  elementWidth: 0,
  locked: false,
  displacementTarget: undefined,
};

/**
 * The operand of a candidate with its relocated displacement named by a data symbol the loader
 * can find in kallsyms: a section-relative target (`.bss+0x40`, a static) becomes the static's
 * name and offset (`fl_ht+0x0`); an unresolvable one keeps the relocation's own spelling.
 */
function withResolvedDisplacement(c: Candidate): MemoryOperand {
  const t = c.write.displacementTarget;
  if (t === undefined || c.write.operand.base === 'rip') return c.write.operand;
  const g = c.object.resolveTarget(t);
  const target =
    g === undefined
      ? t
      : `${g.name}${g.offset === 0 ? '+0x0' : g.offset < 0 ? `-0x${(-g.offset).toString(16)}` : `+0x${g.offset.toString(16)}`}`;
  return { ...c.write.operand, displacementTarget: target };
}

/** One instruction that may perform an access, and the write it would perform. */
export interface Candidate {
  readonly object: ObjectIndex;
  readonly symbol: ElfSymbol;
  readonly section: ElfSection;
  readonly insn: DecodedInstruction;
  readonly write: MemoryWrite;
  /** {@link widthFit} of the write. */
  readonly fit: number;
}

/**
 * How the rows of a site were found: at its exact file:line:column; on its
 * line at another column (when no row carries the column); or, for a site in
 * an inlined function, among the instructions of that very inlined instance
 * (DW_TAG_inlined_subroutine ranges) that have no row of their own — line 0,
 * or a row carried over from the instruction before, as happens to inline asm
 * (`lock incl` of atomic_inc after a call, `lock cmpxchg` of try_cmpxchg); for
 * a call at line 0 outside inlined code, the function's own calls to the same
 * callee that have no row of their own.
 */
export type MatchTier = 'location' | 'line' | 'rowless';

/** The candidates of one access, the tier they were found at and, when there are none, why. */
export function candidatesOf(
  access: Access,
  objects: readonly ObjectIndex[],
): { candidates: Candidate[]; tier?: MatchTier; reason?: UnmappedReason; symbol?: { object: ObjectIndex; symbol: ElfSymbol } } {
  if (access.location.length === 0) return { candidates: [], reason: 'no location' };
  const inner = access.location[0]!;
  const outs = objectsDefining(access.function, access.module, objects);
  if (outs.length === 0) return { candidates: [], reason: 'no symbol' };
  const walk: SpanWalk = { sawRows: false, sawChain: false };
  const callLike = access.op !== 'store' && access.op !== 'atomicrmw' && access.op !== 'cmpxchg';
  const first = { object: outs[0]!, symbol: outs[0]!.symbolsNamed(access.function)[0]! };
  const collect = (spansOf: (o: ObjectIndex, syms: readonly ElfSymbol[]) => readonly RowSpan[]): Candidate[] => {
    const out: Candidate[] = [];
    for (const { object: o, symbol: sym, code, insn } of instructionsInSpans(outs, access.function, access.location, spansOf, walk)) {
      let best: { w: MemoryWrite; fit: number } | undefined;
      for (const w of insn.writes) {
        const fit = widthFit(access, w);
        if (fit > 0 && (best === undefined || fit > best.fit)) best = { w, fit };
      }
      // a tail call (jmp to a relocated function) performs a call access as a call does
      if (best === undefined && callLike && insn.mnemonic === 'jmp' && o.isTailCall(code.section, insn)) best = { w: TAIL_CALL, fit: 2 };
      if (best !== undefined) out.push({ object: o, symbol: sym, section: code.section, insn, write: best.w, fit: best.fit });
    }
    // the same width first; another width only when nothing fits better
    const top = out.reduce((m, c) => Math.max(m, c.fit), 0);
    let kept = out.filter((c) => c.fit === top);
    // a call access performed by a call: the call instructions (and string stores) only, not the argument set-up (pushes)
    const isCall = (c: Candidate): boolean => c.write.kind === 'stack' && (c.insn.mnemonic === 'call' || c.insn.mnemonic === 'jmp');
    if (callLike && kept.some(isCall)) kept = kept.filter((c) => isCall(c) || c.write.kind === 'string');
    return kept;
  };
  let tier: MatchTier = 'location';
  let candidates = inner.line === 0 ? [] : collect((o) => o.rowsAt(inner.file, inner.line, inner.column));
  const firstReason: UnmappedReason =
    inner.line === 0 ? 'line 0' : !walk.sawRows ? 'no rows' : !walk.sawChain ? 'inlined away' : 'no writing instruction';
  if (candidates.length === 0 && inner.line !== 0 && !walk.sawChain) {
    tier = 'line';
    candidates = collect((o) =>
      o.rowsOnLine(inner.file, inner.line).filter((r) => !o.rowsAt(inner.file, inner.line, inner.column).includes(r)),
    );
  }
  if (candidates.length === 0 && access.location.length >= 2 && firstReason !== 'no writing instruction') {
    tier = 'rowless';
    candidates = collect((o, syms) => syms.flatMap((sym) => o.rowlessIn(sym)));
  }
  // a call at line 0 outside inlined code (two calls the optimizer merged, `memcpy(dflt, …)` of two
  // branches): the function's own calls without a row of their own, to that very callee
  const callees = inner.line === 0 && access.location.length === 1 && callLike ? calleeSymbols(access.callee) : undefined;
  if (candidates.length === 0 && callees !== undefined) {
    tier = 'rowless';
    candidates = collect((o, syms) => syms.flatMap((sym) => o.rowlessIn(sym))).filter((c) => {
      const to = c.write.kind === 'stack' ? c.object.directCallee(c.section, c.insn) : undefined;
      return to !== undefined && callees.includes(to);
    });
  }
  if (candidates.length > 0) return { candidates, tier, symbol: first };
  return { candidates, reason: firstReason, symbol: first };
}

/** What a site's `reason` says about a match that is not at the exact location and width. */
function siteReason(c: Candidate, tier: MatchTier, access: Access): string | undefined {
  const parts: string[] = [];
  if (tier === 'line') parts.push('row on the same line at another column');
  if (tier === 'rowless')
    parts.push(
      access.location.length === 1
        ? `a call to ${access.callee} at line 0 without a row of its own`
        : 'an instruction of the same inlined instance without a row of its own',
    );
  if (c.fit === 1) parts.push(`a ${c.write.operand.width}-byte write for a ${access.width ?? '?'}-byte store (narrowed or merged)`);
  if (c.write.kind === 'stack') parts.push(`a ${c.insn.mnemonic}: the callee performs the write (no operand)`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/**
 * Maps every access of `policy` to the machine instructions performing it in
 * `objects` and applies static elimination; returns a new policy with each
 * access's `binary` filled, each allocation site's `probes`
 * ({@link mapAllocationSites}), and the counts.
 *
 * @example
 * const elf = readElf(readFileSync("route.o"), "route.o");
 * const { policy: mapped, stats } = mapSitesToAddresses(policy, [{ path: "route.o", elf }]);
 * // mapped.accesses[0].binary → [{ object: "route.o", symbol: "ip6_route_output_flags", offset: 0x4c, … }]
 */
export function mapSitesToAddresses(
  policy: Policy,
  objects: readonly MapperObject[] | readonly ObjectIndex[],
  options: MapOptions = {},
): { policy: Policy; stats: MapStats } {
  const owned = objects.length > 0 && !(objects[0] instanceof ObjectIndex);
  const indexes = owned ? (objects as readonly MapperObject[]).map((o) => new ObjectIndex(o)) : (objects as readonly ObjectIndex[]);
  const reasons: Record<UnmappedReason, number> = {
    'line 0': 0,
    'no location': 0,
    'no symbol': 0,
    'no rows': 0,
    'inlined away': 0,
    'no writing instruction': 0,
  };
  const safeBy = { rsp: 0, rbp: 0, global: 0, covered: 0 };
  const byTier = { line: 0, rowless: 0 };
  let exact = 0,
    ambiguous = 0,
    unmapped = 0,
    sites = 0,
    safeSites = 0,
    safeAccesses = 0;
  try {
    const mappedAccesses = policy.accesses.map((access): Access => {
      const { candidates, reason, symbol, tier } = candidatesOf(access, indexes);
      if (candidates.length === 0) {
        unmapped++;
        reasons[reason!]++;
        const site: BinarySite = {
          object: symbol?.object.path ?? '',
          symbol: symbol?.symbol.name ?? access.function,
          offset: 0,
          section: symbol !== undefined ? (symbol.object.elf.sections[symbol.symbol.sectionIndex]?.name ?? '') : '',
          confidence: 'unmapped',
          reason: reason!,
        };
        return { ...access, binary: [site] };
      }
      const confidence = candidates.length === 1 ? 'exact' : 'ambiguous';
      if (confidence === 'exact') exact++;
      else ambiguous++;
      if (tier !== 'location') byTier[tier!]++;
      let allSafe = true;
      const binary = candidates.map((c): BinarySite => {
        sites++;
        const operand = withResolvedDisplacement(c);
        const rule =
          options.noStaticElimination === true || access.legal.any
            ? undefined
            : staticSafety(c.write.operand, c.write, access, c.object.keepsFramePointer(c.symbol), (t) => c.object.resolveTarget(t));
        if (rule !== undefined) {
          safeSites++;
          safeBy[rule]++;
        } else allSafe = false;
        return {
          object: c.object.path,
          symbol: c.symbol.name,
          offset: c.insn.offset - c.symbol.sectionOffset!,
          section: c.section.name,
          // a call's own write is its return address: the callee writes, through its arguments
          ...(c.write.kind === 'stack' ? {} : { operand }),
          ...(c.write.kind === 'stack' && (c.insn.mnemonic === 'call' || c.insn.mnemonic === 'jmp') ? { call: true } : {}),
          confidence,
          ...(siteReason(c, tier!, access) !== undefined ? { reason: siteReason(c, tier!, access)! } : {}),
          ...(rule !== undefined ? { staticallySafe: true } : {}),
        };
      });
      if (allSafe) safeAccesses++;
      return { ...access, binary };
    });
    const orphanScope = options.orphans ?? 'all';
    // calls of a writer routine no access claims: to the function's accesses calling that routine
    const writerCalls = orphanScope === 'none' ? undefined : attributeWriterCalls(mappedAccesses, indexes);
    const withWriterCalls = writerCalls?.accesses ?? mappedAccesses;
    for (const [i, a] of withWriterCalls.entries()) {
      const before = mappedAccesses[i]!;
      if (a === before) continue;
      const was = (before.binary ?? []).filter((b) => b.confidence !== 'unmapped').length;
      sites += (a.binary?.length ?? 0) - was;
      if (was > 0) continue;
      // unmapped before: mapped now, ambiguously
      unmapped--;
      ambiguous++;
      const reason = before.binary?.[0]?.reason as UnmappedReason | undefined;
      if (reason !== undefined && reason in reasons) reasons[reason]--;
    }
    // machine writes no access claims: one fallback access per function (orphans.ts), whose
    // sites then go through coverage like any other
    const orphaned =
      orphanScope === 'none' ? undefined : addOrphanFallbacks(withWriterCalls, indexes, orphanScope, options.noStaticElimination !== true);
    const withFallbacks = orphaned?.accesses ?? withWriterCalls;
    if (orphaned !== undefined) {
      for (const a of withFallbacks.slice(mappedAccesses.length)) {
        for (const b of a.binary ?? []) {
          sites++;
          if (b.staticallySafe === true) {
            safeSites++;
            safeBy.global++;
          }
        }
      }
    }
    // unmapped stores no fallback stands for, whose bytes a neighbour's merged store writes
    const merged = orphanScope === 'none' ? undefined : attributeMergedStores(withFallbacks);
    const attributed = merged?.accesses ?? withFallbacks;
    if (merged !== undefined) for (const [i, a] of attributed.entries()) if (a !== withFallbacks[i]) sites += a.binary?.length ?? 0;
    // later writes checked by an earlier, widened check (coverage.ts)
    const cover = options.noStaticElimination === true ? undefined : coverDominatedSites(attributed, indexes);
    const accesses = cover?.accesses ?? attributed;
    if (cover !== undefined) {
      safeBy.covered = cover.stats.covered;
      safeSites += cover.stats.covered;
      safeAccesses = accesses.filter(
        (a) =>
          a.fallback === undefined && a.binary !== undefined && a.binary.length > 0 && a.binary.every((b) => b.staticallySafe === true),
      ).length;
    }
    const allocated = mapAllocationSites(policy, indexes);
    const icalls = mapIndirectCalls(policy, indexes);
    const stats: MapStats = {
      accesses: policy.accesses.length,
      mapped: exact + ambiguous,
      exact,
      ambiguous,
      unmapped,
      unmappedReasons: reasons,
      sites,
      staticallySafeSites: safeSites,
      staticallySafeAccesses: safeAccesses,
      safeBy,
      byTier,
      checkedSites: sites - safeSites,
      allocations: allocated.stats,
      indirectCalls: icalls.stats,
      ...(orphaned !== undefined ? { orphans: orphaned.stats } : {}),
      ...(merged !== undefined ? { mergedStores: merged.attributed } : {}),
      ...(writerCalls !== undefined ? { writerCalls: { accesses: writerCalls.attributed, wereUnmapped: writerCalls.mapped } } : {}),
    };
    const globals = withGlobalLayout(policy, accesses, indexes);
    const functions = functionLayouts(accesses, allocated.allocationSites, icalls.indirectCalls, indexes);
    const mapped: Policy = {
      ...policy,
      allocationSites: allocated.allocationSites,
      accesses,
      ...(globals.length ? { globals } : {}),
      ...(functions.length ? { functions } : {}),
    };
    if (policy.indirectCalls !== undefined) mapped.indirectCalls = icalls.indirectCalls;
    return { policy: mapped, stats };
  } finally {
    if (owned) for (const o of indexes) o.dispose();
  }
}
