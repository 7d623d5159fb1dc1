// Owns the reader's public entry point, parseModule: turns the input into a
// latin1 string (one character per byte, see lexer.ts), runs the
// recursive-descent reader of asm/ over it (as LLParser in LLVM; one file per
// grammar area, asm/state.ts holding what they share), and makes sure that
// nothing but a ParseError ever escapes. It also wires the one grammar hook
// that lets the type grammar read attributes without an import cycle.
import { ParseError } from './errors.js';
import type { Module } from './module.js';
import { parseAttributes } from './asm/attributes.js';
import { parseModuleBody } from './asm/module.js';
import { type GrammarHooks, ParserState } from './asm/state.js';

export { MAX_NESTING } from './asm/state.js';

/** Options of {@link parseModule}. */
export interface ParseOptions {
  /** Name used in error messages and kept as `Module.filename`. */
  filename?: string;
}

const GRAMMAR: GrammarHooks = { parseAttributes };

/**
 * Reads one module of textual LLVM IR.
 *
 * Accepts clang 14–19 output: typed and opaque pointers, debug records and
 * `llvm.dbg.*` calls, and every instruction of LangRef.
 *
 * @param source - The IR text, as a string or the file's bytes.
 * @param options - `filename` for error messages.
 * @returns The module.
 * @throws {@link ParseError} for any input that is not valid IR; never any other error.
 */
export function parseModule(source: string | Uint8Array, options: ParseOptions = {}): Module {
  const text =
    typeof source === 'string'
      ? /[^\x00-\xff]/.test(source)
        ? Buffer.from(source, 'utf8').toString('latin1')
        : source
      : Buffer.from(source.buffer, source.byteOffset, source.byteLength).toString('latin1');
  const p = new ParserState(text, options.filename ?? '<input>', GRAMMAR);
  try {
    return parseModuleBody(p);
  } catch (e) {
    if (e instanceof ParseError) throw e;
    if (e instanceof RangeError) {
      // a stack overflow on pathological nesting the depth guard did not catch
      p.lx.fail(p.lx.start, 'less deeply nested input', p.lx.tokenText());
    }
    throw e;
  }
}
