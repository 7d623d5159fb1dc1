// The emit layer's public surface: eBPF C generation from a mapped policy,
// the loader's seed header, the escaping of names into C, and the clang
// driver (DESIGN.md §5).
export { emitBpf, addressExpression, sectionName, regionBits, defaultTemplatesDir, REGION, SITE_FLAG, RUNTIME_PROGRAMS, TEMPLATE_FILES, MAX_SITE_GLOBALS } from './emit.js';
export { seedHeader, parseHolder, kernelName } from './seed.js';
export type { EmitOptions, EmitResult, EmitStats, EmittedFile, EmittedProbe, EmittedSite, SeedAlloc, SeedSite, SkipReason } from './emit.js';
export { cString, cComment } from './escape.js';
export { compileBpf, parseDiagnostics } from './compile.js';
export type { CompileOptions, CompileResult, CompiledObject } from './compile.js';
export { BpfCompileError, EmitError } from './errors.js';
export type { BpfDiagnostic } from './errors.js';
