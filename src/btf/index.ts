// The BTF layer's public surface (`kcompart/btf`): the reader of a kernel's
// BTF type table, used by the analysis for the record types of the whole
// kernel (DESIGN.md §3: "any object of type T" includes every type that
// embeds a T, wherever it is declared).
export { BTF_KIND, BtfTypes, parseBtf, readBtfFile } from './reader.js';
export type { BtfKindName, BtfMember, BtfType } from './reader.js';
export { BtfFormatError } from './errors.js';
