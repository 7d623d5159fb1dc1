// The summary layer's public surface (issue 12 item 4): per-TU summaries, their
// content-hash cache, the worker pool that computes them, and the
// whole-program call graph built from them.
export { SUMMARY_VERSION, TuSummarySchema } from './schema.js';
export type { TuSummary, SummaryFunction, SummaryGlobal, SummaryIndirectCall } from './schema.js';
export { summarizeModule as summarizeTu, summarizeBytes, summarizeFile, contentHash } from './summarize.js';
export type { SummarizeOptions } from './summarize.js';
export { cachedSummary, cachePath, allocatorsHash, readCached, writeCached, DEFAULT_SUMMARY_CACHE } from './cache.js';
export type { CachedSummaryOptions, SummaryResult } from './cache.js';
export { summarizeFiles } from './pool.js';
export type { SummarizeFilesOptions, SummarizeFilesResult, LinksOfFilesResult } from './pool.js';
export { buildCallGraph } from './callgraph.js';
export type { CallGraphNode, CallGraphEdge, CallGraphStats } from './callgraph.js';
export { externalFacts, analyzeWithSummaries } from './context.js';
export type { ExternalFactsOptions } from './context.js';
export { summarizeProgram } from './program.js';
export { EscapeClosure, fixedParameters, viewsOfSummaries } from './escape.js';
export { cacheCatalogue } from './catalogue.js';
export type { CacheCatalogueOptions } from './catalogue.js';
export { linksOfModule, cachedLinks, TuLinksSchema } from './links.js';
export type { TuLinks } from './links.js';
export { linksOfFiles } from './pool.js';
export type { SummarizeProgramResult } from './program.js';
