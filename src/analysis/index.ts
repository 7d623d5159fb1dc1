// The analysis layer's public surface.
export { analyze, analyzeProgram, selectFunctions, readSymbolList } from './analyze.js';
export type { AnalyzeOptions, AnalysisSummary, CompartmentSpec, FunctionInfo } from './analyze.js';
export {
  allocatorTable,
  parseAllocatorFile,
  readAllocatorFile,
  AllocatorFileError,
  DEFAULT_ALLOCATORS,
  AllocatorSchema,
  AllocatorFileSchema,
} from './allocators.js';
export type { Allocator, AllocatorTable } from './allocators.js';
export { Program } from './program.js';
export { readCacheCatalogue, typedCaches, cacheObjectTypes } from './catalogue.js';
export type { ExternalFacts, EscapeFacts } from './external.js';
export { canCarryAddress, DEALLOCATORS, ParameterEscapes } from './escape.js';
export type { ParameterFlow, StoreCells } from './escape.js';
export type { ProgramModule, Located, LinkNote } from './program.js';
export { findAllocationSites, findCaches, findWrappers, writtenCallFrame } from './sites.js';
export type { Wrapper } from './sites.js';
export { PointsTo } from './pointsto.js';
export { RecordViews, MAX_VIEWS } from './views.js';
export type { ViewRecord, ViewOffset } from './views.js';
export type { AbstractObject } from './pointsto.js';
export { LegalSets, Containment, originReasons, recordFacts } from './legal.js';
export type { OriginExplainer } from './legal.js';
export type { RecordFacts } from './external.js';
export {
  writesOf,
  asmWrittenArgs,
  asmCallees,
  asmOnlyMovesBytes,
  BYTE_ROUTINES,
  KERNEL_WRITERS,
  writerTable,
  parseWriterFile,
  readWriterFile,
  WriterFileError,
  WriterSchema,
  WriterFileSchema,
} from './writes.js';
export type { WriteSite, WriterArguments, Writer, WriterTable } from './writes.js';
export { constantPointers } from './layout.js';
export { signatureTypes, globalDebugType } from './debugvars.js';
export { isNullConstant, returnedValues, stripCasts } from './flow.js';
export { typeName, typeKey, sizeOf, membersOf, membersAt, pointeeOf, stripQualifiers, isRecord } from './ditypes.js';
export { indirectCallsOf, indirectCallContext, indirectCallStats, isIndirectCall, irSignatureOf } from './icalls.js';
export { prototypeOf } from './prototypes.js';
export type { IndirectCallContext, IndirectCallStats } from './icalls.js';
export { SKB_HEAD_RECORD, SkbHeads } from './skbheads.js';
