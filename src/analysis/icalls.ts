// Indirect calls (issue 16): for every call of the compartment through a function pointer, the
// functions it may call, with the reason for any widening. The target set is the points-to
// result for the callee operand. A function-pointer field is a type-field cell (`T:proto@0x40`:
// what any `struct proto` object's field may hold), so a pointer loaded from a field gets every
// function whose address the analyzed IR stores into that field of any object of that type —
// initializers of `const struct …_ops` globals, stores, copies of ops structs. That is the first
// layer of multi-layer type analysis (MLTA); outer layers narrow nothing further here because the
// cell is shared by type. Where the pointer comes from somewhere the analysis cannot follow (a
// field no analyzed code writes, a pointer from outside the program), the set falls back to
// signature matching over the address-taken functions, and says so.
import type { CallBase, Instruction } from '../ir/instructions.js';
import { type DICompositeType, enclosingSubprogram } from '../ir/debuginfo.js';
import type { Metadata } from '../ir/metadata.js';
import { isCallBase } from '../ir/instructions.js';
import { type Type, typeToString } from '../ir/types.js';
import type { Function, GlobalVariable, Value } from '../ir/values.js';
import type { IndirectCall, IndirectCallField, IndirectCallReason } from '../policy/schema.js';
import { boundVariables, globalDebugType, signatureTypes } from './debugvars.js';
import { isRecord, membersAt, membersOf, pointeeOf, stripQualifiers, typeName } from './ditypes.js';
import { calleeOf, stripCasts } from './flow.js';
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
  return typeName(t);
}

/** A C prototype from debug types (`int (struct sk_buff *)`), the way kCFI compares functions: return and parameter types, typedefs looked through. */
function prototypeKey(types: readonly (Metadata | null)[] | undefined): string | undefined {
  if (!types?.length) return undefined;
  return `${canonicalName(types[0])} (${types
    .slice(1)
    .map((t) => (t === null ? '...' : canonicalName(t)))
    .join(', ')})`;
}

/** The prototype of the function-pointer member at `offset` of `t`, if debug info describes it. */
function fieldPrototype(t: DICompositeType, offset: number): string | undefined {
  const p = pointeeOf(membersAt(t, offset).at(-1)?.type ?? null);
  return p?.kind === 'DISubroutineType' && p.types?.kind === 'tuple' ? prototypeKey(p.types.operands) : undefined;
}

/**
 * The prototype of the callee pointer itself, when a variable or parameter holding it has a
 * function-pointer debug type (`int (*callback)(struct calipso_doi *, void *)`).
 */
function calleePrototype(call: CallBase, fn: Function, pts: PointsTo): string | undefined {
  const c = stripCasts(call.callee);
  const types: (Metadata | null | undefined)[] = [
    pts.debugTypeOf(call.callee),
    pts.debugTypeOf(c),
    ...boundTypes(call.callee, fn),
    ...boundTypes(c, fn),
  ];
  if (c.kind === 'argument') types.push(signatureTypes(fn)?.[fn.arguments.indexOf(c) + 1]);
  for (const t of types) {
    const p = t ? pointeeOf(t) : undefined;
    if (p?.kind === 'DISubroutineType' && p.types?.kind === 'tuple') return prototypeKey(p.types.operands);
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
}

const boundCache = new WeakMap<Function, Map<Value, { type: Metadata | null }[]>>();

/** Every variable a value is bound to: `sk` and `up = udp_sk(sk)` are one SSA value with two types. */
function boundTypes(v: Value, fn: Function): (Metadata | null)[] {
  let m = boundCache.get(fn);
  if (!m) boundCache.set(fn, (m = boundVariables(fn)));
  return (m.get(v) ?? []).map((b) => b.type);
}

/**
 * The debug types a pointer value may point to, best first, recovered the way multi-layer type
 * analysis does: the variables it is bound to (all of them: a `container_of` of offset 0 is the same
 * value under another type), a parameter's or a callee's declared type, or — for a pointer loaded
 * from a field — the field's declared type (`dev->netdev_ops` is a `const struct net_device_ops *`
 * because `struct net_device` says so at that offset).
 */
function pointeeTypes(v: Value, fn: Function, pts: PointsTo, depth = 0): Metadata[] {
  if (depth > 12) return [];
  const out: Metadata[] = [];
  const push = (t: Metadata | null | undefined): void => {
    const p = t ? pointeeOf(t) : undefined;
    if (p && !out.includes(p)) out.push(p);
  };
  push(pts.debugTypeOf(v));
  for (const t of boundTypes(v, fn)) push(t);
  const c = stripCasts(v);
  if (c !== v) {
    for (const t of pointeeTypes(c, fn, pts, depth + 1)) if (!out.includes(t)) out.push(t);
    return out;
  }
  if (c.kind === 'argument') {
    const i = fn.arguments.indexOf(c);
    push(i >= 0 ? signatureTypes(fn)?.[i + 1] : undefined);
  } else if (c.kind === 'instruction') {
    if (c.opcode === 'load') {
      const f = fieldAt(c.operands[0]!, fn, pts, false, depth + 1);
      push(f ? (membersAt(f.type, f.offset).at(-1)?.type ?? null) : undefined);
    } else if (isCallBase(c)) {
      const callee = calleeOf(c);
      push(callee ? signatureTypes(callee)?.[0] : undefined);
    } else if (c.opcode === 'phi' || c.opcode === 'select') {
      for (const o of c.opcode === 'select' ? c.operands.slice(1) : c.operands)
        for (const t of pointeeTypes(o, fn, pts, depth + 1)) if (!out.includes(t)) out.push(t);
    }
    if (!out.length) {
      const r = inlinedReturnType(c);
      if (r && !out.includes(r)) out.push(r);
    }
  }
  return out;
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
 * The struct field an address points to: `gep(base, c)` where base is a `T *`, or a `T *` itself
 * (offset 0). Of the base's candidate types, the first that has a member at that offset — a function
 * pointer when `functionPointer` — wins.
 */
function fieldAt(address: Value, fn: Function, pts: PointsTo, functionPointer: boolean, depth = 0): FieldRef | undefined {
  let offset = 0;
  let cur = stripCasts(address);
  for (let i = 0; i < 8 && cur.kind === 'instruction' && cur.opcode === 'getelementptr'; i++) {
    const off = gepOffset(cur.operands, cur.sourceElementType);
    if (off === UNKNOWN) return undefined;
    offset += off;
    cur = stripCasts(cur.operands[0]!);
  }
  // a negative offset is container_of: the field of some enclosing struct the base does not name
  if (offset < 0) return undefined;
  for (const candidate of pointeeTypes(cur, fn, pts, depth + 1)) {
    const t = stripQualifiers(candidate);
    if (!t || !isRecord(t)) continue;
    if (functionPointer ? isFunctionPointerField(t, offset) : membersAt(t, offset).length > 0)
      return { type: t, name: typeName(t), offset };
  }
  return undefined;
}

/**
 * The fields a callee pointer is loaded from, as the points-to result names them (typed objects at
 * a known offset) and as debug types recover them. Each struct in the member chain counts: a field
 * of a nested struct is also that struct's field at the inner offset.
 */
function fieldsOf(call: CallBase, fn: Located<Function>, pts: PointsTo): FieldRef[] {
  const c = stripCasts(call.callee);
  if (c.kind !== 'instruction' || c.opcode !== 'load') return [];
  const refs: FieldRef[] = [];
  for (const { object, offset } of pts.pointsTo(c.operands[0]!, fn.module)) {
    if (offset === UNKNOWN || offset < 0) continue;
    const t =
      object.kind === 'typeany'
        ? stripQualifiers(object.type)
        : object.kind === 'global'
          ? stripQualifiers(globalDebugType(object.global))
          : null;
    if (t && isRecord(t)) refs.push({ type: t, name: typeName(t), offset });
  }
  const typed = fieldAt(c.operands[0]!, fn.value, pts, true);
  if (typed) refs.push(typed);
  const out = new Map<string, FieldRef>();
  for (const r of refs) {
    if (!isFunctionPointerField(r.type, r.offset)) continue;
    out.set(`${r.name}+${r.offset}`, r);
    let inner = r.offset;
    for (const m of membersAt(r.type, r.offset)) {
      inner -= m.offset;
      const mt = stripQualifiers(m.type);
      if (mt && isRecord(mt)) out.set(`${typeName(mt)}+${inner}`, { type: mt, name: typeName(mt), offset: inner });
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
  /**
   * Record type name → the record types that embed it and at which byte offset (transitively):
   * `route.c` stores `rt->dst.input = ip6_input` into a `struct rt6_info`, whose cell is
   * `rt6_info+40`, and `dst_input` loads `dst_entry+40`; both are the same field.
   */
  readonly embeddings: Map<string, { outer: string; offset: number }[]>;
  /**
   * MLTA's own index of field setters, independent of points-to cells: `struct T+off` → the
   * functions the analyzed IR puts there (global initializers, typed by their debug type; stores of
   * a function into an address whose field debug types recover), each recorded at every nesting
   * level (an `rt6_info` initializer's `dst.input` is also `dst_entry+40`).
   */
  readonly setters: Map<string, Map<string, Located<Function>>>;
}

const fieldKey = (type: string, offset: number): string => `${type}+${offset}`;

/** Records `f` as set into `type+offset` and into every record nested at that offset. */
function addSetter(setters: IndirectCallContext['setters'], t: DICompositeType, offset: number, f: Located<Function>): void {
  const put = (name: string, off: number): void => {
    const k = fieldKey(name, off);
    let m = setters.get(k);
    if (!m) setters.set(k, (m = new Map()));
    m.set(Program.keyOf(f.module, f.value), f);
  };
  put(typeName(t), offset);
  let inner = offset;
  for (const m of membersAt(t, offset)) {
    inner -= m.offset;
    const mt = stripQualifiers(m.type);
    if (mt && isRecord(mt)) put(typeName(mt), inner);
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

/** Builds the setter index over the whole program (compartment and context). */
function settersOf(program: Program, pts: PointsTo): IndirectCallContext['setters'] {
  const setters: IndirectCallContext['setters'] = new Map();
  for (const pm of program.modules) {
    for (const g of pm.module.globals) {
      if (!g.initializer) continue;
      const r = recordOfGlobal(g);
      if (!r) continue;
      // an array of records (`inetsw6[]`, a `ctl_table[]`): every element at offset 0 of the record
      const k = stripCasts(g.initializer);
      if (r.isArray && (k.kind === 'array' || k.kind === 'vector')) {
        for (const e of k.elements) settersOfConstant(setters, program, pm, r.type, e, 0, 1);
      } else settersOfConstant(setters, program, pm, r.type, g.initializer, 0, 0);
    }
    for (const f of pm.module.functions) {
      for (const b of f.blocks) {
        for (const i of b.instructions) {
          if (i.opcode !== 'store') continue;
          const v = stripCasts(i.operands[0]!);
          if (v.kind !== 'function') continue;
          const field = fieldAt(i.operands[1]!, f, pts, true);
          if (field) addSetter(setters, field.type, field.offset, program.resolve(pm, v) as Located<Function>);
        }
      }
    }
  }
  return setters;
}

/** Every record type of the program and where it embeds other records (not through arrays, whose index is unknown). */
function embeddingsOf(program: Program): Map<string, { outer: string; offset: number }[]> {
  const out = new Map<string, Map<string, { outer: string; offset: number }>>();
  const seen = new Set<Metadata>();
  for (const pm of program.modules) {
    for (const md of pm.module.metadata) {
      if (md?.kind !== 'DICompositeType' || seen.has(md) || !isRecord(md) || !md.name) continue;
      seen.add(md);
      const outer = typeName(md);
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
  return new Map([...out].map(([k, v]) => [k, [...v.values()]]));
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
  return { program, pts, bySignature, byPrototype, embeddings: embeddingsOf(program), setters: settersOf(program, pts) };
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
        if (object.kind === 'function') add(object.fn);
        else if (object.kind === 'unknown' || object.kind === 'typeany') lost = true;
      }
      const fields = fieldsOf(inst, fn, ctx.pts);
      const described = fields.map(describeField);
      const fieldText = described.map((f) => `${f.type}+${f.offset}${f.member ? ` (${f.member})` : ''}`).join(', ');
      const reasons: IndirectCallReason[] = [];
      const protos = [...new Set(fields.map((f) => fieldPrototype(f.type, f.offset)).filter((p) => p !== undefined))];
      if (!protos.length) {
        const own = calleePrototype(inst, fn.value, ctx.pts);
        if (own) protos.push(own);
      }
      const sig = signatureKey(inst.functionType.returnType, inst.functionType.params, inst.functionType.varArg);
      if (lost || targets.size === 0) {
        // the pointer also comes from where points-to cannot follow; the field it is loaded from
        // (its type recovered from debug info) still bounds it, if analyzed code writes that field
        let written = false;
        for (const f of fields) {
          const cells = [
            { outer: f.name, offset: f.offset },
            ...(ctx.embeddings.get(f.name) ?? []).map((e) => ({ outer: e.outer, offset: e.offset + f.offset })),
          ];
          for (const cell of cells) {
            // a field written only with values other than functions (copies the analysis lost,
            // NULL) bounds nothing: it counts as unwritten
            const r = ctx.pts.functionsInField(cell.outer, cell.offset);
            const set = [...(ctx.setters.get(fieldKey(cell.outer, cell.offset))?.values() ?? []), ...r.functions];
            if (set.length) written = true;
            for (const t of set) add(t);
          }
        }
        if (written) {
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
          const where =
            fields.length > 0
              ? `loaded from ${fieldText}, into which no analyzed code stores a function`
              : 'a pointer whose origin neither points-to nor debug types recover';
          reasons.push({
            kind: before === 0 ? 'signature-only' : 'signature-added',
            detail: `${where}: every address-taken function of the analyzed IR with ${protos.length ? `prototype ${protos.join(' or ')}` : `IR signature ${sig}`}`,
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
  const at = (p: number): number => (sizes.length ? sizes[Math.min(sizes.length - 1, Math.floor(p * (sizes.length - 1)))]! : 0);
  const share = (kind: IndirectCallReason['kind']): number =>
    calls.length ? calls.filter((c) => c.reasons.some((r) => r.kind === kind)).length / calls.length : 0;
  return {
    sites: calls.length,
    mean: sizes.length ? sizes.reduce((a, b) => a + b, 0) / sizes.length : 0,
    median: at(0.5),
    p90: at(0.9),
    max: sizes[sizes.length - 1] ?? 0,
    signatureOnly: share('signature-only'),
    signatureAdded: share('signature-added'),
  };
}
