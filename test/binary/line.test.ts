// Tests the `.debug_line` decoder on the whole net/ipv6 corpus against LLVM:
// every header field and every row of every sequence of every object equals
// what `llvm-dwarfdump-19 --debug-line` prints; each sequence's section is
// the one the relocation of its DW_LNE_set_address names (llvm-readelf -r)
// and holds its addresses; resolved file paths equal llvm-symbolizer's.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readElf, readLineTable, type ElfFile, type LineProgram, type LineRow } from '../../src/binary/index.js';
import {
  DWARFDUMP,
  READELF,
  SYMBOLIZER,
  compareRows,
  ipv6ObjectDir,
  ipv6Objects,
  parseDwarfdumpLines,
  parseReadelfRelocations,
  pool,
  run,
  type DumpUnit,
  type ReadelfRelocation,
} from './support/llvm.js';

interface PerFile {
  file: string;
  elf: ElfFile;
  programs: LineProgram[];
  units: DumpUnit[];
  debugLineRelocs: ReadelfRelocation[];
}

const files = ipv6Objects();
let results: PerFile[] = [];

beforeAll(async () => {
  results = await pool(files, 4, async (file) => {
    const [dump, relocs] = await Promise.all([run(DWARFDUMP, ['--debug-line', file]), run(READELF, ['-r', file])]);
    const elf = readElf(readFileSync(file), file);
    return {
      file,
      elf,
      programs: readLineTable(elf),
      units: parseDwarfdumpLines(dump),
      debugLineRelocs: parseReadelfRelocations(relocs).get('.rela.debug_line')?.entries ?? [],
    };
  });
}, 120_000);

describe('.debug_line on the net/ipv6 corpus vs llvm-dwarfdump-19', () => {
  it(`finds the 51 corpus objects in ${ipv6ObjectDir()}`, () => {
    expect(files.length).toBe(51);
    expect(results.length).toBe(51);
  });

  it('decodes one program per unit, with the header llvm-dwarfdump prints', () => {
    for (const { file, programs, units } of results) {
      expect(programs.length, file).toBe(units.length);
      programs.forEach((p, i) => {
        const u = units[i]!;
        const h = p.header;
        const where = `${basename(file)} unit ${i}`;
        expect(h.offset, where).toBe(u.offset);
        expect(BigInt(h.unitLength), where).toBe(u.totalLength);
        expect(h.offsetSize === 8 ? 'DWARF64' : 'DWARF32', where).toBe(u.format);
        expect(h.version, where).toBe(u.version);
        expect(h.addressSize, where).toBe(u.addressSize);
        expect(BigInt(h.headerLength), where).toBe(u.prologueLength);
        expect(h.minimumInstructionLength, where).toBe(u.minInstLength);
        expect(h.maximumOperationsPerInstruction, where).toBe(u.maxOpsPerInst ?? 1);
        expect(h.defaultIsStmt ? 1 : 0, where).toBe(u.defaultIsStmt);
        expect(h.lineBase, where).toBe(u.lineBase);
        expect(h.lineRange, where).toBe(u.lineRange);
        expect(h.opcodeBase, where).toBe(u.opcodeBase);
        expect(h.standardOpcodeLengths, where).toEqual(u.standardOpcodeLengths);
        expect(h.includeDirectories, where).toEqual([...u.includeDirectories.values()]);
        expect(
          h.fileNames.map((f) => ({ name: f.name, dirIndex: f.directoryIndex, md5: f.md5 })),
          where,
        ).toEqual([...u.fileNames.values()].map((f) => ({ name: f.name, dirIndex: f.dirIndex, md5: f.md5 })));
      });
    }
  });

  it('decodes every row of every sequence exactly as llvm-dwarfdump (address, line, column, file and its path, isa, discriminator, op_index, all flags)', () => {
    let rows = 0;
    let sequences = 0;
    const bad: string[] = [];
    for (const { file, programs, units } of results) {
      const c = compareRows(basename(file), programs, units);
      rows += c.equal;
      bad.push(...c.bad);
      programs.forEach((p, i) => {
        sequences += p.sequences.length;
        expect(
          p.sequences.every((s) => s.complete),
          `${basename(file)}: every sequence ends with DW_LNE_end_sequence`,
        ).toBe(true);
        expect(p.sequences.length, basename(file)).toBe(units[i]!.rows.filter((r) => r.endSequence).length);
      });
    }
    expect(bad, bad.join('\n')).toEqual([]);
    const total = results.reduce((n, r) => n + r.units.reduce((m, u) => m + u.rows.length, 0), 0);
    expect(rows).toBe(total);
    expect(total).toBeGreaterThan(50_000);
    console.log(`.debug_line: ${results.length} objects, ${sequences} sequences, ${rows}/${total} rows equal to llvm-dwarfdump-19`);
  });

  it('ties each sequence to the section its DW_LNE_set_address relocation names, and that section holds its addresses', () => {
    const sectionsSeen = new Map<string, number>();
    const bad: string[] = [];
    for (const { file, elf, programs, debugLineRelocs } of results) {
      const byOffset = new Map(debugLineRelocs.map((r) => [r.offset, r]));
      for (const p of programs) {
        for (const s of p.sequences) {
          const where = `${basename(file)} sequence at .debug_line+0x${s.programOffset.toString(16)}`;
          if (s.section === undefined || s.addressOperandOffset === undefined) {
            bad.push(`${where}: no section`);
            continue;
          }
          sectionsSeen.set(s.section.name, (sectionsSeen.get(s.section.name) ?? 0) + 1);
          const rel = byOffset.get(BigInt(s.addressOperandOffset));
          if (rel === undefined)
            bad.push(`${where}: llvm-readelf shows no relocation at the set_address operand 0x${s.addressOperandOffset.toString(16)}`);
          else {
            if (rel.type !== 'R_X86_64_64') bad.push(`${where}: relocation ${rel.type}`);
            // llvm-readelf names a section symbol after its section
            if (rel.symbolName !== s.section.name) bad.push(`${where}: relocation against ${rel.symbolName}, we say ${s.section.name}`);
            if (rel.addend !== s.rows[0]!.address) bad.push(`${where}: addend ${rel.addend} != first address ${s.rows[0]!.address}`);
          }
          const sec = elf.section(s.section.index);
          if ((sec.flags & 0x4n) === 0n) bad.push(`${where}: ${sec.name} is not executable`);
          for (const r of s.rows) {
            const inside = r.endSequence ? r.offset! <= sec.size : r.offset! < sec.size;
            if (r.section !== s.section || r.offset === undefined || !inside) {
              bad.push(`${where}: row 0x${r.address.toString(16)} outside ${sec.name} (size 0x${sec.size.toString(16)})`);
              break;
            }
          }
        }
      }
    }
    expect(bad, bad.slice(0, 20).join('\n')).toEqual([]);
    // the kernel's special text sections really occur in the corpus
    expect(sectionsSeen.get('.text')).toBeGreaterThan(51);
    expect(sectionsSeen.get('.init.text')).toBeGreaterThanOrEqual(16);
    expect(sectionsSeen.get('.exit.text')).toBeGreaterThanOrEqual(1);
  });

  it('resolves file paths as llvm-symbolizer prints them (a sample of .text rows per object)', async () => {
    const checks = await pool(results, 4, async ({ file, programs }) => {
      const p = programs[0]!;
      const other = p.sequences.filter((s) => s.section?.name !== '.text');
      const covered = (a: bigint) => other.some((s) => s.rows[0]!.address <= a && a < s.rows[s.rows.length - 1]!.address);
      const picks: LineRow[] = [];
      for (const s of p.sequences) {
        if (s.section?.name !== '.text') continue;
        for (let k = 0; k + 1 < s.rows.length; k++) {
          const r = s.rows[k]!;
          // the last row at its address (LLVM's lookup picks it), not in another section's range
          if (s.rows[k + 1]!.address !== r.address && !covered(r.address) && k % 37 === 0) picks.push(r);
        }
      }
      const sample = picks.slice(0, 12);
      if (sample.length === 0) return { file, sample, got: [] as Array<{ FileName: string; Line: number; Column: number }> };
      const out = await run(SYMBOLIZER, [
        `--obj=${file}`,
        '--no-inlines',
        '--output-style=JSON',
        ...sample.map((r) => `0x${r.address.toString(16)}`),
      ]);
      const got = (JSON.parse(out) as Array<{ Symbol: Array<{ FileName: string; Line: number; Column: number }> }>).map(
        (a) => a.Symbol[0]!,
      );
      return { file, sample, got };
    });
    let n = 0;
    for (const { file, sample, got } of checks) {
      sample.forEach((r, i) => {
        expect({ path: r.path, line: r.line, column: r.column }, `${basename(file)} 0x${r.address.toString(16)}`).toEqual({
          path: got[i]!.FileName,
          line: got[i]!.Line,
          column: got[i]!.Column,
        });
        n++;
      });
    }
    expect(n).toBeGreaterThan(300);
  });
});
