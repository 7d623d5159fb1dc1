// Tests the allocation-site → probe-point mapping (src/binary/alloc-probes.ts):
// on a clang fixture, a plain call of the allocator (exact, the instruction
// after the call), a call of a static wrapper of the same section (no
// relocation: resolved through the symbol table), a tail call (`jmp`:
// unmapped, tail-call), and sites edited to name another allocator, a line
// without rows or a caller no object defines; on the corpus (net/ipv6 with
// net/core as context), every site of a module among the objects gets a probe,
// and — the oracle — llvm-objdump's disassembly of each probed object says the
// instruction ending at the probe's offset is a call whose relocation (or,
// without one, whose target) names the site's allocator.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/index.js';
import { bareName, mapAllocationSites, mapSitesToAddresses, readElf } from '../../src/binary/index.js';
import type { AllocationSite, Policy } from '../../src/policy/schema.js';
import { PolicySchema } from '../../src/policy/schema.js';
import { haveTool, ipv6ObjectDir, run } from './support/llvm.js';

const CLANG = process.env['CLANG'] ?? 'clang-19';
const OBJDUMP = process.env['LLVM_OBJDUMP'] ?? 'llvm-objdump-19';

const SOURCE = `typedef unsigned long size_t;
typedef unsigned int gfp_t;
void *__kmalloc(size_t size, gfp_t flags);
void consume(void *p);
struct obj { int a; long b; };
void *tail_alloc(size_t n) {
  return __kmalloc(n, 0xcc0);
}
struct obj *plain_alloc(void) {
  struct obj *o = __kmalloc(sizeof(*o), 0xcc0);
  if (o)
    o->a = 1;
  return o;
}
static __attribute__((noinline)) struct obj *wrap(size_t n) {
  struct obj *o = __kmalloc(n, 0xcc0);
  consume(o);
  return o;
}
struct obj *use_wrap(void) {
  struct obj *o = wrap(sizeof(*o));
  if (o)
    o->b = 2;
  return o;
}
`;

/** One instruction of llvm-objdump -d -r: its section offset, text and the relocations printed under it. */
interface DumpInsn {
  readonly address: number;
  readonly text: string;
  readonly relocs: string[];
}

/** Parses `llvm-objdump -d -r --no-show-raw-insn`: instructions by section, function starts by section and name. */
function parseObjdump(text: string): { insns: Map<string, DumpInsn[]>; functions: Map<string, number> } {
  const insns = new Map<string, DumpInsn[]>();
  const functions = new Map<string, number>();
  let section = '';
  let list: DumpInsn[] = [];
  for (const line of text.split('\n')) {
    let m = /^Disassembly of section (\S+):$/.exec(line);
    if (m) {
      section = m[1]!;
      insns.set(section, (list = []));
      continue;
    }
    m = /^([0-9a-f]{16}) <(.+)>:$/.exec(line);
    if (m) {
      functions.set(`${section}\0${m[2]}`, parseInt(m[1]!, 16));
      continue;
    }
    m = /^\s+[0-9a-f]{16}:\s+(R_X86_64_\w+)\s+(\S+)$/.exec(line);
    if (m) {
      list[list.length - 1]?.relocs.push(`${m[1]} ${m[2]}`);
      continue;
    }
    m = /^\s+([0-9a-f]+):\s+(\S.*)$/.exec(line);
    if (m) list.push({ address: parseInt(m[1]!, 16), text: m[2]!.trim(), relocs: [] });
  }
  return { insns, functions };
}

/** The function a call reaches per objdump: its relocation's symbol (addend dropped), else its `<target>` annotation. */
function dumpCallee(insn: DumpInsn): string | undefined {
  const r = insn.relocs.find((x) => /^R_X86_64_(PLT32|PC32) /.test(x));
  if (r !== undefined) return r.split(' ')[1]!.replace(/[-+]0x[0-9a-f]+$/, '');
  const m = /<([^>+]+)>\s*$/.exec(insn.text);
  return m?.[1];
}

let dir = '';
let policy: Policy;
let objPath = '';

beforeAll(async () => {
  if (!(await haveTool(CLANG))) throw new Error(`${CLANG} is missing: run scripts/setup.sh`);
  dir = mkdtempSync(join(tmpdir(), 'kcompart-alloc-probes-'));
  writeFileSync(join(dir, 'fixture.c'), SOURCE);
  const ll = join(dir, 'fixture.ll');
  objPath = join(dir, 'fixture.o');
  execFileSync(CLANG, ['-O2', '-g', '-S', '-emit-llvm', '-fno-pic', join(dir, 'fixture.c'), '-o', ll]);
  execFileSync(CLANG, ['-O2', '-c', '-fno-pic', ll, '-o', objPath]);
  policy = (await analyze([ll], [])).policy;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function mapFixture(sites: readonly AllocationSite[] = policy.allocationSites) {
  return mapAllocationSites({ allocationSites: [...sites] }, [{ path: 'fixture.o', elf: readElf(readFileSync(objPath), objPath) }]);
}

function siteOf(caller: string): AllocationSite {
  const s = policy.allocationSites.find((x) => x.caller === caller);
  if (s === undefined) throw new Error(`no allocation site in ${caller}`);
  return s;
}

describe('mapAllocationSites on a clang fixture', () => {
  it('probes the instruction after a plain call of the allocator', async () => {
    const { allocationSites } = mapFixture([siteOf('plain_alloc')]);
    const [p] = allocationSites[0]!.probes!;
    expect(p).toMatchObject({ object: 'fixture.o', symbol: 'plain_alloc', section: '.text', confidence: 'exact' });
    expect(p!.offset - p!.callOffset).toBe(5); // call rel32
    expect(p!.reason).toBeUndefined();
  });

  it('resolves a call of a static wrapper in the same section through the symbol table (no relocation)', () => {
    const site = siteOf('use_wrap');
    expect(site.allocator).toBe('wrap');
    const { allocationSites, stats } = mapFixture([site]);
    expect(allocationSites[0]!.probes).toHaveLength(1);
    expect(allocationSites[0]!.probes![0]).toMatchObject({ symbol: 'use_wrap', confidence: 'exact' });
    expect(stats).toMatchObject({ sites: 1, exact: 1, probes: 1 });
  });

  it("leaves a tail call unmapped (tail-call) with the jmp's offset", () => {
    const { allocationSites, stats } = mapFixture([siteOf('tail_alloc')]);
    const [p] = allocationSites[0]!.probes!;
    expect(p).toMatchObject({ symbol: 'tail_alloc', confidence: 'unmapped', reason: 'tail-call', offset: 0 });
    expect(p!.callOffset).toBeGreaterThan(0);
    expect(stats.unmappedReasons['tail-call']).toBe(1);
  });

  it('says why when the allocator is not called there, the line has no rows or no object defines the caller', () => {
    const s = siteOf('plain_alloc');
    const edited: AllocationSite[] = [
      { ...s, id: 'other', allocator: 'kmem_cache_alloc' },
      { ...s, id: 'norows', location: [{ ...s.location[0]!, line: 999 }] },
      { ...s, id: 'nosym', caller: 'not_here', location: [{ ...s.location[0]!, function: 'not_here' }] },
      { ...s, id: 'noloc', location: [] },
    ];
    const { allocationSites, stats } = mapFixture(edited);
    expect(allocationSites.map((x) => x.probes![0]!.reason)).toEqual(['no-call-to-allocator', 'no-rows', 'no-symbol', 'no-location']);
    expect(stats).toMatchObject({ sites: 4, exact: 0, ambiguous: 0, unmapped: 4, probes: 0 });
  });

  it('fills probes through mapSitesToAddresses, in a policy that still validates', () => {
    const { policy: m, stats } = mapSitesToAddresses(policy, [{ path: 'fixture.o', elf: readElf(readFileSync(objPath), objPath) }]);
    expect(m.allocationSites.every((s) => (s.probes?.length ?? 0) > 0)).toBe(true);
    expect(stats.allocations).toMatchObject({ sites: policy.allocationSites.length, exact: 3, unmapped: 1 });
    expect(() => PolicySchema.parse(m)).not.toThrow();
  });

  it('compares bare names', () => {
    expect(bareName('ip6addrlbl_alloc.constprop.0')).toBe('ip6addrlbl_alloc');
    expect(bareName('__kmalloc')).toBe('__kmalloc');
  });
});

const IPV6 = ipv6ObjectDir();
const CORE = join(IPV6, '..', 'core');
const haveCorpus = existsSync(join(IPV6, 'route.ll'));

describe('mapAllocationSites on net/ipv6', () => {
  it('probes nearly every site of the mapped objects, each after a call of its allocator (llvm-objdump oracle)', async () => {
    if (!haveCorpus) throw new Error(`corpus missing: ${IPV6} (shared/ must sit beside the repo)`);
    if (!(await haveTool(OBJDUMP))) throw new Error(`${OBJDUMP} is missing: run scripts/setup.sh`);
    const lls = (d: string) =>
      existsSync(d)
        ? readdirSync(d)
            .filter((f) => f.endsWith('.ll'))
            .sort()
            .map((f) => join(d, f))
        : [];
    const { policy: p } = await analyze(lls(IPV6), lls(CORE), { sourcePrefixes: ['net/ipv6/'] });
    const objects = readdirSync(IPV6)
      .filter((f) => f.endsWith('.o'))
      .map((f) => ({ path: f, elf: readElf(readFileSync(join(IPV6, f)), f) }));
    const { allocationSites, stats } = mapAllocationSites(p, objects);
    const modules = new Set(objects.map((o) => o.path.replace(/\.o$/, '')));
    const inObjects = allocationSites.filter((s) => modules.has(s.module.replace(/^.*\//, '').replace(/\.c$/, '')));
    const probed = inObjects.filter((s) => s.probes!.some((x) => x.confidence !== 'unmapped'));
    expect(inObjects.length).toBeGreaterThan(50);
    expect(probed.length / inObjects.length).toBeGreaterThan(0.9);
    expect(stats.sites).toBe(p.allocationSites.length);
    expect(stats.exact + stats.ambiguous + stats.unmapped).toBe(stats.sites);
    // sites outside the objects have no symbol
    for (const s of allocationSites) if (!inObjects.includes(s)) expect(s.probes![0]!.reason).toBe('no-symbol');

    const byObject = new Map<string, { site: AllocationSite; probe: NonNullable<AllocationSite['probes']>[number] }[]>();
    for (const site of allocationSites)
      for (const probe of site.probes!) {
        if (probe.confidence === 'unmapped') continue;
        let l = byObject.get(probe.object);
        if (l === undefined) byObject.set(probe.object, (l = []));
        l.push({ site, probe });
      }
    let checked = 0;
    for (const [object, list] of byObject) {
      const { insns, functions } = parseObjdump(await run(OBJDUMP, ['-d', '-r', '--no-show-raw-insn', join(IPV6, object)]));
      for (const { site, probe } of list) {
        const what = `${site.id} → ${probe.symbol}+0x${probe.offset.toString(16)}`;
        const start = functions.get(`${probe.section}\0${probe.symbol}`);
        expect(start, what).toBeDefined();
        const code = insns.get(probe.section)!;
        const i = code.findIndex((x) => x.address === start! + probe.callOffset);
        expect(i, what).toBeGreaterThanOrEqual(0);
        const call = code[i]!;
        // the instruction ending at `offset` is the call: the next one starts there
        expect(code[i + 1]?.address, what).toBe(start! + probe.offset);
        expect(call.text, what).toMatch(/^call/);
        expect(bareName(dumpCallee(call) ?? ''), what).toBe(bareName(site.allocator));
        checked++;
      }
    }
    expect(checked).toBe(stats.probes);
    console.log(`alloc probes: ${JSON.stringify(stats)}; ${inObjects.length} sites in the objects, ${probed.length} probed`);
  }, 120_000);
});
