// Tests the ELF reader against llvm-readelf-19 on all 51 corpus objects:
// section headers, every .symtab symbol, every relocation of every
// relocation section; relocation application checked through
// .debug_str_offsets (llvm-dwarfdump prints the string each relocated offset
// names); plus duplicate local names (ld.lld -r), extended section numbering
// (66,000 sections, SHN_XINDEX), unsupported relocation types (recorded or,
// in strict mode, an ElfError), and relocations in SHT_REL form.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ElfError,
  elfConstants as E,
  readElf,
  relocationTypeName,
  sectionTypeName,
  symbolBindingName,
  symbolTypeName,
  symbolVisibilityName,
  type ElfFile,
} from '../../src/binary/index.js';
import {
  DWARFDUMP,
  READELF,
  haveTool,
  ipv6Objects,
  parseReadelfRelocations,
  parseReadelfSections,
  parseReadelfSymbols,
  pool,
  run,
  type ReadelfRelocation,
  type ReadelfSection,
  type ReadelfSymbol,
} from './support/llvm.js';
import { Bytes, writeElf } from './support/elf-writer.js';

const files = ipv6Objects();

interface PerFile {
  file: string;
  elf: ElfFile;
  sections: ReadelfSection[];
  symbols: ReadelfSymbol[];
  relocs: Map<string, { count: number; entries: ReadelfRelocation[] }>;
  strOffsets: string;
}
let results: PerFile[] = [];
let dir = '';

function exec(cmd: string, args: string[], cwd?: string): Promise<void> {
  return new Promise((res, rej) => execFile(cmd, args, { cwd }, (e, _o, stderr) => (e ? rej(new Error(`${cmd}: ${stderr}`)) : res())));
}

/** llvm-readelf's flag letters, in the order it prints them. */
function flagLetters(flags: bigint): string {
  const letters: Array<[bigint, string]> = [
    [0x1n, 'W'],
    [0x2n, 'A'],
    [0x4n, 'X'],
    [0x10n, 'M'],
    [0x20n, 'S'],
    [0x40n, 'I'],
    [0x80n, 'L'],
    [0x100n, 'O'],
    [0x200n, 'G'],
    [0x400n, 'T'],
    [0x800n, 'C'],
    [0x80000000n, 'E'],
    [0x200000n, 'R'],
  ];
  return letters
    .filter(([bit]) => (flags & bit) !== 0n)
    .map(([, l]) => l)
    .join('');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kcompart-elf-'));
  results = await pool(files, 4, async (file) => {
    const [s, sy, r, so] = await Promise.all([
      run(READELF, ['-S', '-W', file]),
      run(READELF, ['-s', '-W', file]),
      run(READELF, ['-r', '-W', file]),
      run(DWARFDUMP, ['--debug-str-offsets', file]),
    ]);
    return {
      file,
      elf: readElf(readFileSync(file), file),
      sections: parseReadelfSections(s),
      symbols: parseReadelfSymbols(sy),
      relocs: parseReadelfRelocations(r),
      strOffsets: so,
    };
  });
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ELF reader on the net/ipv6 corpus vs llvm-readelf-19', () => {
  it('reads the 51 objects as ET_REL x86-64', () => {
    expect(results.length).toBe(51);
    for (const { elf } of results) {
      expect(elf.header.type).toBe(E.ET_REL);
      expect(elf.header.machine).toBe(E.EM_X86_64);
      expect(elf.isRelocatable).toBe(true);
    }
  });

  it('section headers equal llvm-readelf -S', () => {
    for (const { file, elf, sections } of results) {
      expect(sections.length, file).toBe(elf.sections.length);
      const ours = elf.sections.map((s) => ({
        index: s.index,
        name: s.name,
        type: sectionTypeName(s.type),
        address: s.addr,
        offset: s.offset,
        size: s.size,
        entsize: s.entsize,
        flags: flagLetters(s.flags),
        link: s.link,
        info: s.info,
        align: Number(s.addralign),
      }));
      expect(ours, basename(file)).toEqual(sections);
    }
  });

  it('every .symtab symbol equals llvm-readelf -s (value, size, type, binding, visibility, section, name)', () => {
    let n = 0;
    for (const { file, elf, symbols } of results) {
      const ours = elf.symbols.map((s) => ({
        num: s.index,
        value: s.value,
        size: s.size,
        type: symbolTypeName(s.type),
        bind: symbolBindingName(s.binding),
        vis: symbolVisibilityName(s.visibility),
        ndx: s.shndx === E.SHN_UNDEF ? 'UND' : s.shndx === E.SHN_ABS ? 'ABS' : s.shndx === E.SHN_COMMON ? 'COM' : String(s.sectionIndex),
        // llvm-readelf names a nameless section symbol after its section
        name: s.type === E.STT_SECTION && s.name === '' ? elf.section(s.sectionIndex).name : s.name,
      }));
      expect(ours, basename(file)).toEqual(symbols);
      n += ours.length;
      // defined symbols carry their section offset
      for (const s of elf.symbols) if (s.shndx !== E.SHN_UNDEF && s.shndx < 0xff00) expect(s.sectionOffset).toBe(Number(s.value));
    }
    expect(n).toBeGreaterThan(5000);
  });

  it('every relocation of every relocation section equals llvm-readelf -r', () => {
    let n = 0;
    for (const { file, elf, relocs } of results) {
      const relSections = elf.sections.filter((s) => s.type === E.SHT_RELA || s.type === E.SHT_REL);
      expect(relSections.map((s) => s.name).sort(), basename(file)).toEqual([...relocs.keys()].sort());
      const syms = elf.symbols;
      for (const rs of relSections) {
        const theirs = relocs.get(rs.name)!;
        const ours = elf.relocations(rs);
        expect(ours.length, `${basename(file)} ${rs.name}`).toBe(theirs.count);
        const mapped = ours.map((r) => {
          const s = syms[r.symbolIndex]!;
          const name = r.symbolIndex === 0 ? '' : s.type === E.STT_SECTION && s.name === '' ? elf.section(s.sectionIndex).name : s.name;
          return {
            offset: r.offset,
            type: relocationTypeName(r.type),
            symbolValue: r.symbolIndex === 0 ? undefined : s.value,
            symbolName: name,
            addend: r.addend,
          };
        });
        expect(mapped, `${basename(file)} ${rs.name}`).toEqual(theirs.entries);
        n += ours.length;
      }
    }
    expect(n).toBeGreaterThan(300_000);
  });

  it('applies the R_X86_64_32 relocations of .debug_str_offsets: each entry names the string llvm-dwarfdump prints', () => {
    let n = 0;
    for (const { file, elf, strOffsets } of results) {
      const sec = elf.sectionByName('.debug_str_offsets')!;
      const rel = elf.relocatedSectionData(sec);
      expect(rel.skipped).toEqual([]);
      expect(rel.applied).toBe(elf.relocations(elf.sectionByName('.rela.debug_str_offsets')!).length);
      const str = elf.sectionData(elf.sectionByName('.debug_str')!);
      const view = new DataView(rel.bytes.buffer, rel.bytes.byteOffset, rel.bytes.byteLength);
      const dec = new TextDecoder();
      const bad: string[] = [];
      for (const m of strOffsets.matchAll(/^0x([0-9a-f]{8}): ([0-9a-f]{8}) "(.*)"$/gm)) {
        // 0x0000000c: 00000028 "net/ipv6/anycast.c"
        const at = Number.parseInt(m[1]!, 16);
        const off = view.getUint32(at, true);
        const end = str.indexOf(0, off);
        const s = dec.decode(str.subarray(off, end)).replace(/\\/g, '\\\\').replace(/"/g, '\\"');
        if (off !== Number.parseInt(m[2]!, 16) || s !== m[3])
          bad.push(`${basename(file)} .debug_str_offsets+0x${m[1]}: ${off} ${s} vs ${m[2]} ${m[3]}`);
        n++;
      }
      expect(bad.slice(0, 5)).toEqual([]);
      // the unrelocated entries are all zero: the relocations really did the work
      expect(
        elf
          .sectionData(sec)
          .subarray(8)
          .every((b) => b === 0),
      ).toBe(true);
    }
    expect(n).toBeGreaterThan(200_000);
  });
});

describe('ELF reader edge cases', () => {
  it('keeps several local symbols of one name apart (ld.lld -r of two objects with a static `helper`)', async (ctx) => {
    if (!(await haveTool('clang-19')) || !(await haveTool('ld.lld-19'))) return ctx.skip('needs clang-19 and ld.lld-19');
    writeFileSync(join(dir, 'a.c'), 'static int helper(int x) { return x + 1; }\nint a(int x) { return helper(x) * 3; }\n');
    writeFileSync(join(dir, 'b.c'), 'static int helper(int x) { return x - 1; }\nint b(int x) { return helper(x) * 5; }\n');
    for (const n of ['a', 'b']) await exec('clang-19', ['-O0', '-g', '-c', `${n}.c`, '-o', `${n}.o`], dir);
    await exec('ld.lld-19', ['-r', 'a.o', 'b.o', '-o', 'ab.o'], dir);
    const path = join(dir, 'ab.o');
    const elf = readElf(readFileSync(path), path);
    const helpers = elf.symbols.filter((s) => s.name === 'helper');
    expect(helpers.length).toBe(2);
    expect(helpers.every((s) => s.type === E.STT_FUNC && s.binding === E.STB_LOCAL)).toBe(true);
    expect(helpers[0]!.value).not.toBe(helpers[1]!.value);
    const theirs = parseReadelfSymbols(await run(READELF, ['-s', '-W', path])).filter((s) => s.name === 'helper');
    expect(helpers.map((s) => [s.index, s.value, s.size])).toEqual(theirs.map((s) => [s.num, s.value, s.size]));
  });

  it('reads extended section numbering: e_shnum 0, 66,005 sections, symbols through SHT_SYMTAB_SHNDX', async (ctx) => {
    if (!(await haveTool('llvm-mc-19'))) return ctx.skip('needs llvm-mc-19');
    const src = join(dir, 'many.s');
    writeFileSync(src, '.macro sec\n.section .t\\@,"ax",@progbits\n.globl sym\\@\nsym\\@: .byte 0x90\n.endm\n.rept 66000\nsec\n.endr\n');
    const out = join(dir, 'many.o');
    await exec('llvm-mc-19', ['-filetype=obj', '-triple=x86_64-unknown-linux-gnu', src, '-o', out]);
    const bytes = readFileSync(out);
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint16(60, true)).toBe(0); // e_shnum
    const elf = readElf(bytes, out);
    const theirs = parseReadelfSymbols(await run(READELF, ['-s', '-W', out]));
    expect(elf.sections.length).toBe(66005);
    expect(elf.sections.filter((s) => /^\.t\d+$/.test(s.name)).length).toBe(66000);
    const last = elf.symbols.find((s) => s.name === 'sym65999')!;
    expect(last.shndx).toBe(E.SHN_XINDEX);
    expect(elf.section(last.sectionIndex).name).toBe('.t65999');
    const globals = elf.symbols.filter((s) => s.name.startsWith('sym')).map((s) => [s.name, String(s.sectionIndex)]);
    expect(globals).toEqual(theirs.filter((s) => s.name.startsWith('sym')).map((s) => [s.name, s.ndx]));
  });

  it("reads e_shstrndx == SHN_XINDEX through section 0's sh_link", () => {
    const bytes = writeElf({
      sections: [
        { name: '.text', data: new Uint8Array(4), flags: 6n },
        { name: '.data', data: new Uint8Array(8) },
      ],
    });
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    const shoff = Number(v.getBigUint64(40, true));
    const shstrndx = v.getUint16(62, true);
    v.setUint16(62, E.SHN_XINDEX, true);
    v.setUint32(shoff + 40, shstrndx, true); // section 0's sh_link
    const elf = readElf(bytes, 'xindex.o');
    expect(elf.header.shstrndx).toBe(shstrndx);
    expect(elf.sections.map((s) => s.name)).toEqual(['', '.text', '.data', '.shstrtab']);
  });

  it('records relocation types it does not apply, and refuses them in strict mode', async (ctx) => {
    if (!(await haveTool('llvm-mc-19'))) return ctx.skip('needs llvm-mc-19');
    const src = join(dir, 'gotpcrel.s');
    writeFileSync(src, '.section .data.x,"aw",@progbits\n.quad ext\n.long ext@GOTPCREL\n.long ext@PLT\n.quad ext@TPOFF\n');
    const out = join(dir, 'gotpcrel.o');
    await exec('llvm-mc-19', ['-filetype=obj', '-triple=x86_64-unknown-linux-gnu', src, '-o', out]);
    const elf = readElf(readFileSync(out), out);
    const sec = elf.sectionByName('.data.x')!;
    const r = elf.relocatedSectionData(sec);
    expect(r.applied).toBe(2);
    expect(r.skipped.map((s) => s.typeName)).toEqual(['R_X86_64_GOTPCREL', 'R_X86_64_TPOFF64']);
    expect(r.targetAt(0)).toMatchObject({ type: E.R_X86_64_64, sectionIndex: undefined, value: 0n });
    // `.long ext@PLT` at offset 12: L + A − P = 0 + 0 − 12
    expect(r.targetAt(12)).toMatchObject({ type: E.R_X86_64_PLT32, value: -12n });
    expect(() => elf.relocatedSectionData(sec, { strict: true })).toThrowError(ElfError);
    try {
      elf.relocatedSectionData(sec, { strict: true });
    } catch (e) {
      expect((e as ElfError).section).toBe('.rela.data.x');
      expect((e as ElfError).found).toBe('R_X86_64_GOTPCREL');
    }
  });

  it('applies SHT_REL relocations with the addend stored at the place', () => {
    // .data: 8 bytes holding the implicit addend 0x10; .symtab: null + a symbol at 0x100 in .text
    const text = new Uint8Array(0x200);
    const data = new Bytes().u64(0x10n).u32(0xfffffff0).build();
    const symtab = new Bytes().bytes(new Uint8Array(24)).u32(1).u8(0x12, 0).u16(1).u64(0x100n).u64(4n).build();
    const strtab = new Bytes().u8(0).str('fn').build();
    const rel = new Bytes().u64(0n).u32(E.R_X86_64_64).u32(1).u64(8n).u32(E.R_X86_64_32S).u32(1).build();
    const bytes = writeElf({
      sections: [
        { name: '.text', data: text, flags: 6n },
        { name: '.data', data },
        { name: '.symtab', type: E.SHT_SYMTAB, data: symtab, link: 4, info: 1, entsize: 24 },
        { name: '.strtab', type: E.SHT_STRTAB, data: strtab },
        { name: '.rel.data', type: E.SHT_REL, data: rel, link: 3, info: 2, entsize: 16 },
      ],
    });
    const elf = readElf(bytes, 'rel.o');
    const r = elf.relocatedSectionData(elf.sectionByName('.data')!);
    const v = new DataView(r.bytes.buffer, r.bytes.byteOffset);
    expect(v.getBigUint64(0, true)).toBe(0x110n);
    expect(v.getInt32(8, true)).toBe(0x100 - 0x10);
    expect(r.targetAt(0)?.sectionIndex).toBe(1);
    expect(elf.symbols[1]).toMatchObject({ name: 'fn', type: E.STT_FUNC, binding: E.STB_GLOBAL, sectionOffset: 0x100 });
  });
});
