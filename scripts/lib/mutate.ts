// Owns the fuzzing mutator shared by test/fuzz.test.ts and scripts/fuzz.ts:
// a seeded PRNG (mulberry32), per-case reproducible random streams, and the
// byte-level mutations applied to whole IR files. Pure: no I/O, no parser.
//
// Everything works on "latin1 strings" (one char per byte, 0..255) so that
// token and line edits never break or re-encode bytes; callers convert with
// Buffer.from(s, "latin1").

/** mulberry32: a tiny, fast, well-distributed 32-bit PRNG. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A small random-number helper over a PRNG. */
export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** float in [0, 1) */
  float(): number {
    return this.next();
  }
  /** integer in [0, n) ; n >= 1 */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** integer in [lo, hi] */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from empty array');
    return xs[this.int(xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** 32-bit mix (murmur3 finalizer) used to derive per-case seeds. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The PRNG seed of case `index` of a run with `seed`: any single case is reproducible. */
export function caseSeed(seed: number, index: number): number {
  return mix32((seed >>> 0) ^ mix32(Math.imul(index + 1, 0x9e3779b1)));
}

/** Parses a seed given on a command line or in an env var: decimal or 0x-hex. */
export function parseSeed(text: string): number {
  const t = text.trim();
  const n = /^0x[0-9a-f]+$/i.test(t) ? Number.parseInt(t.slice(2), 16) : Number.parseInt(t, 10);
  if (!Number.isFinite(n) || Number.isNaN(n)) throw new Error(`bad seed: ${text}`);
  return n >>> 0;
}

export interface Mutated {
  /** the mutated input, one char per byte */
  text: string;
  /** human-readable list of the mutations applied, in order */
  steps: string[];
}

type Mutator = (s: string, rng: Rng) => { text: string; step: string };

// ---------------------------------------------------------------------------
// helpers

const PUNCT = '[]{}()<>,;:=!#%@*"\'\\|^~.$-+/?&`';
const OPENERS = ['[', '!{', '{', '(', '<', '<{', '!DILocation(scope: ', '[1 x ', '{ ptr, ', '"', 'c"', '!"'];
/** a rough IR tokenizer: names, numbers, strings, metadata refs, single punctuation */
const TOKEN_RE = /(?:[%@!#$]?(?:"(?:[^"\\\n]|\\.)*"|[-A-Za-z0-9_.$]+)|c"(?:[^"\\\n]|\\.)*"|\.\.\.|[^\sA-Za-z0-9_])/y;

function lineAt(s: string, pos: number): { start: number; end: number } {
  const start = s.lastIndexOf('\n', pos - 1) + 1;
  let end = s.indexOf('\n', pos);
  end = end < 0 ? s.length : end + 1; // includes the newline
  return { start, end };
}

/** the first token starting at or after `pos` (wrapping once), or null */
function tokenFrom(s: string, pos: number): { start: number; end: number } | null {
  for (const from of [pos, 0]) {
    for (let i = from; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) continue;
      TOKEN_RE.lastIndex = i;
      const m = TOKEN_RE.exec(s);
      if (m && m[0].length > 0) return { start: i, end: i + m[0].length };
      return { start: i, end: i + 1 };
    }
  }
  return null;
}

function show(s: string, max = 40): string {
  const t = s.length > max ? `${s.slice(0, max)}…(${s.length})` : s;
  return JSON.stringify(t);
}

function insertAt(s: string, pos: number, what: string): string {
  return s.slice(0, pos) + what + s.slice(pos);
}

function randomByte(rng: Rng): string {
  // bias towards interesting bytes
  const special = [0, 0x0a, 0x0d, 0x09, 0x20, 0x22, 0x5c, 0x7f, 0x80, 0xc0, 0xff, 0x21, 0x25, 0x40, 0x7b, 0x7d];
  return String.fromCharCode(rng.chance(0.3) ? rng.pick(special) : rng.int(256));
}

// ---------------------------------------------------------------------------
// the mutators

const truncate: Mutator = (s, rng) => {
  const at = rng.int(s.length + 1);
  return { text: s.slice(0, at), step: `truncate@${at}` };
};

const flipBytes: Mutator = (s, rng) => {
  const n = rng.range(1, 8);
  const chars = s.split('');
  const where: string[] = [];
  for (let k = 0; k < n && chars.length > 0; k++) {
    const i = rng.int(chars.length);
    const old = chars[i]!.charCodeAt(0);
    const nv = rng.chance(0.5) ? old ^ (1 << rng.int(8)) : randomByte(rng).charCodeAt(0);
    chars[i] = String.fromCharCode(nv & 0xff);
    where.push(`${i}:${old.toString(16)}->${(nv & 0xff).toString(16)}`);
  }
  return { text: chars.join(''), step: `flip[${where.join(',')}]` };
};

const deleteToken: Mutator = (s, rng) => {
  const t = tokenFrom(s, rng.int(s.length + 1));
  if (!t) return { text: s, step: 'delete-token(none)' };
  return { text: s.slice(0, t.start) + s.slice(t.end), step: `delete-token@${t.start} ${show(s.slice(t.start, t.end))}` };
};

const duplicateToken: Mutator = (s, rng) => {
  const t = tokenFrom(s, rng.int(s.length + 1));
  if (!t) return { text: s, step: 'duplicate-token(none)' };
  const tok = s.slice(t.start, t.end);
  const sep = rng.chance(0.5) ? ' ' : '';
  return { text: s.slice(0, t.end) + sep + tok + s.slice(t.end), step: `duplicate-token@${t.start} ${show(tok)}` };
};

const moveToken: Mutator = (s, rng) => {
  const t = tokenFrom(s, rng.int(s.length + 1));
  if (!t) return { text: s, step: 'move-token(none)' };
  const tok = s.slice(t.start, t.end);
  const rest = s.slice(0, t.start) + s.slice(t.end);
  const at = rng.int(rest.length + 1);
  return { text: insertAt(rest, at, ` ${tok} `), step: `move-token@${t.start}->${at} ${show(tok)}` };
};

const deleteLine: Mutator = (s, rng) => {
  const l = lineAt(s, rng.int(s.length + 1));
  return { text: s.slice(0, l.start) + s.slice(l.end), step: `delete-line@${l.start} ${show(s.slice(l.start, l.end))}` };
};

const duplicateLine: Mutator = (s, rng) => {
  const l = lineAt(s, rng.int(s.length + 1));
  let line = s.slice(l.start, l.end);
  if (!line.endsWith('\n')) line += '\n';
  const times = rng.chance(0.1) ? rng.range(2, 50) : 1;
  return { text: s.slice(0, l.start) + line.repeat(times) + s.slice(l.start), step: `duplicate-line@${l.start}x${times} ${show(line)}` };
};

const swapLines: Mutator = (s, rng) => {
  let a = lineAt(s, rng.int(s.length + 1));
  let b = lineAt(s, rng.int(s.length + 1));
  if (a.start === b.start) return { text: s, step: `swap-lines(same@${a.start})` };
  if (a.start > b.start) [a, b] = [b, a];
  let la = s.slice(a.start, a.end);
  let lb = s.slice(b.start, b.end);
  if (!la.endsWith('\n')) la += '\n';
  if (!lb.endsWith('\n')) lb += '\n';
  const text = s.slice(0, a.start) + lb + s.slice(a.end, b.start) + la + s.slice(b.end);
  return { text, step: `swap-lines@${a.start},${b.start}` };
};

const insertPunct: Mutator = (s, rng) => {
  const n = rng.range(1, 20);
  let p = '';
  for (let i = 0; i < n; i++) p += PUNCT[rng.int(PUNCT.length)];
  const at = rng.int(s.length + 1);
  return { text: insertAt(s, at, p), step: `insert-punct@${at} ${show(p)}` };
};

const insertBytes: Mutator = (s, rng) => {
  const n = rng.range(1, 16);
  let p = '';
  for (let i = 0; i < n; i++) p += randomByte(rng);
  const at = rng.int(s.length + 1);
  return { text: insertAt(s, at, p), step: `insert-bytes@${at} ${show(p)}` };
};

/** unbalanced deep nesting at a random point: e.g. 10000 × "[" or "!{" */
const deepNestRandom: Mutator = (s, rng) => {
  const open = rng.pick(OPENERS);
  const depth = rng.pick([100, 1000, 10000, rng.range(2000, 50000)]);
  const at = rng.int(s.length + 1);
  return { text: insertAt(s, at, open.repeat(depth)), step: `deep-nest@${at} ${show(open)}x${depth}` };
};

/** well-formed deep nesting appended as new entities, so a parser has to recurse all the way */
const deepNestBalanced: Mutator = (s, rng) => {
  const depth = rng.pick([1000, 10000, rng.range(2000, 50000)]);
  const kind = rng.int(6);
  let add: string;
  let what: string;
  switch (kind) {
    case 0: // metadata tuples
      add = `!999999 = !{${'!{'.repeat(depth)}${'}'.repeat(depth)}}\n`;
      what = 'mdtuple';
      break;
    case 1: // struct type
      add = `%fuzz.deep = type ${'{ '.repeat(depth)}i8${' }'.repeat(depth)}\n`;
      what = 'struct-type';
      break;
    case 2: // array type in a global
      add = `@fuzz.deep = global ${'[1 x '.repeat(depth)}i8${']'.repeat(depth)} zeroinitializer\n`;
      what = 'array-type';
      break;
    case 3: // nested constant expressions
      add = `@fuzz.deep = global ptr ${'getelementptr (i8, ptr '.repeat(depth)}null${', i64 1)'.repeat(depth)}\n`;
      what = 'constexpr';
      break;
    case 4: // nested DIExpression-ish specialized nodes
      add = `!999999 = ${'!DILocation(line: 1, scope: !0, inlinedAt: '.repeat(depth)}!0${')'.repeat(depth)}\n`;
      what = 'dilocation';
      break;
    default: // nested parenthesized function types
      add = `@fuzz.deep = external global ${'ptr ('.repeat(depth)}i8${')'.repeat(depth)}\n`;
      what = 'fn-type';
      break;
  }
  const at = rng.chance(0.5) ? s.length : lineAt(s, rng.int(s.length + 1)).start;
  return { text: insertAt(s, at, add), step: `deep-balanced@${at} ${what}x${depth}` };
};

const hugeNumber: Mutator = (s, rng) => {
  const re = /-?\b\d+\b/g;
  const at = rng.int(s.length + 1);
  re.lastIndex = at;
  let m = re.exec(s);
  if (!m) {
    re.lastIndex = 0;
    m = re.exec(s);
  }
  if (!m) return { text: s, step: 'huge-number(none)' };
  const repl = rng.pick([
    '99999999999999999999999999999999',
    '18446744073709551616',
    '-9223372036854775809',
    '4294967296',
    '-0',
    '0x',
    '0xK',
    '0x7FF8000000000001',
    '1e99999',
    '00000000000000000000000000000000000000000000001',
    '9'.repeat(rng.range(20, 5000)),
  ]);
  return { text: s.slice(0, m.index) + repl + s.slice(m.index + m[0].length), step: `huge-number@${m.index} ${show(m[0])}->${show(repl)}` };
};

const spliceChunk: Mutator = (s, rng) => {
  const len = rng.range(1, Math.min(4096, Math.max(1, s.length)));
  const from = rng.int(Math.max(1, s.length - len + 1));
  const at = rng.int(s.length + 1);
  const chunk = s.slice(from, from + len);
  return { text: insertAt(s, at, chunk), step: `splice[${from},+${len}]@${at}` };
};

const unterminated: Mutator = (s, rng) => {
  // open a string / comment / block that never ends, then keep the rest of the file
  const opener = rng.pick(['"', 'c"', '!"', '; ', '/*', '{', '\\', "'"]);
  const at = rng.int(s.length + 1);
  return { text: insertAt(s, at, opener), step: `unterminated@${at} ${show(opener)}` };
};

export const MUTATORS: ReadonlyArray<readonly [string, Mutator, number]> = [
  // name, mutator, weight
  ['truncate', truncate, 10],
  ['flip', flipBytes, 14],
  ['delete-token', deleteToken, 12],
  ['delete-line', deleteLine, 8],
  ['duplicate-token', duplicateToken, 8],
  ['duplicate-line', duplicateLine, 6],
  ['move-token', moveToken, 5],
  ['swap-lines', swapLines, 6],
  ['insert-punct', insertPunct, 8],
  ['insert-bytes', insertBytes, 5],
  ['deep-nest', deepNestRandom, 3],
  ['deep-balanced', deepNestBalanced, 2],
  ['huge-number', hugeNumber, 4],
  ['splice', spliceChunk, 3],
  ['unterminated', unterminated, 3],
];

const TOTAL_WEIGHT = MUTATORS.reduce((a, m) => a + m[2], 0);

function pickMutator(rng: Rng): Mutator {
  let r = rng.int(TOTAL_WEIGHT);
  for (const [, m, w] of MUTATORS) {
    if (r < w) return m;
    r -= w;
  }
  return MUTATORS[0]![1];
}

/** Applies 1–3 random mutations (mostly 1) to `input` (a latin1 string). */
export function mutate(input: string, rng: Rng): Mutated {
  const n = rng.chance(0.7) ? 1 : rng.range(2, 3);
  let text = input;
  const steps: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = pickMutator(rng)(text, rng);
    text = r.text;
    steps.push(r.step);
  }
  return { text, steps };
}

/** Applies the named mutator once (for targeted tests). */
export function mutateWith(name: string, input: string, rng: Rng): Mutated {
  const m = MUTATORS.find((x) => x[0] === name);
  if (!m) throw new Error(`unknown mutator ${name}`);
  const r = m[1](input, rng);
  return { text: r.text, steps: [r.step] };
}
