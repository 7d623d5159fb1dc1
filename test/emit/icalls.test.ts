// Tests the indirect-call checks (issue 16) as src/emit/icalls.ts generates them: for a hand-made
// mapped policy — a retpoline-thunk call, a memory-indirect tail call, two IR calls merged on one
// instruction, an empty set, an unmapped call, an operand pt_regs cannot give, hostile names —
// the programs read the target where the mapper said (ctx->r11; kc_icall_load(ctx->di + 16)),
// merged calls share one program with the union of their sets, every call without a check is
// counted by reason (never silently passing), the seed escapes names; then the kernel's verifier
// loads the object (never attached), and the generated loader resolves the targets through this
// machine's /proc/kallsyms, fills its maps and prints KC-ICALL-MAPS / KC-ICALL-COUNTERS with
// attaching disabled.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNTIME_PROGRAMS, cString, compileBpf, emitBpf, emitIndirectCalls } from '../../src/emit/index.js';
import type { BinarySite, IndirectCall, Policy } from '../../src/policy/index.js';
import { CLANG, corpusVmlinux, loadWithoutAttach, run } from './support/bpf.js';
import { HOSTILE, smallPolicy } from './support/policies.js';

const tmp = mkdtempSync(join(tmpdir(), 'kcompart-icall-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function call(id: string, fn: string, targets: string[], binary: BinarySite[], line = 20): IndirectCall {
  return {
    id,
    module: 'net/ipv6/x.c',
    function: fn,
    location: [{ file: 'net/ipv6/x.c', line, column: 9, function: fn }],
    signature: 'i32 (ptr)',
    targets: targets.map((symbol) => ({ symbol, module: 'kernel/cred.c' })),
    reasons: [],
    binary,
  };
}

const thunk = (symbol: string, offset: number, over: Partial<BinarySite> = {}): BinarySite => ({
  object: 'x.o',
  symbol,
  offset,
  section: '.text',
  calleeRegister: 'r11',
  thunk: '__x86_indirect_thunk_r11',
  call: true,
  confidence: 'exact',
  ...over,
});

function icallPolicy(): Policy {
  return {
    ...smallPolicy(),
    indirectCalls: [
      call('x.c:ip6_output:icall0', 'ip6_output', ['commit_creds', 'no_such_function_kcompart'], [thunk('ip6_output', 0x40)]),
      call('x.c:ip6_output:icall1', 'ip6_output', ['kfree'], [thunk('ip6_output', 0x80, { confidence: 'ambiguous' })], 21),
      call('x.c:ip6_output:icall2', 'ip6_output', ['kmalloc_trace'], [thunk('ip6_output', 0x80, { confidence: 'ambiguous' })], 22),
      call(
        'x.c:dst_output:icall0',
        'dst_output',
        ['vfree'],
        [
          {
            object: 'x.o',
            symbol: 'dst_output',
            offset: 0x10,
            section: '.text',
            operand: { base: 'rdi', scale: 1, displacement: 16, width: 8 },
            call: true,
            confidence: 'exact',
            reason: 'tail call (jmp)',
          },
        ],
      ),
      call('x.c:dst_output:icall1', 'dst_output', [], [thunk('dst_output', 0x30)]),
      // an empty set with a prototype: widened at load by every BTF function of it
      { ...call('x.c:dst_output:icall4', 'dst_output', [], [thunk('dst_output', 0x60)], 23), prototype: 'void (void *)' },
      call(
        'x.c:dst_output:icall2',
        'dst_output',
        ['vfree'],
        [{ object: 'x.o', symbol: 'dst_output', offset: 0, section: '.text', confidence: 'unmapped', reason: 'no-rows' }],
      ),
      call(
        'x.c:dst_output:icall3',
        'dst_output',
        ['vfree'],
        [
          {
            object: 'x.o',
            symbol: 'dst_output',
            offset: 0x50,
            section: '.text',
            operand: { base: 'rip', scale: 1, displacement: 0, segment: 'gs', width: 8 },
            call: true,
            confidence: 'exact',
          },
        ],
      ),
      // every name hostile: symbol, function, file, target
      ...HOSTILE.map((h, k) => call(`${h}:icall${k}`, h, [h], [{ ...thunk(h, 0x100 + k), object: h }], 30 + k)),
    ],
  };
}

describe('emitIndirectCalls', () => {
  const e = emitIndirectCalls(icallPolicy());

  it('reads the target from the thunk register or the memory word, one program per instruction', () => {
    expect(e.programs).toMatch(
      /SEC\("kprobe\/ip6_output\+0x40"\)\nint kc_icall_0\(struct pt_regs \*ctx\)\n\{\n\tkc_icall_check\(ctx, 0u, ctx->r11, ctx->sp\);/,
    );
    expect(e.programs).toContain('kc_icall_check(ctx, 2u, kc_icall_load(ctx->di + 16ULL), ctx->sp);');
    // icall1 and icall2 share 0x80: one program, the union of their sets
    const merged = e.sites.find((s) => s.offset === 0x80)!;
    expect(merged.calls).toEqual(['x.c:ip6_output:icall1', 'x.c:ip6_output:icall2']);
    expect(merged.targets.map((t) => t.symbol)).toEqual(['kfree', 'kmalloc_trace']);
    expect(e.sites).toHaveLength(4 + HOSTILE.length);
    const widened = e.sites.find((x) => x.offset === 0x60)!;
    expect(widened.widenBy).toBe('void (void *)');
    expect(e.programs).toContain(' * widened at load by prototype: every kernel function of void (void \\x2a) (BTF)');
  });

  it('counts every call without a check, by reason', () => {
    expect(e.stats.unchecked).toEqual({ unmapped: 1, 'empty-set': 1, unsupported: 1 });
    expect(e.stats.checkedCalls).toBe(5 + HOSTILE.length);
    expect(e.stats.widened).toBe(1);
    expect(e.line).toBe(
      `icall: ${8 + HOSTILE.length} calls, ${5 + HOSTILE.length} checked by ${4 + HOSTILE.length} programs (1 widened by prototype at load); unchecked 3 (unmapped 1, empty set 1, unsupported 1)`,
    );
    expect(e.unchecked.find((u) => u.reason === 'unsupported')!.detail).toBe('operand gs:rip');
  });

  it('escapes every name in the programs and the seed', () => {
    for (const h of HOSTILE) {
      expect(e.programs).not.toContain(h);
      // in the seed, only as C string literals (the loader's build below compiles it with -Wall)
      expect(e.seed).toContain(`${cString(h)},\n`);
    }
    // outside comments, the only definitions are the generated programs
    const code = e.programs.replace(/\/\*[\s\S]*?\*\//g, '');
    expect([...code.matchAll(/^int (\w+)/gm)].map((m) => m[1])).toEqual(e.sites.map((s) => s.program));
  });

  it('is part of emitBpf: the include, the seed, unchecked.txt, the run-time files', () => {
    const b = emitBpf(icallPolicy(), { name: 'icall' });
    const c = b.files.find((f) => f.name === 'icall.bpf.c')!.content;
    expect(c).toContain('#include "icall.bpf.h"');
    expect(c).toContain('int kc_icall_0(struct pt_regs *ctx)');
    expect(b.files.find((f) => f.name === 'icall.seed.h')!.content).toMatch(
      /const struct kc_icall_seed kc_icall_seed = \{\n\t\.n_sites = \d+,/,
    );
    expect(b.files.find((f) => f.name === 'unchecked.txt')!.content).toMatch(
      /^icall-empty-set\tnet\/ipv6\/x\.c:20:9\tdst_output\tdst_output\+0x30\tx\.c:dst_output:icall1\t/m,
    );
    for (const f of ['icall.bpf.h', 'kcicall.h', 'icalls.h', 'icalls.c']) expect(b.files.map((x) => x.name)).toContain(f);
    expect(b.icalls.sites).toHaveLength(e.sites.length);
  });
});

describe('the indirect-call programs on this kernel (loaded, never attached)', () => {
  it('the verifier accepts every kc_icall_N and the loader resolves, fills and counts', async () => {
    const name = `ic${Math.random().toString(36).slice(2, 8)}`;
    const e = emitBpf(icallPolicy(), { name });
    const c = await compileBpf(e.files, { clang: CLANG, vmlinuxH: corpusVmlinux().header, outDir: join(tmp, name), loader: true });
    expect(c.diagnostics).toEqual([]);
    const loaded = await loadWithoutAttach(c.objects[0]!.object);
    expect(loaded.programs).toHaveLength(e.stats.sitePrograms + e.stats.probePrograms + e.icalls.sites.length + RUNTIME_PROGRAMS.length);
    expect(loaded.programs.filter((p) => p.name.startsWith('kc_icall_'))).toHaveLength(e.icalls.sites.length);
    const r = await run(c.loader!, ['--no-attach', '--duration', '0']);
    if (r.code !== 0) throw new Error(`the loader failed (exit ${r.code}): ${r.stderr}${r.stdout}`);
    // commit_creds, kfree, kmalloc_trace?, vfree exist on any kernel; the made-up name and the hostile ones do not
    const maps =
      /^KC-ICALL-MAPS sites=(\d+) targets=(\d+) addresses=(\d+) unresolved_names=(\d+) duplicated_names=\d+ widened=1 no_target=(\d+)$/m.exec(
        r.stdout,
      );
    expect(maps, r.stdout).not.toBeNull();
    expect(Number(maps![1])).toBe(e.icalls.sites.length);
    expect(Number(maps![3])).toBeGreaterThanOrEqual(3);
    expect(Number(maps![4])).toBeGreaterThanOrEqual(1 + HOSTILE.length);
    // the hostile sites resolve nothing: they would refuse every call, so they are left unchecked at load
    expect(Number(maps![5])).toBe(HOSTILE.length);
    // widened by this kernel's BTF: kfree and its like have the prototype void (const void *)
    const w = /^KC-ICALL-WIDENED icall=\d+ by=prototype functions=(\d+) addresses=(\d+) prototype="void \(void \*\)"$/m.exec(r.stdout);
    expect(w, r.stdout).not.toBeNull();
    expect(Number(w![1])).toBeGreaterThan(20);
    expect(Number(w![2])).toBeGreaterThan(20);
    expect(r.stdout).toMatch(
      /^KC-ICALL-COUNTERS final sites=\d+ checks=0 passes=0 violations=0 audited=0 killed=0 kill_skipped=0 drops=0$/m,
    );
    expect(r.stdout).toMatch(/^KC-DONE detached=0$/m);
    // the allowed-target map is among the run time's own memory that no site may write
    expect(r.stdout + r.stderr).not.toMatch(/KC-WARN kc_whereis/);
  }, 120_000);
});
