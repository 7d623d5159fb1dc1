// Owns what collect learns from a kbuild tree before compiling anything:
// that it is a configured tree built with clang (.config), which clang
// (CONFIG_CC_VERSION_TEXT, else include/generated/compile.h) and whether the
// clang on PATH is that one (kbuild's own test: the first line of
// `$(CC) --version`), which objects lie under the chosen directories, each
// with its saved command file, and which objects are linked into vmlinux
// (the thin archives vmlinux.a and lib.a) or into a module (modules.order and
// each module's .mod list).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ClangVersionError, CmdFileError, KbuildTreeError, NotClangError } from './errors.js';

/** What the tree's configuration says about its compiler. */
export interface TreeCompiler {
  /** The file it was read from (.config, or include/generated/compile.h). */
  readonly file: string;
  /** kbuild's CONFIG_CC_VERSION_TEXT: the first line of the compiler's `--version`. */
  readonly versionText: string;
  /** CONFIG_CLANG_VERSION (190107 for 19.1.7), when recorded. */
  readonly clangVersion?: number;
}

/** Reads `KEY=value` lines of a .config (string values unquoted). */
function readConfig(path: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1'));
  }
  return out;
}

/**
 * The tree's compiler, from its .config.
 * @throws {@link KbuildTreeError} when `tree` has no Makefile or no .config.
 * @throws {@link NotClangError} when the tree was configured for gcc.
 */
export function treeCompiler(tree: string): TreeCompiler {
  if (!existsSync(join(tree, 'Makefile')))
    throw new KbuildTreeError(`${join(tree, 'Makefile')}: expected a kbuild tree (a kernel source or headers tree) here`, tree);
  const configPath = join(tree, '.config');
  if (!existsSync(configPath))
    throw new KbuildTreeError(
      `${configPath}: expected the configured tree's .config (run make LLVM=1 …config and build first)`,
      configPath,
    );
  const config = readConfig(configPath);
  if (config.get('CONFIG_CC_IS_GCC') === 'y') throw new NotClangError(configPath, config.get('CONFIG_CC_VERSION_TEXT') ?? 'gcc');
  let versionText = config.get('CONFIG_CC_VERSION_TEXT');
  let file = configPath;
  if (versionText === undefined) {
    // kernels before 5.8 record no CC_VERSION_TEXT; compile.h has "<cc --version line 1>, <ld>"
    const compileH = join(tree, 'include', 'generated', 'compile.h');
    const m = existsSync(compileH) ? /LINUX_COMPILER\s+"([^"]*)"/.exec(readFileSync(compileH, 'utf8')) : null;
    if (!m) throw new KbuildTreeError(`${configPath}: expected CONFIG_CC_VERSION_TEXT (or ${compileH} with LINUX_COMPILER)`, configPath);
    versionText = m[1]!.split(', ')[0]!;
    file = compileH;
  }
  if (config.get('CONFIG_CC_IS_CLANG') !== 'y' && !/clang/.test(versionText)) throw new NotClangError(file, versionText);
  const clangVersion = Number(config.get('CONFIG_CLANG_VERSION'));
  return { file, versionText, ...(clangVersion ? { clangVersion } : {}) };
}

const run = promisify(execFile);

/**
 * Checks that `compiler` (as kbuild's command names it, run with the tree as
 * working directory and the caller's PATH) prints the tree's version text.
 * @throws {@link ClangVersionError} when it prints another, or cannot be run.
 */
export async function checkCompiler(tree: string, expected: TreeCompiler, compiler: string): Promise<string> {
  let first: string;
  try {
    const { stdout } = await run(compiler, ['--version'], { cwd: tree });
    first = stdout.split('\n')[0]!.trim();
  } catch (e) {
    throw new ClangVersionError(expected.file, expected.versionText, compiler, `not runnable (${(e as Error).message.split('\n')[0]})`);
  }
  if (first !== expected.versionText) throw new ClangVersionError(expected.file, expected.versionText, compiler, first);
  return first;
}

/** One object found under the chosen directories. */
export interface FoundObject {
  /** The object's path. */
  readonly object: string;
  /** Its `.X.o.cmd` file. */
  readonly cmdFile: string;
}

/** Directories a whole-tree walk does not enter: user-space tools (their own build system, no kbuild .cmd files) and docs; hidden directories are never entered. */
const NOT_KERNEL = new Set(['tools', 'Documentation']);

/**
 * Every `*.o` under `dir` (recursively) with its saved command file.
 * `wholeTree`: `dir` is the tree's root, so user-space tools/ etc. are not entered.
 * @throws {@link CmdFileError} for an object without its `.X.o.cmd`.
 * @throws {@link KbuildTreeError} when `dir` holds no object at all.
 */
export function findObjects(dir: string, wholeTree: boolean): FoundObject[] {
  if (!existsSync(dir)) throw new KbuildTreeError(`${dir}: no such directory`, dir);
  const out: FoundObject[] = [];
  const walk = (d: string, top: boolean): void => {
    const entries = readdirSync(d, { withFileTypes: true });
    const names = new Set(entries.map((e) => e.name));
    for (const e of entries) {
      if (e.isDirectory()) {
        if (top && wholeTree && NOT_KERNEL.has(e.name)) continue;
        if (e.name.startsWith('.')) continue;
        walk(join(d, e.name), false);
      } else if (e.isFile() && e.name.endsWith('.o') && !e.name.startsWith('.')) {
        const cmdName = `.${e.name}.cmd`;
        const cmdFile = join(d, cmdName);
        if (!names.has(cmdName))
          throw new CmdFileError(
            cmdFile,
            `kbuild's saved command for ${relative(dir, join(d, e.name)) || e.name} (every object kbuild builds has one; was this object built by kbuild?)`,
          );
        out.push({ object: join(d, e.name), cmdFile });
      }
    }
  };
  walk(dir, true);
  if (!out.length) throw new KbuildTreeError(`${dir}: expected built objects (*.o) here; was the tree built?`, dir);
  return out.sort((a, b) => (a.object < b.object ? -1 : a.object > b.object ? 1 : 0));
}

/**
 * The member paths of a GNU thin archive (`!<thin>`, what kbuild's
 * `ar cDPrST` writes for built-in.a, vmlinux.a and lib.a), resolved against
 * the archive's directory; members that are archives themselves are expanded.
 * Returns `undefined` when the file is missing or is not a thin archive.
 */
export function thinArchiveMembers(path: string): string[] | undefined {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch {
    return undefined;
  }
  if (data.toString('latin1', 0, 8) !== '!<thin>\n') return undefined;
  const out: string[] = [];
  let longNames = '';
  let at = 8;
  while (at + 60 <= data.length) {
    const name = data.toString('latin1', at, at + 16).trimEnd();
    const size = Number(data.toString('latin1', at + 48, at + 58).trim());
    at += 60;
    if (name === '/' || name === '/SYM64/') {
      at += size + (size & 1); // symbol table: stored in the archive
    } else if (name === '//') {
      longNames = data.toString('latin1', at, at + size);
      at += size + (size & 1);
    } else {
      // a member: its data is not in a thin archive, only its name
      const m = /^\/(\d+)$/.exec(name);
      const member = m ? longNames.slice(Number(m[1]), longNames.indexOf('\n', Number(m[1]))).replace(/\/$/, '') : name.replace(/\/$/, '');
      const abs = isAbsolute(member) ? member : resolve(dirname(path), member);
      if (abs.endsWith('.a')) out.push(...(thinArchiveMembers(abs) ?? []));
      else out.push(abs);
    }
  }
  return out;
}

/** Where an object ends up: linked into vmlinux, into a module, or neither (vDSO, real-mode and boot code, host tools). */
export type ObjectLinkage = 'vmlinux' | 'module';

/**
 * The objects linked into vmlinux (members of `vmlinux.a` and of the `lib.a`
 * archives kbuild links beside it) and into modules (each `X.ko` of
 * modules.order: the objects its `X.mod` lists), as absolute paths.
 * `moduleDir`: an external module's directory, whose modules.order is read
 * instead. Returns `undefined` when the tree records neither (not fully built).
 */
export function linkedObjects(tree: string, moduleDir?: string): Map<string, ObjectLinkage> | undefined {
  const out = new Map<string, ObjectLinkage>();
  let known = false;
  if (moduleDir === undefined) {
    for (const archive of ['vmlinux.a', 'lib/lib.a', ...archLibs(tree)]) {
      const members = thinArchiveMembers(join(tree, archive));
      if (!members) continue;
      known ||= archive === 'vmlinux.a';
      for (const m of members) out.set(m, 'vmlinux');
    }
  }
  const base = moduleDir ?? tree;
  let order: string;
  try {
    order = readFileSync(join(base, 'modules.order'), 'utf8');
    known = true;
  } catch {
    order = '';
  }
  for (const ko of order.split('\n').filter(Boolean)) {
    // modules.order names X.ko (or X.o before 6.2's rename); X.mod lists the objects linked into it
    const mod = resolve(base, ko).replace(/\.(ko|o)$/, '.mod');
    let members: string;
    try {
      members = readFileSync(mod, 'utf8');
    } catch {
      continue;
    }
    for (const o of members.split(/\s+/).filter(Boolean)) out.set(resolve(base, o), 'module');
  }
  return known ? out : undefined;
}

/** arch/<arch>/lib/lib.a of every architecture directory present (one is built). */
function archLibs(tree: string): string[] {
  try {
    return readdirSync(join(tree, 'arch')).map((a) => join('arch', a, 'lib', 'lib.a'));
  } catch {
    return [];
  }
}
