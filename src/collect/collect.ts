// Owns `collectIr`: the textual IR of a clang-built kbuild tree's C
// translation units — the whole tree, chosen directories, or an external
// module's directory (M=) — each from its object's own saved compile command
// (see cmdfile.ts), run in parallel in the tree's directory as make would, and
// incremental: a `.ll` newer than its object's .cmd file, its source and every
// header it read is not redone. Every check that can fail for the whole tree
// (configuration, compiler version, missing .cmd files) is done before the
// first compile, so a wrong setup fails in a second, not an hour in.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { type CommandKind, type CompileCommand, compileCommand, irCommand, parseCmdFile } from './cmdfile.js';
import { CmdFileError, CompileError, KbuildTreeError, NotClangError } from './errors.js';
import { checkCompiler, type FoundObject, findObjects, type ObjectLinkage, linkedObjects, treeCompiler } from './tree.js';

/** What to collect, from where, to where. */
export interface CollectOptions {
  /** The kbuild tree: a kernel source tree built in place, or a headers tree (`/lib/modules/$(uname -r)/build`). */
  readonly tree: string;
  /**
   * What to collect inside the tree: directories (`net/ipv6`, searched
   * recursively) or single objects / sources (`net/ipv6/route.o`), relative to
   * the tree or absolute. Default: the whole tree (tools/ and Documentation/ aside).
   */
  readonly select?: readonly string[];
  /** An external module's directory (kbuild's M=): its objects are collected instead of the tree's. */
  readonly moduleDir?: string;
  /** Where the `.ll` files go, mirroring the tree's (or the module directory's) layout. Default: next to each object, as `make X.ll` puts them. */
  readonly outputDir?: string;
  /** Parallel compiles. Default: the machine's available parallelism. */
  readonly jobs?: number;
  /**
   * Also collect kernel C objects linked into neither vmlinux nor a module
   * (the vDSO, real-mode and boot code, the EFI stub). Default: only what runs
   * as kernel code, when the tree records what it linked (vmlinux.a,
   * modules.order); everything otherwise.
   */
  readonly all?: boolean;
  /** Recompile even `.ll` files that are up to date. */
  readonly force?: boolean;
  /** Called after each translation unit (compiled or found up to date). */
  readonly onProgress?: (p: CollectProgress) => void;
}

/** One step of a collection. */
export interface CollectProgress {
  /** Translation units finished so far, this one included. */
  readonly done: number;
  readonly total: number;
  /** The TU's source, as the .cmd file names it. */
  readonly source: string;
  readonly upToDate: boolean;
}

/** One collected translation unit. */
export interface CollectedUnit {
  readonly object: string;
  /** Its source as the .cmd file names it (tree-relative for in-tree objects). */
  readonly source: string;
  /** The `.ll` file written (or found up to date). */
  readonly ll: string;
  readonly upToDate: boolean;
  /** Linked into vmlinux or a module; undefined when the tree does not say (not fully built) or it is neither (with `all`). */
  readonly linkage?: ObjectLinkage;
  /** Size of the `.ll` file. */
  readonly bytes: number;
}

/** Why objects of the selection were not collected, with counts. */
export type SkippedKind = Exclude<CommandKind, 'kernel-c'> | 'modpost' | 'not-linked';

/** The result of {@link collectIr}. */
export interface CollectResult {
  readonly tree: string;
  /** The compiler's version text (`Debian clang version 19.1.7 (3~deb12u1)`). */
  readonly compiler: string;
  readonly units: readonly CollectedUnit[];
  /** TUs compiled this run. */
  readonly compiled: number;
  /** TUs whose `.ll` was already up to date. */
  readonly upToDate: number;
  /** Objects of the selection not collected: assembly, host programs, links, modpost's `.mod.o`, and kernel C linked into neither vmlinux nor a module. */
  readonly skipped: Readonly<Record<SkippedKind, number>>;
  /** Total size of the selection's `.ll` files. */
  readonly bytes: number;
  /** Wall-clock seconds. */
  readonly seconds: number;
  /** CPU seconds of the compiles (user + system, from /proc; undefined off Linux). */
  readonly cpuSeconds?: number;
  readonly jobs: number;
}

/** A unit to collect: where it comes from, the command and where it goes. */
interface Job {
  readonly found: FoundObject;
  readonly linkage?: ObjectLinkage;
  readonly cmdFile: string;
  readonly compile: CompileCommand;
  readonly deps: readonly { readonly path: string; readonly optional: boolean }[];
  readonly ll: string;
}

/** Children's CPU time so far (cutime + cstime of /proc/self/stat), in seconds; undefined off Linux. */
function childrenCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after "pid (comm) ": state is field 3, so cutime (16) and cstime (17) are at 13 and 14 here
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

/** The newest mtime among a job's inputs, or Infinity when a required one is missing. */
function newestInput(tree: string, job: Job, mtimes: Map<string, number>): number {
  const mtime = (p: string): number | undefined => {
    const abs = isAbsolute(p) ? p : join(tree, p);
    let t = mtimes.get(abs);
    if (t === undefined) {
      try {
        t = statSync(abs).mtimeMs;
      } catch {
        t = -1;
      }
      mtimes.set(abs, t);
    }
    return t < 0 ? undefined : t;
  };
  let newest = 0;
  for (const p of [job.cmdFile, job.compile.source]) newest = Math.max(newest, mtime(p) ?? Number.POSITIVE_INFINITY);
  for (const d of job.deps) {
    const t = mtime(d.path);
    if (t === undefined && !d.optional) return Number.POSITIVE_INFINITY;
    if (t !== undefined) newest = Math.max(newest, t);
  }
  return newest;
}

/** Runs one IR compile into a temporary file and renames it into place, so an interrupted run leaves no half `.ll`. */
async function compileOne(tree: string, job: Job): Promise<void> {
  await mkdir(dirname(job.ll), { recursive: true });
  const tmp = `${job.ll}.tmp${process.pid}`;
  const argv = irCommand(job.compile, tmp);
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((done, fail) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: tree, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      if (err.length < 1 << 20) err += s;
    });
    child.on('error', fail);
    child.on('close', (c) => done({ code: c, stderr: err }));
  });
  if (code !== 0) {
    await rm(tmp, { force: true });
    throw new CompileError(job.compile.source, argv, stderr, code);
  }
  await rename(tmp, job.ll);
}

/** Runs `fn` over `items` with at most `jobs` at a time; after the first failure no new item starts, and that failure is thrown. */
async function pool<T>(items: readonly T[], jobs: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  if (failure) throw failure.error;
}

/** The objects a selection entry stands for: a directory's objects, or one object (`X.o`, or `X.c` for its object). */
function objectsOf(base: string, entry: string, wholeTree: boolean): FoundObject[] {
  const path = resolve(base, entry);
  if (/\.[co]$/.test(path) && !(existsSync(path) && statSync(path).isDirectory())) {
    const object = path.replace(/\.c$/, '.o');
    if (!existsSync(object)) throw new KbuildTreeError(`${object}: expected a built object (was the tree built?)`, object);
    const cmdFile = join(dirname(object), `.${basename(object)}.cmd`);
    if (!existsSync(cmdFile)) throw new CmdFileError(cmdFile, `kbuild's saved command for ${basename(object)}`);
    return [{ object, cmdFile }];
  }
  return findObjects(path, wholeTree);
}

/**
 * Collects the textual IR of a clang-built kbuild tree's C translation units
 * (see {@link CollectOptions} for what is chosen and where it goes).
 *
 * @throws {@link KbuildTreeError} not a configured, built kbuild tree, or nothing built where asked.
 * @throws {@link NotClangError} the tree (.config) or an object (.cmd) was built by gcc.
 * @throws {@link ClangVersionError} the clang on PATH is not the tree's.
 * @throws {@link CmdFileError} an object without its `.X.o.cmd`, or one that cannot be read.
 * @throws {@link CompileError} clang failed on a TU (its stderr attached); no new compile starts after it.
 */
export async function collectIr(options: CollectOptions): Promise<CollectResult> {
  const t0 = performance.now();
  const cpu0 = childrenCpuSeconds();
  const tree = resolve(options.tree);
  const expected = treeCompiler(tree);
  const base = options.moduleDir !== undefined ? resolve(options.moduleDir) : tree;
  const found = options.select?.length
    ? options.select.flatMap((s) => objectsOf(base, s, false))
    : options.moduleDir !== undefined
      ? findObjects(base, false)
      : findObjects(tree, true);
  // the same object named twice (a directory and a file in it) is collected once
  const seen = new Set<string>();
  const skipped: Record<SkippedKind, number> = { 'host-c': 0, assembly: 0, other: 0, modpost: 0, 'not-linked': 0 };
  const linked = linkedObjects(tree, options.moduleDir !== undefined ? base : undefined);
  const jobs: Job[] = [];
  for (const f of found) {
    if (seen.has(f.object)) continue;
    seen.add(f.object);
    if (f.object.endsWith('.mod.o')) {
      skipped.modpost++;
      continue;
    }
    const cmd = parseCmdFile(f.cmdFile, await readFile(f.cmdFile, 'utf8'));
    const compile = compileCommand(cmd);
    if (compile?.kind !== 'kernel-c') {
      skipped[compile ? compile.kind : 'other']++;
      continue;
    }
    if (!/clang/.test(basename(compile.compiler))) throw new NotClangError(f.cmdFile, compile.compiler);
    const linkage = linked?.get(f.object);
    if (linked && !linkage && !options.all) {
      skipped['not-linked']++;
      continue;
    }
    const rel = relative(base, f.object);
    const ll =
      options.outputDir !== undefined ? join(resolve(options.outputDir), rel.replace(/\.o$/, '.ll')) : f.object.replace(/\.o$/, '.ll');
    jobs.push({ found: f, ...(linkage ? { linkage } : {}), cmdFile: f.cmdFile, compile, deps: cmd.deps, ll });
  }
  // one version check per compiler word (a tree has one; checked before any compile)
  let compiler = expected.versionText;
  for (const c of new Set(jobs.map((j) => j.compile.compiler))) compiler = await checkCompiler(tree, expected, c);

  const mtimes = new Map<string, number>();
  const units: CollectedUnit[] = new Array(jobs.length);
  let done = 0;
  let compiled = 0;
  const parallel = options.jobs ?? availableParallelism();
  await pool(
    jobs.map((job, index) => ({ job, index })),
    parallel,
    async ({ job, index }) => {
      let llTime = -1;
      try {
        llTime = (await stat(job.ll)).mtimeMs;
      } catch {
        // not collected yet
      }
      const upToDate = !options.force && llTime >= 0 && llTime >= newestInput(tree, job, mtimes);
      if (!upToDate) {
        await compileOne(tree, job);
        compiled++;
      }
      units[index] = {
        object: job.found.object,
        source: job.compile.source,
        ll: job.ll,
        upToDate,
        ...(job.linkage ? { linkage: job.linkage } : {}),
        bytes: (await stat(job.ll)).size,
      };
      options.onProgress?.({ done: ++done, total: jobs.length, source: job.compile.source, upToDate });
    },
  );
  const cpu1 = childrenCpuSeconds();
  return {
    tree,
    compiler,
    units,
    compiled,
    upToDate: units.length - compiled,
    skipped,
    bytes: units.reduce((s, u) => s + u.bytes, 0),
    seconds: (performance.now() - t0) / 1e3,
    ...(cpu0 !== undefined && cpu1 !== undefined ? { cpuSeconds: cpu1 - cpu0 } : {}),
    jobs: parallel,
  };
}
