// The emit layer's public surface: eBPF C generation from a mapped policy,
// the loader's seed header, the escaping of names into C, and the clang
// driver (DESIGN.md §5).
export {
  emitBpf,
  unionLegal,
  addressExpression,
  operandRecipe,
  SITE_PROGRAM_MODES,
  sectionName,
  regionBits,
  defaultRuntimeDir,
  defaultTemplatesDir,
  skeletonName,
  REGION,
  SITE_FLAG,
  RUNTIME_PROGRAMS,
  RUNTIME_FILES,
  LOADER_SOURCES,
  TEMPLATE_FILES,
  MAX_SITE_GLOBALS,
  ARGUMENT_REGISTERS,
  uncheckedSummary,
} from './emit.js';
export { KC, KC_COUNTER } from './constants.js';
export { seedHeader, parseHolder, kernelName, recipeInitializer } from './seed.js';
export type {
  EmitOptions,
  EmitResult,
  EmitStats,
  EmittedFile,
  EmittedProbe,
  EmittedSite,
  SkipReason,
  SiteKind,
  SiteProgramMode,
  SiteRecipe,
  UncheckedSite,
  UncheckedSummary,
} from './emit.js';
export type { SeedAlloc, SeedRecipe, SeedSite } from './seed.js';
export { cString, cComment } from './escape.js';
export { BPF_CLANG_FLAGS, compileBpf, parseDiagnostics } from './compile.js';
export type { CompileOptions, CompileResult, CompiledObject } from './compile.js';
export { BpfCompileError, EmitError } from './errors.js';
export type { BpfDiagnostic } from './errors.js';
/** The indirect-call checks (issue 16): kc_icall_N programs, the loader's seed, unchecked calls. */
export {
  emitIndirectCalls,
  indirectTargetExpression,
  needsPrototypeWidening,
  uncheckedIndirectCallRows,
  type EmittedIndirectCall,
  type IndirectCallEmit,
  type UncheckedIndirectCall,
} from './icalls.js';
