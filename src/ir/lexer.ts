// The byte-level lexer of textual LLVM IR (as LLLexer in LLVM). The input is
// held as a latin1 string, so one character is exactly one byte of the file and
// offsets are byte offsets; names and strings are decoded (escapes, UTF-8) only
// when the parser asks for them.
import { ParseError } from './errors.js';

export const enum Tok {
  Eof,
  Equal,
  Comma,
  Star,
  LSquare,
  RSquare,
  LBrace,
  RBrace,
  Less,
  Greater,
  LParen,
  RParen,
  Exclaim,
  Bar,
  DotDotDot,
  Colon,
  /** `name:` or `"quoted":` block label; value in `text`. */
  LabelStr,
  /** `12:` numbered block label. */
  LabelId,
  /** `@name`, `@"quoted"`. */
  GlobalVar,
  /** `@12`. */
  GlobalId,
  LocalVar,
  LocalVarId,
  /** `$name`. */
  ComdatVar,
  /** `!name` (also `!DILocation` before `(`). */
  MetadataVar,
  /** `#12`. */
  AttrGrpId,
  /** `#dbg_value` etc.; `text` is `value`, `declare`, … */
  DbgRecord,
  /** `"…"`, escapes undone, latin1 bytes. */
  String,
  /** A bare word: `define`, `i32` is IntType, `DW_TAG_member`… */
  Keyword,
  /** `iN`; bits in `num`. */
  IntType,
  /** `-12`, `12`: text in `text`. */
  Integer,
  /** `1.5e+00`, `0x3FF…`, `0xK…`: text in `text`. */
  Float,
  /** `^12` (module summary, refused by the parser). */
  SummaryId,
}

const C_NAME = 1; // [-a-zA-Z$._0-9]
const C_DIGIT = 2;
const C_KW = 4; // [a-zA-Z0-9_]
const C_HEX = 8;
const C_ALPHA = 16; // [a-zA-Z_]
const C_WS = 32;
const cls = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  if (/[-a-zA-Z$._0-9]/.test(ch)) cls[c]! |= C_NAME;
  if (/[0-9]/.test(ch)) cls[c]! |= C_DIGIT;
  if (/[a-zA-Z0-9_]/.test(ch)) cls[c]! |= C_KW;
  if (/[0-9a-fA-F]/.test(ch)) cls[c]! |= C_HEX;
  if (/[a-zA-Z_]/.test(ch)) cls[c]! |= C_ALPHA;
  if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12) cls[c]! |= C_WS;
}

/** Undoes LLVM's `\XX` / `\\` escapes; returns latin1 bytes. */
export function unescapeBytes(s: string): string {
  if (s.indexOf('\\') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 && i + 1 < s.length) {
      const n = s.charCodeAt(i + 1);
      if (n === 92) {
        out += '\\';
        i++;
        continue;
      }
      if (i + 2 < s.length && cls[n]! & C_HEX && cls[s.charCodeAt(i + 2)]! & C_HEX) {
        out += String.fromCharCode(parseInt(s.substr(i + 1, 2), 16));
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;
/** latin1 bytes → text (UTF-8 decoded when not plain ASCII). */
export function bytesToText(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s;
}

export class Lexer {
  kind: Tok = Tok.Eof;
  /** Byte offset of the current token. */
  start = 0;
  /** Byte offset just past the current token. */
  end = 0;
  /** Byte offset just past the previous token. */
  prevEnd = 0;
  /** Decoded text of names, labels, strings, keywords, numbers. */
  text = '';
  /** Numeric value for ids (`%12`, `#3`, `i32`). */
  num = 0;
  private pos = 0;
  private readonly len: number;

  constructor(
    readonly src: string,
    readonly filename: string,
  ) {
    this.len = src.length;
  }

  /** Advances to the next token. */
  next(): Tok {
    const src = this.src;
    let p = this.pos;
    this.prevEnd = p;
    // skip whitespace and comments
    for (;;) {
      const c = src.charCodeAt(p);
      if (c === 32 || c === 10 || c === 9 || c === 13) {
        p++;
        continue;
      }
      if (c === 59) {
        // ;
        const nl = src.indexOf('\n', p);
        p = nl < 0 ? this.len : nl + 1;
        continue;
      }
      if (c === 11 || c === 12) {
        p++;
        continue;
      }
      break;
    }
    this.start = p;
    if (p >= this.len) {
      this.pos = p;
      this.end = p;
      return (this.kind = Tok.Eof);
    }
    const c = src.charCodeAt(p);
    let k: Tok;
    switch (c) {
      case 61:
        k = Tok.Equal;
        p++;
        break; // =
      case 44:
        k = Tok.Comma;
        p++;
        break;
      case 42:
        k = Tok.Star;
        p++;
        break;
      case 91:
        k = Tok.LSquare;
        p++;
        break;
      case 93:
        k = Tok.RSquare;
        p++;
        break;
      case 123:
        k = Tok.LBrace;
        p++;
        break;
      case 125:
        k = Tok.RBrace;
        p++;
        break;
      case 60:
        k = Tok.Less;
        p++;
        break;
      case 62:
        k = Tok.Greater;
        p++;
        break;
      case 40:
        k = Tok.LParen;
        p++;
        break;
      case 41:
        k = Tok.RParen;
        p++;
        break;
      case 124:
        k = Tok.Bar;
        p++;
        break;
      case 58:
        k = Tok.Colon;
        p++;
        break;
      case 64: // @
        p = this.lexVar(p + 1, Tok.GlobalVar, Tok.GlobalId);
        k = this.kind;
        break;
      case 37: // %
        p = this.lexVar(p + 1, Tok.LocalVar, Tok.LocalVarId);
        k = this.kind;
        break;
      case 36: {
        // $
        p = this.lexVar(p + 1, Tok.ComdatVar, Tok.ComdatVar);
        k = Tok.ComdatVar;
        break;
      }
      case 33: {
        // !
        let q = p + 1;
        const n = src.charCodeAt(q);
        if ((cls[n]! & C_NAME && !(cls[n]! & C_DIGIT)) || n === 92) {
          while (q < this.len) {
            const m = src.charCodeAt(q);
            if (cls[m]! & C_NAME || m === 92) q++;
            else break;
          }
          this.text = bytesToText(unescapeBytes(src.slice(p + 1, q)));
          k = Tok.MetadataVar;
          p = q;
        } else {
          k = Tok.Exclaim;
          p++;
        }
        break;
      }
      case 35: {
        // #
        let q = p + 1;
        if (cls[src.charCodeAt(q)]! & C_DIGIT) {
          while (cls[src.charCodeAt(q)]! & C_DIGIT) q++;
          this.num = this.parseId(p + 1, q);
          k = Tok.AttrGrpId;
        } else if (src.startsWith('dbg_', q)) {
          q += 4;
          while (cls[src.charCodeAt(q)]! & C_KW) q++;
          this.text = src.slice(p + 5, q);
          k = Tok.DbgRecord;
        } else {
          this.fail(p, 'a token', `'#'`);
        }
        p = q;
        break;
      }
      case 94: {
        // ^
        let q = p + 1;
        while (cls[src.charCodeAt(q)]! & C_DIGIT) q++;
        if (q === p + 1) this.fail(p, 'a token', `'^'`);
        this.num = this.parseId(p + 1, q);
        k = Tok.SummaryId;
        p = q;
        break;
      }
      case 34: {
        // "
        const q = this.stringEnd(p);
        this.text = unescapeBytes(src.slice(p + 1, q - 1));
        if (src.charCodeAt(q) === 58) {
          k = Tok.LabelStr;
          this.text = bytesToText(this.text);
          p = q + 1;
        } else {
          k = Tok.String;
          p = q;
        }
        break;
      }
      case 46: // .
        if (src.charCodeAt(p + 1) === 46 && src.charCodeAt(p + 2) === 46) {
          k = Tok.DotDotDot;
          p += 3;
          break;
        }
        p = this.lexLabelOrFail(p);
        k = Tok.LabelStr;
        break;
      default:
        if (cls[c]! & C_DIGIT || c === 45 || c === 43) {
          p = this.lexNumber(p);
          k = this.kind;
        } else if (cls[c]! & C_ALPHA) {
          p = this.lexWord(p);
          k = this.kind;
        } else this.fail(p, 'a token', describeChar(c));
    }
    this.pos = p;
    this.end = p;
    return (this.kind = k!);
  }

  /** Position just after the closing quote of a string starting at `p`. */
  private stringEnd(p: number): number {
    const q = this.src.indexOf('"', p + 1);
    if (q < 0) this.fail(p, 'end of string', 'end of file');
    return q + 1;
  }

  private lexVar(p: number, named: Tok, numbered: Tok): number {
    const src = this.src;
    const c = src.charCodeAt(p);
    if (c === 34) {
      const q = this.stringEnd(p);
      this.text = bytesToText(unescapeBytes(src.slice(p + 1, q - 1)));
      if (named === Tok.LocalVar || named === Tok.GlobalVar) {
        // a NUL in a name is refused by LLVM
        if (this.text.indexOf('\0') >= 0) this.fail(p, 'a name without NUL', 'a NUL byte');
      }
      this.kind = named;
      return q;
    }
    if (cls[c]! & C_DIGIT) {
      let q = p;
      while (cls[src.charCodeAt(q)]! & C_DIGIT) q++;
      if (cls[src.charCodeAt(q)]! & C_NAME && numbered !== named) {
        // `%1a` is not a valid id
        this.fail(p - 1, 'a name', JSON.stringify(src.slice(p - 1, q + 1)));
      }
      this.num = this.parseId(p, q);
      this.text = src.slice(p, q);
      this.kind = numbered;
      return q;
    }
    if (cls[c]! & C_NAME) {
      let q = p + 1;
      while (cls[src.charCodeAt(q)]! & C_NAME) q++;
      this.text = this.intern(p, q);
      this.kind = named;
      return q;
    }
    return this.fail(p - 1, 'a name after the sigil', describeChar(c));
  }

  private parseId(p: number, q: number): number {
    if (q - p > 9) this.fail(p, 'a number that fits 32 bits', JSON.stringify(this.src.slice(p, q)));
    return parseInt(this.src.slice(p, q), 10);
  }

  private lexLabelOrFail(p: number): number {
    const src = this.src;
    let q = p;
    while (cls[src.charCodeAt(q)]! & C_NAME) q++;
    if (src.charCodeAt(q) !== 58) this.fail(p, 'a token', JSON.stringify(src.slice(p, Math.max(q, p + 1))));
    this.text = src.slice(p, q);
    return q + 1;
  }

  private lexNumber(p: number): number {
    const src = this.src;
    const c = src.charCodeAt(p);
    // hex floating point `0x…`, `0xK…` etc., and `u0x`/`s0x` handled as words
    if (c === 48 && src.charCodeAt(p + 1) === 120) {
      let q = p + 2;
      const kc = src.charCodeAt(q);
      if (kc === 75 || kc === 76 || kc === 77 || kc === 72 || kc === 82) q++; // K L M H R
      const h = q;
      while (cls[src.charCodeAt(q)]! & C_HEX) q++;
      if (q === h) this.fail(p, 'hex digits', JSON.stringify(src.slice(p, q + 1)));
      this.text = src.slice(p, q);
      this.kind = Tok.Float;
      return q;
    }
    let q = p;
    if (c === 45 || c === 43) q++;
    const digits = q;
    while (cls[src.charCodeAt(q)]! & C_DIGIT) q++;
    if (q === digits) {
      // `-foo:` label
      if (c === 45) {
        let r = q;
        while (cls[src.charCodeAt(r)]! & C_NAME) r++;
        if (src.charCodeAt(r) === 58) {
          this.text = src.slice(p, r);
          this.kind = Tok.LabelStr;
          return r + 1;
        }
      }
      return this.fail(p, 'a number', describeChar(c));
    }
    const n = src.charCodeAt(q);
    if (n === 46) {
      q++;
      while (cls[src.charCodeAt(q)]! & C_DIGIT) q++;
      const e = src.charCodeAt(q);
      if (e === 101 || e === 69) {
        let r = q + 1;
        const s = src.charCodeAt(r);
        if (s === 45 || s === 43) r++;
        if (cls[src.charCodeAt(r)]! & C_DIGIT) {
          while (cls[src.charCodeAt(r)]! & C_DIGIT) r++;
          q = r;
        }
      }
      this.text = src.slice(p, q);
      this.kind = Tok.Float;
      return q;
    }
    if (c !== 43 && cls[n]! & C_NAME) {
      // `12abc:` or `-1.x:` style labels
      let r = q;
      while (cls[src.charCodeAt(r)]! & C_NAME) r++;
      if (src.charCodeAt(r) === 58) {
        this.text = src.slice(p, r);
        this.kind = Tok.LabelStr;
        return r + 1;
      }
    }
    if (n === 58 && c !== 45 && c !== 43) {
      this.text = src.slice(p, q);
      this.num = q - p > 9 ? NaN : parseInt(this.text, 10);
      this.kind = Tok.LabelId;
      return q + 1;
    }
    if (c === 43) this.fail(p, 'a number', "'+'");
    if (q - digits <= 15) {
      let n = 0;
      for (let i = digits; i < q; i++) n = n * 10 + (src.charCodeAt(i) - 48);
      this.num = c === 45 ? -n : n;
      this.text = '';
    } else {
      this.num = NaN;
      this.text = src.slice(p, q);
    }
    this.kind = Tok.Integer;
    return q;
  }

  private lexWord(p: number): number {
    const src = this.src;
    let q = p + 1;
    while (cls[src.charCodeAt(q)]! & C_KW) q++;
    // a label may use `-$.` too
    let r = q;
    while (cls[src.charCodeAt(r)]! & C_NAME) r++;
    if (src.charCodeAt(r) === 58) {
      this.text = this.intern(p, r);
      this.kind = Tok.LabelStr;
      return r + 1;
    }
    // `iN`
    if (src.charCodeAt(p) === 105 && q > p + 1) {
      let allDigits = true;
      for (let i = p + 1; i < q; i++)
        if (!(cls[src.charCodeAt(i)]! & C_DIGIT)) {
          allDigits = false;
          break;
        }
      if (allDigits) {
        const bits = q - p - 1 > 8 ? Infinity : parseInt(src.slice(p + 1, q), 10);
        if (!(bits >= 1 && bits <= 8388608)) this.fail(p, 'an integer width in 1..2^23', JSON.stringify(src.slice(p, q)));
        this.num = bits;
        this.text = src.slice(p, q);
        this.kind = Tok.IntType;
        return q;
      }
    }
    // `s0x…` / `u0x…` hex integers
    const c0 = src.charCodeAt(p);
    if ((c0 === 115 || c0 === 117) && src.charCodeAt(p + 1) === 48 && src.charCodeAt(p + 2) === 120) {
      this.num = NaN;
      this.text = src.slice(p, q);
      this.kind = Tok.Integer;
      return q;
    }
    this.text = this.intern(p, q);
    this.kind = Tok.Keyword;
    return q;
  }

  private readonly internTable: (string | undefined)[] = new Array(8192);
  /**
   * The text of src[p, q), shared with earlier equal words (a direct-mapped
   * cache): keywords, field names and labels repeat millions of times.
   */
  private intern(p: number, q: number): string {
    const src = this.src;
    let h = q - p;
    for (let i = p; i < q; i++) h = (Math.imul(h, 31) + src.charCodeAt(i)) | 0;
    const slot = (h ^ (h >>> 13)) & 8191;
    const cand = this.internTable[slot];
    if (cand !== undefined && cand.length === q - p && src.startsWith(cand, p)) return cand;
    const s = src.slice(p, q);
    this.internTable[slot] = s;
    return s;
  }

  /** The current token exactly as written. */
  tokenSource(): string {
    return this.src.slice(this.start, this.end);
  }

  /** Line and column (1-based) of a byte offset. */
  lineCol(offset: number): { line: number; column: number } {
    let line = 1;
    let lineStart = 0;
    const src = this.src;
    const lim = Math.min(offset, src.length);
    let i = src.indexOf('\n');
    while (i >= 0 && i < lim) {
      line++;
      lineStart = i + 1;
      i = src.indexOf('\n', i + 1);
    }
    return { line, column: lim - lineStart + 1 };
  }

  /** The current token's text as it appears in the input (for messages). */
  tokenText(): string {
    if (this.kind === Tok.Eof) return 'end of file';
    const t = this.src.slice(this.start, Math.min(this.end, this.start + 60));
    return JSON.stringify(bytesToText(t));
  }

  /** Throws a ParseError at `offset`. */
  fail(offset: number, expected: string, found: string): never {
    const { line, column } = this.lineCol(offset);
    throw new ParseError(this.filename, line, column, Math.min(offset, this.len), found, expected);
  }
}

function describeChar(c: number): string {
  if (Number.isNaN(c)) return 'end of file';
  if (c >= 32 && c < 127) return JSON.stringify(String.fromCharCode(c));
  return `byte 0x${c.toString(16).padStart(2, '0')}`;
}
