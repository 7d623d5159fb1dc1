// Tests the eBPF emitter (src/emit): the address expression of each operand
// form, which sites get a program and why the others do not, the seed JSON,
// the escaping of names (a hostile policy compiles, carries every name only as
// an escaped literal or comment that decodes back to the name, and has the
// same C shape as the same policy with plain names), clang diagnostics as
// data and the typed error, and the real pipeline: net/ipv6/addrlabel
// analyzed, mapped and emitted compiles with no warning.

import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BpfCompileError,
  KC,
  MAX_SITE_GLOBALS,
  SITE_FLAG,
  TEMPLATE_FILES,
  addressExpression,
  sectionName,
  cComment,
  cString,
  compileBpf,
  emitBpf,
  parseDiagnostics,
  REGION,
  unionLegal,
} from '../../src/emit/index.js';
import { emptyLegalSet } from '../../src/policy/index.js';
import { CLANG, corpusVmlinux } from './support/bpf.js';
import { HOSTILE, access, addrlabelPolicy, hostilePolicy, legal, namedPolicy, policyOf, site, smallPolicy } from './support/policies.js';
import type { Policy } from '../../src/policy/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'kcompart-emit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const outDir = () => join(tmp, `o${n++}`);

/** Splits C text into code, comments and string literals (enough C for generated files). */
function lexC(text: string): { code: string; strings: string[]; comments: string[] } {
  let code = '';
  const strings: string[] = [];
  const comments: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new Error('unterminated comment');
      comments.push(text.slice(i + 2, end));
      code += '/**/';
      i = end + 2;
    } else if (text[i] === '"') {
      let j = i + 1;
      while (text[j] !== '"') {
        if (j >= text.length || text[j] === '\n') throw new Error('unterminated string');
        j += text[j] === '\\' ? 2 : 1;
      }
      strings.push(text.slice(i + 1, j));
      code += '""';
      i = j + 1;
    } else {
      code += text[i];
      i++;
    }
  }
  return { code, strings, comments };
}

/** The bytes a C string literal body denotes (the escapes cString writes, plus the simple ones). */
function decodeLiteral(body: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== '\\') {
      out.push(body.charCodeAt(i));
      continue;
    }
    const oct = /^[0-7]{1,3}/.exec(body.slice(i + 1));
    if (oct) {
      out.push(parseInt(oct[0], 8));
      i += oct[0].length;
    } else {
      out.push(body.charCodeAt(i + 1));
      i++;
    }
  }
  return Buffer.from(out);
}

/** The text cComment escaped (\xNN back to bytes). */
function decodeComment(c: string): string {
  const out: number[] = [];
  for (let i = 0; i < c.length; i++) {
    const m = /^\\x([0-9a-f]{2})/.exec(c.slice(i));
    if (m) {
      out.push(parseInt(m[1]!, 16));
      i += 3;
    } else out.push(c.charCodeAt(i));
  }
  return Buffer.from(out).toString('utf8');
}

describe('escaping', () => {
  it('cString writes printable ASCII verbatim and every other byte as 3-digit octal', () => {
    expect(cString('ip6_output')).toBe('"ip6_output"');
    expect(cString('a"b\\c')).toBe('"a\\042b\\134c"');
    expect(cString('x\n1')).toBe('"x\\0121"');
    expect(cString('é')).toBe('"\\303\\251"');
    expect(cString('??=')).toBe('"\\077\\077="');
    for (const h of HOSTILE) expect(decodeLiteral(cString(h).slice(1, -1)).equals(Buffer.from(h, 'utf8'))).toBe(true);
  });
  it('cComment cannot end or nest a comment, splice a line or carry non-ASCII', () => {
    for (const h of HOSTILE) {
      const c = cComment(h);
      expect(c).not.toMatch(/\*|\\(?!x[0-9a-f]{2})|[^\x20-\x7e]/);
    }
    expect(cComment('a */ b')).toBe('a \\x2a/ b');
  });
});

describe('unionLegal (two accesses on one machine site)', () => {
  it('keeps "any per-cpu memory" unbounded beside a set that names per-cpu variables', () => {
    const anyPercpu = emptyLegalSet({ percpu: true });
    const named = emptyLegalSet({ percpu: true, percpuGlobals: ['v'] });
    const u = unionLegal(anyPercpu, named);
    expect(u.percpu).toBe(true);
    expect(u.percpuGlobals).toBeUndefined();
    expect(u.percpuAreas).toBeUndefined();
  });
});

describe('emitBpf on a small mapped policy', () => {
  const r = emitBpf(smallPolicy(), { name: 'small', sitePrograms: 'per-site' });
  const c = r.files.find((f) => f.name === 'small.bpf.c')!.content;

  it('makes one program per site that needs a run-time check, and says why the others have none', () => {
    expect(r.stats.programs).toBe(4);
    expect(r.stats.binarySites).toBe(10);
    expect(r.stats.skipped).toEqual({
      'statically-safe': 1,
      unmapped: 1,
      'no-operand': 1,
      'rip-relative': 2,
      'legal-any': 1,
      'unsupported-register': 0,
      'init-text': 0,
    });
    expect(r.stats.ripResolved).toEqual({ legal: 1, outside: 0, gsLegal: 1, gsOutside: 0 });
    expect(r.sites.map((s) => s.program)).toEqual(['kc_site_0', 'kc_site_1', 'kc_site_2', 'kc_site_3']);
    expect(r.files.map((f) => f.name).sort()).toEqual(
      ['small.bpf.c', 'small.seed.h', 'small.seed.json', 'unchecked.txt', ...TEMPLATE_FILES].sort(),
    );
    expect([...TEMPLATE_FILES].sort()).toEqual([
      'attach.c',
      'checker.bpf.h',
      'fns.c',
      'globals.c',
      'icall.bpf.h',
      'icalls.c',
      'icalls.h',
      'kallsyms.c',
      'kcicall.h',
      'kcompart.h',
      'loader.h',
      'main.c',
      'maps.bpf.h',
      'maps.c',
      'matrix.c',
      'place.c',
      'report.c',
      'seed.c',
      'site.bpf.h',
      'track.bpf.h',
    ]);
  });

  it('counts an unmapped write into a fixed slot of its own frame as statically safe, not unchecked', () => {
    const p = smallPolicy();
    const lost = p.accesses.find((a) => a.binary?.some((b) => b.confidence === 'unmapped'))!;
    lost.frameSlot = true;
    const framed = emitBpf(p, { name: 'small', sitePrograms: 'per-site' });
    expect(framed.stats.skipped.unmapped).toBe(r.stats.skipped.unmapped - 1);
    expect(framed.stats.skipped['statically-safe']).toBe(r.stats.skipped['statically-safe'] + 1);
    expect(framed.unchecked.unmapped).toBe(r.unchecked.unmapped - 1);
  });

  it('gives a site in .init.text no program (freed before a policy can load) and counts it', () => {
    const p = smallPolicy();
    const site = r.sites[0]!;
    const access = p.accesses.find((a) => a.id === site.access)!;
    for (const b of access.binary ?? []) if (b.symbol === site.symbol && b.offset === site.offset) b.section = '.init.text';
    const init = emitBpf(p, { name: 'small', sitePrograms: 'per-site' });
    expect(init.stats.skipped['init-text']).toBeGreaterThanOrEqual(1);
    expect(init.stats.programs).toBe(r.stats.programs - 1);
    expect(init.sites.some((s) => s.symbol === site.symbol && s.offset === site.offset)).toBe(false);
  });

  it('computes base + index*scale + displacement from pt_regs fields', () => {
    expect(c).toContain(
      'SEC("kprobe/ip6_output+0x1e")\nint kc_site_0(struct pt_regs *ctx)\n{\n\tkc_site_check(ctx, 0u, ctx->di + ctx->si * 8 + 16ULL, 8ULL, ctx->sp);',
    );
    expect(c).toContain('kc_site_check(ctx, 1u, ctx->bx + (__u64)(__u32)ctx->r9 * 4, 4ULL, ctx->sp);');
    expect(c).toContain('kc_site_check(ctx, 2u | KC_SITE_GS, ctx->ax + 8ULL, 8ULL, ctx->sp);');
    expect(c).toContain('kc_site_check(ctx, 3u, ctx->r12 + (__u64)(-24LL), 4ULL, ctx->sp);');
    expect(addressExpression({ scale: 1, displacement: 4096, width: 8 })).toBe('4096ULL');
    expect(addressExpression({ base: 'xmm0', scale: 1, displacement: 0, width: 8 })).toBeUndefined();
    expect(addressExpression({ base: 'rax', index: 'rcx', scale: 3, displacement: 0, width: 8 })).toBeUndefined();
  });

  it('takes the region bits, site flags and per-site globals limit from kcompart.h (the generated constants)', () => {
    expect(MAX_SITE_GLOBALS).toBe(KC.MAX_SITE_GLOBALS);
    expect(REGION).toEqual({
      stack: KC.R_STACK,
      global: KC.R_GLOBAL,
      slab: KC.R_SLAB,
      buddy: KC.R_BUDDY,
      vmalloc: KC.R_VMALLOC,
      percpu: KC.R_PERCPU,
      vmemmap: KC.R_VMEMMAP,
      any: KC.R_ANY,
    });
    expect(Object.values(SITE_FLAG).sort((a, b) => a - b)).toEqual([
      KC.F_TRACKED_SLAB,
      KC.F_UNTRACKED_SLAB,
      KC.F_TRACKED_BUDDY,
      KC.F_UNTRACKED_BUDDY,
      KC.F_TRACKED_VMALLOC,
      KC.F_UNTRACKED_VMALLOC,
      KC.F_FOREIGN,
      KC.F_PERCPU_AREAS,
      KC.F_PERCPU_ANY,
      KC.F_SKB_HEAD,
    ]);
    expect(r.stats.overGlobalLimit).toBe(0);
  });

  it("names each site program's legal set in the comment above it", () => {
    const comment = (id: number) => new RegExp(`/\\* site ${id}: [^]*?\\*/\\nSEC`).exec(c)?.[0] ?? '';
    expect(comment(0)).toMatch(/\n \* legal set: stack slab\n \* {3}slab caches: skbuff_head_cache\n \*\/\nSEC/);
    // a policy that names no per-cpu variable: any per-cpu memory (the flag of older policies)
    expect(comment(2)).toMatch(/\n \* legal set: percpu; flags percpu-any\n \*\/\nSEC/);
    expect(comment(3)).toMatch(/\n \* legal set: global vmemmap\n \* {3}globals: ipv6_stats\n \*\/\nSEC/);
  });

  it("seeds the checker's maps by site id", () => {
    const seed = JSON.parse(r.files.find((f) => f.name === 'small.seed.json')!.content) as {
      sites: { id: number; regions: number; slabCaches: string[]; globals: string[]; gs: boolean }[];
    };
    expect(seed.sites).toHaveLength(4);
    expect(seed.sites[0]).toMatchObject({ id: 0, regions: REGION.stack | REGION.slab, slabCaches: ['skbuff_head_cache'] });
    expect(seed.sites[2]).toMatchObject({ id: 2, regions: REGION.percpu, gs: true });
    expect(seed.sites[3]).toMatchObject({ id: 3, regions: REGION.global | REGION.vmemmap, globals: ['ipv6_stats'] });
  });

  it('compiles with clang-19 against the corpus vmlinux.h with no diagnostic', async () => {
    const res = await compileBpf(r.files, { clang: CLANG, vmlinuxH: corpusVmlinux().header, outDir: outDir() });
    expect(res.diagnostics).toEqual([]);
    expect(res.objects).toHaveLength(1);
  });
});

describe('emitBpf --site-programs data (the default): one program, the sites as data', () => {
  const r = emitBpf(smallPolicy(), { name: 'small' });
  const per = emitBpf(smallPolicy(), { name: 'small', sitePrograms: 'per-site' });
  const c = r.files.find((f) => f.name === 'small.bpf.c')!.content;
  const seedH = r.files.find((f) => f.name === 'small.seed.h')!.content;
  const recipe = (id: number): string => new RegExp(`\\.program = "kc_site_${id}".*\\.recipe = (\\{[^}]*\\})`).exec(seedH)?.[1] ?? '';

  it('generates one kc_site program over site.bpf.h and no per-site program, for the same sites', () => {
    expect(r.stats.siteMode).toBe('data');
    expect(r.stats.sitePrograms).toBe(1);
    expect(per.stats.sitePrograms).toBe(4);
    expect(r.stats.programs).toBe(per.stats.programs);
    expect(r.sites).toEqual(per.sites);
    expect([...c.matchAll(/^int (kc_site\w*)\(/gm)].map((m) => m[1])).toEqual(['kc_site']);
    expect(c).toContain('#include "site.bpf.h"\n');
    expect(c).toContain(
      'SEC("kprobe")\nint kc_site(struct pt_regs *ctx)\n{\n\tkc_site_recipe(ctx, ctx, (__u32)bpf_get_attach_cookie(ctx));',
    );
    expect(r.files.map((f) => f.name)).toContain('site.bpf.h');
    expect(seedH).toMatch(/^#define KC_SEED_SITE_DATA 1$/m);
    expect(per.files.find((f) => f.name === 'small.seed.h')!.content).toMatch(/^#define KC_SEED_SITE_DATA 0$/m);
  });

  it('writes each per-site address expression as a recipe: registers by x86 number, scale, displacement, 32-bit views, gs, width', () => {
    // ctx->di + ctx->si * 8 + 16ULL, 8 bytes
    expect(recipe(0)).toBe(
      '{ .site = 0u, .base = 7, .index = 6, .scale = 8, .kind = 0, .len_reg = 16, .flags = 0x1, .disp = 16LL, .len = 8ULL }',
    );
    // ctx->bx + (__u64)(__u32)ctx->r9 * 4, 4 bytes
    expect(recipe(1)).toBe(
      '{ .site = 1u, .base = 3, .index = 9, .scale = 4, .kind = 0, .len_reg = 16, .flags = 0x5, .disp = 0LL, .len = 4ULL }',
    );
    // %gs: ctx->ax + 8ULL
    expect(recipe(2)).toBe(
      '{ .site = 2u | KC_SITE_GS, .base = 0, .index = 16, .scale = 1, .kind = 0, .len_reg = 16, .flags = 0x1, .disp = 8LL, .len = 8ULL }',
    );
    // ctx->r12 + (__u64)(-24LL), 4 bytes
    expect(recipe(3)).toBe(
      '{ .site = 3u, .base = 12, .index = 16, .scale = 1, .kind = 0, .len_reg = 16, .flags = 0x1, .disp = -24LL, .len = 4ULL }',
    );
  });

  it('keeps the C the same whatever the number of sites: only comments and the hash differ', () => {
    const one = emitBpf({ ...smallPolicy(), accesses: smallPolicy().accesses.slice(0, 1) }, { name: 'small' });
    const strip = (e: typeof r): string =>
      e.files
        .find((f) => f.name === 'small.bpf.c')!
        .content.replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^#define KC_POLICY_HASH .*$/m, '');
    expect(one.stats.programs).toBeLessThan(r.stats.programs);
    expect(one.probes).toEqual(r.probes);
    expect(strip(one)).toBe(strip(r));
  });

  it('compiles with clang-19 against the corpus vmlinux.h with no diagnostic', async () => {
    const res = await compileBpf(r.files, { clang: CLANG, vmlinuxH: corpusVmlinux().header, outDir: outDir() });
    expect(res.diagnostics).toEqual([]);
  });

  it('refuses an unknown mode', () => {
    expect(() => emitBpf(smallPolicy(), { sitePrograms: 'fast' as never })).toThrow(/sitePrograms: expected data or per-site, got fast/);
  });
});

describe('a hostile policy cannot change the generated C', () => {
  const hostile = emitBpf(hostilePolicy(), { name: 'hostile', sitePrograms: 'per-site' });
  const plain = emitBpf(
    namedPolicy(
      HOSTILE.map((_, k) => `name${k}`),
      'plain',
    ),
    { name: 'hostile', sitePrograms: 'per-site' },
  );
  const hc = hostile.files.find((f) => f.name === 'hostile.bpf.c')!.content;
  const pc = plain.files.find((f) => f.name === 'hostile.bpf.c')!.content;

  it('has the same code as the plain-named policy once literals and comments are blanked', () => {
    expect(hostile.stats.programs).toBe(HOSTILE.length);
    // the policy hash is of the whole text (names included): the only code line allowed to differ
    const unhashed = (c: string) => lexC(c).code.replace(/#define KC_POLICY_HASH 0x[0-9a-f]+ULL/, '#define KC_POLICY_HASH <hash>');
    expect(unhashed(hc)).toBe(unhashed(pc));
  });

  it('is printable ASCII and never contains a name raw', () => {
    expect(hc).toMatch(/^[\x20-\x7e\n\t]*$/);
    const { code, strings } = lexC(hc);
    for (const word of ['pwned', 'injected', '#include </etc', 'passwd', '??=', 'trigraph', 'slash']) {
      expect(code.includes(word)).toBe(false);
      for (const s of strings) expect(s.includes(word)).toBe(false);
    }
  });

  it('carries each name only in escaped comments that decode back to it', () => {
    const comments = lexC(hc).comments.map(decodeComment);
    for (const h of HOSTILE) expect(comments.some((c) => c.includes(`access ${h}:`) && c.includes(`${h}+0x`))).toBe(true);
    // the legal set of each site, named in its comment: the hostile global and cache
    for (const h of HOSTILE) expect(comments.some((c) => c.includes(`globals: ${h}\n`) && c.includes(`slab caches: ${h}\n`))).toBe(true);
    // names that cannot be kernel symbols get a bare kprobe section (attached from the seed by the loader)
    expect([...hc.matchAll(/SEC\(("[^\n]*")\)\nint kc_site_\d+/g)].map((m) => m[1])).toEqual(HOSTILE.map(() => '"kprobe"'));
    expect(hostile.stats.unnamedSections).toBe(HOSTILE.length);
    const seed = JSON.parse(hostile.files.find((f) => f.name === 'hostile.seed.json')!.content) as { sites: { symbol: string }[] };
    expect(seed.sites.map((s) => s.symbol)).toEqual(HOSTILE);
  });

  it('writes kernel-symbol names into the section, which is a plain literal', () => {
    expect(pc).toContain('SEC("kprobe/name0+0x10")');
    expect(sectionName('ip6_fragment.isra.0', 0x2b)).toBe('"kprobe/ip6_fragment.isra.0+0x2b"');
    expect(sectionName('a"b', 1)).toBe('"kprobe"');
  });

  it('compiles with no diagnostic', async () => {
    const res = await compileBpf(hostile.files, { clang: CLANG, vmlinuxH: corpusVmlinux().header, outDir: outDir() });
    expect(res.diagnostics).toEqual([]);
  });
});

describe('compileBpf', () => {
  it("returns clang's diagnostics as data in a BpfCompileError", async () => {
    const files = [{ name: 'bad.bpf.c', content: '#include "vmlinux.h"\nint f(void) { return undefined_thing; }\n' }];
    const err = await compileBpf(files, { clang: CLANG, vmlinuxH: corpusVmlinux().header, outDir: outDir() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BpfCompileError);
    const e = err as BpfCompileError;
    expect(e.diagnostics[0]).toMatchObject({ line: 2, severity: 'error' });
    expect(e.diagnostics[0]!.message).toMatch(/undefined_thing/);
  });
  it('reports a missing compiler as a BpfCompileError', async () => {
    const err = await compileBpf([{ name: 'x.bpf.c', content: '' }], {
      clang: '/nonexistent/clang',
      vmlinuxH: corpusVmlinux().header,
      outDir: outDir(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BpfCompileError);
    expect((err as Error).message).toMatch(/cannot run/);
  });
  it('parses warnings and notes', () => {
    expect(parseDiagnostics("a.c:3:4: warning: unused variable 'x' [-Wunused-variable]\nnoise\nb.h:1:2: note: here")).toEqual([
      { file: 'a.c', line: 3, column: 4, severity: 'warning', message: "unused variable 'x' [-Wunused-variable]" },
      { file: 'b.h', line: 1, column: 2, severity: 'note', message: 'here' },
    ]);
  });
});

describe('the real pipeline: net/ipv6/addrlabel analyzed, mapped, emitted', () => {
  it('compiles every generated program with no diagnostic', async () => {
    const policy = await addrlabelPolicy();
    const r = emitBpf(policy, { name: 'addrlabel' });
    expect(r.stats.programs).toBeGreaterThan(20);
    const res = await compileBpf(r.files, { clang: CLANG, vmlinuxH: corpusVmlinux().header, outDir: outDir() });
    expect(res.diagnostics).toEqual([]);
  });
});

describe('the run-time class skb-head', () => {
  const op = { base: 'rdi', scale: 1, displacement: 0, width: 8 } as const;
  const policy = policyOf('skbhead', [
    access('x.c:f:1', 'ip6_f', legal({ classes: ['skb-head'] }), [site('ip6_f', 0x10, op)]),
    access('x.c:f:2', 'ip6_f', legal({ slabCaches: ['TCPv6'] }), [site('ip6_f', 0x20, op)]),
  ]);
  const r = emitBpf(policy, { name: 'skbhead' });
  const seed = JSON.parse(r.files.find((f) => f.name === 'skbhead.seed.json')!.content) as {
    sites: { regions: number; flags: number; allocs: number[] }[];
  };

  it('checks a class site in slab, buddy and vmalloc memory, by the class only, old heads by the old-objects rule', () => {
    expect(seed.sites[0]!.regions).toBe(KC.R_SLAB | KC.R_BUDDY | KC.R_VMALLOC);
    expect(seed.sites[0]!.flags).toBe(KC.F_SKB_HEAD | KC.F_UNTRACKED_SLAB | KC.F_UNTRACKED_BUDDY | KC.F_UNTRACKED_VMALLOC);
    expect(seed.sites[0]!.allocs).toEqual([]);
    expect(seed.sites[1]!.flags & KC.F_SKB_HEAD).toBe(0);
    expect(r.stats.untrackedSites).toEqual({ slab: 0, buddy: 0 });
  });
});

describe('whole-kernel allocation tracking: allocation sites without a probe are checked through their function group', () => {
  const op = { base: 'rdi', scale: 1, displacement: 0, width: 8 } as const;
  const allocSite = (id: string, caller: string, allocator: string, probes?: { symbol: string; offset: number }[]) => ({
    id,
    kind: 'slab' as const,
    allocator,
    caller,
    module: 'net/core/x.c',
    location: [{ file: 'net/core/x.c', line: 1, column: 1, function: caller }],
    type: { kind: 'buffer' as const, name: `buf@${caller}` },
    ...(probes ? { probes: probes.map((p) => ({ ...p, callOffset: p.offset - 5, section: '.text', confidence: 'exact' as const })) } : {}),
  });
  const base = policyOf('groups', [
    access('x.c:f:1', 'ip6_f', legal({ slabSites: ['core:sock_kmalloc_user:0'] }), [site('ip6_f', 0x10, op)]),
    access('x.c:f:2', 'ip6_f', legal({ slabSites: ['ipv6:ip6_f:0'] }), [site('ip6_f', 0x20, op)]),
  ]);
  const policy = {
    ...base,
    compartment: { ...base.compartment, functions: ['ip6_f'] },
    allocationSites: [
      // a context site (no object file) calling the analyzed wrapper sock_kmalloc, whose own site has no probe either
      allocSite('core:sock_kmalloc_user:0', 'sock_kmalloc_user', 'sock_kmalloc'),
      allocSite('core:sock_kmalloc:0', 'sock_kmalloc', '__kmalloc'),
      // a compartment site with an exact probe
      allocSite('ipv6:ip6_f:0', 'ip6_f', '__kmalloc', [{ symbol: 'ip6_f', offset: 0x30 }]),
    ],
  } as unknown as Policy;
  const r = emitBpf(policy, { name: 'groups' });

  it('data mode: one kc_alloc at every allocation probe, the allocation id as cookie', () => {
    const gc = r.files.find((f) => f.name === 'groups.bpf.c')!.content;
    expect(r.probes.length).toBeGreaterThan(0);
    expect(r.stats.probePrograms).toBe(1);
    expect(emitBpf(policy, { name: 'groups', sitePrograms: 'per-site' }).stats.probePrograms).toBe(r.probes.length);
    expect([...gc.matchAll(/^int (kc_alloc\w*)\(/gm)].map((m) => m[1])).toEqual(['kc_alloc']);
    expect(gc).toContain('SEC("kprobe")\nint kc_alloc(struct pt_regs *ctx)\n{\n\tkc_track((__u32)bpf_get_attach_cookie(ctx), ctx->ax);');
  });

  const seed = JSON.parse(r.files.find((f) => f.name === 'groups.seed.json')!.content) as {
    fns: string[];
    sites: { id: number; flags: number; allocs: number[] }[];
  };
  const g = (fn: string) => KC.FN_ALLOC_BASE + seed.fns.indexOf(fn);

  it('lists the analyzed functions (compartment functions and allocation sites’ callers) in the seed, sorted', () => {
    expect(seed.fns).toEqual(['ip6_f', 'sock_kmalloc', 'sock_kmalloc_user']);
    expect(r.files.find((f) => f.name === 'groups.seed.h')!.content).toMatch(/#define KC_SEED_FNS 3\n/);
    expect(r.stats.functions).toBe(3);
  });

  it('a context site: its caller’s group and the analyzed wrapper’s, tracked for objects recorded after the load, untracked for older ones', () => {
    expect(seed.sites[0]!.allocs).toEqual([g('sock_kmalloc'), g('sock_kmalloc_user')].sort((a, b) => a - b));
    expect(seed.sites[0]!.flags & (KC.F_TRACKED_SLAB | KC.F_UNTRACKED_SLAB)).toBe(KC.F_TRACKED_SLAB | KC.F_UNTRACKED_SLAB);
    expect(r.stats.groupMapped).toBe(1);
  });

  it('a probed site: its exact allocation id and its function’s group (objects of a refused probe), tracked only', () => {
    expect(seed.sites[1]!.allocs).toEqual([0, g('ip6_f')]);
    expect(seed.sites[1]!.flags & (KC.F_TRACKED_SLAB | KC.F_UNTRACKED_SLAB)).toBe(KC.F_TRACKED_SLAB);
  });
});
