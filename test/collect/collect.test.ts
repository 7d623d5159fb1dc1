// kcompart collect: on kcdemo built against the corpus kbuild headers tree,
// the collected IR equals kbuild's own `make kcdemo.ll` byte for byte (the
// oracle); on small fixture trees compiled by the real clang-19, the rewrite
// keeps kbuild's quoting and escapes, the incremental rule follows the .cmd
// file's dependencies, non-TU objects are skipped by kind, and every bad
// input gets its typed error naming the file and what was expected there.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKcdemo } from '../../scripts/e2e/kcdemo.js';
import {
  ClangVersionError,
  CmdFileError,
  CompileError,
  collectIr,
  compileCommand,
  KbuildTreeError,
  NotClangError,
  parseCmdFile,
  shellSplit,
  thinArchiveMembers,
} from '../../src/collect/index.js';

const root = join(import.meta.dirname, '../..');
const cli = join(root, 'dist/src/cli/main.js');
const work = mkdtempSync(join(tmpdir(), 'kcompart-collect-'));
const clangVersion = execFileSync('clang-19', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();

/** Writes a fixture tree: path → content, under a fresh directory. */
function fixtureTree(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const CLANG_CONFIG = `CONFIG_CC_VERSION_TEXT="${clangVersion}"\nCONFIG_CC_IS_CLANG=y\nCONFIG_CLANG_VERSION=190107\n`;

/** A kbuild .cmd file as fixdep writes it, for `obj` compiled from `src` by `cc` with `flags`. */
function cmdFile(obj: string, src: string, cc: string, flags: string, deps: string[] = []): string {
  return `cmd_${obj} := ${cc} -Wp,-MMD,${dirname(obj)}/.${obj.split('/').pop()}.d ${flags} -c -o ${obj} ${src} ; ./tools/objtool/objtool --orc ${obj}

source_${obj} := ${src}

deps_${obj} := \\
${deps.map((d) => `  ${d} \\\n`).join('')}
${obj}: $(deps_${obj})

$(deps_${obj}):
`;
}

describe('collect on kcdemo (oracle: make -C headers M=dir LLVM=-19 kcdemo.ll)', () => {
  let build: Awaited<ReturnType<typeof buildKcdemo>>;
  const moduleDir = join(work, 'kcdemo');
  beforeAll(async () => {
    build = await buildKcdemo(moduleDir);
  }, 300_000);

  it('writes the same IR as kbuild, byte for byte', async () => {
    const headers = join(root, '.cache', 'linux-headers-6.1');
    const out = join(work, 'kcdemo-ir');
    const r = await collectIr({ tree: headers, moduleDir, outputDir: out, jobs: 2 });
    expect(r.units.map((u) => [u.ll, u.linkage])).toEqual([[join(out, 'kcdemo.ll'), 'module']]);
    expect(r.compiled).toBe(1);
    expect(r.skipped.modpost).toBe(1); // kcdemo.mod.o: modpost's metadata, not a TU of the module
    expect(r.compiler).toBe(clangVersion);
    expect(readFileSync(join(out, 'kcdemo.ll'), 'utf8')).toBe(readFileSync(build.ll, 'utf8'));
    // a second run finds it up to date and compiles nothing
    const again = await collectIr({ tree: headers, moduleDir, outputDir: out });
    expect([again.compiled, again.upToDate]).toEqual([0, 1]);
  });

  it('reads the real .cmd file: c_flags kept, -Wp,-MMD dropped, objtool after the compile dropped', () => {
    const cmd = parseCmdFile('.kcdemo.o.cmd', readFileSync(join(moduleDir, '.kcdemo.o.cmd'), 'utf8'));
    const c = compileCommand(cmd)!;
    expect(c.kind).toBe('kernel-c');
    expect(c.compiler).toBe('clang-19');
    expect(c.source).toBe(join(moduleDir, 'kcdemo.c'));
    expect(c.flags).toContain('-DKBUILD_MODNAME="kcdemo"');
    expect(c.flags.some((f) => f.includes('objtool'))).toBe(false);
    expect(cmd.deps.length).toBeGreaterThan(100);
    expect(cmd.deps.some((d) => d.optional && d.path.startsWith('include/config/'))).toBe(true);
  });
});

describe('collect on fixture trees compiled by clang-19', () => {
  const X_C = `#include "x.h"\nconst char *basename_ = KBUILD_BASENAME;\nconst char *stringized = STR(hello);\nconst char *dollar = DOLLAR;\nint f(int a) { return a + X; }\n`;
  const FLAGS = `-nostdinc -D__KERNEL__ -O2 -DKBUILD_BASENAME='"x"' -D'STR(s)=$(pound)s' -D'DOLLAR="$$"'`;
  const good = () =>
    fixtureTree(`good-${Math.random().toString(36).slice(2)}`, {
      Makefile: '',
      '.config': CLANG_CONFIG,
      'lib/x.c': X_C,
      'lib/x.h': '#define X 1\n',
      'lib/x.o': '',
      'lib/.x.o.cmd': cmdFile('lib/x.o', 'lib/x.c', 'clang-19', FLAGS, ['lib/x.h', '$(wildcard include/config/FOO)']),
      // an assembler source, a host program and a link: not TUs to collect
      'lib/e.o': '',
      'lib/.e.o.cmd': cmdFile('lib/e.o', 'lib/e.S', 'clang-19', '-D__KERNEL__ -D__ASSEMBLY__'),
      'scripts/h.o': '',
      'scripts/.h.o.cmd': cmdFile('scripts/h.o', 'scripts/h.c', 'clang-19', '-O2'),
      'lib/built-in.o': '',
      'lib/.built-in.o.cmd': 'cmd_lib/built-in.o := ld.lld-19 -r -o lib/built-in.o lib/x.o\n',
      // user-space tools are not kbuild's: a whole-tree walk does not enter them
      'tools/objtool/check.o': '',
    });

  it("undoes make's escaping and keeps the shell quoting of kbuild's flags", async () => {
    const tree = good();
    const r = await collectIr({ tree, jobs: 1 });
    expect(r.units.map((u) => u.source)).toEqual(['lib/x.c']);
    expect(r.skipped).toEqual({ 'host-c': 1, assembly: 1, other: 1, modpost: 0, 'not-linked': 0 });
    const ll = readFileSync(join(tree, 'lib/x.ll'), 'utf8');
    expect(ll).toContain('c"x\\00"'); // KBUILD_BASENAME='"x"'
    expect(ll).toContain('c"hello\\00"'); // STR(s)=#s, saved as $(pound)
    expect(ll).toContain('c"$\\00"'); // DOLLAR="$", saved as $$
    expect(ll).toMatch(/add nsw i32 %a, 1/); // X from lib/x.h
  });

  it('is incremental: redoes a TU when its .cmd, source, a header or an optional config file is newer', async () => {
    const tree = good();
    const run = () => collectIr({ tree, jobs: 2 }).then((r) => [r.compiled, r.upToDate]);
    expect(await run()).toEqual([1, 0]);
    expect(await run()).toEqual([0, 1]);
    // every input made old, then one at a time made newer than the .ll (kept older than now, so the next .ll is newer again)
    const at = (p: string, ago: number) => utimesSync(join(tree, p), new Date(Date.now() - ago * 1000), new Date(Date.now() - ago * 1000));
    for (const p of ['lib/x.c', 'lib/x.h', 'lib/.x.o.cmd']) at(p, 1000);
    const newer = async (p: string) => {
      at('lib/x.ll', 100);
      at(p, 50);
      expect(await run(), p).toEqual([1, 0]);
      expect(await run(), p).toEqual([0, 1]);
      at(p, 1000);
    };
    await newer('lib/x.h');
    await newer('lib/x.c');
    await newer('lib/.x.o.cmd');
    mkdirSync(join(tree, 'include/config'), { recursive: true });
    writeFileSync(join(tree, 'include/config/FOO'), '');
    await newer('include/config/FOO');
    // a required header gone: not up to date (the compile then says why)
    writeFileSync(join(tree, 'lib/.x.o.cmd'), cmdFile('lib/x.o', 'lib/x.c', 'clang-19', FLAGS, ['lib/x.h', 'lib/gone.h']));
    at('lib/x.ll', 0);
    expect(await run()).toEqual([1, 0]);
    expect((await collectIr({ tree, force: true })).compiled).toBe(1);
  });

  it('collects what vmlinux.a and modules.order say is linked, unless --all', async () => {
    const tree = fixtureTree('linked', {
      Makefile: '',
      '.config': CLANG_CONFIG,
      'lib/x.c': 'int x;\n',
      'lib/x.o': '',
      'lib/.x.o.cmd': cmdFile('lib/x.o', 'lib/x.c', 'clang-19', '-D__KERNEL__'),
      'drivers/m.c': 'int m;\n',
      'drivers/m.o': '',
      'drivers/.m.o.cmd': cmdFile('drivers/m.o', 'drivers/m.c', 'clang-19', '-D__KERNEL__ -DMODULE'),
      'drivers/m.mod': 'drivers/m.o\n',
      'modules.order': 'drivers/m.ko\n',
      // vDSO code: kernel C, but linked into neither vmlinux nor a module
      'arch/vdso/v.c': 'int v;\n',
      'arch/vdso/v.o': '',
      'arch/vdso/.v.o.cmd': cmdFile('arch/vdso/v.o', 'arch/vdso/v.c', 'clang-19', '-D__KERNEL__'),
    });
    // kbuild's own archiver commands (cmd_ar_builtin, cmd_ar_vmlinux.a): thin archives, flattened
    execFileSync('llvm-ar-19', ['cDPrST', 'lib/built-in.a', 'lib/x.o'], { cwd: tree });
    execFileSync('llvm-ar-19', ['cDPrST', 'vmlinux.a', 'lib/built-in.a'], { cwd: tree });
    expect(thinArchiveMembers(join(tree, 'vmlinux.a'))).toEqual([join(tree, 'lib/x.o')]);
    const r = await collectIr({ tree });
    expect(r.units.map((u) => [u.source, u.linkage])).toEqual([
      ['drivers/m.c', 'module'],
      ['lib/x.c', 'vmlinux'],
    ]);
    expect(r.skipped['not-linked']).toBe(1);
    const all = await collectIr({ tree, all: true });
    expect(all.units.map((u) => [u.source, u.linkage])).toEqual([
      ['arch/vdso/v.c', undefined],
      ['drivers/m.c', 'module'],
      ['lib/x.c', 'vmlinux'],
    ]);
  });

  it('collects chosen directories and objects only, into an output directory', async () => {
    const tree = good();
    const out = join(tree, 'out');
    const r = await collectIr({ tree, select: ['lib/x.c', 'lib'], outputDir: out });
    expect(r.units.map((u) => u.ll)).toEqual([join(out, 'lib/x.ll')]);
    expect(existsSync(join(tree, 'lib/x.ll'))).toBe(false);
  });

  it('a tree configured for gcc: NotClangError naming .config', async () => {
    const tree = fixtureTree('gcc', {
      Makefile: '',
      '.config': 'CONFIG_CC_VERSION_TEXT="gcc (Debian 12.2.0-14) 12.2.0"\nCONFIG_CC_IS_GCC=y\n',
    });
    const e = await collectIr({ tree }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NotClangError);
    expect((e as NotClangError).file).toBe(join(tree, '.config'));
    expect((e as Error).message).toMatch(/built with gcc \(Debian 12\.2\.0-14\) 12\.2\.0, expected clang/);
  });

  it('an object compiled by gcc: NotClangError naming its .cmd', async () => {
    const tree = fixtureTree('gcc-object', {
      Makefile: '',
      '.config': CLANG_CONFIG,
      'lib/x.o': '',
      'lib/.x.o.cmd': cmdFile('lib/x.o', 'lib/x.c', 'gcc', '-D__KERNEL__ -O2'),
    });
    const e = await collectIr({ tree }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NotClangError);
    expect((e as NotClangError).file).toBe(join(tree, 'lib/.x.o.cmd'));
    expect((e as NotClangError).found).toBe('gcc');
  });

  it('another clang than the tree was built with: ClangVersionError with both versions', async () => {
    const tree = good();
    writeFileSync(
      join(tree, '.config'),
      'CONFIG_CC_VERSION_TEXT="Debian clang version 14.0.6"\nCONFIG_CC_IS_CLANG=y\nCONFIG_CLANG_VERSION=140006\n',
    );
    const e = await collectIr({ tree }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ClangVersionError);
    expect((e as ClangVersionError).expected).toBe('Debian clang version 14.0.6');
    expect((e as ClangVersionError).found).toBe(clangVersion);
    expect((e as ClangVersionError).compiler).toBe('clang-19');
    expect(existsSync(join(tree, 'lib/x.ll')), 'nothing compiled before the check').toBe(false);
  });

  it('an object without its .cmd file: CmdFileError naming the missing file', async () => {
    const tree = fixtureTree('no-cmd', { Makefile: '', '.config': CLANG_CONFIG, 'net/y.o': '' });
    for (const select of [undefined, ['net'], ['net/y.o']]) {
      const e = await collectIr({ tree, ...(select ? { select } : {}) }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(CmdFileError);
      expect((e as CmdFileError).file).toBe(join(tree, 'net/.y.o.cmd'));
    }
  });

  it('a .cmd file without a command: CmdFileError with the line', async () => {
    const tree = fixtureTree('bad-cmd', { Makefile: '', '.config': CLANG_CONFIG, 'net/y.o': '', 'net/.y.o.cmd': 'garbage\n' });
    const e = await collectIr({ tree }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CmdFileError);
    expect((e as Error).message).toBe(
      `${join(tree, 'net/.y.o.cmd')}:1: expected kbuild's saved command: a line 'cmd_<object> := <command>'`,
    );
  });

  it('a failing compile: CompileError with clang stderr, and no .ll or temporary file left', async () => {
    const tree = good();
    writeFileSync(join(tree, 'lib/x.c'), 'int f( {\n');
    const e = await collectIr({ tree }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CompileError);
    expect((e as CompileError).file).toBe('lib/x.c');
    expect((e as CompileError).stderr).toMatch(/lib\/x\.c:1:\d+: error:/);
    expect((e as CompileError).command).toContain('-emit-llvm');
    expect(readdirSync(join(tree, 'lib')).filter((f) => f.startsWith('x.ll'))).toEqual([]);
  });

  it('not a kbuild tree, or not built: KbuildTreeError', async () => {
    await expect(collectIr({ tree: fixtureTree('empty', { 'a.txt': '' }) })).rejects.toThrow(KbuildTreeError);
    await expect(collectIr({ tree: fixtureTree('unconfigured', { Makefile: '' }) })).rejects.toThrow(
      /\.config: expected the configured tree's \.config/,
    );
    const unbuilt = fixtureTree('unbuilt', { Makefile: '', '.config': CLANG_CONFIG, 'net/a.c': '' });
    await expect(collectIr({ tree: unbuilt, select: ['net'] })).rejects.toThrow(/net: expected built objects/);
  });

  it('refuses a saved command that would need a shell to expand', () => {
    expect(() => shellSplit('clang -DX=$(HOME) -c -o a.o a.c', 'a.cmd')).toThrow(CmdFileError);
    expect(shellSplit(`clang -D'A=B C' "-DQ=\\"q\\"" x\\ y ; objtool`, 'a.cmd')).toEqual([
      { word: 'clang' },
      { word: '-DA=B C' },
      { word: '-DQ="q"' },
      { word: 'x y' },
      { op: ';' },
      { word: 'objtool' },
    ]);
  });

  it("reads a saved command's first command only: the EFI stub's post-processing needs a shell, and collect never runs it", () => {
    // drivers/firmware/efi/libstub/.alignedmem.stub.o.cmd of the rebuilt corpus kernel, shortened
    const stub =
      'llvm-strip-19 --strip-debug -o lib/a.stub.o lib/a.o; if llvm-objdump-19 -r lib/a.stub.o | grep R_X86_64_64; ' +
      'then echo "lib/a.stub.o: absolute symbol references not allowed" >&2; /bin/false; fi';
    expect(() => shellSplit(stub, 'a.cmd')).toThrow(/not '>' at column/);
    expect(shellSplit(stub, 'a.cmd', true)).toEqual([
      { word: 'llvm-strip-19' },
      { word: '--strip-debug' },
      { word: '-o' },
      { word: 'lib/a.stub.o' },
      { word: 'lib/a.o' },
      { op: ';' },
    ]);
    expect(compileCommand({ path: 'a.cmd', target: 'lib/a.stub.o', command: stub, deps: [] })).toBeUndefined();
  });
});

describe('kcompart collect (the command)', () => {
  it('prints one line naming the file for a typed error, exit 1', () => {
    const tree = fixtureTree('cli-gcc', { Makefile: '', '.config': 'CONFIG_CC_IS_GCC=y\nCONFIG_CC_VERSION_TEXT="gcc-12"\n' });
    const r = spawnSync(process.execPath, [cli, 'collect', tree], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      `kcompart: ${join(tree, '.config')}: the tree was built with gcc-12, expected clang (build it with make LLVM=1 or LLVM=-N; collect reruns kbuild's own clang commands)`,
    );
  });
  it('prints a summary and plain progress lines when stderr is not a terminal', () => {
    const tree = fixtureTree('cli-good', {
      Makefile: '',
      '.config': CLANG_CONFIG,
      'lib/x.c': 'int f(void) { return 1; }\n',
      'lib/x.o': '',
      'lib/.x.o.cmd': cmdFile('lib/x.o', 'lib/x.c', 'clang-19', '-D__KERNEL__ -O2'),
    });
    const r = spawnSync(process.execPath, [cli, 'collect', tree, '-j', '1'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^\[\d+\.\d s\] collect 1\/1 lib\/x\.c\n$/);
    expect(r.stdout).toMatch(/^kcompart collect: 1 translation units of .* \(1 compiled, 0 up to date\)/);
    expect(spawnSync(process.execPath, [cli, 'collect', tree, '-j', 'x'], { encoding: 'utf8' }).status).toBe(2);
  });
});
