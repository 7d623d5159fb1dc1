// Owns the `.debug_line` section (DWARF 2–5 §6.2): line-number program
// headers (v5 directory and file-name entry formats included), file-path
// resolution as llvm-dwarfdump does it, and the line-number state machine that
// turns each program into sequences of rows keyed by (code section, offset).

import { ByteReader, describe, type What } from '../bytes.js';
import type { ElfFile } from '../elf/file.js';
import { DwarfError } from '../errors.js';
import { debugLineOffset, sectionOffset, type DebugLineOffset, type SectionOffset } from '../offsets.js';
import * as C from './constants.js';
import { readFormValue, readInitialLength, type FormValue } from './form.js';
import { loadDwarfSections, type CodeSection, type DwarfSectionData, type DwarfSections } from './sections.js';

/** One (content type, form) pair of a v5 directory or file-name entry format. */
export interface LineEntryFormat {
  /** DW_LNCT_path, DW_LNCT_directory_index, DW_LNCT_timestamp, DW_LNCT_size, DW_LNCT_MD5, or a vendor code. */
  readonly contentType: number;
  /** The DW_FORM code its values are encoded with. */
  readonly form: number;
}

/** One entry of the file-name table (from the header, or from DW_LNE_define_file). */
export interface LineFileEntry {
  /** DW_LNCT_path: the name as stored (often relative to its directory). */
  readonly name: string;
  /** DW_LNCT_directory_index: an index into `includeDirectories` (v5: 0 is the compilation directory; v2–4: 1-based, 0 is the compilation directory). */
  readonly directoryIndex: number;
  /** DW_LNCT_timestamp, if present as a constant. */
  readonly timestamp: bigint | undefined;
  /** DW_LNCT_size, if present. */
  readonly size: bigint | undefined;
  /** DW_LNCT_MD5 as 32 lowercase hex digits, if present. */
  readonly md5: string | undefined;
  /** DW_LNCT_LLVM_source, if present. */
  readonly source: string | undefined;
  /**
   * The full path, joined the way LLVM does for llvm-dwarfdump and
   * llvm-symbolizer (FileLineInfoKind::AbsoluteFilePath): an absolute name as
   * is; otherwise its directory, itself prefixed with the compilation
   * directory when relative, then the name — without normalizing "./".
   */
  readonly path: string;
}

/** A line-number program header (DWARF 5 §6.2.4). */
export interface LineProgramHeader {
  /** Offset of the header (the unit_length field) in `.debug_line`. */
  readonly offset: DebugLineOffset;
  /** unit_length: the size of the unit after the unit_length field. */
  readonly unitLength: number;
  /** 4 for the 32-bit DWARF format, 8 for the 64-bit one. */
  readonly offsetSize: 4 | 8;
  readonly version: number;
  /** v5 address_size; undefined before v5. */
  readonly addressSize: number | undefined;
  /** v5 segment_selector_size; undefined before v5. */
  readonly segmentSelectorSize: number | undefined;
  readonly headerLength: number;
  readonly minimumInstructionLength: number;
  /** maximum_operations_per_instruction (v4+; 1 before v4). */
  readonly maximumOperationsPerInstruction: number;
  readonly defaultIsStmt: boolean;
  readonly lineBase: number;
  readonly lineRange: number;
  readonly opcodeBase: number;
  /** standard_opcode_lengths[i] is the number of LEB128 operands of standard opcode i + 1. */
  readonly standardOpcodeLengths: readonly number[];
  /** v5 directory_entry_format (empty before v5). */
  readonly directoryEntryFormat: readonly LineEntryFormat[];
  /** include_directories (v5: entry 0 is the compilation directory). */
  readonly includeDirectories: readonly string[];
  /** v5 file_name_entry_format (empty before v5). */
  readonly fileNameEntryFormat: readonly LineEntryFormat[];
  /** file_names as listed in the header (v5: indexed from 0; v2–4: file register value 1 is entry 0). */
  readonly fileNames: readonly LineFileEntry[];
  /** Offset of the first opcode of the program in `.debug_line`. */
  readonly programOffset: number;
  /** Offset just past the unit in `.debug_line`. */
  readonly endOffset: number;
  /** The compilation directory file paths were resolved against (LineProgramOptions.compDir or its default). */
  readonly compDir: string | undefined;
}

/** One row of the line-number matrix (DWARF 5 §6.2.2, Table 6.3). */
export interface LineRow {
  /**
   * The address register, as llvm-dwarfdump prints it (in a `.o` file: an offset
   * in `section`). Computed on access: prefer `offset` (a number) in hot loops.
   */
  readonly address: bigint;
  /** The code section the address lies in, when known (see LineSequence.section). */
  readonly section: CodeSection | undefined;
  /** `address` − the section's sh_addr: the row's key with `section`; undefined when the section is unknown. */
  readonly offset: SectionOffset | undefined;
  readonly opIndex: number;
  /** The file register (v5: a 0-based index into the file table; v2–4: 1-based). */
  readonly file: number;
  /** The file's full path (LineFileEntry.path), or undefined for a file index with no entry. */
  readonly path: string | undefined;
  /** The line register (kept modulo 2^32, as LLVM does). */
  readonly line: number;
  readonly column: number;
  readonly isStmt: boolean;
  readonly basicBlock: boolean;
  readonly endSequence: boolean;
  readonly prologueEnd: boolean;
  readonly epilogueBegin: boolean;
  readonly isa: number;
  readonly discriminator: number;
}

/** A sequence: rows up to and including a DW_LNE_end_sequence row. */
export interface LineSequence {
  /**
   * The code section the sequence lies in: in a relocatable object, the
   * section of the symbol that the relocation of the sequence's first
   * DW_LNE_set_address resolves against (`.text`, `.init.text`, …); in a
   * linked image, the section whose address range holds the first row.
   */
  readonly section: CodeSection | undefined;
  readonly rows: readonly LineRow[];
  /** False for rows left over at the end of a program without a DW_LNE_end_sequence. */
  readonly complete: boolean;
  /** Offset in `.debug_line` of the sequence's first opcode. */
  readonly programOffset: number;
  /**
   * Offset in `.debug_line` of the operand of the DW_LNE_set_address that set the
   * address of the sequence's first row (the place its relocation applies to), if any.
   */
  readonly addressOperandOffset: number | undefined;
}

/** A decoded line-number program. */
export interface LineProgram {
  readonly header: LineProgramHeader;
  /** The header's file names followed by those added with DW_LNE_define_file. */
  readonly files: readonly LineFileEntry[];
  /** The sequences in program order (llvm-dwarfdump prints their rows in this order). */
  readonly sequences: readonly LineSequence[];
  /** The number of rows over all sequences. */
  readonly rowCount: number;
}

export interface LineProgramOptions {
  /**
   * The compilation directory (the unit's DW_AT_comp_dir), prefixed to file
   * paths whose directory is relative. Default: include_directories[0] for
   * DWARF 5 (the standard makes it the compilation directory); none for 2–4.
   */
  readonly compDir?: string;
}

const U64_MAX = (1n << 64n) - 1n;
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
/** delta stays below 2^52 (then folds into base), so delta + any one step is exact. */
const DELTA_LIMIT = 2 ** 52;
const TWO_32 = 4294967296;

/** LLVM's isPathAbsoluteOnWindowsOrPosix. */
function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

/** llvm::sys::path::append for POSIX paths, component by component. */
function appendPath(path: string, component: string): string {
  if (path.length > 0 && path.endsWith('/')) {
    let i = 0;
    while (i < component.length && component[i] === '/') i++;
    return path + component.slice(i);
  }
  if (!component.startsWith('/') && path.length > 0) path += '/';
  return path + component;
}

/** DWARF 5 §6.2.4 and LLVM's Prologue::getFileNameByIndex(AbsoluteFilePath). */
function resolvePath(version: number, name: string, dirIndex: number, dirs: readonly string[], compDir: string | undefined): string {
  if (isAbsolutePath(name)) return name;
  let includeDir = '';
  if (version >= 5) {
    if (dirIndex < dirs.length) includeDir = dirs[dirIndex]!;
  } else if (dirIndex > 0 && dirIndex <= dirs.length) {
    includeDir = dirs[dirIndex - 1]!;
  }
  let path = '';
  // "Each additional path entry is either a full path name or is relative to the
  // current directory of the compilation" (DWARF 5 §6.2.4, directories); v5 directory 0 *is* it.
  if ((version < 5 || dirIndex !== 0) && compDir !== undefined && compDir !== '' && !isAbsolutePath(includeDir)) {
    path = appendPath(path, compDir);
  }
  path = appendPath(path, includeDir);
  return appendPath(path, name);
}

/** What file paths are resolved against: shared by all entries of one program. */
interface PathContext {
  readonly version: number;
  readonly dirs: readonly string[];
  readonly compDir: string | undefined;
}

/** A file-name entry; `md5` (hex) and `path` are computed on first use and cached. */
class FileEntry implements LineFileEntry {
  name = '';
  directoryIndex = 0;
  timestamp: bigint | undefined = undefined;
  size: bigint | undefined = undefined;
  source: string | undefined = undefined;
  /** The 16 DW_LNCT_MD5 bytes (a view into the section). */
  md5Bytes: Uint8Array | undefined = undefined;
  private md5Hex: string | undefined;
  private resolved: string | undefined;

  constructor(private readonly ctx: PathContext) {}

  get md5(): string | undefined {
    if (this.md5Bytes === undefined) return undefined;
    return (this.md5Hex ??= Buffer.from(this.md5Bytes.buffer, this.md5Bytes.byteOffset, this.md5Bytes.byteLength).toString('hex'));
  }

  get path(): string {
    return (this.resolved ??= resolvePath(this.ctx.version, this.name, this.directoryIndex, this.ctx.dirs, this.ctx.compDir));
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      directoryIndex: this.directoryIndex,
      timestamp: this.timestamp,
      size: this.size,
      md5: this.md5,
      source: this.source,
      path: this.path,
    };
  }
}

/**
 * Decodes every line-number program of a `.debug_line` section.
 *
 * @throws DwarfError (file, section, offset, what was expected) on malformed input
 */
export function parseDebugLine(sections: DwarfSections, options: LineProgramOptions = {}): LineProgram[] {
  const debugLine = sections.debugLine;
  if (debugLine === undefined) return [];
  const out: LineProgram[] = [];
  let offset = 0;
  while (offset < debugLine.bytes.length) {
    const program = parseLineProgram(sections, debugLineOffset(offset), options, debugLine);
    out.push(program);
    offset = program.header.endOffset;
  }
  return out;
}

/**
 * Decodes the line-number program whose header starts at `offset` in `.debug_line`
 * (as given by a compilation unit's DW_AT_stmt_list).
 *
 * @throws DwarfError on malformed input
 */
export function parseLineProgram(
  sections: DwarfSections,
  offset: DebugLineOffset,
  options: LineProgramOptions = {},
  debugLine = sections.debugLine,
): LineProgram {
  if (debugLine === undefined) {
    throw new DwarfError({ file: sections.file, section: '.debug_line', offset, expected: 'a .debug_line section', found: 'none' });
  }
  const h = parseHeader(sections, debugLine, offset, options);
  return runProgram(sections, debugLine, h.header, h.files, h.pathContext);
}

function parseHeader(
  sections: DwarfSections,
  debugLine: DwarfSectionData,
  unitOffset: DebugLineOffset,
  options: LineProgramOptions,
): { header: LineProgramHeader; files: FileEntry[]; pathContext: PathContext } {
  const bytes = debugLine.bytes;
  const r: ByteReader = new ByteReader(bytes, sections.file, debugLine.name, DwarfError, unitOffset);
  if (!(unitOffset >= 0 && unitOffset < bytes.length))
    r.fail(
      `a line-number program offset inside ${debugLine.name} (size 0x${bytes.length.toString(16)})`,
      `0x${unitOffset.toString(16)}`,
      0,
    );

  const { unitLength, offsetSize, endOffset } = readInitialLength(r, debugLine.name, unitOffset);
  const versionAt = r.pos;
  const version = r.u16('version');
  if (version < 2 || version > 5) r.fail('a line table version from 2 to 5', `${version}`, versionAt);
  let addressSize: number | undefined;
  let segmentSelectorSize: number | undefined;
  if (version >= 5) {
    addressSize = r.u8('address_size');
    segmentSelectorSize = r.u8('segment_selector_size');
  }
  const headerLength = r.offsetSized(offsetSize, 'header_length');
  // header_length: "The number of bytes following the header_length field to the
  // beginning of the first byte of the line number program itself."
  const programOffset = r.pos + headerLength;
  if (programOffset > endOffset)
    r.fail(
      'a header_length that ends inside the unit',
      `0x${headerLength.toString(16)}, ending at 0x${programOffset.toString(16)} past 0x${endOffset.toString(16)}`,
      r.pos - offsetSize,
    );
  r.end = programOffset; // the header's fields must lie before the program
  const minimumInstructionLength = r.u8('minimum_instruction_length');
  const maximumOperationsPerInstruction = version >= 4 ? r.u8('maximum_operations_per_instruction') : 1;
  const defaultIsStmt = r.u8('default_is_stmt') !== 0;
  const lineBase = r.i8('line_base');
  const lineRange = r.u8('line_range');
  const opcodeBase = r.u8('opcode_base');
  const standardOpcodeLengths: number[] = [];
  for (let i = 1; i < opcodeBase; i++) standardOpcodeLengths.push(r.u8(`standard_opcode_lengths[${i}]`));

  const includeDirectories: string[] = [];
  const files: FileEntry[] = [];
  const ctx: { version: number; dirs: string[]; compDir: string | undefined } = {
    version,
    dirs: includeDirectories,
    compDir: options.compDir,
  };
  let directoryEntryFormat: LineEntryFormat[] = [];
  let fileNameEntryFormat: LineEntryFormat[] = [];
  if (version >= 5) {
    const enc = { offsetSize, addressSize: addressSize ?? sections.addressSize };
    const readFormats = (what: string): LineEntryFormat[] => {
      const n = r.u8(`${what}_format_count`);
      const f: LineEntryFormat[] = [];
      for (let i = 0; i < n; i++) {
        const contentType = r.uleb(`${what}_format[${i}] content type`);
        const at = r.pos;
        const form = r.uleb(`${what}_format[${i}] form`);
        // Forms that take no bytes (DW_FORM_flag_present, DW_FORM_implicit_const) make no sense
        // here and would let a huge entry count run without consuming input: refused, so the
        // work stays linear in the size of the header.
        if (form === C.DW_FORM_flag_present || form === C.DW_FORM_implicit_const) {
          r.fail(`${what}_format[${i}]: a form whose values take at least one byte`, C.formName(form), at);
        }
        f.push({ contentType, form });
      }
      return f;
    };
    const readCount = (what: string): number => {
      const at = r.pos;
      const n = r.uleb(what);
      // every entry takes at least one byte unless all its forms are empty: a larger count is corrupt (and would spin)
      if (n > r.remaining) r.fail(`a ${what} that fits in the header (${r.remaining} bytes left)`, `${n}`, at);
      return n;
    };
    const str = (v: FormValue, what: What): string => {
      switch (v.kind) {
        case 'string':
          return v.value;
        case 'line_strp':
          return sections.debugLineStr.get(v.offset, what);
        case 'strp':
          return sections.debugStr.get(v.offset, what);
        default:
          return r.fail(() => `${describe(what)}: a string form (DW_FORM_string, DW_FORM_line_strp or DW_FORM_strp)`, C.formName(v.form));
      }
    };
    const num = (v: FormValue, what: What): bigint => {
      if (v.kind === 'unsigned' || v.kind === 'signed') return v.value;
      return r.fail(() => `${describe(what)}: a constant form`, C.formName(v.form));
    };

    directoryEntryFormat = readFormats('directory_entry');
    const dirCount = readCount('directories_count');
    for (let d = 0; d < dirCount; d++) {
      let path: string | undefined;
      for (const f of directoryEntryFormat) {
        const what = (): string => `${C.lnctName(f.contentType)} of include_directories[${d}]`;
        const v = readFormValue(r, f.form, enc, what);
        if (f.contentType === C.DW_LNCT_path) path = str(v, what);
      }
      includeDirectories.push(path ?? '');
    }
    fileNameEntryFormat = readFormats('file_name_entry');
    const fileCount = readCount('file_names_count');
    for (let i = 0; i < fileCount; i++) {
      const e = new FileEntry(ctx);
      for (const f of fileNameEntryFormat) {
        const what = (): string => `${C.lnctName(f.contentType)} of file_names[${i}]`;
        const at = r.pos;
        const v = readFormValue(r, f.form, enc, what);
        switch (f.contentType) {
          case C.DW_LNCT_path:
            e.name = str(v, what);
            break;
          case C.DW_LNCT_directory_index: {
            const d = num(v, what);
            e.directoryIndex = d <= BigInt(Number.MAX_SAFE_INTEGER) && d >= 0n ? Number(d) : Number.MAX_SAFE_INTEGER;
            break;
          }
          case C.DW_LNCT_timestamp:
            if (v.kind === 'unsigned') e.timestamp = v.value;
            break;
          case C.DW_LNCT_size:
            e.size = num(v, what);
            break;
          case C.DW_LNCT_MD5:
            if (v.kind !== 'bytes' || v.value.length !== 16) r.fail(() => `${describe(what)}: DW_FORM_data16`, C.formName(v.form), at);
            e.md5Bytes = v.value;
            break;
          case C.DW_LNCT_LLVM_source:
            e.source = str(v, what);
            break;
          default:
            break; // vendor content: skipped, as the standard allows
        }
      }
      files.push(e);
    }
  } else {
    // v2–4: "a sequence of path names … The last entry is followed by a single null byte."
    for (;;) {
      const d = r.cstr(`include_directories[${includeDirectories.length}]`);
      if (d === '') break;
      includeDirectories.push(d);
    }
    for (;;) {
      const n = files.length + 1;
      const name = r.cstr(() => `file_names[${n}] name`);
      if (name === '') break;
      const e = new FileEntry(ctx);
      e.name = name;
      e.directoryIndex = r.uleb(() => `directory index of file_names[${n}]`);
      e.timestamp = r.ulebBig(() => `modification time of file_names[${n}]`);
      e.size = r.ulebBig(() => `length of file_names[${n}]`);
      files.push(e);
    }
  }
  const compDir = options.compDir ?? (version >= 5 ? includeDirectories[0] : undefined);
  ctx.compDir = compDir;
  const header: LineProgramHeader = {
    offset: unitOffset,
    unitLength,
    offsetSize,
    version,
    addressSize,
    segmentSelectorSize,
    headerLength,
    minimumInstructionLength,
    maximumOperationsPerInstruction,
    defaultIsStmt,
    lineBase,
    lineRange,
    opcodeBase,
    standardOpcodeLengths,
    directoryEntryFormat,
    includeDirectories,
    fileNameEntryFormat,
    fileNames: files,
    programOffset,
    endOffset,
    compDir,
  };
  return { header, files: files.slice(), pathContext: ctx };
}

/**
 * Row objects are created with one fixed shape (a class keeps V8's hidden class
 * stable). The address is kept as the 64-bit value of the last DW_LNE_set_address
 * (`base`, shared by many rows) plus a number `delta`, so decoding does no
 * BigInt arithmetic per row.
 */
class Row implements LineRow {
  constructor(
    private readonly base: bigint,
    private readonly delta: number,
    readonly section: CodeSection | undefined,
    readonly offset: SectionOffset | undefined,
    readonly opIndex: number,
    readonly file: number,
    readonly path: string | undefined,
    readonly line: number,
    readonly column: number,
    readonly isStmt: boolean,
    readonly basicBlock: boolean,
    readonly endSequence: boolean,
    readonly prologueEnd: boolean,
    readonly epilogueBegin: boolean,
    readonly isa: number,
    readonly discriminator: number,
  ) {}

  get address(): bigint {
    if (this.delta === 0) return this.base;
    const a = this.base + BigInt(this.delta);
    return a > U64_MAX ? a & U64_MAX : a;
  }

  /** Plain data (address as a hex string, section by name), for logging and JSON. */
  toJSON(): Record<string, unknown> {
    return {
      address: `0x${this.address.toString(16)}`,
      section: this.section?.name,
      offset: this.offset,
      opIndex: this.opIndex,
      file: this.file,
      path: this.path,
      line: this.line,
      column: this.column,
      isStmt: this.isStmt,
      basicBlock: this.basicBlock,
      endSequence: this.endSequence,
      prologueEnd: this.prologueEnd,
      epilogueBegin: this.epilogueBegin,
      isa: this.isa,
      discriminator: this.discriminator,
    };
  }
}

/** Runs the line-number state machine (DWARF 5 §6.2.5) over the program of `header`. */
function runProgram(
  sections: DwarfSections,
  debugLine: DwarfSectionData,
  header: LineProgramHeader,
  files: FileEntry[],
  pathContext: PathContext,
): LineProgram {
  const r: ByteReader = new ByteReader(debugLine.bytes, sections.file, debugLine.name, DwarfError, header.programOffset, header.endOffset);
  const { version, opcodeBase, lineBase, lineRange, defaultIsStmt, standardOpcodeLengths } = header;
  const minInst = header.minimumInstructionLength;
  // LLVM treats maximum_operations_per_instruction 0 as 1 (0 would forbid any address advance).
  const maxOps = Math.max(1, header.maximumOperationsPerInstruction);
  const fileBase = version >= 5 ? 0 : 1;
  // the path of the file register's entry, looked up when the register changes
  let pathFile = -1;
  let path: string | undefined;

  const sequences: LineSequence[] = [];
  let rowCount = 0;

  // §6.2.2 Table 6.4: the state machine registers and their initial values.
  // the address register = base + delta (mod 2^64); see Row
  let base = 0n;
  let delta = 0;
  /** base − section.address as a number, when the section is known and the difference is a safe integer. */
  let baseOffset: number | undefined;
  let opIndex = 0;
  let file = 1;
  let line = 1;
  let column = 0;
  let isStmt = defaultIsStmt;
  let basicBlock = false;
  let prologueEnd = false;
  let epilogueBegin = false;
  let isa = 0;
  let discriminator = 0;

  let section: CodeSection | undefined;
  let sectionKnown = false; // set by DW_LNE_set_address within the current sequence
  let rows: Row[] = [];
  let seqStart = r.pos;
  let seqSection: CodeSection | undefined;
  let seqAddressOperand: number | undefined;

  const requireLineRange = (at: number, what: string): never =>
    r.fail(`a non-zero line_range in the header for ${what}`, 'line_range 0', at);

  const address = (): bigint => BigInt.asUintN(64, base + BigInt(delta));
  const rebase = (): void => {
    baseOffset = undefined;
    if (section !== undefined) {
      const d = base - section.address;
      if (d >= 0n && d <= MAX_SAFE_BIG) baseOffset = Number(d);
    }
  };
  /** Moves delta into base (keeps delta small and exact). */
  const fold = (): void => {
    base = address();
    delta = 0;
    rebase();
  };
  /**
   * "operation advance": §6.2.5.1
   *   new address = address + minimum_instruction_length × ((op_index + operation advance) / maximum_operations_per_instruction)
   *   new op_index = (op_index + operation advance) % maximum_operations_per_instruction
   * Callers pass operation advances of at most 2^32, so minInst × advance < 2^40 and delta stays exact.
   */
  const advance = (operationAdvance: number): void => {
    if (maxOps === 1) {
      delta += minInst * operationAdvance;
    } else {
      const t = opIndex + operationAdvance;
      delta += minInst * Math.floor(t / maxOps);
      opIndex = t % maxOps;
    }
    if (delta > DELTA_LIMIT) fold();
  };

  const pathOf = (f: number): string | undefined => {
    pathFile = f;
    path = files[f - fileBase]?.path;
    return path;
  };

  const emit = (endSequence: boolean): void => {
    if (rows.length === 0) {
      // the sequence's first row decides its section
      if (!sectionKnown) {
        section = sections.codeSectionOf(debugLine, undefined, address());
        rebase();
      }
      seqSection = section;
    }
    let offset: SectionOffset | undefined;
    if (baseOffset !== undefined) {
      const o = baseOffset + delta;
      if (o <= Number.MAX_SAFE_INTEGER) offset = sectionOffset(o);
    }
    rows.push(
      new Row(
        base,
        delta,
        section,
        offset,
        opIndex,
        file,
        pathFile === file ? path : pathOf(file),
        line,
        column,
        isStmt,
        basicBlock,
        endSequence,
        prologueEnd,
        epilogueBegin,
        isa,
        discriminator,
      ),
    );
  };

  const reset = (): void => {
    base = 0n;
    delta = 0;
    baseOffset = undefined;
    opIndex = 0;
    file = 1;
    line = 1;
    column = 0;
    isStmt = defaultIsStmt;
    basicBlock = false;
    prologueEnd = false;
    epilogueBegin = false;
    isa = 0;
    discriminator = 0;
    section = undefined;
    sectionKnown = false;
  };

  const bytes = debugLine.bytes;
  const end = header.endOffset;
  while (r.pos < end) {
    const at = r.pos;
    const op = bytes[r.pos++]!;
    if (op >= opcodeBase && op !== 0) {
      // A special opcode (DWARF 5 §6.2.5.1) adds a signed integer to the line register,
      // advances the address and op_index registers, appends a row, then sets basic_block,
      // prologue_end and epilogue_begin to "false" and discriminator to 0:
      //   adjusted opcode = opcode – opcode_base
      //   operation advance = adjusted opcode / line_range
      //   line increment = line_base + (adjusted opcode % line_range)
      if (lineRange === 0) requireLineRange(at, `special opcode ${op}`);
      const adjusted = op - opcodeBase;
      advance(Math.floor(adjusted / lineRange));
      line = (line + lineBase + (adjusted % lineRange)) >>> 0;
      emit(false);
      basicBlock = false;
      prologueEnd = false;
      epilogueBegin = false;
      discriminator = 0;
    } else if (op === 0) {
      // §6.2.5.3 extended opcodes: 0, a ULEB128 length, then the sub-opcode and its operands.
      const len = r.uleb('the length of an extended opcode');
      if (len === 0) continue; // LLVM tolerates a zero-length extended opcode as a no-op
      const extEnd = r.pos + len;
      if (extEnd > end) r.fail(`an extended opcode that ends inside the unit (at or before 0x${end.toString(16)})`, `length ${len}`, at);
      const sub = r.u8('an extended opcode');
      switch (sub) {
        case C.DW_LNE_end_sequence:
          // "sets the end_sequence register of the state machine to true and appends a row
          //  to the matrix using the current values of the state-machine registers. Then it
          //  resets the registers to the initial values specified above."
          emit(true);
          rowCount += rows.length;
          sequences.push({ section: seqSection, rows, complete: true, programOffset: seqStart, addressOperandOffset: seqAddressOperand });
          rows = [];
          reset();
          seqStart = extEnd;
          seqAddressOperand = undefined;
          break;
        case C.DW_LNE_set_address: {
          // "takes a single relocatable address as an operand. The size of the operand is
          //  the size of an address on the target machine. It sets the address register to
          //  the value given by the relocatable address and sets the op_index register to 0."
          // The operand size is taken from the opcode's length (LLVM does the same when it
          // disagrees with address_size).
          const size = len - 1;
          if (size !== 1 && size !== 2 && size !== 4 && size !== 8)
            r.fail('a DW_LNE_set_address operand of 1, 2, 4 or 8 bytes', `${size} bytes`, at);
          const operandAt = r.pos;
          base = r.uSized(size, 'the DW_LNE_set_address operand');
          delta = 0;
          opIndex = 0;
          section = sections.codeSectionOf(debugLine, operandAt, base);
          sectionKnown = true;
          rebase();
          if (rows.length === 0) {
            seqSection = section;
            seqAddressOperand = operandAt;
          }
          break;
        }
        case C.DW_LNE_define_file: {
          // DWARF 2–4: a file entry defined inside the program (same layout as in the header)
          const e = new FileEntry(pathContext);
          e.name = r.cstr('the file name of DW_LNE_define_file');
          e.directoryIndex = r.uleb('the directory index of DW_LNE_define_file');
          e.timestamp = r.ulebBig('the modification time of DW_LNE_define_file');
          e.size = r.ulebBig('the file length of DW_LNE_define_file');
          files.push(e);
          pathFile = -1; // the file register may name the new entry
          break;
        }
        case C.DW_LNE_set_discriminator:
          discriminator = r.uleb('the DW_LNE_set_discriminator operand');
          break;
        default:
          break; // unknown (e.g. vendor DW_LNE_lo_user..hi_user): skipped by its length
      }
      // LLVM continues at the end the length claims even if the operands disagree.
      r.pos = extEnd;
    } else {
      switch (op) {
        case C.DW_LNS_copy:
          // "appends a row to the matrix using the current values of the state machine
          //  registers. Then it sets the discriminator register to 0, and sets the
          //  basic_block, prologue_end and epilogue_begin registers to false."
          emit(false);
          discriminator = 0;
          basicBlock = false;
          prologueEnd = false;
          epilogueBegin = false;
          break;
        case C.DW_LNS_advance_pc: {
          // "takes a single unsigned LEB128 operand as the operation advance"
          if (r.pos < end && bytes[r.pos]! < 0x80) {
            advance(bytes[r.pos++]!);
          } else {
            const adv = r.ulebBig('the DW_LNS_advance_pc operand');
            if (adv <= 0xffffffffn) advance(Number(adv));
            else {
              // beyond 32 bits (a producer wrapping the address around): exact BigInt arithmetic
              fold();
              const t = BigInt(opIndex) + adv;
              base = BigInt.asUintN(64, base + BigInt(minInst) * (maxOps === 1 ? adv : t / BigInt(maxOps)));
              if (maxOps !== 1) opIndex = Number(t % BigInt(maxOps));
              rebase();
            }
          }
          break;
        }
        case C.DW_LNS_advance_line: {
          const delta = r.sleb('the DW_LNS_advance_line operand');
          line = (line + (delta % TWO_32)) >>> 0;
          break;
        }
        case C.DW_LNS_set_file:
          file = r.uleb('the DW_LNS_set_file operand');
          break;
        case C.DW_LNS_set_column:
          column = r.uleb('the DW_LNS_set_column operand');
          break;
        case C.DW_LNS_negate_stmt:
          isStmt = !isStmt;
          break;
        case C.DW_LNS_set_basic_block:
          basicBlock = true;
          break;
        case C.DW_LNS_const_add_pc:
          // "advances the address and op_index registers by the increments corresponding
          //  to special opcode 255."
          if (lineRange === 0) requireLineRange(at, 'DW_LNS_const_add_pc');
          advance(Math.floor(((255 - opcodeBase) & 0xff) / lineRange));
          break;
        case C.DW_LNS_fixed_advance_pc:
          // "takes a single uhalf (unencoded) operand and adds it to the address register of
          //  the state machine and sets the op_index register to 0. … It also does not
          //  multiply the operand by the minimum_instruction_length field of the header."
          delta += r.u16('the DW_LNS_fixed_advance_pc operand');
          if (delta > DELTA_LIMIT) fold();
          opIndex = 0;
          break;
        case C.DW_LNS_set_prologue_end:
          prologueEnd = true;
          break;
        case C.DW_LNS_set_epilogue_begin:
          epilogueBegin = true;
          break;
        case C.DW_LNS_set_isa:
          isa = r.uleb('the DW_LNS_set_isa operand');
          break;
        default: {
          // "By increasing opcode_base, and adding elements to this array, new standard
          //  opcodes can be added, while allowing consumers who do not know about these new
          //  opcodes to be able to skip them." (DWARF 5 §6.2.4, standard_opcode_lengths)
          const n = standardOpcodeLengths[op - 1]!;
          for (let i = 0; i < n; i++) r.uleb(`operand ${i} of unknown standard opcode ${op}`);
        }
      }
    }
  }
  if (rows.length > 0) {
    rowCount += rows.length;
    sequences.push({ section: seqSection, rows, complete: false, programOffset: seqStart, addressOperandOffset: seqAddressOperand });
  }
  return { header, files, sequences, rowCount };
}

/**
 * Decodes every line-number program in the `.debug_line` of an ELF file,
 * with relocations applied (ET_REL) and each sequence tied to its code section.
 *
 * @example
 * const elf = readElf(readFileSync("net/ipv6/route.o"), "route.o");
 * for (const program of readLineTable(elf))
 *   for (const seq of program.sequences)
 *     for (const row of seq.rows) console.log(seq.section?.name, row.offset, row.path, row.line, row.column);
 *
 * @throws DwarfError or ElfError on malformed input
 */
export function readLineTable(elf: ElfFile, options: LineProgramOptions = {}): LineProgram[] {
  return parseDebugLine(loadDwarfSections(elf), options);
}
