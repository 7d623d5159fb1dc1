// Owns the typed errors of src/emit: a clang run that fails (non-zero exit,
// or the compiler missing) is a BpfCompileError carrying its diagnostics as
// data; a policy the emitter cannot use is an EmitError.

/** One compiler diagnostic, parsed from `file:line:col: severity: message`. */
export interface BpfDiagnostic {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly severity: 'error' | 'warning' | 'note' | 'fatal error';
  readonly message: string;
}

/** clang failed on one generated file. */
export class BpfCompileError extends Error {
  override readonly name = 'BpfCompileError';
  constructor(
    readonly file: string,
    readonly diagnostics: readonly BpfDiagnostic[],
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    const first = diagnostics.find((d) => d.severity === 'error' || d.severity === 'fatal error');
    super(
      `clang failed on ${file}${first ? `: ${first.file}:${first.line}:${first.column}: ${first.message}` : `: ${stderr.trim().split('\n')[0] ?? `exit ${exitCode}`}`}`,
    );
  }
}

/** The emitter cannot use its input (bad option, missing run-time files). */
export class EmitError extends Error {
  override readonly name = 'EmitError';
}
