// Tests issue 10's attach by address on the corpus: a static function of net/ipv6 whose name
// kallsyms repeats (net/ipv6's static calipso_doi_add beside net/netlabel's global one, a
// `static inline` helper emitted by several TUs) used to be refused by the kernel with
// EADDRNOTAVAIL. The loader's placement (runtime/loader/place.c, built here with a generated seed
// and run on the corpus System.map) must aim each probe at this TU's copy. The oracle is the
// kernel image itself: the vmlinux inside the corpus bzImage holds, at the address the probe
// resolves to, the bytes of the function in its object file (relocated bytes aside).

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutOf, readElf } from '../../src/binary/index.js';
import { SHT_RELA, STB_LOCAL, STT_FUNC } from '../../src/binary/elf/constants.js';
import type { ElfFile } from '../../src/binary/elf/file.js';
import { readRelocations } from '../../src/binary/elf/relocations.js';
import { seedHeader } from '../../src/emit/seed.js';
import type { FunctionLayout, Policy } from '../../src/policy/index.js';
import { CORPUS, ROOT, TEST_BPF, run } from './support/bpf.js';
import { policyOf, seedSite } from './support/policies.js';

const tmp = mkdtempSync(join(tmpdir(), 'kcompart-place-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const KERNEL = join(CORPUS, 'linux-6.1', 'kernel');
const IPV6 = join(CORPUS, 'linux-6.1', 'net', 'ipv6');

interface Fn {
  layout: FunctionLayout;
  elf: ElfFile;
  section: number;
  start: number;
  size: number;
}

/** The vmlinux of the corpus bzImage (gzip, CONFIG_KERNEL_GZIP): the bytes at a linked address. */
function vmlinuxBytes(): (addr: bigint, size: number) => Uint8Array | undefined {
  const bz = readFileSync(join(KERNEL, 'bzImage'));
  const vmlinux = gunzipSync(bz.subarray(bz.indexOf(Buffer.from([0x1f, 0x8b, 0x08]))));
  const elf = readElf(vmlinux, 'vmlinux (from bzImage)');
  const text = elf.sections.filter((s) => s.addr !== 0n && (s.flags & 4n) !== 0n); // SHF_EXECINSTR
  return (addr, size) => {
    const s = text.find((x) => x.addr <= addr && addr + BigInt(size) <= x.addr + BigInt(x.size));
    if (!s) return undefined;
    const at = s.offset + Number(addr - s.addr);
    return vmlinux.subarray(at, at + size);
  };
}

/** The bytes of a function in its object, with every relocated byte masked (-1). */
function objectBytes(f: Fn): number[] {
  const data = f.elf.sectionData(f.elf.sections[f.section]!);
  const bytes = Array.from(data.subarray(f.start, f.start + f.size));
  for (const rs of f.elf.sections.filter((s) => s.type === SHT_RELA && s.info === f.section)) {
    for (const r of readRelocations(f.elf, rs)) {
      const at = Number(r.offset) - f.start;
      const width = r.type === 1 /* R_X86_64_64 */ ? 8 : 4;
      for (let k = 0; k < width; k++) if (at + k >= 0 && at + k < bytes.length) bytes[at + k] = -1;
    }
  }
  return bytes;
}

async function place(name: string, fns: readonly Fn[]): Promise<{ lines: string[]; summary: string }> {
  const policy: Policy = { ...policyOf('place', []), functions: fns.map((f) => f.layout) };
  // a probe 1 byte into each function
  const sites = fns.map((f, id) =>
    seedSite(id, { object: f.layout.object, symbol: f.layout.symbol, offset: 1, function: f.layout.symbol }),
  );
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'p.seed.h'), seedHeader(policy, sites, [], []));
  writeFileSync(
    join(dir, 'dummy.skel.h'),
    '/* no BPF object: place.c, globals.c and kallsyms.c only */\nstruct kcdummy { int unused; };\n',
  );
  const loader = join(ROOT, 'runtime', 'loader');
  const exe = join(dir, 'place_run');
  const cc = await run('cc', [
    ...['-O2', '-Wall', '-Wextra', '-Werror', '-DKC_SEED="p.seed.h"', '-DKC_SEED_HASH=0ULL'],
    ...['-DKC_SKEL_HEADER="dummy.skel.h"', '-DKC_SKEL_NAME=kcdummy', '-I', dir, '-I', loader, '-I', join(ROOT, 'runtime', 'include')],
    ...[
      join(TEST_BPF, 'place_run.c'),
      join(loader, 'place.c'),
      join(loader, 'globals.c'),
      join(loader, 'kallsyms.c'),
      join(loader, 'seed.c'),
    ],
    ...['-o', exe],
  ]);
  expect(cc.code, cc.stderr).toBe(0);
  const r = await run(exe, [join(KERNEL, 'System.map')]);
  expect(r.code, r.stderr).toBe(0);
  const lines = r.stdout.split('\n');
  return { lines, summary: lines.find((l) => l.startsWith('KC-PLACED ')) ?? '' };
}

describe('probes of static functions whose names kallsyms repeats go to this TU’s copy (net/ipv6, System.map, bzImage)', () => {
  const fns: Fn[] = [];
  const count = new Map<string, number>();
  beforeAll(() => {
    for (const line of readFileSync(join(KERNEL, 'System.map'), 'utf8').split('\n')) {
      // every symbol of the name counts, as the kernel counts them before refusing a kprobe
      const name = line.split(' ')[2];
      if (name !== undefined) count.set(name, (count.get(name) ?? 0) + 1);
    }
    for (const f of readdirSync(IPV6).filter((x) => x.endsWith('.o'))) {
      const path = join(IPV6, f);
      const elf = readElf(readFileSync(path), path);
      for (const s of elf.symbols) {
        if (s.type !== STT_FUNC || s.binding !== STB_LOCAL || s.sectionOffset === undefined || (count.get(s.name) ?? 0) < 2) continue;
        const layout = layoutOf({ path, elf }, s.name);
        if (!layout?.neighbours?.length) continue;
        fns.push({
          layout: { object: path, symbol: s.name, section: layout.section ?? '', neighbours: layout.neighbours },
          elf,
          section: s.sectionIndex,
          start: s.sectionOffset,
          size: s.size,
        });
      }
    }
  });

  it('places every one at the address whose bytes are the function’s own, through a unique symbol below it', async () => {
    // calipso.c's 16 statics that net/netlabel repeats, dst_output in 5 TUs, …
    expect(fns.length).toBeGreaterThanOrEqual(60);
    const { lines, summary } = await place('ipv6', fns);
    expect(summary).toBe(`KC-PLACED functions=${fns.length} repeated=${fns.length} by_neighbours=${fns.length} unplaced=0`);
    const bytesAt = vmlinuxBytes();
    const anchors = new Set<string>();
    fns.forEach((f, i) => {
      const m = new RegExp(`^S ${i} (\\S+) anchor=(\\S+) offset=([0-9a-f]+) address=([0-9a-f]+)$`).exec(
        lines.find((l) => l.startsWith(`S ${i} `)) ?? '',
      );
      expect(m, `${f.layout.object}:${f.layout.symbol}`).not.toBeNull();
      const [, symbol, anchor, , address] = m!;
      expect(symbol).toBe(f.layout.symbol);
      // the kernel accepts the anchor by name: kallsyms holds it once
      expect(count.get(anchor!), anchor).toBe(1);
      anchors.add(anchor!);
      const want = objectBytes(f);
      const got = bytesAt(BigInt(`0x${address}`) - 1n, f.size);
      expect(got, `${f.layout.symbol}: no code at 0x${address}`).toBeDefined();
      const differ = want.findIndex((b, k) => b >= 0 && b !== got![k]);
      expect(differ, `${f.layout.object}:${f.layout.symbol} at 0x${address}: byte ${differ} differs`).toBe(-1);
    });
    expect(anchors.size).toBeGreaterThan(1);
  }, 180_000);

  it('keeps the name, and counts the function, when its neighbours do not single out a copy', async () => {
    const f = fns.find((x) => x.layout.symbol === 'calipso_doi_add')!;
    const { lines, summary } = await place('unplaced', [{ ...f, layout: { ...f.layout, neighbours: [] } }]);
    expect(summary).toBe('KC-PLACED functions=1 repeated=1 by_neighbours=0 unplaced=1');
    expect(lines[0]).toMatch(/^S 0 calipso_doi_add anchor=calipso_doi_add offset=1 /);
  }, 60_000);
});
