// The old-object classifier (issue 10 item 3): the type of a slab object the run time never saw
// allocated, from its cache, its size and its bytes held against BTF layouts (read by src/btf). Public API.
export {
  evaluateAll,
  formatConfusion,
  type Labelled,
  type LabelStats,
  labelSamples,
  labelLayout,
  type Measurement,
  measure,
  observe,
  split,
  trainLearned,
} from './evaluate.js';
export { DEDICATED_CACHES, isKmallocCache, KMALLOC_SITES, kmallocClass, labelFor } from './labels.js';
export { arrayLayout, bufferLayout, type Layout, structLayout, type WordKind } from './layout.js';
export {
  candidates,
  classifyObject,
  HAND_TABLE,
  handScorer,
  LearnedScorer,
  listScore,
  opsScore,
  typeStem,
  type Mode,
  type Observation,
  type Scorer,
  type Universe,
  type Verdict,
} from './model.js';
export { encodeSamples, type ObjectSample, parseSamples, RECORD_SIZE, readSamples, SampleFileError, writeSamples } from './samples.js';
export { parseSymbols, readSymbols, SymbolFileError, type SymbolTable, symbolAt } from './symbols.js';
export { classify as valueClass, type ValueClass, VALUE_CLASSES, wordClasses } from './values.js';
