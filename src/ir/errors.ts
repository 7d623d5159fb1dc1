// The reader's one error type: where in which file, what was found, what was expected.

/** Thrown by the IR reader for any input it cannot read. Never any other exception. */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  constructor(
    /** File name given to the reader (`<input>` if none). */
    readonly file: string,
    /** 1-based line. */
    readonly line: number,
    /** 1-based column, in bytes. */
    readonly column: number,
    /** 0-based byte offset into the input. */
    readonly offset: number,
    /** The offending text (a token, or `end of file`). */
    readonly token: string,
    /** What the reader expected there. */
    readonly expected: string,
  ) {
    super(`${file}:${line}:${column}: expected ${expected}, found ${token}`);
  }
}
