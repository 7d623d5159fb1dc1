// Tests the bounds-checked byte reader of src/binary: fixed-size integers,
// LEB128 at its limits (2^53 for numbers, 64 bits for bigints, redundant
// padding, overflow), C strings (UTF-8, missing NUL), and that every
// out-of-bounds read throws the caller's error class with the offset.

import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../src/binary/bytes.js';
import { DwarfError, ElfError } from '../../src/binary/index.js';
import { Bytes } from './support/elf-writer.js';

const reader = (b: ArrayLike<number>, cls: typeof DwarfError = DwarfError) => new ByteReader(Uint8Array.from(b), 't.o', '.debug_x', cls);

describe('ByteReader', () => {
  it('reads little-endian integers', () => {
    const r = reader([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
    expect(r.u16('a')).toBe(0x0201);
    r.pos = 0;
    expect(r.u32('a')).toBe(0x04030201);
    r.pos = 0;
    expect(r.u64('a')).toBe(0x0807060504030201n);
    expect(r.i64('b')).toBe(-1n);
    expect(r.i8('c')).toBe(-2);
    r.pos = 8;
    expect(() => r.u64n('too big')).toThrowError(/2\^53 or more/);
    expect(reader([0xff, 0xff, 0xff, 0xff]).u32('x')).toBe(0xffffffff);
  });

  it('decodes ULEB128 up to 2^53 − 1 as numbers, and refuses more (LEB128 overflow)', () => {
    for (const v of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER])
      expect(reader(new Bytes().uleb(v).out).uleb('v')).toBe(v);
    expect(() => reader(new Bytes().uleb(2n ** 53n).out).uleb('the value')).toThrowError(DwarfError);
    const r2 = reader([0x05, ...new Bytes().uleb(2n ** 60n).out]);
    r2.skip(1, 'x');
    try {
      r2.uleb('the operand');
      expect.unreachable();
    } catch (x) {
      expect(x).toMatchObject({ offset: 1, found: 'LEB128 overflow', section: '.debug_x', file: 't.o' });
      expect((x as Error).message).toMatch(/^t\.o: \.debug_x\+0x1: expected the operand \(ULEB128\) below 2\^53, found LEB128 overflow$/);
    }
  });

  it("accepts redundant 0x80 padding in LEB128 (as LLVM's reader does)", () => {
    expect(reader([0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]).uleb('p')).toBe(1);
    expect(reader([0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]).ulebBig('p')).toBe(1n);
    expect(reader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).sleb('p')).toBe(-1);
  });

  it('decodes 64-bit ULEB128/SLEB128 as bigints and refuses 65 bits', () => {
    const max = (1n << 64n) - 1n;
    expect(reader(new Bytes().uleb(max).out).ulebBig('m')).toBe(max);
    expect(() => reader(new Bytes().uleb(max + 1n).out).ulebBig('m')).toThrowError(/LEB128 overflow/);
    for (const v of [0n, -1n, 63n, -64n, 64n, -65n, (1n << 63n) - 1n, -(1n << 63n)])
      expect(reader(new Bytes().sleb(v).out).slebBig('s')).toBe(v);
    expect(() => reader(new Bytes().sleb(1n << 63n).out).slebBig('s')).toThrowError(/LEB128 overflow/);
  });

  it('decodes SLEB128 numbers within ±(2^53 − 1) and refuses more', () => {
    for (const v of [
      0,
      -1,
      1,
      63,
      -64,
      64,
      -65,
      1000000,
      -1000000,
      2 ** 48,
      -(2 ** 48),
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
    ]) {
      const r = reader(new Bytes().sleb(v).u8(0x42).out);
      expect(r.sleb('s')).toBe(v);
      expect(r.u8('after')).toBe(0x42); // the reader stopped at the right byte
    }
    expect(() => reader(new Bytes().sleb(2n ** 53n).out).sleb('s')).toThrowError(/LEB128 overflow/);
  });

  it("throws the caller's error class at the offset of a truncated read", () => {
    expect(() => reader([0x80, 0x80], ElfError).uleb('x')).toThrowError(ElfError);
    const r = reader([1, 2, 3]);
    r.skip(2, 's');
    try {
      r.u32('a u32');
      expect.unreachable();
    } catch (x) {
      expect(x).toMatchObject({ offset: 2, expected: 'a u32', found: 'end of data' });
    }
    expect(() => reader([1, 2]).seek(3, 'somewhere')).toThrowError(/outside/);
    expect(() => reader([1, 2]).slice(3, 'three bytes')).toThrowError(/three bytes/);
    expect(() => reader([1, 2]).uSized(3, 'odd')).toThrowError(/size 1, 2, 4 or 8/);
  });

  it('reads C strings as UTF-8 and refuses a string without NUL', () => {
    const r = reader(new Bytes().str('net/ipv6/route.c').str('').str('é✓').out);
    expect(r.cstr('a')).toBe('net/ipv6/route.c');
    expect(r.cstr('b')).toBe('');
    expect(r.cstr('c')).toBe('é✓');
    expect(() => reader([0x61, 0x62]).cstr('name')).toThrowError(/no NUL/);
    expect(reader([0xff, 0x61, 0]).cstr('bad utf8')).toBe('\ufffda');
  });

  it('formats lazy descriptions only when failing', () => {
    let calls = 0;
    const what = () => {
      calls++;
      return 'lazy thing';
    };
    const r = reader([1, 2, 3]);
    r.u8(what);
    r.uleb(what);
    expect(calls).toBe(0);
    expect(() => r.u16(what)).toThrowError(/lazy thing/);
    expect(calls).toBe(1);
  });
});
