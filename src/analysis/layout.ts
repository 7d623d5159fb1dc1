// x86-64 data layout of IR types (LLVM's default for the kernel's datalayout
// string): sizes, alignments, the byte offset a GEP with constant indices adds,
// and whether an address is a fixed slot of the function's own stack frame.
import type { Type } from '../ir/types.js';
import type { Value } from '../ir/values.js';

/** An offset that is not a known constant. */
export const UNKNOWN = 0x7ffff;

/** Byte offset a GEP adds, when all indices are constant (x86-64 layout); UNKNOWN otherwise. */
export function gepOffset(ops: readonly Value[], src: Type | undefined): number {
  if (!src) return UNKNOWN;
  let off = 0;
  let t: Type = src;
  const idx = ops.slice(1);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    if (i.kind !== 'int') return UNKNOWN;
    const n = Number(i.value);
    if (k === 0) {
      off += n * sizeOfType(t);
      continue;
    }
    if (t.kind === 'struct' && t.elements) {
      let o = 0;
      for (let j = 0; j < n && j < t.elements.length; j++) {
        if (!t.packed) o = alignTo(o, alignOf(t.elements[j]!));
        o += sizeOfType(t.elements[j]!);
      }
      const el = t.elements[n];
      if (!el) return UNKNOWN;
      if (!t.packed) o = alignTo(o, alignOf(el));
      off += o;
      t = el;
    } else if (t.kind === 'array' || t.kind === 'vector') {
      off += n * sizeOfType(t.element);
      t = t.element;
    } else return UNKNOWN;
  }
  return off;
}

export function alignTo(o: number, a: number): number {
  return a > 1 ? Math.ceil(o / a) * a : o;
}

/** ABI alignment of an IR type on x86-64. */
export function alignOf(t: Type): number {
  switch (t.kind) {
    case 'int':
      return t.bits <= 8 ? 1 : t.bits <= 16 ? 2 : t.bits <= 32 ? 4 : t.bits <= 64 ? 8 : 16;
    case 'float':
      return t.float === 'half' || t.float === 'bfloat' ? 2 : t.float === 'float' ? 4 : t.float === 'double' ? 8 : 16;
    case 'pointer':
      return 8;
    case 'array':
      return alignOf(t.element);
    case 'vector':
      return Math.min(16, sizeOfType(t));
    case 'struct':
      return t.packed || !t.elements ? 1 : Math.max(1, ...t.elements.map(alignOf));
    default:
      return 1;
  }
}

/** ABI size (alloc size) of an IR type on x86-64. */
export function sizeOfType(t: Type): number {
  switch (t.kind) {
    case 'int':
      return alignTo(Math.ceil(t.bits / 8), alignOf(t));
    case 'float':
      return t.float === 'half' || t.float === 'bfloat' ? 2 : t.float === 'float' ? 4 : t.float === 'double' ? 8 : 16;
    case 'pointer':
      return 8;
    case 'array':
      return t.length * sizeOfType(t.element);
    case 'vector':
      return alignTo(t.length * sizeOfType(t.element), 1);
    case 'struct': {
      if (!t.elements) return 0;
      let o = 0;
      for (const e of t.elements) {
        if (!t.packed) o = alignTo(o, alignOf(e));
        o += sizeOfType(e);
      }
      return t.packed ? o : alignTo(o, alignOf(t));
    }
    default:
      return 0;
  }
}

/**
 * The pointer-valued leaves of a constant (a global's initializer) with their byte offsets from
 * its start: globals, functions, aliases and constant expressions, found through nested structs,
 * arrays and vectors (x86-64 layout). Shared by points-to (initializer constraints) and the per-TU
 * summaries (the pointers of each global's initializer), so both read initializers alike.
 */
export function constantPointers(c: Value, maxDepth = 16): { offset: number; value: Value }[] {
  const out: { offset: number; value: Value }[] = [];
  const visit = (v: Value, off: number, depth: number): void => {
    if (depth > maxDepth) return;
    switch (v.kind) {
      case 'global':
      case 'function':
      case 'expr':
      case 'alias':
        out.push({ offset: off, value: v });
        return;
      case 'struct': {
        const t = v.type;
        if (t.kind !== 'struct' || !t.elements) return;
        let o = 0;
        v.elements.forEach((e, i) => {
          const et = t.elements![i]!;
          if (!t.packed) o = alignTo(o, alignOf(et));
          visit(e, off + o, depth + 1);
          o += sizeOfType(et);
        });
        return;
      }
      case 'array':
      case 'vector': {
        const es = v.elements.length ? sizeOfType(v.elements[0]!.type) : 0;
        v.elements.forEach((e, i) => {
          visit(e, off + i * es, depth + 1);
        });
        return;
      }
      default:
        return;
    }
  };
  visit(c, 0, 0);
  return out;
}

/**
 * True when `pointer` is a constant offset into a fixed-size stack slot of its function's static
 * frame (an `alloca` of constant count among `entry`, the entry block's instructions) and `width`
 * bytes from there stay inside the slot.
 * Whatever machine instruction performs such a write addresses the frame by a constant from the
 * stack or frame pointer (or keeps the value in a register and writes nothing): no data can aim it
 * elsewhere. A variable index (`buf[i]`), a dynamic alloca or an unknown width is not one.
 */
export function isFrameSlot(pointer: Value, width: number | undefined, entry: readonly Value[]): boolean {
  if (width === undefined || width <= 0) return false;
  let cur = pointer;
  let offset = 0;
  for (let i = 0; i < 32; i++) {
    if (cur.kind !== 'instruction') return false;
    if (cur.opcode === 'bitcast' || cur.opcode === 'addrspacecast') {
      cur = cur.operands[0]!;
      continue;
    }
    if (cur.opcode === 'getelementptr') {
      const off = gepOffset(cur.operands, cur.sourceElementType);
      if (off === UNKNOWN) return false;
      offset += off;
      cur = cur.operands[0]!;
      continue;
    }
    if (cur.opcode !== 'alloca' || !entry.includes(cur)) return false;
    const count = cur.arraySize;
    const n = count === undefined ? 1 : count.kind === 'int' ? Number(count.value) : Number.NaN;
    const size = sizeOfType(cur.allocatedType) * n;
    return Number.isFinite(size) && offset >= 0 && offset + width <= size;
  }
  return false;
}
