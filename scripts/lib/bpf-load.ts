// Owns running BPF objects through this machine's kernel verifier for the
// tests and the emit benchmark: `bpftool prog loadall` into a private bpffs
// directory (/sys/fs/bpf/kcompart-test-*), nothing attached, then the
// xlated image of each program read back and the directory removed (which
// unloads them). A refusal (EPERM included) is a LoadFailure with the reason.

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const BPFTOOL = ['/usr/sbin/bpftool', '/usr/bin/bpftool'].find((p) => existsSync(p)) ?? 'bpftool';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((res) => {
    execFile(cmd, args, { maxBuffer: 256 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0;
      res({ code, stdout, stderr: err && code === 127 ? `${stderr}${err.message}` : stderr });
    });
  });
}

export interface LoadedProgram {
  name: string;
  /** Instructions per function of the program's xlated image (the program and the subprograms it calls, e.g. kc_check). */
  functions: Record<string, number>;
  xlatedBytes: number;
  /** `bpftool prog dump xlated` text ("" when not dumped). */
  dump: string;
}

export interface LoadResult {
  programs: LoadedProgram[];
  ms: number;
}

/** Why a load failed, in one line the test can show. */
export class LoadFailure extends Error {}

/**
 * Loads every program of `object` into the running kernel through the verifier
 * and pins them under a fresh /sys/fs/bpf/kcompart-test-* directory — nothing
 * is attached — reads their xlated images, then unpins (removes the directory),
 * which unloads them. Throws LoadFailure with bpftool's output (EPERM included).
 */
export async function loadWithoutAttach(
  object: string,
  opts: {
    dumpPrograms?: number /** Programs dumped whatever their position (e.g. one site program and one allocation probe). */;
    dumpNames?: readonly string[] /** A command prefix for bpftool (e.g. setpriv dropping privileges). */;
    wrapper?: readonly string[];
  } = {},
): Promise<LoadResult> {
  const pin = `/sys/fs/bpf/kcompart-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const t0 = performance.now();
  const w = opts.wrapper ?? [];
  const r = w.length
    ? await run(w[0]!, [...w.slice(1), BPFTOOL, 'prog', 'loadall', object, pin])
    : await run(BPFTOOL, ['prog', 'loadall', object, pin]);
  const ms = performance.now() - t0;
  try {
    if (r.code !== 0) {
      const why = /Operation not permitted|EPERM|Permission denied/.test(r.stderr + r.stdout)
        ? 'the kernel refused BPF (EPERM: no CAP_BPF/CAP_SYS_ADMIN or BPF disabled)'
        : 'bpftool prog loadall failed';
      throw new LoadFailure(`${why} for ${object}:\n${(r.stderr + r.stdout).slice(-4000)}`);
    }
    const names = readdirSync(pin).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    const programs: LoadedProgram[] = [];
    const dumpN = opts.dumpPrograms ?? names.length;
    for (const [k, name] of names.entries()) {
      if (k >= dumpN && !opts.dumpNames?.includes(name)) {
        programs.push({ name, functions: {}, xlatedBytes: 0, dump: '' });
        continue;
      }
      const show = await run(BPFTOOL, ['-j', 'prog', 'show', 'pinned', join(pin, name)]);
      const xlatedBytes = show.code === 0 ? Number((JSON.parse(show.stdout) as { bytes_xlated?: number }).bytes_xlated ?? 0) : 0;
      const dump = await run(BPFTOOL, ['prog', 'dump', 'xlated', 'pinned', join(pin, name)]);
      const functions: Record<string, number> = {};
      let cur = '?';
      for (const line of dump.stdout.split('\n')) {
        const h = /^\S.*?(\w+)\(.*\):$/.exec(line);
        if (h) cur = h[1]!;
        else if (/^\s*\d+: \(/.test(line)) functions[cur] = (functions[cur] ?? 0) + 1;
      }
      programs.push({ name, functions, xlatedBytes, dump: dump.stdout });
    }
    return { programs, ms };
  } finally {
    rmSync(pin, { recursive: true, force: true });
  }
}

/** Little-endian bytes of u32 values, as `bpftool map update … key|value` takes them. */
export function u32s(...v: number[]): string[] {
  const b = Buffer.alloc(4 * v.length);
  for (const [i, x] of v.entries()) b.writeUInt32LE(x >>> 0, 4 * i);
  return [...b].map(String);
}

/** Little-endian bytes of u64 values. */
export function u64s(...v: bigint[]): string[] {
  const b = Buffer.alloc(8 * v.length);
  for (const [i, x] of v.entries()) b.writeBigUInt64LE(x, 8 * i);
  return [...b].map(String);
}

/** The fields of a `struct kc_site_policy` (runtime/include/kcompart.h). */
export interface SitePolicyFields {
  regions: number;
  globalFirst?: number;
  globalCount?: number;
  flags?: number;
  foreignSet?: number;
}

/** bpftool's arguments that set site `id`'s kc_sites entry in the maps pinned under `maps`. */
export function sitePolicyUpdate(maps: string, id: number, p: SitePolicyFields): string[] {
  const value = u32s(p.regions, p.globalFirst ?? 0, p.globalCount ?? 0, p.flags ?? 0, p.foreignSet ?? 0);
  return ['map', 'update', 'pinned', join(maps, 'kc_sites'), 'key', ...u32s(id), 'value', ...value];
}
