// Owns what each 8-byte word of an object of a BTF type is expected to hold: the word kinds the
// classifier scores values against (a data pointer, a function pointer, an ops-table pointer, a
// list_head / hlist link, a scalar, characters, padding, a mix). Unions and bitfields make a word
// `mixed` or `scalar`; words past the type's size are `beyond`. Only the first `limit` bytes (the
// sampled ones) are laid out.

import type { BtfTypes as Btf } from '../btf/index.js';

/** What a word of a type is expected to hold. */
export type WordKind = 'ptr' | 'fnptr' | 'ops' | 'list' | 'scalar' | 'chars' | 'mixed' | 'pad' | 'beyond';

/** A type's words, by offset / 8. */
export interface Layout {
  /** The type's name as labels spell it (`cred`, `pipe_buffer[]`, `(buffer)`). */
  name: string;
  /** sizeof (for arrays: the element's size; for `(buffer)`: 0). */
  size: number;
  words: WordKind[];
}

interface Leaf {
  offset: number;
  size: number;
  kind: WordKind;
}

const MAX_LEAVES = 4096;

function leaves(btf: Btf, id: number, base: number, limit: number, out: Leaf[], depth: number): void {
  if (base >= limit || out.length > MAX_LEAVES || depth > 24) return;
  const t = btf.resolve(id);
  if (!t) return;
  switch (t.kind) {
    case 'PTR': {
      const target = btf.resolve(t.type ?? 0);
      let kind: WordKind = 'ptr';
      if (target?.kind === 'FUNC_PROTO') kind = 'fnptr';
      else if (target?.kind === 'STRUCT' && (btf.isConst(t.type ?? 0) || /_ops$|_operations$/.test(target.name))) kind = 'ops';
      out.push({ offset: base, size: 8, kind });
      return;
    }
    case 'INT':
    case 'ENUM':
    case 'ENUM64':
    case 'FLOAT':
      out.push({ offset: base, size: t.size ?? 0, kind: 'scalar' });
      return;
    case 'ARRAY': {
      const elem = btf.resolve(t.array!.element);
      const es = btf.sizeOf(t.array!.element);
      const n = t.array!.count;
      if (elem?.kind === 'INT' && es === 1) {
        out.push({ offset: base, size: n, kind: 'chars' });
        return;
      }
      if (es <= 0) return;
      for (let k = 0; k < n && base + k * es < limit; k++) leaves(btf, t.array!.element, base + k * es, limit, out, depth + 1);
      return;
    }
    case 'STRUCT':
    case 'UNION': {
      const isList = t.kind === 'STRUCT' && (t.name === 'list_head' || t.name === 'hlist_node');
      for (const m of t.members ?? []) {
        const off = base + Math.floor(m.bitOffset / 8);
        if (m.bitfieldSize) {
          out.push({ offset: off, size: Math.max(1, Math.ceil(((m.bitOffset % 8) + m.bitfieldSize) / 8)), kind: 'scalar' });
          continue;
        }
        if (isList) {
          out.push({ offset: off, size: 8, kind: 'list' });
          continue;
        }
        leaves(btf, m.type, off, limit, out, depth + 1);
      }
      return;
    }
    default:
      return;
  }
}

/** The word kinds of one object of struct `name` (its first `limit` bytes), or undefined when BTF has no such struct. */
export function structLayout(btf: Btf, name: string, limit = 256): Layout | undefined {
  const id = btf.structs.get(name);
  if (id === undefined) return undefined;
  const size = btf.sizeOf(id);
  return { name, size, words: wordsOf(btf, id, size, limit) };
}

/** The word kinds of an array of struct `elem` filling `limit` bytes (`pipe_buffer[]`). */
export function arrayLayout(btf: Btf, elem: string, limit = 256): Layout | undefined {
  const id = btf.structs.get(elem);
  if (id === undefined) return undefined;
  const size = btf.sizeOf(id);
  if (size <= 0) return undefined;
  const out: Leaf[] = [];
  for (let base = 0; base < limit; base += size) leaves(btf, id, base, limit, out, 0);
  return { name: `${elem}[]`, size, words: fold(out, limit, limit) };
}

/** A typeless buffer (strings, packet data, a names_cache path): every word `chars`. */
export function bufferLayout(limit = 256): Layout {
  return { name: '(buffer)', size: 0, words: new Array<WordKind>(Math.ceil(limit / 8)).fill('chars') };
}

function wordsOf(btf: Btf, id: number, size: number, limit: number): WordKind[] {
  const out: Leaf[] = [];
  leaves(btf, id, 0, Math.min(size, limit), out, 0);
  return fold(out, size, limit);
}

/** Per word: the one leaf covering it whole, else scalar when only scalars touch it, else mixed; pad when none. */
function fold(out: readonly Leaf[], size: number, limit: number): WordKind[] {
  const n = Math.ceil(limit / 8);
  const touch: WordKind[][] = Array.from({ length: n }, () => []);
  const whole: (WordKind | undefined)[] = new Array(n).fill(undefined);
  for (const l of out) {
    for (let w = Math.floor(l.offset / 8); w < n && w * 8 < l.offset + l.size; w++) {
      touch[w]!.push(l.kind);
      if (l.offset === w * 8 && l.size >= 8 && l.kind !== 'chars') whole[w] = whole[w] && whole[w] !== l.kind ? 'mixed' : l.kind;
    }
  }
  const words: WordKind[] = [];
  for (let w = 0; w < n; w++) {
    if (w * 8 >= size) {
      words.push('beyond');
      continue;
    }
    const t = touch[w]!;
    if (t.length === 0) words.push('pad');
    else if (t.every((k) => k === 'chars')) words.push('chars');
    else if (t.every((k) => k === 'scalar' || k === 'chars')) words.push('scalar');
    else if (whole[w] && t.every((k) => k === whole[w])) words.push(whole[w]!);
    else words.push('mixed');
  }
  return words;
}
