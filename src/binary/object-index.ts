// Owns the per-object state of the binary mapper (DESIGN.md §4): for one ELF
// object, its line-table rows by source location and by line, its function
// symbols by name and by section, its inline index, its decoded code (on
// first use) and its code relocations; plus the walk of a function's row
// spans whose inline chain matches a site's frames, which writes
// (mapper.ts) and allocation calls (alloc-probes.ts) share.
import type { SourceFrame } from '../policy/schema.js';
import { readDebugInfo } from './dwarf/info.js';
import { InlineIndex, type InlineChain } from './dwarf/inline.js';
import { readLineTable } from './dwarf/line.js';
import { STT_FILE, STT_OBJECT, STT_SECTION } from './elf/constants.js';
import type { ElfFile, ElfSection } from './elf/file.js';
import type { Relocation } from './elf/relocations.js';
import type { ElfSymbol } from './elf/symbols.js';
import { CodeDecoder, type DecodedInstruction, type FunctionCode } from './x86/decode.js';

/** One object the mapper reads: its path (recorded in each BinarySite) and the parsed ELF. */
export interface MapperObject {
  readonly path: string;
  readonly elf: ElfFile;
}

/** A line-table row's code span: [start, end) in a section. */
export interface RowSpan {
  readonly section: number;
  readonly start: number;
  readonly end: number;
}

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

/** A path's file name without its extension (`route` of `net/ipv6/route.o`). */
export function stem(p: string): string {
  const b = basename(p);
  const i = b.lastIndexOf('.');
  return i <= 0 ? b : b.slice(0, i);
}

/**
 * The objects a function of IR module `module` may live in: those defining `fn`, the one whose file
 * name is the module's first (a static name may repeat in other objects), else all of them.
 */
export function objectsDefining(fn: string, module: string, objects: readonly ObjectIndex[]): ObjectIndex[] {
  const withSymbol = objects.filter((o) => o.symbolsNamed(fn).length > 0);
  const mod = stem(module);
  const same = withSymbol.filter((o) => stem(o.path) === mod);
  return same.length > 0 ? same : withSymbol;
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

/** A write target resolved to a data symbol: its name, the offset into it and its size (undefined when unknown). */
export interface ResolvedTarget {
  readonly name: string;
  readonly offset: number;
  readonly size: number | undefined;
}

/** Splits a relocation target such as "sym+0x10", ".bss-0x8" into name and addend. */
export function parseTarget(target: string): { name: string; addend: number } {
  const m = /^(.*?)(?:([+-])0x([0-9a-f]+))?$/.exec(target)!;
  const addend = m[3] === undefined ? 0 : parseInt(m[3], 16) * (m[2] === '-' ? -1 : 1);
  return { name: m[1]!, addend };
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
  private readonly entries = new Map<number, Set<number>>();

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
          push(this.rows, locKey(r.path ?? '', r.line, r.column), span);
          push(this.lineRows, lineKey(r.path ?? '', r.line), span);
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

  /**
   * The function a direct `call rel32` / `jmp rel32` (any prefixes) reaches: in an object file, the
   * symbol its displacement's relocation names; in a linked image, the function symbol at its
   * target. Undefined for any other instruction, or a target no symbol names.
   */
  directCallee(section: ElfSection, insn: DecodedInstruction): string | undefined {
    if ((insn.mnemonic !== 'call' && insn.mnemonic !== 'jmp') || insn.length < 5) return undefined;
    const data = this.elf.sectionData(section);
    const end = insn.offset + insn.length;
    const op = data[end - 5];
    if (op !== 0xe8 && op !== 0xe9) return undefined;
    if (this.elf.isRelocatable) {
      const r = this.relocationAt(section, end - 4);
      const sym = r === undefined ? undefined : this.elf.symbols[r.symbolIndex];
      return sym === undefined || sym.type === STT_SECTION ? undefined : sym.name;
    }
    const rel = data[end - 4]! | (data[end - 3]! << 8) | (data[end - 2]! << 16) | (data[end - 1]! << 24);
    const target = this.symbolAt(section.index, end + rel);
    return target !== undefined && target.sectionOffset === end + rel ? target.name : undefined;
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
    if (named !== undefined)
      return { name, offset: addend, size: named.sectionOffset !== undefined && named.size > 0 ? named.size : undefined };
    const sections = this.elf.sectionsByName(name);
    if (sections.length !== 1) return undefined;
    const sec = sections[0]!.index;
    const holder = this.elf.symbols.find(
      (s) =>
        s.type === STT_OBJECT &&
        s.sectionIndex === sec &&
        s.sectionOffset !== undefined &&
        addend >= s.sectionOffset &&
        addend < s.sectionOffset + Math.max(1, s.size),
    );
    return holder === undefined
      ? undefined
      : { name: holder.name, offset: addend - holder.sectionOffset!, size: holder.size > 0 ? holder.size : undefined };
  }

  /** The inline chain at (section, offset). */
  chainAt(section: number, offset: number): InlineChain | undefined {
    this.inline ??= new InlineIndex(readDebugInfo(this.elf));
    return this.inline.chainAt(section as never, offset);
  }

  /**
   * Offsets of `section` that control may reach other than by falling through or by a branch
   * decoded in the code itself: every place a relocation from another section (or from the
   * section itself) names — exception-table fixups, jump-label targets, alternatives, `.cold`
   * parts jumping back, addresses taken — as S + A and S + A + 4 (a data reference and a
   * rel32 branch). Sections that only annotate code (debug info, ORC, the objtool site lists)
   * name places control never arrives at by them and are left out (`.smp_locks` lists lock
   * prefixes, `__bug_table` the `ud2` of BUG/WARN, which ends a run by itself). Used by the coverage proof
   * (coverage.ts) as places where a straight-line run may begin.
   */
  entryPoints(section: ElfSection): ReadonlySet<number> {
    let out = this.entries.get(section.index);
    if (out !== undefined) return out;
    out = new Set();
    const annotation =
      /^(\.debug|\.orc_unwind|\.eh_frame|\.retpoline_sites|\.return_sites|\.call_sites|\.static_call_sites|\.ibt_endbr_seal|__mcount_loc|\.discard\.|\.BTF|\.smp_locks|__bug_table)/;
    for (const rs of this.elf.sections) {
      if (rs.type !== 4 /* SHT_RELA */ && rs.type !== 9 /* SHT_REL */) continue;
      const applied = this.elf.sections[rs.info];
      if (applied === undefined || annotation.test(applied.name)) continue;
      for (const r of this.elf.relocations(rs)) {
        const sym = this.elf.symbols[r.symbolIndex];
        if (sym === undefined || sym.sectionIndex !== section.index || sym.sectionOffset === undefined) continue;
        const at = sym.sectionOffset + Number(r.addend ?? 0n);
        out.add(at);
        out.add(at + 4);
      }
    }
    this.entries.set(section.index, out);
    return out;
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
        const x = data[b.offset]!,
          y = data[b.offset + 1]!,
          z = data[b.offset + 2]!;
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
  if (subName !== undefined && outer.function !== '' && subName !== outer.function && chain.subprogram.linkageName !== outer.function)
    return false;
  for (let i = 0; i < chain.frames.length; i++) {
    const f = chain.frames[i]!;
    const callee = location[i]!;
    const caller = location[i + 1]!;
    if (callee.function !== '' && f.name !== callee.function && f.linkageName !== callee.function) return false;
    if (f.callLine !== caller.line || (f.callColumn ?? 0) !== caller.column) return false;
    if (f.callFile !== undefined && caller.file !== '' && basename(f.callFile) !== basename(caller.file)) return false;
  }
  return true;
}

/** What a walk of row spans saw: spans inside the function at all, and spans whose inline chain matched. */
export interface SpanWalk {
  sawRows: boolean;
  sawChain: boolean;
}

/**
 * The symbols a call of the IR callee `callee` reaches in the binary: the function itself, and for
 * the memory intrinsics the kernel's routines (`llvm.memcpy.p0.p0.i64` → `memcpy`, `__memcpy`).
 */
export function calleeSymbols(callee: string | undefined): string[] | undefined {
  if (callee === undefined || callee === 'asm') return undefined;
  const m = /^llvm\.(memcpy|memmove|memset)(\.|$)/.exec(callee);
  if (m) return [m[1]!, `__${m[1]}`];
  return callee.startsWith('llvm.') ? undefined : [callee];
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
