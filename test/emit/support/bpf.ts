// Test support for test/emit: the corpus kernel's vmlinux.h (made with
// bpftool into .cache/ when missing, never committed), clang on a file of
// runtime/bpf or test/bpf (with runtime/bpf, runtime/include and test/bpf as
// include directories);
// loading without attaching lives in scripts/lib/bpf-load.ts (shared with
// the emit benchmark) and is re-exported here.

import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BPFTOOL, run, type RunResult } from '../../../scripts/lib/bpf-load.js';
import { repoRoot } from '../../../scripts/lib/paths.js';
import { BPF_CLANG_FLAGS } from '../../../src/emit/index.js';

export {
  BPFTOOL,
  LoadFailure,
  loadWithoutAttach,
  run,
  type LoadResult,
  type LoadedProgram,
  type RunResult,
} from '../../../scripts/lib/bpf-load.js';

export const ROOT = repoRoot(import.meta.dirname);
export const CLANG = process.env['CLANG'] ?? 'clang-19';
/** The run time: runtime/bpf (maps, checker, tracking), runtime/include (kcompart.h), runtime/loader. */
export const RUNTIME = join(ROOT, 'runtime');
export const RUNTIME_BPF = join(RUNTIME, 'bpf');
export const RUNTIME_INCLUDE = join(RUNTIME, 'include');
/** The BPF_PROG_TEST_RUN harness and the sample site programs. */
export const TEST_BPF = join(ROOT, 'test', 'bpf');
/** -I flags for a file of runtime/bpf or test/bpf. */
export const BPF_INCLUDES = ['-I', RUNTIME_BPF, '-I', RUNTIME_INCLUDE, '-I', TEST_BPF] as const;
export const CORPUS = process.env['KCOMPART_CORPUS'] ?? resolve(ROOT, '..', 'shared', 'corpus');
export const BTF_61 = join(CORPUS, 'linux-6.1', 'kernel', 'vmlinux.btf');

/** .cache/vmlinux-6.1.h (from the corpus BTF) and .cache/vmlinux.h pointing at it; returns the include dir. */
export function corpusVmlinux(): { header: string; includeDir: string } {
  const dir = join(ROOT, '.cache');
  mkdirSync(dir, { recursive: true });
  const header = join(dir, 'vmlinux-6.1.h');
  if (!existsSync(header)) {
    const text = execFileSync(BPFTOOL, ['btf', 'dump', 'file', BTF_61, 'format', 'c'], { maxBuffer: 256 << 20, encoding: 'utf8' });
    writeFileSync(`${header}.${process.pid}`, text);
    renameSync(`${header}.${process.pid}`, header);
  }
  const link = join(dir, 'vmlinux.h');
  let ok = false;
  try {
    ok = lstatSync(link).isSymbolicLink() || existsSync(link);
  } catch {
    ok = false;
  }
  if (!ok) {
    try {
      symlinkSync('vmlinux-6.1.h', link);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return { header, includeDir: dir };
}

/** clang -g -O2 -Wall -target bpf on one file of runtime/bpf or test/bpf. */
export function clangBpf(src: string, out: string, extra: readonly string[] = [], clang: string = CLANG): Promise<RunResult> {
  const { includeDir } = corpusVmlinux();
  return run(clang, [...BPF_CLANG_FLAGS, '-I', includeDir, ...BPF_INCLUDES, ...extra, '-c', src, '-o', out]);
}
