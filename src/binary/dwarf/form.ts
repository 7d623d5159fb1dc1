// Owns decoding one DWARF attribute value from its form code (DWARF 5 §7.5.6),
// as used by the entry formats of v5 line-number program headers; every form
// of DWARF 5 (and the GNU index forms) is decoded or skipped with bounds checks.

import { describe, type ByteReader, type What } from '../bytes.js';
import { debugLineStrOffset, debugStrOffset, type DebugLineStrOffset, type DebugStrOffset } from '../offsets.js';
import * as C from './constants.js';

/** The encoding parameters a form's size depends on. */
export interface FormEncoding {
  /** 4 for the 32-bit DWARF format, 8 for the 64-bit one (DW_FORM_strp, line_strp, sec_offset, ref_addr). */
  readonly offsetSize: 4 | 8;
  /** Size of a target address (DW_FORM_addr). */
  readonly addressSize: number;
}

/** A decoded attribute value, tagged by what kind of thing it is. */
export type FormValue =
  | { readonly kind: 'string'; readonly form: number; readonly value: string }
  | { readonly kind: 'strp'; readonly form: number; readonly offset: DebugStrOffset }
  | { readonly kind: 'line_strp'; readonly form: number; readonly offset: DebugLineStrOffset }
  | { readonly kind: 'strx'; readonly form: number; readonly index: number }
  | { readonly kind: 'unsigned'; readonly form: number; readonly value: bigint }
  | { readonly kind: 'signed'; readonly form: number; readonly value: bigint }
  | { readonly kind: 'bytes'; readonly form: number; readonly value: Uint8Array }
  | { readonly kind: 'flag'; readonly form: number; readonly value: boolean }
  | { readonly kind: 'address'; readonly form: number; readonly value: bigint }
  | { readonly kind: 'addrx'; readonly form: number; readonly index: number }
  | { readonly kind: 'reference'; readonly form: number; readonly value: bigint }
  | { readonly kind: 'sec_offset'; readonly form: number; readonly value: number };

const MAX_INDIRECT = 4;

function u24(r: ByteReader, what: What): number {
  const lo = r.u16(what);
  return lo | (r.u8(what) << 16);
}

/**
 * Reads one value of `form` at the reader's position.
 * @param what names the value in errors, e.g. "DW_LNCT_path of file_names[3]"
 * @throws DwarfError on an unknown form, DW_FORM_implicit_const (whose value
 *   lives in an abbreviation, not in the data), or data running past the end
 */
export function readFormValue(r: ByteReader, form: number, enc: FormEncoding, what: What, depth = 0): FormValue {
  const w: What = () => `${describe(what)} (${C.formName(form)})`;
  switch (form) {
    case C.DW_FORM_string:
      return { kind: 'string', form, value: r.cstr(w) };
    case C.DW_FORM_strp:
      return { kind: 'strp', form, offset: debugStrOffset(r.offsetSized(enc.offsetSize, w)) };
    case C.DW_FORM_line_strp:
      return { kind: 'line_strp', form, offset: debugLineStrOffset(r.offsetSized(enc.offsetSize, w)) };
    case C.DW_FORM_strp_sup:
    case C.DW_FORM_GNU_strp_alt:
      return { kind: 'sec_offset', form, value: r.offsetSized(enc.offsetSize, w) };
    case C.DW_FORM_strx:
    case C.DW_FORM_GNU_str_index:
      return { kind: 'strx', form, index: r.uleb(w) };
    case C.DW_FORM_strx1:
      return { kind: 'strx', form, index: r.u8(w) };
    case C.DW_FORM_strx2:
      return { kind: 'strx', form, index: r.u16(w) };
    case C.DW_FORM_strx3:
      return { kind: 'strx', form, index: u24(r, w) };
    case C.DW_FORM_strx4:
      return { kind: 'strx', form, index: r.u32(w) };
    case C.DW_FORM_data1:
      return { kind: 'unsigned', form, value: BigInt(r.u8(w)) };
    case C.DW_FORM_data2:
      return { kind: 'unsigned', form, value: BigInt(r.u16(w)) };
    case C.DW_FORM_data4:
      return { kind: 'unsigned', form, value: BigInt(r.u32(w)) };
    case C.DW_FORM_data8:
      return { kind: 'unsigned', form, value: r.u64(w) };
    case C.DW_FORM_udata:
      return { kind: 'unsigned', form, value: r.ulebBig(w) };
    case C.DW_FORM_sdata:
      return { kind: 'signed', form, value: r.slebBig(w) };
    case C.DW_FORM_data16:
      return { kind: 'bytes', form, value: r.slice(16, w) };
    case C.DW_FORM_block1:
      return { kind: 'bytes', form, value: r.slice(r.u8(w), w) };
    case C.DW_FORM_block2:
      return { kind: 'bytes', form, value: r.slice(r.u16(w), w) };
    case C.DW_FORM_block4:
      return { kind: 'bytes', form, value: r.slice(r.u32(w), w) };
    case C.DW_FORM_block:
    case C.DW_FORM_exprloc:
      return { kind: 'bytes', form, value: r.slice(r.uleb(w), w) };
    case C.DW_FORM_flag:
      return { kind: 'flag', form, value: r.u8(w) !== 0 };
    case C.DW_FORM_flag_present:
      return { kind: 'flag', form, value: true };
    case C.DW_FORM_addr:
      return { kind: 'address', form, value: r.uSized(enc.addressSize, w) };
    case C.DW_FORM_addrx:
    case C.DW_FORM_GNU_addr_index:
      return { kind: 'addrx', form, index: r.uleb(w) };
    case C.DW_FORM_addrx1:
      return { kind: 'addrx', form, index: r.u8(w) };
    case C.DW_FORM_addrx2:
      return { kind: 'addrx', form, index: r.u16(w) };
    case C.DW_FORM_addrx3:
      return { kind: 'addrx', form, index: u24(r, w) };
    case C.DW_FORM_addrx4:
      return { kind: 'addrx', form, index: r.u32(w) };
    case C.DW_FORM_ref1:
      return { kind: 'reference', form, value: BigInt(r.u8(w)) };
    case C.DW_FORM_ref2:
      return { kind: 'reference', form, value: BigInt(r.u16(w)) };
    case C.DW_FORM_ref4:
    case C.DW_FORM_ref_sup4:
      return { kind: 'reference', form, value: BigInt(r.u32(w)) };
    case C.DW_FORM_ref8:
    case C.DW_FORM_ref_sig8:
    case C.DW_FORM_ref_sup8:
      return { kind: 'reference', form, value: r.u64(w) };
    case C.DW_FORM_ref_udata:
      return { kind: 'reference', form, value: r.ulebBig(w) };
    case C.DW_FORM_ref_addr:
    case C.DW_FORM_GNU_ref_alt:
      return { kind: 'reference', form, value: BigInt(r.offsetSized(enc.offsetSize, w)) };
    case C.DW_FORM_sec_offset:
      return { kind: 'sec_offset', form, value: r.offsetSized(enc.offsetSize, w) };
    case C.DW_FORM_loclistx:
    case C.DW_FORM_rnglistx:
      return { kind: 'unsigned', form, value: r.ulebBig(w) };
    case C.DW_FORM_indirect: {
      // "the attribute value itself in the .debug_info section begins with an unsigned
      // LEB128 number that represents its form" (§7.5.3); chains are bounded.
      const at = r.pos;
      const actual = r.uleb(w);
      if (depth >= MAX_INDIRECT) r.fail(`${describe(what)}: at most ${MAX_INDIRECT} nested DW_FORM_indirect`, C.formName(actual), at);
      return readFormValue(r, actual, enc, what, depth + 1);
    }
    case C.DW_FORM_implicit_const:
      return r.fail(
        `${describe(what)}: a form whose value is in the data (DW_FORM_implicit_const is only valid in an abbreviation)`,
        C.formName(form),
      );
    default:
      return r.fail(`${describe(what)}: a known DW_FORM code`, C.formName(form));
  }
}

/**
 * Moves the reader past one value of `form` without building it (how
 * `.debug_info` skips the attributes nobody asked for). Same bounds checks and
 * errors as readFormValue; DW_FORM_implicit_const takes no bytes here ("the
 * attribute value is stored in the abbreviation", DWARF 5 §7.5.3), so callers
 * may pass it.
 */
export function skipFormValue(r: ByteReader, form: number, enc: FormEncoding, what: What, depth = 0): void {
  switch (form) {
    case C.DW_FORM_flag_present:
    case C.DW_FORM_implicit_const:
      return;
    case C.DW_FORM_data1:
    case C.DW_FORM_ref1:
    case C.DW_FORM_flag:
    case C.DW_FORM_strx1:
    case C.DW_FORM_addrx1:
      r.skip(1, what);
      return;
    case C.DW_FORM_data2:
    case C.DW_FORM_ref2:
    case C.DW_FORM_strx2:
    case C.DW_FORM_addrx2:
      r.skip(2, what);
      return;
    case C.DW_FORM_strx3:
    case C.DW_FORM_addrx3:
      r.skip(3, what);
      return;
    case C.DW_FORM_data4:
    case C.DW_FORM_ref4:
    case C.DW_FORM_ref_sup4:
    case C.DW_FORM_strx4:
    case C.DW_FORM_addrx4:
      r.skip(4, what);
      return;
    case C.DW_FORM_data8:
    case C.DW_FORM_ref8:
    case C.DW_FORM_ref_sig8:
    case C.DW_FORM_ref_sup8:
      r.skip(8, what);
      return;
    case C.DW_FORM_data16:
      r.skip(16, what);
      return;
    case C.DW_FORM_strp:
    case C.DW_FORM_line_strp:
    case C.DW_FORM_strp_sup:
    case C.DW_FORM_GNU_strp_alt:
    case C.DW_FORM_ref_addr:
    case C.DW_FORM_GNU_ref_alt:
    case C.DW_FORM_sec_offset:
      r.skip(enc.offsetSize, what);
      return;
    case C.DW_FORM_addr:
      r.skip(enc.addressSize, what);
      return;
    case C.DW_FORM_udata:
    case C.DW_FORM_sdata:
    case C.DW_FORM_ref_udata:
    case C.DW_FORM_strx:
    case C.DW_FORM_addrx:
    case C.DW_FORM_GNU_str_index:
    case C.DW_FORM_GNU_addr_index:
    case C.DW_FORM_loclistx:
    case C.DW_FORM_rnglistx: {
      // LEB128: every byte but the last has its high bit set
      const b = r.bytes;
      let p = r.pos;
      while (p < r.end && b[p]! >= 0x80) p++;
      if (p >= r.end) r.fail(() => `${describe(what)} (${C.formName(form)}, LEB128)`, 'end of data inside the number');
      r.pos = p + 1;
      return;
    }
    case C.DW_FORM_string: {
      const b = r.bytes;
      let p = r.pos;
      while (p < r.end && b[p] !== 0) p++;
      if (p >= r.end) r.fail(() => `${describe(what)} (DW_FORM_string, NUL-terminated)`, 'no NUL before the end of data');
      r.pos = p + 1;
      return;
    }
    case C.DW_FORM_block1:
      r.skip(r.u8(what), what);
      return;
    case C.DW_FORM_block2:
      r.skip(r.u16(what), what);
      return;
    case C.DW_FORM_block4:
      r.skip(r.u32(what), what);
      return;
    case C.DW_FORM_block:
    case C.DW_FORM_exprloc:
      r.skip(r.uleb(what), what);
      return;
    case C.DW_FORM_indirect: {
      const at = r.pos;
      const actual = r.uleb(what);
      if (depth >= MAX_INDIRECT) r.fail(() => `${describe(what)}: at most ${MAX_INDIRECT} nested DW_FORM_indirect`, C.formName(actual), at);
      if (actual === C.DW_FORM_implicit_const)
        r.fail(() => `${describe(what)}: a form whose value is in the data after DW_FORM_indirect`, C.formName(actual), at);
      skipFormValue(r, actual, enc, what, depth + 1);
      return;
    }
    default:
      r.fail(() => `${describe(what)}: a known DW_FORM code`, C.formName(form));
  }
}

/**
 * Reads a unit's initial length at the reader's position and narrows the reader
 * to the unit. DWARF 5 §7.4: "In the 64-bit DWARF format, an initial length
 * field is 96 bits in size … the first 32-bits have the value 0xffffffff";
 * "values 0xfffffff0 through 0xfffffffe are reserved".
 * @returns the unit length as written, the size of the unit's offsets (4 or 8), and the offset just past the unit
 * @throws DwarfError for a reserved value or a unit that runs past its section
 */
export function readInitialLength(
  r: ByteReader,
  sectionName: string,
  unitOffset: number,
): { unitLength: number; offsetSize: 4 | 8; endOffset: number } {
  const size = r.end;
  let unitLength = r.u32('unit_length');
  let offsetSize: 4 | 8 = 4;
  if (unitLength === 0xffffffff) {
    offsetSize = 8;
    unitLength = r.u64n('unit_length (64-bit DWARF)');
  } else if (unitLength >= 0xfffffff0) {
    r.fail('a unit_length below 0xfffffff0 (0xfffffff0–0xfffffffe are reserved)', `0x${unitLength.toString(16)}`, unitOffset);
  }
  const endOffset = r.pos + unitLength;
  if (endOffset > size) {
    r.fail(
      `a unit_length that ends inside ${sectionName} (size 0x${size.toString(16)})`,
      `0x${unitLength.toString(16)}, ending at 0x${endOffset.toString(16)}`,
      unitOffset,
    );
  }
  r.end = endOffset;
  return { unitLength, offsetSize, endOffset };
}
