// Owns the range-list sections: `.debug_rnglists` (DWARF 5 §2.17.3, §7.25:
// DW_RLE_* entries, the offsets table DW_FORM_rnglistx indexes from
// DW_AT_rnglists_base) and `.debug_ranges` (DWARF 2–4 §2.17.3: address pairs
// and base address selection entries). Each range is tied to its code section:
// through the relocation of its start address, else of the base address.

import { type ByteReader, describe, type What } from '../bytes.js';
import { debugRngListsOffset, type DebugAddrOffset, type DebugRangesOffset, type DebugRngListsOffset } from '../offsets.js';
import { addressRange, readAddressOperand, type AddressRange, type DebugAddr, type DwarfAddress } from './addr.js';
import * as C from './constants.js';
import { sectionReader, type DwarfSectionData, type DwarfSections } from './sections.js';

/** What reading a unit's range list depends on. */
export interface RangeListContext {
  readonly addressSize: number;
  readonly offsetSize: 4 | 8;
  /** The unit's base address (the compile unit's DW_AT_low_pc), if any. */
  readonly base: DwarfAddress | undefined;
  /** DW_AT_addr_base, for DW_RLE_base_addressx, startx_endx, startx_length. */
  readonly addrBase: DebugAddrOffset | undefined;
  readonly debugAddr: DebugAddr;
}

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** `.debug_rnglists` (DWARF 5). */
export class DebugRngLists {
  private readonly sections: DwarfSections;
  private readonly data: DwarfSectionData | undefined;
  private readonly reader: ByteReader;

  constructor(sections: DwarfSections) {
    this.sections = sections;
    ({ data: this.data, reader: this.reader } = sectionReader(sections, '.debug_rnglists'));
  }

  /**
   * The offset of list `index` (DW_FORM_rnglistx): "the offset … is the value of
   * DW_AT_rnglists_base plus the value of the offsets table entry" (DWARF 5 §7.28).
   */
  offsetOfIndex(base: DebugRngListsOffset, index: number, offsetSize: 4 | 8, what: What): DebugRngListsOffset {
    const r = this.reader;
    const at = base + index * offsetSize;
    if (!(at >= 0 && at + offsetSize <= r.end)) {
      r.fail(
        () =>
          `${describe(what)}: range list index ${index} from DW_AT_rnglists_base 0x${base.toString(16)} inside .debug_rnglists (size 0x${r.end.toString(16)})`,
        `entry at 0x${at.toString(16)}`,
        Math.max(0, Math.min(base, r.end)),
      );
    }
    r.pos = at;
    return debugRngListsOffset(base + r.offsetSized(offsetSize, what));
  }

  /**
   * The ranges of the list at `offset`, up to DW_RLE_end_of_list. Offsets
   * (DW_RLE_offset_pair) are relative to the current base address, which
   * starts as the unit's and changes with DW_RLE_base_address(x).
   * @throws DwarfError on an unknown entry kind or a list running past the section
   */
  read(offset: DebugRngListsOffset, ctx: RangeListContext, what: What): AddressRange[] {
    const sections = this.sections;
    const r = this.reader;
    if (this.data === undefined) r.fail(() => `${describe(what)}: a .debug_rnglists section`, 'none', 0);
    const data = this.data!;
    if (!(offset >= 0 && offset < r.end))
      r.fail(
        () => `${describe(what)}: a range list offset inside .debug_rnglists (size 0x${r.end.toString(16)})`,
        `0x${offset.toString(16)}`,
        0,
      );
    r.pos = offset;
    let base = ctx.base;
    const out: AddressRange[] = [];
    const addrx = (w: string): DwarfAddress => {
      const index = r.uleb(w);
      if (ctx.addrBase === undefined) r.fail(`${w}: a DW_AT_addr_base in the unit`, 'none');
      return ctx.debugAddr.get(ctx.addrBase!, index, ctx.addressSize, w);
    };
    const bySection = (start: DwarfAddress, end: bigint): void => {
      out.push(addressRange(start.section ?? sections.codeSectionOf(data, undefined, start.value), start.value, end));
    };
    for (;;) {
      const at = r.pos;
      const kind = r.u8('a DW_RLE_* entry kind');
      switch (kind) {
        case C.DW_RLE_end_of_list:
          return out;
        case C.DW_RLE_base_addressx:
          base = addrx('the index of DW_RLE_base_addressx');
          break;
        case C.DW_RLE_startx_endx: {
          const s = addrx('the start index of DW_RLE_startx_endx');
          const e = addrx('the end index of DW_RLE_startx_endx');
          bySection(s, e.value);
          break;
        }
        case C.DW_RLE_startx_length: {
          const s = addrx('the start index of DW_RLE_startx_length');
          const len = r.ulebBig('the length of DW_RLE_startx_length');
          bySection(s, U64(s.value + len));
          break;
        }
        case C.DW_RLE_offset_pair: {
          const a = r.ulebBig('the start offset of DW_RLE_offset_pair');
          const b = r.ulebBig('the end offset of DW_RLE_offset_pair');
          const bv = base?.value ?? 0n;
          bySection({ value: U64(bv + a), section: base?.section }, U64(bv + b));
          break;
        }
        case C.DW_RLE_base_address:
          base = readAddressOperand(sections, data, r, ctx.addressSize, 'the address of DW_RLE_base_address');
          break;
        case C.DW_RLE_start_end: {
          const s = readAddressOperand(sections, data, r, ctx.addressSize, 'the start address of DW_RLE_start_end');
          const e = r.uSized(ctx.addressSize, 'the end address of DW_RLE_start_end');
          bySection(s, e);
          break;
        }
        case C.DW_RLE_start_length: {
          const s = readAddressOperand(sections, data, r, ctx.addressSize, 'the start address of DW_RLE_start_length');
          const len = r.ulebBig('the length of DW_RLE_start_length');
          bySection(s, U64(s.value + len));
          break;
        }
        default:
          r.fail(() => `${describe(what)}: a DW_RLE_* entry kind from 0 to 7`, `0x${kind.toString(16)}`, at);
      }
    }
  }
}

/** `.debug_ranges` (DWARF 2–4). */
export class DebugRanges {
  private readonly sections: DwarfSections;
  private readonly data: DwarfSectionData | undefined;
  private readonly reader: ByteReader;

  constructor(sections: DwarfSections) {
    this.sections = sections;
    ({ data: this.data, reader: this.reader } = sectionReader(sections, '.debug_ranges'));
  }

  /**
   * The ranges of the list at `offset`: "Each entry in a range list is either a range
   * list entry, a base address selection entry, or an end of list entry" (DWARF 4
   * §2.17.3); a selection entry's first address is the largest representable one,
   * the end of list is two zeros. Pair addresses are relative to the base address.
   */
  read(offset: DebugRangesOffset, ctx: RangeListContext, what: What): AddressRange[] {
    const sections = this.sections;
    const r = this.reader;
    if (this.data === undefined) r.fail(() => `${describe(what)}: a .debug_ranges section`, 'none', 0);
    const data = this.data!;
    if (!(offset >= 0 && offset < r.end))
      r.fail(
        () => `${describe(what)}: a range list offset inside .debug_ranges (size 0x${r.end.toString(16)})`,
        `0x${offset.toString(16)}`,
        0,
      );
    r.pos = offset;
    const size = ctx.addressSize;
    const maxAddress = (1n << BigInt(size * 8)) - 1n;
    let base = ctx.base;
    const out: AddressRange[] = [];
    for (;;) {
      const beginAt = r.pos;
      const a = r.uSized(size, 'the beginning address of a range list entry');
      const endAt = r.pos;
      const b = r.uSized(size, 'the ending address of a range list entry');
      // as LLVM reads it: two zeros end the list even when they were written by relocations
      if (a === 0n && b === 0n) return out;
      if (a === maxAddress) {
        base = { value: b, section: sections.codeSectionOf(data, endAt, b) };
        continue;
      }
      const bv = base?.value ?? 0n;
      const begin = U64(bv + a);
      const section = sections.elf.isRelocatable
        ? data.targetAt(beginAt) !== undefined
          ? sections.codeSectionOf(data, beginAt, a)
          : base?.section
        : sections.codeSectionOf(data, undefined, begin);
      out.push(addressRange(section, begin, U64(bv + b)));
    }
  }
}
