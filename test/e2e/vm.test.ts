// Tests the end-to-end harness and the example compartment before any policy
// exists: examples/kcdemo builds against the corpus headers (kcdemo.ko, the
// ET_REL kcdemo.o, kcdemo.ll with the faulty byte-store loop), the busybox
// initramfs runs a payload in the corpus kernel under qemu (TCG) with its
// mounts, limits and markers, a hung guest is killed at its timeout, and the
// kcdemo smoke workload (every command, then the buggy `note`) runs with
// KC-GUEST-EXIT 0, the overflow report and no oops or warning. Nothing here
// touches the host kernel. Missing qemu, busybox or clang FAILS with the reason.

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/paths.js';
import {
  KERNEL_TROUBLE,
  OVERFLOW_LINE,
  buildKcdemo,
  makeInitramfs,
  smokeProblems,
  writeSmokePayload,
  type KcdemoBuild,
} from '../../scripts/e2e/kcdemo.js';
import { bootGuest, corpusKernel, findQemu } from '../../scripts/e2e/vm.js';

const tmp = mkdtempSync(join(tmpdir(), 'kcompart-e2e-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const report: string[] = [];
afterAll(() => {
  if (report.length) console.log(`e2e:\n  ${report.join('\n  ')}`);
});

/** An initramfs whose /payload/guest.sh is a shell script of these lines. */
async function scriptInitrd(name: string, lines: readonly string[]): Promise<string> {
  const payload = join(tmp, `${name}-payload`);
  mkdirSync(payload, { recursive: true });
  writeFileSync(join(payload, 'guest.sh'), ['#!/bin/sh', ...lines, ''].join('\n'));
  chmodSync(join(payload, 'guest.sh'), 0o755);
  const initrd = join(tmp, `${name}.cpio.gz`);
  await makeInitramfs(payload, initrd);
  return initrd;
}

/** The body of one function `define … @name(…) … { … }` of a textual IR file. */
function functionBody(ll: string, name: string): string {
  const start = ll.search(new RegExp(`^define [^\\n]*@${name}\\(`, 'm'));
  if (start < 0) throw new Error(`@${name} is not defined in the IR`);
  const end = ll.indexOf('\n}\n', start);
  return ll.slice(start, end + 2);
}

describe('the kcdemo example module', () => {
  let build: KcdemoBuild;
  beforeAll(async () => {
    build = await buildKcdemo(join(tmp, 'kcdemo'));
    report.push(`kcdemo built (modules + kcdemo.ll) in ${build.seconds.toFixed(1)} s`);
  }, 180_000);

  it('builds kcdemo.ko, the ET_REL kcdemo.o and kcdemo.ll', () => {
    for (const f of [build.ko, build.object, build.ll]) expect(existsSync(f), f).toBe(true);
    const obj = readFileSync(build.object);
    expect(obj.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(obj.readUInt16LE(16)).toBe(1); // ET_REL
    expect(obj.readUInt16LE(18)).toBe(62); // EM_X86_64
    const ll = readFileSync(build.ll, 'utf8');
    expect(ll).toMatch(/^source_filename = ".*kcdemo\.c"$/m);
    expect(ll).toContain('!DICompileUnit(language: DW_LANG_C11'); // full debug info, like the .o
    // every allocation kind of the workload is there
    for (const callee of [
      'kmem_cache_create',
      'kmem_cache_alloc',
      'kmalloc_trace',
      '__kmalloc',
      'alloc_pages',
      'vzalloc',
      '__alloc_percpu',
    ]) {
      expect(ll, callee).toMatch(new RegExp(`call [^\\n]*@${callee}\\(`));
    }
  });

  it('keeps the faulty write a byte-store loop in kcdemo_note (no memset/memcpy)', () => {
    const ll = readFileSync(build.ll, 'utf8');
    const body = functionBody(ll, 'kcdemo_note');
    // the loop `note[i] = pattern ^ (u8)(i * 7)`: its source line, and i8 stores carrying it
    const src = readFileSync(join(repoRoot(), 'examples', 'kcdemo', 'kcdemo.c'), 'utf8').split('\n');
    const line = src.findIndex((l) => l.includes('note[i] = pattern ^')) + 1;
    expect(line).toBeGreaterThan(0);
    const locs = new Set(
      [...ll.matchAll(new RegExp(`^(!\\d+) = !DILocation\\(line: ${line}, column: \\d+, scope: `, 'gm'))].map((m) => m[1]!),
    );
    expect(locs.size).toBeGreaterThan(0);
    const faulty = body.split('\n').filter((l) => /^\s+store i8 /.test(l) && [...locs].some((id) => l.endsWith(`!dbg ${id}`)));
    expect(faulty.length).toBeGreaterThan(0);
    expect(body).not.toMatch(/@llvm\.mem(set|cpy|move)/);
    expect(body).not.toMatch(/call [^\n]*@(memset|memcpy|__memset|__memcpy)\(/);
    // the wrong bound: 64 + 64
    expect(body).toMatch(/icmp (ugt|ult) i32 %len, 1(28|29)/);
  });

  it('keeps the note (site A) and victim (site B) allocations apart in kcdemo_note_alloc', () => {
    const body = functionBody(readFileSync(build.ll, 'utf8'), 'kcdemo_note_alloc');
    const kmallocs = body.split('\n').filter((l) => /call [^\n]*@kmalloc_trace\(ptr [^,]+, i32 noundef \d+, i64 noundef 64\)/.test(l));
    expect(kmallocs.length).toBe(2);
    expect(new Set(kmallocs.map((l) => /!dbg (!\d+)/.exec(l)?.[1])).size).toBe(2);
  });
});

describe('the qemu harness (corpus kernel, TCG)', () => {
  it('has qemu-system-x86_64, a static busybox and the corpus bzImage', () => {
    expect(findQemu(), 'qemu-system-x86_64 not found: apt-get install qemu-system-x86 (scripts/setup.sh does)').not.toBeNull();
    expect(existsSync('/bin/busybox'), '/bin/busybox missing: apt-get install busybox-static').toBe(true);
    expect(existsSync(corpusKernel()), `${corpusKernel()} missing`).toBe(true);
  });

  it('runs /payload/guest.sh with its mounts, limits and markers, and passes its exit status', async () => {
    const payload = join(tmp, 'probe-payload');
    mkdirSync(join(payload, 'bin'), { recursive: true });
    writeFileSync(join(payload, 'bin', 'tool'), '#!/bin/sh\necho tool-ran\n');
    chmodSync(join(payload, 'bin', 'tool'), 0o755);
    writeFileSync(join(payload, 'data.txt'), 'payload-data\n');
    writeFileSync(
      join(payload, 'guest.sh'),
      [
        '#!/bin/sh',
        'echo "cwd $(pwd)"',
        '/payload/bin/tool',
        'cat /payload/data.txt',
        'echo "nofile $(ulimit -n)"',
        'for m in /proc /sys /dev /sys/kernel/debug /sys/kernel/tracing /sys/fs/bpf; do grep -q " $m " /proc/mounts && echo "mounted $m"; done',
        'ip link show lo | grep -q "UP" && echo "lo up"',
        'ping -c 1 -W 2 127.0.0.1 >/dev/null && echo ping-ok',
        'exit 7',
        '',
      ].join('\n'),
    );
    chmodSync(join(payload, 'guest.sh'), 0o755);
    const initrd = join(tmp, 'probe.cpio.gz');
    await makeInitramfs(payload, initrd);
    const lines: string[] = [];
    const r = await bootGuest({ initrd, timeoutMs: 120_000, onLine: (l) => lines.push(l) });
    report.push(`boot to KC-GUEST-EXIT and power-off (probe payload): ${r.seconds.toFixed(1)} s`);
    expect(r.timedOut, r.log).toBe(false);
    expect(r.exitStatus, r.log).toBe(7);
    expect(`${lines.join('\n')}\n`).toBe(r.log);
    const out = r.log;
    const start = out.indexOf('KC-GUEST-START\n');
    expect(start, out).toBeGreaterThanOrEqual(0);
    expect(out.indexOf('KC-GUEST-EXIT 7')).toBeGreaterThan(start);
    for (const want of ['cwd /payload', 'tool-ran', 'payload-data', 'nofile 65536', 'lo up', 'ping-ok'])
      expect(out, want).toContain(`${want}\n`);
    for (const m of ['/proc', '/sys', '/dev', '/sys/kernel/debug', '/sys/kernel/tracing', '/sys/fs/bpf'])
      expect(out).toContain(`mounted ${m}\n`);
    expect(out).not.toMatch(KERNEL_TROUBLE);
  });

  it('kills a guest that does not finish in time', async () => {
    const initrd = await scriptInitrd('hang', ['sleep 1000']);
    const r = await bootGuest({ initrd, timeoutMs: 1500 });
    expect(r.timedOut).toBe(true);
    expect(r.exitStatus).toBeNull();
    expect(r.seconds).toBeLessThan(10);
  });

  it('kills a guest whose kernel keeps reporting a stall, and says so', async () => {
    // the payload prints the kernel's kthread-starvation report to the console, as a stalled guest does every 63 s
    const initrd = await scriptInitrd('stall', [
      'echo KC-STALL-TEST',
      'for i in 1 2 3 4 5 6 7 8 9 10; do',
      '  echo "rcu: rcu_preempt kthread starved for 2503 jiffies! g3493 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x0 ->cpu=1"',
      '  sleep 1',
      'done',
      'sleep 1000',
    ]);
    const r = await bootGuest({ initrd, timeoutMs: 120_000, stallMs: 2500 });
    expect(r.timedOut, r.log).toBe(false);
    expect(r.exitStatus).toBeNull();
    expect(r.stalled?.lastMarker, r.log).toBe('KC-STALL-TEST');
    expect(r.stalled!.reports.length).toBeGreaterThanOrEqual(3);
    expect(r.stalled!.reports.length).toBeLessThan(10);
    expect(r.log).toMatch(/\[killed: the guest stalled, \d+ stall reports over \d+ s\]/);
  });

  it('runs the kcdemo workload and its overflow without an oops or a warning', async () => {
    const build = await buildKcdemo(join(tmp, 'kcdemo-smoke'));
    const payload = join(tmp, 'smoke-payload');
    writeSmokePayload(payload, build.ko, 5);
    const initrd = join(tmp, 'smoke.cpio.gz');
    await makeInitramfs(payload, initrd);
    const r = await bootGuest({ initrd, timeoutMs: 180_000 });
    report.push(`kcdemo smoke (5 rounds + note 100): ${r.seconds.toFixed(1)} s of qemu`);
    expect(smokeProblems(r.log, r.exitStatus, r.timedOut), r.log).toEqual([]);
    expect(r.log).toMatch(/^KC-GUEST-EXIT 0$/m);
    const overflow = OVERFLOW_LINE.exec(r.log);
    expect(overflow, r.log).not.toBeNull();
    // the reported victim is the one right after the note of the same call
    const note = /kcdemo: note ([0-9a-f]{16}) victim ([0-9a-f]{16}) len 100/.exec(r.log);
    expect(note, r.log).not.toBeNull();
    expect(BigInt(`0x${note![2]}`) - BigInt(`0x${note![1]}`)).toBe(64n);
    expect(note![2]).toBe(overflow![1]);
    expect(r.log).toMatch(/KC-SMOKE-STATS cmds \d+ .* sessions 10 msgs 20 bufs 15 pages 5 vms 5 notes 2 overflows 1 errors 5/);
  }, 240_000);
});
