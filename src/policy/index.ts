// The policy layer's public surface: schemas, types, JSON and CSV I/O.
export * from './schema.js';
export { PolicyError } from './errors.js';
export { readPolicy, writePolicy, validatePolicy, policyToJson } from './json.js';
export {
  accessesToCsv,
  accessesFromCsv,
  readAccessesCsv,
  writeAccessesCsv,
  ACCESS_CSV_COLUMNS,
  indirectCallsToCsv,
  writeIndirectCallsCsv,
  INDIRECT_CALL_CSV_COLUMNS,
} from './csv.js';
export { policyJsonSchema } from './json-schema.js';
export { legalSetAdmits, type MemoryOwner } from './admits.js';
export { emptyLegalSet, legalSetSize, percentile, unionLegalSets, ATTACHABLE_SYMBOL, INIT_SECTION } from './legal-set.js';
