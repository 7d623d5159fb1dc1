// The IR layer's public surface: reader, model and summary.
export { parseModule, MAX_NESTING, type ParseOptions } from './parser.js';
export { readModule, parseModuleBytes } from './read.js';
export { ParseError } from './errors.js';
export { Module } from './module.js';
export * from './types.js';
export * from './values.js';
export * from './instructions.js';
export * from './metadata.js';
export * from './debuginfo.js';
export * from './attributes.js';
export { summarizeModule, type IrStats, type FunctionStats, type StatsLoc } from './summary.js';
