// The policy layer's error: which file, which field, what was wrong.

/** A policy (JSON or CSV) that does not match the schema, or cannot be read or written. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    /** The file concerned (`<memory>` when none). */
    readonly file: string,
    /** Each problem: the path of the bad field (`accesses[3].legal.globals`) and what was expected. */
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(
      `${file}: ${issues
        .slice(0, 5)
        .map((i) => `${i.path || '(root)'}: ${i.message}`)
        .join('; ')}${issues.length > 5 ? `; … ${issues.length - 5} more` : ''}`,
    );
  }
}
