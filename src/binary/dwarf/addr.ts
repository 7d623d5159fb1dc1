// Owns the `.debug_addr` section (DWARF 5 §7.27): the address table a unit's
// DW_FORM_addrx* values and DW_RLE_*x range-list entries index from its
// DW_AT_addr_base, each address tied to the code section it lies in (through
// the relocation at the table entry in ET_REL files). Also owns the address
// and address-range types that `.debug_info` and the range lists hand out.

import { type ByteReader, describe, type What } from '../bytes.js';
import { sectionOffset, type DebugAddrOffset, type SectionOffset } from '../offsets.js';
import { sectionReader, type CodeSection, type DwarfSectionData, type DwarfSections } from './sections.js';

/** A target address and the code section it lies in (when that can be told). */
export interface DwarfAddress {
  /** The address as llvm-dwarfdump prints it (in a `.o` file: an offset in `section`). */
  readonly value: bigint;
  readonly section: CodeSection | undefined;
}

/** A half-open address range [begin, end) in one code section, keyed like line rows: (section, offset). */
export interface AddressRange {
  readonly section: CodeSection | undefined;
  /** The first address, as llvm-dwarfdump prints it. */
  readonly begin: bigint;
  /** The address just past the range. */
  readonly end: bigint;
  /** begin − the section's sh_addr; undefined when the section is unknown or the difference is not a safe integer. */
  readonly offset: SectionOffset | undefined;
  /** end − begin (0 for an empty range; negative ranges are kept with size 0). */
  readonly size: number;
}

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** The range [begin, end) in `section`, with its section offset. */
export function addressRange(section: CodeSection | undefined, begin: bigint, end: bigint): AddressRange {
  let offset: SectionOffset | undefined;
  if (section !== undefined) {
    const d = begin - section.address;
    if (d >= 0n && d <= MAX_SAFE_BIG) offset = sectionOffset(Number(d));
  }
  const s = end - begin;
  const size = s <= 0n ? 0 : s > MAX_SAFE_BIG ? Number.MAX_SAFE_INTEGER : Number(s);
  return { section, begin, end, offset, size };
}

/** Reads an address operand of `size` bytes at the reader's position and ties it to its code section. */
export function readAddressOperand(sections: DwarfSections, data: DwarfSectionData, r: ByteReader, size: number, what: What): DwarfAddress {
  const at = r.pos;
  const value = r.uSized(size, what);
  return { value, section: sections.codeSectionOf(data, at, value) };
}

/** `.debug_addr`: addresses by (DW_AT_addr_base, index). */
export class DebugAddr {
  private readonly sections: DwarfSections;
  private readonly data: DwarfSectionData | undefined;
  private readonly reader: ByteReader;

  constructor(sections: DwarfSections) {
    this.sections = sections;
    ({ data: this.data, reader: this.reader } = sectionReader(sections, '.debug_addr'));
  }

  /**
   * Entry `index` of the table at `base`: "The value of the DW_AT_addr_base attribute
   * … is the offset of the first address in the table; each index is scaled by the
   * size of an address" (DWARF 5 §7.27, DW_FORM_addrx).
   * @throws DwarfError if the section is missing or the entry lies outside it
   */
  get(base: DebugAddrOffset, index: number, addressSize: number, what: What): DwarfAddress {
    const r = this.reader;
    const at = base + index * addressSize;
    if (this.data === undefined) r.fail(() => `${describe(what)}: a .debug_addr section for address index ${index}`, 'none', 0);
    if (!(at >= 0 && at + addressSize <= r.end)) {
      r.fail(
        () =>
          `${describe(what)}: address index ${index} from DW_AT_addr_base 0x${base.toString(16)} inside .debug_addr (size 0x${r.end.toString(16)})`,
        `entry at 0x${at.toString(16)}`,
        Math.max(0, Math.min(base, r.end)),
      );
    }
    r.pos = at;
    return readAddressOperand(this.sections, this.data!, r, addressSize, what);
  }
}
