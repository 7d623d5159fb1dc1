// Tests the checker's CO-RE page walk against both kernels' BTF without a
// kernel: libbpf's relocation of the KC_NO_KFUNC sample (bpftool gen
// min_core_btf, debug log) must resolve against the corpus 6.1 BTF through
// PG_slab in page->flags, and against this machine's BTF (6.18, no PG_slab)
// through the PGTY_slab page type — both with struct slab.slab_cache,
// compound_head and task_struct.stack — and the run time and samples must also compile
// against a vmlinux.h of the running kernel.

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BPFTOOL, BPF_INCLUDES, BTF_61, CLANG, RUNTIME_BPF, TEST_BPF, clangBpf, run } from './support/bpf.js';
import { BPF_CLANG_FLAGS } from '../../src/emit/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'kcompart-core-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const HOST_BTF = '/sys/kernel/btf/vmlinux';

/** The CO-RE relocations libbpf resolves for `obj` against `btf` ("<kind> type.field" lines, deduplicated). */
async function relocations(btf: string, obj: string): Promise<{ matched: string[]; log: string }> {
  const r = await run(BPFTOOL, ['-d', 'gen', 'min_core_btf', btf, join(tmp, `min-${Math.random().toString(36).slice(2)}.btf`), obj]);
  const log = r.stderr + r.stdout;
  expect(r.code, log.slice(-3000)).toBe(0);
  const matched = [
    ...new Set(
      [...log.matchAll(/: matching candidate #\d+ <(\w+)> \[\d+\] ([^(\n]+?)(?: \(|$| =)/gm)].map((m) => `${m[1]} ${m[2]!.trim()}`),
    ),
  ];
  return { matched, log };
}

describe('CO-RE page walk relocations (KC_NO_KFUNC build)', () => {
  const obj = join(tmp, 'sample-nokfunc.o');
  const built = (async () => {
    const c = await clangBpf(join(TEST_BPF, 'sample.bpf.c'), obj, ['-DKC_NO_KFUNC']);
    expect(c.stderr).toBe('');
  })();

  it('corpus 6.1: PG_slab in page->flags, slab_cache, compound_head, task stack', async () => {
    await built;
    const { matched } = await relocations(BTF_61, obj);
    expect(matched).toEqual(
      expect.arrayContaining([
        'enumval_exists enum pageflags::PG_slab',
        'enumval_value enum pageflags::PG_slab',
        'byte_off struct page.flags',
        'byte_off struct page.compound_head',
        'byte_off struct slab.slab_cache',
        'byte_off struct task_struct.stack',
        'type_size struct page',
      ]),
    );
    expect(matched.some((m) => m.includes('PGTY_slab'))).toBe(false);
  });

  it.skipIf(!existsSync(HOST_BTF))("this machine's kernel: the PGTY_slab page type instead of PG_slab", async () => {
    await built;
    const { matched } = await relocations(HOST_BTF, obj);
    expect(matched).toEqual(
      expect.arrayContaining([
        'enumval_exists enum pagetype::PGTY_slab',
        'enumval_value enum pagetype::PGTY_slab',
        'byte_off struct page.page_type',
        'byte_off struct slab.slab_cache',
        'byte_off struct task_struct.stack',
      ]),
    );
    expect(matched.some((m) => m.includes('PG_slab'))).toBe(false);
  });
});

describe.skipIf(!existsSync(HOST_BTF))("runtime/bpf and test/bpf compile against the running kernel's vmlinux.h too", () => {
  const inc = join(tmp, 'host');
  const ready = (async () => {
    mkdirSync(inc, { recursive: true });
    const r = await run(BPFTOOL, ['btf', 'dump', 'file', HOST_BTF, 'format', 'c']);
    expect(r.code).toBe(0);
    writeFileSync(join(inc, 'vmlinux.h'), r.stdout);
  })();
  for (const [dir, f] of [
    [RUNTIME_BPF, 'checker.bpf.c'],
    [TEST_BPF, 'sample.bpf.c'],
    [TEST_BPF, 'test_harness.bpf.c'],
  ] as const) {
    it(f, async () => {
      await ready;
      const r = await run(CLANG, [...BPF_CLANG_FLAGS, '-I', inc, ...BPF_INCLUDES, '-c', join(dir, f), '-o', join(tmp, `${f}.host.o`)]);
      expect(r.stderr, r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  }
});
