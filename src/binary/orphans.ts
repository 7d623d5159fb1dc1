// Owns the function-level fallback for writes the mapper could not place (issue 10, "protection
// that holds"): the "orphan writes" of a function symbol — machine instructions that write
// memory (stores, read-modify-writes, xchg / cmpxchg, string stores, rep movs / stos) that no
// mapped access claims — and one fallback access per function whose sites are those
// instructions and whose legal set is the union of the sets of the IR writes they may perform.
//
// Why the union is sound: every write of the IR function is an access of the policy, and every
// machine write performs some IR write of its function (after inlining: the outermost one, whose
// machine symbol is the access's `function`). An orphan is not claimed by any mapped access, so
// it performs an unmapped access of that symbol, or (when the mapper chose other instructions for
// a mapped one) any access of it. Hence the basis: the union of the function's unmapped accesses'
// sets; a function with no unmapped access gets the union of all its accesses' sets. One "any"
// among them leaves the orphans unchecked (counted). Two widenings on top, both stated in the
// access's `fallback.detail`: the current stack (the compiler addresses its own frame through
// other registers than rsp — `lea rdi, [rsp+x]; rep stos` — for writes whose access it mapped
// elsewhere), and, when the union is of the unmapped accesses only, nothing else.
// Not orphans: the stack writes of push / call (the return address, argument set-up), writes at
// a constant offset from rsp (or rbp under a frame pointer) — the function's own frame, the same
// rule as the mapper's static elimination — and instructions an exception table names (user
// accesses: their address is a user pointer no legal set speaks of).
// Also here: unmapped stores no fallback stands for whose bytes a neighbour's merged wider store
// writes ({@link attributeMergedStores}); they are checked at that store with the union of both sets.
// And the calls of a writer routine no access claims ({@link attributeWriterCalls}): they go to
// the function's calls of that routine, checked at the call like any writer call.

import type { Access, BinarySite, LegalSet } from '../policy/schema.js';
import { emptyLegalSet, unionLegalSets } from '../policy/legal-set.js';
import { calleeSymbols, objectsDefining, type ObjectIndex } from './object-index.js';
import type { MemoryWrite } from './x86/decode.js';
import { staticSafety } from './static-safety.js';

/** Which functions get a fallback: only those with unmapped accesses, or every function of the policy. */
export type FallbackScope = 'unmapped' | 'all';

/** Counts of one orphan pass. */
export interface OrphanStats {
  /** Function symbols scanned. */
  readonly functions: number;
  /** Machine writes no access claims, outside the function's own frame. */
  readonly orphanWrites: number;
  /** Orphan writes given a fallback site (checked, or statically safe inside a global of the union). */
  readonly fallbackSites: number;
  /** Orphan writes left unchecked, by why: a contributing set is "any". */
  readonly unchecked: Readonly<{ any: number }>;
  /** Writes not counted as orphans: frame writes (rsp / rbp constant offset), exception-table user accesses. */
  readonly skipped: Readonly<{ frame: number; userAccess: number }>;
  /** Fallback accesses added (one per function symbol name with orphans and a checkable union). */
  readonly fallbackAccesses: number;
  /** Unmapped accesses, by their unmapped reason: now standing behind a fallback site, or still unchecked and why. */
  readonly unmapped: Readonly<Record<string, { covered: number; any: number; noOrphan: number }>>;
  /**
   * Direct calls of a writer routine the policy checks at the call (`memcpy`, `copy_from_user`, …)
   * that no access claims, in the function symbols scanned (all of the policy's with scope `all`),
   * as `symbol+0xoffset callee`: the routine's write there runs unchecked.
   */
  readonly unclaimedWriterCalls: readonly string[];
}

const STACK_DETAIL = 'the current stack added: frame writes through another register than rsp';

/** The key of a machine instruction in `claimed`. */
function siteKey(object: string, section: string, symbol: string, offset: number): string {
  return `${object}\0${section}\0${symbol}\0${offset}`;
}

/** The machine instructions mapped accesses claim ({@link siteKey}s). */
function claimedSites(accesses: readonly Access[]): Set<string> {
  const claimed = new Set<string>();
  for (const a of accesses)
    for (const b of a.binary ?? []) if (b.confidence !== 'unmapped') claimed.add(siteKey(b.object, b.section, b.symbol, b.offset));
  return claimed;
}

/** The instructions an exception table (`__ex_table`, 12-byte entries: insn, fixup, data) names, by section index. */
function exceptionTableSites(o: ObjectIndex): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  for (const rs of o.elf.sections) {
    if (rs.type !== 4 /* SHT_RELA */) continue;
    const applied = o.elf.sections[rs.info];
    if (applied === undefined || applied.name !== '__ex_table') continue;
    for (const r of o.elf.relocations(rs)) {
      if (Number(r.offset) % 12 !== 0) continue;
      const sym = o.elf.symbols[r.symbolIndex];
      if (sym === undefined || sym.sectionOffset === undefined) continue;
      let set = out.get(sym.sectionIndex);
      if (set === undefined) out.set(sym.sectionIndex, (set = new Set()));
      set.add(sym.sectionOffset + Number(r.addend ?? 0n));
    }
  }
  return out;
}

/**
 * Gives the direct calls of a writer routine that no access claims (the line table lost their
 * rows: calls the optimizer merged across inlined instances or branches) to the accesses of their
 * function that call that routine: every machine call of `memcpy` in a function performs one of
 * the function's IR calls of `memcpy`, and one no mapped access claims performs an unmapped one —
 * or, when none of them is unmapped, a mapped one the backend duplicated. Each such access gets
 * every unclaimed call of its routine as an ambiguous site, so each call checks, from its argument
 * registers, the union of the sets of the IR calls it may be. Returns the accesses and how many
 * were given sites (the unmapped ones among them are mapped now).
 */
export function attributeWriterCalls(
  accesses: readonly Access[],
  indexes: readonly ObjectIndex[],
): { accesses: Access[]; attributed: number; mapped: number } {
  const claimed = claimedSites(accesses);
  // function → routine → the function's writer accesses calling it
  const callers = new Map<string, Map<string, Access[]>>();
  for (const a of accesses) {
    if (a.fallback !== undefined || a.writer === undefined) continue;
    const k = `${a.module}\0${a.function}`;
    let byRoutine = callers.get(k);
    if (byRoutine === undefined) callers.set(k, (byRoutine = new Map()));
    for (const r of calleeSymbols(a.callee) ?? []) byRoutine.set(r, [...(byRoutine.get(r) ?? []), a]);
  }
  const extra = new Map<Access, BinarySite[]>();
  for (const [k, byRoutine] of callers) {
    const [module, fn] = k.split('\0') as [string, string];
    for (const o of objectsDefining(fn, module, indexes))
      for (const sym of o.symbolsNamed(fn)) {
        if (sym.sectionOffset === undefined) continue;
        const code = o.codeOf(sym);
        for (const insn of code.instructions) {
          const routine = o.directCallee(code.section, insn);
          const list = routine === undefined ? undefined : byRoutine.get(routine);
          const offset = insn.offset - sym.sectionOffset;
          if (list === undefined || claimed.has(siteKey(o.path, code.section.name, sym.name, offset))) continue;
          const unmapped = list.filter((a) => a.binary?.[0]?.confidence === 'unmapped');
          const takers = unmapped.length > 0 ? unmapped : list;
          for (const a of takers) {
            const sites = extra.get(a) ?? [];
            sites.push({
              object: o.path,
              symbol: sym.name,
              offset,
              section: code.section.name,
              call: true,
              confidence: 'ambiguous',
              reason: `a call of ${routine} no access claims (its row lost): one of ${fn}'s ${takers.length} ${unmapped.length > 0 ? 'unmapped ' : ''}calls of it, checked against each one's set`,
            });
            extra.set(a, sites);
          }
        }
      }
  }
  let mapped = 0;
  const out = accesses.map((a): Access => {
    const sites = extra.get(a);
    if (sites === undefined) return a;
    const own = (a.binary ?? []).filter((b) => b.confidence !== 'unmapped');
    if (own.length === 0) mapped++;
    return { ...a, binary: [...own, ...sites] };
  });
  return { accesses: out, attributed: extra.size, mapped };
}

/** The one write of an instruction that an orphan site checks: its first write that is not a push / call stack write. */
function orphanWrite(writes: readonly MemoryWrite[]): MemoryWrite | undefined {
  return writes.find((w) => w.kind !== 'stack');
}

/**
 * Adds, for each function symbol (of `scope`) with orphan writes, a fallback access checking them
 * against the union of its basis (see the file comment); returns the accesses with the fallbacks
 * appended, and the counts. `accesses` must be mapped (each with its `binary`).
 */
export function addOrphanFallbacks(
  accesses: readonly Access[],
  indexes: readonly ObjectIndex[],
  scope: FallbackScope = 'all',
  staticElimination = true,
): { accesses: Access[]; stats: OrphanStats } {
  const claimed = claimedSites(accesses);
  const byFunction = new Map<string, Access[]>();
  for (const a of accesses) {
    const k = `${a.module}\0${a.function}`;
    const l = byFunction.get(k);
    if (l === undefined) byFunction.set(k, [a]);
    else l.push(a);
  }
  const exTables = new Map<ObjectIndex, Map<number, Set<number>>>();
  const unmappedOf = (a: Access): string | undefined => {
    const b = a.binary?.[0];
    return b?.confidence === 'unmapped' ? (b.reason ?? 'unmapped') : undefined;
  };
  const unmappedStats: Record<string, { covered: number; any: number; noOrphan: number }> = {};
  const countUnmapped = (list: readonly Access[], what: 'covered' | 'any' | 'noOrphan'): void => {
    for (const a of list) {
      const r = unmappedOf(a);
      if (r === undefined) continue;
      unmappedStats[r] ??= { covered: 0, any: 0, noOrphan: 0 };
      unmappedStats[r][what]++;
    }
  };
  let functions = 0,
    orphanWrites = 0,
    fallbackSites = 0,
    uncheckedAny = 0,
    frame = 0,
    userAccess = 0;
  const added: Access[] = [];
  // the routines the policy's writer calls reach (checked at the call from the argument registers)
  const writerRoutines = new Set(accesses.flatMap((a) => (a.writer !== undefined ? (calleeSymbols(a.callee) ?? []) : [])));
  const unclaimedWriterCalls: string[] = [];
  for (const list of byFunction.values()) {
    const first = list[0]!;
    const unmapped = list.filter((a) => unmappedOf(a) !== undefined);
    if (scope === 'unmapped' && unmapped.length === 0) continue;
    const basis = unmapped.length > 0 ? unmapped : list;
    const anyBasis = basis.some((a) => a.legal.any);
    const legal: LegalSet = unionLegalSets([...basis.map((a) => a.legal), { ...emptyStack() }]);
    const fallback: Access = {
      id: `${first.module}:${first.function}:fallback`,
      module: first.module,
      function: first.function,
      op: 'store',
      location: [],
      legal,
      fallback: {
        accesses: basis.map((a) => a.id),
        basis: unmapped.length > 0 ? 'unmapped' : 'function',
        detail:
          (unmapped.length > 0
            ? `orphan writes of ${first.function}: the union of its ${unmapped.length} unmapped accesses' legal sets`
            : `orphan writes of ${first.function}: no unmapped access, the union of all its ${list.length} accesses' legal sets`) +
          `; ${STACK_DETAIL}`,
      },
    };
    const sites: BinarySite[] = [];
    let orphansHere = 0;
    for (const o of objectsDefining(first.function, first.module, indexes)) {
      let ex = exTables.get(o);
      if (ex === undefined) exTables.set(o, (ex = exceptionTableSites(o)));
      for (const sym of o.symbolsNamed(first.function)) {
        if (sym.sectionOffset === undefined) continue;
        functions++;
        const code = o.codeOf(sym);
        const fp = o.keepsFramePointer(sym);
        for (const insn of code.instructions) {
          const offset = insn.offset - sym.sectionOffset;
          const callee = o.directCallee(code.section, insn);
          if (callee !== undefined && writerRoutines.has(callee) && !claimed.has(siteKey(o.path, code.section.name, sym.name, offset)))
            unclaimedWriterCalls.push(`${sym.name}+0x${offset.toString(16)} ${callee}`);
          const w = orphanWrite(insn.writes);
          if (w === undefined) continue;
          if (claimed.has(siteKey(o.path, code.section.name, sym.name, offset))) continue;
          if (ex.get(code.section.index)?.has(insn.offset)) {
            userAccess++;
            continue;
          }
          // the function's own frame: the mapper's static rule, independent of any legal set
          const own = staticSafety(w.operand, w, { module: first.module, legal: { ...legal, globals: [] } }, fp);
          if (own === 'rsp' || own === 'rbp') {
            frame++;
            continue;
          }
          orphanWrites++;
          orphansHere++;
          if (anyBasis) {
            uncheckedAny++;
            continue;
          }
          const safe = staticElimination && staticSafety(w.operand, w, fallback, fp, (t) => o.resolveTarget(t)) === 'global';
          const target = w.displacementTarget !== undefined && w.operand.base !== 'rip' ? o.resolveTarget(w.displacementTarget) : undefined;
          const operand =
            target === undefined
              ? w.operand
              : {
                  ...w.operand,
                  displacementTarget: `${target.name}${target.offset === 0 ? '+0x0' : target.offset < 0 ? `-0x${(-target.offset).toString(16)}` : `+0x${target.offset.toString(16)}`}`,
                };
          fallbackSites++;
          sites.push({
            object: o.path,
            symbol: sym.name,
            offset,
            section: code.section.name,
            operand,
            confidence: 'ambiguous',
            reason: `orphan write (${insn.mnemonic}): no access claims it; checked against the union of the function's ${fallback.fallback!.basis === 'unmapped' ? 'unmapped accesses' : 'accesses'}`,
            ...(safe ? { staticallySafe: true } : {}),
          });
        }
      }
    }
    if (orphansHere === 0) countUnmapped(unmapped, 'noOrphan');
    else if (anyBasis) countUnmapped(unmapped, 'any');
    else countUnmapped(unmapped, 'covered');
    if (sites.length > 0) added.push({ ...fallback, binary: sites });
  }
  return {
    accesses: [...accesses, ...added],
    stats: {
      functions,
      orphanWrites,
      fallbackSites,
      unchecked: { any: uncheckedAny },
      skipped: { frame, userAccess },
      fallbackAccesses: added.length,
      unmapped: unmappedStats,
      unclaimedWriterCalls,
    },
  };
}

/** A legal set of the current stack only, with why it joins a fallback's union. */
function emptyStack(): LegalSet {
  return emptyLegalSet({ stack: true, reasons: [{ kind: 'other', detail: `fallback: ${STACK_DETAIL}` }] });
}

/** The unmapped reasons {@link attributeMergedStores} considers: a store without a row of its own, or whose rows write nothing. */
const MERGEABLE = new Set(['no rows', 'no writing instruction']);

const sameFrame = (x: Access['location'][number], y: Access['location'][number]): boolean =>
  x.file === y.file && x.line === y.line && x.column === y.column && x.function === y.function;

/**
 * Unmapped stores whose bytes a neighbour's merged store writes (the backend joins adjacent stores
 * into one wider move under the first one's row, `pmsg->family = AF_INET6; pmsg->pad1 = 0;` as one
 * `movl`): an unmapped store A (no row of its own, or rows that write nothing) that no fallback stands
 * for, and a mapped store B of the same function, the same inline chain above the innermost frame and
 * an innermost line at most 3 lines away, whose site writes more than B's width — enough for both —
 * and needs a run-time check. A gets a copy of that site: emit then checks the instruction against
 * the union of A's and B's sets (one program per instruction), which only widens B's check, so no
 * legitimate write is refused that was not before. Returns the accesses and how many were attributed.
 */
export function attributeMergedStores(accesses: readonly Access[]): { accesses: Access[]; attributed: number } {
  const behind = new Set(accesses.flatMap((a) => a.fallback?.accesses ?? []));
  const byFunction = new Map<string, Access[]>();
  for (const a of accesses) {
    if (a.fallback !== undefined || a.op !== 'store' || a.width === undefined) continue;
    const k = `${a.module}\0${a.function}`;
    byFunction.set(k, [...(byFunction.get(k) ?? []), a]);
  }
  let attributed = 0;
  const out = accesses.map((a): Access => {
    const b0 = a.binary?.[0];
    if (a.fallback !== undefined || a.op !== 'store' || a.width === undefined || behind.has(a.id) || a.legal.any) return a;
    if (b0?.confidence !== 'unmapped' || !MERGEABLE.has(b0.reason ?? '') || a.location.length === 0) return a;
    const inner = a.location[0]!;
    const sites: BinarySite[] = [];
    for (const b of byFunction.get(`${a.module}\0${a.function}`) ?? []) {
      if (b === a || b.legal.any || b.location.length !== a.location.length || b.binary?.[0]?.confidence === 'unmapped') continue;
      const bi = b.location[0]!;
      if (bi.file !== inner.file || bi.function !== inner.function || Math.abs(bi.line - inner.line) > 3) continue;
      if (!b.location.slice(1).every((f, i) => sameFrame(f, a.location[i + 1]!))) continue;
      for (const s of b.binary ?? []) {
        const w = s.operand?.width ?? 0;
        if (s.staticallySafe === true || s.operand === undefined || !(w > b.width!) || a.width + b.width! > w) continue;
        if (!/narrowed or merged/.test(s.reason ?? '')) continue;
        if (sites.some((x) => x.symbol === s.symbol && x.offset === s.offset)) continue;
        sites.push({
          object: s.object,
          symbol: s.symbol,
          offset: s.offset,
          section: s.section,
          operand: s.operand,
          confidence: 'ambiguous',
          reason: `merged store: the ${w}-byte write of ${b.id} (${b.width} bytes) also holds this ${a.width}-byte store, which has no row of its own (${b0.reason})`,
        });
      }
    }
    if (sites.length === 0) return a;
    attributed++;
    return { ...a, binary: sites };
  });
  return { accesses: out, attributed };
}
