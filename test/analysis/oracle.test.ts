// Issue 14: allocation-site types against an independent source-level oracle.
// scripts/alloc-oracle.py parses the kernel C source (Debian linux-source-6.1,
// the source of the corpus) with libclang and, at each site's call as written
// (file:line:col), finds the expression the result is assigned to and its
// declared type. Verdicts are produced here, in the test run; nothing is
// committed. A site is judged when the call there is an allocation call
// (callee named like an allocator: not `skb_tunnel_info_unclone(…)`, an inline
// helper that allocates deep inside a header). Also: every site's size is what
// its allocator receives (no gfp or enum argument taken as a size).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/index.js';
import { allocatorTable } from '../../src/analysis/allocators.js';
import { writtenCallFrame } from '../../src/analysis/sites.js';
import type { Policy } from '../../src/policy/schema.js';

const root = join(import.meta.dirname, '../..');
const corpus = join(root, '../shared/corpus/linux-6.1');
const TARBALL = '/usr/src/linux-source-6.1.tar.xz';
const KSRC = join(root, '.cache/ksrc');
const ls = (d: string) =>
  readdirSync(join(corpus, 'net', d))
    .filter((f) => f.endsWith('.ll'))
    .sort()
    .map((f) => join(corpus, 'net', d, f));
const haveOracle = existsSync(TARBALL) && spawnSync('/usr/bin/python3', ['-c', 'import clang.cindex']).status === 0 && existsSync(corpus);
const ALLOCATING = /alloc|dup|kmalloc|kzalloc|kcalloc|kvmalloc|kvzalloc|get_free_page|get_zeroed_page|renew|kmemdup|vmalloc|vzalloc/;

interface Verdict {
  id: string;
  verdict: 'record' | 'buffer' | 'array' | 'unknown';
  type: string;
  via: string;
  callee?: string;
  text: string;
  /** For an array allocator's call: the element size its size argument spells. */
  elementSize?: number;
}

let policy: Policy;
let verdicts: Verdict[] = [];
beforeAll(async () => {
  ({ policy } = await analyze(ls('ipv6'), ls('core'), { sourcePrefixes: ['net/ipv6/'] }));
  if (!haveOracle) return;
  // the kernel source and the generated headers of the corpus kernel, extracted once into .cache
  if (!existsSync(join(KSRC, 'linux-source-6.1/net/core'))) {
    mkdirSync(KSRC, { recursive: true });
    execFileSync(
      'tar',
      [
        'xJf',
        TARBALL,
        '--wildcards',
        'linux-source-6.1/include/*',
        'linux-source-6.1/arch/x86/include/*',
        'linux-source-6.1/net/ipv6/*',
        'linux-source-6.1/net/core/*',
      ],
      { cwd: KSRC },
    );
  }
  if (!existsSync(join(KSRC, 'linux-headers-6.1/include/generated'))) {
    execFileSync(
      'tar',
      [
        'xJf',
        join(corpus, 'kernel/linux-headers-6.1.tar.xz'),
        '--wildcards',
        'linux-headers-6.1/include/generated/*',
        'linux-headers-6.1/arch/x86/include/generated/*',
      ],
      { cwd: KSRC },
    );
  }
  const input = policy.allocationSites.flatMap((s) => {
    const w = writtenCallFrame(s.location);
    const file = w?.file.split('linux-source-6.1/')[1];
    return w && file && !file.includes('include/') ? [{ id: s.id, file, line: w.line, column: w.column }] : [];
  });
  const out = execFileSync(
    '/usr/bin/python3',
    [join(root, 'scripts/alloc-oracle.py'), '--src', join(KSRC, 'linux-source-6.1'), '--gen', join(KSRC, 'linux-headers-6.1')],
    { input: JSON.stringify(input), maxBuffer: 64 << 20 },
  );
  verdicts = JSON.parse(out.toString()) as Verdict[];
}, 600_000);

describe.runIf(haveOracle)('allocation-site types against the libclang oracle', () => {
  it('struct-typed sites are right on net/ipv6 and on net/core (≥ 98 % each, ≥ 60 sites), typeless buffers 100 %', () => {
    const byId = new Map(policy.allocationSites.map((s) => [s.id, s]));
    const tally = new Map<string, { right: number; all: number; wrong: string[] }>();
    const note = (k: string, ok: boolean, why: string) => {
      const t = tally.get(k) ?? { right: 0, all: 0, wrong: [] };
      t.all++;
      if (ok) t.right++;
      else t.wrong.push(why);
      tally.set(k, t);
    };
    for (const v of verdicts) {
      const s = byId.get(v.id);
      if (!s || !v.callee || !ALLOCATING.test(v.callee)) continue;
      const sub = v.id.includes('net/ipv6/') ? 'ipv6' : 'core';
      const got = `${s.type.name} (${s.type.kind}${s.type.header ? `, header ${s.type.header}` : ''})`;
      const why = `${v.id}: C says ${v.verdict} ${v.type} via ${v.via} — \`${v.text}\`; analysis says ${got}`;
      if (v.verdict === 'record')
        note(`${sub} struct`, (s.type.kind === 'struct' || s.type.kind === 'union') && s.type.name === v.type, why);
      else if (v.verdict === 'buffer') note(`${sub} buffer`, s.type.kind === 'buffer', why);
      else if (v.verdict === 'array') note(`${sub} array`, s.type.kind === 'array' && s.type.name === v.type, why);
    }
    const figures = Object.fromEntries([...tally].map(([k, t]) => [k, `${t.right}/${t.all}`]));
    console.log('oracle:', JSON.stringify(figures));
    for (const [k, t] of tally) if (t.wrong.length) console.log(`${k} wrong:\n  ${t.wrong.join('\n  ')}`);
    for (const sub of ['ipv6', 'core']) {
      const t = tally.get(`${sub} struct`)!;
      expect(t.all).toBeGreaterThanOrEqual(60);
      expect(t.right / t.all, `${sub}: ${t.wrong.join('; ')}`).toBeGreaterThanOrEqual(0.98);
      const b = tally.get(`${sub} buffer`);
      if (b) expect(b.wrong).toEqual([]);
    }
  });
});

describe.runIf(haveOracle)('array sizes against the libclang oracle', () => {
  it("an array allocator's run-time size is a multiple of the element size its call spells (kmalloc_array, kcalloc…)", () => {
    const byId = new Map(policy.allocationSites.map((s) => [s.id, s]));
    let runTime = 0;
    let constant = 0;
    let sizeless = 0;
    for (const v of verdicts) {
      const s = byId.get(v.id);
      if (!s || !v.elementSize) continue;
      if (!s.size) {
        sizeless++;
        continue;
      }
      const why = `${v.id}: \`${v.text}\` spells ${v.elementSize}-byte elements; size ${JSON.stringify(s.size)}`;
      if ('constant' in s.size) {
        expect(s.size.constant % v.elementSize, why).toBe(0);
        constant++;
      } else {
        expect(s.size.multipleOf, why).toBeDefined();
        expect(s.size.multipleOf! % v.elementSize, why).toBe(0);
        runTime++;
      }
    }
    console.log(`array sizes: ${runTime} run-time and ${constant} constant sizes judged, ${sizeless} sites without a size`);
    expect(runTime).toBeGreaterThanOrEqual(5);
  });
});

describe.runIf(existsSync(corpus))('allocation sizes are what the allocator receives', () => {
  it("a table allocator's constant size is its size argument (times the count)", () => {
    const table = allocatorTable();
    for (const s of policy.allocationSites) {
      const a = table.get(s.allocator);
      if (!a || !s.size || !('constant' in s.size) || a.size === undefined) continue;
      // the gfp flags of the site are never its size (3264 = GFP_KERNEL, 2592 = GFP_ATOMIC)
      expect([0xcc0, 0xa20, 0x820, 0xdc0], s.id).not.toContain(s.size.constant);
    }
  });
  it("a wrapper's size comes through its parameters: fib6_info_alloc is 168 or 256 bytes, never its gfp", () => {
    const f = policy.allocationSites.filter((s) => s.allocator === 'fib6_info_alloc');
    expect(f.length).toBeGreaterThan(0);
    for (const s of f) {
      if (s.size && 'constant' in s.size) expect([168, 256], s.id).toContain(s.size.constant);
      else if (s.size) expect(s.size.expression).toBe('arg1 ? 256 : 168');
    }
  });
  it("no wrapper site has a constant size smaller than its inner allocation's struct", () => {
    const byCaller = new Map<string, typeof policy.allocationSites>();
    for (const s of policy.allocationSites) byCaller.set(s.caller, [...(byCaller.get(s.caller) ?? []), s]);
    const table = allocatorTable();
    let checked = 0;
    for (const s of policy.allocationSites) {
      if (table.has(s.allocator) || !s.size || !('constant' in s.size) || s.interior) continue;
      for (const inner of byCaller.get(s.allocator) ?? []) {
        if (inner.type.kind !== 'struct' || !inner.type.size || (inner.size && !('constant' in inner.size) && false)) continue;
        if (inner.type.name !== s.type.name) continue;
        expect(s.size.constant, `${s.id} (${s.type.name})`).toBeGreaterThanOrEqual(inner.type.size);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(3);
  });
});
