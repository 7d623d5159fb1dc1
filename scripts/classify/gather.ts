// Owns the guest side of `npm run bench:classify` (issue 10 item 3): builds the
// object sampler (runtime/sample/) and netload, packs them with
// scripts/classify/sample-guest.sh into an initramfs, boots the corpus kernel
// under qemu (scripts/e2e/vm.ts), and decodes the samples the guest prints
// (gzip + base64 between KC-SAMPLES-BEGIN and KC-SAMPLES-END) into a file.
// Nothing here attaches anything to the host kernel: the sampler runs only in
// the guest.

import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { makeInitramfs, runScript } from '../e2e/kcdemo.js';
import { bootGuest } from '../e2e/vm.js';
import { repoRoot } from '../lib/paths.js';

export interface GatherResult {
  /** The sample file (objsample's output), decoded. */
  samples: string;
  /** The guest console log. */
  logPath: string;
  /** The sampler's KC-SAMPLE-COUNTS line. */
  counts: string;
  /** KC-KALLSYMS-CHECK name -> address as the guest's /proc/kallsyms has it. */
  kallsyms: Map<string, bigint>;
  seconds: number;
}

/** Builds the sampler into `dir` (clang-19 BPF object, bpftool skeleton, static loader); returns the binary. */
export async function buildSampler(dir: string): Promise<string> {
  const root = repoRoot();
  mkdirSync(dir, { recursive: true });
  for (const f of ['objsample.bpf.c', 'objsample.c', 'objsample.h']) copyFileSync(join(root, 'runtime', 'sample', f), join(dir, f));
  copyFileSync(join(root, '.cache', 'vmlinux-6.1.h'), join(dir, 'vmlinux.h'));
  const bpfo = join(dir, 'objsample.bpf.o');
  await runScript('clang-19', [
    '-g',
    '-O2',
    '-Wall',
    '-target',
    'bpf',
    '-D__TARGET_ARCH_x86',
    '-I',
    dir,
    '-c',
    join(dir, 'objsample.bpf.c'),
    '-o',
    bpfo,
  ]);
  const skel = await runScript('bpftool', ['gen', 'skeleton', bpfo, 'name', 'objsample']);
  writeFileSync(join(dir, 'objsample.skel.h'), skel.stdout);
  const bin = join(dir, 'objsample');
  await runScript('cc', ['-O2', '-Wall', '-Wextra', '-I', dir, join(dir, 'objsample.c'), '-o', bin, '-static', '-lbpf', '-lelf', '-lz']);
  return bin;
}

/** Runs the sampling guest; throws with the log's tail when the guest fails. */
export async function gatherSamples(
  workDir: string,
  opts: { rounds: number; timeoutMs: number; caps?: [number, number]; verbose?: boolean },
): Promise<GatherResult> {
  const root = repoRoot();
  const build = join(workDir, 'build');
  const payload = join(workDir, 'payload');
  rmSync(payload, { recursive: true, force: true });
  mkdirSync(payload, { recursive: true });
  copyFileSync(await buildSampler(build), join(payload, 'objsample'));
  await runScript('cc', ['-O2', '-Wall', '-static', join(root, 'scripts', 'e2e', 'netload.c'), '-o', join(payload, 'netload')]);
  copyFileSync(join(root, 'scripts', 'classify', 'sample-guest.sh'), join(payload, 'guest.sh'));
  chmodSync(join(payload, 'guest.sh'), 0o755);
  writeFileSync(join(payload, 'rounds'), `${opts.rounds}\n`);
  if (opts.caps) writeFileSync(join(payload, 'caps'), `${opts.caps[0]} ${opts.caps[1]}\n`);
  const initrd = join(workDir, 'initrd.cpio.gz');
  await makeInitramfs(payload, initrd);
  const r = await bootGuest({
    initrd,
    timeoutMs: opts.timeoutMs,
    onLine: opts.verbose ? (l) => (l.startsWith('KC-') ? console.error(l) : undefined) : undefined,
  });
  const logPath = join(workDir, 'guest.log');
  writeFileSync(logPath, r.log);
  const lines = r.log.split('\n');
  const begin = lines.indexOf('KC-SAMPLES-BEGIN');
  const end = lines.indexOf('KC-SAMPLES-END');
  if (r.timedOut || begin < 0 || end < begin || !lines.includes('KC-CLASSIFY-OK')) {
    const why = lines.find((l) => l.startsWith('KC-CLASSIFY-FAIL')) ?? (r.timedOut ? 'timed out' : 'no KC-CLASSIFY-OK');
    throw new Error(`sampling guest failed (${why}); log: ${logPath}\n${lines.slice(-30).join('\n')}`);
  }
  const bin = gunzipSync(Buffer.from(lines.slice(begin + 1, end).join(''), 'base64'));
  const samples = join(workDir, 'samples.bin');
  writeFileSync(samples, bin);
  const kallsyms = new Map<string, bigint>();
  for (const l of lines) {
    const m = /^KC-KALLSYMS-CHECK (\S+) ([0-9a-f]+)$/.exec(l);
    if (m) kallsyms.set(m[1]!, BigInt(`0x${m[2]}`));
  }
  return { samples, logPath, counts: lines.find((l) => l.startsWith('KC-SAMPLE-COUNTS')) ?? '', kallsyms, seconds: r.seconds };
}
