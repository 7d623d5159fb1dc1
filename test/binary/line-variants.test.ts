// Tests the `.debug_line` decoder beyond the clang-19 DWARF 5 corpus: the
// fixture test/fixtures/binary/lines.c compiled at test time by clang-19 (DWARF
// 2, 4, 5, 64-bit DWARF, discriminators, -ffunction-sections, zlib- and
// zstd-compressed debug sections, a linked image at kernel addresses) and by
// gcc (DWARF 3, 4, 5 through gas, a linked executable), plus hand-assembled
// units (synthetic-lines.s) with the opcodes compilers rarely emit — each
// compared row for row with llvm-dwarfdump-19, sections checked by address.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfError, readElf, readLineTable, type ElfFile, type LineProgram } from '../../src/binary/index.js';
import { DWARFDUMP, SYMBOLIZER, compareRows, haveTool, parseDwarfdumpLines, pool, run, type DumpUnit } from './support/llvm.js';

const FIX = resolve(import.meta.dirname, '..', 'fixtures', 'binary');
const SRC = join(FIX, 'lines.c');
const CLANG = process.env['CLANG'] ?? 'clang-19';
const GCC = process.env['GCC'] ?? 'gcc';
const LLD = 'ld.lld-19';
const OBJCOPY = 'llvm-objcopy-19';
const MC = 'llvm-mc-19';

interface Variant {
  name: string;
  /** Tools that must exist. */
  needs: string[];
  /** Commands building `out` in `dir` (each: program, args). */
  build: (out: string, dir: string) => Array<[string, string[]]>;
  /** Expected code sections of the sequences (subset check). */
  sections?: string[];
  linked?: boolean;
  /** Per unit: the paths of files added by DW_LNE_define_file (not in llvm-dwarfdump's header listing). */
  definedFiles?: Array<Record<number, string>>;
}

const cc =
  (tool: string, flags: string[]) =>
  (out: string): Array<[string, string[]]> => [[tool, [...flags, '-O2', '-c', SRC, '-o', out]]];

const VARIANTS: Variant[] = [
  { name: 'clang DWARF 5', needs: [CLANG], build: cc(CLANG, ['-g', '-gdwarf-5']), sections: ['.text', '.init.text', '.exit.text'] },
  { name: 'clang DWARF 4', needs: [CLANG], build: cc(CLANG, ['-g', '-gdwarf-4']), sections: ['.text', '.init.text', '.exit.text'] },
  { name: 'clang DWARF 2', needs: [CLANG], build: cc(CLANG, ['-g', '-gdwarf-2']) },
  { name: 'clang 64-bit DWARF 5', needs: [CLANG], build: cc(CLANG, ['-g', '-gdwarf-5', '-gdwarf64']) },
  { name: 'clang discriminators', needs: [CLANG], build: cc(CLANG, ['-g', '-gdwarf-5', '-fdebug-info-for-profiling']) },
  {
    name: 'clang -ffunction-sections',
    needs: [CLANG],
    build: cc(CLANG, ['-g', '-gdwarf-5', '-ffunction-sections']),
    sections: ['.text.sum_table', '.text.fill', '.init.text', '.exit.text', '.text.from_other_file', '.text.entry'],
  },
  { name: 'gcc DWARF 3', needs: [GCC], build: cc(GCC, ['-g', '-gdwarf-3']) },
  { name: 'gcc DWARF 4', needs: [GCC], build: cc(GCC, ['-g', '-gdwarf-4']), sections: ['.text', '.init.text', '.exit.text'] },
  { name: 'gcc DWARF 5', needs: [GCC], build: cc(GCC, ['-g', '-gdwarf-5']) },
  {
    name: 'gcc -ffunction-sections',
    needs: [GCC],
    build: cc(GCC, ['-g', '-gdwarf-5', '-ffunction-sections']),
    sections: ['.text.sum_table', '.text.startup'].slice(0, 1),
  },
  {
    name: 'clang zlib-compressed debug sections',
    needs: [CLANG, OBJCOPY],
    build: (out) => [
      [CLANG, ['-g', '-gdwarf-5', '-O2', '-c', SRC, '-o', `${out}.plain.o`]],
      [OBJCOPY, ['--compress-debug-sections=zlib', `${out}.plain.o`, out]],
    ],
  },
  {
    name: 'clang kernel code model linked at 0xffffffff81000000 (ET_EXEC)',
    needs: [CLANG, LLD],
    linked: true,
    build: (out) => [
      [CLANG, ['-g', '-gdwarf-5', '-O2', '-mcmodel=kernel', '-fno-pic', '-c', SRC, '-o', `${out}.o`]],
      [LLD, ['-e', 'entry', '-Ttext=0xffffffff81000000', `${out}.o`, '-o', out]],
    ],
    sections: ['.text', '.init.text', '.exit.text'],
  },
  {
    name: 'gcc linked executable (ET_EXEC)',
    needs: [GCC],
    linked: true,
    build: (out) => [[GCC, ['-g', '-O2', '-no-pie', '-nostdlib', '-static', '-Wl,-e,entry', SRC, '-o', out]]],
  },
  {
    name: 'hand-assembled units (opcode_base 10 and 14, define_file, VLIW, 64-bit DWARF, v5 forms)',
    needs: [MC],
    build: (out) => [[MC, ['-filetype=obj', '-triple=x86_64-unknown-linux-gnu', join(FIX, 'synthetic-lines.s'), '-o', out]]],
    sections: ['.text', '.text.other'],
    // unit 0 (v3, no comp_dir): file 5 = "e.c" in include_directories[2] "/abs/inc"; file 6 = "sub/f.c" in directory 0
    definedFiles: [{ 5: '/abs/inc/e.c', 6: 'sub/f.c' }],
  },
];

interface Built {
  variant: Variant;
  out: string;
  skipped?: string;
  elf?: ElfFile;
  programs?: LineProgram[];
  units?: DumpUnit[];
}

let dir = '';
let built: Built[] = [];

function exec(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((res, rej) =>
    execFile(cmd, args, { cwd }, (e, _o, stderr) => (e ? rej(new Error(`${cmd} ${args.join(' ')}: ${stderr}`)) : res())),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kcompart-lines-'));
  const have = new Map<string, boolean>();
  for (const t of new Set(VARIANTS.flatMap((v) => v.needs))) have.set(t, await haveTool(t));
  built = await pool(VARIANTS, 3, async (variant, i) => {
    const out = join(dir, `v${i}.elf`);
    const missing = variant.needs.filter((t) => !have.get(t));
    if (missing.length) return { variant, out, skipped: `missing ${missing.join(', ')}` };
    // the working directory is the fixture directory, so "sub/helper.h" is relative
    for (const [cmd, args] of variant.build(out, dir)) await exec(cmd, args, FIX);
    const elf = readElf(readFileSync(out), out);
    const units = parseDwarfdumpLines(await run(DWARFDUMP, ['--debug-line', out]));
    return { variant, out, elf, programs: readLineTable(elf), units };
  });
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('.debug_line variants vs llvm-dwarfdump-19', () => {
  for (const [i, variant] of VARIANTS.entries()) {
    it(`${variant.name}: rows equal llvm-dwarfdump, sequences tied to their sections`, (ctx) => {
      const b = built[i]!;
      if (b.skipped) {
        ctx.skip(b.skipped);
        return;
      }
      const { programs, units, elf } = b as Required<Built>;
      const c = compareRows(variant.name, programs, units, undefined, variant.definedFiles);
      expect(c.bad, c.bad.join('\n')).toEqual([]);
      expect(c.equal).toBe(c.total);
      expect(c.total).toBeGreaterThan(5);
      // headers: versions and file tables
      programs.forEach((p, k) => {
        const u = units[k]!;
        expect(p.header.version).toBe(u.version);
        expect(p.header.offsetSize === 8 ? 'DWARF64' : 'DWARF32').toBe(u.format);
        expect(p.header.fileNames.map((f) => [f.name, f.directoryIndex])).toEqual(
          [...u.fileNames.values()].map((f) => [f.name, f.dirIndex]),
        );
        if (p.header.version < 5) {
          expect(p.header.fileNames.map((f) => [f.timestamp, f.size])).toEqual([...u.fileNames.values()].map((f) => [f.modTime, f.length]));
        } else {
          expect(p.header.fileNames.map((f) => f.md5)).toEqual([...u.fileNames.values()].map((f) => f.md5));
        }
      });
      // every sequence has a section that holds all its rows
      const names = new Set<string>();
      for (const p of programs)
        for (const s of p.sequences) {
          expect(s.section, `${variant.name}: sequence at .debug_line+0x${s.programOffset.toString(16)}`).toBeDefined();
          const sec = elf.section(s.section!.index);
          names.add(sec.name);
          for (const r of s.rows) {
            expect(r.offset).toBeDefined();
            expect(r.address - sec.addr).toBe(BigInt(r.offset!));
            expect(r.offset! <= sec.size && (r.endSequence || r.offset! < sec.size), `0x${r.address.toString(16)} in ${sec.name}`).toBe(
              true,
            );
          }
        }
      for (const want of variant.sections ?? []) expect([...names]).toContain(want);
    });
  }

  it('hand-assembled units: header values, define_file entries, VLIW op_index, sections (checked by hand)', (ctx) => {
    const b = built.find((x) => x.variant.name.startsWith('hand-assembled'))!;
    if (b.skipped) return ctx.skip(b.skipped);
    const [u1, u2, u3, u4] = b.programs!;
    // unit 1: DWARF 3, opcode_base 10, two define_file entries appended to the file table
    expect(u1!.header.opcodeBase).toBe(10);
    expect(u1!.files.map((f) => f.path)).toEqual(['a.c', 'inc/b.h', '/abs/inc/c.h', '/abs/d.h', '/abs/inc/e.c', 'sub/f.c']);
    expect(u1!.header.fileNames[1]).toMatchObject({ timestamp: 7n, size: 100n });
    expect(u1!.sequences.map((s) => s.section?.name)).toEqual(['.text', '.text.other']);
    expect(u1!.sequences[1]!.rows[0]).toMatchObject({ address: 0xbn, offset: 0xb, line: 0 });
    // unit 2: VLIW, 4 operations per instruction of 4 bytes; the unknown opcode 13 skipped with its 2 operands
    expect(u2!.header).toMatchObject({
      version: 4,
      maximumOperationsPerInstruction: 4,
      minimumInstructionLength: 4,
      opcodeBase: 14,
      defaultIsStmt: false,
    });
    expect(u2!.sequences[0]!.rows.map((r) => [Number(r.address), r.opIndex])).toEqual([
      [0x10, 0],
      [0x10, 1],
      [0x10, 3],
      [0x14, 3],
      [0x1c, 2],
      [0x40, 0],
      [0x42, 0],
      [0x42, 0],
    ]);
    expect(u2!.sequences[0]!.rows[4]).toMatchObject({ isa: 3, epilogueBegin: true });
    // unit 3: v5 forms; the vendor content type 0x2010 skipped; timestamp as DW_FORM_block is not a number
    expect(u3!.header.fileNames[0]).toMatchObject({
      name: 'main.c',
      size: 1234n,
      timestamp: undefined,
      md5: '000102030405060708090a0b0c0d0e0f',
      path: '/comp/dir/main.c',
    });
    expect(u3!.header.fileNames.map((f) => f.path)).toEqual(['/comp/dir/main.c', '/comp/dir/inc/x.h', '/abs/y.h']);
    // unit 4: 64-bit DWARF with 8-byte DW_FORM_strp / DW_FORM_line_strp offsets
    expect(u4!.header).toMatchObject({ offsetSize: 8, includeDirectories: ['strp-dir', 'strp-dir'] });
    expect(u4!.header.fileNames.map((f) => [f.name, f.directoryIndex, f.path])).toEqual([
      ['lstr-file.c', 1, 'strp-dir/strp-dir/lstr-file.c'],
      ['lstr-file.c', 0, 'strp-dir/lstr-file.c'],
    ]);
    expect(u4!.sequences[0]!.section?.name).toBe('.text.other');
  });

  it('keeps kernel addresses above 2^53 exact in a linked image', (ctx) => {
    const b = built.find((x) => x.variant.name.startsWith('clang kernel code model'))!;
    if (b.skipped) return ctx.skip(b.skipped);
    const rows = b.programs!.flatMap((p) => p.sequences.flatMap((s) => s.rows));
    expect(rows.every((r) => r.address >= 0xffffffff81000000n)).toBe(true);
    expect(new Set(rows.map((r) => r.address)).size).toBeGreaterThan(20);
    expect(b.elf!.header.type).toBe(2);
  });

  it('finds discriminators where clang emits them (-fdebug-info-for-profiling)', (ctx) => {
    const b = built.find((x) => x.variant.name === 'clang discriminators')!;
    if (b.skipped) return ctx.skip(b.skipped);
    const rows = b.programs!.flatMap((p) => p.sequences.flatMap((s) => s.rows));
    expect(rows.filter((r) => r.discriminator !== 0).length).toBeGreaterThan(3);
  });

  it('reads the zlib-compressed sections through SHF_COMPRESSED', (ctx) => {
    const b = built.find((x) => x.variant.name.startsWith('clang zlib'))!;
    if (b.skipped) return ctx.skip(b.skipped);
    const line = b.elf!.sectionByName('.debug_line')!;
    expect(line.flags & 0x800n).toBe(0x800n);
    expect(b.elf!.sectionData(line).length).toBeGreaterThan(line.size - 24);
  });

  it("v2-4 paths joined with DW_AT_comp_dir equal llvm-symbolizer's", async (ctx) => {
    const b = built.find((x) => x.variant.name === 'clang DWARF 4')!;
    if (b.skipped) return ctx.skip(b.skipped);
    const info = await run(DWARFDUMP, ['--debug-info', b.out]);
    const compDir = /DW_AT_comp_dir\s+\("([^"]*)"\)/.exec(info)![1]!;
    const programs = readLineTable(b.elf!, { compDir });
    const c = compareRows('clang DWARF 4 with comp_dir', programs, b.units!, compDir);
    expect(c.bad, c.bad.join('\n')).toEqual([]);
    const text = programs[0]!.sequences.find((s) => s.section?.name === '.text')!;
    const picks = text.rows.filter((r, k) => k + 1 < text.rows.length && text.rows[k + 1]!.address !== r.address && r.line !== 0);
    const out = await run(SYMBOLIZER, [
      `--obj=${b.out}`,
      '--no-inlines',
      '--output-style=JSON',
      ...picks.map((r) => `0x${r.address.toString(16)}`),
    ]);
    const got = (JSON.parse(out) as Array<{ Symbol: Array<{ FileName: string; Line: number }> }>).map((a) => a.Symbol[0]!);
    expect(picks.map((r) => [r.path, r.line])).toEqual(got.map((g) => [g.FileName, g.Line]));
    expect(picks.some((r) => r.path?.endsWith('/sub/helper.h'))).toBe(true);
  });

  it('zstd-compressed sections: decoded where node:zlib has zstd, otherwise a clear ElfError', async (ctx) => {
    if (!(await haveTool(CLANG)) || !(await haveTool(OBJCOPY))) return ctx.skip('needs clang-19 and llvm-objcopy-19');
    const plain = join(dir, 'zstd.plain.o');
    const out = join(dir, 'zstd.o');
    await exec(CLANG, ['-g', '-gdwarf-5', '-O2', '-c', SRC, '-o', plain], FIX);
    await exec(OBJCOPY, ['--compress-debug-sections=zstd', plain, out], FIX);
    const elf = readElf(readFileSync(out), out);
    const hasZstd = typeof (zlib as unknown as Record<string, unknown>)['zstdDecompressSync'] === 'function';
    if (hasZstd) {
      const units = parseDwarfdumpLines(await run(DWARFDUMP, ['--debug-line', out]));
      const c = compareRows('zstd', readLineTable(elf), units);
      expect(c.bad).toEqual([]);
    } else {
      let err: unknown;
      try {
        readLineTable(elf);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ElfError);
      expect((err as ElfError).section).toBe('.debug_line');
      expect((err as ElfError).message).toMatch(/ELFCOMPRESS_ZSTD/);
    }
  });
});
