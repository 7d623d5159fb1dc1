// Owns the reading of a kernel's BTF blob (`/sys/kernel/btf/vmlinux`, or a
// `.BTF` section dumped with `objcopy --dump-section`, or the `.BTF` section
// of an ELF64 file such as `vmlinux` itself) into its type table.
// The format is the kernel's Documentation/bpf/btf.rst: "The BTF data starts
// with a header (struct btf_header) ... followed by the type section and the
// string section", offsets "relative to the end of the header"; every type is
// a `struct btf_type` ("name_off", "info": vlen in bits 0-15, kind in bits
// 24-28, kind_flag in bit 31, then "size" or "type") followed by kind-specific
// data. Type ids count from 1; id 0 is `void`. The analysis uses the table to
// know the record types of the whole kernel, not only those of the IR it read.
import { readFileSync } from 'node:fs';
import { BtfFormatError } from './errors.js';

/** BTF_MAGIC (btf.rst: "magic: 0xeB9F"), read in the blob's own byte order. */
const BTF_MAGIC = 0xeb9f;

/** The BTF kinds (btf.rst "BTF_KIND_*"), by their number in `info` bits 24-28. */
export const BTF_KIND = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;
export type BtfKindName = keyof typeof BTF_KIND;
const KIND_NAMES = Object.keys(BTF_KIND) as BtfKindName[];

/** Kinds whose btf_type ends with "size" rather than "type" (btf.rst). */
const SIZED: ReadonlySet<BtfKindName> = new Set(['INT', 'STRUCT', 'UNION', 'ENUM', 'ENUM64', 'FLOAT', 'DATASEC']);

/** What follows a btf_type of each kind: a fixed part and `vlen` entries (none for PTR, FWD, TYPEDEF, qualifiers, FUNC, FLOAT, TYPE_TAG). */
const TRAILER: Partial<Record<BtfKindName, { fixed: number; perEntry: number; what: (vlen: number) => string }>> = {
  INT: { fixed: 4, perEntry: 0, what: () => 'an INT encoding word' },
  ARRAY: { fixed: 12, perEntry: 0, what: () => 'a struct btf_array' },
  STRUCT: { fixed: 0, perEntry: 12, what: (n) => `${n} struct btf_member` },
  UNION: { fixed: 0, perEntry: 12, what: (n) => `${n} struct btf_member` },
  ENUM: { fixed: 0, perEntry: 8, what: (n) => `${n} struct btf_enum` },
  ENUM64: { fixed: 0, perEntry: 12, what: (n) => `${n} struct btf_enum64` },
  FUNC_PROTO: { fixed: 0, perEntry: 8, what: (n) => `${n} struct btf_param` },
  VAR: { fixed: 4, perEntry: 0, what: () => 'a struct btf_var' },
  DATASEC: { fixed: 0, perEntry: 12, what: (n) => `${n} struct btf_var_secinfo` },
  DECL_TAG: { fixed: 4, perEntry: 0, what: () => 'a struct btf_decl_tag' },
};

/** A struct or union member (btf.rst "struct btf_member"). */
export interface BtfMember {
  readonly name: string;
  readonly type: number;
  /** Bit offset from the record's start; with kind_flag, the bitfield size is split off. */
  readonly bitOffset: number;
  readonly bitfieldSize: number;
}

/** One BTF type. Fields not meaningful for a kind are absent. */
export interface BtfType {
  readonly id: number;
  readonly kind: BtfKindName;
  /** '' for anonymous types. */
  readonly name: string;
  /** Bytes, for INT, STRUCT, UNION, ENUM, ENUM64, FLOAT, DATASEC. */
  readonly size?: number;
  /** The referenced type, for PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG, FUNC, VAR, DECL_TAG, FUNC_PROTO (its return). */
  readonly type?: number;
  /** STRUCT / UNION members. */
  readonly members?: readonly BtfMember[];
  /** ARRAY: element type and count. */
  readonly array?: { readonly element: number; readonly index: number; readonly count: number };
  /** FUNC_PROTO parameters, ENUM / ENUM64 / DATASEC entry count. */
  readonly vlen: number;
}

/** A kernel's BTF type table. */
export class BtfTypes {
  /** Named STRUCT ids by name (the first of a name when several). */
  readonly structs = new Map<string, number>();

  constructor(
    /** Index = type id; entry 0 is `void`. */
    readonly types: readonly (BtfType | undefined)[],
    readonly source: string,
  ) {
    for (const t of types) if (t?.kind === 'STRUCT' && t.name && !this.structs.has(t.name)) this.structs.set(t.name, t.id);
  }

  /** The type of `id`, or undefined for void / out of range. */
  get(id: number): BtfType | undefined {
    return this.types[id];
  }

  /** The type under typedefs, qualifiers and type tags. */
  resolve(id: number): BtfType | undefined {
    let t = this.types[id];
    for (let n = 0; t && n < 64; n++) {
      if (t.kind !== 'TYPEDEF' && t.kind !== 'CONST' && t.kind !== 'VOLATILE' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG') return t;
      t = t.type === undefined ? undefined : this.types[t.type];
    }
    return undefined;
  }

  /** Whether the typedef / qualifier chain from `id` holds a `const` (a `const struct …_ops *`'s pointee). */
  isConst(id: number): boolean {
    let t = this.types[id];
    for (let n = 0; t && n < 64; n++) {
      if (t.kind === 'CONST') return true;
      if (t.kind !== 'TYPEDEF' && t.kind !== 'VOLATILE' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG') return false;
      t = t.type === undefined ? undefined : this.types[t.type];
    }
    return false;
  }

  /** A type's size in bytes (pointers 8, arrays count × element; 0 for void, functions and unknowns). */
  sizeOf(id: number, depth = 0): number {
    const t = this.resolve(id);
    if (!t || depth > 32) return 0;
    if (t.kind === 'PTR') return 8;
    if (t.kind === 'ARRAY') return t.array!.count * this.sizeOf(t.array!.element, depth + 1);
    return t.size ?? 0;
  }

  /** Every STRUCT / UNION (named or not). */
  *records(): IterableIterator<BtfType> {
    for (const t of this.types) if (t && (t.kind === 'STRUCT' || t.kind === 'UNION')) yield t;
  }
}

/** Reads the BTF blob at `path`. @throws {@link BtfFormatError} on a malformed blob. */
export function readBtfFile(path: string): BtfTypes {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new BtfFormatError(path, 0, `a readable BTF file (${(e as Error).message})`);
  }
  return parseBtf(
    bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46 ? elfBtfSection(bytes, path) : bytes,
    path,
  );
}

/**
 * The `.BTF` section of an ELF64 file (System V gABI: e_shoff at 0x28, e_shentsize at 0x3a,
 * e_shnum at 0x3c, e_shstrndx at 0x3e; a section header's sh_name at 0, sh_offset at 0x18,
 * sh_size at 0x20). @throws {@link BtfFormatError} when it is not ELF64 or has no `.BTF`.
 */
function elfBtfSection(bytes: Uint8Array, source: string): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 64 || bytes[4] !== 2) throw new BtfFormatError(source, 4, 'an ELF64 file (EI_CLASS 2)');
  const little = bytes[5] === 1;
  const shoff = Number(view.getBigUint64(0x28, little));
  const shentsize = view.getUint16(0x3a, little);
  const shnum = view.getUint16(0x3c, little);
  const shstrndx = view.getUint16(0x3e, little);
  const header = (i: number): { name: number; offset: number; size: number } => {
    const at = shoff + i * shentsize;
    if (at + 0x28 > bytes.byteLength) throw new BtfFormatError(source, at, `section header ${i} inside the file`);
    return {
      name: view.getUint32(at, little),
      offset: Number(view.getBigUint64(at + 0x18, little)),
      size: Number(view.getBigUint64(at + 0x20, little)),
    };
  };
  const names = header(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const h = header(i);
    const at = names.offset + h.name;
    const end = bytes.indexOf(0, at);
    if (end < 0 || new TextDecoder().decode(bytes.subarray(at, end)) !== '.BTF') continue;
    if (h.offset + h.size > bytes.byteLength) throw new BtfFormatError(source, h.offset, 'the .BTF section inside the file');
    return bytes.subarray(h.offset, h.offset + h.size);
  }
  throw new BtfFormatError(source, shoff, 'a .BTF section (build the kernel with CONFIG_DEBUG_INFO_BTF)');
}

/** Parses a BTF blob. @throws {@link BtfFormatError} with the byte offset and what was expected there. */
export function parseBtf(bytes: Uint8Array, source = '<btf>'): BtfTypes {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 24) throw new BtfFormatError(source, 0, 'a 24-byte btf_header');
  // btf.rst: the magic tells the byte order ("0xeB9F" little- or big-endian)
  const little = view.getUint16(0, true) === BTF_MAGIC;
  if (!little && view.getUint16(0, false) !== BTF_MAGIC) throw new BtfFormatError(source, 0, 'the BTF magic 0xeB9F');
  const u32 = (off: number): number => view.getUint32(off, little);
  const version = view.getUint8(2);
  if (version !== 1) throw new BtfFormatError(source, 2, `BTF version 1, not ${version}`);
  const hdrLen = u32(4);
  const typeOff = u32(8);
  const typeLen = u32(12);
  const strOff = u32(16);
  const strLen = u32(20);
  const typeStart = hdrLen + typeOff;
  const typeEnd = typeStart + typeLen;
  const strStart = hdrLen + strOff;
  const strEnd = strStart + strLen;
  if (hdrLen < 24 || typeEnd > bytes.byteLength || strEnd > bytes.byteLength)
    throw new BtfFormatError(source, 4, `sections inside the ${bytes.byteLength}-byte blob (types end ${typeEnd}, strings end ${strEnd})`);
  const decoder = new TextDecoder();
  const strings = new Map<number, string>();
  const str = (off: number, at: number): string => {
    if (off === 0) return '';
    const known = strings.get(off);
    if (known !== undefined) return known;
    const begin = strStart + off;
    if (off >= strLen) throw new BtfFormatError(source, at, `a name offset below the string section's ${strLen} bytes, not ${off}`);
    let end = begin;
    while (end < strEnd && bytes[end] !== 0) end++;
    const s = decoder.decode(bytes.subarray(begin, end));
    strings.set(off, s);
    return s;
  };
  const types: (BtfType | undefined)[] = [undefined];
  let p = typeStart;
  const need = (n: number, what: string): void => {
    if (p + n > typeEnd) throw new BtfFormatError(source, p, `${what} (${n} bytes) before the type section ends at ${typeEnd}`);
  };
  while (p < typeEnd) {
    const at = p;
    need(12, 'a struct btf_type');
    const nameOff = u32(p);
    const info = u32(p + 4);
    const sizeOrType = u32(p + 8);
    p += 12;
    const vlen = info & 0xffff;
    const kindNo = (info >>> 24) & 0x1f;
    const kindFlag = info >>> 31 === 1;
    const kind = KIND_NAMES[kindNo];
    if (kind === undefined || kindNo === 0)
      throw new BtfFormatError(source, at + 4, `a known BTF kind (1-${KIND_NAMES.length - 1}), not ${kindNo}`);
    const id = types.length;
    const name = str(nameOff, at);
    // the data after the btf_type (btf.rst, "BTF_KIND_*" sections): skipped unless read below
    const trailer = TRAILER[kind];
    const bytes = trailer ? trailer.fixed + trailer.perEntry * vlen : 0;
    if (trailer) need(bytes, trailer.what(vlen));
    // the third word is "size" for sized kinds, "type" for the rest
    const third = SIZED.has(kind) ? { size: sizeOrType } : { type: sizeOrType };
    if (kind === 'ARRAY') {
      const array = { element: u32(p), index: u32(p + 4), count: u32(p + 8) };
      types.push({ id, kind, name, array, vlen });
    } else if (kind === 'STRUCT' || kind === 'UNION') {
      const members: BtfMember[] = [];
      for (let i = 0, m = p; i < vlen; i++, m += 12) {
        const off = u32(m + 8);
        // btf.rst: with kind_flag set, "offset" holds bitfield_size << 24 | bit_offset
        members.push({
          name: str(u32(m), m),
          type: u32(m + 4),
          bitOffset: kindFlag ? off & 0xffffff : off,
          bitfieldSize: kindFlag ? off >>> 24 : 0,
        });
      }
      types.push({ id, kind, name, ...third, members, vlen });
    } else {
      types.push({ id, kind, name, ...third, vlen });
    }
    p += bytes;
  }
  return new BtfTypes(types, source);
}
