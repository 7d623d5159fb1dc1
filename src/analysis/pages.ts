// Owns recognizing x86-64's `page_address(page)` in IR: the direct-map
// address of the memory a `struct page *` describes. `page_to_virt` (and so
// `page_address`, `kmap_local_page`, `folio_address` without HIGHMEM) is
// `(page - vmemmap_base) * PAGE_SIZE / sizeof(struct page) + page_offset_base`,
// which clang folds into integer arithmetic ending in an `inttoptr`. Points-to
// then knows which pages the address lies in from what `page` points to,
// instead of losing the pointer ("int-to-ptr").
import type { Value } from '../ir/values.js';
import type { AllocationSite } from '../policy/schema.js';

/** `__PAGE_OFFSET_BASE_L4` and `VMEMMAP_START` (arch/x86/include/asm/page_64_types.h, pgtable_64_types.h): the bases without KASLR. */
const DIRECT_MAP_BASE = 0xffff888000000000n;
const VMEMMAP_BASE = 0xffffea0000000000n;
/** `sizeof(struct page)` on x86-64 is 64 bytes: an index into vmemmap, in bytes, is the page's pfn times 64. */
const PAGE_DESCRIPTOR_SHIFT = 6n;
const PAGE_SHIFT = 12n;

const asU64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** An integer constant's value, or undefined (also for a missing operand). */
function constant(v: Value | undefined): bigint | undefined {
  return v?.kind === 'int' ? v.value : undefined;
}

/** True for an integer constant equal to `k` as 64 bits (IR writes them signed). */
const isConstant = (v: Value | undefined, k: bigint): boolean => v?.kind === 'int' && asU64(v.value) === k;

/** A site returning page descriptors (`alloc_pages`, `folio_alloc`): its objects live in vmemmap, their memory is `page_address`'s. */
export const isPageDescriptor = (s: AllocationSite): boolean => s.type.name === 'struct page' || s.type.name === 'struct folio';

/** True for a load of the named global (`page_offset_base`, `vmemmap_base`: the KASLR-randomized bases). */
function loadOf(v: Value, global: string): boolean {
  return v.kind === 'instruction' && v.opcode === 'load' && v.operands[0]?.kind === 'global' && v.operands[0].name === global;
}

/** Opcode and operands of an instruction or constant expression; undefined for other values. */
function op(v: Value): { opcode: string; operands: readonly Value[] } | undefined {
  if (v.kind === 'instruction' || v.kind === 'expr') return { opcode: v.opcode, operands: v.operands };
  return undefined;
}

/** The terms of a tree of `add`s (at most 8): `a + (b + c)` → a, b, c. */
function addTerms(v: Value, out: Value[] = []): Value[] {
  const o = op(v);
  if (o?.opcode === 'add' && o.operands.length === 2 && out.length < 8) {
    addTerms(o.operands[0]!, out);
    addTerms(o.operands[1]!, out);
  } else out.push(v);
  return out;
}

/** `ptrtoint P - vmemmap_base` (or `+ -VMEMMAP_START`): P, the `struct page *`. */
function descriptorIndex(v: Value): Value | undefined {
  const o = op(v);
  if (!o) return undefined;
  const [a, b] = o.operands;
  if (!a || !b) return undefined;
  const base =
    o.opcode === 'sub'
      ? loadOf(b, 'vmemmap_base') || isConstant(b, VMEMMAP_BASE)
      : o.opcode === 'add' && isConstant(b, asU64(-VMEMMAP_BASE));
  if (!base) return undefined;
  const p = op(a);
  return p?.opcode === 'ptrtoint' ? p.operands[0] : undefined;
}

/** A shift or multiply by a power of two: the shift, and the value shifted. */
function scaled(v: Value): { by: bigint; value: Value } | undefined {
  const o = op(v);
  const k = constant(o?.operands[1]);
  if (!o || k === undefined) return undefined;
  if (o.opcode === 'shl') return { by: k, value: o.operands[0]! };
  if (o.opcode === 'mul' && k > 0n && (k & (k - 1n)) === 0n) return { by: BigInt(k.toString(2).length - 1), value: o.operands[0]! };
  return undefined;
}

/**
 * `(page - vmemmap) << 6` (the byte offset of the page's memory in the direct map), or the same as
 * `pfn << 12` with the pfn `(page - vmemmap) >> 6`: the page pointer.
 */
function pageBytes(v: Value): Value | undefined {
  const s = scaled(v);
  if (!s) return undefined;
  if (s.by === PAGE_SHIFT - PAGE_DESCRIPTOR_SHIFT) return descriptorIndex(s.value);
  if (s.by !== PAGE_SHIFT) return undefined;
  const pfn = op(s.value);
  const k = constant(pfn?.operands[1]);
  const divides =
    ((pfn?.opcode === 'ashr' || pfn?.opcode === 'lshr') && k === PAGE_DESCRIPTOR_SHIFT) ||
    ((pfn?.opcode === 'sdiv' || pfn?.opcode === 'udiv') && k === 1n << PAGE_DESCRIPTOR_SHIFT);
  return divides ? descriptorIndex(pfn!.operands[0]!) : undefined;
}

/** True when an integer may carry an address: it is computed (within a few steps) from a `ptrtoint`. */
function fromPointer(v: Value, depth = 6): boolean {
  const o = op(v);
  if (!o || depth === 0) return !!o && depth === 0;
  if (o.opcode === 'ptrtoint') return true;
  if (o.opcode === 'load' || o.opcode === 'call') return false;
  return o.operands.some((x) => fromPointer(x, depth - 1));
}

/**
 * The `struct page *` (or `struct folio *`) whose memory the integer `v` addresses, when `v` is
 * `page_address(page)` plus offsets computed from no other pointer; else undefined. The result
 * lies in that page's block (the caller's offset is bounded by the block at run time).
 */
export function pageOfAddress(v: Value): Value | undefined {
  const terms = addTerms(v);
  const base = terms.findIndex((t) => loadOf(t, 'page_offset_base') || isConstant(t, DIRECT_MAP_BASE));
  if (base < 0) return undefined;
  let page: Value | undefined;
  for (const [k, t] of terms.entries()) {
    if (k === base) continue;
    const p = page === undefined ? pageBytes(t) : undefined;
    if (p) page = p;
    else if (fromPointer(t)) return undefined;
  }
  return page;
}
