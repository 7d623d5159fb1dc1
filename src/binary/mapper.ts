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

import type { Access, BinarySite, MemoryOperand, Policy, SourceFrame } from "../policy/schema.js";
import { readDebugInfo } from "./dwarf/info.js";
import { InlineIndex, type InlineChain } from "./dwarf/inline.js";
import { readLineTable } from "./dwarf/line.js";
import type { ElfFile, ElfSection } from "./elf/file.js";
import { mapAllocationSites, type AllocationStats } from "./alloc-probes.js";
import type { Relocation } from "./elf/relocations.js";
import type { ElfSymbol } from "./elf/symbols.js";
import { STT_FILE, STT_OBJECT, STT_SECTION } from "./elf/constants.js";
import { CodeDecoder, type DecodedInstruction, type FunctionCode, type MemoryWrite } from "./x86/decode.js";

/** One object the mapper reads: its path (recorded in each BinarySite) and the parsed ELF. */
export interface MapperObject {
  readonly path: string;
  readonly elf: ElfFile;
}

/** Why an access could not be mapped. */
export type UnmappedReason =
  | "no location" // the IR write carries no debug location
  | "line 0" // its location is line 0 (merged by the optimizer) outside any inlined function
  | "no symbol" // no object defines a function symbol of the access's name
  | "no rows" // the symbol has no line-table row of the innermost frame's file:line:column
  | "inlined away" // rows exist, but none under the access's inline chain
  | "no writing instruction"; // the rows' instructions write no memory of a compatible width

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
  /** Statically safe sites by rule. */
  readonly safeBy: Readonly<{ rsp: number; rbp: number; global: number }>;
  /** Accesses mapped only by a fallback tier (another column; rowless instructions of the inlined instance). */
  readonly byTier: Readonly<{ line: number; rowless: number }>;
  /** Sites that still need a run-time check. */
  readonly checkedSites: number;
  /** The allocation sites' probe points ({@link mapAllocationSites}). */
  readonly allocations: AllocationStats;
}

/** Options of {@link mapSitesToAddresses}. */
export interface MapOptions {
  /** Skip static elimination (every site needs a check). */
  readonly noStaticElimination?: boolean;
}

/** A line-table row's code span: [start, end) in a section. */
export interface RowSpan {
  readonly section: number;
  readonly start: number;
  readonly end: number;
}

function basename(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.slice(i + 1);
}

function stem(p: string): string {
  const b = basename(p);
  const i = b.lastIndexOf(".");
  return i <= 0 ? b : b.slice(0, i);
}

function locKey(file: string, line: number, column: number): string {
  return `${basename(file)}\0${line}\0${column}`;
}

function lineKey(file: string, line: number): string {
  return `${basename(file)}\0${line}`;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  let l = m.get(k);
  if (l === undefined) m.set(k, (l = []));
  l.push(v);
}

/**
 * The per-object state of the mapper: rows by location, function symbols by
 * name and by section, the inline index and the decoded code of each symbol
 * (decoded on first use).
 */
export class ObjectIndex {
  readonly path: string;
  readonly elf: ElfFile;
  /** Row spans by `basename \0 line \0 column`. */
  private readonly rows = new Map<string, RowSpan[]>();
  /** Row spans by `basename \0 line` (any column). */
  private readonly lineRows = new Map<string, RowSpan[]>();
  /** Every row span with its line, by section, in address order. */
  private readonly allRows = new Map<number, (RowSpan & { readonly line: number })[]>();
  /** The rowless instruction spans of each symbol (by symbol index), computed on first use. */
  private readonly rowless = new Map<number, RowSpan[]>();
  /** STT_FUNC symbols by name (several static functions may share one). */
  private readonly functions = new Map<string, ElfSymbol[]>();
  /** STT_FUNC symbols by section, sorted by offset. */
  private readonly bySection = new Map<number, ElfSymbol[]>();
  private inline: InlineIndex | undefined;
  private readonly decoder: CodeDecoder;
  private readonly code = new Map<number, FunctionCode>();
  private readonly framePointer = new Map<number, boolean>();
  /** The relocations of each code section by offset (tail calls, call targets). */
  private readonly relocated = new Map<number, Map<number, Relocation>>();

  constructor(object: MapperObject) {
    this.path = object.path;
    this.elf = object.elf;
    this.decoder = new CodeDecoder(object.elf);
    for (const s of this.decoder.functionSymbols()) {
      let l = this.functions.get(s.name);
      if (l === undefined) this.functions.set(s.name, (l = []));
      l.push(s);
      let b = this.bySection.get(s.sectionIndex);
      if (b === undefined) this.bySection.set(s.sectionIndex, (b = []));
      b.push(s);
    }
    for (const program of readLineTable(object.elf)) {
      for (const seq of program.sequences) {
        if (seq.section === undefined) continue;
        const rows = seq.rows;
        for (let i = 0; i + 1 < rows.length; i++) {
          const r = rows[i]!;
          const next = rows[i + 1]!;
          if (r.endSequence || r.offset === undefined || next.offset === undefined || next.offset <= r.offset) continue;
          const span = { section: seq.section.index, start: r.offset, end: next.offset };
          push(this.allRows, seq.section.index, { ...span, line: r.line });
          if (r.line === 0) continue;
          push(this.rows, locKey(r.path ?? "", r.line, r.column), span);
          push(this.lineRows, lineKey(r.path ?? "", r.line), span);
        }
      }
    }
    for (const l of this.allRows.values()) l.sort((a, b) => a.start - b.start);
  }

  /** The function symbols named `name`. */
  symbolsNamed(name: string): readonly ElfSymbol[] {
    return this.functions.get(name) ?? [];
  }

  /** The row spans of a source location (file compared by basename). */
  rowsAt(file: string, line: number, column: number): readonly RowSpan[] {
    return this.rows.get(locKey(file, line, column)) ?? [];
  }

  /** The row spans of a source line, any column (file compared by basename). */
  rowsOnLine(file: string, line: number): readonly RowSpan[] {
    return this.lineRows.get(lineKey(file, line)) ?? [];
  }

  /** The line of the row covering (section, offset): 0 for a line-0 row, undefined under no row. */
  lineAt(section: number, offset: number): number | undefined {
    const rows = this.allRows.get(section) ?? [];
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rows[mid]!.start <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && offset < rows[lo - 1]!.end ? rows[lo - 1]!.line : undefined;
  }

  /**
   * The instructions of a function symbol that have no row of their own: under
   * a line-0 row, under no row, or under a row begun in another inline scope
   * (the row of a call carried over the inline asm after it). One span each.
   */
  rowlessIn(symbol: ElfSymbol): readonly RowSpan[] {
    let out = this.rowless.get(symbol.index);
    if (out !== undefined) return out;
    out = [];
    const rows = this.allRows.get(symbol.sectionIndex) ?? [];
    const sec = symbol.sectionIndex;
    for (const insn of this.codeOf(symbol).instructions) {
      if (insn.writes.length === 0) continue;
      let lo = 0;
      let hi = rows.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (rows[mid]!.start <= insn.offset) lo = mid + 1;
        else hi = mid;
      }
      const row = lo > 0 && insn.offset < rows[lo - 1]!.end ? rows[lo - 1] : undefined;
      let own = row !== undefined && row.line !== 0;
      if (own && row!.start !== insn.offset) {
        const a = this.chainAt(sec, row!.start);
        const b = this.chainAt(sec, insn.offset);
        own = a?.subprogram === b?.subprogram && a?.frames[0] === b?.frames[0];
      }
      if (!own) out.push({ section: sec, start: insn.offset, end: insn.offset + insn.length });
    }
    this.rowless.set(symbol.index, out);
    return out;
  }

  /** True when `insn` is `jmp rel32` whose displacement is relocated: a tail call to another function. */
  isTailCall(section: ElfSection, insn: DecodedInstruction): boolean {
    if (insn.length !== 5 || this.elf.sectionData(section)[insn.offset] !== 0xe9 || !this.elf.isRelocatable) return false;
    return this.relocationAt(section, insn.offset + 1) !== undefined;
  }

  /** The relocation applying at `offset` of `section` (ET_REL only; relocations read once per section). */
  relocationAt(section: ElfSection, offset: number): Relocation | undefined {
    if (!this.elf.isRelocatable) return undefined;
    let offs = this.relocated.get(section.index);
    if (offs === undefined) {
      offs = new Map();
      for (const rs of this.elf.relocationSectionsFor(section)) for (const r of this.elf.relocations(rs)) offs.set(Number(r.offset), r);
      this.relocated.set(section.index, offs);
    }
    return offs.get(offset);
  }

  /**
   * The data symbol a relocation target names: "sym+0x8" is sym at 8; a
   * section-relative target (".bss+0xa8", what assemblers emit for static
   * variables) is the STT_OBJECT symbol of that section holding the offset.
   */
  resolveTarget(target: string): ResolvedTarget | undefined {
    const { name, addend } = parseTarget(target);
    const named = this.elf.symbols.find((s) => s.name === name && s.type !== STT_SECTION && s.type !== STT_FILE);
    if (named !== undefined) return { name, offset: addend, size: named.sectionOffset !== undefined && named.size > 0 ? named.size : undefined };
    const sections = this.elf.sectionsByName(name);
    if (sections.length !== 1) return undefined;
    const sec = sections[0]!.index;
    const holder = this.elf.symbols.find((s) => s.type === STT_OBJECT && s.sectionIndex === sec && s.sectionOffset !== undefined && addend >= s.sectionOffset && addend < s.sectionOffset + Math.max(1, s.size));
    return holder === undefined ? undefined : { name: holder.name, offset: addend - holder.sectionOffset!, size: holder.size > 0 ? holder.size : undefined };
  }

  /** The inline chain at (section, offset). */
  chainAt(section: number, offset: number): InlineChain | undefined {
    this.inline ??= new InlineIndex(readDebugInfo(this.elf));
    return this.inline.chainAt(section as never, offset);
  }

  /** The decoded instructions of a function symbol (cached). */
  codeOf(symbol: ElfSymbol): FunctionCode {
    let c = this.code.get(symbol.index);
    if (c === undefined) this.code.set(symbol.index, (c = this.decoder.decodeSymbol(symbol)));
    return c;
  }

  /**
   * True when the function keeps a frame pointer: `push rbp` (0x55) directly
   * followed by `mov rbp, rsp` (48 89 e5 or 48 8b ec) among its first instructions.
   */
  keepsFramePointer(symbol: ElfSymbol): boolean {
    let fp = this.framePointer.get(symbol.index);
    if (fp === undefined) {
      fp = false;
      const code = this.codeOf(symbol);
      const data = this.elf.sectionData(code.section);
      const ins = code.instructions;
      for (let i = 0; i + 1 < Math.min(ins.length, 8); i++) {
        const a = ins[i]!;
        const b = ins[i + 1]!;
        if (a.length !== 1 || data[a.offset] !== 0x55 || b.length !== 3) continue;
        const x = data[b.offset]!, y = data[b.offset + 1]!, z = data[b.offset + 2]!;
        if (x === 0x48 && ((y === 0x89 && z === 0xe5) || (y === 0x8b && z === 0xec))) {
          fp = true;
          break;
        }
      }
      this.framePointer.set(symbol.index, fp);
    }
    return fp;
  }

  /** The function symbol of `section` holding `offset`, if any. */
  symbolAt(section: number, offset: number): ElfSymbol | undefined {
    const l = this.bySection.get(section);
    if (l === undefined) return undefined;
    let lo = 0;
    let hi = l.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (l[mid]!.sectionOffset! <= offset) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) {
      const s = l[i]!;
      if (offset < s.sectionOffset! + s.size) return s;
      if (s.sectionOffset! + s.size <= offset && i < lo - 4) break;
    }
    return undefined;
  }

  /** Frees the decoder's wasm memory. */
  dispose(): void {
    this.decoder.dispose();
  }
}

/**
 * True when the inline chain at an address is the access's: the out-of-line
 * function is the outermost frame's, and each inlined subroutine (innermost
 * first) is the frame's function called from the next frame's line and column
 * (and file, by basename, when both name one).
 */
export function chainMatches(chain: InlineChain, location: readonly SourceFrame[]): boolean {
  if (chain.frames.length !== location.length - 1) return false;
  const outer = location[location.length - 1]!;
  const subName = chain.subprogram.name ?? chain.subprogram.linkageName;
  if (subName !== undefined && outer.function !== "" && subName !== outer.function && chain.subprogram.linkageName !== outer.function) return false;
  for (let i = 0; i < chain.frames.length; i++) {
    const f = chain.frames[i]!;
    const callee = location[i]!;
    const caller = location[i + 1]!;
    if (callee.function !== "" && f.name !== callee.function && f.linkageName !== callee.function) return false;
    if (f.callLine !== caller.line || (f.callColumn ?? 0) !== caller.column) return false;
    if (f.callFile !== undefined && caller.file !== "" && basename(f.callFile) !== basename(caller.file)) return false;
  }
  return true;
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
export function widthFit(access: Pick<Access, "op" | "width">, w: MemoryWrite): 0 | 1 | 2 {
  switch (access.op) {
    case "store":
    case "atomicrmw":
    case "cmpxchg": {
      if (w.kind === "stack") return 0;
      const iw = access.width;
      if (iw === undefined) return 2;
      const mw = w.operand.width;
      if (mw === iw) return 2;
      if (iw > 8 && mw > 0 && mw < iw && iw % mw === 0) return 2;
      return access.op === "store" ? 1 : 0;
    }
    default:
      return 2;
  }
}

/** True when a machine write can perform the IR write at all ({@link widthFit} > 0). */
export function widthCompatible(access: Pick<Access, "op" | "width">, w: MemoryWrite): boolean {
  return widthFit(access, w) > 0;
}

/** A write target resolved to a data symbol: its name, the offset into it and its size (undefined when unknown). */
export interface ResolvedTarget {
  readonly name: string;
  readonly offset: number;
  readonly size: number | undefined;
}

/** Splits a relocation target such as "sym+0x10", ".bss-0x8" into name and addend. */
export function parseTarget(target: string): { name: string; addend: number } {
  const m = /^(.*?)(?:([+-])0x([0-9a-f]+))?$/.exec(target)!;
  const addend = m[3] === undefined ? 0 : parseInt(m[3], 16) * (m[2] === "-" ? -1 : 1);
  return { name: m[1]!, addend };
}

/**
 * Which static-elimination rule proves a write safe, if any (issue 4 item 5):
 * a constant offset from rsp (no index, no segment), from rbp when the
 * function keeps a frame pointer, or a rip-relative (or absolute, kernel code
 * model) write inside a global of the access's legal set (`name` or
 * `module::name` for statics). `resolve` turns a relocation target into a data
 * symbol (section-relative targets of static variables included); without it
 * the target's name is taken as is.
 */
export function staticSafety(
  operand: MemoryOperand,
  write: MemoryWrite,
  access: Pick<Access, "module" | "legal">,
  framePointer: boolean,
  resolve: (target: string) => ResolvedTarget | undefined = (t) => ({ name: parseTarget(t).name, offset: parseTarget(t).addend, size: undefined }),
): "rsp" | "rbp" | "global" | undefined {
  if (operand.segment !== undefined) return undefined;
  // the stack write of a call is not the write the access stands for (the callee's)
  if (write.kind !== "explicit") return undefined;
  if (operand.index !== undefined) return undefined;
  if (operand.base === "rsp") return "rsp";
  if (operand.base === "rbp" && framePointer) return "rbp";
  const target = operand.base === "rip" ? operand.ripTarget : operand.base === undefined ? write.displacementTarget : undefined;
  if (target !== undefined) {
    const g = resolve(target);
    if (g === undefined) return undefined;
    // the whole write inside the global
    if (g.size !== undefined && (g.offset < 0 || g.offset + operand.width > g.size)) return undefined;
    const globals = access.legal.globals;
    if (globals.includes(g.name) || globals.includes(`${access.module}::${g.name}`)) return "global";
  }
  return undefined;
}

/** The write a tail call stands for: none of its own (the callee writes); no operand is recorded. */
const TAIL_CALL: MemoryWrite = { operand: { scale: 1, displacement: 0, width: 0 }, kind: "stack", access: "write", repCount: undefined, elementWidth: 0, locked: false, displacementTarget: undefined };

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

/** The objects an access's function may live in: by module basename first (statics), else every object defining it. */
function objectsFor(access: Access, objects: readonly ObjectIndex[]): ObjectIndex[] {
  const withSymbol = objects.filter((o) => o.symbolsNamed(access.function).length > 0);
  const mod = stem(access.module);
  const same = withSymbol.filter((o) => stem(o.path) === mod);
  return same.length > 0 ? same : withSymbol;
}

/**
 * How the rows of a site were found: at its exact file:line:column; on its
 * line at another column (when no row carries the column); or, for a site in
 * an inlined function, among the instructions of that very inlined instance
 * (DW_TAG_inlined_subroutine ranges) that have no row of their own — line 0,
 * or a row carried over from the instruction before, as happens to inline asm
 * (`lock incl` of atomic_inc after a call, `lock cmpxchg` of try_cmpxchg).
 */
export type MatchTier = "location" | "line" | "rowless";

/** What a walk of row spans saw: spans inside the function at all, and spans whose inline chain matched. */
export interface SpanWalk {
  sawRows: boolean;
  sawChain: boolean;
}

/**
 * The instructions of function `fn` inside the row spans `spansOf` gives for each object, keeping
 * only spans whose inline chain matches `location`: the walk shared by writes and allocation calls.
 */
export function* instructionsInSpans(
  objects: readonly ObjectIndex[],
  fn: string,
  location: readonly SourceFrame[],
  spansOf: (o: ObjectIndex, syms: readonly ElfSymbol[]) => readonly RowSpan[],
  walk: SpanWalk,
): Generator<{ object: ObjectIndex; symbol: ElfSymbol; code: FunctionCode; insn: DecodedInstruction }> {
  for (const o of objects) {
    const named = o.symbolsNamed(fn);
    const syms = new Set(named);
    for (const span of spansOf(o, named)) {
      const sym = o.symbolAt(span.section, span.start);
      if (sym === undefined || !syms.has(sym)) continue;
      walk.sawRows = true;
      const chain = o.chainAt(span.section, span.start);
      if (chain === undefined || !chainMatches(chain, location)) continue;
      walk.sawChain = true;
      const code = o.codeOf(sym);
      for (const insn of code.instructions) {
        if (insn.offset < span.start) continue;
        if (insn.offset >= span.end) break;
        yield { object: o, symbol: sym, code, insn };
      }
    }
  }
}

/** The candidates of one access, the tier they were found at and, when there are none, why. */
export function candidatesOf(access: Access, objects: readonly ObjectIndex[]): { candidates: Candidate[]; tier?: MatchTier; reason?: UnmappedReason; symbol?: { object: ObjectIndex; symbol: ElfSymbol } } {
  if (access.location.length === 0) return { candidates: [], reason: "no location" };
  const inner = access.location[0]!;
  const outs = objectsFor(access, objects);
  if (outs.length === 0) return { candidates: [], reason: "no symbol" };
  const walk: SpanWalk = { sawRows: false, sawChain: false };
  const callLike = access.op !== "store" && access.op !== "atomicrmw" && access.op !== "cmpxchg";
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
      if (best === undefined && callLike && insn.mnemonic === "jmp" && o.isTailCall(code.section, insn)) best = { w: TAIL_CALL, fit: 2 };
      if (best !== undefined) out.push({ object: o, symbol: sym, section: code.section, insn, write: best.w, fit: best.fit });
    }
    // the same width first; another width only when nothing fits better
    const top = out.reduce((m, c) => Math.max(m, c.fit), 0);
    let kept = out.filter((c) => c.fit === top);
    // a call access performed by a call: the call instructions (and string stores) only, not the argument set-up (pushes)
    const isCall = (c: Candidate): boolean => c.write.kind === "stack" && (c.insn.mnemonic === "call" || c.insn.mnemonic === "jmp");
    if (callLike && kept.some(isCall)) kept = kept.filter((c) => isCall(c) || c.write.kind === "string");
    return kept;
  };
  let tier: MatchTier = "location";
  let candidates = inner.line === 0 ? [] : collect((o) => o.rowsAt(inner.file, inner.line, inner.column));
  const firstReason: UnmappedReason = inner.line === 0 ? "line 0" : !walk.sawRows ? "no rows" : !walk.sawChain ? "inlined away" : "no writing instruction";
  if (candidates.length === 0 && inner.line !== 0 && !walk.sawChain) {
    tier = "line";
    candidates = collect((o) => o.rowsOnLine(inner.file, inner.line).filter((r) => !o.rowsAt(inner.file, inner.line, inner.column).includes(r)));
  }
  if (candidates.length === 0 && access.location.length >= 2 && firstReason !== "no writing instruction") {
    tier = "rowless";
    candidates = collect((o, syms) => syms.flatMap((sym) => o.rowlessIn(sym)));
  }
  if (candidates.length > 0) return { candidates, tier, symbol: first };
  return { candidates, reason: firstReason, symbol: first };
}

/** What a site's `reason` says about a match that is not at the exact location and width. */
function siteReason(c: Candidate, tier: MatchTier, access: Access): string | undefined {
  const parts: string[] = [];
  if (tier === "line") parts.push("row on the same line at another column");
  if (tier === "rowless") parts.push("an instruction of the same inlined instance without a row of its own");
  if (c.fit === 1) parts.push(`a ${c.write.operand.width}-byte write for a ${access.width ?? "?"}-byte store (narrowed or merged)`);
  if (c.write.kind === "stack") parts.push(`a ${c.insn.mnemonic}: the callee performs the write (no operand)`);
  return parts.length > 0 ? parts.join("; ") : undefined;
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
export function mapSitesToAddresses(policy: Policy, objects: readonly MapperObject[] | readonly ObjectIndex[], options: MapOptions = {}): { policy: Policy; stats: MapStats } {
  const owned = objects.length > 0 && !(objects[0] instanceof ObjectIndex);
  const indexes = owned ? (objects as readonly MapperObject[]).map((o) => new ObjectIndex(o)) : (objects as readonly ObjectIndex[]);
  const reasons: Record<UnmappedReason, number> = { "line 0": 0, "no location": 0, "no symbol": 0, "no rows": 0, "inlined away": 0, "no writing instruction": 0 };
  const safeBy = { rsp: 0, rbp: 0, global: 0 };
  const byTier = { line: 0, rowless: 0 };
  let exact = 0, ambiguous = 0, unmapped = 0, sites = 0, safeSites = 0, safeAccesses = 0;
  try {
    const accesses = policy.accesses.map((access): Access => {
      const { candidates, reason, symbol, tier } = candidatesOf(access, indexes);
      if (candidates.length === 0) {
        unmapped++;
        reasons[reason!]++;
        const site: BinarySite = {
          object: symbol?.object.path ?? "",
          symbol: symbol?.symbol.name ?? access.function,
          offset: 0,
          section: symbol !== undefined ? (symbol.object.elf.sections[symbol.symbol.sectionIndex]?.name ?? "") : "",
          confidence: "unmapped",
          reason: reason!,
        };
        return { ...access, binary: [site] };
      }
      const confidence = candidates.length === 1 ? "exact" : "ambiguous";
      if (confidence === "exact") exact++;
      else ambiguous++;
      if (tier !== "location") byTier[tier!]++;
      let allSafe = true;
      const binary = candidates.map((c): BinarySite => {
        sites++;
        const rule = options.noStaticElimination === true || access.legal.any ? undefined : staticSafety(c.write.operand, c.write, access, c.object.keepsFramePointer(c.symbol), (t) => c.object.resolveTarget(t));
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
          ...(c.write.kind === "stack" ? {} : { operand: c.write.operand }),
          confidence,
          ...(siteReason(c, tier!, access) !== undefined ? { reason: siteReason(c, tier!, access)! } : {}),
          ...(rule !== undefined ? { staticallySafe: true } : {}),
        };
      });
      if (allSafe) safeAccesses++;
      return { ...access, binary };
    });
    const allocated = mapAllocationSites(policy, indexes);
    const stats: MapStats = {
      accesses: accesses.length,
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
    };
    return { policy: { ...policy, allocationSites: allocated.allocationSites, accesses }, stats };
  } finally {
    if (owned) for (const o of indexes) o.dispose();
  }
}
