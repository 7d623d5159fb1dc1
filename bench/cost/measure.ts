// Owns the measured parts of the run-time cost model (bench/cost.ts, issue 15 item 3): the ns per
// kc_check_range call on each region path, timed by bench/cost/cost.bpf.c through
// BPF_PROG_TEST_RUN on this machine's kernel (loaded, run, never attached), and the CPU time of
// the net/ipv6 workload's TCP and UDP parts run natively here.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BPF_CLANG_FLAGS, KC } from '../../src/emit/index.js';
import { BPFTOOL, run, sitePolicyUpdate, u32s, u64s } from '../../scripts/lib/bpf-load.js';
import { repoRoot } from '../../scripts/lib/paths.js';

const ROOT = repoRoot();
const CLANG = process.env['CLANG'] ?? 'clang-19';
const work = join(ROOT, '.cache', 'cost');

export function must(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${err.stderr || err.message}`);
  }
}

/** The region paths timed: [label, counter of the VM run it stands for, site, regions, flags, mode, record, addr]. */
export interface Path {
  label: string;
  counter: string;
  site: number;
  regions: number;
  flags: number;
  mode: number;
  record: number;
  /** Global slots of the site: 1 or 16 kernel ranges, 17 for the per-cpu variable's offset range. */
  globals?: number;
}
export const PATHS: readonly Path[] = [
  { label: 'stack', counter: 'pass_stack', site: 1, regions: KC.R_STACK, flags: 0, mode: 1, record: 0 },
  { label: 'global (1 range)', counter: 'pass_global', site: 2, regions: KC.R_GLOBAL, flags: 0, mode: 0, record: 0, globals: 1 },
  { label: 'global (16 ranges)', counter: 'pass_global', site: 3, regions: KC.R_GLOBAL, flags: 0, mode: 0, record: 0, globals: 16 },
  // a gs-relative write bounded to one per-cpu variable of the set: its offset range in global slot 16
  {
    label: 'per-cpu (gs, one variable)',
    counter: 'pass_percpu',
    site: 4 | KC.SITE_GS,
    regions: KC.R_PERCPU | KC.R_GLOBAL,
    flags: 0,
    mode: 0,
    record: 0,
    globals: 17,
  },
  { label: 'slab, cache allowed', counter: 'pass_slab', site: 5, regions: KC.R_SLAB, flags: 0, mode: 2, record: 1 },
  { label: 'slab, tracked object', counter: 'pass_slab', site: 6, regions: KC.R_SLAB, flags: KC.F_TRACKED_SLAB, mode: 2, record: 2 },
  { label: 'buddy, tracked block', counter: 'pass_buddy', site: 7, regions: KC.R_BUDDY, flags: KC.F_TRACKED_BUDDY, mode: 3, record: 3 },
  {
    label: 'vmalloc, tracked area',
    counter: 'pass_vmalloc',
    site: 8,
    regions: KC.R_VMALLOC,
    flags: KC.F_TRACKED_VMALLOC,
    mode: 4,
    record: 4,
  },
];

/** Median ns per kc_check_range call of each path in `paths` (5 runs of `iterations` calls each). */
export async function measureCheckCost(iterations: number, paths: readonly Path[] = PATHS): Promise<Map<string, number>> {
  mkdirSync(work, { recursive: true });
  const obj = join(work, 'cost.o');
  const runner = join(work, 'test_run');
  must(CLANG, [
    ...BPF_CLANG_FLAGS,
    '-I',
    join(ROOT, '.cache'),
    '-I',
    join(ROOT, 'runtime', 'bpf'),
    '-I',
    join(ROOT, 'runtime', 'include'),
    '-c',
    join(ROOT, 'bench', 'cost', 'cost.bpf.c'),
    '-o',
    obj,
  ]);
  must('cc', ['-O2', join(ROOT, 'test', 'bpf', 'test_run.c'), '-o', runner, '-lbpf']);
  const pin = `/sys/fs/bpf/kcompart-cost-${process.pid}`;
  const maps = join(pin, 'maps');
  rmSync(pin, { recursive: true, force: true });
  must(BPFTOOL, ['prog', 'loadall', obj, pin, 'pinmaps', maps]);
  try {
    const stext = /^([0-9a-f]+) T _stext$/m.exec(readFileSync('/proc/kallsyms', 'utf8'))?.[1];
    if (!stext || /^0+$/.test(stext)) throw new Error('no _stext address in /proc/kallsyms (run as root)');
    const S = BigInt(`0x${stext}`);
    // global slots 0..15: 16 disjoint ranges, the write's own one last
    for (let k = 0; k < 16; k++) {
      const lo = k === 15 || k === 0 ? S : S + 0x100000n + BigInt(k) * 0x100n;
      must(BPFTOOL, ['map', 'update', 'pinned', join(maps, 'kc_globals'), 'key', ...u32s(k), 'value', ...u64s(lo, lo + 64n)]);
    }
    // slot 16: a per-cpu variable at offset 0x100 of the per-cpu area, 64 bytes
    must(BPFTOOL, ['map', 'update', 'pinned', join(maps, 'kc_globals'), 'key', ...u32s(16), 'value', ...u64s(0x100n, 0x140n)]);
    for (const p of paths) {
      const site = p.site & ~KC.SITE_GS;
      const [first, count] = p.globals === 17 ? [16, 1] : p.globals === 16 ? [0, 16] : p.globals === 1 ? [0, 1] : [0, 0];
      must(BPFTOOL, sitePolicyUpdate(maps, site, { regions: p.regions, globalFirst: first, globalCount: count, flags: p.flags }));
      if (p.flags) must(BPFTOOL, ['map', 'update', 'pinned', join(maps, 'kc_allowed_allocs'), 'key', ...u32s(site, 7), 'value', '1']);
    }
    const ns = new Map<string, number>();
    for (const p of paths) {
      const addr = p.label.startsWith('global') ? S + 8n : p.label.startsWith('per-cpu') ? 0x108n : 0n;
      const samples: number[] = [];
      for (let r = 0; r < 5; r++) {
        const res = await run(runner, [
          join(pin, 'kc_cost'),
          String(p.site >>> 0),
          String(p.mode),
          `0x${addr.toString(16)}`,
          String(p.record),
          '8',
          String(iterations),
        ]);
        if (res.code !== 0) throw new Error(`${p.label}: ${res.stderr}`);
        const v = Number(res.stdout.trim());
        if (v >= 0xff000000) throw new Error(`${p.label}: the first check did not pass (result ${v & 0xff})`);
        samples.push(v / 100);
      }
      samples.sort((a, b) => a - b);
      ns.set(p.label, samples[2]!);
    }
    return ns;
  } finally {
    rmSync(pin, { recursive: true, force: true });
  }
}

/** CPU seconds (user + system) of `rounds` rounds of the workload's TCP and UDP parts on this machine. */
export function hostWorkloadCpu(rounds: number): number {
  mkdirSync(work, { recursive: true });
  const netload = join(work, 'netload');
  must('cc', ['-O2', join(ROOT, 'scripts', 'e2e', 'netload.c'), '-o', netload]);
  const port = 20000 + (process.pid % 10000);
  const script = `TIMEFORMAT="%U %S"; time ( for i in $(seq ${rounds}); do ${netload} tcp ${port} 200000 && ${netload} udp $((${port} + 1)) 50 || exit 1; done )`;
  // bash's `time` reports on stderr
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`the host workload failed: ${r.stderr}`);
  const [u, s] = r.stderr.trim().split(/\s+/).slice(-2).map(Number);
  return (u ?? 0) + (s ?? 0);
}
