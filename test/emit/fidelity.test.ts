// Tests issue 11's checker fidelity on the emitter side: relocated displacements reach the
// address recipe (on the corpus: every emitted recipe whose instruction has a relocated
// displacement names its symbol, e.g. inet6_add_protocol+0x4 → inet6_protos), writes are checked
// over their width (rep string stores over rcx elements and DF), writer calls are checked at the
// call from the argument registers, and what gets no check is counted and listed (unchecked.txt).
// The programs of these shapes are loaded through this machine's verifier (never attached).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/index.js';
import { mapSitesToAddresses, readElf } from '../../src/binary/index.js';
import { CodeDecoder } from '../../src/binary/x86/decode.js';
import { KC, LOADER_SOURCES, RUNTIME_PROGRAMS, compileBpf, emitBpf } from '../../src/emit/index.js';
import { CLANG, CORPUS, corpusVmlinux, loadWithoutAttach, run } from './support/bpf.js';
import { fidelityPolicy } from './support/policies.js';

const tmp = mkdtempSync(join(tmpdir(), 'kcompart-fidelity-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('emitBpf: relocations, widths, writer calls, the unchecked list', () => {
  const r = emitBpf(fidelityPolicy(), { name: 'fid', sitePrograms: 'per-site' });
  const c = r.files.find((f) => f.name === 'fid.bpf.c')!.content;
  const seed = JSON.parse(r.files.find((f) => f.name === 'fid.seed.json')!.content) as {
    sites: { id: number; reloc?: { symbol: string; addend: number }; kind: string }[];
  };
  const byOffset = (off: number) => r.sites.find((s) => s.symbol !== 'inet6_add_protocol' && s.offset === off);

  it("adds a relocated displacement's symbol (+ addend) through kc_reloc, and seeds it for the loader", () => {
    const s0 = r.sites.find((s) => s.symbol === 'inet6_add_protocol' && s.offset === 4)!;
    expect(s0.reloc).toEqual({ symbol: 'inet6_protos', addend: 0 });
    expect(s0.address).toBe(`ctx->cx * 8 + kc_reloc(${s0.id}u) /* inet6_protos */`);
    const s1 = r.sites.find((s) => s.symbol === 'inet6_add_protocol' && s.offset === 0x10)!;
    expect(s1.reloc).toEqual({ symbol: 'inet6_offloads', addend: 16 });
    expect(s1.address).toBe(`ctx->di + 8ULL + kc_reloc(${s1.id}u) /* inet6_offloads+0x10 */`);
    expect(seed.sites[s0.id]!.reloc).toEqual({ symbol: 'inet6_protos', addend: 0 });
    const h = r.files.find((f) => f.name === 'fid.seed.h')!.content;
    expect(h).toMatch(/\.reloc_addend = 16, \.recipe = \{ \.site = \d+u, [^}]*\.flags = 0x9, \.disp = 8LL, \.len = 4ULL \} \}/);
    expect(r.stats.kinds.relocated).toBe(2);
  });

  it("passes each write's width, and a rep string store's count, element and direction", () => {
    expect(c).toMatch(/kc_site_check\(ctx, \d+u, ctx->cx \* 8 \+ kc_reloc\(\d+u\) \/\* inet6_protos \*\/, 8ULL, ctx->sp\);/);
    const rep = byOffset(0x70)!;
    expect(rep.kind).toBe('rep');
    expect(c).toContain(`kc_site_check_rep(ctx, ${rep.id}u, ctx->di, ctx->cx, 8ULL, ctx->flags, ctx->sp);`);
    expect(r.stats.kinds.rep).toBe(1);
  });

  it('checks writer calls at the call: [dst, dst + len) from the argument registers', () => {
    const memcpy = byOffset(0x80)!,
      page = byOffset(0x90)!,
      strcpy = byOffset(0xa0)!,
      tail = byOffset(0xc0)!;
    expect(c).toContain(`kc_site_check(ctx, ${memcpy.id}u, ctx->di, ctx->dx, ctx->sp);`);
    expect(c).toContain(`kc_site_check(ctx, ${page.id}u, ctx->di, 4096ULL, ctx->sp);`);
    // no length argument (strcpy): its first byte only, counted
    expect(c).toContain(`kc_site_check(ctx, ${strcpy.id}u, ctx->di, 1ULL, ctx->sp);`);
    // skb_copy_bits(skb, offset, to, len) through a tail-call jmp of an older mapping
    expect(c).toContain(`kc_site_check(ctx, ${tail.id}u, ctx->dx, ctx->cx, ctx->sp);`);
    expect(r.stats.kinds).toMatchObject({ writer: 4, writerStartOnly: 1 });
    expect(c).toMatch(/checks: the call's write \[dst, dst \+ len\) of memcpy\n/);
  });

  it('counts and lists what gets no check: unchecked line and unchecked.txt', () => {
    expect(r.unchecked.line).toBe('unchecked: 3 machine sites (any 0, unmapped 0, no-operand 1, unsupported 2)');
    const txt = r.files.find((f) => f.name === 'unchecked.txt')!.content;
    expect(txt).toContain(`# ${r.unchecked.line}\n`);
    expect(txt).toMatch(
      /^no-operand\tnet\/ipv6\/x\.c:10:3\tip6_output\tip6_output\+0xd0\tx\.c:ip6_output:11\tcall of no_writer \(no destination argument\)$/m,
    );
    expect(txt).toMatch(/^unsupported\t.*ip6_output\+0xb0\t.*argument 6 is not in a register$/m);
    expect(txt).toMatch(/^unsupported\t.*ip6_output\+0xe0\t.*operand fs:rax$/m);
    expect(txt).toMatch(/out of scope/);
  });

  for (const [label, flags] of [
    ['kfunc build', []],
    ["-DKC_NO_KFUNC -DKC_NO_CALLBACKS (the corpus kernel's build)", ['-DKC_NO_KFUNC', '-DKC_NO_CALLBACKS']],
  ] as const) {
    it(`every program of these shapes loads through this machine's verifier (${label})`, async () => {
      const res = await compileBpf(r.files, {
        clang: CLANG,
        vmlinuxH: corpusVmlinux().header,
        outDir: join(tmp, `v${flags.length}`),
        extraFlags: [...flags],
      });
      expect(res.diagnostics).toEqual([]);
      const l = await loadWithoutAttach(res.objects[0]!.object);
      expect(l.programs).toHaveLength(r.stats.sitePrograms + r.stats.probePrograms + RUNTIME_PROGRAMS.length);
    }, 120_000);
  }
});

/** The loader of the `fidl` object built again in `dir` with another seed header (`seed`), as `out`. */
function loaderWithSeed(dir: string, seed: string, out: string) {
  return run('cc', [
    '-O2',
    `-DKC_SEED="${seed}"`,
    `-DKC_SKEL_HEADER="fidl.skel.h"`,
    '-DKC_SKEL_NAME=fidl',
    '-I',
    dir,
    ...LOADER_SOURCES.map((f) => join(dir, f)),
    '-o',
    join(dir, out),
    '-static',
    '-lbpf',
    '-lelf',
    '-lz',
  ]);
}

describe('the loader of these shapes (on this machine: loads, fills, never attaches)', () => {
  it("widens a site whose relocation kallsyms cannot name once, denies the run time's own memory, reports misses, knows --strict", async () => {
    const r = emitBpf(fidelityPolicy(), { name: 'fidl' });
    const c = await compileBpf(r.files, { clang: CLANG, vmlinuxH: corpusVmlinux().header, outDir: join(tmp, 'loader'), loader: true });
    expect(c.diagnostics).toEqual([]);
    const kallsyms = readFileSync('/proc/kallsyms', 'utf8');
    const named = (s: string) => (kallsyms.match(new RegExp(`^[0-9a-f]+ [dDbBrR] ${s}$`, 'gm')) ?? []).length === 1;
    const expectWidened = ['inet6_protos', 'inet6_offloads'].filter((s) => !named(s));
    const l = await run(c.loader!, ['--no-attach', '--duration', '0']);
    expect(l.code, l.stderr).toBe(0);
    for (const s of expectWidened)
      expect(l.stdout).toMatch(new RegExp(`^KC-WIDENED site kc_site_\\d+ relocation "${s}": no data symbol in kallsyms`, 'm'));
    expect(l.stdout).toMatch(new RegExp(`^KC-MAPS .* relocs_widened=${expectWidened.length}$`, 'm'));
    // the maps and global data (kc_whereis: 8 arrays, 5 data sections, 14 hash maps × 3 with the indirect calls' kc_icall_allowed,
    // kc_typed_caches and the skb-head class's kc_skb_ctors, kc_skb_heads) and, with a JIT, the program images
    const deny = /^KC-DENY ranges=(\d+) maps_and_data=(\d+) jit_images=(\d+)/m.exec(l.stdout);
    expect(deny).not.toBeNull();
    expect(Number(deny![2])).toBe(55);
    expect(Number(deny![1])).toBeGreaterThan(0);
    expect(l.stdout).toMatch(
      /^KC-COUNTERS final checks=0 .* denied=0 crossed=0 kalloc=0 kalloc_unknown=0 kalloc_drops=0 unknown_probe=0 kprobe_missed=0 kprobe_missed_known=0 recursion_misses=0 skb_heads=0 skb_head_drops=0 pass_skb_head=0$/m,
    );
    const help = await run(c.loader!, ['--help']);
    expect(help.stdout).toMatch(/--strict +refuse to enforce \(exit 3\) when the kernel refused any site program/);
    // the globals the legal sets name, placed before the maps are filled (finding 8)
    expect(l.stdout).toMatch(
      /^KC-GLOBALS globals=\d+ exact=\d+ by_neighbours=\d+ ambiguous=\d+ ambiguous_candidates=\d+ missing=\d+ sized=\d+$/m,
    );
    // finding 9: the same BPF object with a seed of another hash (a stale loader) is refused before it loads
    const dir = join(tmp, 'loader');
    const seed = readFileSync(join(dir, 'fidl.seed.h'), 'utf8');
    writeFileSync(
      join(dir, 'stale.seed.h'),
      seed.replace(/^#define KC_SEED_HASH 0x[0-9a-f]+ULL$/m, '#define KC_SEED_HASH 0x0123456789abcdefULL'),
    );
    const cc = await loaderWithSeed(dir, 'stale.seed.h', 'stale-loader');
    expect(cc.code, cc.stderr).toBe(0);
    const stale = await run(join(dir, 'stale-loader'), ['--no-attach', '--duration', '0']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(
      /^KC-ERROR policy hash mismatch: the BPF object has 0x[0-9a-f]{16}, the loader's seed 0x0123456789abcdef/m,
    );
    expect(stale.stdout).not.toMatch(/^KC-LOADED/m);
    // a policy without skb-head sites resolves no skb constructor
    expect(l.stdout).not.toMatch(/^KC-SKB-CTORS/m);
    expect(l.stdout).toMatch(/^KC-RUNTIME .* skb_ctors=0$/m);
    // the same seed with a site of the skb-head class: the constructors found in kallsyms fill kc_skb_ctors
    // (every text symbol of each name), a missing one is refused by name
    writeFileSync(
      join(dir, 'skb.seed.h'),
      seed.replace(
        /\.flags = 0x([0-9a-f]+)u, \.gs/,
        (_, f: string) => `.flags = 0x${(parseInt(f, 16) | KC.F_SKB_HEAD).toString(16)}u, .gs`,
      ),
    );
    const skbCc = await loaderWithSeed(dir, 'skb.seed.h', 'skb-loader');
    expect(skbCc.code, skbCc.stderr).toBe(0);
    const skb = await run(join(dir, 'skb-loader'), ['--no-attach', '--duration', '0']);
    expect(skb.code, skb.stderr).toBe(0);
    const ctors = ['__alloc_skb', '__napi_alloc_skb', '__netdev_alloc_skb', 'pskb_expand_head', 'pskb_carve'];
    const ranges = ctors.map((c) => (kallsyms.match(new RegExp(`^[0-9a-f]+ [tTwW] ${c}$`, 'gm')) ?? []).length);
    const missing = ctors.filter((_, k) => ranges[k] === 0);
    const used = Math.min(
      KC.MAX_SKB_CTORS,
      ranges.reduce((a, b) => a + b, 0),
    );
    expect(skb.stdout).toMatch(new RegExp(`^KC-SKB-CTORS sites=1 ctors=5 missing=${missing.length} ranges=${used} dropped=0$`, 'm'));
    for (const c of missing)
      expect(skb.stdout).toMatch(new RegExp(`^KC-REFUSED skb-ctor kc_skb_ctors at "${c}"\\+0x0: No such file or directory$`, 'm'));
    expect(skb.stdout).toMatch(new RegExp(`^KC-RUNTIME .* skb_ctors=${used}$`, 'm'));
    expect(skb.stdout).toMatch(/^KC-COUNTERS final .* skb_heads=0 skb_head_drops=0 pass_skb_head=0$/m);
  }, 180_000);
});

describe('net/ipv6 protocol.c and ip6_flowlabel.c: relocated displacements on the corpus', () => {
  it('every emitted recipe whose instruction has a relocated displacement includes its symbol', async () => {
    const dir = join(CORPUS, 'linux-6.1', 'net', 'ipv6');
    const files = ['protocol', 'ip6_flowlabel'];
    const { policy } = await analyze(
      files.map((f) => join(dir, `${f}.ll`)),
      [],
    );
    const objects = files.map((f) => ({ path: join(dir, `${f}.o`), elf: readElf(readFileSync(join(dir, `${f}.o`)), join(dir, `${f}.o`)) }));
    const mapped = mapSitesToAddresses(policy, objects).policy;
    const e = emitBpf(mapped, { name: 'rel' });
    // the instructions of every emitted write site, decoded again: those with a relocated displacement
    let relocated = 0;
    for (const s of e.sites.filter((x) => x.kind !== 'writer')) {
      const o = objects.find((x) => x.elf.symbols.some((y) => y.name === s.symbol && y.type === 2))!;
      const sym = o.elf.symbols.find((y) => y.name === s.symbol && y.type === 2)!;
      const d = new CodeDecoder(o.elf);
      try {
        const insn = d.decodeSymbol(sym).instructions.find((i) => i.offset - sym.sectionOffset! === s.offset)!;
        const target = insn.writes.find((w) => w.displacementTarget !== undefined && w.operand.base !== 'rip')?.displacementTarget;
        if (target === undefined) continue;
        relocated++;
        expect(s.reloc, `${s.symbol}+0x${s.offset.toString(16)} (${target})`).toBeDefined();
        expect(s.address).toContain(`kc_reloc(${s.id}u)`);
      } finally {
        d.dispose();
      }
    }
    expect(relocated).toBeGreaterThanOrEqual(5);
    const at = (sym: string, off: number) => e.sites.find((s) => s.symbol === sym && s.offset === off);
    expect(at('inet6_add_protocol', 4)?.reloc).toEqual({ symbol: 'inet6_protos', addend: 0 });
    expect(at('fl_intern', 0xa4)?.reloc).toEqual({ symbol: 'fl_ht', addend: 0 });
    expect(e.stats.kinds.writer).toBeGreaterThan(0);
  }, 120_000);
});
