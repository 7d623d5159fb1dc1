// Owns the typed errors of src/binary: every malformed ELF or DWARF input is
// reported as an ElfError or a DwarfError naming the file, the section, the
// offset and what was expected there — never a bare string, a TypeError or a
// RangeError.

/** Where in the input a problem was found, and what was expected there. */
export interface BinaryErrorLocation {
  /** The file name given to the reader (or "<memory>"). */
  readonly file: string;
  /** The section name (e.g. ".debug_line"), or undefined for the ELF header and section table. */
  readonly section?: string | undefined;
  /** Byte offset: within `section` if given, else within the file. */
  readonly offset?: number | undefined;
  /** What the reader expected at that place, e.g. "a ULEB128 operand of DW_LNS_advance_pc". */
  readonly expected: string;
  /** What it found instead, when that says more than `expected` alone. */
  readonly found?: string | undefined;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Formats a location as "file: section+0xOFF: expected X, found Y". */
export function formatLocation(loc: BinaryErrorLocation): string {
  let where = loc.file;
  if (loc.section !== undefined) where += `: ${loc.section}`;
  if (loc.offset !== undefined) where += loc.section !== undefined ? `+${hex(loc.offset)}` : `: offset ${hex(loc.offset)}`;
  return `${where}: expected ${loc.expected}${loc.found !== undefined ? `, found ${loc.found}` : ''}`;
}

/** Base class of the errors of src/binary. */
export class BinaryError extends Error implements BinaryErrorLocation {
  readonly file: string;
  readonly section: string | undefined;
  readonly offset: number | undefined;
  readonly expected: string;
  readonly found: string | undefined;

  constructor(loc: BinaryErrorLocation, options?: { cause?: unknown }) {
    super(formatLocation(loc), options);
    this.name = new.target.name;
    this.file = loc.file;
    this.section = loc.section;
    this.offset = loc.offset;
    this.expected = loc.expected;
    this.found = loc.found;
  }
}

/** Malformed or unsupported ELF: header, section table, symbols, relocations, compression. */
export class ElfError extends BinaryError {}

/** Malformed or unsupported DWARF in a debug section. */
export class DwarfError extends BinaryError {}

/** A constructor of one of the errors above (the byte reader is told which one to throw). */
export type BinaryErrorClass = new (loc: BinaryErrorLocation, options?: { cause?: unknown }) => BinaryError;
