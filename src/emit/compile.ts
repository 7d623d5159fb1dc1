// Owns the clang driver of src/emit: writes emitted files into a directory,
// runs `clang -g -O2 -Wall -target bpf -D__TARGET_ARCH_x86` on each
// `*.bpf.c` against a given vmlinux.h (made visible as `vmlinux.h` in a
// private include directory), builds the static libbpf loader from
// loader.c and the policy's seed header when asked, and returns the objects
// and the compilers' diagnostics as data; a failure is a BpfCompileError.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { BpfDiagnostic } from './errors.js';
import { BpfCompileError, EmitError } from './errors.js';
import type { EmittedFile } from './emit.js';

export interface CompileOptions {
  /** The clang binary (`clang-19`, `/usr/bin/clang-14`, …). */
  readonly clang: string;
  /** A vmlinux.h of the target kernel (any file name). */
  readonly vmlinuxH: string;
  /** Where to write the files and objects; default a new temporary directory. */
  readonly outDir?: string;
  /** More include directories (e.g. bpf-templates/). */
  readonly includeDirs?: readonly string[];
  /** More clang flags (e.g. `-DKC_NO_KFUNC`). */
  readonly extraFlags?: readonly string[];
  /**
   * Also build the loader (loader.c with the `<name>.seed.h` among the files) into `<name>-loader`:
   * `cc -O2 -Wall -static … -lbpf -lelf -lz` (`cc` by default; `static: false` links dynamically).
   */
  readonly loader?: boolean | { readonly cc?: string; readonly static?: boolean };
}

export interface CompiledObject {
  readonly source: string;
  readonly object: string;
  readonly diagnostics: readonly BpfDiagnostic[];
}

export interface CompileResult {
  readonly dir: string;
  readonly objects: CompiledObject[];
  /** Every diagnostic of every file (warnings included). */
  readonly diagnostics: BpfDiagnostic[];
  /** The loader executable, when built. */
  readonly loader?: string;
}

const DIAG = /^(.*?):(\d+):(\d+): (error|warning|note|fatal error): (.*)$/;

/** clang's `file:line:col: severity: message` lines. */
export function parseDiagnostics(stderr: string): BpfDiagnostic[] {
  const out: BpfDiagnostic[] = [];
  for (const line of stderr.split('\n')) {
    const m = DIAG.exec(line);
    if (m) out.push({ file: m[1]!, line: Number(m[2]), column: Number(m[3]), severity: m[4] as BpfDiagnostic['severity'], message: m[5]! });
  }
  return out;
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; stderr: string; spawnError?: Error }> {
  return new Promise((res) => {
    execFile(cmd, args, { maxBuffer: 64 << 20 }, (err, _stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') res({ code: null, stderr: String(stderr), spawnError: err });
      else res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr: String(stderr) });
    });
  });
}

/** Compiles every `*.bpf.c` of `files` to a BPF object. @throws {@link BpfCompileError} */
export async function compileBpf(files: readonly EmittedFile[], options: CompileOptions): Promise<CompileResult> {
  const dir = resolve(options.outDir ?? (await mkdtemp(join(tmpdir(), 'kcompart-bpf-'))));
  await mkdir(dir, { recursive: true });
  for (const f of files) {
    if (f.name !== basename(f.name) || f.name.startsWith('.')) throw new EmitError(`bad file name ${JSON.stringify(f.name)}`);
    await writeFile(join(dir, f.name), f.content);
  }
  const inc = join(dir, '.vmlinux');
  await mkdir(inc, { recursive: true });
  try {
    await symlink(resolve(options.vmlinuxH), join(inc, 'vmlinux.h'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const objects: CompiledObject[] = [];
  const all: BpfDiagnostic[] = [];
  for (const f of files) {
    if (!f.name.endsWith('.bpf.c')) continue;
    const src = join(dir, f.name);
    const obj = join(dir, f.name.replace(/\.c$/, '.o'));
    const args = [
      '-g', '-O2', '-Wall', '-target', 'bpf', '-D__TARGET_ARCH_x86',
      '-I', inc, '-I', dir, ...(options.includeDirs ?? []).flatMap((d) => ['-I', d]),
      ...(options.extraFlags ?? []), '-c', src, '-o', obj,
    ];
    const r = await run(options.clang, args);
    if (r.spawnError) throw new BpfCompileError(f.name, [], `cannot run ${options.clang}: ${r.spawnError.message}`, null);
    const diagnostics = parseDiagnostics(r.stderr);
    if (r.code !== 0) throw new BpfCompileError(f.name, diagnostics, r.stderr, r.code);
    all.push(...diagnostics);
    objects.push({ source: src, object: obj, diagnostics });
  }
  let loader: string | undefined;
  if (options.loader) {
    const lo = options.loader === true ? {} : options.loader;
    const seed = files.find((f) => f.name.endsWith('.seed.h'));
    if (!seed || !files.some((f) => f.name === 'loader.c')) throw new EmitError('the loader needs loader.c and a <name>.seed.h among the files');
    const name = seed.name.slice(0, -'.seed.h'.length);
    loader = join(dir, `${name}-loader`);
    const cc = lo.cc ?? 'cc';
    const args = [
      '-O2', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-missing-field-initializers', `-DKC_SEED="${seed.name}"`, '-I', dir,
      join(dir, 'loader.c'), '-o', loader, ...(lo.static === false ? [] : ['-static']), '-lbpf', '-lelf', '-lz',
    ];
    const r = await run(cc, args);
    if (r.spawnError) throw new BpfCompileError('loader.c', [], `cannot run ${cc}: ${r.spawnError.message}`, null);
    const diagnostics = parseDiagnostics(r.stderr);
    if (r.code !== 0) throw new BpfCompileError('loader.c', diagnostics, r.stderr, r.code);
    all.push(...diagnostics);
  }
  return { dir, objects, diagnostics: all, ...(loader ? { loader } : {}) };
}
