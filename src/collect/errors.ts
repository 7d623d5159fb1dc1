// Owns the typed errors of src/collect: each names the file it is about and
// what was expected there, so the user can fix the tree (or the compiler on
// PATH) without reading kcompart's source. All extend CollectError, so a
// caller can catch the whole family at once.

/** Base of every error `collectIr` throws for a bad tree, a bad compiler or a failing compile. */
export class CollectError extends Error {
  override readonly name: string = 'CollectError';
  constructor(
    message: string,
    /** The file the error is about (a .cmd file, .config, a source). */
    readonly file: string,
  ) {
    super(message);
  }
}

/** The directory is not a configured, built kbuild tree (no Makefile / .config, no objects where asked). */
export class KbuildTreeError extends CollectError {
  override readonly name = 'KbuildTreeError';
}

/** The tree (its .config) or one object (its .cmd file) was compiled by something other than clang. */
export class NotClangError extends CollectError {
  override readonly name = 'NotClangError';
  constructor(
    file: string,
    /** What the file says the compiler was (`gcc-12`, `gcc (Debian 12.2.0-14) 12.2.0`). */
    readonly found: string,
  ) {
    super(
      `${file}: the tree was built with ${found}, expected clang (build it with make LLVM=1 or LLVM=-N; collect reruns kbuild's own clang commands)`,
      file,
    );
  }
}

/** The clang found on PATH is not the clang the tree was built with. */
export class ClangVersionError extends CollectError {
  override readonly name = 'ClangVersionError';
  constructor(
    file: string,
    /** What the tree records (`Debian clang version 19.1.7 (3~deb12u1)`). */
    readonly expected: string,
    /** The compiler that was run. */
    readonly compiler: string,
    /** The first line of its `--version`, or why it could not be run. */
    readonly found: string,
  ) {
    super(
      `${file}: the tree was built with '${expected}', but ${compiler} is '${found}' (IR from another clang would not match the tree's objects; put the tree's clang on PATH)`,
      file,
    );
  }
}

/** An object of the tree has no kbuild `.X.o.cmd` file next to it, or the file cannot be read as one. */
export class CmdFileError extends CollectError {
  override readonly name = 'CmdFileError';
  constructor(
    file: string,
    /** What was expected there. */
    readonly expected: string,
    /** 1-based line, when the file exists and one line is at fault. */
    readonly line?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: expected ${expected}`, file);
  }
}

/** clang failed on one translation unit. */
export class CompileError extends CollectError {
  override readonly name = 'CompileError';
  constructor(
    /** The source file (tree-relative as in the .cmd file). */
    source: string,
    /** The command that was run, as argv. */
    readonly command: readonly string[],
    /** clang's stderr. */
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    const first = stderr.split('\n').find((l) => /error:/.test(l)) ?? stderr.trim().split('\n')[0] ?? '';
    super(`clang failed on ${source} (exit ${exitCode ?? 'signal'})${first ? `: ${first.trim()}` : ''}`, source);
  }
}
