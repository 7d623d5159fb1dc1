// The data-driven site program (issue 15: `--site-programs data`) against the per-site programs,
// through BPF_PROG_TEST_RUN on this machine's kernel (loaded, run on demand, never attached):
// test/bpf/site_harness.bpf.c runs, for one register file, the per-site program emitBpf generates
// for a site and site.bpf.h's kc_site_recipe with the site's recipe from the generated seed, both
// ending in the same kc_check_range; test/bpf/site_run.c fills the maps as the loader does.
// Every operand shape the emitter checks: base only, base + index * scale + displacement, 32-bit
// views, gs-relative, a relocated displacement, widths 1/2/4/8/16/32, a covering check's extent,
// rep stos / rep movs with the rcx count both ways (DF), writer calls (length register, constant,
// first byte). Rip-relative writes get no run-time check (emit resolves them ahead of time). An
// unknown site id (a probe whose cookie names no recipe) is counted and checks nothing.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitBpf, KC } from '../../src/emit/index.js';
import type { MemoryOperand } from '../../src/policy/index.js';
import { CLANG, RUNTIME_INCLUDE, TEST_BPF, clangBpf, run } from './support/bpf.js';
import { access, legal, policyOf, site, writerAccess } from './support/policies.js';

const tmp = mkdtempSync(join(tmpdir(), 'kcompart-site-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const l = legal({ globals: ['g'], stack: true });
const op = (o: Partial<MemoryOperand> & { width: number }): MemoryOperand => ({ scale: 1, displacement: 0, ...o }) as MemoryOperand;

/** One site per shape, in id order (each its own access and instruction). */
const SHAPES: { name: string; access: ReturnType<typeof access> }[] = [
  { name: 'base only, 8 bytes', access: access('s:0', 'f', l, [site('f', 0x10, op({ base: 'rdi', width: 8 }))]) },
  {
    name: 'base + index*4 (32-bit view) + negative displacement, 4 bytes',
    access: access('s:1', 'f', l, [site('f', 0x20, op({ base: 'rbx', index: 'r9d', scale: 4, displacement: -24, width: 4 }))]),
  },
  {
    name: '%gs:-relative, 8 bytes',
    access: access('s:2', 'f', legal({ percpu: true }), [site('f', 0x30, op({ base: 'rax', displacement: 8, segment: 'gs', width: 8 }))]),
  },
  { name: '32-bit base, 1 byte', access: access('s:3', 'f', l, [site('f', 0x40, op({ base: 'esi', displacement: 3, width: 1 }))]) },
  {
    name: 'base + index*2 + displacement, 2 bytes',
    access: access('s:4', 'f', l, [site('f', 0x50, op({ base: 'r15', index: 'rcx', scale: 2, displacement: 0x100, width: 2 }))]),
  },
  { name: 'rsp-based, 16 bytes', access: access('s:5', 'f', l, [site('f', 0x60, op({ base: 'rsp', displacement: 16, width: 16 }))]) },
  { name: 'rbp-based, 32 bytes', access: access('s:6', 'f', l, [site('f', 0x70, op({ base: 'rbp', width: 32 }))]) },
  {
    name: 'relocated displacement sym(,%rcx,8)',
    access: access('s:7', 'f', l, [site('f', 0x80, op({ index: 'rcx', scale: 8, displacementTarget: 'g+0x0', width: 8 }))]),
  },
  { name: 'rep stos, 8-byte elements', access: access('s:8', 'f', l, [site('f', 0x90, op({ base: 'rdi', width: 0, repElement: 8 }))]) },
  { name: 'rep movsb, 1-byte elements', access: access('s:9', 'f', l, [site('f', 0xa0, op({ base: 'rdi', width: 0, repElement: 1 }))]) },
  {
    name: 'writer call, length in rdx',
    access: writerAccess('s:10', 'f', 'memcpy', { destination: 0, lengthArgument: 2 }, l, [site('f', 0xb0, undefined, { call: true })]),
  },
  {
    name: 'writer call, constant length',
    access: writerAccess('s:11', 'f', 'copy_page', { destination: 0, length: 4096 }, l, [site('f', 0xc0, undefined, { call: true })]),
  },
  {
    name: 'writer call, first byte',
    access: writerAccess('s:12', 'f', 'strcpy', { destination: 1 }, l, [site('f', 0xd0, undefined, { call: true })]),
  },
  {
    name: 'a covering check: the extent [disp-8, disp+24) of the writes it covers',
    access: access('s:13', 'f', l, [site('f', 0xe0, op({ base: 'r13', width: 8 }), { extent: { from: -8, to: 24 } })]),
  },
];

/** struct pt_regs of x86-64, in its order. */
const PT_REGS = [
  'r15',
  'r14',
  'r13',
  'r12',
  'bp',
  'bx',
  'r11',
  'r10',
  'r9',
  'r8',
  'ax',
  'cx',
  'dx',
  'si',
  'di',
  'orig_ax',
  'ip',
  'cs',
  'flags',
  'sp',
  'ss',
] as const;
type Regs = Record<(typeof PT_REGS)[number], bigint>;
const M64 = (1n << 64n) - 1n;
const DF = 1n << 10n;

/** The write a shape makes with `r` (an oracle written from the operand, apart from emit and site.bpf.h): undefined when nothing is written. */
function expected(k: number, r: Regs, reloc: bigint): { addr: bigint; len: bigint } | undefined {
  const v = (name: string): bigint => {
    const n = /^r(\d+)(d?)$/.exec(name);
    const field = n ? `r${n[1]}` : name.slice(1);
    const x = r[field as keyof Regs];
    return (n ? n[2] === 'd' : name.startsWith('e')) ? x & 0xffffffffn : x;
  };
  const a = SHAPES[k]!.access;
  const b = a.binary![0]!;
  if (a.writer) {
    const args = ['di', 'si', 'dx', 'cx', 'r8', 'r9'] as const;
    const w = a.writer;
    const len = w.lengthArgument !== undefined ? r[args[w.lengthArgument]!] : BigInt(w.length ?? 1);
    return { addr: r[args[w.destination]!], len };
  }
  const o = b.operand!;
  const disp = BigInt(b.extent ? b.extent.from : o.displacement);
  let addr = ((o.base ? v(o.base) : 0n) + (o.index ? v(o.index) * BigInt(o.scale) : 0n) + disp + (o.displacementTarget ? reloc : 0n)) & M64;
  if (o.repElement !== undefined && o.width === 0) {
    // the count is bounded to 2^40 elements (a larger one wraps: the range check fails it anyway)
    const n = r.cx > 1n << 40n ? 1n << 40n : r.cx,
      e = BigInt(o.repElement);
    if (n === 0n) return undefined;
    if (r.flags & DF) addr = (addr - n * e + e) & M64;
    return { addr, len: n * e };
  }
  return { addr, len: BigInt(b.extent ? b.extent.to - b.extent.from : Math.max(1, o.width)) };
}

function stext(): bigint {
  const m = /^([0-9a-f]+) T _stext$/m.exec(readFileSync('/proc/kallsyms', 'utf8'));
  if (!m || /^0+$/.test(m[1]!)) throw new Error('no _stext address in /proc/kallsyms');
  return BigInt(`0x${m[1]}`);
}

/** A deterministic register file: each value in or near the global range, or any 64-bit number. */
function randomRegs(seed: number, S: bigint): Regs {
  let x = BigInt(seed) * 0x9e3779b97f4a7c15n;
  const next = (): bigint => {
    x = (x * 6364136223846793005n + 1442695040888963407n) & M64;
    return x;
  };
  const out = {} as Regs;
  for (const f of PT_REGS) {
    const n = next();
    out[f] = n % 3n === 0n ? n : n % 3n === 1n ? S + ((n >> 8n) % 0x180n) : (n >> 16n) % 64n;
  }
  out.flags = next() & DF;
  return out;
}

describe('the data-driven site program computes what the per-site programs compute (BPF_PROG_TEST_RUN)', () => {
  const per = emitBpf(
    policyOf(
      'shapes',
      SHAPES.map((s) => s.access),
    ),
    { name: 'shapes', sitePrograms: 'per-site' },
  );
  const data = emitBpf(
    policyOf(
      'shapes',
      SHAPES.map((s) => s.access),
    ),
    { name: 'shapes' },
  );
  const S = stext();
  const RELOC = S + 0x40n;
  const runner = join(tmp, 'site_run');
  const obj = join(tmp, 'site_harness.o');
  type Rec = { called: number; site: number; addr: bigint; len: bigint; sp: bigint; verdict: number };
  let lines: string[] = [];

  const setA: Regs = {
    ...(Object.fromEntries(PT_REGS.map((f) => [f, 0n])) as Regs),
    di: S + 0x10n,
    bx: S + 0x80n,
    r9: 0xdead000000000004n,
    ax: 0x40n,
    si: S + 5n,
    r15: S + 0x20n,
    cx: 3n,
    sp: S + 0x30n,
    bp: S + 0xf0n,
    dx: 0x10n,
    r13: S + 0x60n,
  };
  const setB: Regs = { ...setA, flags: DF, cx: 0n, di: S + 0xf8n, r9: 0xffffffffn, bx: 0n };
  const setC: Regs = { ...setA, flags: DF, cx: 2n, di: S + 0x20n };
  const sets: Regs[] = [setA, setB, setC, ...Array.from({ length: 6 }, (_, k) => randomRegs(k + 1, S))];
  const UNKNOWN = [SHAPES.length, 4095];

  beforeAll(async () => {
    expect(per.sites).toHaveLength(SHAPES.length);
    expect(data.sites).toEqual(per.sites);
    const c = per.files.find((f) => f.name === 'shapes.bpf.c')!.content;
    const programs = [...c.matchAll(/SEC\([^\n]*\)\nint (kc_site_\d+)\(struct pt_regs \*ctx\)\n\{\n([\s\S]*?)\n\}\n/g)];
    expect(programs.map((m) => m[1])).toEqual(per.sites.map((s) => s.program));
    writeFileSync(
      join(tmp, 'site_cases.bpf.h'),
      programs.map((m) => `static __always_inline int ${m[1]}(struct pt_regs *ctx)\n{\n${m[2]}\n}\n`).join('\n') +
        `static __always_inline void kc_test_per_site(__u32 id, struct pt_regs *ctx)\n{\n\tswitch (id) {\n` +
        per.sites.map((s) => `\tcase ${s.id}: ${s.program}(ctx); break;\n`).join('') +
        `\t}\n}\n`,
    );
    const seedH = data.files.find((f) => f.name === 'shapes.seed.h')!.content;
    const recipes = [...seedH.matchAll(/\.recipe = (\{[^}]*\})/g)].map((m) => m[1]!);
    expect(recipes).toHaveLength(SHAPES.length);
    const policies = data.sites.map((s) =>
      s.gs ? `{ .regions = KC_R_PERCPU, .flags = KC_F_PERCPU_ANY }` : `{ .regions = KC_R_GLOBAL, .global_first = 0, .global_count = 1 }`,
    );
    writeFileSync(
      join(tmp, 'site_cases.h'),
      `static const struct kc_recipe kc_test_recipes[] = {\n${recipes.map((r) => `\t${r},\n`).join('')}};\n` +
        `static const struct kc_site_policy kc_test_policies[] = {\n${policies.map((p) => `\t${p},\n`).join('')}};\n` +
        `static const unsigned long long kc_test_relocs[] = {\n${data.sites.map((s) => `\t${s.reloc ? `0x${RELOC.toString(16)}ULL` : '0'},\n`).join('')}};\n`,
    );
    const c1 = await clangBpf(join(TEST_BPF, 'site_harness.bpf.c'), obj, ['-I', tmp]);
    expect(c1.stderr).toBe('');
    const c2 = await run(CLANG, ['-Wall', '-O2', '-I', tmp, '-I', RUNTIME_INCLUDE, join(TEST_BPF, 'site_run.c'), '-o', runner, '-lbpf']);
    expect(c2.stderr).toBe('');
    const input = [
      ...sets.flatMap((r) => data.sites.map((s) => `${s.id} 3 ${PT_REGS.map((f) => `0x${r[f].toString(16)}`).join(' ')}`)),
      ...UNKNOWN.map((id) => `${id} 2 ${PT_REGS.map((f) => `0x${setA[f].toString(16)}`).join(' ')}`),
    ].join('\n');
    const r = spawnSync(runner, [obj, `0x${S.toString(16)}`, `0x${(S + 0x100n).toString(16)}`], { input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`site_run failed (${r.status}): ${r.stderr}${r.stdout}`);
    lines = r.stdout.trim().split('\n');
  }, 120_000);

  /** The records of the n-th run (a set × site, then the unknown ids). */
  const runOf = (n: number): { per: Rec; data: Rec; ret: number } => {
    const rec = (line: string): Rec => {
      const [, , called, site, addr, len, sp, verdict] = line.split(' ');
      return {
        called: Number(called),
        site: Number(site),
        addr: BigInt(addr!),
        len: BigInt(len!),
        sp: BigInt(sp!),
        verdict: Number(verdict),
      };
    };
    return { per: rec(lines[3 * n]!), data: rec(lines[3 * n + 1]!), ret: Number(lines[3 * n + 2]!.split(' ')[2]) };
  };

  for (const [k, shape] of SHAPES.entries()) {
    it(`site ${k}, ${shape.name}: the same site, address, length, stack pointer and verdict, as the operand says`, () => {
      for (const [j, regs] of sets.entries()) {
        const { per: p, data: d, ret } = runOf(j * SHAPES.length + k);
        expect(d, `register set ${j}`).toEqual(p);
        const want = expected(k, regs, RELOC);
        if (want === undefined) {
          expect(d.called).toBe(0);
          expect(ret).toBe(KC.PASS);
          continue;
        }
        expect(d.called).toBe(1);
        expect({ addr: d.addr, len: d.len }, `register set ${j}`).toEqual(want);
        expect(d.site).toBe((k | (data.sites[k]!.gs ? KC.SITE_GS : 0)) >>> 0);
        expect(d.sp).toBe(regs.sp);
        expect(ret).toBe(d.verdict);
      }
    });
  }

  it('reaches both verdicts, and the rep stores write nothing with rcx = 0', () => {
    const verdicts = new Set(Array.from({ length: sets.length * SHAPES.length }, (_, n) => runOf(n).data.verdict));
    expect([...verdicts].sort()).toEqual([KC.PASS, KC.VIOLATION]);
    // set B: rcx = 0, DF set
    expect(runOf(SHAPES.length + 8).data.called).toBe(0);
    // set C: two 8-byte elements down from rdi (DF): [rdi - 8, rdi + 8)
    expect(runOf(2 * SHAPES.length + 8).data).toMatchObject({ addr: S + 0x18n, len: 16n });
  });

  it('counts a probe whose cookie names no recipe, checks nothing and answers KC_UNKNOWN_SITE', () => {
    const base = sets.length * SHAPES.length;
    for (const [i] of UNKNOWN.entries()) {
      const { data: d, ret } = runOf(base + i);
      expect(d.called).toBe(0);
      expect(ret).toBe(KC.UNKNOWN_SITE);
    }
    expect(lines.at(-1)).toBe(`unknown_probe ${UNKNOWN.length}`);
  });
});
