// Tests the `.debug_info` scope trees (src/binary/dwarf/info.ts) and the
// inline-chain query (inline.ts) against LLVM: on net/ipv6 objects every
// DW_TAG_subprogram / DW_TAG_inlined_subroutine / DW_TAG_lexical_block that
// `llvm-dwarfdump-19 --debug-info` prints is found with the same name
// (through DW_AT_abstract_origin), call file/line/column and address ranges;
// the fixture lines.c compiled as DWARF 4 (`.debug_ranges`), 64-bit DWARF 5
// and by gcc is checked the same way; and for a few hundred `.text`
// addresses the chain equals `llvm-symbolizer-19 --inlining`, frame by frame.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BinaryError,
  InlineIndex,
  readDebugInfo,
  readElf,
  readLineTable,
  scopeFunctionName,
  type CompileUnitInfo,
  type Scope,
} from '../../src/binary/index.js';
import { DWARFDUMP, SYMBOLIZER, haveTool, ipv6ObjectDir, run } from './support/llvm.js';

interface DumpEntry {
  offset: number;
  tag: string;
  attrs: Map<string, string>;
  ranges: Array<[bigint, bigint]>;
}

/** The entries of `llvm-dwarfdump --debug-info` with their attribute texts and DW_AT_ranges lists. */
function parseDwarfdumpInfo(text: string): DumpEntry[] {
  const out: DumpEntry[] = [];
  let cur: DumpEntry | undefined;
  let attr = '';
  for (const line of text.split('\n')) {
    const e = /^0x([0-9a-f]+):\s+(DW_TAG_\w+|NULL)/.exec(line);
    if (e) {
      cur = { offset: parseInt(e[1]!, 16), tag: e[2]!, attrs: new Map(), ranges: [] };
      out.push(cur);
      attr = '';
      continue;
    }
    if (cur === undefined) continue;
    const a = /^\s+(DW_AT_\w+)\s*\((.*)$/.exec(line);
    if (a) {
      attr = a[1]!;
      cur.attrs.set(attr, a[2]!.replace(/\)$/, ''));
    }
    if (attr === 'DW_AT_ranges') {
      const r = /\[0x([0-9a-f]+), 0x([0-9a-f]+)\)/.exec(line);
      if (r) cur.ranges.push([BigInt(`0x${r[1]}`), BigInt(`0x${r[2]}`)]);
    }
  }
  return out;
}

function flatten(units: readonly CompileUnitInfo[]): Map<number, Scope> {
  const m = new Map<number, Scope>();
  const work: Scope[] = units.flatMap((u) => [...u.scopes]);
  while (work.length > 0) {
    const s = work.pop()!;
    m.set(s.offset, s);
    work.push(...s.children);
  }
  return m;
}

const quoted = (v: string | undefined): string | undefined => (v === undefined ? undefined : /"((?:[^"\\]|\\.)*)"/.exec(v)?.[1]);
const number = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v.trim()));

const KIND: Record<string, string> = {
  DW_TAG_subprogram: 'subprogram',
  DW_TAG_inlined_subroutine: 'inlined_subroutine',
  DW_TAG_lexical_block: 'lexical_block',
};

/** Compares the scopes of `file` with llvm-dwarfdump's entries; returns counts and the mismatches. */
async function compareWithDwarfdump(file: string): Promise<{ counts: Record<string, number>; bad: string[]; units: CompileUnitInfo[] }> {
  const dump = parseDwarfdumpInfo(await run(DWARFDUMP, ['--debug-info', file]));
  const elf = readElf(readFileSync(file), file);
  const units = readDebugInfo(elf);
  const scopes = flatten(units);
  const counts: Record<string, number> = { subprogram: 0, inlined_subroutine: 0, lexical_block: 0, ranges: 0 };
  const bad: string[] = [];
  const name = basename(file);
  let expected = 0;
  for (const d of dump) {
    const kind = KIND[d.tag];
    if (kind === undefined) continue;
    expected++;
    const s = scopes.get(d.offset);
    const where = `${name} ${d.tag} at 0x${d.offset.toString(16)}`;
    if (s === undefined || s.kind !== kind) {
      bad.push(`${where}: not found`);
      continue;
    }
    counts[kind]!++;
    const dumpName =
      quoted(d.attrs.get('DW_AT_name')) ?? quoted(d.attrs.get('DW_AT_abstract_origin')) ?? quoted(d.attrs.get('DW_AT_specification'));
    if (kind !== 'lexical_block' && dumpName !== s.name) bad.push(`${where}: name ${s.name} vs ${dumpName}`);
    if (kind === 'inlined_subroutine') {
      const cf = quoted(d.attrs.get('DW_AT_call_file'));
      if (cf !== s.callFile) bad.push(`${where}: call_file ${s.callFile} vs ${cf}`);
      if (number(d.attrs.get('DW_AT_call_line')) !== s.callLine)
        bad.push(`${where}: call_line ${s.callLine} vs ${d.attrs.get('DW_AT_call_line')}`);
      if (number(d.attrs.get('DW_AT_call_column')) !== s.callColumn)
        bad.push(`${where}: call_column ${s.callColumn} vs ${d.attrs.get('DW_AT_call_column')}`);
    }
    let want: Array<[bigint, bigint]> = d.ranges;
    const low = d.attrs.get('DW_AT_low_pc');
    const high = d.attrs.get('DW_AT_high_pc');
    if (want.length === 0 && low !== undefined && high !== undefined) want = [[BigInt(low.trim()), BigInt(high.trim())]];
    const got = s.ranges.map((r) => [r.begin, r.end] as [bigint, bigint]);
    if (JSON.stringify(got.map(String)) !== JSON.stringify(want.map(String)))
      bad.push(`${where}: ranges ${got.join(' ')} vs ${want.join(' ')}`);
    for (const r of s.ranges) {
      counts['ranges']!++;
      const sec = r.section === undefined ? undefined : elf.sections[r.section.index];
      if (sec === undefined || r.offset === undefined || r.offset + r.size > sec.size)
        bad.push(`${where}: range [0x${r.begin.toString(16)}, 0x${r.end.toString(16)}) without a section holding it (${r.section?.name})`);
    }
  }
  if (scopes.size !== expected) bad.push(`${name}: ${scopes.size} scopes vs ${expected} in llvm-dwarfdump`);
  return { counts, bad, units };
}

const CORPUS = ['route.o', 'ip6_output.o', 'addrconf.o'].map((n) => join(ipv6ObjectDir(), n));

describe('.debug_info scopes vs llvm-dwarfdump-19 on net/ipv6', () => {
  for (const file of CORPUS) {
    it(`${basename(file)}: every subprogram, inlined subroutine and lexical block, with names, call sites and ranges`, async () => {
      const { counts, bad } = await compareWithDwarfdump(file);
      expect(bad.slice(0, 20), bad.slice(0, 20).join('\n')).toEqual([]);
      expect(counts['inlined_subroutine']).toBeGreaterThan(300);
      console.log(
        `${basename(file)}: ${counts['subprogram']} subprograms, ${counts['inlined_subroutine']} inlined subroutines, ${counts['lexical_block']} lexical blocks, ${counts['ranges']} ranges equal to llvm-dwarfdump-19`,
      );
    }, 60_000);
  }
});

/** llvm-symbolizer --inlining output: per address, the frames as [function, "file:line:column"]. */
function parseSymbolizer(text: string): Array<Array<[string, string]>> {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((block) => {
      const lines = block.split('\n');
      const frames: Array<[string, string]> = [];
      for (let i = 0; i + 1 < lines.length; i += 2) frames.push([lines[i]!, lines[i + 1]!]);
      return frames;
    });
}

describe('inline chains vs llvm-symbolizer-19 --inlining', () => {
  for (const file of CORPUS) {
    it(`${basename(file)}: ~150 .text addresses, function names and call sites frame by frame`, async () => {
      const elf = readElf(readFileSync(file), file);
      const text = elf.sectionByName('.text')!;
      const rows = readLineTable(elf).flatMap((p) =>
        p.sequences.filter((s) => s.section?.index === text.index).flatMap((s) => s.rows.filter((r) => !r.endSequence)),
      );
      const step = Math.max(1, Math.floor(rows.length / 150));
      const offsets = [...new Set(rows.filter((_, i) => i % step === 0).map((r) => r.offset!))];
      const out = parseSymbolizer(
        await run(SYMBOLIZER, ['--inlining', `--obj=${file}`], `${offsets.map((o) => `0x${o.toString(16)}`).join('\n')}\n`),
      );
      expect(out.length).toBe(offsets.length);
      const idx = new InlineIndex(readDebugInfo(elf));
      const textFunctions = new Set(
        elf.symbols.filter((y) => y.type === 2 /* STT_FUNC */ && y.sectionIndex === text.index).map((y) => y.name),
      );
      const bad: string[] = [];
      let frames = 0;
      offsets.forEach((off, i) => {
        const sym = out[i]!;
        const chain = idx.chainAt(text.index, off);
        const where = `${basename(file)} .text+0x${off.toString(16)}`;
        if (chain === undefined) {
          if (sym[0]?.[0] !== '??') bad.push(`${where}: no chain, symbolizer ${sym[0]?.[0]}`);
          return;
        }
        const names = [...chain.frames.map((f) => scopeFunctionName(f)), scopeFunctionName(chain.subprogram)];
        const symNames = sym.map((f) => f[0]);
        // llvm-symbolizer names the outermost frame after the symbol table; in a .o it may pick a data
        // symbol at the same section offset of another section: only .text functions are compared there
        if (symNames.length === names.length && !textFunctions.has(symNames[symNames.length - 1]!))
          symNames[symNames.length - 1] = names[names.length - 1]!;
        if (JSON.stringify(names) !== JSON.stringify(symNames))
          bad.push(`${where}: ${names.join(' < ')} vs ${sym.map((f) => f[0]).join(' < ')}`);
        chain.frames.forEach((f, k) => {
          // an absent DW_AT_call_line / DW_AT_call_column prints as 0
          const loc = `${f.callFile}:${f.callLine ?? 0}:${f.callColumn ?? 0}`;
          if (sym[k + 1]?.[1] !== loc) bad.push(`${where} frame ${k + 1}: ${loc} vs ${sym[k + 1]?.[1]}`);
        });
        frames += names.length;
      });
      expect(bad.slice(0, 20), bad.slice(0, 20).join('\n')).toEqual([]);
      expect(offsets.length).toBeGreaterThan(100);
      console.log(`${basename(file)}: ${offsets.length} addresses, ${frames} frames equal to llvm-symbolizer-19 --inlining`);
    }, 60_000);
  }
});

const FIX = resolve(import.meta.dirname, '..', 'fixtures', 'binary');
const CLANG = process.env['CLANG'] ?? 'clang-19';
const GCC = process.env['GCC'] ?? 'gcc';
const dir = mkdtempSync(join(tmpdir(), 'kcompart-info-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('.debug_info variants of test/fixtures/binary/lines.c vs llvm-dwarfdump-19', () => {
  const variants: Array<[string, string, string[]]> = [
    ['clang DWARF 4 (.debug_ranges)', CLANG, ['-gdwarf-4']],
    ['clang DWARF 5', CLANG, ['-gdwarf-5']],
    ['clang 64-bit DWARF 5', CLANG, ['-gdwarf-5', '-gdwarf64']],
    ['clang DWARF 5 -ffunction-sections', CLANG, ['-gdwarf-5', '-ffunction-sections']],
    ['gcc DWARF 4', GCC, ['-gdwarf-4']],
    ['gcc DWARF 5', GCC, ['-gdwarf-5']],
  ];
  variants.forEach(([name, cc, flags], i) => {
    it(name, async (ctx) => {
      if (!(await haveTool(cc))) ctx.skip();
      const out = join(dir, `v${i}.o`);
      await run(cc, ['-g', ...flags, '-O2', '-c', join(FIX, 'lines.c'), '-o', out]);
      const { counts, bad, units } = await compareWithDwarfdump(out);
      expect(bad, bad.join('\n')).toEqual([]);
      expect(counts['subprogram']).toBeGreaterThan(3);
      expect(units.length).toBe(1);
    });
  });
});

describe('.debug_info on the whole corpus and on bad input', () => {
  it('reads the scope trees of all corpus objects', () => {
    const files = readdirSync(ipv6ObjectDir()).filter((n) => n.endsWith('.o'));
    let inlined = 0;
    for (const n of files) {
      const units = readDebugInfo(readElf(readFileSync(join(ipv6ObjectDir(), n)), n));
      expect(units.length, n).toBe(1);
      inlined += units[0]!.inlinedSubroutineCount;
    }
    expect(files.length).toBe(51);
    console.log(`${files.length} objects, ${inlined} inlined subroutines`);
  }, 60_000);

  it('corrupted .debug_info / .debug_abbrev / .debug_rnglists / .debug_addr / .debug_str_offsets bytes give only typed errors (seeded)', () => {
    const file = join(ipv6ObjectDir(), 'exthdrs_core.o');
    const original = readFileSync(file);
    const elf0 = readElf(original, file);
    const targets = ['.debug_info', '.debug_abbrev', '.debug_rnglists', '.debug_addr', '.debug_str_offsets'].flatMap((n) => {
      const s = elf0.sectionByName(n);
      return s === undefined || s.size === 0 ? [] : [s];
    });
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let typed = 0;
    for (let i = 0; i < 300; i++) {
      const bytes = new Uint8Array(original);
      const s = targets[rand(targets.length)]!;
      for (let k = 0, m = 1 + rand(4); k < m; k++) bytes[s.offset + rand(s.size)] = rand(256);
      try {
        new InlineIndex(readDebugInfo(readElf(bytes, 'fuzzed.o')));
      } catch (e) {
        if (!(e instanceof BinaryError)) throw e;
        expect(e.file).toBe('fuzzed.o');
        typed++;
      }
    }
    console.log(`fuzz: 300 corrupted objects, ${typed} typed errors, no other exception`);
  }, 60_000);
});
