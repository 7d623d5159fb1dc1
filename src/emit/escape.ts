// Owns the escaping of policy names into generated C: every name that comes
// from a policy (symbols, files, cache names, site ids) reaches the C text
// only through cString (a string literal, non-printable and non-ASCII bytes
// as 3-digit octal) or cComment (comment text with `*`, `\` and every
// non-printable byte as `\xNN`), so no input can end a literal or a comment,
// start a directive, or splice a line.

/** Bytes that may appear verbatim: printable ASCII except `"`, `\`, `?` (trigraphs) and `'`. */
function literalSafe(b: number): boolean {
  return b >= 0x20 && b <= 0x7e && b !== 0x22 && b !== 0x5c && b !== 0x3f && b !== 0x27;
}

/** A C string literal (with its quotes) whose bytes are the UTF-8 encoding of `s`. */
export function cString(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    // octal escapes take at most three digits, so a following digit is never absorbed (hex escapes are greedy)
    out += literalSafe(b) ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** Text safe inside a C block comment: no star (so no comment end, no nested start), no backslash, only printable ASCII. */
export function cComment(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const plain = b >= 0x20 && b <= 0x7e && b !== 0x2a && b !== 0x5c;
    out += plain ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}
