// Owns the branded index and offset types of src/binary, kept distinct in the
// manner of gimli so that an offset into one section can never be passed where
// an offset into another (or an address) is meant. They are plain numbers at
// run time; the brand exists only for the type checker.

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Index of a section in the ELF section header table. */
export type SectionIndex = Brand<number, "SectionIndex">;

/** Byte offset inside one ELF section (for a code section: the `symbol+offset` space, before linking). */
export type SectionOffset = Brand<number, "SectionOffset">;

/** Byte offset inside the ELF file. */
export type FileOffset = Brand<number, "FileOffset">;

/** Offset of a line-number program (its unit header) inside `.debug_line`. */
export type DebugLineOffset = Brand<number, "DebugLineOffset">;

/** Offset of a string inside `.debug_str` (DW_FORM_strp). */
export type DebugStrOffset = Brand<number, "DebugStrOffset">;

/** Offset of a string inside `.debug_line_str` (DW_FORM_line_strp). */
export type DebugLineStrOffset = Brand<number, "DebugLineStrOffset">;

export const sectionIndex = (n: number): SectionIndex => n as SectionIndex;
export const sectionOffset = (n: number): SectionOffset => n as SectionOffset;
export const fileOffset = (n: number): FileOffset => n as FileOffset;
export const debugLineOffset = (n: number): DebugLineOffset => n as DebugLineOffset;
export const debugStrOffset = (n: number): DebugStrOffset => n as DebugStrOffset;
export const debugLineStrOffset = (n: number): DebugLineStrOffset => n as DebugLineStrOffset;
