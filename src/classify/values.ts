// Owns what a 64-bit word of an object looks like: its value class by x86-64 address ranges
// (direct map, vmalloc, vmemmap, kernel text / rodata / data, modules, list poison, the object
// itself) or by magnitude. The ranges are the 4-level, nokaslr layout the corpus guests boot with
// (Documentation/x86/x86_64/mm.rst); the image's bounds come from the symbol table.

import type { SymbolTable } from './symbols.js';

/** A word's value class. `sym` is the exact start of a data or rodata symbol (an ops table, a global). */
export const VALUE_CLASSES = [
  'zero',
  'self',
  'direct',
  'vmalloc',
  'vmemmap',
  'text',
  'sym',
  'rodata',
  'data',
  'module',
  'poison',
  'small',
  'int32',
  'neg',
  'other',
] as const;
export type ValueClass = (typeof VALUE_CLASSES)[number];

/** Whether a class is a kernel address (what a pointer field may hold besides zero). */
export function isKernelAddress(c: ValueClass): boolean {
  return c !== 'zero' && c !== 'small' && c !== 'int32' && c !== 'neg' && c !== 'other';
}

const DIRECT = 0xffff888000000000n;
const DIRECT_END = DIRECT + (64n << 40n);
const VMALLOC = 0xffffc90000000000n;
const VMALLOC_END = VMALLOC + (32n << 40n);
const VMEMMAP = 0xffffea0000000000n;
const VMEMMAP_END = VMEMMAP + (1n << 40n);
const MODULES = 0xffffffffa0000000n;
const MODULES_END = 0xffffffffff000000n;
const POISON = 0xdead000000000000n;

/** The class of `v`, a word of the object at `self` of `size` bytes. */
export function classify(v: bigint, self: bigint, size: number, syms: SymbolTable): ValueClass {
  if (v === 0n) return 'zero';
  if (v >= self && v < self + BigInt(size)) return 'self';
  if (v >= DIRECT && v < DIRECT_END) return 'direct';
  if (v >= VMALLOC && v < VMALLOC_END) return 'vmalloc';
  if (v >= VMEMMAP && v < VMEMMAP_END) return 'vmemmap';
  if (v >= syms.text[0] && v < syms.text[1]) return 'text';
  if (syms.dataStarts.has(v)) return 'sym';
  if (v >= syms.rodata[0] && v < syms.rodata[1]) return 'rodata';
  if (v >= syms.data[0] && v < syms.data[1]) return 'data';
  if (v >= MODULES && v < MODULES_END) return 'module';
  if (v >= POISON && v < POISON + 0x1000n) return 'poison';
  if (v < 0x10000n) return 'small';
  if (v < 0x100000000n) return 'int32';
  if (v >= 0xffffffff00000000n) return 'neg';
  return 'other';
}

/** The classes of every whole word of `bytes`. */
export function wordClasses(bytes: Buffer, self: bigint, size: number, syms: SymbolTable): ValueClass[] {
  const out: ValueClass[] = [];
  for (let p = 0; p + 8 <= bytes.length; p += 8) out.push(classify(bytes.readBigUInt64LE(p), self, size, syms));
  return out;
}
