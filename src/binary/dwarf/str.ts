// Owns the DWARF string sections: `.debug_str` (DW_FORM_strp) and
// `.debug_line_str` (DW_FORM_line_strp), read as NUL-terminated strings at
// bounds-checked offsets, each kind of offset typed apart from the other; and
// `.debug_str_offsets`, through which DW_FORM_strx* values reach `.debug_str`.

import { ByteReader, describe, type What } from '../bytes.js';
import { DwarfError } from '../errors.js';
import { debugStrOffset, type DebugLineStrOffset, type DebugStrOffset, type DebugStrOffsetsOffset } from '../offsets.js';

/** A string section: NUL-terminated strings addressed by byte offset. Strings are cached by offset. */
class StringSection<O extends number> {
  readonly name: string;
  readonly bytes: Uint8Array;
  private readonly reader: ByteReader;
  private readonly cache = new Map<number, string>();

  /** `bytes` undefined means the file has no such section: every lookup is then a DwarfError. */
  constructor(bytes: Uint8Array | undefined, file: string, name: string) {
    this.name = name;
    this.bytes = bytes ?? new Uint8Array(0);
    this.reader = new ByteReader(this.bytes, file, name, DwarfError);
  }

  /**
   * The string at `offset`.
   * @param what names the reference in errors (e.g. "the DW_LNCT_path of file 3")
   * @throws DwarfError if the offset is outside the section or the string has no NUL
   */
  get(offset: O, what: What = 'a string'): string {
    const hit = this.cache.get(offset);
    if (hit !== undefined) return hit;
    if (!(offset >= 0 && offset < this.bytes.length)) {
      this.reader.fail(
        () => `${describe(what)}: an offset inside ${this.name} (size 0x${this.bytes.length.toString(16)})`,
        `0x${offset.toString(16)}`,
        offset >= 0 ? offset : 0,
      );
    }
    this.reader.pos = offset;
    const s = this.reader.cstr(what);
    this.cache.set(offset, s);
    return s;
  }
}

/** `.debug_str`: strings referenced by DW_FORM_strp (and, through `.debug_str_offsets`, DW_FORM_strx). */
export class DebugStr extends StringSection<DebugStrOffset> {
  constructor(bytes: Uint8Array | undefined, file: string, name = '.debug_str') {
    super(bytes, file, name);
  }
}

/** `.debug_line_str` (DWARF 5): strings referenced by DW_FORM_line_strp from line-number program headers. */
export class DebugLineStr extends StringSection<DebugLineStrOffset> {
  constructor(bytes: Uint8Array | undefined, file: string, name = '.debug_line_str') {
    super(bytes, file, name);
  }
}

/**
 * `.debug_str_offsets` (DWARF 5 §7.26): the string offsets DW_FORM_strx* values
 * index from a unit's DW_AT_str_offsets_base ("the offset of the first entry …
 * following the header"); each entry is a DW_FORM_strp-like offset into `.debug_str`.
 */
export class DebugStrOffsets {
  readonly bytes: Uint8Array;
  private readonly reader: ByteReader;
  private readonly present: boolean;

  constructor(bytes: Uint8Array | undefined, file: string) {
    this.present = bytes !== undefined;
    this.bytes = bytes ?? new Uint8Array(0);
    this.reader = new ByteReader(this.bytes, file, '.debug_str_offsets', DwarfError);
  }

  /**
   * The `.debug_str` offset of entry `index` of the table at `base`.
   * @throws DwarfError if the section is missing or the entry lies outside it
   */
  get(base: DebugStrOffsetsOffset, index: number, offsetSize: 4 | 8, what: What): DebugStrOffset {
    const r = this.reader;
    if (!this.present) r.fail(() => `${describe(what)}: a .debug_str_offsets section for string index ${index}`, 'none', 0);
    const at = base + index * offsetSize;
    if (!(at >= 0 && at + offsetSize <= r.end)) {
      r.fail(
        () =>
          `${describe(what)}: string index ${index} from DW_AT_str_offsets_base 0x${base.toString(16)} inside .debug_str_offsets (size 0x${r.end.toString(16)})`,
        `entry at 0x${at.toString(16)}`,
        Math.max(0, Math.min(base, r.end)),
      );
    }
    r.pos = at;
    return debugStrOffset(r.offsetSized(offsetSize, what));
  }
}
