// Owns the library's pipeline (DESIGN.md §1): analyze → map → emit → compile
// as one typed call, `buildCompartment`, in memory, each stage's result
// returned and, when an output directory is given, written there. The CLI
// commands, the e2e harness, the benchmarks and the examples all go through
// it, so there is one place that chains the stages (and one place that makes
// a kernel's vmlinux.h). Also owns turning user inputs (files, directories,
// globs) into file lists, with a typed error.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { analyze, type AnalysisSummary, type AnalyzeOptions } from './analysis/index.js';
import { cacheCatalogue } from './summary/catalogue.js';
import { analyzeWithSummaries } from './summary/context.js';
import { summarizeProgram } from './summary/program.js';
import type { AllocatorTable } from './analysis/allocators.js';
import type { WriterTable } from './analysis/writes.js';
import { mapSitesToAddresses, readElf, type MapOptions, type MapperObject, type MapStats } from './binary/index.js';
import { compileBpf, EmitError, emitBpf, type CompileResult, type EmitResult, type SiteProgramMode } from './emit/index.js';
import { writeAccessesCsv, writePolicy, type Policy } from './policy/index.js';

/** An input the user named does not exist or holds nothing of the expected kind. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    message: string,
    readonly input: string,
  ) {
    super(message);
  }
}

/** Which files a directory stands for, per stage. */
export const INPUT_KINDS = {
  ir: { pattern: /\.ll(\.gz)?$/, label: '.ll' },
  object: { pattern: /\.(o|ko)$/, label: '.o / .ko' },
} as const;
export type InputKind = keyof typeof INPUT_KINDS;

/**
 * Expands files, directories (their files of the kind; with `recursive`, those of every directory
 * below too, as in a kernel tree) and simple globs (`*` and `?` in the last path part) into a sorted
 * list of paths.
 * @throws {@link InputError} naming the input that matched nothing.
 */
export function expandInputs(inputs: readonly string[], kind: InputKind = 'ir', recursive = false): string[] {
  const { pattern, label } = INPUT_KINDS[kind];
  const out: string[] = [];
  for (const input of inputs) {
    const last = basename(input);
    if (/[*?]/.test(last)) {
      const dir = dirname(input);
      const re = new RegExp(
        `^${last
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      );
      if (!existsSync(dir)) throw new InputError(`no such directory: ${dir}`, input);
      const hits = readdirSync(dir)
        .filter((f) => re.test(f))
        .sort()
        .map((f) => join(dir, f));
      if (!hits.length) throw new InputError(`no file matches ${input}`, input);
      out.push(...hits);
    } else if (existsSync(input) && statSync(input).isDirectory()) {
      const hits = recursive
        ? readdirSync(input, { recursive: true, encoding: 'utf8' })
            .filter((f) => pattern.test(f))
            .sort()
            .map((f) => join(input, f))
        : readdirSync(input)
            .filter((f) => pattern.test(f))
            .sort()
            .map((f) => join(input, f));
      if (!hits.length) throw new InputError(`no ${label} files in ${input}`, input);
      out.push(...hits);
    } else {
      if (!existsSync(input)) throw new InputError(`no such file: ${input}`, input);
      out.push(input);
    }
  }
  return out;
}

/** The stages, in order. */
export type PipelineStage = 'analyze' | 'map' | 'emit' | 'compile';

/** One progress report: the stage, what it is doing, and how far (when countable). */
export interface PipelineProgress {
  readonly stage: PipelineStage;
  readonly message: string;
  readonly done?: number;
  readonly total?: number;
}

/** What the compile stage needs: the target kernel and the toolchain. */
export interface CompileStageOptions {
  /** The target kernel's BTF (default `/sys/kernel/btf/vmlinux`); `vmlinux.h` is dumped from it. */
  readonly btf?: string;
  /** A ready `vmlinux.h` instead of `btf`. */
  readonly vmlinuxH?: string;
  /** clang for the BPF objects (default `clang-19`). */
  readonly clang?: string;
  /** The C compiler for the loader (default `cc`). */
  readonly cc?: string;
  /** Build the static loader too (default true). */
  readonly loader?: boolean;
  /** `false`: the CO-RE page walk only (kernels before 6.13 have no `bpf_get_kmem_cache`). */
  readonly kfunc?: boolean;
  /** `false`: bounded loops instead of `bpf_loop` (kernels without a BPF JIT). */
  readonly callbacks?: boolean;
  /** Where the objects go when the build has no `outDir` (default a temporary directory). */
  readonly outDir?: string;
}

/** A whole build: which compartment, against which objects, how far, and where to write. */
export interface BuildOptions {
  /** The compartment's IR files (`.ll`, `.ll.gz`). */
  readonly compartment: readonly string[];
  /** IR of the rest of the program, for allocation sites, types and points-to. */
  readonly context?: readonly string[];
  /** Keep functions whose source file starts with one of these (`net/ipv6/`). */
  readonly sourcePrefixes?: readonly string[];
  /** Keep only these symbols. */
  readonly symbols?: readonly string[];
  /** The allocator table (default: the built-in one). */
  readonly allocators?: AllocatorTable;
  /** The writer table (default: the built-in kernel writers). */
  readonly writers?: WriterTable;
  /**
   * The target kernel's BTF for the analysis: the record types of the whole kernel, so "any object
   * of type T" admits containers of T that no analyzed TU declares. (`compile.btf` is the same file
   * for `vmlinux.h`.)
   */
  readonly btf?: string;
  /**
   * IR of the rest of the kernel (`.ll` files) read only for the dedicated caches it creates and the
   * types of their objects (the cache catalogue): "any object of type T" admits the caches created
   * for T by name, and the run time admits no typed cache by object size. Read through the summary
   * cache (`.cache/summaries` under the working directory), on every core.
   */
  readonly cacheCatalogue?: readonly string[];
  /**
   * IR of the context (`.ll` files, e.g. every other TU of a whole kernel) read as per-TU summaries
   * instead of full modules (`kcompart/summary`): through the summary cache (`.cache/summaries`
   * under the working directory), on every core, never all in memory at once. Not with `context`.
   */
  readonly contextSummaries?: readonly string[];
  /**
   * With `contextSummaries`: the context is every caller of the compartment (the kernel as built,
   * no out-of-tree module): a compartment function some known call reaches gets only its callers'
   * arguments, not "any object of the debug type" for a caller outside (`analyzeWithSummaries`).
   */
  readonly closedWorld?: boolean;
  /** The policy's name, also the BPF object's and loader's (default `kcompart`). */
  readonly name?: string;
  /** The compartment's objects (`.o`, `.ko`): without them the build stops after analyze. */
  readonly objects?: readonly string[];
  /** Skip static elimination in the map stage (every site needs a check). */
  readonly noStaticElimination?: boolean;
  /** How the emitted C checks the sites: one data-driven program (default) or one program per site. */
  readonly sitePrograms?: SiteProgramMode;
  /** Emit the eBPF C (default true when objects are given). */
  readonly emit?: boolean;
  /** Compile the emitted C (default: not). */
  readonly compile?: CompileStageOptions;
  /**
   * Write every stage's output here: `policy.json`, `policy.mapped.json`, the
   * emitted files, `vmlinux.h`, the object and the loader.
   */
  readonly outDir?: string;
  /** Also write each policy as CSV (`policy.csv`, `policy.mapped.csv`). */
  readonly csv?: boolean;
}

/** Callbacks of a build. */
export interface BuildHooks {
  readonly onProgress?: (progress: PipelineProgress) => void;
}

/** What each stage gave; later stages are absent when the build stopped earlier. */
export interface CompartmentBuild {
  readonly analysis: { readonly policy: Policy; readonly summary: AnalysisSummary };
  readonly map?: { readonly policy: Policy; readonly stats: MapStats };
  readonly emit?: EmitResult;
  readonly compile?: CompileResult & { readonly clang: string; readonly vmlinuxH: string };
  /** Files written, in order. */
  readonly written: readonly string[];
  readonly seconds: Readonly<Partial<Record<PipelineStage, number>>>;
}

/** Every path must name an existing file. @throws {@link InputError} naming the first that does not. */
function requireFiles(paths: readonly string[]): void {
  for (const path of paths) if (!existsSync(path) || statSync(path).isDirectory()) throw new InputError(`no such file: ${path}`, path);
}

/** Runs analysis on the compartment's IR (the analyze stage alone). */
export async function analyzeStage(options: BuildOptions, hooks: BuildHooks = {}): Promise<CompartmentBuild['analysis']> {
  requireFiles(options.compartment);
  requireFiles(options.context ?? []);
  requireFiles(options.btf ? [options.btf] : []);
  requireFiles(options.cacheCatalogue ?? []);
  const catalogue = options.cacheCatalogue?.length
    ? // through the summary cache (.cache/summaries): a TU read once, by this or by summarizeProgram, is not read again
      await cacheCatalogue(options.cacheCatalogue, {
        ...(options.allocators ? { allocators: options.allocators } : {}),
        onFile: (file, done, total) => hooks.onProgress?.({ stage: 'analyze', message: `cache catalogue: ${basename(file)}`, done, total }),
      })
    : undefined;
  const analyzeOptions: AnalyzeOptions = {
    ...(options.sourcePrefixes ? { sourcePrefixes: [...options.sourcePrefixes] } : {}),
    ...(options.symbols ? { symbols: [...options.symbols] } : {}),
    ...(options.allocators ? { allocators: options.allocators } : {}),
    ...(options.writers ? { writers: options.writers } : {}),
    ...(options.name ? { name: options.name } : {}),
    ...(options.btf ? { btf: options.btf } : {}),
    ...(catalogue ? { cacheCatalogue: catalogue } : {}),
    onProgress: (message) => hooks.onProgress?.({ stage: 'analyze', message }),
  };
  if (options.closedWorld && !options.contextSummaries?.length)
    throw new InputError('closedWorld needs the context as summaries (contextSummaries)', options.compartment[0] ?? '');
  if (!options.contextSummaries?.length) return analyze([...options.compartment], [...(options.context ?? [])], analyzeOptions);
  if (options.context?.length)
    throw new InputError(
      'the context is given either as modules (context) or as summaries (contextSummaries), not both',
      options.context[0]!,
    );
  requireFiles(options.contextSummaries);
  // the compartment's own summaries go along: the whole-program matching finds through them which of
  // its functions the context's calls reach (analyzeWithSummaries leaves them out of the context)
  let done = 0;
  const all = [...new Set([...options.compartment, ...options.contextSummaries])];
  const summaries = await summarizeProgram(all, {
    ...(options.allocators ? { allocators: options.allocators } : {}),
    onSummary: () => hooks.onProgress?.({ stage: 'analyze', message: 'context summaries', done: ++done, total: all.length }),
  });
  const { policy, summary } = await analyzeWithSummaries([...options.compartment], summaries.summaries, {
    ...analyzeOptions,
    closedWorld: options.closedWorld ?? false,
  });
  return { policy, summary };
}

/** Reads the objects and maps a policy onto them (the map stage alone). */
export async function mapStage(
  policy: Policy,
  objects: readonly string[],
  options: Pick<MapOptions, 'noStaticElimination' | 'orphans'> = {},
  hooks: BuildHooks = {},
): Promise<{ policy: Policy; stats: MapStats }> {
  requireFiles(objects);
  const read: MapperObject[] = [];
  for (const [i, path] of objects.entries()) {
    hooks.onProgress?.({ stage: 'map', message: `reading ${basename(path)}`, done: i, total: objects.length });
    read.push({ path, elf: readElf(await readFile(path), path) });
  }
  hooks.onProgress?.({ stage: 'map', message: `mapping ${policy.accesses.length} accesses onto ${objects.length} objects` });
  return mapSitesToAddresses(policy, read, {
    ...(options.noStaticElimination ? { noStaticElimination: true } : {}),
    ...(options.orphans !== undefined ? { orphans: options.orphans } : {}),
  });
}

/** The bpftool binary: on PATH, or where Debian installs it. */
function bpftool(): string {
  for (const dir of (process.env['PATH'] ?? '').split(':')) if (dir && existsSync(join(dir, 'bpftool'))) return join(dir, 'bpftool');
  return '/usr/sbin/bpftool';
}

/**
 * Writes the `vmlinux.h` of a kernel from its BTF (`bpftool btf dump file BTF
 * format c`), atomically, and returns its path.
 * @throws {@link InputError} when the BTF is missing, {@link EmitError} when bpftool fails.
 */
export async function writeVmlinuxHeader(btf: string, destination: string): Promise<string> {
  if (!existsSync(btf)) throw new InputError(`no BTF at ${btf} (give the target kernel's BTF)`, btf);
  const text = await new Promise<string>((resolve, reject) => {
    execFile(bpftool(), ['btf', 'dump', 'file', btf, 'format', 'c'], { maxBuffer: 1 << 30, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new EmitError(`bpftool could not dump ${btf}: ${(stderr || err.message).split('\n')[0]}`));
      else resolve(stdout);
    });
  });
  await mkdir(dirname(destination), { recursive: true });
  const tmp = `${destination}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, destination);
  return destination;
}

/** Compiles emitted files (the compile stage alone): vmlinux.h, the BPF object, the loader. */
export async function compileStage(
  emitted: EmitResult,
  options: CompileStageOptions & { readonly outDir: string },
  hooks: BuildHooks = {},
): Promise<NonNullable<CompartmentBuild['compile']>> {
  const clang = options.clang ?? 'clang-19';
  let vmlinuxH = options.vmlinuxH;
  if (!vmlinuxH) {
    const btf = options.btf ?? '/sys/kernel/btf/vmlinux';
    hooks.onProgress?.({ stage: 'compile', message: `vmlinux.h from ${btf}` });
    vmlinuxH = await writeVmlinuxHeader(btf, join(options.outDir, 'vmlinux.h'));
  }
  // the programs of the object: one per site and probe, or one for all of them (data mode)
  const programs = emitted.stats.sitePrograms + emitted.stats.probePrograms;
  hooks.onProgress?.({ stage: 'compile', message: `${clang}: ${programs} programs${options.loader === false ? '' : ' and the loader'}` });
  const result = await compileBpf(emitted.files, {
    clang,
    vmlinuxH,
    outDir: options.outDir,
    extraFlags: [...(options.kfunc === false ? ['-DKC_NO_KFUNC'] : []), ...(options.callbacks === false ? ['-DKC_NO_CALLBACKS'] : [])],
    ...(options.loader === false ? {} : { loader: { cc: options.cc ?? 'cc' } }),
  });
  return { ...result, clang, vmlinuxH };
}

/**
 * Builds a compartment: analyze, then (with `objects`) map, emit and (with
 * `compile`) compile. Every stage's result is returned; with `outDir` each is
 * also written, each file atomically and only once its stage succeeded.
 *
 * @example
 * ```ts
 * const b = await buildCompartment({ compartment: ['kcdemo.ll'], objects: ['kcdemo.o'], name: 'kcdemo',
 *   compile: { btf: 'vmlinux.btf', kfunc: false }, outDir: 'out' }, { onProgress: (p) => console.error(p.message) });
 * console.log(b.map?.stats.checkedSites, b.compile?.loader);
 * ```
 * @throws {@link InputError}, the stages' typed errors (ParseError, AllocatorFileError, BinaryError, EmitError,
 *   BpfCompileError, PolicyError).
 */
export async function buildCompartment(options: BuildOptions, hooks: BuildHooks = {}): Promise<CompartmentBuild> {
  const written: string[] = [];
  const seconds: Partial<Record<PipelineStage, number>> = {};
  const out = options.outDir;
  if (out) await mkdir(out, { recursive: true });
  const timed = async <T>(stage: PipelineStage, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await work();
    seconds[stage] = (performance.now() - t0) / 1e3;
    return r;
  };
  const save = async (policy: Policy, base: string) => {
    if (!out) return;
    await writePolicy(join(out, `${base}.json`), policy);
    written.push(join(out, `${base}.json`));
    if (options.csv) {
      await writeAccessesCsv(join(out, `${base}.csv`), policy);
      written.push(join(out, `${base}.csv`));
    }
  };

  const analysis = await timed('analyze', () => analyzeStage(options, hooks));
  await save(analysis.policy, 'policy');
  if (!options.objects?.length) return { analysis, written, seconds };

  const map = await timed('map', () => mapStage(analysis.policy, options.objects!, options, hooks));
  await save(map.policy, 'policy.mapped');
  if (options.emit === false) return { analysis, map, written, seconds };

  const emit = await timed('emit', async () => {
    hooks.onProgress?.({ stage: 'emit', message: `eBPF C for ${map.stats.checkedSites} checked machine sites` });
    return emitBpf(map.policy, {
      name: options.name ?? 'kcompart',
      ...(options.sitePrograms ? { sitePrograms: options.sitePrograms } : {}),
    });
  });
  if (out) {
    for (const f of emit.files) {
      await writeFile(join(out, f.name), f.content);
      written.push(join(out, f.name));
    }
  }
  if (!options.compile) return { analysis, map, emit, written, seconds };

  const compileOut = out ?? options.compile.outDir;
  if (!compileOut) throw new EmitError('the compile stage needs an output directory (outDir or compile.outDir)');
  const compile = await timed('compile', () => compileStage(emit, { ...options.compile, outDir: compileOut }, hooks));
  written.push(...compile.objects.map((o) => o.object), ...(compile.loader ? [compile.loader] : []));
  return { analysis, map, emit, compile, written, seconds };
}
