// Owns the `.debug_info` section (DWARF 2–5 §7.5): unit headers (v2–4 and the
// v5 unit types, 32- and 64-bit), debugging information entries walked through
// their abbreviations (every form skipped or read by its encoding), and, of
// those entries, the scope tree the binary mapper matches inlining against:
// DW_TAG_subprogram, DW_TAG_inlined_subroutine and DW_TAG_lexical_block with
// names (through DW_AT_abstract_origin and DW_AT_specification), call sites
// (DW_AT_call_file resolved with the unit's line table) and address ranges
// (low_pc/high_pc, `.debug_rnglists`, `.debug_ranges`) keyed by code section.

import { ByteReader, describe, type What } from '../bytes.js';
import type { ElfFile } from '../elf/file.js';
import { DwarfError } from '../errors.js';
import {
  debugAbbrevOffset,
  debugAddrOffset,
  debugInfoOffset,
  debugLineOffset,
  debugRangesOffset,
  debugRngListsOffset,
  debugStrOffsetsOffset,
  type DebugAbbrevOffset,
  type DebugAddrOffset,
  type DebugInfoOffset,
  type DebugRngListsOffset,
  type DebugStrOffsetsOffset,
} from '../offsets.js';
import { type AbbreviationTable, parseAbbreviationTable } from './abbrev.js';
import { addressRange, DebugAddr, type AddressRange, type DwarfAddress } from './addr.js';
import * as C from './constants.js';
import { readFormValue, readInitialLength, skipFormValue, type FormEncoding, type FormValue } from './form.js';
import { parseLineProgram, type LineProgram } from './line.js';
import { DebugRanges, DebugRngLists, type RangeListContext } from './rnglists.js';
import { loadDwarfSections, type DwarfSectionData, type DwarfSections } from './sections.js';
import { DebugStrOffsets } from './str.js';

/** The kinds of entries kept in the scope tree. */
export type ScopeKind = 'subprogram' | 'inlined_subroutine' | 'lexical_block';

/** A DW_TAG_subprogram, DW_TAG_inlined_subroutine or DW_TAG_lexical_block entry. */
export interface Scope {
  readonly kind: ScopeKind;
  /** Offset of the entry in `.debug_info`. */
  readonly offset: DebugInfoOffset;
  /**
   * DW_AT_name, from the entry or, failing that, from the entry its
   * DW_AT_abstract_origin or DW_AT_specification names (followed transitively).
   */
  readonly name: string | undefined;
  /** DW_AT_linkage_name (or DW_AT_MIPS_linkage_name), found the same way. */
  readonly linkageName: string | undefined;
  /** DW_AT_abstract_origin: the abstract instance this concrete entry belongs to. */
  readonly abstractOrigin: DebugInfoOffset | undefined;
  /** DW_AT_call_file as stored (an index into the unit's line-table file names). */
  readonly callFileIndex: number | undefined;
  /** DW_AT_call_file resolved to a path with the unit's line table (as llvm-dwarfdump prints it). */
  readonly callFile: string | undefined;
  readonly callLine: number | undefined;
  readonly callColumn: number | undefined;
  /** The code the entry covers: [low_pc, high_pc) or its DW_AT_ranges; empty for abstract instances and declarations. */
  readonly ranges: readonly AddressRange[];
  readonly parent: Scope | undefined;
  readonly children: readonly Scope[];
}

/** One compile (or partial) unit and its scope tree. */
export interface CompileUnitInfo {
  /** Offset of the unit header in `.debug_info`. */
  readonly offset: DebugInfoOffset;
  /** Offset just past the unit. */
  readonly endOffset: number;
  readonly version: number;
  /** The v5 unit_type (DW_UT_*); DW_UT_compile for v2–4. */
  readonly unitType: number;
  readonly offsetSize: 4 | 8;
  readonly addressSize: number;
  readonly abbrevOffset: DebugAbbrevOffset;
  /** The unit entry's tag (DW_TAG_compile_unit, DW_TAG_partial_unit, DW_TAG_skeleton_unit, …). */
  readonly tag: number;
  readonly name: string | undefined;
  readonly compDir: string | undefined;
  readonly producer: string | undefined;
  /** DW_AT_stmt_list: the unit's line-number program. */
  readonly stmtList: number | undefined;
  /** DW_AT_low_pc of the unit entry: the base address of its range lists. */
  readonly lowPc: DwarfAddress | undefined;
  /** The unit's own code ranges (low_pc/high_pc or DW_AT_ranges). */
  readonly ranges: readonly AddressRange[];
  /** Scopes not nested in another kept scope: subprograms, mostly. */
  readonly scopes: readonly Scope[];
  readonly subprogramCount: number;
  readonly inlinedSubroutineCount: number;
  readonly lexicalBlockCount: number;
}

const DW_AT_producer = 0x25;
const MAX_ORIGIN_CHAIN = 16;

class ScopeNode implements Scope {
  name: string | undefined = undefined;
  linkageName: string | undefined = undefined;
  abstractOrigin: DebugInfoOffset | undefined = undefined;
  specification: DebugInfoOffset | undefined = undefined;
  callFileIndex: number | undefined = undefined;
  callFile: string | undefined = undefined;
  callLine: number | undefined = undefined;
  callColumn: number | undefined = undefined;
  ranges: AddressRange[] = [];
  readonly children: ScopeNode[] = [];
  constructor(
    readonly kind: ScopeKind,
    readonly offset: DebugInfoOffset,
    readonly parent: ScopeNode | undefined,
  ) {}

  toJSON(): Record<string, unknown> {
    return {
      kind: this.kind,
      offset: this.offset,
      name: this.name,
      linkageName: this.linkageName,
      callFile: this.callFile,
      callLine: this.callLine,
      callColumn: this.callColumn,
      ranges: this.ranges.map((r) => ({ section: r.section?.name, begin: `0x${r.begin.toString(16)}`, end: `0x${r.end.toString(16)}` })),
      children: this.children,
    };
  }
}

/** Names and name links of one subprogram entry, kept for DW_AT_abstract_origin / DW_AT_specification lookups. */
interface NameRecord {
  name: string | undefined;
  linkageName: string | undefined;
  link: DebugInfoOffset | undefined;
}

/** Everything one `.debug_info` walk shares across units. */
class InfoReader {
  readonly sections: DwarfSections;
  readonly info: DwarfSectionData;
  readonly strOffsets: DebugStrOffsets;
  readonly debugAddr: DebugAddr;
  readonly rngLists: DebugRngLists;
  readonly ranges: DebugRanges;
  readonly abbrevCache = new Map<number, AbbreviationTable>();
  readonly names = new Map<number, NameRecord>();
  readonly pendingNames: ScopeNode[] = [];

  constructor(sections: DwarfSections, info: DwarfSectionData) {
    this.sections = sections;
    this.info = info;
    this.strOffsets = new DebugStrOffsets(sections.section('.debug_str_offsets')?.bytes, sections.file);
    this.debugAddr = new DebugAddr(sections);
    this.rngLists = new DebugRngLists(sections);
    this.ranges = new DebugRanges(sections);
  }

  abbrevs(offset: DebugAbbrevOffset): AbbreviationTable {
    let t = this.abbrevCache.get(offset);
    if (t === undefined) {
      t = parseAbbreviationTable(this.sections, offset);
      this.abbrevCache.set(offset, t);
    }
    return t;
  }
}

/** The attribute values a unit's entries are interpreted with. */
class UnitContext {
  strOffsetsBase: DebugStrOffsetsOffset | undefined;
  addrBase: DebugAddrOffset | undefined;
  rnglistsBase: DebugRngListsOffset | undefined;
  base: DwarfAddress | undefined;
  compDir: string | undefined;
  stmtList: number | undefined;
  private line: LineProgram | null | undefined;

  constructor(
    readonly reader: InfoReader,
    readonly r: ByteReader,
    readonly unitStart: number,
    readonly version: number,
    readonly enc: FormEncoding & { readonly offsetSize: 4 | 8 },
  ) {}

  string(v: FormValue, what: What): string | undefined {
    switch (v.kind) {
      case 'string':
        return v.value;
      case 'strp':
        return this.reader.sections.debugStr.get(v.offset, what);
      case 'line_strp':
        return this.reader.sections.debugLineStr.get(v.offset, what);
      case 'strx': {
        // "If the DW_AT_str_offsets_base attribute is not present, the base is the size of the header" is not
        // in the standard; LLVM assumes the first contribution (header of 8 or 16 bytes), as done here.
        const base = this.strOffsetsBase ?? debugStrOffsetsOffset(this.enc.offsetSize === 4 ? 8 : 16);
        return this.reader.sections.debugStr.get(this.reader.strOffsets.get(base, v.index, this.enc.offsetSize, what), what);
      }
      default:
        return undefined; // DW_FORM_strp_sup and the GNU alt forms live in another file
    }
  }

  reference(v: FormValue): DebugInfoOffset | undefined {
    if (v.kind !== 'reference') return undefined;
    switch (v.form) {
      case C.DW_FORM_ref1:
      case C.DW_FORM_ref2:
      case C.DW_FORM_ref4:
      case C.DW_FORM_ref8:
      case C.DW_FORM_ref_udata:
        return v.value <= BigInt(Number.MAX_SAFE_INTEGER) ? debugInfoOffset(this.unitStart + Number(v.value)) : undefined;
      case C.DW_FORM_ref_addr:
        return debugInfoOffset(Number(v.value));
      default:
        return undefined; // type signatures and supplementary files
    }
  }

  address(v: FormValue, operandOffset: number, what: What): DwarfAddress | undefined {
    if (v.kind === 'address')
      return { value: v.value, section: this.reader.sections.codeSectionOf(this.reader.info, operandOffset, v.value) };
    if (v.kind === 'addrx') {
      if (this.addrBase === undefined && this.version < 5) return undefined;
      const base = this.addrBase ?? debugAddrOffset(8);
      return this.reader.debugAddr.get(base, v.index, this.enc.addressSize, what);
    }
    return undefined;
  }

  rangeContext(): RangeListContext {
    return {
      addressSize: this.enc.addressSize,
      offsetSize: this.enc.offsetSize,
      base: this.base,
      addrBase: this.addrBase ?? debugAddrOffset(8),
      debugAddr: this.reader.debugAddr,
    };
  }

  /** The ranges of a DW_AT_ranges value. */
  rangesOf(v: FormValue, what: What): AddressRange[] {
    const ctx = this.rangeContext();
    if (this.version >= 5) {
      if (v.kind === 'unsigned' && v.form === C.DW_FORM_rnglistx) {
        const base = this.rnglistsBase ?? debugRngListsOffset(this.enc.offsetSize === 4 ? 12 : 20);
        const index = v.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : Number.MAX_SAFE_INTEGER;
        return this.reader.rngLists.read(this.reader.rngLists.offsetOfIndex(base, index, this.enc.offsetSize, what), ctx, what);
      }
      const off = this.offsetValue(v);
      return off === undefined ? [] : this.reader.rngLists.read(debugRngListsOffset(off), ctx, what);
    }
    const off = this.offsetValue(v);
    return off === undefined ? [] : this.reader.ranges.read(debugRangesOffset(off), ctx, what);
  }

  offsetValue(v: FormValue): number | undefined {
    if (v.kind === 'sec_offset') return v.value;
    if (v.kind === 'unsigned' && v.value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v.value);
    return undefined;
  }

  /** DW_AT_call_file → path through the unit's line table (index 0-based in v5, 1-based before). */
  filePath(index: number): string | undefined {
    if (this.line === undefined) {
      this.line = null;
      if (this.stmtList !== undefined && this.reader.sections.debugLine !== undefined) {
        this.line = parseLineProgram(
          this.reader.sections,
          debugLineOffset(this.stmtList),
          this.compDir !== undefined ? { compDir: this.compDir } : {},
        );
      }
    }
    if (this.line === null) return undefined;
    const i = this.line.header.version >= 5 ? index : index - 1;
    return this.line.files[i]?.path;
  }
}

function constant(v: FormValue): number | undefined {
  if ((v.kind === 'unsigned' || v.kind === 'signed') && v.value >= 0n && v.value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v.value);
  return undefined;
}

function scopeKind(tag: number): ScopeKind | undefined {
  switch (tag) {
    case C.DW_TAG_subprogram:
      return 'subprogram';
    case C.DW_TAG_inlined_subroutine:
      return 'inlined_subroutine';
    case C.DW_TAG_lexical_block:
      return 'lexical_block';
    default:
      return undefined;
  }
}

/** One attribute value as read from an entry (value decoded, operand offset kept for relocations). */
interface RawAttribute {
  readonly name: number;
  readonly value: FormValue;
  readonly at: number;
}

/** Reads an attribute's value (DW_FORM_implicit_const from its abbreviation). */
function readAttribute(r: ByteReader, form: number, implicitConst: bigint | undefined, enc: FormEncoding, what: What): FormValue {
  if (form === C.DW_FORM_implicit_const) return { kind: 'signed', form, value: implicitConst ?? 0n };
  return readFormValue(r, form, enc, what);
}

/** The code ranges of an entry from its DW_AT_low_pc / DW_AT_high_pc / DW_AT_ranges (DW_AT_ranges wins). */
function interpretRanges(u: UnitContext, attrs: readonly RawAttribute[], what: What): AddressRange[] {
  let low: DwarfAddress | undefined;
  let highAddr: bigint | undefined;
  let highOffset: number | undefined;
  for (const a of attrs) {
    if (a.name === C.DW_AT_low_pc) low = u.address(a.value, a.at, () => `DW_AT_low_pc of ${describe(what)}`);
    else if (a.name === C.DW_AT_high_pc) {
      // "If the value of the DW_AT_high_pc is of class address, it is the relocated address of the first
      // location past the last instruction …; if it is of class constant, the value is an unsigned integer
      // offset which when added to the low PC gives the address of the first location past the last
      // instruction" (DWARF 5 §2.17.2)
      if (a.value.kind === 'unsigned' || a.value.kind === 'signed') highOffset = constant(a.value);
      else highAddr = u.address(a.value, a.at, () => `DW_AT_high_pc of ${describe(what)}`)?.value;
    }
  }
  for (const a of attrs) if (a.name === C.DW_AT_ranges) return u.rangesOf(a.value, () => `DW_AT_ranges of ${describe(what)}`);
  if (low !== undefined && (highAddr !== undefined || highOffset !== undefined)) {
    const end = highAddr ?? BigInt.asUintN(64, low.value + BigInt(highOffset!));
    return [addressRange(low.section, low.value, end)];
  }
  return [];
}

function readUnit(reader: InfoReader, unitStart: number): CompileUnitInfo | { skip: number } {
  const sections = reader.sections;
  const bytes = reader.info.bytes;
  const r = new ByteReader(bytes, sections.file, '.debug_info', DwarfError, unitStart);
  const { offsetSize, endOffset } = readInitialLength(r, '.debug_info', unitStart);
  const versionAt = r.pos;
  const version = r.u16('version');
  if (version < 2 || version > 5) r.fail('a unit version from 2 to 5', `${version}`, versionAt);
  let unitType: number = C.DW_UT_compile;
  let addressSize: number;
  let abbrevOffset: number;
  if (version >= 5) {
    unitType = r.u8('unit_type');
    addressSize = r.u8('address_size');
    abbrevOffset = r.offsetSized(offsetSize, 'debug_abbrev_offset');
    switch (unitType) {
      case C.DW_UT_compile:
      case C.DW_UT_partial:
        break;
      case C.DW_UT_skeleton:
      case C.DW_UT_split_compile:
        r.skip(8, 'dwo_id');
        break;
      case C.DW_UT_type:
      case C.DW_UT_split_type:
        return { skip: endOffset }; // type units hold no code
      default:
        r.fail('a unit_type from DW_UT_compile (1) to DW_UT_split_type (6)', `0x${unitType.toString(16)}`, versionAt + 2);
    }
  } else {
    abbrevOffset = r.offsetSized(offsetSize, 'debug_abbrev_offset');
    addressSize = r.u8('address_size');
  }
  if (addressSize !== 1 && addressSize !== 2 && addressSize !== 4 && addressSize !== 8)
    r.fail('an address_size of 1, 2, 4 or 8', `${addressSize}`);
  const enc = { offsetSize, addressSize };
  const abbrevs = reader.abbrevs(debugAbbrevOffset(abbrevOffset));
  const u = new UnitContext(reader, r, unitStart, version, enc);

  // the unit entry: every attribute kept raw, interpreted once the bases it names are known
  const dieWhat =
    (at: number): What =>
    () =>
      `the entry at .debug_info+0x${at.toString(16)}`;
  const unitDieAt = r.pos;
  const unitCode = r.uleb('the abbreviation code of the unit entry');
  const unitAbbrev = abbrevs.get(unitCode);
  if (unitAbbrev === undefined)
    r.fail(`an abbreviation code declared in the table at .debug_abbrev+0x${abbrevOffset.toString(16)}`, `code ${unitCode}`, unitDieAt);
  const unitAttrs: RawAttribute[] = [];
  for (const spec of unitAbbrev!.attributes) {
    const at = r.pos;
    unitAttrs.push({
      name: spec.name,
      value: readAttribute(
        r,
        spec.form,
        spec.implicitConst,
        enc,
        () => `attribute 0x${spec.name.toString(16)} of the unit entry at .debug_info+0x${unitDieAt.toString(16)}`,
      ),
      at,
    });
  }
  let name: string | undefined;
  let producer: string | undefined;
  for (const a of unitAttrs) {
    const v = a.value;
    if (a.name === C.DW_AT_str_offsets_base) u.strOffsetsBase = u.offsetValue(v) as DebugStrOffsetsOffset | undefined;
    else if (a.name === C.DW_AT_addr_base || a.name === C.DW_AT_GNU_addr_base) u.addrBase = u.offsetValue(v) as DebugAddrOffset | undefined;
    else if (a.name === C.DW_AT_rnglists_base) u.rnglistsBase = u.offsetValue(v) as DebugRngListsOffset | undefined;
    else if (a.name === C.DW_AT_stmt_list) u.stmtList = u.offsetValue(v);
  }
  for (const a of unitAttrs) {
    const w = (): string => `attribute 0x${a.name.toString(16)} of the unit entry at .debug_info+0x${unitDieAt.toString(16)}`;
    if (a.name === C.DW_AT_name) name = u.string(a.value, w);
    else if (a.name === C.DW_AT_comp_dir) u.compDir = u.string(a.value, w);
    else if (a.name === DW_AT_producer) producer = u.string(a.value, w);
    else if (a.name === C.DW_AT_low_pc) u.base = u.address(a.value, a.at, w);
  }
  const unitRanges = interpretRanges(u, unitAttrs, dieWhat(unitDieAt));

  // the entries below the unit entry: one loop, an explicit stack (no recursion on deep nesting)
  const top: ScopeNode[] = [];
  const stack: (ScopeNode | undefined)[] = [];
  let current: ScopeNode | undefined; // the nearest kept ancestor of the next entry
  const counts = { subprogram: 0, inlined_subroutine: 0, lexical_block: 0 };
  if (unitAbbrev!.hasChildren) {
    let depth = 1;
    while (depth > 0 && r.pos < endOffset) {
      const at = r.pos;
      const code = r.uleb('an abbreviation code');
      if (code === 0) {
        depth--;
        current = stack.pop();
        continue;
      }
      const abbrev = abbrevs.get(code);
      if (abbrev === undefined)
        r.fail(`an abbreviation code declared in the table at .debug_abbrev+0x${abbrevOffset.toString(16)}`, `code ${code}`, at);
      const kind = scopeKind(abbrev!.tag);
      let node: ScopeNode | undefined;
      if (kind === undefined) {
        for (const spec of abbrev!.attributes) skipFormValue(r, spec.form, enc, dieWhat(at));
      } else {
        counts[kind]++;
        node = new ScopeNode(kind, debugInfoOffset(at), current);
        const attrs: RawAttribute[] = [];
        for (const spec of abbrev!.attributes) {
          switch (spec.name) {
            case C.DW_AT_name:
            case C.DW_AT_linkage_name:
            case C.DW_AT_MIPS_linkage_name:
            case C.DW_AT_abstract_origin:
            case C.DW_AT_specification:
            case C.DW_AT_call_file:
            case C.DW_AT_call_line:
            case C.DW_AT_call_column:
            case C.DW_AT_low_pc:
            case C.DW_AT_high_pc:
            case C.DW_AT_ranges: {
              const vAt = r.pos;
              attrs.push({ name: spec.name, value: readAttribute(r, spec.form, spec.implicitConst, enc, dieWhat(at)), at: vAt });
              break;
            }
            default:
              skipFormValue(r, spec.form, enc, dieWhat(at));
          }
        }
        for (const a of attrs) {
          const w = (): string => `attribute 0x${a.name.toString(16)} of the entry at .debug_info+0x${at.toString(16)}`;
          switch (a.name) {
            case C.DW_AT_name:
              node.name = u.string(a.value, w);
              break;
            case C.DW_AT_linkage_name:
            case C.DW_AT_MIPS_linkage_name:
              node.linkageName = u.string(a.value, w);
              break;
            case C.DW_AT_abstract_origin:
              node.abstractOrigin = u.reference(a.value);
              break;
            case C.DW_AT_specification:
              node.specification = u.reference(a.value);
              break;
            case C.DW_AT_call_file: {
              const i = constant(a.value);
              node.callFileIndex = i;
              if (i !== undefined) node.callFile = u.filePath(i);
              break;
            }
            case C.DW_AT_call_line:
              node.callLine = constant(a.value);
              break;
            case C.DW_AT_call_column:
              node.callColumn = constant(a.value);
              break;
          }
        }
        node.ranges = interpretRanges(u, attrs, dieWhat(at));
        if (kind === 'subprogram') {
          reader.names.set(at, { name: node.name, linkageName: node.linkageName, link: node.abstractOrigin ?? node.specification });
        }
        if (
          (node.name === undefined || node.linkageName === undefined) &&
          (node.abstractOrigin !== undefined || node.specification !== undefined)
        )
          reader.pendingNames.push(node);
        if (current !== undefined) current.children.push(node);
        else top.push(node);
      }
      if (abbrev!.hasChildren) {
        depth++;
        stack.push(current);
        if (node !== undefined) current = node;
      }
    }
  }
  return {
    offset: debugInfoOffset(unitStart),
    endOffset,
    version,
    unitType,
    offsetSize,
    addressSize,
    abbrevOffset: debugAbbrevOffset(abbrevOffset),
    tag: unitAbbrev!.tag,
    name,
    compDir: u.compDir,
    producer,
    stmtList: u.stmtList,
    lowPc: u.base,
    ranges: unitRanges,
    scopes: top,
    subprogramCount: counts.subprogram,
    inlinedSubroutineCount: counts.inlined_subroutine,
    lexicalBlockCount: counts.lexical_block,
  };
}

/** Fills in names from DW_AT_abstract_origin / DW_AT_specification targets (chains bounded, cycles stopped). */
function resolveNames(reader: InfoReader): void {
  for (const node of reader.pendingNames) {
    let link = node.abstractOrigin ?? node.specification;
    for (let i = 0; i < MAX_ORIGIN_CHAIN && link !== undefined; i++) {
      const rec = reader.names.get(link);
      if (rec === undefined) break;
      node.name ??= rec.name;
      node.linkageName ??= rec.linkageName;
      if (node.name !== undefined && node.linkageName !== undefined) break;
      link = rec.link;
    }
  }
}

/**
 * Reads every unit of `.debug_info` (type units are skipped) into its scope tree.
 * @throws DwarfError (or ElfError) on malformed input
 */
export function parseDebugInfo(sections: DwarfSections): CompileUnitInfo[] {
  const info = sections.section('.debug_info');
  if (info === undefined) return [];
  const reader = new InfoReader(sections, info);
  const units: CompileUnitInfo[] = [];
  let offset = 0;
  while (offset < info.bytes.length) {
    const u = readUnit(reader, offset);
    if ('skip' in u) offset = u.skip;
    else {
      units.push(u);
      offset = u.endOffset;
    }
  }
  resolveNames(reader);
  return units;
}

/**
 * The compile units of an ELF file's `.debug_info`, each with its tree of
 * subprograms, inlined subroutines and lexical blocks.
 *
 * @example
 * const units = readDebugInfo(readElf(readFileSync("route.o"), "route.o"));
 * for (const s of units[0].scopes) console.log(s.name, s.ranges[0]?.section?.name, s.ranges[0]?.offset);
 */
export function readDebugInfo(elf: ElfFile): CompileUnitInfo[] {
  return parseDebugInfo(loadDwarfSections(elf));
}

/** The callee name symbolizers print for a scope: the linkage name when there is one, else DW_AT_name. */
export function scopeFunctionName(s: Pick<Scope, 'name' | 'linkageName'>): string | undefined {
  return s.linkageName ?? s.name;
}
