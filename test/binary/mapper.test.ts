// Tests the IR-site → address mapper (src/binary/mapper.ts): small C fixtures
// compiled with clang-19 (IR at -O2 -g, its object from that same IR) and
// analyzed, each write mapped to its instruction — plain stores, stores of an
// inlined helper (inline chain matched frame by frame), a wrong call line
// left unmapped, inline asm without a row of its own found in its inlined
// instance, rip-relative writes to a global of the legal set and stack
// writes statically safe, frame-pointer detection; on the corpus, every
// mapped address of the route.ll policy is an instruction boundary inside
// its symbol writing memory of a compatible width, and a memcpy merged to
// line 0 maps to the one call of memcpy without a row (a call's callee read
// from its relocation, and from its target once ld.lld links the fixture);
// and the debugify ground
// truth keeps a floor on precision and recall for two net/ipv6 files (and
// for route.ll inlined further after debugify, so inline chains are matched).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/index.js';
import {
  CodeDecoder,
  ObjectIndex,
  chainMatches,
  mapSitesToAddresses,
  parseTarget,
  readElf,
  staticSafety,
  widthCompatible,
  type InlineChain,
  type MemoryWrite,
} from '../../src/binary/index.js';
import type { Access, Policy } from '../../src/policy/schema.js';
import { debugify, scoreDebugified } from '../../scripts/map-corpus.js';
import { haveTool, ipv6ObjectDir } from './support/llvm.js';

const CLANG = process.env['CLANG'] ?? 'clang-19';

const SOURCE = `struct s { int a; long b; char c[32]; };
int g_counter;
void consume(int *p);
void set_fields(struct s *p, int v) {
  p->a = v;
  p->b = (long)v * 3;
}
static inline void helper(struct s *p) {
  p->a = 7;
}
void uses_inline(struct s *p) {
  helper(p);
}
void bump(void) {
  g_counter = 5;
}
void on_stack(void) {
  int buf[4];
  buf[1] = 3;
  consume(buf);
}
void clear(struct s *p) {
  __builtin_memset(p->c, 0, 32);
}
static inline void my_inc(int *p) {
  asm volatile(".pushsection .smp_locks,\\"a\\"\\n.balign 4\\n.long 671f - .\\n.popsection\\n671:\\n\\tlock; incl %0" : "+m"(*p));
}
void bump_after_call(int *p) {
  consume(p);
  my_inc(p);
}
void copy_n(struct s *d, const char *src, unsigned long n) {
  __builtin_memcpy(d->c, src, n);
  d->a = 1;
}
void copy_tail(struct s *d, const char *src, unsigned long n) {
  __builtin_memcpy(d->c, src, n);
}
void fill(long *p, int n) {
#pragma clang loop vectorize(disable)
  for (int i = 0; i < n; i++)
    p[i] = 5;
}
static int s_counter[4];
int *bump_static(void) {
  s_counter[2] = 9;
  return s_counter;
}
`;

let dir = '';
let have = false;
let policy: Policy;
let path = '';

/** Compiles fixture.c to fixture.ll (-O2 -g) and the object of that IR; analyzes it. */
async function build(flags: readonly string[], name: string): Promise<{ policy: Policy; obj: string }> {
  const c = join(dir, 'fixture.c');
  const ll = join(dir, `${name}.ll`);
  const obj = join(dir, `${name}.o`);
  execFileSync(CLANG, ['-O2', '-g', '-S', '-emit-llvm', '-fno-pic', ...flags, c, '-o', ll]);
  execFileSync(CLANG, ['-O2', '-c', '-fno-pic', ...flags, ll, '-o', obj]);
  return { policy: (await analyze([ll], [])).policy, obj };
}

function access(p: Policy, fn: string, line: number): Access {
  const a = p.accesses.find((x) => x.function === fn && x.location[0]?.line === line);
  if (a === undefined) throw new Error(`no access of ${fn} at line ${line}`);
  return a;
}

beforeAll(async () => {
  have = await haveTool(CLANG);
  // required tools are installed by scripts/setup.sh: their absence is a failure, not a skip
  if (!have) throw new Error(`${CLANG} is missing: run scripts/setup.sh`);
  if (!have) return;
  dir = mkdtempSync(join(tmpdir(), 'kcompart-mapper-'));
  writeFileSync(join(dir, 'fixture.c'), SOURCE);
  const b = await build([], 'fixture');
  policy = b.policy;
  path = b.obj;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function mapFixture(p: Policy = policy): Policy {
  return mapSitesToAddresses(p, [{ path: 'fixture.o', elf: readElf(readFileSync(path), path) }]).policy;
}

describe('mapSitesToAddresses on clang fixtures', () => {
  it('maps plain field stores to one instruction of the same width', (_ctx) => {
    const m = mapFixture();
    const a = access(m, 'set_fields', 5);
    expect(a.binary).toHaveLength(1);
    const b = a.binary![0]!;
    expect(b).toMatchObject({ object: 'fixture.o', symbol: 'set_fields', section: '.text', confidence: 'exact' });
    expect(b.operand).toMatchObject({ base: 'rdi', width: 4, displacement: 0 });
    expect(b.staticallySafe).toBeUndefined();
    const bb = access(m, 'set_fields', 6).binary![0]!;
    expect(bb.operand).toMatchObject({ base: 'rdi', width: 8, displacement: 8 });
  });

  it("matches an inlined helper's store through its inline chain", (_ctx) => {
    const m = mapFixture();
    const a = m.accesses.find((x) => x.function === 'uses_inline')!;
    expect(a.location.map((f) => f.function)).toEqual(['helper', 'uses_inline']);
    expect(a.binary![0]).toMatchObject({ symbol: 'uses_inline', confidence: 'exact', operand: { base: 'rdi', width: 4 } });
  });

  it("leaves a site unmapped when the inline chain's call line differs", (_ctx) => {
    const p: Policy = {
      ...policy,
      accesses: policy.accesses
        .filter((x) => x.function === 'uses_inline')
        .map((x) => ({
          ...x,
          location: x.location.map((f, i) => (i === 1 ? { ...f, line: f.line + 1 } : f)),
        })),
    };
    const m = mapFixture(p);
    expect(m.accesses[0]!.binary![0]).toMatchObject({ confidence: 'unmapped', reason: 'inlined away' });
  });

  it('reports a missing symbol and missing rows', (_ctx) => {
    const a = access(policy, 'set_fields', 5);
    const p: Policy = {
      ...policy,
      accesses: [
        { ...a, function: 'nope' },
        { ...a, location: [{ ...a.location[0]!, line: 99 }] },
      ],
    };
    const m = mapFixture(p);
    expect(m.accesses[0]!.binary![0]).toMatchObject({ confidence: 'unmapped', reason: 'no symbol' });
    expect(m.accesses[1]!.binary![0]).toMatchObject({ confidence: 'unmapped', reason: 'no rows', symbol: 'set_fields' });
  });

  it('marks a rip-relative write to a global of the legal set statically safe', (_ctx) => {
    const a = access(policy, 'bump', 15);
    expect(a.legal.globals).toContain('g_counter');
    const b = access(mapFixture(), 'bump', 15).binary![0]!;
    expect(b.operand).toMatchObject({ base: 'rip', ripTarget: 'g_counter' });
    expect(b.staticallySafe).toBe(true);
    // not in the legal set: a run-time check
    const p: Policy = { ...policy, accesses: [{ ...a, legal: { ...a.legal, globals: [] } }] };
    expect(mapFixture(p).accesses[0]!.binary![0]!.staticallySafe).toBeUndefined();
  });

  it('resolves a section-relative target to the static variable it lands in', (_ctx) => {
    const a = policy.accesses.find((x) => x.function === 'bump_static')!;
    expect(a.legal.globals.some((g) => g.endsWith('::s_counter'))).toBe(true);
    const b = mapFixture().accesses.find((x) => x.function === 'bump_static')!.binary![0]!;
    expect(b.operand).toMatchObject({ base: 'rip', width: 4 });
    expect(b.operand!.ripTarget).toMatch(/^(\.bss\+0x[0-9a-f]+|s_counter\+0x8)$/);
    expect(b.staticallySafe).toBe(true);
    const o = new ObjectIndex({ path: 'fixture.o', elf: readElf(readFileSync(path), path) });
    try {
      expect(o.resolveTarget(b.operand!.ripTarget!)).toEqual({ name: 's_counter', offset: 8, size: 16 });
    } finally {
      o.dispose();
    }
  });

  it('marks a constant-offset stack write statically safe', (_ctx) => {
    const b = access(mapFixture(), 'on_stack', 19).binary![0]!;
    expect(b.operand).toMatchObject({ base: 'rsp', width: 4 });
    expect(b.operand!.index).toBeUndefined();
    expect(b.staticallySafe).toBe(true);
  });

  it('maps an inlined memset to every write it became', (_ctx) => {
    const a = access(mapFixture(), 'clear', 23);
    expect(a.op).toBe('memset');
    expect(a.binary!.length).toBeGreaterThanOrEqual(1);
    expect(a.binary!.every((b) => b.confidence !== 'unmapped' && b.operand?.base === 'rdi')).toBe(true);
    expect(a.binary!.reduce((n, b) => n + b.operand!.width, 0)).toBe(32);
  });

  it('finds inline asm that has no row of its own inside its inlined instance', (_ctx) => {
    // the kernel's LOCK_PREFIX (.pushsection .smp_locks) leaves the asm under the row of the call before it
    const a = mapFixture().accesses.find((x) => x.function === 'bump_after_call' && x.op === 'call' && x.callee === 'asm')!;
    expect(a.location.map((f) => f.function)).toEqual(['my_inc', 'bump_after_call']);
    expect(a.binary).toHaveLength(1);
    expect(a.binary![0]).toMatchObject({ symbol: 'bump_after_call', confidence: 'exact', operand: { base: 'rbx', width: 4 } });
    expect(a.binary![0]!.reason).toMatch(/without a row of its own/);
  });

  it.for(['copy_n', 'copy_tail'])('maps a memcpy left as a call (%s: call, tail call) to it, without an operand', (fn, _ctx) => {
    const a = mapFixture().accesses.find((x) => x.function === fn && x.op === 'memcpy')!;
    expect(a.binary).toHaveLength(1);
    const b = a.binary![0]!;
    expect(b).toMatchObject({ symbol: fn, confidence: 'exact' });
    expect(b.operand).toBeUndefined();
    expect(b.reason).toMatch(fn === 'copy_n' ? /a call: the callee performs the write/ : /a jmp: the callee performs the write/);
    expect(b.staticallySafe).toBeUndefined();
  });

  it('keeps every copy of an unrolled store as an ambiguous site needing a check', (_ctx) => {
    const a = mapFixture().accesses.find((x) => x.function === 'fill' && x.op === 'store')!;
    expect(a.binary!.length).toBeGreaterThan(1);
    for (const b of a.binary!) {
      expect(b).toMatchObject({ symbol: 'fill', confidence: 'ambiguous', operand: { width: 8 } });
      expect(b.operand!.index).toBeDefined();
      expect(b.staticallySafe).toBeUndefined();
    }
    expect(new Set(a.binary!.map((b) => b.offset)).size).toBe(a.binary!.length);
  });

  it('detects a frame pointer only where the prologue keeps one', async (_ctx) => {
    const fp = await build(['-fno-omit-frame-pointer'], 'fp');
    const withFp = new ObjectIndex({ path: 'fp.o', elf: readElf(readFileSync(fp.obj), fp.obj) });
    const without = new ObjectIndex({ path: 'fixture.o', elf: readElf(readFileSync(path), path) });
    try {
      expect(withFp.keepsFramePointer(withFp.symbolsNamed('on_stack')[0]!)).toBe(true);
      expect(without.keepsFramePointer(without.symbolsNamed('on_stack')[0]!)).toBe(false);
    } finally {
      withFp.dispose();
      without.dispose();
    }
    const a = access(policy, 'set_fields', 5);
    const w: MemoryWrite = {
      operand: { base: 'rbp', scale: 1, displacement: -8, width: 8 },
      kind: 'explicit',
      access: 'write',
      repCount: undefined,
      elementWidth: 8,
      locked: false,
      displacementTarget: undefined,
    };
    expect(staticSafety(w.operand, w, a, true)).toBe('rbp');
    expect(staticSafety(w.operand, w, a, false)).toBeUndefined();
    const indexed = { ...w.operand, base: 'rsp', index: 'rax' };
    expect(staticSafety(indexed, { ...w, operand: indexed }, a, true)).toBeUndefined();
    const gs = { ...w.operand, base: 'rsp', segment: 'gs' };
    expect(staticSafety(gs, { ...w, operand: gs }, a, true)).toBeUndefined();
  });
});

describe('the callee of a direct call', () => {
  it("is the relocation's symbol in an object and the target's symbol once ld.lld links it", async () => {
    const LLD = process.env['LLD'] ?? 'ld.lld-19';
    if (!(await haveTool(LLD))) throw new Error(`${LLD} is missing: run scripts/setup.sh`);
    // the fixture's copy_n calls memcpy; stubs define memcpy and consume so the image links
    const stubs = join(dir, 'stubs.c');
    writeFileSync(
      stubs,
      'void *memcpy(void *d, const void *s, unsigned long n) { (void)s; (void)n; return d; }\nvoid consume(int *p) { (void)p; }\n',
    );
    execFileSync(CLANG, ['-O2', '-c', '-fno-pic', '-fno-builtin', stubs, '-o', join(dir, 'stubs.o')]);
    const linked = join(dir, 'linked.elf');
    execFileSync(LLD, ['-static', '-e', 'copy_n', path, join(dir, 'stubs.o'), '-o', linked]);
    const calleesOf = (file: string): string[] => {
      const elf = readElf(readFileSync(file), file);
      const o = new ObjectIndex({ path: file, elf });
      const sym = elf.symbols.find((x) => x.name === 'copy_n')!;
      const d = new CodeDecoder(elf);
      try {
        return d
          .decodeSymbol(sym)
          .instructions.filter((i) => i.mnemonic === 'call' || i.mnemonic === 'jmp')
          .map((i) => o.directCallee(elf.sections[sym.sectionIndex]!, i) ?? '?');
      } finally {
        d.dispose();
      }
    };
    const inObject = calleesOf(path);
    expect(inObject).toContain('memcpy');
    expect(calleesOf(linked)).toEqual(inObject);
  });
});

describe('mapper helpers', () => {
  it('splits relocation targets', () => {
    expect(parseTarget('g+0x10')).toEqual({ name: 'g', addend: 16 });
    expect(parseTarget('.bss-0x8')).toEqual({ name: '.bss', addend: -8 });
    expect(parseTarget('sym')).toEqual({ name: 'sym', addend: 0 });
  });

  it('matches inline chains frame by frame', () => {
    const scope = (name: string, callLine?: number, callColumn?: number, callFile?: string) =>
      ({ name, linkageName: undefined, callLine, callColumn, callFile }) as unknown as InlineChain['subprogram'];
    const chain = {
      subprogram: scope('outer'),
      frames: [scope('leaf', 20, 3, '/x/a.c'), scope('mid', 10, 5, '/x/b.c')],
    } as unknown as InlineChain;
    const loc = [
      { file: 'include/leaf.h', line: 7, column: 2, function: 'leaf' },
      { file: 'a.c', line: 20, column: 3, function: 'mid' },
      { file: 'b.c', line: 10, column: 5, function: 'outer' },
    ];
    expect(chainMatches(chain, loc)).toBe(true);
    expect(chainMatches(chain, loc.slice(1))).toBe(false);
    expect(
      chainMatches(
        chain,
        loc.map((f, i) => (i === 1 ? { ...f, column: 4 } : f)),
      ),
    ).toBe(false);
    expect(
      chainMatches(
        chain,
        loc.map((f, i) => (i === 2 ? { ...f, file: 'c.c' } : f)),
      ),
    ).toBe(false);
    expect(
      chainMatches(
        chain,
        loc.map((f, i) => (i === 0 ? { ...f, function: 'other' } : f)),
      ),
    ).toBe(false);
    expect(
      chainMatches(
        chain,
        loc.map((f, i) => (i === 2 ? { ...f, function: 'other' } : f)),
      ),
    ).toBe(false);
  });
});

const ROUTE_LL = join(ipv6ObjectDir(), 'route.ll');
const haveCorpus = existsSync(ROUTE_LL);

describe('mapSitesToAddresses on net/ipv6', () => {
  it('maps the route.ll policy to instruction boundaries writing memory of a compatible width', async (_ctx) => {
    if (!haveCorpus) throw new Error(`corpus missing: ${ROUTE_LL} (shared/ must sit beside the repo)`);
    const { policy: p } = await analyze([ROUTE_LL], [], { sourcePrefixes: ['net/ipv6/'] });
    const dirPath = ipv6ObjectDir();
    const objects = readdirSync(dirPath)
      .filter((f) => f.endsWith('.o'))
      .map((f) => ({ path: f, elf: readElf(readFileSync(join(dirPath, f)), f) }));
    const { policy: m, stats } = mapSitesToAddresses(p, objects);
    expect(stats.accesses).toBe(p.accesses.length);
    expect(stats.mapped / stats.accesses).toBeGreaterThan(0.9);
    expect(stats.staticallySafeSites).toBeGreaterThan(0);
    const byPath = new Map(objects.map((o) => [o.path, o.elf]));
    const decoders = new Map<string, CodeDecoder>();
    let checked = 0;
    try {
      for (const a of m.accesses) {
        for (const b of a.binary ?? []) {
          if (b.confidence === 'unmapped') continue;
          expect(b.object).toBe('route.o');
          const elf = byPath.get(b.object)!;
          let d = decoders.get(b.object);
          if (d === undefined) decoders.set(b.object, (d = new CodeDecoder(elf)));
          const sym = elf.symbols.find((s) => s.name === b.symbol && elf.sections[s.sectionIndex]?.name === b.section)!;
          expect(b.offset).toBeLessThan(sym.size);
          const insn = d.decodeSymbol(sym).instructions.find((i) => i.offset === sym.sectionOffset! + b.offset);
          expect(insn, `${a.id} → ${b.symbol}+${b.offset}`).toBeDefined();
          if (b.operand === undefined)
            expect(['call', 'jmp']).toContain(insn!.mnemonic); // the callee writes
          else expect(insn!.writes.some((w) => widthCompatible(a, w) && w.operand.width === b.operand!.width)).toBe(true);
          checked++;
        }
      }
    } finally {
      for (const d of decoders.values()) d.dispose();
    }
    expect(checked).toBe(stats.sites);
  }, 60_000);

  it('maps a memcpy the optimizer merged to line 0 to the one call of memcpy without a row of its own', async (_ctx) => {
    if (!haveCorpus) throw new Error(`corpus missing: ${ROUTE_LL} (shared/ must sit beside the repo)`);
    // addrconf.c:7262-7271 in addrconf_init_net: `memcpy(dflt, …)` of two branches, one IR call at line 0
    const dirPath = ipv6ObjectDir();
    const { policy: p } = await analyze([join(dirPath, 'addrconf.ll')], [], { sourcePrefixes: ['net/ipv6/'] });
    const merged = p.accesses.filter((a) => a.function === 'addrconf_init_net' && a.op === 'memcpy' && a.location[0]?.line === 0);
    expect(merged.length).toBe(1);
    const elf = readElf(readFileSync(join(dirPath, 'addrconf.o')), 'addrconf.o');
    // (orphans off: with the other calls' accesses left out, their calls are unclaimed and would go to this one)
    const { policy: m } = mapSitesToAddresses({ ...p, accesses: merged }, [{ path: 'addrconf.o', elf }], { orphans: 'none' });
    const [site, ...rest] = m.accesses[0]!.binary ?? [];
    expect(rest).toEqual([]);
    expect(site).toMatchObject({ symbol: 'addrconf_init_net', confidence: 'exact', call: true });
    // the oracle: the relocation at that call's displacement names memcpy (objdump -dr says the same)
    const sym = elf.symbols.find((s) => s.name === 'addrconf_init_net')!;
    const d = new CodeDecoder(elf);
    try {
      const insn = d.decodeSymbol(sym).instructions.find((i) => i.offset === sym.sectionOffset! + site!.offset)!;
      expect(insn.mnemonic).toBe('call');
      expect(new ObjectIndex({ path: 'addrconf.o', elf }).directCallee(elf.sections[sym.sectionIndex]!, insn)).toBe('memcpy');
    } finally {
      d.dispose();
    }
  }, 60_000);

  it('checks a writer call whose row is lost at the calls of its routine that no access claims', async (_ctx) => {
    if (!haveCorpus) throw new Error(`corpus missing: ${ROUTE_LL} (shared/ must sit beside the repo)`);
    // the same merged memcpy, its location made one no row has (as when the line table loses a
    // call the backend merged across inlined instances): the one unclaimed call of memcpy takes it
    const dirPath = ipv6ObjectDir();
    const { policy: p } = await analyze([join(dirPath, 'addrconf.ll')], [], { sourcePrefixes: ['net/ipv6/'] });
    const fn = p.accesses.filter((a) => a.function === 'addrconf_init_net');
    const lost = fn.map((a) =>
      a.op === 'memcpy' && a.location[0]?.line === 0 ? { ...a, location: [{ ...a.location[0]!, line: 99999 }] } : a,
    );
    const elf = readElf(readFileSync(join(dirPath, 'addrconf.o')), 'addrconf.o');
    const without = mapSitesToAddresses({ ...p, accesses: lost }, [{ path: 'addrconf.o', elf }], { orphans: 'none' });
    const target = (m: Policy) => m.accesses.find((a) => a.op === 'memcpy' && a.location[0]?.line === 99999)!;
    expect(target(without.policy).binary?.[0]?.confidence).toBe('unmapped');
    const { policy: m, stats } = mapSitesToAddresses({ ...p, accesses: lost }, [{ path: 'addrconf.o', elf }]);
    expect(target(m).binary).toMatchObject([{ symbol: 'addrconf_init_net', offset: 0x162, call: true, confidence: 'ambiguous' }]);
    expect(stats.writerCalls).toEqual({ accesses: 1, wereUnmapped: 1 });
    expect(stats.orphans!.unclaimedWriterCalls).toEqual([]);
  }, 60_000);

  it.for<[string, number, number, boolean]>([
    ['route.ll', 0.99, 0.98, false],
    ['addrlabel.ll', 0.99, 0.97, false],
    ['route.ll', 0.99, 0.98, true],
  ])(
    'debugify ground truth on %s (further inlining: %s): precision and recall floors',
    { timeout: 60_000 },
    async ([file, minPrecision, minRecall, inline]) => {
      if (!haveCorpus) throw new Error(`corpus missing: ${ROUTE_LL} (shared/ must sit beside the repo)`);
      for (const tool of ['opt-19', 'llc-19']) if (!(await haveTool(tool))) throw new Error(`${tool} is missing: run scripts/setup.sh`);
      const cache = mkdtempSync(join(tmpdir(), 'kcompart-debugify-'));
      try {
        const { ll, obj } = debugify(join(ipv6ObjectDir(), file), cache, inline);
        const s = scoreDebugified(ll, obj);
        expect(s.stores).toBeGreaterThan(40);
        if (inline) expect(s.inlined).toBeGreaterThan(10);
        expect(s.correct / s.mapped).toBeGreaterThanOrEqual(minPrecision);
        expect(s.correct / s.truth).toBeGreaterThanOrEqual(minRecall);
        // the line-table truth counts spills under a store's row as true: bound them independently
        expect(s.spillSuspects / s.mapped).toBeLessThanOrEqual(0.01);
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    },
  );
});
