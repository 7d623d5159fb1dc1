// Owns the C prototypes of functions and function pointers read from debug info
// (`int (struct sk_buff *)`): return and parameter types with typedefs and
// qualifiers looked through, the way kCFI compares a call's function-pointer type
// with its target's. The indirect-call typing (icalls.ts) matches by them, and
// the points-to solver (pointsto.ts) binds a call through a lost pointer only to
// the address-taken functions of its prototype.
import type { DICompositeType } from '../ir/debuginfo.js';
import type { Metadata } from '../ir/metadata.js';
import type { Function } from '../ir/values.js';
import { signatureTypes } from './debugvars.js';
import { membersAt, pointeeOf, typeName } from './ditypes.js';

/** A function's C prototype from its debug signature (`int (struct sk_buff *)`), as kCFI and the icall typing compare it. */
export const prototypeOf = (f: Function): string | undefined => prototypeKey(signatureTypes(f));

/** A debug type's name with typedefs and qualifiers looked through, at every pointer level (`u32` → `unsigned int`). */
function canonicalName(t: Metadata | null | undefined, depth = 0): string {
  if (!t) return 'void';
  if (depth > 16) return '…';
  if (t.kind === 'DIDerivedType') {
    if (t.tag === 'DW_TAG_pointer_type') return `${canonicalName(t.baseType, depth + 1)} *`;
    if (t.tag === 'DW_TAG_typedef' || t.tag === 'DW_TAG_const_type' || t.tag === 'DW_TAG_volatile_type' || t.tag === 'DW_TAG_restrict_type')
      return canonicalName(t.baseType, depth + 1);
  }
  if (t.kind === 'DISubroutineType') return 'function';
  // an unnamed record or enum as BTF writes it (runtime/loader/icalls.c btf_canon): the loader
  // compares these strings with the running kernel's prototypes, where no file:line exists
  if (t.kind === 'DICompositeType' && !t.name && t.tag !== 'DW_TAG_array_type')
    return typeName(t).replace(/ \(anonymous at .*$/, ' (anonymous)');
  return typeName(t);
}

/** A C prototype from debug types (`int (struct sk_buff *)`), the way kCFI compares functions: return and parameter types, typedefs looked through. */
export function prototypeKey(types: readonly (Metadata | null)[] | undefined): string | undefined {
  if (!types?.length) return undefined;
  return `${canonicalName(types[0])} (${types
    .slice(1)
    .map((t) => (t === null ? '...' : canonicalName(t)))
    .join(', ')})`;
}

/** The prototype of the function-pointer member at `offset` of `t`, if debug info describes it. */
export function fieldPrototype(t: DICompositeType, offset: number): string | undefined {
  const p = pointeeOf(membersAt(t, offset).at(-1)?.type ?? null);
  return p?.kind === 'DISubroutineType' && p.types?.kind === 'tuple' ? prototypeKey(p.types.operands) : undefined;
}

/** The prototype a function-pointer debug type names (`int (*)(struct sk_buff *)` → `int (struct sk_buff *)`). */
export function prototypeOfPointer(t: Metadata | null | undefined): string | undefined {
  const p = t ? pointeeOf(t) : undefined;
  return p?.kind === 'DISubroutineType' && p.types?.kind === 'tuple' ? prototypeKey(p.types.operands) : undefined;
}
