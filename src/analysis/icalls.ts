// Indirect calls (issue 16): for every call of the compartment through a function pointer, the
// functions it may call, with the reason for any widening. The target set is the points-to
// result for the callee operand. A function-pointer field is a type-field cell (`T:proto@0x40`:
// what any `struct proto` object's field may hold), so a pointer loaded from a field gets every
// function whose address the analyzed IR stores into that field of any object of that type —
// initializers of `const struct …_ops` globals, stores (of a function, or a phi/select of them),
// copies from other fields (`neigh->output = neigh->ops->output`, struct copies), each transitively.
// A field also written with a value nothing follows (an argument of an exported function) is not
// bounded by its setters. That is multi-layer type analysis (MLTA). The field is recovered by
// FieldTyper: the debug types of every value on the address's GEP chain (nearest first), the IR
// struct type of a GEP, a stack slot or a global's declaration, an element of an array of
// records, an offset that is a select of constants, and `container_of` (an offset outside the
// base's type lands in a record that embeds it). Where the pointer comes from
// somewhere the analysis cannot follow (a field no analyzed code writes, a global defined outside
// the analyzed IR, a pointer from outside the program), the set falls back to signature matching
// over the address-taken functions — by the C prototype of the field, or of the callee value
// (its variable, or the field it is also stored into) — and says so.
import type { CallBase, Instruction } from '../ir/instructions.js';
import { type DICompositeType, enclosingSubprogram } from '../ir/debuginfo.js';
import type { Metadata } from '../ir/metadata.js';
import { isCallBase } from '../ir/instructions.js';
import { type Type, typeToString } from '../ir/types.js';
import { ConstantInt, type Function, type GlobalVariable, type Value } from '../ir/values.js';
import { percentile } from '../policy/legal-set.js';
import type { IndirectCall, IndirectCallField, IndirectCallReason } from '../policy/schema.js';
import { boundVariables, globalDebugType, signatureTypes } from './debugvars.js';
import { fieldPrototype, prototypeKey, prototypeOfPointer } from './prototypes.js';
import { btfTypeTags, isRecord, membersAt, membersOf, pointeeOf, sizeOf, stripQualifiers, typeName } from './ditypes.js';
import { calleeOf, isNullConstant, origins, stripCasts, UseMap } from './flow.js';
import { alignOf, alignTo, gepOffset, sizeOfType } from './layout.js';
import type { PointsTo } from './pointsto.js';
import { UNKNOWN } from './pointsto.js';
import { type Located, Program, type ProgramModule } from './program.js';
import { framesOf } from './sites.js';

/** The IR signature a call states, as text (`i32 (ptr, i32)`): what signature matching compares. */
function signatureKey(returnType: Type, params: readonly Type[], varArg: boolean): string {
  return `${typeToString(returnType)} (${params.map((p) => typeToString(p)).join(', ')}${varArg ? ', ...' : ''})`;
}

const functionSignature = (f: Function): string => signatureKey(f.functionType.returnType, f.functionType.params, f.functionType.varArg);

/** A function's IR signature as indirect-call typing compares it (`i32 (ptr, i32)`). */
export const irSignatureOf = functionSignature;

/**
 * The prototype of the callee pointer itself: a variable or parameter holding it has a
 * function-pointer debug type (`int (*callback)(struct calipso_doi *, void *)`), or the function
 * stores it into a function-pointer field or passes it as a function-pointer argument — the C
 * conversion that gives an integer its function type (`cb->done = (void *)cb->args[3];
 * return cb->done(cb);`, the call reusing the stored value). Returns the prototype and where it came from.
 */
function calleePrototype(call: CallBase, fn: Located<Function>, typer: FieldTyper): { prototype: string; from: string } | undefined {
  const c = stripCasts(call.callee);
  const values = c === call.callee ? [c] : [call.callee, c];
  const types: (Metadata | null | undefined)[] = [];
  for (const v of values) types.push(typer.pts.debugTypeOf(v), ...typer.boundTypes(v, fn.value));
  if (c.kind === 'argument') types.push(signatureTypes(fn.value)?.[fn.value.arguments.indexOf(c) + 1]);
  for (const t of types) {
    const p = prototypeOfPointer(t);
    if (p) return { prototype: p, from: 'the debug type of the variable holding it' };
  }
  const at = { fn: fn.value, pm: fn.module };
  for (const v of values) {
    for (const u of typer.usesOf(v, fn.value)) {
      if (u.opcode === 'store' && u.operands[0] === v) {
        const protos = new Set(typer.fieldsAt(u.operands[1]!, at, true).map((f) => fieldPrototype(f.type, f.offset)));
        const [p] = protos;
        if (protos.size === 1 && p) return { prototype: p, from: 'the function-pointer field the function also stores it into' };
      } else if (isCallBase(u) && u !== call) {
        const callee = calleeOf(u);
        const i = u.args.indexOf(v);
        const p = callee && i >= 0 ? prototypeOfPointer(signatureTypes(callee)?.[i + 1]) : undefined;
        if (p) return { prototype: p, from: `the function-pointer parameter of ${callee!.name} it is passed to` };
      }
    }
  }
  return undefined;
}

/** True when the call goes through a pointer: not a function, an alias of one, inline asm or an intrinsic. */
export function isIndirectCall(call: CallBase): boolean {
  if (call.opcode === 'callbr') return false; // asm goto
  const c = stripCasts(call.callee);
  return c.kind !== 'function' && c.kind !== 'asm' && c.kind !== 'alias';
}

/** A struct type and a byte offset into it: the field a function pointer is loaded from. */
interface FieldRef {
  type: DICompositeType;
  name: string;
  offset: number;
  /** How the record was recovered when not from the pointer's own debug type (`container_of` from …). */
  via?: string;
  /** A global the field belongs to that is only declared in the analyzed IR: its initializer is not seen. */
  external?: string;
  /** A record nested at the field of another ref (`dst_entry+40` inside `rt6_info+40`): described, not looked up alone. */
  nested?: boolean;
}

/**
 * The program's record types by name (complete definitions) and where each is embedded. Names
 * identify a type across translation units, as C's one-definition rule lets the kernel assume.
 */
export interface RecordIndex {
  readonly byName: Map<string, DICompositeType>;
  /**
   * Record name → the records that embed it and at which byte offset (transitively, through every
   * member of a union): `route.c` stores `rt->dst.input = ip6_input` into a `struct rt6_info`, whose
   * cell is `rt6_info+40`, and `dst_input` loads `dst_entry+40`; both are the same field.
   */
  readonly embeddings: Map<string, { outer: string; offset: number }[]>;
}

/** The debug record a named IR struct stands for (`%struct.proto`, `%struct.proto.12` → `struct proto`). */
function recordOfIrType(t: Type | undefined, records: RecordIndex): DICompositeType | undefined {
  if (t?.kind !== 'struct' || t.name === undefined || t.numbered) return undefined;
  const m = /^(struct|union)\.(.+?)(\.\d+)?$/.exec(t.name);
  if (!m || m[2] === 'anon') return undefined;
  return records.byName.get(`${m[1]} ${m[2]}`);
}

/** A GEP, as an instruction or a constant expression (`getelementptr (i8, ptr @udp_prot, i64 72)`). */
function gepOf(v: Value): { operands: readonly Value[]; sourceElementType: Type | undefined } | undefined {
  if (v.kind === 'instruction' && v.opcode === 'getelementptr') return v;
  if (v.kind === 'expr' && v.opcode === 'getelementptr') return v;
  return undefined;
}

/**
 * For a GEP with a variable index into an array of records (`&inetsw6[i].ops`, `ops[i]->fn`), the
 * element's IR type and the constant offset in it: the index picks an element, not a field.
 */
function elementOfGep(g: { operands: readonly Value[]; sourceElementType: Type | undefined }): { type: Type; offset: number } | undefined {
  const idx = g.operands.slice(1);
  let p = -1;
  for (let k = idx.length - 1; k >= 0; k--) {
    if (idx[k]!.kind !== 'int') {
      p = k;
      break;
    }
  }
  if (p < 0 || !g.sourceElementType) return undefined;
  let t: Type = g.sourceElementType;
  for (let k = 1; k <= p; k++) {
    if (k === p) {
      if (t.kind !== 'array' && t.kind !== 'vector') return undefined;
      t = t.element;
      break;
    }
    const i = idx[k]!;
    if (i.kind !== 'int') return undefined;
    if (t.kind === 'struct' && t.elements) t = t.elements[Number(i.value)]!;
    else if (t.kind === 'array' || t.kind === 'vector') t = t.element;
    else return undefined;
    if (!t) return undefined;
  }
  const suffix = idx.slice(p + 1);
  // the element itself is index 0 of a GEP over its type
  const offset = suffix.length ? gepOffset([g.operands[0]!, new ConstantInt({ kind: 'int', bits: 64 }, 0n), ...suffix], t) : 0;
  return offset === UNKNOWN ? undefined : { type: t, offset };
}

/** The offsets a GEP with one index that is a select or phi of constants may add, or undefined. */
function constantAlternatives(g: { operands: readonly Value[]; sourceElementType: Type | undefined }): number[] | undefined {
  const vars = g.operands.slice(1).filter((o) => o.kind !== 'int');
  const v = vars[0];
  if (vars.length !== 1 || v?.kind !== 'instruction' || (v.opcode !== 'select' && v.opcode !== 'phi')) return undefined;
  const choices = v.opcode === 'select' ? v.operands.slice(1) : v.operands;
  if (choices.length > 8 || !choices.every((c) => c.kind === 'int')) return undefined;
  const out: number[] = [];
  for (const c of choices) {
    const off = gepOffset(
      g.operands.map((o) => (o === v ? c : o)),
      g.sourceElementType,
    );
    if (off === UNKNOWN) return undefined;
    if (!out.includes(off)) out.push(off);
  }
  return out;
}

/** A record a pointer may point to, and how it was found when that is worth saying. */
interface Candidate {
  type: Metadata;
  /** The offset the access has into it, when it differs from the chain's (an array element). */
  offset?: number;
  via?: string;
  external?: string;
}

/**
 * Type recovery for one program, the way multi-layer type analysis does it: what a pointer points
 * to (from debug info, the IR's own struct types, inlined accessors) and which field of which record
 * an address is.
 */
export class FieldTyper {
  private readonly bound = new WeakMap<Function, Map<Value, { type: Metadata | null }[]>>();
  private readonly uses = new WeakMap<Function, UseMap>();
  private readonly memoGuess = new Map<Value, Metadata[]>();
  private readonly memoSolid = new Map<Value, Metadata[]>();
  private readonly inProgress = new Set<Value>();

  constructor(
    readonly program: Program,
    readonly pts: PointsTo,
    readonly records: RecordIndex,
  ) {}

  /** Every variable a value is bound to: `sk` and `up = udp_sk(sk)` are one SSA value with two types. */
  boundTypes(v: Value, fn: Function): (Metadata | null)[] {
    let m = this.bound.get(fn);
    if (!m) this.bound.set(fn, (m = boundVariables(fn)));
    return (m.get(v) ?? []).map((b) => b.type);
  }

  usesOf(v: Value, fn: Function): readonly Instruction[] {
    let m = this.uses.get(fn);
    if (!m) this.uses.set(fn, (m = new UseMap(fn)));
    return m.of(v);
  }

  /**
   * The debug types a pointer value may point to, best first: the variables it is bound to (all of
   * them: a `container_of` of offset 0 is the same value under another type), a parameter's or a
   * callee's declared type, or — for a pointer loaded from a field — the field's declared type
   * (`dev->netdev_ops` is a `const struct net_device_ops *` because `struct net_device` says so at
   * that offset). With `guess`, a value nothing types may take its inlined accessor's return type.
   */
  pointeeTypes(v: Value, at: At, depth = 0, guess = true): Metadata[] {
    if (depth > 12) return [];
    // an instruction or argument belongs to one function: its types are computed once, and a
    // value met again while computing them (a loop's phi) adds nothing new
    const memo = v.kind === 'instruction' || v.kind === 'argument' ? (guess ? this.memoGuess : this.memoSolid) : undefined;
    const known = memo?.get(v);
    if (known) return known;
    if (this.inProgress.has(v)) return [];
    this.inProgress.add(v);
    try {
      const out = this.computePointeeTypes(v, at, depth, guess);
      memo?.set(v, out);
      return out;
    } finally {
      this.inProgress.delete(v);
    }
  }

  private computePointeeTypes(v: Value, at: At, depth: number, guess: boolean): Metadata[] {
    const out: Metadata[] = [];
    const push = (t: Metadata | null | undefined): void => {
      const p = t ? pointeeOf(t) : undefined;
      if (p && !out.includes(p)) out.push(p);
    };
    push(this.pts.debugTypeOf(v));
    for (const t of this.boundTypes(v, at.fn)) push(t);
    const c = stripCasts(v);
    if (c !== v) {
      for (const t of this.pointeeTypes(c, at, depth + 1, guess)) if (!out.includes(t)) out.push(t);
      return out;
    }
    if (c.kind === 'argument') {
      const i = at.fn.arguments.indexOf(c);
      push(i >= 0 ? signatureTypes(at.fn)?.[i + 1] : undefined);
    } else if (c.kind === 'instruction') {
      if (c.opcode === 'load') {
        for (const f of this.fieldsAt(c.operands[0]!, at, false, depth + 1)) push(membersAt(f.type, f.offset).at(-1)?.type ?? null);
      } else if (isCallBase(c)) {
        const callee = calleeOf(c);
        push(callee ? signatureTypes(callee)?.[0] : undefined);
      } else if (c.opcode === 'phi' || c.opcode === 'select') {
        for (const o of c.opcode === 'select' ? c.operands.slice(1) : c.operands)
          for (const t of this.pointeeTypes(o, at, depth + 1, guess)) if (!out.includes(t)) out.push(t);
      }
      if (!out.length && guess) {
        const r = inlinedReturnType(c);
        if (r && !out.includes(r)) out.push(r);
      }
    }
    return out;
  }

  /** The records a global may be: its debug type (an array's element), else the IR type of its declaration. */
  private globalCandidates(g: GlobalVariable, at: At, offset: number): Candidate[] {
    const def = this.program.resolve(at.pm, g).value;
    const gv = def.kind === 'global' ? def : g;
    const out: Candidate[] = [];
    const r = recordOfGlobal(gv);
    if (r) {
      const size = sizeOf(r.type);
      out.push(r.isArray && size ? { type: r.type, offset: offset % size } : { type: r.type });
    }
    if (gv.isDeclaration) {
      // defined outside the analyzed IR: the declaration's IR struct type names the record
      const t = recordOfIrType(gv.valueType, this.records) ?? (out[0]?.type as DICompositeType | undefined);
      if (t) return [{ type: t, via: `the IR type of @${gv.name}`, external: gv.name }];
    }
    return out;
  }

  /**
   * True when a pointer is declared `__percpu` (see {@link btfTypeTags}): a variable it is bound
   * to says so, or the field it is loaded from (`dev->pcpu_refcnt` is an `int __percpu *`), for
   * it or for a value it is a cast or a constant offset of.
   */
  declaredPercpu(v: Value, at: At): boolean {
    let cur = v;
    for (let i = 0; i < 8; i++) {
      const declared = [this.pts.debugTypeOf(cur) ?? null, ...this.boundTypes(cur, at.fn)];
      const c = stripCasts(cur);
      if (c.kind === 'instruction' && c.opcode === 'load')
        for (const f of this.fieldsAt(c.operands[0]!, at, false)) declared.push(membersAt(f.type, f.offset).at(-1)?.type ?? null);
      if (declared.some((t) => btfTypeTags(t).includes('percpu'))) return true;
      const g = gepOf(c);
      if (!g) return false;
      cur = g.operands[0]!;
    }
    return false;
  }

  /** The value an address computation starts from (its GEPs and casts walked down), when it has a GEP. */
  static baseOf(address: Value): Value | undefined {
    let v = stripCasts(address);
    let moved = false;
    for (let g = gepOf(v); g; g = gepOf(v)) {
      v = stripCasts(g.operands[0]!);
      moved = true;
    }
    return moved ? v : undefined;
  }

  /** The fields an address is by its own type (the first record with any member there), when those are function pointers. */
  functionPointerFieldsAt(address: Value, at: At): FieldRef[] {
    return this.fieldsAt(address, at, false).filter((f) => isFunctionPointerField(f.type, f.offset));
  }

  /**
   * The fields an address may be — `gep(base, c)` where base is a `T *`, or a `T *` itself
   * (offset 0) — with a function pointer there when `functionPointer`. The chain of GEPs is walked
   * from the address down to its base and each value on it is asked for its types, nearest first
   * (`tfm` in `tfm->init` is a `struct crypto_ahash *` though the GEP below it is on a
   * `struct crypto_tfm *`); the first record with a member (function pointer) at the offset wins.
   * A variable index into an array of records gives the element's record from the IR type. When
   * nothing matches and the offset falls outside the base's type, the address is a `container_of`:
   * every record that embeds the base's type where the offset lands on such a field.
   */
  fieldsAt(address: Value, at: At, functionPointer: boolean, depth = 0, startOffset = 0): FieldRef[] {
    if (depth > 12) return [];
    const matches = (t: Metadata | null | undefined, off: number): DICompositeType | undefined => {
      const r = stripQualifiers(t ?? null);
      if (!r || !isRecord(r) || off < 0) return undefined;
      return (functionPointer ? isFunctionPointerField(r, off) : membersAt(r, off).length > 0) ? r : undefined;
    };
    const ref = (r: DICompositeType, offset: number, c?: Candidate): FieldRef => ({
      type: r,
      name: typeName(r),
      offset,
      ...(c?.via ? { via: c.via } : {}),
      ...(c?.external ? { external: c.external } : {}),
    });
    // the address and each GEP base below it, with the access's offset from each
    const chain: ChainLink[] = [];
    let offset = startOffset;
    let cur = stripCasts(address);
    let irType: Type | undefined;
    for (let i = 0; ; i++) {
      chain.push({ value: cur, offset, ...(irType ? { irType } : {}) });
      const g = gepOf(cur);
      if (!g || i >= 8) break;
      const off = gepOffset(g.operands, g.sourceElementType);
      if (off === UNKNOWN) {
        // an index that is one of a few constants (`state & NUD_CONNECTED ? ops->connected_output :
        // ops->output`, folded into a select of two offsets): each of those fields
        const alts = constantAlternatives(g);
        if (alts) {
          const out = new Map<string, FieldRef>();
          for (const o of alts)
            for (const f of this.fieldsAt(g.operands[0]!, at, functionPointer, depth + 1, offset + o)) out.set(`${f.name}+${f.offset}`, f);
          if (out.size) return [...out.values()];
        }
        // a variable index: an element of an array of records, whose IR type names the record
        const e = elementOfGep(g);
        const r = e ? recordOfIrType(e.type, this.records) : undefined;
        const m = r && e ? matches(r, e.offset + offset) : undefined;
        if (m && e) return [ref(m, e.offset + offset, { type: m, via: `an element of an array of ${typeName(m)} (IR type)` })];
        break;
      }
      offset += off;
      irType = g.sourceElementType?.kind === 'struct' ? g.sourceElementType : undefined;
      cur = stripCasts(g.operands[0]!);
    }
    const typesOf = (link: ChainLink, last: boolean): Candidate[] => {
      const out: Candidate[] = [];
      if (link.value.kind === 'global') out.push(...this.globalCandidates(link.value, at, link.offset));
      out.push(...this.pointeeTypes(link.value, at, depth + 1, last).map((type) => ({ type })));
      const r = recordOfIrType(link.irType, this.records);
      if (r) out.push({ type: r, via: 'the IR type of the GEP on it' });
      // a local struct (`DEFINE_WAIT_FUNC(wait, woken_wake_function)`): the alloca's IR type
      const v = link.value;
      const a = v.kind === 'instruction' && v.opcode === 'alloca' ? recordOfIrType(v.allocatedType, this.records) : undefined;
      if (a) out.push({ type: a, via: 'the IR type of the stack slot' });
      return out;
    };
    // the nearest value with a matching type decides; of its types, a function pointer field of
    // each (`dst` bound as a `struct dst_entry *` and an `rt6_info *`) counts, any member of the first
    for (const [k, link] of chain.entries()) {
      const found = new Map<string, FieldRef>();
      for (const c of typesOf(link, k === chain.length - 1)) {
        const o = c.offset ?? link.offset;
        const r = matches(c.type, o);
        if (!r) continue;
        if (!functionPointer) return [ref(r, o, c)];
        if (!found.has(`${typeName(r)}+${o}`)) found.set(`${typeName(r)}+${o}`, ref(r, o, c));
      }
      if (found.size) return [...found.values()];
    }
    // container_of: the offset leaves the base's type, so the base is embedded in a larger record.
    // Only for a function pointer: any member would match in most records that embed a list_head
    if (!functionPointer) return [];
    for (const link of chain) {
      const out = new Map<string, FieldRef>();
      for (const c of typesOf(link, false)) {
        const inner = stripQualifiers(c.type);
        const o = c.offset ?? link.offset;
        if (!inner || !isRecord(inner)) continue;
        const size = sizeOf(inner);
        if (o >= 0 && (size === undefined || o < size)) continue;
        for (const e of this.records.embeddings.get(typeName(inner)) ?? []) {
          const outer = this.records.byName.get(e.outer);
          const m = outer ? matches(outer, e.offset + o) : undefined;
          if (m) out.set(`${e.outer}+${e.offset + o}`, ref(m, e.offset + o, { type: m, via: `container_of from ${typeName(inner)} ${o}` }));
        }
      }
      if (out.size) return [...out.values()];
    }
    return [];
  }
}

/** One step of an address's GEP chain: a value, the access's offset from it, the IR struct a GEP on it names. */
interface ChainLink {
  value: Value;
  offset: number;
  irType?: Type;
}

/** Where a value lives: the function and its module. */
interface At {
  readonly fn: Function;
  readonly pm: ProgramModule;
}

/**
 * A pointer computed inside an inlined function and used by its caller is, in kernel accessors,
 * that function's result: `skb_dst(skb)` is `(struct dst_entry *)(skb->_skb_refdst & MASK)`, an
 * integer cast no variable names, but `skb_dst` returns a `struct dst_entry *`. Only a guess, so
 * the field it leads to must still be a function pointer (see {@link isFunctionPointerField}).
 */
function inlinedReturnType(i: Instruction): Metadata | null | undefined {
  const loc = i.debugLoc;
  if (!loc?.inlinedAt) return undefined;
  const sp = enclosingSubprogram(loc.scope);
  const ret = sp?.type?.kind === 'DISubroutineType' && sp.type.types?.kind === 'tuple' ? sp.type.types.operands[0] : undefined;
  return ret ? pointeeOf(ret) : undefined;
}

/** True when the member at `offset` of `t` is a function pointer (the field a callee can be loaded from). */
function isFunctionPointerField(t: DICompositeType, offset: number): boolean {
  const m = membersAt(t, offset).at(-1);
  if (!m) return false;
  const p = pointeeOf(m.type);
  return p?.kind === 'DISubroutineType';
}

/**
 * The fields a callee pointer is loaded from, as the points-to result names them (typed objects at
 * a known offset) and as debug types recover them. Each struct in the member chain counts: a field
 * of a nested struct is also that struct's field at the inner offset.
 */
function fieldsOf(call: CallBase, fn: Located<Function>, typer: FieldTyper): FieldRef[] {
  const c = stripCasts(call.callee);
  if (c.kind !== 'instruction' || c.opcode !== 'load') return [];
  const refs: FieldRef[] = [];
  for (const { object, offset } of typer.pts.pointsTo(c.operands[0]!, fn.module)) {
    if (offset === UNKNOWN || offset < 0) continue;
    const t =
      object.kind === 'typeany'
        ? stripQualifiers(object.type)
        : object.kind === 'global'
          ? stripQualifiers(globalDebugType(object.global))
          : null;
    if (t && isRecord(t)) refs.push({ type: t, name: typeName(t), offset });
  }
  refs.push(...typer.fieldsAt(c.operands[0]!, { fn: fn.value, pm: fn.module }, true));
  const out = new Map<string, FieldRef>();
  for (const r of refs) {
    if (!isFunctionPointerField(r.type, r.offset)) continue;
    const k = `${r.name}+${r.offset}`;
    const had = out.get(k);
    // the same field found twice keeps what either way learned about it
    const { nested: _, ...rest } = had ?? r;
    out.set(k, had ? { ...rest, ...(r.via && !had.via ? { via: r.via } : {}), ...(r.external ? { external: r.external } : {}) } : r);
    let inner = r.offset;
    for (const m of membersAt(r.type, r.offset)) {
      inner -= m.offset;
      const mt = stripQualifiers(m.type);
      if (mt && isRecord(mt) && !out.has(`${typeName(mt)}+${inner}`))
        out.set(`${typeName(mt)}+${inner}`, { type: mt, name: typeName(mt), offset: inner, nested: true });
    }
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name) || a.offset - b.offset);
}

function describeField(f: FieldRef): IndirectCallField {
  const member = membersAt(f.type, f.offset)
    .map((m) => m.name)
    .join('.');
  return { type: f.name, offset: f.offset, ...(member ? { member } : {}) };
}

/** What {@link indirectCallsOf} needs beyond one function: the solved points-to and the program. */
export interface IndirectCallContext {
  readonly program: Program;
  readonly pts: PointsTo;
  /** Address-taken functions by IR signature, built once per program. */
  readonly bySignature: Map<string, Located<Function>[]>;
  /** Address-taken functions by debug prototype ({@link prototypeKey}). */
  readonly byPrototype: Map<string, Located<Function>[]>;
  /** Record types by name and where each is embedded ({@link RecordIndex}). */
  readonly records: RecordIndex;
  /** Type recovery over the program (debug types, IR struct types, `container_of`). */
  readonly typer: FieldTyper;
  /**
   * MLTA's own index of field setters, independent of points-to cells: `struct T+off` → the
   * functions the analyzed IR puts there (global initializers, typed by their debug type; stores of
   * a function into an address whose field debug types recover), each recorded at every nesting
   * level (an `rt6_info` initializer's `dst.input` is also `dst_entry+40`).
   */
  readonly setters: Map<string, Map<string, Located<Function>>>;
  /**
   * `struct T+off` → the fields whose values the analyzed IR copies into it (`up->encap_rcv =
   * cfg->encap_rcv`, a struct copy): the field holds whatever they hold (MLTA's propagation).
   */
  readonly copies: Map<string, Set<string>>;
  /**
   * `struct T+off` → a store into it of a value neither points-to nor types follow (an argument of
   * a function called from outside, an integer): the field may hold anything, so its setters do not
   * bound it. The text names one such store for the reason.
   */
  readonly opaque: Map<string, string>;
}

const fieldKey = (type: string, offset: number): string => `${type}+${offset}`;

/**
 * The key a write into `type+offset` is recorded under: the type the writer names, not the records
 * nested there — `rt->dst.input = f` through a `struct rt6_info *` is `rt6_info+40`, and reaches a
 * load of `dst_entry+40` because `rt6_info` embeds `dst_entry` ({@link fieldTargets}), but not a
 * load of `rtable.dst.input` (MLTA's outer layer).
 */
function keysOf(t: DICompositeType, offset: number): string[] {
  return [fieldKey(typeName(t), offset)];
}

/** Every record nested at byte `offset` of `t` (through every member of a union), with the offset inside it. */
function nestedRecordsAt(t: DICompositeType, offset: number, depth = 0): { name: string; offset: number }[] {
  if (depth > 16) return [];
  const out: { name: string; offset: number }[] = [];
  for (const m of membersOf(t)) {
    let mt = stripQualifiers(m.type);
    let inner = offset - m.offset;
    const size = sizeOf(mt);
    if (!size || inner < 0 || inner >= size) continue;
    if (mt?.kind === 'DICompositeType' && mt.tag === 'DW_TAG_array_type') {
      const e = stripQualifiers(mt.baseType);
      const es = sizeOf(e);
      if (!es) continue;
      inner %= es;
      mt = e;
    }
    if (!mt || !isRecord(mt)) continue;
    out.push({ name: typeName(mt), offset: inner }, ...nestedRecordsAt(mt, inner, depth + 1));
  }
  return out;
}

/** Records `f` as set into `type+offset` ({@link keysOf}). */
function addSetter(setters: IndirectCallContext['setters'], t: DICompositeType, offset: number, f: Located<Function>): void {
  for (const k of keysOf(t, offset)) {
    let m = setters.get(k);
    if (!m) setters.set(k, (m = new Map()));
    m.set(Program.keyOf(f.module, f.value), f);
  }
}

/** Walks a constant at byte `off` of an object of debug type `t`, recording every function it holds. */
function settersOfConstant(
  setters: IndirectCallContext['setters'],
  program: Program,
  pm: ProgramModule,
  t: DICompositeType,
  c: Value,
  off: number,
  depth: number,
): void {
  if (depth > 16) return;
  const k = stripCasts(c);
  if (k.kind === 'function') {
    addSetter(setters, t, off, program.resolve(pm, k) as Located<Function>);
    return;
  }
  if (k.kind === 'struct' && k.type.kind === 'struct' && k.type.elements) {
    const st = k.type;
    let o = 0;
    k.elements.forEach((e, i) => {
      const et = st.elements![i]!;
      if (!st.packed) o = alignTo(o, alignOf(et));
      settersOfConstant(setters, program, pm, t, e, off + o, depth + 1);
      o += sizeOfType(et);
    });
  } else if (k.kind === 'array' || k.kind === 'vector') {
    const es = k.elements.length ? sizeOfType(k.elements[0]!.type) : 0;
    for (const [i, e] of k.elements.entries()) settersOfConstant(setters, program, pm, t, e, off + i * es, depth + 1);
  }
}

/** The record type of a global's debug type, and whether the global is an array of such records. */
function recordOfGlobal(g: GlobalVariable): { type: DICompositeType; isArray: boolean } | undefined {
  let t = stripQualifiers(globalDebugType(g));
  const isArray = t?.kind === 'DICompositeType' && t.tag === 'DW_TAG_array_type';
  if (t?.kind === 'DICompositeType' && t.tag === 'DW_TAG_array_type') t = stripQualifiers(t.baseType);
  if (!t || !isRecord(t)) return undefined;
  return { type: t, isArray };
}

type FieldWrites = Pick<IndirectCallContext, 'setters' | 'copies' | 'opaque'>;

/** What a value stored into a function-pointer field may be: functions, copies of other fields, or something untracked. */
function storedValue(v: Value, at: At, typer: FieldTyper): { functions: Located<Function>[]; copies: string[]; opaque?: string } {
  const functions: Located<Function>[] = [];
  const copies: string[] = [];
  let opaque: string | undefined;
  for (let o of origins(v, 64)) {
    // an integer round trip (`(long)cb->done`, stored back as a pointer) is the same value
    for (let k = 0; k < 4 && o.kind === 'instruction' && (o.opcode === 'inttoptr' || o.opcode === 'ptrtoint'); k++)
      o = stripCasts(o.operands[0]!);
    if (o.kind === 'function') {
      functions.push(typer.program.resolve(at.pm, o) as Located<Function>);
      continue;
    }
    if (isNullConstant(o)) continue;
    if (o.kind === 'int' && o.value === 0n) continue;
    // points-to, where it follows the value to functions only, is the sharpest
    const pt = typer.pts.pointsTo(o, at.pm);
    if (pt.length && pt.every((p) => p.object.kind === 'function')) {
      for (const p of pt) if (p.object.kind === 'function' && p.object.fn) functions.push(p.object.fn);
      continue;
    }
    if (o.kind === 'instruction' && o.opcode === 'load') {
      const fs = typer.functionPointerFieldsAt(o.operands[0]!, at);
      if (fs.length) {
        for (const f of fs) copies.push(fieldKey(f.name, f.offset));
        continue;
      }
    }
    opaque ??=
      o.kind === 'argument'
        ? `${at.fn.name} stores its argument %${o.name}`
        : o.kind === 'instruction'
          ? `${at.fn.name} stores %${o.name || o.opcode} (${o.opcode})`
          : `${at.fn.name} stores a ${o.kind}`;
  }
  return { functions, copies, ...(opaque ? { opaque } : {}) };
}

/** Records what a store (or a copy) puts into the function-pointer field `t+offset`. */
function recordWrite(w: FieldWrites, t: DICompositeType, offset: number, what: ReturnType<typeof storedValue>): void {
  for (const f of what.functions) addSetter(w.setters, t, offset, f);
  for (const k of keysOf(t, offset)) {
    if (what.copies.length) {
      let c = w.copies.get(k);
      if (!c) w.copies.set(k, (c = new Set()));
      for (const src of what.copies) if (src !== k) c.add(src);
    }
    if (what.opaque !== undefined && !w.opaque.has(k)) w.opaque.set(k, what.opaque);
  }
}

const MEMCPY = /^(llvm\.memcpy\.|llvm\.memmove\.|memcpy$|__memcpy$|memmove$)/;

/**
 * Builds MLTA's index of function-pointer field writes over the whole program (compartment and
 * context): initializers, stores (of functions, of other fields' values, of untracked values) and
 * struct copies (`memcpy`, `*a = *b`) field by field.
 */
function fieldWritesOf(program: Program, typer: FieldTyper): FieldWrites {
  const w: FieldWrites = { setters: new Map(), copies: new Map(), opaque: new Map() };
  for (const pm of program.modules) {
    for (const g of pm.module.globals) {
      if (!g.initializer) continue;
      const r = recordOfGlobal(g);
      if (!r) continue;
      // an array of records (`inetsw6[]`, a `ctl_table[]`): every element at offset 0 of the record
      const k = stripCasts(g.initializer);
      if (r.isArray && (k.kind === 'array' || k.kind === 'vector')) {
        for (const e of k.elements) settersOfConstant(w.setters, program, pm, r.type, e, 0, 1);
      } else settersOfConstant(w.setters, program, pm, r.type, g.initializer, 0, 0);
    }
    for (const f of pm.module.functions) {
      const at = { fn: f, pm };
      for (const b of f.blocks) {
        for (const i of b.instructions) {
          if (i.opcode === 'store') {
            const v = i.operands[0]!;
            // pointers, and integers made from pointers (`(long)fn`); other stores write no function
            const isPtr = v.type.kind === 'pointer';
            if (
              !isPtr &&
              !(
                v.type.kind === 'int' &&
                v.type.bits === 64 &&
                origins(v, 16).some((o) => o.kind === 'instruction' && o.opcode === 'ptrtoint')
              )
            )
              continue;
            // a function names its field by itself; any other value only where the address's own
            // type (the first that has a member there) says it is a function pointer — asking for
            // "some type with a function pointer here" would find one for any list or buffer store
            const fn = stripCasts(v).kind === 'function';
            const fields = fn ? typer.fieldsAt(i.operands[1]!, at, true) : typer.functionPointerFieldsAt(i.operands[1]!, at);
            if (!fields.length) continue;
            const what = storedValue(v, at, typer);
            for (const field of fields) recordWrite(w, field.type, field.offset, what);
          } else if (isCallBase(i)) {
            const callee = calleeOf(i);
            const len = i.args[2];
            if (!callee || !MEMCPY.test(callee.name) || len?.kind !== 'int') continue;
            copyFields(w, i.args[0]!, i.args[1]!, Number(len.value), at, typer);
          }
        }
      }
    }
  }
  return w;
}

/** A struct copy of `len` bytes: each function-pointer field of the destination gets the source's field at the same place. */
function copyFields(w: FieldWrites, dst: Value, src: Value, len: number, at: At, typer: FieldTyper): void {
  const [d] = typer.fieldsAt(dst, at, false);
  if (!d) return;
  const [s] = typer.fieldsAt(src, at, false);
  const size = sizeOf(d.type) ?? 0;
  for (let o = d.offset; o < Math.min(d.offset + len, size); o += 8) {
    if (!isFunctionPointerField(d.type, o)) continue;
    const so = s ? s.offset + (o - d.offset) : -1;
    const what =
      s && isFunctionPointerField(s.type, so)
        ? { functions: [], copies: [fieldKey(s.name, so)] }
        : { functions: [], copies: [], opaque: `${at.fn.name} copies ${len} bytes from an untyped source into ${d.name}` };
    recordWrite(w, d.type, o, what);
  }
}

/** Every record type of the program by name, and where it embeds other records (not through arrays, whose index is unknown). */
function recordIndexOf(program: Program): RecordIndex {
  const out = new Map<string, Map<string, { outer: string; offset: number }>>();
  const byName = new Map<string, DICompositeType>();
  const seen = new Set<Metadata>();
  for (const pm of program.modules) {
    for (const md of pm.module.metadata) {
      if (md?.kind !== 'DICompositeType' || seen.has(md) || !isRecord(md) || !md.name) continue;
      seen.add(md);
      const outer = typeName(md);
      // a forward declaration has no members; the first complete definition names the type
      if (md.elements?.kind === 'tuple' && md.elements.operands.length && !byName.has(outer)) byName.set(outer, md);
      const visit = (t: DICompositeType, base: number, depth: number): void => {
        if (depth > 8) return;
        for (const m of membersOf(t)) {
          const mt = stripQualifiers(m.type);
          if (!mt || !isRecord(mt)) continue;
          const inner = typeName(mt);
          const offset = base + m.offset;
          let l = out.get(inner);
          if (!l) out.set(inner, (l = new Map()));
          l.set(`${outer}+${offset}`, { outer, offset });
          visit(mt, offset, depth + 1);
        }
      };
      visit(md, 0, 0);
    }
  }
  return { byName, embeddings: new Map([...out].map(([k, v]) => [k, [...v.values()]])) };
}

/** Indexes the program's address-taken functions by IR signature (the fallback's candidates). */
export function indirectCallContext(program: Program, pts: PointsTo): IndirectCallContext {
  const bySignature = new Map<string, Located<Function>[]>();
  const byPrototype = new Map<string, Located<Function>[]>();
  const push = (m: Map<string, Located<Function>[]>, k: string, f: Located<Function>): void => {
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    l.push(f);
  };
  for (const f of pts.addressTakenFunctions) {
    push(bySignature, functionSignature(f.value), f);
    const proto = prototypeKey(signatureTypes(f.value));
    if (proto) push(byPrototype, proto, f);
  }
  const records = recordIndexOf(program);
  const typer = new FieldTyper(program, pts, records);
  return { program, pts, bySignature, byPrototype, records, typer, ...fieldWritesOf(program, typer) };
}

/**
 * What the fields a callee is loaded from may hold (MLTA): the functions stored into each field —
 * of any object of its type, or of a record embedding it (a cell per place) — and, transitively, into
 * the fields copied into it; `opaque` names stores of values nothing follows, which leave it open.
 * A field written only with NULL or with copies of unwritten fields holds no known function.
 */
function fieldTargets(ctx: IndirectCallContext, fields: readonly FieldRef[]): { functions: Located<Function>[]; opaque: string[] } {
  const functions = new Map<string, Located<Function>>();
  const opaque = new Set<string>();
  const seen = new Set<string>();
  const work: { outer: string; offset: number }[] = [];
  // a load through `L+o` reads what was written through L, through any record embedding L, and
  // through any record nested in L at o (a write through the inner type alone may be this one)
  const cellsOf = (name: string, offset: number, type?: DICompositeType): void => {
    const t = type ?? ctx.records.byName.get(name);
    for (const cell of [
      { outer: name, offset },
      ...(ctx.records.embeddings.get(name) ?? []).map((e) => ({ outer: e.outer, offset: e.offset + offset })),
      ...(t ? nestedRecordsAt(t, offset) : []).map((n) => ({ outer: n.name, offset: n.offset })),
    ]) {
      const k = fieldKey(cell.outer, cell.offset);
      if (seen.has(k)) continue;
      seen.add(k);
      work.push(cell);
    }
  };
  for (const f of fields) if (!f.nested) cellsOf(f.name, f.offset, f.type);
  for (let cell = work.pop(); cell; cell = work.pop()) {
    const k = fieldKey(cell.outer, cell.offset);
    for (const f of [...(ctx.setters.get(k)?.values() ?? []), ...ctx.pts.functionsInField(cell.outer, cell.offset).functions])
      functions.set(Program.keyOf(f.module, f.value), f);
    const o = ctx.opaque.get(k);
    if (o !== undefined) opaque.add(o);
    for (const src of ctx.copies.get(k) ?? []) {
      const at = src.lastIndexOf('+');
      cellsOf(src.slice(0, at), Number(src.slice(at + 1)));
    }
  }
  return { functions: [...functions.values()], opaque: [...opaque] };
}

const targetOf = (f: Located<Function>): { symbol: string; module: string } => ({ symbol: f.value.name, module: f.module.name });

/** Every indirect call of one compartment function, with its target set. */
export function indirectCallsOf(fn: Located<Function>, ctx: IndirectCallContext): IndirectCall[] {
  const out: IndirectCall[] = [];
  let index = 0;
  for (const b of fn.value.blocks) {
    for (const inst of b.instructions) {
      if (!isCallBase(inst)) continue;
      const k = index++;
      if (!isIndirectCall(inst)) continue;
      const targets = new Map<string, { symbol: string; module: string }>();
      const add = (f: Located<Function>): void => {
        const t = targetOf(f);
        targets.set(`${t.module}\0${t.symbol}`, t);
      };
      // what points-to says the callee may be
      let lost = false;
      for (const { object } of ctx.pts.pointsTo(inst.callee, fn.module)) {
        if (object.kind === 'function') {
          if (object.fn) add(object.fn);
          else {
            // a function only external facts (a context summary) know: named by its key
            const sep = object.key.indexOf('::');
            const t =
              sep < 0
                ? { symbol: object.key, module: '(context summary)' }
                : { symbol: object.key.slice(sep + 2), module: object.key.slice(0, sep) };
            targets.set(`${t.module}\0${t.symbol}`, t);
          }
        } else if (object.kind === 'unknown' || object.kind === 'typeany') lost = true;
      }
      const fields = fieldsOf(inst, fn, ctx.typer);
      const described = fields.map(describeField);
      const vias = [...new Set(fields.map((f) => f.via).filter((v) => v !== undefined))];
      const fieldText =
        described.map((f) => `${f.type}+${f.offset}${f.member ? ` (${f.member})` : ''}`).join(', ') +
        (vias.length ? ` (recovered by ${vias.join('; ')})` : '');
      const reasons: IndirectCallReason[] = [];
      const protos = [...new Set(fields.map((f) => fieldPrototype(f.type, f.offset)).filter((p) => p !== undefined))];
      let protoFrom = '';
      if (!protos.length) {
        const own = calleePrototype(inst, fn, ctx.typer);
        if (own) {
          protos.push(own.prototype);
          protoFrom = ` (the prototype from ${own.from})`;
        }
      }
      // a field of a global the analyzed IR only declares: its initializer, unseen, may hold anything
      const external = [...new Set(fields.map((f) => f.external).filter((g) => g !== undefined))];
      const sig = signatureKey(inst.functionType.returnType, inst.functionType.params, inst.functionType.varArg);
      if (lost || targets.size === 0) {
        // the pointer also comes from where points-to cannot follow; the field it is loaded from
        // (its type recovered from debug info) still bounds it, if analyzed code writes that field
        const held = external.length ? { functions: [], opaque: [] } : fieldTargets(ctx, fields);
        for (const t of held.functions) add(t);
        if (held.functions.length && !held.opaque.length) {
          reasons.push({
            kind: 'field-type',
            detail: `loaded from ${fieldText}: every function the analyzed IR stores into that field of any such object; setters outside it are not seen`,
          });
        } else {
          // signature matching: by the field's debug prototype where debug info gives one (as kCFI
          // compares types), else by the IR signature the call states
          const before = targets.size;
          if (protos.length) for (const p of protos) for (const f of ctx.byPrototype.get(p) ?? []) add(f);
          else for (const f of ctx.bySignature.get(sig) ?? []) add(f);
          const where = external.length
            ? `loaded from ${fieldText} of ${external.map((g) => `@${g}`).join(', ')}, defined outside the analyzed IR (its initializer is not seen)`
            : held.opaque.length
              ? `loaded from ${fieldText}, into which analyzed code also stores values the analysis cannot follow (${held.opaque.slice(0, 2).join('; ')}${held.opaque.length > 2 ? '; …' : ''}); besides its ${held.functions.length} known setters`
              : fields.length > 0
                ? `loaded from ${fieldText}, into which no analyzed code stores a function`
                : 'a pointer whose origin neither points-to nor debug types recover';
          reasons.push({
            kind: before === 0 ? 'signature-only' : 'signature-added',
            detail: `${where}: every address-taken function of the analyzed IR with ${protos.length ? `prototype ${protos.join(' or ')}${protoFrom}` : `IR signature ${sig}`}`,
          });
        }
      } else if (fields.length > 0) {
        reasons.push({
          kind: 'field-setters',
          detail: `the functions the analyzed IR stores into ${fieldText}; setters outside it are not seen`,
        });
      }
      out.push({
        id: `${fn.module.name}:${fn.value.name}:icall${k}`,
        module: fn.module.name,
        function: fn.value.name,
        location: framesOf(inst.debugLoc),
        signature: sig,
        ...(protos.length === 1 ? { prototype: protos[0] } : {}),
        ...(described.length ? { fields: described } : {}),
        targets: [...targets.values()].sort((a, b) => a.symbol.localeCompare(b.symbol) || a.module.localeCompare(b.module)),
        reasons,
      });
    }
  }
  return out;
}

/** Figures over the indirect calls of a policy: what `bench:icall` and the analyze summary print. */
export interface IndirectCallStats {
  sites: number;
  mean: number;
  median: number;
  p90: number;
  max: number;
  /** Share of sites whose set is the signature fallback alone (0..1). */
  signatureOnly: number;
  /** Share of sites whose set had the fallback added to points-to targets (0..1). */
  signatureAdded: number;
}

export function indirectCallStats(calls: readonly IndirectCall[]): IndirectCallStats {
  const sizes = calls.map((c) => c.targets.length).sort((a, b) => a - b);
  const share = (kind: IndirectCallReason['kind']): number =>
    calls.length ? calls.filter((c) => c.reasons.some((r) => r.kind === kind)).length / calls.length : 0;
  return {
    sites: calls.length,
    mean: sizes.length ? sizes.reduce((a, b) => a + b, 0) / sizes.length : 0,
    median: percentile(sizes, 0.5),
    p90: percentile(sizes, 0.9),
    max: sizes[sizes.length - 1] ?? 0,
    signatureOnly: share('signature-only'),
    signatureAdded: share('signature-added'),
  };
}
