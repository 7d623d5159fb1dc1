// Tests x86-64 decoding (src/binary/x86/decode.ts) against llvm-objdump-19:
// the instruction boundaries of every function symbol of net/ipv6 objects equal
// objdump's (a lone `lock` line — the kernel's LOCK_PREFIX, assembled apart —
// is the prefix of the next instruction, as the CPU and iced-x86 see it), and
// the memory writes agree with objdump's AT&T text: every mov / arithmetic
// form with a memory destination is a write with the same base, index, scale,
// displacement and segment; loads, cmp and test are not; lock, xchg,
// cmpxchg, rep movs/stos and stack writes are classified.

import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFunctions, readElf, type DecodedInstruction } from '../../src/binary/index.js';
import { ipv6ObjectDir, run } from './support/llvm.js';

const OBJDUMP = process.env['LLVM_OBJDUMP'] ?? 'llvm-objdump-19';

interface DumpInsn {
  offset: number;
  mnemonic: string;
  operands: string;
}

/** `llvm-objdump -d --no-show-raw-insn`: instructions by section name, then offset. */
function parseObjdump(text: string): Map<string, Map<number, DumpInsn>> {
  const out = new Map<string, Map<number, DumpInsn>>();
  let cur: Map<number, DumpInsn> | undefined;
  for (const line of text.split('\n')) {
    const s = /^Disassembly of section (.*):$/.exec(line);
    if (s) {
      out.set(s[1]!, (cur = new Map()));
      continue;
    }
    const m = /^\s+([0-9a-f]+):\s+\t(\S+)\s*(.*)$/.exec(line);
    if (m && cur)
      cur.set(parseInt(m[1]!, 16), { offset: parseInt(m[1]!, 16), mnemonic: m[2]!, operands: m[3]!.replace(/\s+#.*$/, '').trim() });
  }
  return out;
}

/** Splits AT&T operands at top-level commas. */
function splitOperands(ops: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of ops) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

const MEM = /^(?:%([a-z]s):)?(-?0x[0-9a-f]+|-?\d+)?\((%[a-z0-9]+)?(?:,(%[a-z0-9]+)?(?:,(\d))?)?\)$/;

function memOperand(text: string): { segment?: string; disp: number; base?: string; index?: string; scale: number } | undefined {
  const m = MEM.exec(text);
  if (!m) return undefined;
  return {
    segment: m[1],
    disp: m[2] === undefined ? 0 : Number(m[2].startsWith('-') ? -Number(m[2].slice(1)) : Number(m[2])),
    base: m[3]?.slice(1),
    index: m[4]?.slice(1),
    scale: m[5] === undefined ? 1 : Number(m[5]),
  };
}

const FILES = ['route.o', 'ip6_output.o', 'addrconf.o'].map((n) => join(ipv6ObjectDir(), n));

describe('x86-64 decoding vs llvm-objdump-19', () => {
  for (const file of FILES) {
    it(`${basename(file)}: instruction boundaries of every function, memory writes of mov/arithmetic/cmp/test forms`, async () => {
      const dump = parseObjdump(await run(OBJDUMP, ['-d', '--no-show-raw-insn', file]));
      const elf = readElf(readFileSync(file), file);
      const fns = decodeFunctions(elf);
      const bad: string[] = [];
      let insns = 0;
      let checkedStores = 0;
      let checkedNonWrites = 0;
      const kinds = new Map<string, number>();
      for (const fn of fns) {
        const d = dump.get(fn.section.name);
        const start = fn.symbol.sectionOffset!;
        const end = start + fn.symbol.size;
        const where = `${basename(file)} ${fn.symbol.name}`;
        if (d === undefined) {
          bad.push(`${where}: objdump has no ${fn.section.name}`);
          continue;
        }
        const expected: number[] = [];
        let prefix = false;
        for (const [off, ins] of [...d].sort((a, b) => a[0] - b[0])) {
          if (off < start || off >= end) continue;
          if (!prefix) expected.push(off);
          prefix = ins.mnemonic === 'lock' && ins.operands === '';
        }
        const got = fn.instructions.map((i) => i.offset as number);
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          const k = got.findIndex((o, i) => o !== expected[i]);
          bad.push(`${where}: boundaries differ at #${k}: 0x${got[k]?.toString(16)} vs 0x${expected[k]?.toString(16)}`);
          continue;
        }
        insns += got.length;
        for (const ins of fn.instructions) {
          for (const w of ins.writes)
            kinds.set(
              `${w.kind}${w.locked ? '+lock' : ''}${w.repCount ? '+rep' : ''}`,
              (kinds.get(`${w.kind}${w.locked ? '+lock' : ''}${w.repCount ? '+rep' : ''}`) ?? 0) + 1,
            );
          const o = d.get(ins.offset)!;
          checkOne(
            where,
            ins,
            o,
            bad,
            () => checkedStores++,
            () => checkedNonWrites++,
          );
        }
      }
      expect(bad.slice(0, 20), bad.slice(0, 20).join('\n')).toEqual([]);
      expect(checkedStores).toBeGreaterThan(500);
      console.log(
        `${basename(file)}: ${fns.length} functions, ${insns} instruction boundaries equal to llvm-objdump-19; ${checkedStores} memory-destination forms checked as writes, ${checkedNonWrites} loads/cmp/test as non-writes; writes by kind ${JSON.stringify(Object.fromEntries(kinds))}`,
      );
    }, 60_000);
  }
});

function checkOne(where: string, ins: DecodedInstruction, o: DumpInsn, bad: string[], store: () => void, nonWrite: () => void): void {
  const at = `${where} 0x${(ins.offset as number).toString(16)} ${o.mnemonic} ${o.operands}`;
  const ops = splitOperands(o.operands);
  const last = ops[ops.length - 1];
  const first = ops[0];
  const isMovLike = /^mov[bwlq]?$/.test(o.mnemonic);
  const isRmw = /^(add|sub|and|or|xor|inc|dec|neg|not|shl|shr|sar)[bwlq]?$/.test(o.mnemonic);
  const isCmp = /^(cmp|test)[bwlq]?$/.test(o.mnemonic);
  if ((isMovLike || isRmw) && last !== undefined) {
    const m = memOperand(last);
    if (m !== undefined) {
      const explicit = ins.writes.filter((w) => w.kind === 'explicit');
      if (explicit.length !== 1) {
        bad.push(`${at}: ${explicit.length} explicit writes`);
        return;
      }
      const w = explicit[0]!.operand;
      const want = { base: m.base, index: m.index, scale: m.index === undefined ? 1 : m.scale, displacement: m.disp, segment: m.segment };
      const got = { base: w.base, index: w.index, scale: w.scale, displacement: w.displacement, segment: w.segment };
      if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${at}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
      if (isRmw && explicit[0]!.access !== 'readWrite') bad.push(`${at}: access ${explicit[0]!.access}`);
      store();
      return;
    }
    if (isMovLike && first !== undefined && memOperand(first) !== undefined) {
      if (ins.writes.length !== 0) bad.push(`${at}: a load decoded as a write`);
      nonWrite();
    }
    return;
  }
  if (isCmp) {
    if (ins.writes.length !== 0) bad.push(`${at}: cmp/test decoded as a write`);
    nonWrite();
  }
}

describe('memory-write details', () => {
  it('rip-relative writes name their relocation target; rep string stores have width 0 and count rcx; lock and percpu forms', async () => {
    const file = FILES[0]!;
    const elf = readElf(readFileSync(file), file);
    const relocText = await run('llvm-readelf-19', ['-r', file]);
    const writes = decodeFunctions(elf).flatMap((f) => f.instructions.flatMap((i) => i.writes.map((w) => ({ f, i, w }))));
    const rip = writes.filter((x) => x.w.operand.base === 'rip');
    expect(rip.length).toBeGreaterThan(10);
    for (const { w } of rip) {
      expect(w.operand.ripTarget).toMatch(/^[A-Za-z_.][\w.]*([+-]0x[0-9a-f]+)?$/);
      expect(relocText).toContain(w.operand.ripTarget!.replace(/[+-]0x.*$/, ''));
    }
    const rep = writes.filter((x) => x.w.repCount !== undefined);
    expect(rep.length).toBeGreaterThan(0);
    for (const { w, i } of rep) {
      expect(w.operand.width).toBe(0);
      expect(w.repCount).toBe('rcx');
      expect(w.operand.base).toBe('rdi');
      expect(w.elementWidth).toBe({ b: 1, w: 2, d: 4, q: 8 }[i.mnemonic.slice(-1)]);
    }
    expect(writes.some((x) => x.w.locked && x.i.mnemonic === 'cmpxchg')).toBe(true);
    expect(writes.some((x) => x.w.operand.segment === 'gs')).toBe(true);
    const stack = writes.filter((x) => x.w.kind === 'stack');
    expect(stack.every((x) => x.w.operand.base === 'rsp' && x.w.operand.displacement === -8 && x.w.operand.width === 8)).toBe(true);
  });
});
