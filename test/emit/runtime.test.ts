// Tests runtime/ and test/bpf/ as C: the run time alone (runtime/bpf/checker.bpf.c),
// the sample site programs and the checker's harness compile with clang-19
// and clang-14 against the corpus kernel's vmlinux.h with -Wall and no
// diagnostic (also with the kfunc left out and with bounded loops); every map
// is defined once, in runtime/bpf/maps.bpf.h; kcompart.h is plain user-space
// C; the loader (runtime/loader, on the bpftool skeleton compileBpf makes)
// builds static with -Wall -Wextra and no warning against a hostile-named
// policy, takes getopt_long options with --help, reaches maps and fixed
// programs through the skeleton only and sets every knob through
// skel->rodata; and nothing generated or compiled embeds a build path.

import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLANG, ROOT, RUNTIME, RUNTIME_BPF, RUNTIME_INCLUDE, TEST_BPF, clangBpf, corpusVmlinux, run } from './support/bpf.js';
import { LOADER_SOURCES, RUNTIME_FILES, compileBpf, emitBpf, skeletonName } from '../../src/emit/index.js';
import { hostilePolicy, smallPolicy } from './support/policies.js';

const out = mkdtempSync(join(tmpdir(), 'kcompart-rt-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('runtime/bpf and test/bpf compile standalone (clang-19 and clang-14, corpus 6.1 vmlinux.h, -Wall)', () => {
  for (const [dir, file, extra] of [
    [RUNTIME_BPF, 'checker.bpf.c', []],
    [RUNTIME_BPF, 'checker.bpf.c', ['-DKC_NO_KFUNC', '-DKC_NO_CALLBACKS']],
    [TEST_BPF, 'sample.bpf.c', []],
    [TEST_BPF, 'sample.bpf.c', ['-DKC_NO_KFUNC']],
    [TEST_BPF, 'test_harness.bpf.c', []],
    [TEST_BPF, 'test_harness.bpf.c', ['-DKC_NO_KFUNC']],
  ] as const) {
    for (const clang of [CLANG, 'clang-14']) {
      it(`${file} ${extra.join(' ')} with ${clang}`, async () => {
        const r = await clangBpf(join(dir, file), join(out, `${file}${extra.join('')}-${clang}.o`), extra, clang);
        expect(r.stderr, r.stderr).toBe('');
        expect(r.code).toBe(0);
      });
    }
  }

  it('test_run.c (the libbpf test-run helper) builds with no warning', async () => {
    const r = await run(CLANG, ['-Wall', '-Wextra', '-O2', join(TEST_BPF, 'test_run.c'), '-o', join(out, 'test_run'), '-lbpf']);
    expect(r.stderr, r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('kcompart.h is plain C for user space', async () => {
    const r = await run(CLANG, [
      '-fsyntax-only',
      '-Wall',
      '-Wextra',
      '-x',
      'c',
      '-include',
      'stdint.h',
      join(RUNTIME_INCLUDE, 'kcompart.h'),
    ]);
    expect(r.stderr, r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('the sample object has the two ip6_output kprobe sections and one ring buffer', async () => {
    const obj = join(out, 'sample-sections.o');
    expect((await clangBpf(join(TEST_BPF, 'sample.bpf.c'), obj)).code).toBe(0);
    const r = await run('llvm-readelf-19', ['-S', '-s', obj]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/kprobe\/ip6_output\+0xe/);
    expect(r.stdout).toMatch(/kprobe\/ip6_output\+0x2b/);
    expect(r.stdout).toMatch(/\bkc_check\b/);
    expect(r.stdout.match(/\bkc_events\b/g)?.length).toBeGreaterThanOrEqual(1);
  });
});

describe('maps are defined once', () => {
  const defined = (text: string) => [...text.matchAll(/\}\s*(\w+)\s+SEC\("\.maps"\)/g)].map((m) => m[1]!);

  it('runtime/bpf/maps.bpf.h declares every map; no other file of the run time, the samples or the generated C does', () => {
    const maps = defined(readFileSync(join(RUNTIME_BPF, 'maps.bpf.h'), 'utf8'));
    expect(maps.length).toBeGreaterThanOrEqual(15);
    expect(new Set(maps).size).toBe(maps.length);
    for (const dir of [RUNTIME_BPF, TEST_BPF]) {
      for (const f of readdirSync(dir).filter((n) => /\.(c|h)$/.test(n) && n !== 'maps.bpf.h')) {
        expect(defined(readFileSync(join(dir, f), 'utf8')), f).toEqual([]);
        expect(readFileSync(join(dir, f), 'utf8'), f).not.toMatch(/SEC\("\.maps"\)|const volatile/);
      }
    }
    const e = emitBpf(smallPolicy(), { name: 'small' });
    expect(e.files.find((f) => f.name === 'small.bpf.c')!.content).not.toMatch(/SEC\("\.maps"\)|const volatile/);
  });

  it('the compiled object holds each map once', async () => {
    const maps = defined(readFileSync(join(RUNTIME_BPF, 'maps.bpf.h'), 'utf8'));
    const obj = join(out, 'once.o');
    expect((await clangBpf(join(TEST_BPF, 'sample.bpf.c'), obj)).code).toBe(0);
    const r = await run('llvm-readelf-19', ['-s', obj]);
    const symbols = r.stdout.split('\n').map((l) => l.trim().split(/\s+/).pop()!);
    for (const m of maps)
      expect(
        symbols.filter((s) => s === m),
        m,
      ).toHaveLength(1);
  });
});

describe("the loader (runtime/loader on the policy's bpftool skeleton)", () => {
  const loaderText = LOADER_SOURCES.map((f) => readFileSync(join(RUNTIME, 'loader', f), 'utf8')).join('\n');

  it('reaches maps and fixed programs through the skeleton, never by a name string', () => {
    expect(loaderText).not.toMatch(/find_map_by_name|find_program_by_name/);
    expect(loaderText).toMatch(/kc_skel->maps\.kc_sites/);
    expect(loaderText).toMatch(/kc_skel->progs\.kc_peek/);
    expect(loaderText).toMatch(/kc_skel->bss->kc_enforce/);
    expect(loaderText).toMatch(/kc_skel->data_kcrt->kc_rt/);
  });

  it('sets every const volatile knob of maps.bpf.h through skel->rodata before load', () => {
    const knobs = [...readFileSync(join(RUNTIME_BPF, 'maps.bpf.h'), 'utf8').matchAll(/^const volatile \w+ (\w+) =/gm)].map((m) => m[1]!);
    expect(knobs.sort()).toEqual([
      'kc_count_hits',
      'kc_direct_map_size',
      'kc_old_objects',
      'kc_on_violation',
      'kc_page_offset_fixed',
      'kc_thread_size',
      'kc_use_kfunc',
      'kc_vmalloc_fixed',
      'kc_vmalloc_size',
      'kc_vmemmap_fixed',
      'kc_vmemmap_size',
    ]);
    const main = readFileSync(join(RUNTIME, 'loader', 'main.c'), 'utf8');
    for (const k of knobs) expect(main, k).toMatch(new RegExp(`kc_skel->rodata->${k} = `));
    expect(main.indexOf('set_knobs();')).toBeLessThan(main.indexOf('KC_SKEL_FN(__load)'));
  });

  it('every run-time file emitBpf copies exists', () => {
    for (const f of RUNTIME_FILES) expect(lstatSync(join(RUNTIME, f)).isFile(), f).toBe(true);
  });

  it("builds static with -Wall -Wextra against a hostile-named policy's seed and skeleton, with no warning; --help and bad usage", async () => {
    const e = emitBpf(hostilePolicy(), { name: 'hostile' });
    const c = await compileBpf(e.files, { clang: CLANG, vmlinuxH: corpusVmlinux().header, outDir: join(out, 'loader'), loader: true });
    expect(c.diagnostics).toEqual([]);
    expect(c.skeleton).toBe(join(out, 'loader', 'hostile.skel.h'));
    const skel = readFileSync(c.skeleton!, 'utf8');
    expect(skel).toMatch(new RegExp(`struct ${skeletonName('hostile')} \\{`));
    expect(skel).toMatch(/struct bpf_map \*kc_sites;/);
    expect(skel).toMatch(/__u64 kc_thread_size;/);
    const help = await run(c.loader!, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: \S+ \[--no-attach\]/);
    expect(help.stdout).toMatch(/--thread-size BYTES/);
    // the compartment name is printed escaped, never raw
    expect(help.stdout).toMatch(/compartment: /);
    expect(help.stdout).not.toMatch(/[^\x09\x0a\x20-\x7e]/);
    const bad = await run(c.loader!, ['hostile.bpf.o']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/the BPF object is built into the loader/);
    expect((await run(c.loader!, ['--paging-levels', '3'])).code).toBe(2);
    expect((await run(c.loader!, ['--thread-size', '1000'])).code).toBe(2);
    expect((await run(c.loader!, ['--bogus'])).code).toBe(2);
  });
});

describe('generated and compiled files embed no build path', () => {
  it('the .bpf.c, seeds, skeleton, objects and loader of a policy hold neither the output directory nor the repository path', async () => {
    const dir = join(out, 'paths');
    const e = emitBpf(smallPolicy(), { name: 'small' });
    const c = await compileBpf(e.files, { clang: CLANG, vmlinuxH: corpusVmlinux().header, outDir: dir, loader: true });
    expect(c.diagnostics).toEqual([]);
    const files = readdirSync(dir).filter((f) => !f.startsWith('.'));
    expect(files).toEqual(
      expect.arrayContaining(['small.bpf.c', 'small.bpf.o', 'small.skel.h', 'small.seed.h', 'small.seed.json', 'small-loader']),
    );
    for (const f of files) {
      const bytes = readFileSync(join(dir, f));
      for (const p of [dir, out, ROOT]) expect(bytes.includes(Buffer.from(p)), `${f} holds ${p}`).toBe(false);
    }
    const c0 = e.files.find((f) => f.name === 'small.bpf.c')!.content;
    expect([...c0.matchAll(/^#include\s+(\S+)/gm)].map((m) => m[1])).toEqual([
      '"vmlinux.h"',
      '<bpf/bpf_helpers.h>',
      '<bpf/bpf_core_read.h>',
      '<bpf/bpf_tracing.h>',
      '"checker.bpf.h"',
      '"track.bpf.h"',
      '"icall.bpf.h"',
      '"site.bpf.h"',
    ]);
    expect(c0).not.toMatch(/^#line/m);
  });
});
