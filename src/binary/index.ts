// Owns the public API of src/binary (DESIGN.md §4), `kcompart/binary`: the
// ELF reader, the DWARF `.debug_line` decoder, the `.debug_info` scope trees
// and inline-chain query, their typed errors and branded offset types, x86-64
// decoding and the IR-site → address mapper with static elimination, and the
// probe points of allocation sites. The DWARF form, abbreviation and
// address-table readers stay internal (imported by path where tests need them).

export { BinaryError, DwarfError, ElfError, formatLocation, type BinaryErrorLocation } from './errors.js';
export {
  debugLineOffset,
  debugLineStrOffset,
  debugStrOffset,
  fileOffset,
  sectionIndex,
  sectionOffset,
  type DebugLineOffset,
  type DebugLineStrOffset,
  type DebugStrOffset,
  type FileOffset,
  type SectionIndex,
  type SectionOffset,
} from './offsets.js';
export { ElfFile, readElf, type ElfHeader, type ElfSection } from './elf/file.js';
export { isDefinedInSection, readSymbolTable, type ElfSymbol } from './elf/symbols.js';
export {
  applyRelocations,
  readRelocations,
  type ApplyOptions,
  type RelocatedSection,
  type Relocation,
  type RelocationTarget,
  type SkippedRelocation,
} from './elf/relocations.js';
export { decompressSection } from './elf/compression.js';
export * as elfConstants from './elf/constants.js';
export { relocationTypeName, sectionTypeName, symbolBindingName, symbolTypeName, symbolVisibilityName } from './elf/constants.js';
export { DwarfSections, loadDwarfSections, type CodeSection, type DwarfSectionData } from './dwarf/sections.js';
export * as dwarfConstants from './dwarf/constants.js';
export {
  parseDebugLine,
  parseLineProgram,
  readLineTable,
  type LineEntryFormat,
  type LineFileEntry,
  type LineProgram,
  type LineProgramHeader,
  type LineProgramOptions,
  type LineRow,
  type LineSequence,
} from './dwarf/line.js';
export {
  debugAbbrevOffset,
  debugAddrOffset,
  debugInfoOffset,
  debugRangesOffset,
  debugRngListsOffset,
  debugStrOffsetsOffset,
  unitOffset,
  type DebugAbbrevOffset,
  type DebugAddrOffset,
  type DebugInfoOffset,
  type DebugRangesOffset,
  type DebugRngListsOffset,
  type DebugStrOffsetsOffset,
  type UnitOffset,
} from './offsets.js';
export { parseDebugInfo, readDebugInfo, scopeFunctionName, type CompileUnitInfo, type Scope, type ScopeKind } from './dwarf/info.js';
export { InlineIndex, inlineChainAt, type InlineChain } from './dwarf/inline.js';
export {
  CodeDecoder,
  decodeFunctions,
  type DecodedInstruction,
  type FunctionCode,
  type MemoryWrite,
  type WriteKind,
} from './x86/decode.js';
export {
  candidatesOf,
  mapSitesToAddresses,
  staticSafety,
  widthCompatible,
  widthFit,
  type Candidate,
  type MapOptions,
  type MatchTier,
  type MapStats,
  type UnmappedReason,
} from './mapper.js';
export { addOrphanFallbacks, attributeMergedStores, type FallbackScope, type OrphanStats } from './orphans.js';
export { coverDominatedSites, admitsAll, MAX_COVER_EXTENT, type CoverageStats, type CoverProof } from './coverage.js';
export { MachineCfg, type Block } from './cfg.js';
export {
  ObjectIndex,
  chainMatches,
  instructionsInSpans,
  parseTarget,
  type MapperObject,
  type ResolvedTarget,
  type RowSpan,
  type SpanWalk,
} from './object-index.js';
/**
 * Allocation-site probe points: {@link mapAllocationSites} finds, for each
 * allocation site of a policy, the machine calls of its allocator at its
 * location and the instruction after each (where `rax` is the result).
 */
export {
  allocationCallsOf,
  bareName,
  callTarget,
  mapAllocationSites,
  type AllocationStats,
  type AllocationUnmappedReason,
} from './alloc-probes.js';
/**
 * Indirect-call instructions: {@link mapIndirectCalls} finds, for each indirect call of a policy,
 * the machine `call`/`jmp` making it and where its target is (register, memory, retpoline thunk).
 */
export {
  indirectCallForm,
  indirectCallInstructions,
  mapIndirectCalls,
  type IndirectCallForm,
  type IndirectCallMapStats,
  type IndirectCallUnmappedReason,
} from './icall-map.js';
/**
 * Where a static global sits in its object file: its section and named neighbours, with which the
 * loader tells its TU's kallsyms symbol from same-named statics of other TUs ({@link layoutOf}); the
 * mapper fills `Policy.globals` with them ({@link withGlobalLayout}).
 */
export { functionLayouts, layoutOf, MAX_NEIGHBOURS, withGlobalLayout } from './global-layout.js';
