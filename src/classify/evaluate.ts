// Owns measuring the old-object classifier on a labelled sample: labels (labels.ts), layouts from
// BTF (layout.ts), a deterministic train/test split, the hand-rule and learned scorers in both
// modes, accuracy and the confusion table (true type -> predicted type -> count).

import type { BtfTypes as Btf } from '../btf/index.js';
import { DEDICATED_CACHES, isKmallocCache, kmallocClass, labelFor } from './labels.js';
import { arrayLayout, bufferLayout, type Layout, structLayout } from './layout.js';
import { classifyObject, handScorer, LearnedScorer, type Mode, type Observation, type Scorer, type Universe } from './model.js';
import type { ObjectSample } from './samples.js';
import { type SymbolTable, symbolAt } from './symbols.js';
import { wordClasses } from './values.js';

/** A sample with its true type. */
export interface Labelled {
  sample: ObjectSample;
  label: string;
  obs: Observation;
}

/** What the sample holds and what was left out, with why. */
export interface LabelStats {
  samples: number;
  labelled: number;
  /** No label: allocated before the sampler, or a kmalloc call site not in the table. */
  unlabelled: number;
  /** The sampler could not read the bytes. */
  unread: number;
  /** Labels whose type BTF does not have (a table entry to fix). */
  noLayout: Map<string, number>;
}

/** The observation of a sample (its words and their value classes). */
export function observe(s: ObjectSample, syms: SymbolTable): Observation {
  const words: bigint[] = [];
  for (let p = 0; p + 8 <= s.bytes.length; p += 8) words.push(s.bytes.readBigUInt64LE(p));
  const classes = wordClasses(s.bytes, s.ptr, s.objectSize, syms);
  const symbols = classes.map((c, w) => (c === 'sym' ? syms.dataStarts.get(words[w]!) : undefined));
  return { cacheName: s.cacheName, objectSize: s.objectSize, ptr: s.ptr, words, classes, symbols };
}

/** The layout of a label: a struct, an array of structs (`T[]`), or `(buffer)`. */
export function labelLayout(btf: Btf, label: string): Layout | undefined {
  if (label === '(buffer)') return bufferLayout();
  if (label.endsWith('[]')) return arrayLayout(btf, label.slice(0, -2));
  return structLayout(btf, label);
}

/** Labels the samples and builds the universe of types met (their layouts and size classes). */
export function labelSamples(
  samples: readonly ObjectSample[],
  btf: Btf,
  syms: SymbolTable,
): { labelled: Labelled[]; universe: Universe; stats: LabelStats } {
  const size = (t: string): number | undefined => {
    const id = btf.structs.get(t);
    return id === undefined ? undefined : btf.sizeOf(id);
  };
  const stats: LabelStats = { samples: samples.length, labelled: 0, unlabelled: 0, unread: 0, noLayout: new Map() };
  const layouts = new Map<string, Layout>();
  const sizeClass = new Map<string, number>();
  const labelled: Labelled[] = [];
  for (const s of samples) {
    if (s.bytes.length === 0) {
      stats.unread++;
      continue;
    }
    const label = labelFor(s, syms, size);
    if (!label) {
      stats.unlabelled++;
      continue;
    }
    let layout = layouts.get(label);
    if (!layout) {
      layout = labelLayout(btf, label);
      if (!layout) {
        stats.noLayout.set(label, (stats.noLayout.get(label) ?? 0) + 1);
        continue;
      }
      layouts.set(label, layout);
    }
    // a type's size class: its objects' (a dedicated cache's object_size, a kmalloc's request), which
    // differs from BTF's for types with a tail sized at boot (task_struct's FPU state)
    const observed = DEDICATED_CACHES[s.cacheName] ? s.objectSize : s.bytesReq;
    if (!label.endsWith('[]') && label !== '(buffer)' && !sizeClass.has(label)) sizeClass.set(label, kmallocClass(observed || layout.size));
    labelled.push({ sample: s, label, obs: observe(s, syms) });
    stats.labelled++;
  }
  return { labelled, universe: { layouts, sizeClass, caches: DEDICATED_CACHES }, stats };
}

/**
 * Deterministic split by a hash of the object's address and its rank among its type's objects:
 * about half of each type is the test split. Not by alternation: objects are freed in patterns
 * (a packet's data head, then its clone's), and alternating would put one kind all in one half.
 */
export function split(labelled: readonly Labelled[]): { train: Labelled[]; test: Labelled[] } {
  const seen = new Map<string, number>();
  const train: Labelled[] = [];
  const test: Labelled[] = [];
  for (const l of labelled) {
    const k = seen.get(l.label) ?? 0;
    seen.set(l.label, k + 1);
    const h = ((l.sample.ptr ^ BigInt(k)) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    // a type's first object always trains, so no type is met only in the test half
    (k > 0 && h >> 63n === 1n ? test : train).push(l);
  }
  return { train, test };
}

/** One measurement: accuracy and confusion of a scorer in a mode over a set. */
export interface Measurement {
  scorer: string;
  mode: Mode;
  /**
   * `all` the test split; `kmalloc`: its objects in general kmalloc caches only (where the cache says
   * nothing); `old`: its objects allocated before the sampler was loaded (no call_site), the
   * population the classifier is for (few: old objects are seldom freed while the sampler runs).
   */
  subset: 'all' | 'kmalloc' | 'old';
  total: number;
  correct: number;
  accuracy: number;
  /** true type -> predicted type (`(none)` when no candidate) -> count. */
  confusion: Map<string, Map<string, number>>;
}

/** Classifies `set` and counts. */
export function measure(
  u: Universe,
  scorer: Scorer,
  set: readonly Labelled[],
  mode: Mode,
  subset: Measurement['subset'] = 'all',
): Measurement {
  const confusion = new Map<string, Map<string, number>>();
  let correct = 0;
  for (const l of set) {
    const v = classifyObject(u, scorer, l.obs, mode);
    const got = v.type ?? '(none)';
    if (got === l.label) correct++;
    let row = confusion.get(l.label);
    if (!row) confusion.set(l.label, (row = new Map()));
    row.set(got, (row.get(got) ?? 0) + 1);
  }
  return { scorer: scorer.name, mode, subset, total: set.length, correct, accuracy: set.length ? correct / set.length : 0, confusion };
}

/** Trains the learned scorer on `train`. */
export function trainLearned(train: readonly Labelled[], syms?: SymbolTable, alpha = 4): LearnedScorer {
  const s = new LearnedScorer(alpha);
  // components by the allocating function: a buffer from tcp_stream_alloc_skb is not one from load_elf_binary
  for (const l of train) s.train(l.label, l.obs, syms && l.sample.callSite ? (symbolAt(syms, l.sample.callSite)?.name ?? '') : '');
  return s;
}

/** Every measurement of the bench: hand rules and learned weights, cache and blind modes, on the test split (or `heldOut.test`). */
export function evaluateAll(
  u: Universe,
  labelled: readonly Labelled[],
  heldOut?: { train: readonly Labelled[]; test: readonly Labelled[] },
  syms?: SymbolTable,
): { train: number; test: number; results: Measurement[] } {
  // held out: another boot's objects as the training set (no object, and no boot, in both)
  const { train, test } = heldOut ?? split(labelled);
  const learned = trainLearned(train, syms);
  const results: Measurement[] = [];
  const kmalloc = test.filter((l) => isKmallocCache(l.obs.cacheName));
  for (const mode of ['cache', 'blind'] as const) for (const scorer of [handScorer, learned]) results.push(measure(u, scorer, test, mode));
  for (const scorer of [handScorer, learned]) results.push(measure(u, scorer, kmalloc, 'cache', 'kmalloc'));
  const old = test.filter((l) => l.sample.callSite === 0n);
  for (const scorer of [handScorer, learned]) results.push(measure(u, scorer, old, 'blind', 'old'));
  return { train: train.length, test: test.length, results };
}

/** The confusion table as text: per true type its count, accuracy, and where the misses went. */
export function formatConfusion(m: Measurement): string {
  const rows = [...m.confusion].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const width = Math.max(12, ...rows.map(([t]) => t.length));
  const lines = [`  ${'true type'.padEnd(width)}     n  correct  accuracy  misclassified as`];
  for (const [t, row] of rows) {
    const n = [...row.values()].reduce((a, b) => a + b, 0);
    const ok = row.get(t) ?? 0;
    const misses = [...row]
      .filter(([p]) => p !== t)
      .sort((a, b) => b[1] - a[1])
      .map(([p, k]) => `${p} ${k}`)
      .join(', ');
    lines.push(
      `  ${t.padEnd(width)} ${String(n).padStart(5)}  ${String(ok).padStart(7)}  ${((100 * ok) / n).toFixed(1).padStart(7)} %  ${misses}`,
    );
  }
  return lines.join('\n');
}
