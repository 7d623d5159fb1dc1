// Owns the typed error of src/btf: a BTF blob that does not follow
// Documentation/bpf/btf.rst, with the byte offset where reading stopped.

/** A malformed BTF blob: the file, the byte offset and what was expected there. */
export class BtfFormatError extends Error {
  override readonly name = 'BtfFormatError';
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly expected: string,
  ) {
    super(`${file}: byte ${offset}: expected ${expected}`);
  }
}
