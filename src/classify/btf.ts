// Owns reading a raw BTF blob (a kernel's `vmlinux.btf`, `/sys/kernel/btf/vmlinux`) into a type table:
// the header, the type section (every kind up to ENUM64) and the string section. The old-object
// classifier (issue 10 item 3) holds object bytes against these struct layouts. Only what the
// classifier needs is kept per kind; every kind is parsed so the ids stay right.

import { readFileSync } from 'node:fs';

/** A malformed BTF blob: the file, the byte offset and what was expected there. */
export class BtfError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly expected: string,
  ) {
    super(`${file}: at byte ${offset}: expected ${expected}`);
    this.name = 'BtfError';
  }
}

/** BTF kinds (include/uapi/linux/btf.h). */
export const BtfKind = {
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

/** A member of a struct or union: its bit offset, and its bit size when a bitfield. */
export interface BtfMember {
  name: string;
  type: number;
  bitOffset: number;
  bitSize: number;
}

/** One BTF type. `size` for INT/STRUCT/UNION/ENUM/FLOAT/DATASEC, `type` for PTR/TYPEDEF/modifiers/FUNC/VAR. */
export interface BtfType {
  id: number;
  kind: number;
  name: string;
  size?: number;
  type?: number;
  members?: BtfMember[];
  /** ARRAY: element type and count. */
  elem?: number;
  nelems?: number;
}

/** A parsed BTF blob: `types[id]` (id 0 is void, undefined here) and struct ids by name. */
export interface Btf {
  types: (BtfType | undefined)[];
  /** Struct (kind STRUCT) ids by name; the first of a name when several. */
  structs: Map<string, number>;
}

/** Parses a raw BTF blob. */
export function parseBtf(buf: Buffer, file = '<btf>'): Btf {
  if (buf.length < 24) throw new BtfError(file, 0, 'a BTF header (24 bytes)');
  const magic = buf.readUInt16LE(0);
  if (magic !== 0xeb9f) throw new BtfError(file, 0, `magic 0xeb9f (little-endian), got 0x${magic.toString(16)}`);
  const hdrLen = buf.readUInt32LE(4);
  const typeOff = hdrLen + buf.readUInt32LE(8);
  const typeLen = buf.readUInt32LE(12);
  const strOff = hdrLen + buf.readUInt32LE(16);
  const strLen = buf.readUInt32LE(20);
  if (typeOff + typeLen > buf.length || strOff + strLen > buf.length)
    throw new BtfError(file, 8, 'type and string sections inside the file');
  const str = (off: number): string => {
    if (off >= strLen) throw new BtfError(file, strOff + off, `a string offset below ${strLen}`);
    const start = strOff + off;
    const end = buf.indexOf(0, start);
    return buf.toString('latin1', start, end < 0 ? strOff + strLen : end);
  };
  const types: (BtfType | undefined)[] = [undefined];
  const structs = new Map<string, number>();
  let p = typeOff;
  const end = typeOff + typeLen;
  while (p < end) {
    if (p + 12 > end) throw new BtfError(file, p, 'a 12-byte btf_type');
    const id = types.length;
    const name = str(buf.readUInt32LE(p));
    const info = buf.readUInt32LE(p + 4);
    const vlen = info & 0xffff;
    const kind = (info >>> 24) & 0x1f;
    const kflag = info >>> 31;
    const sizeOrType = buf.readUInt32LE(p + 8);
    p += 12;
    const t: BtfType = { id, kind, name };
    switch (kind) {
      case BtfKind.INT:
        t.size = sizeOrType;
        p += 4;
        break;
      case BtfKind.PTR:
      case BtfKind.TYPEDEF:
      case BtfKind.VOLATILE:
      case BtfKind.CONST:
      case BtfKind.RESTRICT:
      case BtfKind.FUNC:
      case BtfKind.TYPE_TAG:
        t.type = sizeOrType;
        break;
      case BtfKind.FWD:
        break;
      case BtfKind.FLOAT:
        t.size = sizeOrType;
        break;
      case BtfKind.ARRAY:
        t.elem = buf.readUInt32LE(p);
        t.nelems = buf.readUInt32LE(p + 8);
        p += 12;
        break;
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        t.size = sizeOrType;
        t.members = [];
        for (let k = 0; k < vlen; k++, p += 12) {
          const off = buf.readUInt32LE(p + 8);
          t.members.push({
            name: str(buf.readUInt32LE(p)),
            type: buf.readUInt32LE(p + 4),
            bitOffset: kflag ? off & 0xffffff : off,
            bitSize: kflag ? off >>> 24 : 0,
          });
        }
        if (kind === BtfKind.STRUCT && name && !structs.has(name)) structs.set(name, id);
        break;
      }
      case BtfKind.ENUM:
        t.size = sizeOrType;
        p += 8 * vlen;
        break;
      case BtfKind.ENUM64:
        t.size = sizeOrType;
        p += 12 * vlen;
        break;
      case BtfKind.FUNC_PROTO:
        t.type = sizeOrType;
        p += 8 * vlen;
        break;
      case BtfKind.VAR:
        t.type = sizeOrType;
        p += 4;
        break;
      case BtfKind.DATASEC:
        t.size = sizeOrType;
        p += 12 * vlen;
        break;
      case BtfKind.DECL_TAG:
        t.type = sizeOrType;
        p += 4;
        break;
      default:
        throw new BtfError(file, p - 12, `a BTF kind 1..19, got ${kind}`);
    }
    types.push(t);
  }
  return { types, structs };
}

/** Reads and parses a BTF file. */
export function readBtf(file: string): Btf {
  return parseBtf(readFileSync(file), file);
}

/** The type behind typedefs and modifiers (volatile, const, restrict, type tags). */
export function resolve(btf: Btf, id: number): BtfType | undefined {
  for (let k = 0; k < 32; k++) {
    const t = btf.types[id];
    if (!t) return undefined;
    if (
      t.kind === BtfKind.TYPEDEF ||
      t.kind === BtfKind.VOLATILE ||
      t.kind === BtfKind.CONST ||
      t.kind === BtfKind.RESTRICT ||
      t.kind === BtfKind.TYPE_TAG
    )
      id = t.type ?? 0;
    else return t;
  }
  return undefined;
}

/** Whether the chain of typedefs and modifiers from `id` holds a `const`. */
export function isConst(btf: Btf, id: number): boolean {
  for (let k = 0; k < 32; k++) {
    const t = btf.types[id];
    if (!t) return false;
    if (t.kind === BtfKind.CONST) return true;
    if (t.kind === BtfKind.TYPEDEF || t.kind === BtfKind.VOLATILE || t.kind === BtfKind.RESTRICT || t.kind === BtfKind.TYPE_TAG)
      id = t.type ?? 0;
    else return false;
  }
  return false;
}

/** The byte size of a type (0 for void, functions and unknowns). */
export function btfSizeOf(btf: Btf, id: number): number {
  const t = resolve(btf, id);
  if (!t) return 0;
  if (t.kind === BtfKind.PTR) return 8;
  if (t.kind === BtfKind.ARRAY) return (t.nelems ?? 0) * btfSizeOf(btf, t.elem ?? 0);
  return t.size ?? 0;
}
