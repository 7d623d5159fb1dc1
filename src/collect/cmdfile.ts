// Owns reading kbuild's saved per-object command files (`.X.o.cmd`, written by
// scripts/Kbuild.include's if_changed / fixdep) and turning the C compile they
// record into the command that prints the TU's textual IR — the rewrite
// kbuild's own `make X.ll` does (scripts/Makefile.build, cmd_cc_ll_c):
//   cmd_cc_o_c  = $(CC) $(c_flags) -c -o $@ $<
//   cmd_cc_ll_c = $(CC) $(c_flags) -emit-llvm -S -fno-discard-value-names -o $@ $<
// so the IR comes from exactly the flags the object was built with.
import { CmdFileError } from './errors.js';

/** One parsed `.X.o.cmd` file. */
export interface CmdFile {
  /** The .cmd file's path. */
  readonly path: string;
  /** The object it is about, as kbuild names it (`net/ipv6/route.o`, or absolute for M= builds). */
  readonly target: string;
  /** The saved shell command, unescaped (make's `$$` and `$(pound)` undone). */
  readonly command: string;
  /** `source_X`: the object's source, when kbuild recorded one (compiles; not links). */
  readonly source?: string;
  /** `deps_X`: the headers and config files the compile read (`$(wildcard …)` entries marked optional). */
  readonly deps: readonly { readonly path: string; readonly optional: boolean }[];
}

/** Undoes make-cmd's escaping: `$$` → `$`, `$(pound)` → `#` (scripts/Kbuild.include). */
function unescapeMake(s: string): string {
  return s.replace(/\$\$|\$\(pound\)/g, (m) => (m === '$$' ? '$' : '#'));
}

/**
 * Parses the text of a kbuild `.cmd` file.
 * @throws {@link CmdFileError} when it holds no `cmd_… := …` line.
 */
export function parseCmdFile(path: string, text: string): CmdFile {
  const lines = text.split('\n');
  let target: string | undefined;
  let command: string | undefined;
  let source: string | undefined;
  const deps: { path: string; optional: boolean }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let m: RegExpExecArray | null;
    if (command === undefined && (m = /^cmd_(\S+) := (.*)$/.exec(line))) {
      target = m[1]!;
      command = unescapeMake(m[2]!);
    } else if ((m = /^source_\S+ := (.*)$/.exec(line))) {
      source = m[1]!.trim();
    } else if (/^deps_\S+ := \\$/.test(line)) {
      // one dependency per continued line, up to the first line without a trailing backslash
      for (i++; i < lines.length; i++) {
        const d = lines[i]!.replace(/\\$/, '').trim();
        const w = /^\$\(wildcard (.*)\)$/.exec(d);
        if (w) deps.push({ path: w[1]!, optional: true });
        else if (d) deps.push({ path: d, optional: false });
        if (!lines[i]!.endsWith('\\')) break;
      }
    }
  }
  if (target === undefined || command === undefined)
    throw new CmdFileError(path, "kbuild's saved command: a line 'cmd_<object> := <command>'", 1);
  return { path, target, command, ...(source !== undefined ? { source } : {}), deps };
}

/** A shell word, or an operator that ends a simple command. */
type Token = { readonly word: string } | { readonly op: string };

/**
 * Splits a shell command line into words as /bin/sh would (quotes, backslash
 * escapes), and the list operators `;` `&&` `||` `|`. kbuild's saved commands
 * use nothing else; an expansion (`$`, backquote) or a glob in a word would
 * need a shell, so it is refused rather than passed on wrongly. With `firstOnly`, it stops at the
 * first operator: what follows (kbuild's post-processing of the object, such as the EFI stub's
 * `if … | grep …; then echo … >&2; fi`) is never run by collect and need not be plain.
 */
export function shellSplit(cmd: string, where: string, firstOnly = false): Token[] {
  const out: Token[] = [];
  let i = 0;
  const bad = (what: string): never => {
    throw new CmdFileError(where, `a plain command (quotes and escapes only), not ${what} at column ${i + 1}`, 1);
  };
  while (i < cmd.length) {
    const c = cmd[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    const two = cmd.slice(i, i + 2);
    if (two === '&&' || two === '||') {
      out.push({ op: two });
      if (firstOnly) break;
      i += 2;
      continue;
    }
    if (c === ';' || c === '|') {
      out.push({ op: c });
      if (firstOnly) break;
      i++;
      continue;
    }
    if (c === '&' || c === '<' || c === '>' || c === '(' || c === ')') bad(`'${c}'`);
    let word = '';
    while (i < cmd.length && !' \t;|&<>()'.includes(cmd[i]!)) {
      const ch = cmd[i]!;
      if (ch === "'") {
        const end = cmd.indexOf("'", i + 1);
        if (end < 0) bad('an unterminated quote');
        word += cmd.slice(i + 1, end);
        i = end + 1;
      } else if (ch === '"') {
        i++;
        while (i < cmd.length && cmd[i] !== '"') {
          if (cmd[i] === '\\' && '\\"$`\n'.includes(cmd[i + 1] ?? '')) {
            word += cmd[i + 1];
            i += 2;
          } else if (cmd[i] === '$' || cmd[i] === '`') {
            bad('an expansion');
          } else {
            word += cmd[i++];
          }
        }
        if (i >= cmd.length) bad('an unterminated quote');
        i++;
      } else if (ch === '\\') {
        word += cmd[i + 1] ?? '';
        i += 2;
      } else if (ch === '$' || ch === '`') {
        bad('an expansion');
      } else if (ch === '*' || ch === '?' || ch === '[') {
        bad('a glob');
      } else {
        word += ch;
        i++;
      }
    }
    out.push({ word });
  }
  return out;
}

/** What a saved command is, for choosing which objects to collect. */
export type CommandKind =
  /** a kernel C compile: `clang … -D__KERNEL__ … -c -o X.o X.c` */
  | 'kernel-c'
  /** a C compile without -D__KERNEL__ (host programs under scripts/) */
  | 'host-c'
  /** an assembler source (.S) */
  | 'assembly'
  /** anything else: a link (`ld -r`), an archive, a generated object */
  | 'other';

/** The compile part of a saved command, taken apart. */
export interface CompileCommand {
  readonly kind: CommandKind;
  /** The compiler word as kbuild ran it (`clang-19`, or a path). */
  readonly compiler: string;
  /** The flags between the compiler and `-c` (kbuild's c_flags), as argv. */
  readonly flags: readonly string[];
  /** The source operand (last word). */
  readonly source: string;
  /** The `-o` operand. */
  readonly output: string;
}

/**
 * Takes apart the first simple command of a saved command line: a compile
 * `CC FLAGS… -c -o OUT SRC` (what kbuild's cmd_cc_o_c and cmd_as_o_S write);
 * any later command (`; objtool …`, genksyms) is post-processing of the object
 * and is dropped. Returns `undefined` for commands that are not such a compile.
 */
export function compileCommand(cmd: CmdFile): CompileCommand | undefined {
  const tokens = shellSplit(cmd.command, cmd.path, true);
  const words: string[] = [];
  for (const t of tokens) {
    if ('op' in t) break;
    words.push(t.word);
  }
  // `ccache clang …`: the compiler is the word after the wrapper
  if (words[0] !== undefined && /(^|\/)(ccache|sccache|distcc)$/.test(words[0])) words.shift();
  const n = words.length;
  if (n < 5 || words[n - 3] !== '-o' || words[n - 4] !== '-c') return undefined;
  const compiler = words[0]!;
  const source = words[n - 1]!;
  const flags = words.slice(1, n - 4);
  const kind: CommandKind = /\.S$/.test(source)
    ? 'assembly'
    : !/\.c$/.test(source)
      ? 'other'
      : flags.includes('-D__KERNEL__')
        ? 'kernel-c'
        : 'host-c';
  return { kind, compiler, flags, source, output: words[n - 2]! };
}

/**
 * The argv of the command that writes the TU's textual IR to `output`, from
 * its object's compile: kbuild's cmd_cc_ll_c with the object's own c_flags.
 * One documented difference from `make X.ll`: kbuild's `-Wp,-MMD,<depfile>`
 * is dropped, since collect takes the dependencies from the object's .cmd and
 * writes no depfiles into the tree; it only names where the preprocessor
 * writes the list of headers and does not change the IR.
 */
export function irCommand(compile: CompileCommand, output: string): string[] {
  const flags = compile.flags.filter((f) => !f.startsWith('-Wp,-MMD,') && !f.startsWith('-Wp,-MD,'));
  return [compile.compiler, ...flags, '-emit-llvm', '-S', '-fno-discard-value-names', '-o', output, compile.source];
}
