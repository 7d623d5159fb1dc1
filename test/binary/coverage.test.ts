// Tests the covered-check elimination (src/binary/coverage.ts) on the corpus: the route.ll
// policy mapped against route.o, every covered site's proof re-checked against llvm-objdump's
// disassembly and relocation listing (not our decoder, not cfg.ts): a simple instruction-level
// graph of the function (fall-through, local jumps; relocated jumps leave), roots at the
// function's start and at every place a relocation of a code-reaching section names. For each
// covered write W2 and its covering write W1: with W1 removed, no root reaches W2 (dominance);
// on the paths from W1 to W2 that do not pass W1 again, no instruction writes the base or index
// register, calls, traps, or is such a root; the extent holds W2's bytes; and for the proofs that
// widen the extent, every path leaving W1 reaches W2 without leaving, trapping or looping. Each
// covering site's extent is exactly the hull of its own bytes and those of its widening members.
// Plus the legal-set order admitsAll, and the emitted check of a covering site spanning its extent.

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
  /** A relocation applies inside the instruction's bytes (a relocated jump leaves the function). */
  relocated: boolean;
}

interface Fn {
  section: string;
  start: number;
  lines: Line[];
}

/** llvm-objdump -d -r's AT&T disassembly of a whole object, by function: its section, start, instructions (symbol-relative offsets). */
function parseDisassembly(out: string): Map<string, Fn> {
  const bySymbol = new Map<string, Fn>();
  let fn: Fn | undefined;
  let section = '';
  for (const l of out.split('\n')) {
    const sec = /^Disassembly of section (.+):$/.exec(l);
    if (sec) section = sec[1]!;
    const head = /^([0-9a-f]+) <(.+)>:$/.exec(l);
    if (head) {
      fn = { section, start: Number.parseInt(head[1]!, 16), lines: [] };
      bySymbol.set(head[2]!, fn);
      continue;
    }
    if (fn === undefined) continue;
    if (/^\s+[0-9a-f]+:\s+R_X86_64_/.test(l)) {
      const last = fn.lines.at(-1);
      if (last) last.relocated = true;
      continue;
    }
    const m = /^\s*([0-9a-f]+):\s+(.*)$/.exec(l);
    if (m) fn.lines.push({ offset: Number.parseInt(m[1]!, 16) - fn.start, text: m[2]!.trim(), relocated: false });
  }
  return bySymbol;
}

/** Sections whose relocations describe code (debug info, unwind tables, patch-site lists), not places control arrives at. */
const ANNOTATIONS =
  /^(\.debug|\.orc_unwind|\.eh_frame|\.discard\.|\.BTF|__mcount_loc|\.smp_locks|__bug_table|\.ibt_endbr_seal|\.(retpoline|return|call|static_call)_sites)/;

/** Every place (section, section offset, and the offset 4 on for a PC-relative −4 addend) a relocation of a non-annotation section names, from llvm-objdump -r. */
function parseRelocatedPlaces(out: string, fns: Map<string, Fn>): Set<string> {
  const places = new Set<string>();
  let keep = false;
  for (const l of out.split('\n')) {
    const head = /^RELOCATION RECORDS FOR \[(.+)\]:$/.exec(l);
    if (head) {
      keep = !ANNOTATIONS.test(head[1]!);
      continue;
    }
    const m = /^[0-9a-f]+\s+R_X86_64_\S+\s+([^\s+-]+)([+-]0x[0-9a-f]+)?$/.exec(l);
    if (!keep || !m) continue;
    const addend = m[2] ? Number.parseInt(m[2].replace('0x', ''), 16) : 0;
    const fn = fns.get(m[1]!);
    const [section, at] = fn ? [fn.section, fn.start + addend] : [m[1]!, addend];
    places.add(`${section}:${at}`);
    places.add(`${section}:${at + 4}`);
  }
  return places;
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
    rax: /^(cmpxchg|mul|imul|div|idiv|cltq|cqto|cltd|cwtl|rdtsc|cpuid|lods|scas|syscall|rdmsr|rdpmc|xgetbv)/,
    rdx: /^(mul|div|idiv|cqto|cltd|rdtsc|cpuid|rdmsr|rdpmc|xgetbv|cmpxchg16b)/,
    rcx: /^(rep|cpuid|syscall|loop|rdtscp)/,
    rbp: /^leave/,
    rbx: /^cpuid/,
    rdi: /^(rep|stos|movs|scas|cmps)/,
    rsi: /^(rep|movs|lods|cmps)/,
    r11: /^syscall/,
  };
  return implicit[reg]?.test(mnemonic) ?? false;
}

/** Instructions after which control may not come back, or that run other code: no path of a proof may hold one. */
const BREAKS = /^(call|ret|int3|ud2|ud1|iret|sys|hlt|loop)/;

/** The control-flow graph objdump's text implies, by instruction index: successors, and whether control may leave the function there. */
function graphOf(name: string, fn: Fn): { succ: number[][]; pred: number[][]; exits: boolean[]; at: Map<number, number> } {
  const at = new Map(fn.lines.map((l, i) => [l.offset, i]));
  const succ: number[][] = fn.lines.map(() => []);
  const pred: number[][] = fn.lines.map(() => []);
  const exits = fn.lines.map(() => false);
  for (const [i, l] of fn.lines.entries()) {
    const [mnemonic = ''] = l.text.split(/\s+/);
    const add = (t: number | undefined): void => {
      if (t === undefined) exits[i] = true;
      else {
        succ[i]!.push(t);
        pred[t]!.push(i);
      }
    };
    const local = /^j[a-z]*\s+0x[0-9a-f]+ <(.+?)(?:\+0x([0-9a-f]+))?>$/.exec(l.text);
    // a jump to this function's own code, its displacement not relocated (a relocated one leaves the function)
    const own = local !== null && !l.relocated && local[1] === name;
    const target = own ? at.get(local[2] ? Number.parseInt(local[2], 16) : 0) : undefined;
    const next = i + 1 < fn.lines.length ? i + 1 : undefined;
    if (/^jmp/.test(mnemonic)) add(target);
    else if (/^j/.test(mnemonic)) {
      add(next);
      add(target);
    } else if (/^ret/.test(mnemonic)) exits[i] = true;
    else {
      if (BREAKS.test(mnemonic)) exits[i] = true;
      add(next);
    }
  }
  return { succ, pred, exits, at };
}

/** Indexes reachable from `starts` along `edges`, never entering `avoid`. */
function reach(starts: Iterable<number>, edges: number[][], avoid: ReadonlySet<number>): Set<number> {
  const seen = new Set<number>();
  const work = [...starts].filter((s) => !avoid.has(s));
  for (const s of work) seen.add(s);
  while (work.length > 0)
    for (const t of edges[work.pop()!]!)
      if (!avoid.has(t) && !seen.has(t)) {
        seen.add(t);
        work.push(t);
      }
  return seen;
}

let mapped: Policy;
let leaders: Map<string, BinarySite>;
let code: Map<string, Fn>;
let places: Set<string>;

beforeAll(async () => {
  const { policy } = await analyze([join(dir, 'route.ll')], [], { sourcePrefixes: ['net/ipv6/'] });
  const path = join(dir, 'route.o');
  mapped = mapSitesToAddresses(policy, [{ path, elf: readElf(readFileSync(path), path) }]).policy;
  // asynchronous llvm-objdump runs over the whole object (a synchronous call per function would block the worker)
  const [dis, rel] = await Promise.all([run(OBJDUMP, ['-d', '-r', '--no-show-raw-insn', path]), run(OBJDUMP, ['-r', path])]);
  code = parseDisassembly(dis);
  places = parseRelocatedPlaces(rel, code);
  leaders = new Map();
  for (const a of mapped.accesses) for (const b of a.binary ?? []) if (b.extent) leaders.set(`${b.symbol}+${b.offset}`, b);
}, 240_000);

describe('covered checks on net/ipv6 route.o', () => {
  it('covers a share of the checked sites across blocks too, each proof holding in llvm-objdump', () => {
    const covered: [Access, BinarySite][] = [];
    let checked = 0;
    for (const a of mapped.accesses)
      for (const b of a.binary ?? []) {
        if (b.coveredBy) covered.push([a, b]);
        else if (!b.staticallySafe && b.confidence !== 'unmapped') checked++;
      }
    expect(covered.length).toBeGreaterThan(100);
    expect(checked).toBeGreaterThan(0);
    const proofs = new Map<string, number>();
    for (const [, b] of covered) proofs.set(b.coveredBy!.proof!, (proofs.get(b.coveredBy!.proof!) ?? 0) + 1);
    // the dominance forms are exercised, not only the straight-line one
    expect(proofs.get('straight-line')).toBeGreaterThan(0);
    expect(proofs.get('must-follow')).toBeGreaterThan(0);
    expect(proofs.get('inside-extent')).toBeGreaterThan(0);
    const graphs = new Map<string, ReturnType<typeof graphOf>>();
    const hull = new Map<string, { from: number; to: number }>();
    let verified = 0;
    for (const [a, b] of covered) {
      expect(b.staticallySafe).toBe(true);
      const key = `${b.coveredBy!.symbol}+${b.coveredBy!.offset}`;
      const leader = leaders.get(key);
      expect(leader, `${a.id}: no covering site at ${key}`).toBeDefined();
      const op = b.operand!;
      const lop = leader!.operand!;
      expect(leader!.symbol).toBe(b.symbol);
      expect([lop.base, lop.index, lop.scale]).toEqual([op.base, op.index, op.scale]);
      expect(leader!.extent!.from).toBeLessThanOrEqual(op.displacement);
      expect(leader!.extent!.to).toBeGreaterThanOrEqual(op.displacement + op.width);
      const fn = code.get(b.symbol)!;
      let g = graphs.get(b.symbol);
      if (g === undefined) graphs.set(b.symbol, (g = graphOf(b.symbol, fn)));
      const w1 = g.at.get(leader!.offset);
      const w2 = g.at.get(b.offset);
      expect(w1, `${key} is an instruction`).toBeDefined();
      expect(w2, `${b.symbol}+${b.offset} is an instruction`).toBeDefined();
      const where = (i: number): string => `${b.symbol}+0x${fn.lines[i]!.offset.toString(16)} ${fn.lines[i]!.text}`;
      const isRoot = (i: number): boolean => i === 0 || places.has(`${fn.section}:${fn.start + fn.lines[i]!.offset}`);
      // dominance: without W1, no root reaches W2
      const roots = fn.lines.map((_, i) => i).filter(isRoot);
      expect(reach(roots, g.succ, new Set([w1!])).has(w2!), `${where(w2!)} is reached without passing ${where(w1!)}`).toBe(false);
      // the paths from W1 to W2 not passing W1 again
      const fwd = reach(g.succ[w1!]!, g.succ, new Set([w1!]));
      const bwd = reach(g.pred[w2!]!, g.pred, new Set([w1!]));
      expect(fwd.has(w2!)).toBe(true);
      const on = [w1!, ...[...fwd].filter((i) => bwd.has(i))];
      for (const i of on) {
        const text = fn.lines[i]!.text;
        expect(BREAKS.test(text), `${where(i)} breaks the path to ${where(w2!)}`).toBe(false);
        if (i !== w1) expect(isRoot(i), `${where(i)} is a place control can arrive at`).toBe(false);
        for (const r of [op.base!, ...(op.index ? [op.index] : [])]) expect(mayWrite(text, r), `${where(i)} writes ${r}`).toBe(false);
      }
      if (b.coveredBy!.proof !== 'inside-extent') {
        // every path leaving W1 reaches W2: nothing before W2 exits or cannot get there, and no loop
        const inner = reach(g.succ[w1!]!, g.succ, new Set([w1!, w2!]));
        expect(g.exits[w1!]).toBe(false);
        for (const i of inner)
          expect(!g.exits[i] && bwd.has(i), `${where(i)} leaves the paths from ${where(w1!)} to ${where(w2!)}`).toBe(true);
        const indeg = new Map([...inner].map((i) => [i, g!.pred[i]!.filter((p) => inner.has(p)).length]));
        const ready = [...inner].filter((i) => indeg.get(i) === 0);
        let done = 0;
        while (ready.length > 0) {
          done++;
          for (const t of g.succ[ready.pop()!]!)
            if (inner.has(t)) {
              indeg.set(t, indeg.get(t)! - 1);
              if (indeg.get(t) === 0) ready.push(t);
            }
        }
        expect(done, `a loop between ${where(w1!)} and ${where(w2!)}`).toBe(inner.size);
        const h = hull.get(key) ?? { from: lop.displacement, to: lop.displacement + lop.width };
        hull.set(key, { from: Math.min(h.from, op.displacement), to: Math.max(h.to, op.displacement + op.width) });
      }
      verified++;
    }
    expect(verified).toBe(covered.length);
    // the roots are not only function starts: relocations name places inside functions (jump tables, fixups, jump labels)
    let inner = 0;
    for (const fn of code.values())
      for (const l of fn.lines) if (l.offset > 0 && places.has(`${fn.section}:${fn.start + l.offset}`)) inner++;
    expect(inner).toBeGreaterThan(10);
    // each extent is exactly what the writes that always follow the covering one span
    for (const [key, l] of leaders) {
      const h = hull.get(key) ?? { from: l.operand!.displacement, to: l.operand!.displacement + l.operand!.width };
      expect(l.extent, key).toEqual(h);
    }
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
