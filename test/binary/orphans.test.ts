// Tests the orphan-write fallback (src/binary/orphans.ts) on real corpus objects: net/ipv6's
// ipv6_sockglue and udp, each analyzed from its own .ll and mapped onto its .o. The oracle for
// "which instructions write memory" is llvm-objdump-19's disassembly (AT&T: a memory last operand
// of a mnemonic that writes it), independent of iced-x86: every such instruction of a function of
// the policy, outside the function's own frame, is claimed by a mapped access or is a fallback
// site, and every fallback site is one of them; every unmapped access with a non-"any" set is
// behind a fallback site of its function, or its function has no orphan write at all (the oracle
// confirms it). Plus the union the fallback checks, two named examples (do_ipv6_setsockopt's
// 2-byte stores, udpv6_destroy_sock's `bts` of a non-IR asm write), and datagram's unmapped 1-byte
// stores checked at the 4-byte store the backend merged them into. Writes the analysis finds in a
// fixed slot of their own frame (Access.frameSlot) are frame writes in the object.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/index.js';
import { admitsAll, mapSitesToAddresses, readElf, type MapStats } from '../../src/binary/index.js';
import type { Access, Policy } from '../../src/policy/schema.js';
import { ipv6ObjectDir } from './support/llvm.js';

const OBJDUMP = process.env['LLVM_OBJDUMP'] ?? 'llvm-objdump-19';

/** Mnemonics whose memory last operand is only read (or is the target of a control transfer). */
const READS_ONLY =
  /^(cmp[bwlq]?|test[bwlq]?|bt[bwlq]?|push[a-z]*|pop[a-z]*|call[a-z]*|jmp[a-z]*|j[a-z]{1,3}|nop[a-z]*|lea[a-z]*|prefetch[a-z0-9]*|ud[0-9a-z]*|i?mul[a-z]*|i?div[a-z]*)$/;

/** Splits AT&T operands on top-level commas (`0x8(%rax,%rcx,8)` stays whole). */
function operands(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const isMemory = (op: string): boolean => op.includes('(') || /^%[a-z]s:/.test(op) || /^-?(0x[0-9a-f]+|\d+)$/.test(op);
/** The function's own frame: a constant offset from rsp, nothing else (the mapper's static rule). */
const isFrame = (op: string): boolean => /^-?(0x[0-9a-f]+|\d+)?\(%rsp\)$/.test(op);

/** Per `section\0symbol`: offsets (from the symbol) of instructions objdump shows writing memory outside the frame, with their text. */
function objdumpWrites(obj: string): Map<string, Map<number, string>> {
  const text = execFileSync(OBJDUMP, ['-d', '--no-show-raw-insn', obj], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const out = new Map<string, Map<number, string>>();
  let section = '';
  let symbol: { name: string; at: number } | undefined;
  let prefixAt: number | undefined;
  for (const line of text.split('\n')) {
    const sec = /^Disassembly of section (.*):$/.exec(line);
    if (sec) {
      section = sec[1]!;
      continue;
    }
    const sym = /^([0-9a-f]+) <(.*)>:$/.exec(line);
    if (sym) {
      symbol = { name: sym[2]!, at: parseInt(sym[1]!, 16) };
      continue;
    }
    const ins = /^\s+([0-9a-f]+):\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (!ins || symbol === undefined) continue;
    const at = parseInt(ins[1]!, 16);
    const mnemonic = ins[2]!;
    if (mnemonic === 'lock' || mnemonic === 'rep' || mnemonic === 'repne') {
      prefixAt = at;
      continue;
    }
    const start = prefixAt ?? at;
    prefixAt = undefined;
    const ops = operands((ins[3] ?? '').replace(/\s*<.*>$/, ''));
    const last = ops[ops.length - 1];
    if (last === undefined || READS_ONLY.test(mnemonic) || !isMemory(last) || isFrame(last)) continue;
    const key = `${section}\0${symbol.name}`;
    let m = out.get(key);
    if (m === undefined) out.set(key, (m = new Map()));
    m.set(start - symbol.at, `${mnemonic} ${ins[3] ?? ''}`);
  }
  return out;
}

const DIR = ipv6ObjectDir();
const FILES = ['ipv6_sockglue', 'udp'] as const;
const MERGED_FILE = 'datagram';

interface Case {
  policy: Policy;
  stats: MapStats;
  writes: Map<string, Map<number, string>>;
}
const cases = new Map<string, Case>();

const isUnmapped = (a: Access): boolean => a.binary?.[0]?.confidence === 'unmapped';

describe('orphan writes of net/ipv6 objects get fallback sites (llvm-objdump oracle)', () => {
  beforeAll(async () => {
    if (!existsSync(join(DIR, 'udp.o'))) throw new Error(`corpus missing: ${DIR} (shared/ must sit beside the repo)`);
    for (const f of FILES) {
      const { policy } = await analyze([join(DIR, `${f}.ll`)], [], { sourcePrefixes: ['net/ipv6/'] });
      const obj = join(DIR, `${f}.o`);
      const mapped = mapSitesToAddresses(policy, [{ path: obj, elf: readElf(readFileSync(obj), obj) }]);
      cases.set(f, { ...mapped, writes: objdumpWrites(obj) });
    }
    {
      const { policy } = await analyze([join(DIR, `${MERGED_FILE}.ll`)], [], { sourcePrefixes: ['net/ipv6/'] });
      const obj = join(DIR, `${MERGED_FILE}.o`);
      const mapped = mapSitesToAddresses(policy, [{ path: obj, elf: readElf(readFileSync(obj), obj) }]);
      cases.set(MERGED_FILE, { ...mapped, writes: objdumpWrites(obj) });
    }
  }, 120_000);

  it.each(FILES)('%s: every machine write of a policy function is claimed by an access or is a fallback site, and nothing else is', (f) => {
    const { policy, stats, writes } = cases.get(f)!;
    const claimed = new Map<string, Set<number>>();
    const fallback = new Map<string, Set<number>>();
    for (const a of policy.accesses)
      for (const b of a.binary ?? []) {
        if (b.confidence === 'unmapped') continue;
        const into = a.fallback !== undefined ? fallback : claimed;
        const key = `${b.section}\0${b.symbol}`;
        if (!into.has(key)) into.set(key, new Set());
        into.get(key)!.add(b.offset);
      }
    // functions whose fallback basis holds an "any" set: their orphans are counted, not sited
    const anyFns = new Set<string>();
    const byFn = new Map<string, Access[]>();
    for (const a of policy.accesses) if (a.fallback === undefined) byFn.set(a.function, [...(byFn.get(a.function) ?? []), a]);
    for (const [fn, list] of byFn) {
      const um = list.filter(isUnmapped);
      if ((um.length > 0 ? um : list).some((a) => a.legal.any)) anyFns.add(fn);
    }
    let checkedFns = 0;
    let oracleWrites = 0;
    for (const [key, at] of writes) {
      const fn = key.split('\0')[1]!;
      if (!byFn.has(fn) || anyFns.has(fn)) continue;
      checkedFns++;
      for (const [off, text] of at) {
        oracleWrites++;
        const ok = claimed.get(key)?.has(off) === true || fallback.get(key)?.has(off) === true;
        expect(ok, `${fn}+0x${off.toString(16)} ${text}: writes memory, no access claims it and no fallback site`).toBe(true);
      }
    }
    expect(checkedFns).toBeGreaterThanOrEqual(4);
    expect(oracleWrites).toBeGreaterThan(50);
    // every fallback site is a write objdump sees, and no mapped access claims it
    let sites = 0;
    for (const [key, offs] of fallback)
      for (const off of offs) {
        sites++;
        expect(writes.get(key)?.has(off), `fallback site ${key.replace('\0', ' ')}+0x${off.toString(16)} is no memory write`).toBe(true);
        expect(claimed.get(key)?.has(off) ?? false).toBe(false);
      }
    expect(sites).toBe(stats.orphans!.fallbackSites);
    expect(stats.orphans!.orphanWrites).toBe(stats.orphans!.fallbackSites + stats.orphans!.unchecked.any);
  });

  it.each(FILES)(
    '%s: each unmapped non-"any" access is behind a fallback site of its function, or its function has no orphan write',
    (f) => {
      const { policy, stats, writes } = cases.get(f)!;
      const behind = new Map<string, Access>();
      for (const fb of policy.accesses.filter((a) => a.fallback !== undefined)) {
        expect(fb.binary?.length ?? 0).toBeGreaterThan(0);
        for (const id of fb.fallback!.accesses) behind.set(id, fb);
      }
      const claimedOffsets = new Set(
        policy.accesses.flatMap((a) =>
          (a.binary ?? []).filter((b) => b.confidence !== 'unmapped').map((b) => `${b.section}\0${b.symbol}\0${b.offset}`),
        ),
      );
      let covered = 0;
      let noOrphan = 0;
      for (const a of policy.accesses.filter((x) => x.fallback === undefined && isUnmapped(x) && !x.legal.any)) {
        const fb = behind.get(a.id);
        if (fb !== undefined) {
          covered++;
          expect(fb.function).toBe(a.function);
          expect(fb.fallback!.basis).toBe('unmapped');
          // the union admits everything the access's own set admits
          expect(admitsAll(fb.legal, a.legal), `${fb.id} does not admit all of ${a.id}`).toBe(true);
          continue;
        }
        noOrphan++;
        // the stated reason: every write of its function is claimed (objdump agrees)
        for (const [key, at] of writes) {
          if (key.split('\0')[1] !== a.function) continue;
          for (const off of at.keys()) expect(claimedOffsets.has(`${key}\0${off}`), `${a.id}: ${key}+0x${off.toString(16)}`).toBe(true);
        }
      }
      const reasons = Object.values(stats.orphans!.unmapped);
      expect(covered).toBe(reasons.reduce((n, r) => n + r.covered, 0));
      expect(noOrphan).toBe(reasons.reduce((n, r) => n + r.noOrphan, 0));
      expect(covered).toBeGreaterThan(0);
    },
  );

  it.each(FILES)(
    '%s: a write the analysis finds in a fixed slot of its own frame is performed in the frame (objdump: disp(%%rsp), or rep-string)',
    (f) => {
      const { policy, writes } = cases.get(f)!;
      let frame = 0;
      let seen = 0;
      for (const a of policy.accesses) {
        if (a.fallback !== undefined) continue;
        const exact = (a.binary ?? []).filter((b) => b.confidence === 'exact');
        if (a.frameSlot === true) frame++;
        if (a.frameSlot !== true || !exact.length) continue;
        for (const b of exact) {
          seen++;
          // objdumpWrites leaves out constant-offset rsp writes: what it holds writes elsewhere
          const text = writes.get(`${b.section}\0${b.symbol}`)?.get(b.offset);
          expect(
            text === undefined || /^(stos|movs)[bwlq]\b/.test(text),
            `${a.id} at ${b.symbol}+0x${b.offset.toString(16)}: ${text}`,
          ).toBe(true);
        }
      }
      expect(frame).toBeGreaterThan(20);
      expect(seen).toBeGreaterThan(10);
    },
  );

  it("do_ipv6_setsockopt: its orphan 2-byte stores through rbx are checked against the union of its unmapped accesses' sets", () => {
    const { policy } = cases.get('ipv6_sockglue')!;
    const fb = policy.accesses.find((a) => a.id === 'net/ipv6/ipv6_sockglue.c:do_ipv6_setsockopt:fallback');
    expect(fb).toBeDefined();
    const unmapped = policy.accesses.filter((a) => a.function === 'do_ipv6_setsockopt' && a.fallback === undefined && isUnmapped(a));
    expect(new Set(fb!.fallback!.accesses)).toEqual(new Set(unmapped.map((a) => a.id)));
    expect(fb!.legal.stack).toBe(true);
    for (const a of unmapped) expect(admitsAll(fb!.legal, a.legal)).toBe(true);
    // objdump: 7c7: movw %ax, 0x46(%rbx)
    const site = fb!.binary!.find((b) => b.offset === 0x7c7);
    expect(site?.operand).toMatchObject({ base: 'rbx', displacement: 0x46, width: 2 });
    expect(site?.staticallySafe).toBeUndefined();
  });

  it('udpv6_destroy_sock: the bts of an asm whose memory is an input operand (no IR write) gets a fallback over all its accesses', () => {
    const { policy, writes } = cases.get('udp')!;
    const fb = policy.accesses.find((a) => a.id === 'net/ipv6/udp.c:udpv6_destroy_sock:fallback');
    expect(fb?.fallback?.basis).toBe('function');
    const all = policy.accesses.filter((a) => a.function === 'udpv6_destroy_sock' && a.fallback === undefined);
    expect(fb!.fallback!.accesses).toEqual(all.map((a) => a.id));
    const site = fb!.binary!.find((b) => b.reason?.includes('(bts)'));
    expect(site).toBeDefined();
    expect(writes.get(`.text\0udpv6_destroy_sock`)?.get(site!.offset)).toMatch(/^btsq /);
  });

  it("datagram: unmapped stores merged into a neighbour's wider store are checked at that store (objdump: one 4-byte movl for four 1-byte fields)", () => {
    const { policy, stats, writes } = cases.get(MERGED_FILE)!;
    expect(stats.mergedStores).toBeGreaterThanOrEqual(3);
    const at = (a: Access) => a.binary?.map((b) => `${b.symbol}+0x${b.offset.toString(16)}`) ?? [];
    const merged = ['43', '45', '47'].map((n) => policy.accesses.find((a) => a.id === `net/ipv6/datagram.c:ipv6_local_error:${n}`)!);
    const first = policy.accesses.find((a) => a.id === 'net/ipv6/datagram.c:ipv6_local_error:41')!;
    expect(at(first)).toContain('ipv6_local_error+0xb8');
    for (const a of merged) {
      expect(at(a)).toEqual(['ipv6_local_error+0xb8']);
      expect(a.binary![0]!.reason).toMatch(/^merged store: the 4-byte write of net\/ipv6\/datagram\.c:ipv6_local_error:41/);
    }
    // the oracle: a 4-byte store holding the four 1-byte fields
    expect(writes.get('.text\0ipv6_local_error')?.get(0xb8)).toMatch(/^movl /);
    expect(first.width! + merged.reduce((n, a) => n + a.width!, 0)).toBe(4);
  });
});

/** Per `symbol`: the offsets of direct calls whose relocation names `routines` (llvm-objdump -dr). */
function objdumpCallsTo(obj: string, routines: ReadonlySet<string>): Map<string, Set<number>> {
  const text = execFileSync(OBJDUMP, ['-dr', '--no-show-raw-insn', obj], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const out = new Map<string, Set<number>>();
  let symbol: { name: string; at: number } | undefined;
  let call: number | undefined;
  for (const line of text.split('\n')) {
    const sym = /^([0-9a-f]+) <(.*)>:$/.exec(line);
    if (sym) {
      symbol = { name: sym[2]!, at: parseInt(sym[1]!, 16) };
      continue;
    }
    const rel = /^\s+[0-9a-f]+:\s+R_X86_64_(?:PLT32|PC32)\s+([^\s+-]+)/.exec(line);
    if (rel) {
      if (call !== undefined && symbol !== undefined && routines.has(rel[1]!)) {
        let s = out.get(symbol.name);
        if (s === undefined) out.set(symbol.name, (s = new Set()));
        s.add(call - symbol.at);
      }
      continue;
    }
    const ins = /^\s+([0-9a-f]+):\s+(\S+)/.exec(line);
    if (ins && symbol !== undefined) call = /^(call|jmp)/.test(ins[2]!) ? parseInt(ins[1]!, 16) : undefined;
  }
  return out;
}

describe('writer calls of net/ipv6 objects (llvm-objdump relocations oracle)', () => {
  it.each(['addrconf', 'ipv6_sockglue', 'udp'])(
    '%s: every direct call of memcpy / memset / memmove in a policy function is claimed by an access',
    async (f) => {
      const { policy } = await analyze([join(DIR, `${f}.ll`)], [], { sourcePrefixes: ['net/ipv6/'] });
      const obj = join(DIR, `${f}.o`);
      const { policy: m, stats } = mapSitesToAddresses(policy, [{ path: obj, elf: readElf(readFileSync(obj), obj) }], { orphans: 'all' });
      const claimed = new Set(
        m.accesses.flatMap((a) => (a.binary ?? []).filter((b) => b.confidence !== 'unmapped').map((b) => `${b.symbol}+${b.offset}`)),
      );
      const fns = new Set(m.accesses.map((a) => a.function));
      let calls = 0;
      for (const [fn, offs] of objdumpCallsTo(obj, new Set(['memcpy', 'memset', 'memmove', '__memcpy', '__memset', '__memmove']))) {
        if (!fns.has(fn)) continue;
        for (const off of offs) {
          calls++;
          expect(claimed.has(`${fn}+${off}`), `${fn}+0x${off.toString(16)}: a call of a writer no access claims`).toBe(true);
        }
      }
      expect(calls).toBeGreaterThan(0);
      expect(stats.orphans!.unclaimedWriterCalls).toEqual([]);
    },
    60_000,
  );
});
