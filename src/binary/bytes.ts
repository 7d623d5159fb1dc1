// Owns the bounds-checked little-endian byte reader that every ELF and DWARF
// decoder in src/binary reads through: fixed-size integers, LEB128, C strings.
// Every read checks its bounds and throws the caller's typed error (ElfError
// or DwarfError) naming the file, the section and the offset.

import type { BinaryErrorClass } from './errors.js';

const TWO_32 = 4294967296;

/**
 * What a read is for, named in the error if it fails: a string, or a function
 * building one (so hot loops format nothing unless something goes wrong).
 */
export type What = string | (() => string);

/** The text of a What. */
export function describe(what: What): string {
  return typeof what === 'function' ? what() : what;
}
/** A Buffer over the same memory as `bytes` (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes bytes [start, end) as UTF-8 (invalid sequences become U+FFFD), through Node's native decoder. */
export function decodeString(bytes: Uint8Array, start: number, end: number): string {
  return start === end ? '' : asBuffer(bytes).toString('utf8', start, end);
}

/**
 * A cursor over `bytes` between `pos` and `end` (offsets into `bytes`, which is
 * usually one whole section, so offsets in errors are section offsets).
 * Reads past `end` throw `errorClass` with the file, the section and the offset.
 */
export class ByteReader {
  pos: number;
  end: number;
  readonly bytes: Uint8Array;
  readonly file: string;
  readonly section: string | undefined;
  readonly errorClass: BinaryErrorClass;
  private view: DataView | undefined;
  private buffer: Buffer | undefined;

  constructor(bytes: Uint8Array, file: string, section: string | undefined, errorClass: BinaryErrorClass, pos = 0, end = bytes.length) {
    this.bytes = bytes;
    this.file = file;
    this.section = section;
    this.errorClass = errorClass;
    this.pos = pos;
    this.end = Math.min(end, bytes.length);
  }

  /** Throws the reader's error class at `offset` (default: the current position). */
  fail(expected: What, found?: string, offset: number = this.pos): never {
    throw new this.errorClass({ file: this.file, section: this.section, offset, expected: describe(expected), found });
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws unless `n` more bytes can be read. */
  need(n: number, what: What): void {
    if (n > this.end - this.pos) this.fail(what, `${Math.max(0, this.end - this.pos)} byte(s) left`);
  }

  /** Moves to `offset`, which must lie in [0, end]. */
  seek(offset: number, what: What): void {
    if (!(offset >= 0 && offset <= this.end)) this.fail(what, `offset 0x${offset.toString(16)} outside [0, 0x${this.end.toString(16)}]`);
    this.pos = offset;
  }

  skip(n: number, what: What): void {
    this.need(n, what);
    this.pos += n;
  }

  u8(what: What): number {
    if (this.pos >= this.end) this.fail(what, 'end of data');
    return this.bytes[this.pos++]!;
  }

  i8(what: What): number {
    const v = this.u8(what);
    return v >= 0x80 ? v - 0x100 : v;
  }

  u16(what: What): number {
    const p = this.pos;
    if (p + 2 > this.end) this.fail(what, 'end of data');
    this.pos = p + 2;
    const b = this.bytes;
    return b[p]! | (b[p + 1]! << 8);
  }

  u32(what: What): number {
    const p = this.pos;
    if (p + 4 > this.end) this.fail(what, 'end of data');
    this.pos = p + 4;
    const b = this.bytes;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
  }

  /** An unsigned 64-bit value. */
  u64(what: What): bigint {
    const p = this.pos;
    if (p + 8 > this.end) this.fail(what, 'end of data');
    this.pos = p + 8;
    return this.dataView().getBigUint64(p, true);
  }

  /** An unsigned 64-bit value that must fit in a JS number (sizes, file offsets). */
  u64n(what: What): number {
    const p = this.pos;
    if (p + 8 > this.end) this.fail(what, 'end of data');
    const b = this.bytes;
    const lo = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
    const hi = (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16)) + b[p + 7]! * 0x1000000;
    if (hi >= 0x200000) this.fail(what, `a value of 2^53 or more (0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')})`, p);
    this.pos = p + 8;
    return hi * TWO_32 + lo;
  }

  /** A signed 64-bit value. */
  i64(what: What): bigint {
    const p = this.pos;
    if (p + 8 > this.end) this.fail(what, 'end of data');
    this.pos = p + 8;
    return this.dataView().getBigInt64(p, true);
  }

  /** An unsigned value of `size` bytes (1, 2, 4 or 8) as a bigint. */
  uSized(size: number, what: What): bigint {
    switch (size) {
      case 1:
        return BigInt(this.u8(what));
      case 2:
        return BigInt(this.u16(what));
      case 4:
        return BigInt(this.u32(what));
      case 8:
        return this.u64(what);
      default:
        return this.fail(`${describe(what)} of size 1, 2, 4 or 8`, `size ${size}`);
    }
  }

  /** An offset of 4 bytes (DWARF32) or 8 bytes (DWARF64) as a number. */
  offsetSized(size: 4 | 8, what: What): number {
    return size === 4 ? this.u32(what) : this.u64n(what);
  }

  /**
   * An unsigned LEB128 value that must fit in a JS number (2^53 − 1); larger
   * values throw ("LEB128 overflow"). Redundant 0x80 padding bytes are accepted.
   */
  uleb(what: What): number {
    const b = this.bytes;
    const end = this.end;
    const start = this.pos;
    let p = start;
    if (p >= end) this.fail(`${describe(what)} (ULEB128)`, 'end of data');
    let byte = b[p++]!;
    if (byte < 0x80) {
      this.pos = p;
      return byte;
    }
    let result = byte & 0x7f;
    let mul = 128;
    for (;;) {
      if (p >= end) this.fail(`${describe(what)} (ULEB128)`, 'end of data inside the number', start);
      byte = b[p++]!;
      const bits = byte & 0x7f;
      if (bits !== 0) {
        if (mul > Number.MAX_SAFE_INTEGER) this.fail(`${describe(what)} (ULEB128) below 2^53`, 'LEB128 overflow', start);
        result += bits * mul;
        if (result > Number.MAX_SAFE_INTEGER) this.fail(`${describe(what)} (ULEB128) below 2^53`, 'LEB128 overflow', start);
      }
      if (byte < 0x80) break;
      mul *= 128;
    }
    this.pos = p;
    return result;
  }

  /** An unsigned LEB128 value of up to 64 bits as a bigint (more bits: LEB128 overflow). */
  ulebBig(what: What): bigint {
    const start = this.pos;
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) this.fail(`${describe(what)} (ULEB128)`, 'end of data inside the number', start);
      const byte = this.bytes[this.pos++]!;
      const bits = BigInt(byte & 0x7f);
      if (bits !== 0n) {
        if (shift >= 64n || bits >> (64n - shift) !== 0n) this.fail(`${describe(what)} (ULEB128) below 2^64`, 'LEB128 overflow', start);
        result |= bits << shift;
      }
      if (byte < 0x80) return result;
      shift += 7n;
    }
  }

  /** A signed LEB128 value that must lie within ±(2^53 − 1) (else "LEB128 overflow"). */
  sleb(what: What): number {
    const b = this.bytes;
    const end = this.end;
    const start = this.pos;
    let p = start;
    let result = 0;
    let mul = 1;
    // fast path: up to 7 bytes (49 bits) are exact in a double
    for (let i = 0; i < 7; i++) {
      if (p >= end) this.fail(`${describe(what)} (SLEB128)`, 'end of data inside the number', start);
      const byte = b[p++]!;
      result += (byte & 0x7f) * mul;
      mul *= 128;
      if (byte < 0x80) {
        if ((byte & 0x40) !== 0) result -= mul;
        this.pos = p;
        return result;
      }
    }
    const big = this.slebBig(what);
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < -BigInt(Number.MAX_SAFE_INTEGER)) {
      this.fail(`${describe(what)} (SLEB128) within ±2^53`, 'LEB128 overflow', start);
    }
    return Number(big);
  }

  /** A signed LEB128 value of up to 64 bits as a bigint (more bits: LEB128 overflow). */
  slebBig(what: What): bigint {
    const start = this.pos;
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) this.fail(`${describe(what)} (SLEB128)`, 'end of data inside the number', start);
      if (shift > 640n) this.fail(`${describe(what)} (SLEB128) of at most 64 bits`, 'LEB128 overflow', start);
      const byte = this.bytes[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (byte < 0x80) {
        if ((byte & 0x40) !== 0) result -= 1n << shift;
        if (result !== BigInt.asIntN(64, result)) this.fail(`${describe(what)} (SLEB128) of at most 64 bits`, 'LEB128 overflow', start);
        return result;
      }
    }
  }

  /** A NUL-terminated string (the NUL must come before `end`). */
  cstr(what: What): string {
    const b = this.bytes;
    const start = this.pos;
    let p = start;
    const end = this.end;
    while (p < end && b[p] !== 0) p++;
    if (p >= end) this.fail(`${describe(what)} (a NUL-terminated string)`, 'no NUL before the end of data', start);
    this.pos = p + 1;
    return start === p ? '' : (this.buffer ??= asBuffer(b)).toString('utf8', start, p);
  }

  /** `n` bytes as a subarray (no copy). */
  slice(n: number, what: What): Uint8Array {
    this.need(n, what);
    const s = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  private dataView(): DataView {
    return (this.view ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength));
  }
}
