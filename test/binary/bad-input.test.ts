// Tests that malformed ELF and DWARF input gets a typed error (ElfError or
// DwarfError) naming the file, the section and the offset — never a
// TypeError, RangeError or a hang: crafted broken headers, symbol tables,
// relocations, compressed sections and line programs (LEB128 overflow, bad
// forms, offsets out of range, …), then seeded fuzzing (truncations and byte
// flips of a corpus object and of its line table). KCOMPART_BINARY_FUZZ=N
// sets the number of fuzz iterations per loop (default 300).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BinaryError, DwarfError, ElfError, elfConstants as E, readElf, readLineTable, type ElfFile } from '../../src/binary/index.js';
import { Bytes, lineUnitV4, writeElf, type SectionSpec } from './support/elf-writer.js';
import { ipv6ObjectDir } from './support/llvm.js';
import { mulberry32 } from '../../scripts/lib/mutate.js';

const ITER = Number(process.env['KCOMPART_BINARY_FUZZ'] ?? 300);

/** Runs `fn` and returns what it threw (failing the test if nothing was thrown). */
function thrown(fn: () => unknown): BinaryError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof BinaryError))
      throw new Error(`expected a BinaryError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`, { cause: e });
    return e;
  }
  throw new Error('expected an error, nothing was thrown');
}

/** Everything a consumer may ask of a file: sections, symbols, relocations applied everywhere, line tables. */
function exercise(bytes: Uint8Array, name = 'fuzz.o'): void {
  const elf: ElfFile = readElf(bytes, name);
  for (const s of elf.sections) elf.sectionData(s);
  void elf.symbols;
  for (const s of elf.sections) {
    if (s.type === E.SHT_RELA || s.type === E.SHT_REL) elf.relocations(s);
    else elf.relocatedSectionData(s);
  }
  readLineTable(elf);
}

/** A relocatable object whose only DWARF is `line` (and optional extra sections). */
function withDebugLine(line: Uint8Array, extra: SectionSpec[] = []): Uint8Array {
  return writeElf({ sections: [{ name: '.text', data: new Uint8Array(64), flags: 6n }, { name: '.debug_line', data: line }, ...extra] });
}

function lineError(line: Uint8Array, extra: SectionSpec[] = []): DwarfError {
  const e = thrown(() => readLineTable(readElf(withDebugLine(line, extra), 'crafted.o')));
  expect(e).toBeInstanceOf(DwarfError);
  expect(e.file).toBe('crafted.o');
  return e as DwarfError;
}

describe('malformed ELF: typed ElfErrors', () => {
  const good = writeElf({ sections: [{ name: '.text', data: new Uint8Array(16), flags: 6n }] });

  it('refuses non-ELF and unsupported ELF with the field that is wrong', () => {
    expect(thrown(() => readElf(new Uint8Array(0), 'empty'))).toMatchObject({ file: 'empty', offset: 0 });
    expect(thrown(() => readElf(Uint8Array.from([0x7f, 0x45, 0x4c]), 'short')).expected).toMatch(/16 bytes/);
    expect(thrown(() => readElf(new TextEncoder().encode('#!/bin/sh\necho hi\n'), 'script')).expected).toMatch(/magic/);
    const patch = (at: number, v: number) => {
      const b = good.slice();
      b[at] = v;
      return b;
    };
    expect(thrown(() => readElf(patch(4, 1), 'elf32')).expected).toMatch(/ELFCLASS64/);
    expect(thrown(() => readElf(patch(5, 2), 'be')).expected).toMatch(/little-endian/);
    expect(thrown(() => readElf(patch(16, 4), 'core')).found).toBe('ET_CORE (4)');
    expect(thrown(() => readElf(patch(58, 40), 'shentsize')).expected).toMatch(/e_shentsize 64/);
    expect(thrown(() => readElf(good.subarray(0, 40), 'trunc')).expected).toMatch(/64 bytes/);
    for (const e of [thrown(() => readElf(patch(4, 1)))]) expect(e).toBeInstanceOf(ElfError);
  });

  it('reports section headers and contents outside the file', () => {
    const v = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset);
    const b1 = good.slice();
    v(b1).setBigUint64(40, 1n << 40n, true); // e_shoff
    expect(thrown(() => readElf(b1, 'f')).expected).toMatch(/section header table inside the file/);
    const b2 = good.slice();
    v(b2).setUint16(60, 5000, true); // e_shnum
    expect(thrown(() => readElf(b2, 'f')).expected).toMatch(/5000 entries/);
    const b3 = good.slice();
    v(b3).setUint16(62, 99, true); // e_shstrndx
    expect(thrown(() => readElf(b3, 'f')).expected).toMatch(/e_shstrndx below/);
    const big = writeElf({ sections: [{ name: '.text', data: new Uint8Array(16), size: 1 << 30 }] });
    const elf = readElf(big, 'big.o');
    const e = thrown(() => elf.sectionData(elf.sectionByName('.text')!));
    expect(e).toMatchObject({ section: '.text', file: 'big.o' });
    expect(e.expected).toMatch(/inside the file/);
  });

  it('reports broken symbol tables and relocations with the section and entry offset', () => {
    const symtab = new Bytes().bytes(new Uint8Array(24)).u32(9999).u8(0x12, 0).u16(1).u64(0n).u64(0n).build();
    const f1 = readElf(
      writeElf({
        sections: [
          { name: '.text', data: new Uint8Array(8), flags: 6n },
          { name: '.symtab', type: E.SHT_SYMTAB, data: symtab, link: 3, entsize: 24 },
          { name: '.strtab', type: E.SHT_STRTAB, data: Uint8Array.from([0]) },
        ],
      }),
      'sym.o',
    );
    expect(thrown(() => f1.symbols)).toMatchObject({ section: '.symtab', offset: 24 });
    const f2 = readElf(writeElf({ sections: [{ name: '.symtab', type: E.SHT_SYMTAB, data: symtab, link: 1, entsize: 16 }] }), 'sym2.o');
    expect(thrown(() => f2.symbols).expected).toMatch(/sh_entsize 24/);

    const goodSym = new Bytes().bytes(new Uint8Array(24)).u32(0).u8(3, 0).u16(1).u64(0n).u64(0n).build();
    const mk = (rela: Uint8Array) =>
      readElf(
        writeElf({
          sections: [
            { name: '.text', data: new Uint8Array(8), flags: 6n },
            { name: '.symtab', type: E.SHT_SYMTAB, data: goodSym, link: 3, info: 1, entsize: 24 },
            { name: '.strtab', type: E.SHT_STRTAB, data: Uint8Array.from([0]) },
            { name: '.rela.text', type: E.SHT_RELA, data: rela, link: 2, info: 1, entsize: 24 },
          ],
        }),
        'rel.o',
      );
    const beyond = mk(new Bytes().u64(6n).u32(E.R_X86_64_64).u32(1).u64(0n).build());
    expect(thrown(() => beyond.relocatedSectionData(beyond.sectionByName('.text')!))).toMatchObject({ section: '.rela.text', offset: 0 });
    const badSym = mk(new Bytes().u64(0n).u32(E.R_X86_64_32).u32(1).u64(0n).u64(0n).u32(E.R_X86_64_32).u32(77).u64(0n).build());
    const e = thrown(() => badSym.relocatedSectionData(badSym.sectionByName('.text')!));
    expect(e).toMatchObject({ section: '.rela.text', offset: 24, found: '77' });
    const ragged = mk(new Uint8Array(30));
    expect(thrown(() => ragged.relocations(ragged.sectionByName('.rela.text')!)).expected).toMatch(/multiple of 24/);
  });

  it('reports broken compressed sections (bad zlib stream, absurd ch_size, unknown ch_type)', () => {
    const chdr = (type: number, size: bigint, payload: Uint8Array) => new Bytes().u32(type).u32(0).u64(size).u64(1n).bytes(payload).build();
    const z = zlib.deflateSync(Buffer.from('hello, debug line'));
    const mk = (data: Uint8Array) => {
      const elf = readElf(writeElf({ sections: [{ name: '.debug_line', data, flags: E.SHF_COMPRESSED }] }), 'z.o');
      return () => elf.sectionData(elf.sectionByName('.debug_line')!);
    };
    expect(new TextDecoder().decode(mk(chdr(1, 17n, z))())).toBe('hello, debug line');
    expect(thrown(mk(chdr(1, 17n, Uint8Array.from([1, 2, 3, 4, 5]))))).toMatchObject({
      section: '.debug_line',
      expected: expect.stringMatching(/zlib/),
    });
    expect(thrown(mk(chdr(1, 1n << 40n, z))).expected).toMatch(/uncompressed size consistent/);
    expect(thrown(mk(chdr(1, 5n, z))).expected).toMatch(/zlib|5 uncompressed/);
    expect(thrown(mk(chdr(7, 17n, z))).found).toBe('ch_type 7');
    expect(thrown(mk(Uint8Array.from([1, 0, 0])))).toMatchObject({ section: '.debug_line' });
  });
});

describe('malformed .debug_line: typed DwarfErrors naming section and offset', () => {
  const prog = (...b: number[]) => b;

  it('decodes the crafted baseline correctly', () => {
    const p = readLineTable(readElf(withDebugLine(lineUnitV4(prog(0x05, 3, 0x13, 0x00, 0x01, 0x01))), 'ok.o'));
    expect(p[0]!.sequences[0]!.rows.map((r) => [r.line, r.column, r.path, r.endSequence])).toEqual([
      [2, 3, 'a.c', false],
      [2, 3, 'a.c', true],
    ]);
  });

  it('unit_length, version and header_length out of range', () => {
    const u = lineUnitV4(prog(0x01));
    const long = u.slice();
    new DataView(long.buffer).setUint32(0, 0x1000, true);
    expect(lineError(long)).toMatchObject({
      section: '.debug_line',
      offset: 0,
      expected: expect.stringMatching(/unit_length that ends inside/),
    });
    const reserved = u.slice();
    new DataView(reserved.buffer).setUint32(0, 0xfffffff3, true);
    expect(lineError(reserved).expected).toMatch(/reserved/);
    expect(lineError(lineUnitV4(prog(0x01), { version: 1 }))).toMatchObject({ offset: 4, found: '1' });
    expect(lineError(lineUnitV4(prog(0x01), { version: 6 })).found).toBe('6');
    const hl = u.slice();
    new DataView(hl.buffer).setUint32(6, 0x400, true);
    expect(lineError(hl)).toMatchObject({ offset: 6, expected: expect.stringMatching(/header_length/) });
    // two units, the second truncated: the error points at the second
    const two = new Bytes().bytes(u).bytes(u.subarray(0, 9)).build();
    expect(lineError(two).offset).toBe(u.length);
  });

  it('LEB128 overflow, truncated operands, bad set_address and extended lengths', () => {
    const base = lineUnitV4([]).length;
    const overflow = lineError(lineUnitV4(prog(0x04, ...new Array(10).fill(0xff), 0x7f)));
    expect(overflow).toMatchObject({ offset: base + 1, found: 'LEB128 overflow' });
    expect(overflow.message).toMatch(/crafted\.o: \.debug_line\+0x[0-9a-f]+: expected the DW_LNS_set_file operand/);
    expect(lineError(lineUnitV4(prog(0x02, ...new Array(10).fill(0xff), 0x7f))).found).toBe('LEB128 overflow');
    expect(lineError(lineUnitV4(prog(0x03, ...new Array(9).fill(0xff), 0x00))).found).toBe('LEB128 overflow');
    expect(lineError(lineUnitV4(prog(0x05, 0x80))).found).toMatch(/end of data/);
    expect(lineError(lineUnitV4(prog(0x09, 0x01))).expected).toMatch(/fixed_advance_pc/);
    expect(lineError(lineUnitV4(prog(0x00, 4, 0x02, 1, 2, 3)))).toMatchObject({ offset: base, found: '3 bytes' });
    expect(lineError(lineUnitV4(prog(0x00, 0x40, 0x01))).expected).toMatch(/extended opcode that ends inside the unit/);
    expect(lineError(lineUnitV4(prog(0x00, 0x80))).expected).toMatch(/length of an extended opcode/);
  });

  it('line_range 0 with a special opcode or DW_LNS_const_add_pc', () => {
    expect(lineError(lineUnitV4(prog(0x01, 0x20), { lineRange: 0 })).expected).toMatch(/line_range/);
    expect(lineError(lineUnitV4(prog(0x08), { lineRange: 0 })).expected).toMatch(/DW_LNS_const_add_pc/);
    // without such opcodes, line_range 0 is harmless
    expect(readLineTable(readElf(withDebugLine(lineUnitV4(prog(0x01), { lineRange: 0 })), 'x.o'))[0]!.rowCount).toBe(1);
  });

  /** A v5 unit with the given directory/file entry bytes (formats included) and an empty program. */
  function v5(entries: Bytes): Uint8Array {
    const hdr = new Bytes()
      .u8(1, 1, 1, -5 & 0xff, 14, 13)
      .bytes([0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1])
      .bytes(entries.out);
    const body = new Bytes().u16(5).u8(8, 0).u32(hdr.length).bytes(hdr.out).u8(0x01);
    return new Bytes().u32(body.length).bytes(body.out).build();
  }
  const lstr = { name: '.debug_line_str', data: new Bytes().str('/dir').str('f.c').build() };

  it('v5 entry formats: unknown or misplaced forms, strings out of range, absurd counts', () => {
    const dirs = (form: number, ...value: number[]) =>
      new Bytes()
        .u8(1)
        .uleb(1)
        .uleb(form)
        .uleb(1)
        .u8(...value);
    const noFiles = (b: Bytes) => b.u8(0).uleb(0);
    expect(lineError(v5(noFiles(dirs(0x7e, 0))), [lstr])).toMatchObject({ section: '.debug_line', found: 'DW_FORM_<0x7e>' });
    expect(lineError(v5(noFiles(dirs(0x19))), [lstr]).found).toBe('DW_FORM_flag_present');
    expect(lineError(v5(noFiles(dirs(0x0b, 7))), [lstr]).expected).toMatch(/string form/);
    expect(lineError(v5(noFiles(dirs(0x1a, 0))), [lstr]).found).toBe('DW_FORM_strx');
    const far = lineError(v5(noFiles(dirs(0x1f, 0x00, 0x10, 0, 0))), [lstr]);
    expect(far).toMatchObject({ section: '.debug_line_str', offset: 0x1000, expected: expect.stringMatching(/include_directories\[0\]/) });
    expect(lineError(v5(noFiles(dirs(0x0e, 0, 0, 0, 0)))).section).toBe('.debug_str'); // no .debug_str at all
    expect(
      lineError(
        v5(
          new Bytes()
            .u8(1)
            .uleb(1)
            .uleb(0x08)
            .uleb(1n << 40n),
        ),
      ).expected,
    ).toMatch(/directories_count that fits/);
    const md5 = new Bytes().u8(0).uleb(0).u8(2).uleb(1).uleb(0x08).uleb(5).uleb(0x06).uleb(1).str('f.c').u32(0);
    expect(lineError(v5(md5)).expected).toMatch(/DW_LNCT_MD5 of file_names\[0\]: DW_FORM_data16/);
    const indirect = new Bytes().u8(1).uleb(1).uleb(0x16).uleb(1).bytes(new Array(8).fill(0x16)).u8(0x08).str('x');
    expect(lineError(v5(noFiles(indirect))).expected).toMatch(/DW_FORM_indirect/);
    // the good case with the same pieces
    const ok = new Bytes().u8(1).uleb(1).uleb(0x1f).uleb(1).u32(0).u8(2).uleb(1).uleb(0x1f).uleb(2).uleb(0x0f).uleb(1).u32(5).uleb(0);
    const p = readLineTable(readElf(withDebugLine(v5(ok), [lstr]), 'ok.o'))[0]!;
    expect(p.header.fileNames[0]!.path).toBe('/dir/f.c');
  });

  it('a program offset outside .debug_line', async () => {
    const { loadDwarfSections, parseLineProgram, debugLineOffset } = await import('../../src/binary/index.js');
    const s = loadDwarfSections(readElf(withDebugLine(lineUnitV4(prog(0x01))), 'o.o'));
    expect(thrown(() => parseLineProgram(s, debugLineOffset(0x999)))).toMatchObject({
      section: '.debug_line',
      expected: expect.stringMatching(/offset inside/),
    });
  });
});

describe('fuzzing: only typed errors, no hangs', () => {
  const rplPath = join(ipv6ObjectDir(), 'rpl.o');
  const anycastPath = join(ipv6ObjectDir(), 'anycast.o');

  function check(label: string, bytes: Uint8Array, failures: string[], slow: string[]): void {
    const t0 = performance.now();
    try {
      exercise(bytes, label);
    } catch (e) {
      if (!(e instanceof BinaryError))
        failures.push(
          `${label}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack?.split('\n').slice(1, 4).join('\n')}`,
        );
      else if (!e.message.startsWith(label)) failures.push(`${label}: error does not name the file: ${e.message}`);
    }
    const ms = performance.now() - t0;
    if (ms > 2000) slow.push(`${label}: ${ms.toFixed(0)} ms`);
  }

  it(`${ITER} truncations and ${ITER} byte-flip mutants of a whole object (rpl.o)`, () => {
    const orig = new Uint8Array(readFileSync(rplPath));
    exercise(orig, 'rpl.o'); // the original is fine
    const rnd = mulberry32(0x5eed);
    const failures: string[] = [];
    const slow: string[] = [];
    for (let i = 0; i < ITER; i++) check(`trunc${i}`, orig.subarray(0, Math.floor(rnd() * orig.length)), failures, slow);
    for (let i = 0; i < ITER; i++) {
      const b = orig.slice();
      const n = 1 + Math.floor(rnd() * 8);
      for (let k = 0; k < n; k++) {
        const at = Math.floor(rnd() * b.length);
        b[at] = rnd() < 0.5 ? Math.floor(rnd() * 256) : b[at]! ^ (1 << Math.floor(rnd() * 8));
      }
      check(`flip${i}`, b, failures, slow);
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(slow).toEqual([]);
  });

  it(`${ITER * 2} mutants of a real line table (anycast.o's .debug_line, relocated), with its string sections`, () => {
    const elf = readElf(new Uint8Array(readFileSync(anycastPath)), 'anycast.o');
    const line = elf.relocatedSectionData(elf.sectionByName('.debug_line')!).bytes;
    const lineStr = elf.sectionData(elf.sectionByName('.debug_line_str')!);
    const mk = (l: Uint8Array) =>
      writeElf({
        type: E.ET_EXEC,
        sections: [
          { name: '.text', data: new Uint8Array(0x1000), flags: 6n, addr: 0n },
          { name: '.debug_line', data: l },
          { name: '.debug_line_str', data: lineStr },
        ],
      });
    expect(readLineTable(readElf(mk(line), 'base.o'))[0]!.rowCount).toBe(581);
    const rnd = mulberry32(0xd1ce);
    const failures: string[] = [];
    const slow: string[] = [];
    for (let i = 0; i < ITER * 2; i++) {
      const b = line.slice();
      const mode = rnd();
      let l: Uint8Array = b;
      if (mode < 0.15) l = b.subarray(0, Math.floor(rnd() * b.length));
      else {
        // bias towards the header (first 0x1420 bytes: formats, counts, string offsets)
        const n = 1 + Math.floor(rnd() * 6);
        for (let k = 0; k < n; k++) {
          const at = rnd() < 0.5 ? Math.floor(rnd() * Math.min(b.length, 0x1420)) : Math.floor(rnd() * b.length);
          b[at] = mode < 0.6 ? Math.floor(rnd() * 256) : [0x00, 0x7f, 0x80, 0xff][Math.floor(rnd() * 4)]!;
        }
      }
      check(`line${i}`, mk(l), failures, slow);
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(slow).toEqual([]);
  });
});
