// Owns the old-object classifier proper (issue 10 item 3): given an object's cache, size and first
// bytes, which candidate type explains its words best. Two scorers share the candidates:
//  - hand rules: per word, log P(value class | word kind) from a hand-set table (a data pointer is
//    zero or a kernel address, a function pointer is in text, an ops pointer is the start of a
//    rodata/data symbol, a scalar is rarely a kernel address, …), plus the list_head rule (a pair
//    of links both pointing at the head itself — an empty list — or both kernel addresses) and the
//    ops rule (an ops pointer naming a global whose name repeats the type's: `udpv6_prot`);
//  - learned weights: per (type, word) the value-class frequencies of the training split, smoothed
//    toward the hand table (a Dirichlet prior), with the type's frequency as prior.
// Candidates: a cache created for one type names it (in `cache` mode); otherwise every known type
// whose size class is the object's (a general kmalloc cache: then not the types with a cache of
// their own; or `blind` mode, where the cache name is withheld to measure the bytes alone), arrays
// of known elements, and a typeless buffer.

import { isKmallocCache, kmallocClass } from './labels.js';
import type { Layout, WordKind } from './layout.js';
import { isKernelAddress, VALUE_CLASSES, type ValueClass } from './values.js';

/** What the classifier sees of one object. */
export interface Observation {
  cacheName: string;
  objectSize: number;
  /** The object's address (for the list-head rule). */
  ptr: bigint;
  /** Its first bytes, as words. */
  words: bigint[];
  /** The value class of each word. */
  classes: ValueClass[];
  /** For `sym` words, the symbol's name (an ops table, a `struct proto`). */
  symbols?: (string | undefined)[];
}

/** The part of a type's name that its ops globals repeat (`udp6_sock` -> `udp`: `udpv6_prot`; `file` -> `shmem_file_operations`). */
export function typeStem(type: string): string {
  return type.replace(/_(sock|struct|info|alloc|node|bucket)$/, '').replace(/\d+$/, '');
}

/** The ops rule: an `ops` (or plain pointer: `struct proto *skc_prot` is not const) word holding a global whose name repeats the type's stem (`sk_prot` = &udpv6_prot in a udp6_sock). */
export function opsScore(layout: Layout, obs: Observation): number {
  const stem = typeStem(layout.name);
  if (stem.length < 3 || !obs.symbols) return 0;
  let score = 0;
  const n = Math.min(layout.words.length, obs.classes.length);
  for (let w = 0; w < n; w++) if ((layout.words[w] === 'ops' || layout.words[w] === 'ptr') && obs.symbols[w]?.includes(stem)) score += 3;
  return score;
}

type Row = Partial<Record<ValueClass, number>>;
const FLOOR = 0.002;

/** Hand-set P(value class | word kind); unlisted classes get FLOOR, then each row is normalized. */
const HAND_ROWS: Record<WordKind, Row> = {
  ptr: {
    zero: 0.3,
    self: 0.08,
    direct: 0.35,
    vmalloc: 0.03,
    vmemmap: 0.03,
    sym: 0.05,
    rodata: 0.04,
    data: 0.06,
    text: 0.01,
    module: 0.01,
    poison: 0.03,
  },
  fnptr: { zero: 0.4, text: 0.55, module: 0.03 },
  ops: { zero: 0.2, sym: 0.6, rodata: 0.1, data: 0.08 },
  list: { self: 0.3, direct: 0.45, zero: 0.1, poison: 0.08, data: 0.03, sym: 0.02 },
  scalar: { zero: 0.45, small: 0.25, int32: 0.15, neg: 0.05, other: 0.08 },
  chars: { zero: 0.25, other: 0.45, small: 0.08, int32: 0.1, neg: 0.05, direct: 0.02 },
  mixed: { zero: 0.3, small: 0.1, int32: 0.08, other: 0.08, direct: 0.2, self: 0.05, sym: 0.03, data: 0.03, text: 0.03 },
  pad: { zero: 0.5, other: 0.1, small: 0.1, int32: 0.1, direct: 0.1 },
  beyond: { zero: 0.4, other: 0.15, small: 0.1, int32: 0.1, direct: 0.1, self: 0.03 },
};

function normalize(row: Row): Record<ValueClass, number> {
  const out = {} as Record<ValueClass, number>;
  let sum = 0;
  for (const c of VALUE_CLASSES) sum += row[c] ?? FLOOR;
  for (const c of VALUE_CLASSES) out[c] = (row[c] ?? FLOOR) / sum;
  return out;
}

/** P(class | kind) of the hand rules. */
export const HAND_TABLE: Record<WordKind, Record<ValueClass, number>> = Object.fromEntries(
  Object.entries(HAND_ROWS).map(([k, r]) => [k, normalize(r)]),
) as Record<WordKind, Record<ValueClass, number>>;

/** The list_head rule: each (next, prev) pair of `list` words either both the head's own address, or both kernel addresses. */
export function listScore(layout: Layout, obs: Observation): number {
  let score = 0;
  const n = Math.min(layout.words.length, obs.words.length);
  for (let w = 0; w + 1 < n; w++) {
    if (layout.words[w] !== 'list' || layout.words[w + 1] !== 'list') continue;
    const head = obs.ptr + BigInt(w * 8);
    const a = obs.words[w]!;
    const b = obs.words[w + 1]!;
    if (a === head && b === head) score += 2;
    else if (isKernelAddress(obs.classes[w]!) && isKernelAddress(obs.classes[w + 1]!)) score += 0.5;
    else if ((a === 0n) !== (b === 0n)) score -= 2;
    w++; // the pair's prev
  }
  return score;
}

/** A scorer: log-likelihood of an observation under a candidate layout. */
export interface Scorer {
  readonly name: string;
  score(layout: Layout, obs: Observation): number;
}

/** The hand rules. */
export const handScorer: Scorer = {
  name: 'hand rules',
  score(layout, obs) {
    let s = 0;
    const n = Math.min(layout.words.length, obs.classes.length);
    for (let w = 0; w < n; w++) s += Math.log(HAND_TABLE[layout.words[w]!][obs.classes[w]!]);
    return s + listScore(layout, obs) + opsScore(layout, obs);
  },
};

/**
 * Learned per-(type, word) value-class frequencies, smoothed toward the hand table. A type may have
 * several components (its objects from different call sites: a typeless buffer is a string, a
 * packet's head, an ELF header…), each with its own frequencies; a type scores as its best
 * component, so a mostly-zero packet head is not averaged away into the buffer strings.
 */
export class LearnedScorer implements Scorer {
  readonly name = 'learned weights';
  private readonly comps = new Map<string, Component[]>();
  private readonly symbolSet = new Set<bigint>();
  private total = 0;

  /** `alpha`: the weight of the hand table's prior, in pseudo-observations per word. */
  constructor(private readonly alpha = 4) {}

  /** Counts one labelled observation of `type`, in its `component` (its call site's function; one component when omitted). */
  train(type: string, obs: Observation, component = ''): void {
    let list = this.comps.get(type);
    if (!list) this.comps.set(type, (list = []));
    let comp = list.find((c) => c.name === component);
    if (!comp) list.push((comp = { name: component, n: 0, counts: [], symbols: [] }));
    obs.classes.forEach((c, w) => {
      const m = (comp.counts[w] ??= new Map());
      m.set(c, (m.get(c) ?? 0) + 1);
      if (c === 'sym') {
        const v = obs.words[w]!;
        const sm = (comp.symbols[w] ??= new Map());
        sm.set(v, (sm.get(v) ?? 0) + 1);
        this.symbolSet.add(v);
      }
    });
    comp.n++;
    this.total++;
  }

  score(layout: Layout, obs: Observation): number {
    const list = this.comps.get(layout.name) ?? [{ name: '', n: 0, counts: [], symbols: [] }];
    const ncomps = [...this.comps.values()].reduce((a, l) => a + l.length, 0);
    let best = -Infinity;
    for (const comp of list) {
      let s = Math.log((comp.n + 1) / (this.total + ncomps + 1));
      const n = Math.min(layout.words.length, obs.classes.length);
      for (let w = 0; w < n; w++) {
        const c = obs.classes[w]!;
        const prior = HAND_TABLE[layout.words[w]!][c];
        const m = comp.counts[w];
        const seen = m ? [...m.values()].reduce((a, b) => a + b, 0) : 0;
        s += Math.log(((m?.get(c) ?? 0) + this.alpha * prior) / (seen + this.alpha));
        if (c === 'sym') {
          // which symbol: those seen at this word, smoothed over every symbol seen anywhere
          const sm = comp.symbols[w];
          const k = sm ? [...sm.values()].reduce((a, b) => a + b, 0) : 0;
          s += Math.log(((sm?.get(obs.words[w]!) ?? 0) + 1 / (this.symbolSet.size + 1)) / (k + 1));
        }
      }
      if (s > best) best = s;
    }
    return best + listScore(layout, obs);
  }
}

interface Component {
  name: string;
  n: number;
  counts: Map<ValueClass, number>[];
  /** Per word: the exact symbols seen there (`sk_prot` = &udpv6_prot, `f_op`): which global a type's pointer names. */
  symbols: Map<bigint, number>[];
}

/** The candidate layouts and what the classifier knows of each type's size class. */
export interface Universe {
  layouts: Map<string, Layout>;
  /** The kmalloc class of a type's objects (from sizes seen, else sizeof). */
  sizeClass: Map<string, number>;
  /** Dedicated caches: cache name -> type. */
  caches: Readonly<Record<string, string>>;
}

/** `cache`: the cache name is used (as at run time); `blind`: withheld, only the object's size class is known. */
export type Mode = 'cache' | 'blind';

/** The candidate types for an observation. */
export function candidates(u: Universe, obs: Observation, mode: Mode): string[] {
  if (mode === 'cache') {
    const t = u.caches[obs.cacheName];
    if (t && u.layouts.has(t)) return [t];
  }
  const cls = kmallocClass(obs.objectSize);
  // in a general kmalloc cache (cache mode), not the types that have a cache of their own: the kernel
  // allocates a cred from cred_jar, not from kmalloc-192
  const own = mode === 'cache' && isKmallocCache(obs.cacheName) ? new Set(Object.values(u.caches)) : undefined;
  const out: string[] = [];
  for (const [name, l] of u.layouts) {
    if (name === '(buffer)') out.push(name);
    else if (own?.has(name)) continue;
    else if (name.endsWith('[]')) {
      if (l.size * 2 <= obs.objectSize) out.push(name);
    } else if (u.sizeClass.get(name) === cls) out.push(name);
  }
  return out;
}

/** The classifier's verdict: the best candidate, its margin over the second (in nats), the candidates' count. */
export interface Verdict {
  type: string | undefined;
  margin: number;
  candidates: number;
}

/** Classifies one observation. */
export function classifyObject(u: Universe, scorer: Scorer, obs: Observation, mode: Mode): Verdict {
  const cands = candidates(u, obs, mode);
  let best: string | undefined;
  let bestScore = -Infinity;
  let second = -Infinity;
  for (const t of cands) {
    const s = scorer.score(u.layouts.get(t)!, obs);
    if (s > bestScore) {
      second = bestScore;
      bestScore = s;
      best = t;
    } else if (s > second) second = s;
  }
  return { type: best, margin: cands.length > 1 ? bestScore - second : Infinity, candidates: cands.length };
}
