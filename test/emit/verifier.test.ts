// Tests that the kernel's verifier accepts what kcompart generates: BPF
// objects are loaded into THIS machine's kernel with `bpftool prog loadall`
// into a private bpffs directory and unpinned right after — nothing is ever
// attached. The sample site programs (kfunc path, and the CO-RE page walk with
// the kfunc left out: test/bpf/sample.bpf.c), a small hand-made policy, a hostile-named policy and
// the real net/ipv6/addrlabel pipeline must load entirely; a machine that
// refuses BPF (EPERM) FAILS these tests with that reason (shown by running
// bpftool as nobody without capabilities). Program counts and
// per-function instruction counts (xlated) are printed.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KC, RUNTIME_PROGRAMS, compileBpf, emitBpf, type EmitResult } from '../../src/emit/index.js';
import { copyFileSync, chmodSync } from 'node:fs';
import { BPFTOOL, CLANG, LoadFailure, TEST_BPF, clangBpf, corpusVmlinux, loadWithoutAttach, run, type LoadResult } from './support/bpf.js';
import { addrlabelPolicy, hostilePolicy, smallPolicy } from './support/policies.js';

const tmp = mkdtempSync(join(tmpdir(), 'kcompart-verify-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const report: string[] = [];
afterAll(() => {
  if (report.length) console.log(`verifier (kernel ${osRelease()}):\n  ${report.join('\n  ')}`);
});

/** The running kernel's release. */
function osRelease(): string {
  try {
    return readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    return '?';
  }
}

function summarize(what: string, r: LoadResult): void {
  const checker = r.programs.find((p) => p.functions['kc_check'] !== undefined)?.functions['kc_check'];
  const own = r.programs
    .filter((p) => p.name.startsWith('kc_site_'))
    .map((p) => p.functions[p.name] ?? 0)
    .filter((n) => n > 0);
  const track = r.programs.find((p) => p.functions['kc_track'] !== undefined)?.functions['kc_track'];
  report.push(
    `${what}: ${r.programs.length} programs loaded in ${r.ms.toFixed(0)} ms; kc_check ${checker ?? '?'}, kc_track ${track ?? '?'} insns (xlated)` +
      (own.length ? `; site program ${Math.min(...own)}–${Math.max(...own)} insns` : ''),
  );
}

async function emitCompileLoad(name: string, result: EmitResult, dumpPrograms?: number): Promise<LoadResult> {
  const res = await compileBpf(result.files, { clang: CLANG, vmlinuxH: corpusVmlinux().header, outDir: join(tmp, name) });
  expect(res.diagnostics).toEqual([]);
  return loadWithoutAttach(res.objects[0]!.object, { dumpPrograms });
}

describe('the kernel verifier accepts every program (loaded, never attached)', () => {
  it('sample.bpf.c with the bpf_get_kmem_cache kfunc', async () => {
    const obj = join(tmp, 'sample.o');
    expect((await clangBpf(join(TEST_BPF, 'sample.bpf.c'), obj)).code).toBe(0);
    const r = await loadWithoutAttach(obj);
    expect(r.programs.map((p) => p.name).sort()).toEqual(['kc_alloc_0', 'kc_site_0', 'kc_site_1', ...RUNTIME_PROGRAMS].sort());
    const site0 = r.programs.find((p) => p.name === 'kc_site_0')!;
    expect(site0.functions['kc_check']).toBeGreaterThan(50);
    // the weak kfunc resolved on this kernel: the xlated checker calls it
    expect(site0.dump).toMatch(/bpf_get_kmem_cache/);
    summarize('sample (kfunc)', r);
  });

  it('sample.bpf.c with the kfunc left out (CO-RE page walk only)', async () => {
    const obj = join(tmp, 'sample-nokfunc.o');
    expect((await clangBpf(join(TEST_BPF, 'sample.bpf.c'), obj, ['-DKC_NO_KFUNC'])).code).toBe(0);
    const r = await loadWithoutAttach(obj);
    expect(r.programs).toHaveLength(3 + RUNTIME_PROGRAMS.length);
    expect(r.programs.find((p) => p.name === 'kc_site_0')!.dump).not.toMatch(/bpf_get_kmem_cache/);
    summarize('sample (CO-RE page walk)', r);
  });

  it('a small mapped policy', async () => {
    const e = emitBpf(smallPolicy(), { name: 'small' });
    const r = await emitCompileLoad('small', e);
    expect(r.programs).toHaveLength(e.stats.sitePrograms + e.stats.probePrograms + e.icalls.sites.length + RUNTIME_PROGRAMS.length);
    summarize(`small policy (${e.stats.programs} generated)`, r);
  });

  it('a hostile-named policy', async () => {
    const e = emitBpf(hostilePolicy(), { name: 'hostile' });
    const r = await emitCompileLoad('hostile', e);
    expect(r.programs).toHaveLength(e.stats.sitePrograms + e.stats.probePrograms + e.icalls.sites.length + RUNTIME_PROGRAMS.length);
    summarize(`hostile policy (${e.stats.programs} generated)`, r);
  });

  it('net/ipv6/addrlabel analyzed, mapped and emitted', async () => {
    const e = emitBpf(await addrlabelPolicy(), { name: 'addrlabel' });
    const r = await emitCompileLoad('addrlabel', e, 3);
    expect(r.programs).toHaveLength(e.stats.sitePrograms + e.stats.probePrograms + e.icalls.sites.length + RUNTIME_PROGRAMS.length);
    summarize(`net/ipv6/addrlabel (${e.stats.programs} generated of ${e.stats.binarySites} machine sites)`, r);
  });

  it("the generated loader loads net/ipv6/addrlabel's object (built in through its skeleton), fills its maps and exits, with attaching disabled", async () => {
    const e = emitBpf(await addrlabelPolicy(), { name: 'addrlabel' });
    const c = await compileBpf(e.files, { clang: CLANG, vmlinuxH: corpusVmlinux().header, outDir: join(tmp, 'loader'), loader: true });
    expect(c.diagnostics).toEqual([]);
    const r = await run(c.loader!, ['--no-attach', '--duration', '0']);
    if (r.code !== 0) throw new Error(`the loader failed (exit ${r.code}): ${r.stderr}${r.stdout}`);
    expect(r.stdout).toMatch(new RegExp(`^KC-LOADED compartment="[^"]*" sites=${e.stats.programs} probes=${e.probes.length} `, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^KC-MAPS sites=${e.stats.programs} `, 'm'));
    expect(r.stdout).toMatch(/^KC-KNOBS thread_size=16384 paging_levels=4 kfunc=1 old_objects=report on_violation=report$/m);
    expect(r.stdout).toMatch(/^KC-PHASE audit$/m);
    expect(r.stdout).toMatch(/^KC-COUNTERS final checks=0 /m);
    expect(r.stdout).toMatch(/^KC-DONE detached=0$/m);
    expect(r.stdout).not.toMatch(/^KC-ATTACHED/m);
    report.push(`addrlabel loader --no-attach: ${r.stdout.split('\n').find((l) => l.startsWith('KC-LOADED'))}`);
  });

  it('the loader really sets the knobs (.rodata) from its options before load', async () => {
    // a name of its own: the object's maps are named after its first 8 characters
    const name = `k${Math.random().toString(36).slice(2, 9)}`;
    const e = emitBpf(smallPolicy(), { name });
    const c = await compileBpf(e.files, { clang: CLANG, vmlinuxH: corpusVmlinux().header, outDir: join(tmp, name), loader: true });
    expect(c.diagnostics).toEqual([]);
    const running = run(c.loader!, [
      '--thread-size',
      '32768',
      '--paging-levels',
      '5',
      '--no-kfunc',
      '--old-objects',
      'violation',
      '--on-violation',
      'kill',
      '--hits',
      '--no-attach',
      '--duration',
      '6',
    ]);
    let id: number | undefined;
    for (let i = 0; i < 50 && id === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const maps = JSON.parse((await run(BPFTOOL, ['-j', 'map', 'show'])).stdout) as { id: number; name?: string }[];
      id = maps.find((m) => m.name === `${name.slice(0, 8)}.rodata`)?.id;
    }
    expect(id, "the loader's .rodata map").toBeDefined();
    const [entry] = JSON.parse((await run(BPFTOOL, ['-j', 'map', 'dump', 'id', String(id)])).stdout) as {
      value: string[];
      formatted: { value: { '.rodata': Record<string, number>[] } };
    }[];
    const names = entry!.formatted.value['.rodata'].map((o) => Object.keys(o)[0]);
    expect(names).toEqual([
      'kc_thread_size',
      'kc_direct_map_size',
      'kc_vmalloc_size',
      'kc_vmemmap_size',
      'kc_page_offset_fixed',
      'kc_vmalloc_fixed',
      'kc_vmemmap_fixed',
      'kc_use_kfunc',
      'kc_old_objects',
      'kc_on_violation',
      'kc_count_hits',
    ]);
    const bytes = Buffer.from(entry!.value.map((b) => Number(b)));
    const u64 = (k: number) => bytes.readBigUInt64LE(8 * k);
    expect([0, 1, 2, 3, 4, 5, 6].map(u64)).toEqual(
      [
        32768n,
        KC.L5_DIRECT_MAP_BYTES,
        KC.L5_VMALLOC_BYTES,
        KC.L5_VMEMMAP_BYTES,
        KC.L5_PAGE_OFFSET,
        KC.L5_VMALLOC_START,
        KC.L5_VMEMMAP_START,
      ].map(BigInt),
    );
    expect(bytes.readUInt32LE(56)).toBe(0);
    expect(bytes.readUInt32LE(60)).toBe(KC.OLD_VIOLATION);
    expect(bytes.readUInt32LE(64)).toBe(KC.ON_VIOLATION_KILL);
    expect(bytes.readUInt32LE(68)).toBe(1);
    const r = await running;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^KC-KNOBS thread_size=32768 paging_levels=5 kfunc=0 old_objects=violation on_violation=kill$/m);
  }, 60_000);

  it('a machine that refuses BPF makes the load FAIL with the reason (bpftool run as nobody without capabilities)', async () => {
    const obj = join(tmp, 'sample-eperm.o');
    expect((await clangBpf(join(TEST_BPF, 'sample.bpf.c'), obj)).code).toBe(0);
    const shared = join(tmpdir(), `kcompart-eperm-${process.pid}.o`); // readable by nobody (tmp is 0700)
    copyFileSync(obj, shared);
    chmodSync(shared, 0o644);
    try {
      const err = await loadWithoutAttach(shared, {
        wrapper: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'],
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LoadFailure);
      expect((err as Error).message).toMatch(/refused BPF \(EPERM/);
    } finally {
      rmSync(shared, { force: true });
    }
  });
});
