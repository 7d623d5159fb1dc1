// Owns the branded index and offset types of src/binary, kept distinct in the
// manner of gimli so that an offset into one section can never be passed where
// an offset into another (or an address) is meant. They are plain numbers at
// run time; the brand exists only for the type checker.

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Index of a section in the ELF section header table. */
export type SectionIndex = Brand<number, 'SectionIndex'>;

/** Byte offset inside one ELF section (for a code section: the `symbol+offset` space, before linking). */
export type SectionOffset = Brand<number, 'SectionOffset'>;

/** Byte offset inside the ELF file. */
export type FileOffset = Brand<number, 'FileOffset'>;

/** Offset of a line-number program (its unit header) inside `.debug_line`. */
export type DebugLineOffset = Brand<number, 'DebugLineOffset'>;

/** Offset of a string inside `.debug_str` (DW_FORM_strp). */
export type DebugStrOffset = Brand<number, 'DebugStrOffset'>;

/** Offset of a string inside `.debug_line_str` (DW_FORM_line_strp). */
export type DebugLineStrOffset = Brand<number, 'DebugLineStrOffset'>;

export const sectionIndex = (n: number): SectionIndex => n as SectionIndex;
export const sectionOffset = (n: number): SectionOffset => n as SectionOffset;
export const fileOffset = (n: number): FileOffset => n as FileOffset;
export const debugLineOffset = (n: number): DebugLineOffset => n as DebugLineOffset;
export const debugStrOffset = (n: number): DebugStrOffset => n as DebugStrOffset;
export const debugLineStrOffset = (n: number): DebugLineStrOffset => n as DebugLineStrOffset;

/** Offset of a unit header or a debugging information entry inside `.debug_info`. */
export type DebugInfoOffset = Brand<number, 'DebugInfoOffset'>;

/** Offset of a debugging information entry relative to the start of its unit header (DW_FORM_ref1/2/4/8/udata). */
export type UnitOffset = Brand<number, 'UnitOffset'>;

/** Offset of an abbreviation table inside `.debug_abbrev` (a unit's debug_abbrev_offset). */
export type DebugAbbrevOffset = Brand<number, 'DebugAbbrevOffset'>;

/** Offset inside `.debug_addr` (DW_AT_addr_base points past a contribution's header). */
export type DebugAddrOffset = Brand<number, 'DebugAddrOffset'>;

/** Offset inside `.debug_str_offsets` (DW_AT_str_offsets_base points past a contribution's header). */
export type DebugStrOffsetsOffset = Brand<number, 'DebugStrOffsetsOffset'>;

/** Offset of a range list inside `.debug_rnglists` (DWARF 5), or of its offsets table (DW_AT_rnglists_base). */
export type DebugRngListsOffset = Brand<number, 'DebugRngListsOffset'>;

/** Offset of a range list inside `.debug_ranges` (DWARF 2–4). */
export type DebugRangesOffset = Brand<number, 'DebugRangesOffset'>;

export const debugInfoOffset = (n: number): DebugInfoOffset => n as DebugInfoOffset;
export const unitOffset = (n: number): UnitOffset => n as UnitOffset;
export const debugAbbrevOffset = (n: number): DebugAbbrevOffset => n as DebugAbbrevOffset;
export const debugAddrOffset = (n: number): DebugAddrOffset => n as DebugAddrOffset;
export const debugStrOffsetsOffset = (n: number): DebugStrOffsetsOffset => n as DebugStrOffsetsOffset;
export const debugRngListsOffset = (n: number): DebugRngListsOffset => n as DebugRngListsOffset;
export const debugRangesOffset = (n: number): DebugRangesOffset => n as DebugRangesOffset;
