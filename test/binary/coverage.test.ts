// Tests the covered-check elimination (src/binary/coverage.ts) on the corpus: the route.ll
// policy mapped against route.o, every covered site's proof re-checked against llvm-objdump's
// disassembly (not our decoder): the covering instruction comes first in the same function, its
// extent holds the covered write's bytes, both compute their address from the same base and
// index registers, and no instruction from the covering one up to the covered one branches,
// calls, returns, traps or writes those registers, nor is any jump of the function aimed into
// that run. Plus the legal-set order admitsAll, and the emitted check of a covering site
// spanning its extent.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/index.js';
import { admitsAll, mapSitesToAddresses, readElf } from '../../src/binary/index.js';
import { emitBpf } from '../../src/emit/index.js';
import { emptyLegalSet } from '../../src/policy/index.js';
import type { Access, BinarySite, Policy } from '../../src/policy/schema.js';
import { ipv6ObjectDir, run } from './support/llvm.js';

const OBJDUMP = process.env['LLVM_OBJDUMP'] ?? 'llvm-objdump-19';
const dir = ipv6ObjectDir();

interface Line {
  offset: number;
  text: string;
}

/** llvm-objdump's AT&T disassembly of a whole object, by function: symbol-relative offsets and instruction text. */
function parseDisassembly(out: string): Map<string, Line[]> {
  const bySymbol = new Map<string, Line[]>();
  let lines: Line[] | undefined;
  let start = 0;
  for (const l of out.split('\n')) {
    const head = /^([0-9a-f]+) <(.+)>:$/.exec(l);
    if (head) {
      start = Number.parseInt(head[1]!, 16);
      bySymbol.set(head[2]!, (lines = []));
      continue;
    }
    const m = /^\s*([0-9a-f]+):\s+(.*)$/.exec(l);
    if (m && lines !== undefined) lines.push({ offset: Number.parseInt(m[1]!, 16) - start, text: m[2]!.trim() });
  }
  return bySymbol;
}

/** The names an AT&T register operand of a 64-bit GPR goes by (rax: %rax %eax %ax %al %ah; r8: %r8 %r8d %r8w %r8b). */
function aliases(reg: string): string[] {
  const legacy: Record<string, string[]> = {
    rax: ['eax', 'ax', 'al', 'ah'],
    rbx: ['ebx', 'bx', 'bl', 'bh'],
    rcx: ['ecx', 'cx', 'cl', 'ch'],
    rdx: ['edx', 'dx', 'dl', 'dh'],
    rsi: ['esi', 'si', 'sil'],
    rdi: ['edi', 'di', 'dil'],
    rbp: ['ebp', 'bp', 'bpl'],
  };
  return [reg, ...(legacy[reg] ?? [`${reg}d`, `${reg}w`, `${reg}b`])];
}

/** True when the AT&T instruction may write `reg`: its last operand is that register, or the mnemonic writes it implicitly. */
function mayWrite(text: string, reg: string): boolean {
  const [mnemonic = '', ...rest] = text.split(/\s+/);
  const operands = rest.join(' ').split('#')[0]!.trim();
  const last = operands.split(',').at(-1)?.trim() ?? '';
  if (/^(cmp|test|bt|push|nop|prefetch)/.test(mnemonic)) return false;
  if (aliases(reg).some((r) => last === `%${r}`)) return true;
  // xchg and xadd write both operands; the rest write fixed registers
  if (/^(xchg|xadd)/.test(mnemonic) && aliases(reg).some((r) => operands.includes(`%${r}`))) return true;
  const implicit: Record<string, RegExp> = {
    rax: /^(cmpxchg|mul|imul|div|idiv|cltq|cqto|cltd|cwtl|rdtsc|cpuid|lods|scas|syscall|rdmsr)/,
    rdx: /^(mul|div|idiv|cqto|cltd|rdtsc|cpuid|rdmsr)/,
    rcx: /^(rep|cpuid|syscall|loop)/,
    rbx: /^cpuid/,
    rdi: /^(rep|stos|movs|scas|cmps)/,
    rsi: /^(rep|movs|lods|cmps)/,
    r11: /^syscall/,
  };
  return implicit[reg]?.test(mnemonic) ?? false;
}

const BREAKS = /^(j[a-z]*|call|ret|int3|ud2|ud1|iret|sys|hlt|loop|jmp)/;

let mapped: Policy;
let leaders: Map<string, BinarySite>;
let code: Map<string, Line[]>;

beforeAll(async () => {
  const { policy } = await analyze([join(dir, 'route.ll')], [], { sourcePrefixes: ['net/ipv6/'] });
  const path = join(dir, 'route.o');
  mapped = mapSitesToAddresses(policy, [{ path, elf: readElf(readFileSync(path), path) }]).policy;
  // one asynchronous llvm-objdump of the whole object (a synchronous call per function would block the worker)
  code = parseDisassembly(await run(OBJDUMP, ['-d', '--no-show-raw-insn', path]));
  leaders = new Map();
  for (const a of mapped.accesses) for (const b of a.binary ?? []) if (b.extent) leaders.set(`${b.symbol}+${b.offset}`, b);
}, 240_000);

describe('covered checks on net/ipv6 route.o', () => {
  it('covers a share of the checked sites, each proof holding in llvm-objdump', () => {
    const covered: [Access, BinarySite][] = [];
    let checked = 0;
    for (const a of mapped.accesses)
      for (const b of a.binary ?? []) {
        if (b.coveredBy) covered.push([a, b]);
        else if (!b.staticallySafe && b.confidence !== 'unmapped') checked++;
      }
    expect(covered.length).toBeGreaterThan(100);
    expect(checked).toBeGreaterThan(0);
    let verified = 0;
    for (const [a, b] of covered) {
      expect(b.staticallySafe).toBe(true);
      const leader = leaders.get(`${b.coveredBy!.symbol}+${b.coveredBy!.offset}`);
      expect(leader, `${a.id}: no covering site at ${b.coveredBy!.symbol}+${b.coveredBy!.offset}`).toBeDefined();
      const op = b.operand!;
      const lop = leader!.operand!;
      expect(leader!.symbol).toBe(b.symbol);
      expect(leader!.offset).toBeLessThan(b.offset);
      expect([lop.base, lop.index, lop.scale]).toEqual([op.base, op.index, op.scale]);
      expect(leader!.extent!.from).toBeLessThanOrEqual(op.displacement);
      expect(leader!.extent!.to).toBeGreaterThanOrEqual(op.displacement + op.width);
      const lines = code.get(b.symbol) ?? [];
      const run = lines.filter((l) => l.offset >= leader!.offset && l.offset < b.offset);
      expect(run[0]?.offset, `${b.symbol}+${leader!.offset} is an instruction`).toBe(leader!.offset);
      for (const l of run) {
        expect(BREAKS.test(l.text), `${b.symbol}+0x${l.offset.toString(16)} ${l.text} breaks the run to +0x${b.offset.toString(16)}`).toBe(
          false,
        );
        for (const r of [op.base!, ...(op.index ? [op.index] : [])])
          expect(mayWrite(l.text, r), `${b.symbol}+0x${l.offset.toString(16)} ${l.text} writes ${r}`).toBe(false);
      }
      verified++;
    }
    expect(verified).toBe(covered.length);
  });

  it('no jump of a function lands strictly inside a covering run', () => {
    const bySymbol = new Map<string, { from: number; to: number }[]>();
    for (const a of mapped.accesses)
      for (const b of a.binary ?? [])
        if (b.coveredBy) {
          const list = bySymbol.get(b.symbol) ?? [];
          list.push({ from: b.coveredBy.offset, to: b.offset });
          bySymbol.set(b.symbol, list);
        }
    let jumps = 0;
    for (const [symbol, runs] of bySymbol) {
      // llvm-objdump prints a local jump's target as `0xNN <symbol+0xNN>`
      for (const l of code.get(symbol) ?? []) {
        const m = /^j[a-z]*\s+0x[0-9a-f]+ <(.+)\+0x([0-9a-f]+)>$/.exec(l.text);
        if (!m || m[1] !== symbol) continue;
        jumps++;
        const t = Number.parseInt(m[2]!, 16);
        for (const r of runs)
          expect(
            t > r.from && t <= r.to,
            `${symbol}: a jump to +0x${t.toString(16)} enters the run +0x${r.from.toString(16)}..+0x${r.to.toString(16)}`,
          ).toBe(false);
      }
    }
    expect(jumps).toBeGreaterThan(0);
  });

  it('the covering site is emitted as one check of its whole extent', () => {
    const a = mapped.accesses.find((x) => x.binary?.some((b) => b.extent && b.extent.to - b.extent.from > (b.operand?.width ?? 0)));
    expect(a).toBeDefined();
    const b = a!.binary!.find((x) => x.extent)!;
    const out = emitBpf({ ...mapped, accesses: [a!] }, { sitePrograms: 'per-site' });
    const len = `${b.extent!.to - b.extent!.from}ULL`;
    expect(out.files.find((f) => f.name.endsWith('.bpf.c'))!.content).toContain(len);
    // the data-driven program's recipe: the extent's start as displacement, its bytes as length
    const data = emitBpf({ ...mapped, accesses: [a!] });
    expect(data.files.find((f) => f.name.endsWith('.seed.h'))!.content).toContain(`.disp = ${b.extent!.from}LL, .len = ${len} }`);
  });
});

describe('admitsAll (a covered write may have a wider legal set, never a narrower one)', () => {
  it('orders legal sets by the memory they admit', () => {
    const small = { ...emptyLegalSet(), slabSites: ['a'], stack: true };
    const big = { ...small, slabSites: ['a', 'b'], globals: ['g'] };
    expect(admitsAll(big, small)).toBe(true);
    expect(admitsAll(small, big)).toBe(false);
    expect(admitsAll(small, small)).toBe(true);
    expect(admitsAll({ ...big, stack: false }, small)).toBe(false);
    expect(admitsAll(big, { ...small, foreign: true })).toBe(false);
  });
});
