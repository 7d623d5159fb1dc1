// Views of debug-info types for the analysis: names a kernel developer reads
// (`struct sk_buff`), identity across translation units (name, size, file:line
// — not the IR's `%struct.foo.23`), sizes, pointees, and what member lies at a
// byte offset.
import type { DICompositeType, DIDerivedType, DINode } from '../ir/debuginfo.js';
import { filePathOf } from '../ir/debuginfo.js';
import type { Metadata } from '../ir/metadata.js';

/** A DI type node (or null for `void`). */
export type DIType = DINode | null;

const QUALIFIERS = new Set(['DW_TAG_typedef', 'DW_TAG_const_type', 'DW_TAG_volatile_type', 'DW_TAG_restrict_type', 'DW_TAG_atomic_type']);

/** Follows typedefs and qualifiers to the underlying type. */
export function stripQualifiers(t: Metadata | null): DIType {
  let cur = t;
  for (let i = 0; i < 64 && cur && cur.kind === 'DIDerivedType' && QUALIFIERS.has(cur.tag); i++) {
    cur = cur.baseType;
  }
  return cur && isDINode(cur) ? cur : null;
}

function isDINode(m: Metadata): m is DINode {
  return m.kind !== 'string' && m.kind !== 'tuple' && m.kind !== 'value' && m.kind !== 'DIArgList' && m.kind !== 'unknown';
}

/** For `T *` (after qualifiers), T after qualifiers; undefined if not a pointer. */
export function pointeeOf(t: Metadata | null): DIType | undefined {
  const s = stripQualifiers(t);
  if (s && s.kind === 'DIDerivedType' && s.tag === 'DW_TAG_pointer_type') return stripQualifiers(s.baseType);
  return undefined;
}

const TAG_WORD: Record<string, string> = {
  DW_TAG_structure_type: 'struct',
  DW_TAG_union_type: 'union',
  DW_TAG_enumeration_type: 'enum',
  DW_TAG_class_type: 'class',
};

/** The name a developer reads: `struct sk_buff`, `union …`, `u8 *`, `int[4]`. */
export function typeName(t: Metadata | null, depth = 0): string {
  if (depth > 16) return '…';
  if (!t) return 'void';
  switch (t.kind) {
    case 'DICompositeType': {
      if (t.tag === 'DW_TAG_array_type') {
        const n = arrayLength(t);
        return `${typeName(t.baseType, depth + 1)}[${n ?? ''}]`;
      }
      const word = TAG_WORD[t.tag] ?? t.tag;
      return t.name ? `${word} ${t.name}` : `${word} (anonymous at ${filePathOf(t) ?? '?'}:${t.line})`;
    }
    case 'DIDerivedType':
      if (t.tag === 'DW_TAG_pointer_type') return `${typeName(t.baseType, depth + 1)} *`;
      if (t.tag === 'DW_TAG_typedef') return t.name;
      if (t.tag === 'DW_TAG_member') return typeName(t.baseType, depth + 1);
      return typeName(t.baseType, depth + 1);
    case 'DIBasicType':
      return t.name;
    case 'DISubroutineType':
      return 'function';
    default:
      return t.kind;
  }
}

/** Identity of a type across translation units: name, size and where it is declared. */
export function typeKey(t: Metadata | null): string {
  const s = stripQualifiers(t);
  if (s && s.kind === 'DICompositeType') {
    return `${typeName(s)}|${s.size}|${filePathOf(s) ?? ''}:${s.line}`;
  }
  return typeName(s);
}

function arrayLength(t: DICompositeType): number | undefined {
  const els = t.elements;
  if (els?.kind !== 'tuple') return undefined;
  let n = 1;
  for (const e of els.operands) {
    if (e?.kind !== 'DISubrange' || typeof e.count !== 'number') return undefined;
    n *= e.count;
  }
  return n;
}

/** Size in bytes, when the debug info says. */
export function sizeOf(t: Metadata | null, depth = 0): number | undefined {
  if (!t || depth > 64) return undefined;
  switch (t.kind) {
    case 'DICompositeType':
      if (t.size) return t.size / 8;
      if (t.tag === 'DW_TAG_array_type') {
        const n = arrayLength(t);
        const e = sizeOf(t.baseType, depth + 1);
        return n !== undefined && e !== undefined ? n * e : undefined;
      }
      return undefined;
    case 'DIDerivedType':
      if (t.tag === 'DW_TAG_pointer_type') return (t.size || 64) / 8;
      if (t.size) return t.size / 8;
      return sizeOf(t.baseType, depth + 1);
    case 'DIBasicType':
      return t.size / 8;
    default:
      return undefined;
  }
}

/** The members of a struct or union (direct ones), with byte offsets. */
export function membersOf(t: Metadata | null): { member: DIDerivedType; offset: number; type: DIType }[] {
  const s = stripQualifiers(t);
  if (s?.kind !== 'DICompositeType' || !s.elements || s.elements.kind !== 'tuple') return [];
  const out: { member: DIDerivedType; offset: number; type: DIType }[] = [];
  for (const e of s.elements.operands) {
    if (e?.kind === 'DIDerivedType' && (e.tag === 'DW_TAG_member' || e.tag === 'DW_TAG_inheritance')) {
      out.push({ member: e, offset: Math.floor(e.offset / 8), type: stripQualifiers(e.baseType) });
    }
  }
  return out;
}

/**
 * The chain of members containing byte `offset` of `t`, outermost first
 * (e.g. `sk_buff` + 16 → [`{…} (anonymous union)`, `rbnode`]). Empty if none does.
 */
export function membersAt(t: Metadata | null, offset: number): { name: string; offset: number; type: DIType }[] {
  const out: { name: string; offset: number; type: DIType }[] = [];
  let cur = stripQualifiers(t);
  let off = offset;
  for (let depth = 0; cur && depth < 32; depth++) {
    if (cur.kind === 'DICompositeType' && cur.tag === 'DW_TAG_array_type') {
      const e = stripQualifiers(cur.baseType);
      const es = sizeOf(e);
      if (!es) break;
      off %= es;
      cur = e;
      continue;
    }
    const ms = membersOf(cur);
    let found: { member: DIDerivedType; offset: number; type: DIType } | undefined;
    let empty: typeof found;
    for (const m of ms) {
      const size = sizeOf(m.type) ?? (m.member.size ? m.member.size / 8 : 0);
      // a zero-size member (an empty tracker struct, a flexible array) shares its offset with
      // the next member: it holds the offset only when no sized member does
      if (size === 0) {
        if (off === m.offset) empty ??= m;
        continue;
      }
      if (off >= m.offset && off < m.offset + size) {
        found = m;
        break;
      }
    }
    found ??= empty;
    if (!found) break;
    out.push({ name: found.member.name, offset: found.offset, type: found.type });
    off -= found.offset;
    cur = found.type;
  }
  return out;
}

/**
 * The pointer types lying exactly at byte `offset` of `t`, through every member of each union on
 * the way (`inode` + 0x1c8 is `i_pipe`, `i_cdev` or `i_link`: three types), and, with `arrays`,
 * every element of an array. A store of a pointer there is of one of them; debug info cannot say
 * which. Members nested deeper than `maxDepth` are not looked into.
 */
export function pointerTypesAt(t: Metadata | null, offset: number, { arrays = true, maxDepth = 32 } = {}, depth = 0): DIType[] {
  const cur = stripQualifiers(t);
  if (!cur || depth > maxDepth) return [];
  if (pointeeOf(cur) !== undefined) return offset === 0 ? [cur] : [];
  if (cur.kind === 'DICompositeType' && cur.tag === 'DW_TAG_array_type') {
    const es = sizeOf(cur.baseType);
    return arrays && es ? pointerTypesAt(cur.baseType, offset % es, { arrays, maxDepth }, depth + 1) : [];
  }
  return membersOf(cur).flatMap((m) => {
    const size = sizeOf(m.type) ?? (m.member.size ? m.member.size / 8 : 0);
    return offset >= m.offset && offset < m.offset + size ? pointerTypesAt(m.type, offset - m.offset, { arrays, maxDepth }, depth + 1) : [];
  });
}

/** True for struct / union / class composites. */
export function isRecord(t: DIType): t is DICompositeType {
  return !!t && t.kind === 'DICompositeType' && t.tag !== 'DW_TAG_array_type' && t.tag !== 'DW_TAG_enumeration_type';
}

/**
 * The `btf_type_tag` annotations of a pointer type (typedefs and qualifiers looked through): the
 * kernel spells `__percpu`, `__user`, `__rcu` as `btf_type_tag("percpu")` etc. when built for BTF,
 * so `int __percpu *` is a pointer with the tag `percpu`.
 */
export function btfTypeTags(t: Metadata | null): string[] {
  const s = stripQualifiers(t);
  if (s?.kind !== 'DIDerivedType' || s.tag !== 'DW_TAG_pointer_type' || s.annotations?.kind !== 'tuple') return [];
  const out: string[] = [];
  for (const a of s.annotations.operands) {
    if (a?.kind !== 'tuple') continue;
    const [k, v] = a.operands;
    if (k?.kind === 'string' && k.value === 'btf_type_tag' && v?.kind === 'string') out.push(v.value);
  }
  return out;
}
