// Owns the clang driver of src/emit: writes emitted files into a directory,
// runs `clang -g -O2 -Wall -target bpf -D__TARGET_ARCH_x86` on each
// `*.bpf.c` against a given vmlinux.h (made visible as `vmlinux.h` in a
// private include directory), from inside that directory with relative paths
// (no build path ends up in an object); for the policy's object
// (`<name>.bpf.o` next to `<name>.seed.h`) makes the bpftool skeleton
// `<name>.skel.h` (the object linked by `bpftool gen object`, which drops the
// DWARF, then `bpftool gen skeleton … name <name>`) and builds the static
// libbpf loader from runtime/loader's sources with the seed and the skeleton;
// returns the objects and the compilers' diagnostics as data; a failure is a
// BpfCompileError.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { BpfDiagnostic } from './errors.js';
import { BpfCompileError, EmitError } from './errors.js';
import { LOADER_SOURCES, skeletonName, type EmittedFile } from './emit.js';

/** clang's flags for a BPF object of the run time: debug info (BTF), -O2, every warning, the BPF target, x86 for bpf_tracing.h. */
export const BPF_CLANG_FLAGS = ['-g', '-O2', '-Wall', '-target', 'bpf', '-D__TARGET_ARCH_x86'] as const;

export interface CompileOptions {
  /** The clang binary (`clang-19`, `/usr/bin/clang-14`, …). */
  readonly clang: string;
  /** A vmlinux.h of the target kernel (any file name). */
  readonly vmlinuxH: string;
  /** Where to write the files and objects; default a new temporary directory. */
  readonly outDir?: string;
  /** More include directories (e.g. runtime/bpf and runtime/include when the run time is not among the files). */
  readonly includeDirs?: readonly string[];
  /** More clang flags (e.g. `-DKC_NO_KFUNC`). */
  readonly extraFlags?: readonly string[];
  /**
   * Also build the loader (the run time's loader sources with the `<name>.seed.h` among the files
   * and the skeleton `<name>.skel.h` made here) into `<name>-loader`:
   * `cc -O2 -Wall -static … -lbpf -lelf -lz` (`cc` by default; `static: false` links dynamically).
   * The BPF object is embedded: the loader takes no object path.
   */
  readonly loader?: boolean | { readonly cc?: string; readonly static?: boolean };
  /** Make the skeleton `<name>.skel.h` of the policy's object (default: when the loader is built). */
  readonly skeleton?: boolean;
  /** The bpftool binary (default: /usr/sbin/bpftool, /usr/bin/bpftool or `bpftool` on PATH). */
  readonly bpftool?: string;
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
  /** The bpftool skeleton of the policy's object (`<name>.skel.h`), when made. */
  readonly skeleton?: string;
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

function run(
  cmd: string,
  args: string[],
  cwd: string,
): Promise<{ code: number | null; stdout: Buffer; stderr: string; spawnError?: Error }> {
  return new Promise((res) => {
    execFile(cmd, args, { cwd, maxBuffer: 1 << 30, encoding: 'buffer' }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string')
        res({ code: null, stdout, stderr: String(stderr), spawnError: err });
      else res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr: String(stderr) });
    });
  });
}

function defaultBpftool(): string {
  return ['/usr/sbin/bpftool', '/usr/bin/bpftool'].find((p) => existsSync(p)) ?? 'bpftool';
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
    const obj = f.name.replace(/\.c$/, '.o');
    // relative to dir (the working directory): no build path in the object's DWARF, BTF or skeleton
    const args = [
      ...BPF_CLANG_FLAGS,
      '-fdebug-compilation-dir=.',
      '-I',
      '.vmlinux',
      '-I',
      '.',
      ...(options.includeDirs ?? []).flatMap((d) => ['-I', resolve(d)]),
      ...(options.extraFlags ?? []),
      '-c',
      f.name,
      '-o',
      obj,
    ];
    const r = await run(options.clang, args, dir);
    if (r.spawnError) throw new BpfCompileError(f.name, [], `cannot run ${options.clang}: ${r.spawnError.message}`, null);
    const diagnostics = parseDiagnostics(r.stderr);
    if (r.code !== 0) throw new BpfCompileError(f.name, diagnostics, r.stderr, r.code);
    all.push(...diagnostics);
    objects.push({ source: join(dir, f.name), object: join(dir, obj), diagnostics });
  }
  const seed = files.find((f) => f.name.endsWith('.seed.h'));
  const name = seed?.name.slice(0, -'.seed.h'.length);
  let skeleton: string | undefined;
  if (options.skeleton ?? Boolean(options.loader)) {
    if (!name || !objects.some((o) => basename(o.object) === `${name}.bpf.o`)) {
      throw new EmitError('the skeleton needs a <name>.seed.h and <name>.bpf.c among the files');
    }
    const bpftool = options.bpftool ?? defaultBpftool();
    const tool = async (args: string[]) => {
      const r = await run(bpftool, args, dir);
      if (r.spawnError) throw new BpfCompileError(`${name}.bpf.o`, [], `cannot run ${bpftool}: ${r.spawnError.message}`, null);
      if (r.code !== 0) throw new BpfCompileError(`${name}.bpf.o`, [], `${bpftool} ${args.join(' ')}: ${r.stderr}`, r.code);
      return r.stdout;
    };
    // the static linker keeps programs, maps, BTF and CO-RE records and drops DWARF: a smaller embedded object
    await tool(['gen', 'object', `${name}.skel.bpf.o`, `${name}.bpf.o`]);
    skeleton = join(dir, `${name}.skel.h`);
    await writeFile(skeleton, await tool(['gen', 'skeleton', `${name}.skel.bpf.o`, 'name', skeletonName(name)]));
  }
  let loader: string | undefined;
  if (options.loader) {
    const lo = options.loader === true ? {} : options.loader;
    const missing = LOADER_SOURCES.filter((s) => !files.some((f) => f.name === s));
    if (!seed || !name || missing.length)
      throw new EmitError(
        `the loader needs the run time's loader sources and a <name>.seed.h among the files${missing.length ? ` (missing ${missing.join(', ')})` : ''}`,
      );
    loader = join(dir, `${name}-loader`);
    const cc = lo.cc ?? 'cc';
    const args = [
      '-O2',
      '-Wall',
      '-Wextra',
      '-Wno-unused-parameter',
      '-Wno-missing-field-initializers',
      `-DKC_SEED="${seed.name}"`,
      `-DKC_SKEL_HEADER="${name}.skel.h"`,
      `-DKC_SKEL_NAME=${skeletonName(name)}`,
      '-I',
      '.',
      ...LOADER_SOURCES,
      '-o',
      `${name}-loader`,
      ...(lo.static === false ? [] : ['-static']),
      '-lbpf',
      '-lelf',
      '-lz',
    ];
    const r = await run(cc, args, dir);
    if (r.spawnError) throw new BpfCompileError('main.c', [], `cannot run ${cc}: ${r.spawnError.message}`, null);
    const diagnostics = parseDiagnostics(r.stderr);
    if (r.code !== 0)
      throw new BpfCompileError(diagnostics.find((d) => d.severity === 'error')?.file ?? 'main.c', diagnostics, r.stderr, r.code);
    all.push(...diagnostics);
  }
  return { dir, objects, diagnostics: all, ...(loader ? { loader } : {}), ...(skeleton ? { skeleton } : {}) };
}
