// Owns the IR tests' helper for bad input: the ParseError a source text
// raises, so each test asserts where it points and what it says.
import { ParseError, parseModule } from '../../../src/index.js';

/** The ParseError that parsing `src` (as `bad.ll`) raises; any other outcome fails the test. */
export function errorOf(src: string): ParseError {
  try {
    parseModule(src, { filename: 'bad.ll' });
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  throw new Error('no error');
}
