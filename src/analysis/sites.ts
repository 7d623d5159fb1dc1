// Allocation sites (DESIGN.md §3): every call of an allocator — from the table,
// or a wrapper found to a fixpoint — with its kind, cache, size and the type
// of the object it returns, and the evidence for that type. Named caches:
// `kmem_cache_create*` results stored to a global or a global's field name
// that cache; allocations from a load of that location are from it.
import type { DILocation } from '../ir/debuginfo.js';
import { enclosingSubprogram, inlineChain, locationChain } from '../ir/debuginfo.js';
import type { CallBase, Instruction } from '../ir/instructions.js';
import { isCallBase } from '../ir/instructions.js';
import type { Metadata } from '../ir/metadata.js';
import type { Function, Value } from '../ir/values.js';
import type { AllocationSite, Cache, ObjectType, SourceFrame, TypeEvidence } from '../policy/schema.js';
import type { Allocator, AllocatorTable } from './allocators.js';
import { isRecord, membersAt, pointeeOf, pointerTypesAt, sizeOf, stripQualifiers, typeName } from './ditypes.js';
import { type BoundVariable, boundVariables, globalDebugType, signatureTypes } from './debugvars.js';
import { calleeOf, origins, stripCasts, UseMap } from './flow.js';
import { gepOffset, UNKNOWN } from './layout.js';
import { type Located, Program, type ProgramModule } from './program.js';
import type { Type } from '../ir/types.js';
import { exprOfValue, factorOf, factorOfSize, renderSize, sameSize, type SizeExpr, substitute, tableSizeExpr } from './sizes.js';

/** Policy source frames of an instruction's location (innermost first). */
export function framesOf(loc: DILocation | undefined): SourceFrame[] {
  if (!loc) return [];
  return locationChain(loc).map((f) => ({ file: f.file ?? '', line: f.line, column: f.column, function: f.function ?? '' }));
}

/**
 * The frame of the call as a developer wrote it: the innermost frame outside
 * `include/` (allocators such as `kmalloc` and `alloc_skb` are inline helpers
 * of the headers), else the outermost frame.
 */
export function writtenCallFrame(location: readonly SourceFrame[]): SourceFrame | undefined {
  return location.find((f) => !/(^|\/)include\//.test(f.file)) ?? location[location.length - 1];
}

/** A wrapper: a defined function that returns what an allocator returned. */
export interface Wrapper {
  readonly function: Located<Function>;
  /**
   * Its entry as an allocator: the inner allocator's kind and return, with every argument index
   * (cache, gfp, copiesFrom, …) moved to the wrapper parameter the inner call receives there, and
   * dropped when the inner call receives something else.
   */
  readonly allocator: Allocator;
  /** The allocator (or inner wrapper) whose result it returns. */
  readonly wraps: string;
  /** The size the inner allocator receives, over the wrapper's parameters; undefined when not built from them. */
  readonly size: SizeExpr | undefined;
  /** Bytes into the allocated object the returned pointer points (0: the object itself). */
  readonly offset: number | 'unknown';
}

/** An allocator as seen at one call: its entry, its size over the call's arguments, the offset it returns at. */
interface CallAllocator {
  a: Allocator;
  name: string;
  size: SizeExpr | undefined;
  offset: number | 'unknown';
  wrapper?: Wrapper;
}

const INDEX_FIELDS = ['cache', 'gfp', 'copiesFrom', 'sizeFromString', 'caller'] as const;

/** Finds wrappers to a fixpoint: a function returning a wrapper's result is a wrapper too. */
export function findWrappers(program: Program, table: AllocatorTable): Map<string, Wrapper> {
  const wrappers = new Map<string, Wrapper>();
  const allocatorFor = (call: CallBase, pm: ProgramModule): CallAllocator | undefined => {
    const f = calleeOf(call);
    if (!f) return undefined;
    const def = program.definitionOf(pm, f);
    const w = def && wrappers.get(Program.keyOf(def.module, def.value));
    if (w) return { a: w.allocator, name: def!.value.name, size: w.size, offset: w.offset, wrapper: w };
    const direct = table.get(f.name);
    return direct ? { a: direct, name: f.name, size: tableSizeExpr(direct), offset: 0 } : undefined;
  };
  for (let changed = true, rounds = 0; changed && rounds < 64; rounds++) {
    changed = false;
    for (const fn of program.definedFunctions()) {
      const key = Program.keyOf(fn.module, fn.value);
      if (wrappers.has(key) || coversTable(table.get(fn.value.name), fn.value)) continue;
      if (fn.value.functionType.returnType.kind !== 'pointer' && fn.value.functionType.returnType.kind !== 'int') continue;
      // a wrapper returns fresh memory only: every origin of every returned value is an
      // allocation (or a constant such as NULL / ERR_PTR); a lookup that may return an
      // existing object is not a wrapper, else the run time would record old objects as new
      const found: { ca: CallAllocator; call: CallBase; ret: Value }[] = [];
      let fresh = true;
      for (const b of fn.value.blocks) {
        const t = b.terminator;
        if (t?.opcode !== 'ret' || !t.returnValue) continue;
        for (const o of origins(t.returnValue)) {
          const a = o.kind === 'instruction' && isCallBase(o) ? allocatorFor(o, fn.module) : undefined;
          if (a) found.push({ ca: a, call: o as CallBase, ret: t.returnValue });
          else if (!isConstantOrigin(o)) fresh = false;
        }
      }
      if (!fresh || !found.length) continue;
      const first = found[0]!;
      // an `unsigned long` returned is only an allocation for page-address allocators
      if (fn.value.functionType.returnType.kind === 'int' && first.ca.a.returns !== 'address') continue;
      // the size and argument indices the inner call receives, over this function's parameters
      const sizes = found.map((x) => (x.ca.size ? substitute(x.ca.size, (i) => argExpr(x.call, i, fn.value)) : undefined));
      const size = sizes.every((z) => sameSize(z, sizes[0])) ? sizes[0] : undefined;
      const offsets = found.map((x) => addOffsets(offsetTo(x.ret, x.call), x.ca.offset));
      const offset = offsets.every((o) => o === offsets[0]) ? offsets[0]! : 'unknown';
      const { name: _n, note: _o, size: _s, count: _c, order: _r, ...rest } = first.ca.a;
      const allocator: Allocator = { ...rest, name: fn.value.name, note: `wrapper of ${first.ca.name}` };
      // a wrapper returns a string only when every allocation it may return is one
      if (!found.every((x) => x.ca.a.contents === first.ca.a.contents)) delete allocator.contents;
      for (const f of INDEX_FIELDS) {
        const k = first.ca.a[f];
        delete allocator[f];
        if (k === undefined) continue;
        const j = parameterIndex(first.call.args[k], fn.value);
        if (j !== undefined && found.every((x) => x.ca.a[f] !== undefined && parameterIndex(x.call.args[x.ca.a[f]!], fn.value) === j))
          allocator[f] = j;
      }
      if (size?.k === 'arg') allocator.size = size.i;
      wrappers.set(key, { function: fn, allocator, wraps: first.ca.name, size, offset });
      changed = true;
    }
  }
  return wrappers;
}

/**
 * A definition named like a table allocator is that allocator when it has the table's
 * arguments; a local copy the optimizer specialised (`alloc_pages_node(i32 %nid)` with its
 * constant arguments removed) is analysed as a wrapper instead.
 */
function coversTable(a: Allocator | undefined, fn: Function): boolean {
  if (!a) return false;
  const used = [a.size, a.count, a.cache, a.order, a.gfp, a.copiesFrom, a.sizeFromString, a.caller].filter(
    (x): x is number => x !== undefined,
  );
  return used.every((i) => i < fn.arguments.length);
}

/** Argument `i` of a call as an expression over the parameters of the calling function. */
function argExpr(call: CallBase, i: number, fn: Function): SizeExpr | undefined {
  const a = call.args[i];
  return a ? exprOfValue(a, fn) : undefined;
}

/** The parameter of `fn` a value is (through casts and integer extensions), if any. */
function parameterIndex(v: Value | undefined, fn: Function): number | undefined {
  let cur = v;
  for (let i = 0; cur && i < 8; i++) {
    cur = stripCasts(cur);
    if (cur.kind === 'argument') {
      const k = fn.arguments.indexOf(cur);
      return k >= 0 ? k : undefined;
    }
    if (
      cur.kind === 'instruction' &&
      (cur.opcode === 'zext' ||
        cur.opcode === 'sext' ||
        cur.opcode === 'trunc' ||
        cur.opcode === 'ptrtoint' ||
        cur.opcode === 'ptrtoaddr' ||
        cur.opcode === 'inttoptr')
    ) {
      cur = cur.operands[0];
      continue;
    }
    return undefined;
  }
  return undefined;
}

function addOffsets(a: number | 'unknown' | undefined, b: number | 'unknown'): number | 'unknown' {
  return a === undefined || a === 'unknown' || b === 'unknown' ? 'unknown' : a + b;
}

/**
 * How many bytes past `target` a returned value `v` points (through casts, constant GEPs, phis and
 * selects whose other inputs are constants); `unknown` for a variable offset or disagreeing paths.
 */
export function offsetTo(v: Value, target: Value, depth = 0): number | 'unknown' | undefined {
  if (v === target) return 0;
  if (depth > 32) return undefined;
  if (
    (v.kind === 'instruction' || v.kind === 'expr') &&
    (v.opcode === 'bitcast' || v.opcode === 'addrspacecast' || v.opcode === 'freeze')
  ) {
    return offsetTo(v.operands[0]!, target, depth + 1);
  }
  if ((v.kind === 'instruction' || v.kind === 'expr') && v.opcode === 'getelementptr') {
    const inner = offsetTo(v.operands[0]!, target, depth + 1);
    if (inner === undefined) return undefined;
    const o = constantGepOffset(v.operands as Value[], v.sourceElementType);
    return inner === 'unknown' || o === undefined ? 'unknown' : inner + o;
  }
  if (v.kind === 'instruction' && (v.opcode === 'phi' || v.opcode === 'select')) {
    const ins = v.opcode === 'select' ? [v.operands[1]!, v.operands[2]!] : v.operands;
    let out: number | 'unknown' | undefined;
    for (const x of ins) {
      const o = offsetTo(x, target, depth + 1);
      if (o === undefined) continue;
      out = out === undefined || out === o ? o : 'unknown';
    }
    return out;
  }
  return undefined;
}

/** NULL, undef, an integer or an `inttoptr` of a constant (ERR_PTR): not memory of its own. */
function isConstantOrigin(v: Value): boolean {
  if (v.kind === 'null' || v.kind === 'undef' || v.kind === 'poison' || v.kind === 'int' || v.kind === 'zeroinitializer') return true;
  if (v.kind === 'expr') return v.operands.every(isConstantOrigin);
  if (v.kind === 'instruction' && (v.opcode === 'inttoptr' || v.opcode === 'select' || v.opcode === 'phi')) return false;
  return false;
}

/** A string constant argument (`ptr @.str` / a GEP into it), decoded without its NUL. */
function stringArg(v: Value | undefined): string | undefined {
  if (!v) return undefined;
  let c = stripCasts(v);
  if (c.kind === 'expr' && c.opcode === 'getelementptr') c = stripCasts(c.operands[0]!);
  if (c.kind !== 'global' || !c.initializer || c.initializer.kind !== 'data') return undefined;
  const bytes = c.initializer.bytes;
  const end = bytes.indexOf(0);
  return Buffer.from(bytes.subarray(0, end < 0 ? bytes.length : end)).toString('utf8');
}

/** `@g` or `@g+off` for a pointer to a global or a constant offset into one. */
export function globalLocation(v: Value, module: ProgramModule, program: Program): string | undefined {
  let off = 0;
  let cur = v;
  for (let i = 0; i < 8; i++) {
    cur = stripCasts(cur);
    if ((cur.kind === 'expr' || cur.kind === 'instruction') && cur.opcode === 'getelementptr') {
      const o = constantGepOffset(cur.operands as Value[], cur.sourceElementType);
      if (o === undefined) return undefined;
      off += o;
      cur = cur.operands[0]!;
      continue;
    }
    break;
  }
  if (cur.kind !== 'global') return undefined;
  const def = program.resolve(module, cur);
  const key = Program.keyOf(def.module, def.value);
  return off ? `@${key}+${off}` : `@${key}`;
}

/** Byte offset of a GEP with constant indices (any source type); undefined otherwise. */
function constantGepOffset(ops: Value[], src: Type | undefined): number | undefined {
  const o = gepOffset(ops, src);
  return o === UNKNOWN ? undefined : o;
}

/** Caches created in the program and the location that holds each. */
export function findCaches(program: Program): Map<string, Cache> {
  const byHolder = new Map<string, Cache>();
  for (const fn of program.definedFunctions()) {
    let uses: UseMap | undefined;
    for (const b of fn.value.blocks) {
      for (const i of b.instructions) {
        if (!isCallBase(i)) continue;
        const callee = calleeOf(i);
        if (!callee || !/^(__)?kmem_cache_create(_usercopy)?(_noprof)?$/.test(callee.name)) continue;
        const name = stringArg(i.args[0]);
        if (name === undefined) continue;
        uses ??= new UseMap(fn.value);
        const size = i.args[1]?.kind === 'int' ? Number(i.args[1].value) : undefined;
        for (const holder of storedTo(i, uses, fn.module, program)) {
          byHolder.set(holder, { name, holder, ...(size !== undefined ? { objectSize: size } : {}), createdAt: framesOf(i.debugLoc) });
        }
      }
    }
  }
  return byHolder;
}

/** Global locations a value is stored to (directly or through phi / casts). */
function storedTo(v: Instruction, uses: UseMap, module: ProgramModule, program: Program): string[] {
  const out: string[] = [];
  const work: Value[] = [v];
  const seen = new Set<Value>();
  while (work.length) {
    const cur = work.pop()!;
    if (seen.has(cur) || seen.size > 64) continue;
    seen.add(cur);
    for (const u of uses.of(cur)) {
      if (u.opcode === 'store' && u.value === cur) {
        const g = globalLocation(u.pointer, module, program);
        if (g) out.push(g);
      } else if (u.opcode === 'phi' || u.opcode === 'select' || u.opcode === 'bitcast') {
        work.push(u);
      }
    }
  }
  return out;
}

/** IR struct name → the name a developer reads (`%struct.sk_buff.23` → `struct sk_buff`). */
function irStructName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const m = /^(struct|union)\.(.+?)(\.\d+)?$/.exec(name);
  if (!m || m[2]!.startsWith('anon')) return undefined;
  return `${m[1]} ${m[2]}`;
}

interface TypeCandidate {
  name: string;
  size: number | undefined;
  kind: ObjectType['kind'];
  evidence: TypeEvidence[];
  /** The debug type, when the evidence came from debug info. */
  di?: Metadata;
  /** For an array candidate, its element's name. */
  element?: string;
}

function diKind(t: Metadata | null): ObjectType['kind'] {
  const s = stripQualifiers(t);
  if (!s) return 'unknown';
  if (s.kind === 'DICompositeType') return s.tag === 'DW_TAG_union_type' ? 'union' : s.tag === 'DW_TAG_array_type' ? 'array' : 'struct';
  if (s.kind === 'DIDerivedType' && s.tag === 'DW_TAG_pointer_type') return 'pointer';
  if (s.kind === 'DIBasicType') return 'scalar';
  return 'unknown';
}

/** `void`, `char`, `u8`, `signed char`…: what a typeless byte buffer is declared as. */
export function isByteType(t: Metadata | null): boolean {
  const s = stripQualifiers(t);
  if (!s) return true; // void
  if (s.kind !== 'DIBasicType') return false;
  return s.size === 8 || /char/.test(s.encoding);
}

/** A value's root pointer and the constant byte offset from it (undefined when an index varies). */
function rootOf(v: Value): { root: Value; off: number | undefined } {
  let off: number | undefined = 0;
  let cur = v;
  for (let i = 0; i < 16; i++) {
    cur = stripCasts(cur);
    if ((cur.kind === 'instruction' || cur.kind === 'expr') && cur.opcode === 'getelementptr') {
      const o = constantGepOffset(cur.operands as Value[], cur.sourceElementType);
      off = o === undefined || off === undefined ? undefined : off + o;
      cur = cur.operands[0]!;
      continue;
    }
    break;
  }
  return { root: cur, off };
}

/** A pointer-typed variable binding, located by its root pointer and offset from it. */
interface RootedBinding {
  off: number | undefined;
  pointee: Metadata;
  name: string;
}

/** Per-function facts the type recovery reuses across the sites of one function. */
class FunctionFacts {
  readonly uses: UseMap;
  readonly vars: Map<Value, BoundVariable[]>;
  private rooted: Map<Value, RootedBinding[]> | undefined;
  constructor(readonly fn: Located<Function>) {
    this.uses = new UseMap(fn.value);
    this.vars = boundVariables(fn.value);
  }
  /**
   * Bindings to `T *` (T a record) and `T **` variables by their root pointer: `&priv->field` with
   * `priv = netdev_priv(dev)` is a GEP from `dev` after folding, and still a field of `priv`.
   */
  byRoot(root: Value): RootedBinding[] {
    if (!this.rooted) {
      this.rooted = new Map();
      for (const [v, bs] of this.vars) {
        if (v.type.kind !== 'pointer') continue;
        const r = rootOf(v);
        for (const b of bs) {
          const t = pointeeOf(b.type);
          if (!t || !(isRecord(t) || pointeeOf(t) !== undefined)) continue;
          let l = this.rooted.get(r.root);
          if (!l) {
            l = [];
            this.rooted.set(r.root, l);
          }
          l.push({ off: r.off, pointee: t, name: b.name });
        }
      }
    }
    return this.rooted.get(root) ?? [];
  }
}

/** Values that are `v` under another name: casts, all-zero GEPs, phis/selects merging it with constants. */
function aliasesOf(v: Value, uses: UseMap): Value[] {
  const out: Value[] = [v];
  const seen = new Set<Value>([v]);
  for (let k = 0; k < out.length && out.length < 64; k++) {
    for (const u of uses.of(out[k]!)) {
      if (seen.has(u)) continue;
      const isAlias =
        u.opcode === 'bitcast' ||
        u.opcode === 'addrspacecast' ||
        u.opcode === 'freeze' ||
        // `(struct neighbour **)__get_free_pages(…)`: the address as a pointer
        (u.opcode === 'inttoptr' && u.operands[0] === out[k]) ||
        (u.opcode === 'getelementptr' &&
          u.operands[0] === out[k] &&
          u.operands.slice(1).every((o) => o.kind === 'int' && o.value === 0n)) ||
        ((u.opcode === 'phi' || u.opcode === 'select') &&
          (u.opcode === 'select' ? [u.operands[1]!, u.operands[2]!] : u.operands).every(
            (o) => seen.has(o) || o.kind === 'null' || o.kind === 'undef' || o.kind === 'poison' || o.kind === 'int' || o.kind === 'expr',
          ));
      if (isAlias) {
        seen.add(u);
        out.push(u);
      }
    }
  }
  return out;
}

/**
 * Where the C code puts the call's result, as the developer declared it: the first variable of the
 * function that makes the call (the innermost frame outside `include/`) bound to the result; else,
 * when that function was inlined, its return type (`return kmalloc(len)` in `esp_alloc_tmp`); else
 * the IR function's return type when the result is returned.
 */
interface Destination {
  type: Metadata | null;
  evidence: Omit<TypeEvidence, 'type'>;
}

function destinationOf(call: CallBase, facts: FunctionFacts, direct: readonly Value[]): Destination | undefined {
  const frames = framesOf(call.debugLoc);
  const written = writtenCallFrame(frames);
  if (!written) return undefined;
  // the C variable receiving the result may also receive other values (a phi / select of
  // several pointers): it is still where this result goes
  const aliases = [...direct];
  for (let k = 0; k < aliases.length && aliases.length < 64; k++) {
    for (const u of facts.uses.of(aliases[k]!)) {
      if ((u.opcode === 'phi' || u.opcode === 'select' || u.opcode === 'inttoptr' || u.opcode === 'bitcast') && !aliases.includes(u))
        aliases.push(u);
    }
  }
  let best: { v: BoundVariable } | undefined;
  for (const a of aliases) {
    for (const v of facts.vars.get(a) ?? []) {
      if (v.function !== written.function || pointeeOf(v.type) === undefined) continue;
      if (!best || (v.order ?? 0) < (best.v.order ?? 0)) best = { v };
    }
  }
  if (best) return { type: best.v.type, evidence: { kind: 'debug-variable', detail: best.v.name } };
  const k = frames.indexOf(written);
  const returned = aliases.some((a) => facts.uses.of(a).some((u) => u.opcode === 'ret'));
  if (k >= 0 && k < frames.length - 1 && call.debugLoc) {
    // the call is in an inlined function with no variable for the result; when its callers
    // receive the result (bind it, or return it), the inlined function returned it
    const outer = new Set(frames.slice(k + 1).map((f) => f.function));
    const flowsOut =
      returned || aliases.some((a) => (facts.vars.get(a) ?? []).some((v) => v.function !== undefined && outer.has(v.function)));
    if (!flowsOut) return undefined;
    const loc = inlineChain(call.debugLoc)[k];
    const sp = loc ? enclosingSubprogram(loc.scope) : undefined;
    const ts = sp?.type?.kind === 'DISubroutineType' && sp.type.types?.kind === 'tuple' ? sp.type.types.operands : undefined;
    const ret = ts?.[0] ?? null;
    if (ts && pointeeOf(ret) !== undefined) return { type: ret, evidence: { kind: 'returned-as', detail: written.function } };
    return undefined;
  }
  if (returned) {
    const sig = signatureTypes(facts.fn.value);
    if (sig && pointeeOf(sig[0] ?? null) !== undefined)
      return { type: sig[0] ?? null, evidence: { kind: 'returned-as', detail: facts.fn.value.name } };
  }
  return undefined;
}

/** Evidence of one call: type candidates, and where the C code puts the result. */
interface CallEvidence {
  cands: TypeCandidate[];
  destination: Destination | undefined;
}

/** Collects type evidence for the object a call returns. */
function recoverType(call: CallBase, facts: FunctionFacts, program: Program): CallEvidence {
  const cands = new Map<string, TypeCandidate>();
  const add = (t: Metadata | null | undefined, ev: Omit<TypeEvidence, 'type'>, arrays = true): void => {
    if (t === undefined) return;
    const s = stripQualifiers(t);
    if (!s || !isRecord(s)) {
      // an array of pointers or of non-byte scalars (`struct sk_buff **`, `u64 *`): `T[]`
      if (!s || !arrays || isByteType(s)) return;
      if (!(s.kind === 'DIBasicType' || (s.kind === 'DIDerivedType' && s.tag === 'DW_TAG_pointer_type'))) return;
      const element = typeName(t);
      const name = `${element}[]`;
      let c = cands.get(name);
      if (!c) {
        c = { name, size: undefined, kind: 'array', evidence: [], element };
        cands.set(name, c);
      }
      c.evidence.push({ ...ev, type: name });
      return;
    }
    const name = typeName(s);
    let c = cands.get(name);
    if (!c) {
      c = { name, size: sizeOf(s), kind: diKind(s), evidence: [], di: s };
      cands.set(name, c);
    }
    // the destination repeats a binding already counted
    if (!ev.location && c.evidence.some((e) => e.kind === ev.kind && e.detail === ev.detail && !e.location)) return;
    c.evidence.push({ ...ev, type: name });
  };
  const addByName = (name: string | undefined, ev: Omit<TypeEvidence, 'type'>): void => {
    if (!name) return;
    let c = cands.get(name);
    if (!c) {
      c = { name, size: undefined, kind: name.startsWith('union') ? 'union' : 'struct', evidence: [] };
      cands.set(name, c);
    }
    c.evidence.push({ ...ev, type: name });
  };
  const fn = facts.fn;
  const aliases = aliasesOf(call, facts.uses);
  for (const a of aliases) {
    for (const v of facts.vars.get(a) ?? []) add(pointeeOf(v.type), { kind: 'debug-variable', detail: v.name });
    if (a.type.kind === 'pointer' && a.type.pointee?.kind === 'struct') {
      addByName(irStructName(a.type.pointee.name), { kind: 'typed-pointer' });
    }
    for (const u of facts.uses.of(a)) {
      if (u.opcode === 'getelementptr' && u.operands[0] === a && u.sourceElementType.kind === 'struct') {
        addByName(irStructName(u.sourceElementType.name), { kind: 'gep-source', location: framesOf(u.debugLoc) });
      } else if (u.opcode === 'store' && u.value === a) {
        const g = stripCasts(u.pointer);
        const slot = slotTypeOf(g, facts);
        if (slot) add(pointeeOf(slot.type), { kind: 'stored-to-field', detail: slot.detail, location: framesOf(u.debugLoc) });
        if (g.kind === 'global') {
          const def = program.resolve(fn.module, g);
          const gv = def.value.kind === 'global' ? def.value : undefined;
          add(pointeeOf(globalDebugType(gv)), { kind: 'stored-to-field', detail: `@${g.name}`, location: framesOf(u.debugLoc) });
        } else if (g.kind === 'expr' && g.opcode === 'getelementptr') {
          const base = stripCasts(g.operands[0]!);
          const off = constantGepOffset(g.operands, g.sourceElementType);
          if (base.kind === 'global' && off !== undefined) {
            const def = program.resolve(fn.module, base);
            const gv = def.value.kind === 'global' ? def.value : undefined;
            const chain = membersAt(globalDebugType(gv), off);
            const last = chain[chain.length - 1];
            if (last && !unionOfPointers(globalDebugType(gv), off))
              add(pointeeOf(last.type), { kind: 'stored-to-field', detail: `@${base.name}+${off}`, location: framesOf(u.debugLoc) });
          }
        }
      } else if (isCallBase(u) && u !== call) {
        const callee = calleeOf(u);
        if (!callee) continue;
        const def = program.definitionOf(fn.module, callee)?.value ?? callee;
        const sig = signatureTypes(def);
        if (!sig) continue;
        u.args.forEach((arg, k) => {
          if (arg === a)
            add(
              pointeeOf(sig[k + 1] ?? null),
              { kind: 'passed-as-parameter', detail: `${callee.name} argument ${k}`, location: framesOf(u.debugLoc) },
              false,
            );
        });
      } else if (u.opcode === 'ret') {
        const sig = signatureTypes(fn.value);
        if (sig) add(pointeeOf(sig[0] ?? null), { kind: 'returned-as', detail: fn.value.name });
      }
    }
  }
  const destination = destinationOf(call, facts, aliases);
  if (destination) add(pointeeOf(destination.type), destination.evidence);
  return { cands: [...cands.values()], destination };
}

/**
 * The debug type of the pointer slot an address designates: a field of a record a `T *` variable
 * points to (`&obj->field`, also after GEP folding from the variable's own root), the target of a
 * `T **` variable (`*new = …`), or an element of a `T **` array (`groups[i] = …`).
 */
function slotTypeOf(p: Value, facts: FunctionFacts, depth = 0): { type: Metadata | null; detail: string } | undefined {
  const c = stripCasts(p);
  if (c.kind === 'instruction' && (c.opcode === 'phi' || c.opcode === 'select') && depth < 4) {
    // one of several fields (`*netdev_offload_xstats_get_ptr(dev, type) = …`): all of the same type
    const ins = c.opcode === 'select' ? [c.operands[1]!, c.operands[2]!] : c.operands;
    const slots = ins.map((x) => slotTypeOf(x, facts, depth + 1));
    const first = slots[0];
    if (first && slots.every((x) => x && typeName(x.type) === typeName(first.type))) return first;
    return undefined;
  }
  const r = rootOf(p);
  for (const b of facts.byRoot(r.root)) {
    const d = r.off === undefined || b.off === undefined ? undefined : r.off - b.off;
    if (isRecord(b.pointee as never)) {
      if (d === undefined || d < 0) continue;
      // the innermost member starting exactly at the offset that is a pointer (at offset 0 the
      // object itself is the base: `gcells->cells = alloc_percpu(…)` stores through `gcells`);
      // none when a union there has pointers of several types (`inode->i_link`, an `i_pipe` too)
      if (unionOfPointers(b.pointee, d)) continue;
      const chain = membersAt(b.pointee, d);
      for (let k = chain.length; k > 0; k--) {
        const sub = chain.slice(0, k);
        const m = sub[k - 1]!;
        if (sub.reduce((a, x) => a + x.offset, 0) !== d || !pointeeOf(m.type)) continue;
        return { type: m.type, detail: `${typeName(b.pointee)}.${sub.map((x) => x.name).join('.')}` };
      }
    } else if (d === undefined || d % 8 === 0) {
      // a `T **`: the slot it points to, or an element of the array it points to
      return { type: b.pointee, detail: d === 0 ? `*${b.name}` : `${b.name}[]` };
    }
  }
  return undefined;
}

/** Whether pointers to more than one type lie at byte `offset` of `t`, in a union's members (byte pointees count as one). */
function unionOfPointers(t: Metadata | null, offset: number): boolean {
  const pointees = new Set<string>();
  for (const p of pointerTypesAt(t, offset)) {
    const to = pointeeOf(p) ?? null;
    pointees.add(isByteType(to) ? 'bytes' : typeName(stripQualifiers(to)));
  }
  return pointees.size > 1;
}

const EVIDENCE_RANK: Record<TypeEvidence['kind'], number> = {
  'debug-variable': 0,
  'typed-pointer': 1,
  'gep-source': 2,
  'stored-to-field': 3,
  'passed-as-parameter': 4,
  'returned-as': 5,
  'size-match': 6,
  'container-of': 7,
  cache: 8,
  'synthetic-buffer': 9,
};

/** One call before its type is chosen: the site without `type`, and the evidence of the call. */
interface Draft {
  site: Omit<AllocationSite, 'type'>;
  evidence: CallEvidence;
  key: string;
  wrapper: Wrapper | undefined;
  fn: Located<Function>;
  /** What the allocator's contract puts in the object ({@link Allocator.contents}). */
  contents: Allocator['contents'];
}

/** The allocation sites of a program, with their types. */
export function findAllocationSites(
  program: Program,
  table: AllocatorTable,
  /** Caches created outside the program (another TU's `kmem_cache_create`): allocations from their holders name them too. */
  knownCaches: readonly Cache[] = [],
): { sites: AllocationSite[]; caches: Cache[]; wrappers: Map<string, Wrapper>; siteCalls: Map<string, CallBase> } {
  const wrappers = findWrappers(program, table);
  const own = findCaches(program);
  const caches = new Map([...knownCaches.map((c): [string, Cache] => [c.holder, c]), ...own]);
  const drafts: Draft[] = [];
  const siteCalls = new Map<string, CallBase>();
  for (const fn of program.definedFunctions()) {
    let facts: FunctionFacts | undefined;
    let index = 0;
    for (const b of fn.value.blocks) {
      for (const i of b.instructions) {
        index++;
        if (!isCallBase(i)) continue;
        const callee = calleeOf(i);
        if (!callee) continue;
        let alloc = table.get(callee.name);
        const def = program.definitionOf(fn.module, callee);
        const wrapper = def && wrappers.get(Program.keyOf(def.module, def.value));
        if (wrapper) alloc = wrapper.allocator;
        if (!alloc) continue;
        facts ??= new FunctionFacts(fn);
        const d = draftSite(i, index - 1, alloc, wrapper, callee.name, fn, facts, program, caches);
        drafts.push(d);
        siteCalls.set(d.site.id, i);
      }
    }
  }
  const sites = chooseTypes(drafts);
  typeInteriorSites(sites, drafts, wrappers);
  inheritWrapperCaches(sites, wrappers, siteCalls, program);
  return { sites, caches: [...own.values()], wrappers, siteCalls };
}

/**
 * The copies of one source call (inlined into several functions, or expanded twice) are typed
 * together: their evidence is joined before the type is chosen, and every copy gets that type
 * (with the conflicts), each with its own size.
 */
function chooseTypes(drafts: readonly Draft[]): AllocationSite[] {
  const groups = new Map<string, Draft[]>();
  for (const d of drafts) {
    let g = groups.get(d.key);
    if (!g) {
      g = [];
      groups.set(d.key, g);
    }
    g.push(d);
  }
  const typeOf = new Map<Draft, ObjectType>();
  for (const g of groups.values()) {
    const joined = new Map<string, TypeCandidate>();
    for (const d of g) {
      for (const c of d.evidence.cands) {
        const j = joined.get(c.name);
        if (!j) joined.set(c.name, { ...c, evidence: [...c.evidence] });
        else {
          j.evidence.push(...c.evidence);
          j.di ??= c.di;
          j.size ??= c.size;
        }
      }
    }
    const dests = g.map((d) => d.evidence.destination).filter((x): x is Destination => !!x);
    for (const d of g) typeOf.set(d, decideType([...joined.values()], dests, g, d));
  }
  return drafts.map((d) => ({ ...d.site, type: typeOf.get(d)! }) as AllocationSite);
}

function decideType(cands: TypeCandidate[], dests: Destination[], group: readonly Draft[], self: Draft): ObjectType {
  const rank = (c: TypeCandidate): number => Math.min(...c.evidence.map((e) => EVIDENCE_RANK[e.kind]));
  cands.sort((a, b) => rank(a) - rank(b) || b.evidence.length - a.evidence.length);
  // a type embedded at offset 0 of another candidate is a view of the object
  // (`&rt6_ex->hlist` is `rt6_ex`): the enclosing type is the object's type
  for (let moved = true, guard = 0; moved && guard < 8; guard++) {
    moved = false;
    const best = cands[0];
    if (!best?.di) break;
    const outer = cands.find((c) => c !== best && c.di && membersAt(c.di, 0).some((m) => m.type && typeName(m.type) === best.name));
    if (outer) {
      cands.splice(cands.indexOf(outer), 1);
      cands.unshift(outer);
      moved = true;
    }
  }
  // the type the developer declared the destination with comes first
  const destRecord = dests.map((d) => stripQualifiers(pointeeOf(d.type) ?? null)).find((t) => t && isRecord(t));
  const destName = destRecord ? typeName(destRecord) : undefined;
  const destBytes = !destName && dests.some((d) => isByteType(pointeeOf(d.type) ?? null));
  if (destName) {
    const c = cands.find((x) => x.name === destName);
    if (c) {
      cands.splice(cands.indexOf(c), 1);
      cands.unshift(c);
    }
  }
  const size = self.site.size;
  const constants = group
    .map((d) => d.site.size)
    .filter((z): z is { constant: number } => !!z && 'constant' in z)
    .map((z) => z.constant);
  const at = writtenCallFrame(self.site.location);
  const bufName = `buf@${self.fn.value.name}:${at?.line ?? 0}:${at?.column ?? 0}`;
  const sizeDetail = !size
    ? 'size unknown'
    : 'constant' in size
      ? `${size.constant} bytes`
      : `${size.expression}${size.multipleOf ? `, a multiple of ${size.multipleOf}` : ''}`;
  const conflictsOf = (rest: TypeCandidate[]) =>
    rest.length ? { conflicts: rest.map((c) => ({ type: c.name, evidence: c.evidence })) } : {};
  const records = cands.filter((c) => c.kind !== 'array');
  if (destBytes) {
    const dest = dests.find((d) => isByteType(pointeeOf(d.type) ?? null))!;
    const header = records[0];
    // a byte buffer that is exactly one T (`void *p = kzalloc(sizeof(struct foo))`) is a T
    if (!(header && header.size !== undefined && constants.length && constants.every((c) => c === header.size))) {
      const bufEvidence: TypeEvidence = {
        kind: 'synthetic-buffer',
        type: bufName,
        detail: `${sizeDetail}; the result goes to \`${typeName(dest.type)}\` (${dest.evidence.detail ?? dest.evidence.kind})`,
      };
      const rest = cands.filter((c) => c !== header);
      return {
        name: bufName,
        kind: 'buffer',
        ...(size && 'constant' in size ? { size: size.constant } : {}),
        evidence: [bufEvidence, ...(header?.evidence ?? [])],
        // a record read at its start (a header) contradicts the string contract: not a string then
        ...(header ? { header: header.name } : self.contents ? { contents: self.contents } : {}),
        ...conflictsOf(rest),
        confidence: rest.length || header ? 'resolved' : 'synthetic',
      };
    }
  }
  if (cands.length) {
    const [best, ...rest] = cands;
    const evidence = [...best!.evidence];
    if (size && 'constant' in size && best!.size === size.constant) {
      evidence.push({ kind: 'size-match', type: best!.name, detail: `${size.constant} bytes` });
    }
    return {
      name: best!.name,
      kind: best!.kind,
      ...(best!.size !== undefined ? { size: best!.size } : {}),
      evidence,
      ...(best!.element ? { element: best!.element } : {}),
      ...conflictsOf(rest),
      confidence: rest.length ? 'resolved' : 'exact',
    };
  }
  return {
    name: bufName,
    kind: 'buffer',
    ...(size && 'constant' in size ? { size: size.constant } : {}),
    evidence: [{ kind: 'synthetic-buffer', type: bufName, detail: sizeDetail }],
    ...(self.contents ? { contents: self.contents } : {}),
    confidence: 'synthetic',
  };
}

/**
 * Sites of a wrapper that returns a pointer into its allocation (`krealloc(…) + off`,
 * `&obj->member`): the object is the enclosing allocation, typed as the wrapper's own inner
 * allocation; the returned pointer's type is kept as the member's.
 */
function typeInteriorSites(sites: AllocationSite[], drafts: readonly Draft[], _wrappers: Map<string, Wrapper>): void {
  const byCaller = new Map<string, AllocationSite[]>();
  for (const s of sites) {
    const k = `${s.module}::${s.caller}`;
    let l = byCaller.get(k);
    if (!l) {
      l = [];
      byCaller.set(k, l);
    }
    l.push(s);
  }
  drafts.forEach((d, k) => {
    const w = d.wrapper;
    if (!w || w.offset === 0) return;
    const s = sites[k]!;
    const inner = (byCaller.get(`${w.function.module.name}::${w.function.value.name}`) ?? []).filter((x) => x.allocator === w.wraps);
    const member = s.type.kind === 'buffer' ? undefined : s.type.name;
    s.interior = { offset: w.offset, wrapper: w.function.value.name, ...(member ? { member } : {}) };
    const t = inner.find((x) => x.type.kind !== 'buffer') ?? inner[0];
    if (!t) return;
    const moved: TypeEvidence = {
      kind: 'container-of',
      type: t.type.name,
      detail: `${w.function.value.name} returns ${w.offset === 'unknown' ? 'a pointer' : `+${w.offset}`} into the object of ${t.id}`,
    };
    s.type = {
      ...t.type,
      evidence: [moved, ...t.type.evidence],
      ...(member && member !== t.type.name
        ? { conflicts: [...(t.type.conflicts ?? []), { type: member, evidence: s.type.evidence }] }
        : {}),
    };
    if (t.size) s.size = t.size;
    else delete s.size;
  });
}

function inheritWrapperCaches(
  sites: AllocationSite[],
  wrappers: Map<string, Wrapper>,
  siteCalls: Map<string, CallBase>,
  program: Program,
): void {
  const byFunction = new Map<string, AllocationSite[]>();
  for (const s of sites) {
    const key = `${s.module}::${s.caller}`;
    let l = byFunction.get(key);
    if (!l) {
      l = [];
      byFunction.set(key, l);
    }
    l.push(s);
  }
  const fnKeyOf = new Map<Wrapper, string>();
  for (const w of wrappers.values()) fnKeyOf.set(w, `${w.function.module.name}::${w.function.value.name}`);
  for (let round = 0; round < 8; round++) {
    let changed = false;
    for (const s of sites) {
      if (s.cache) continue;
      const call = siteCalls.get(s.id);
      const pm = program.modules.find((m) => m.name === s.module);
      const callee = call && calleeOf(call);
      const def = callee && pm ? program.definitionOf(pm, callee) : undefined;
      const w = def && wrappers.get(Program.keyOf(def.module, def.value));
      if (!w) continue;
      const inner = (byFunction.get(fnKeyOf.get(w)!) ?? []).filter((x) => x.allocator === w.wraps);
      if (!inner.length || inner.some((x) => !x.cache)) continue;
      const names = [...new Set(inner.flatMap((x) => x.caches ?? [x.cache!]))].sort();
      s.cache = names[0];
      if (names.length > 1) s.caches = names;
      changed = true;
    }
    if (!changed) break;
  }
}

function draftSite(
  call: CallBase,
  index: number,
  alloc: Allocator,
  wrapper: Wrapper | undefined,
  calleeName: string,
  fn: Located<Function>,
  facts: FunctionFacts,
  program: Program,
  caches: Map<string, Cache>,
): Draft {
  const location = framesOf(call.debugLoc);
  const id = `${fn.module.name}:${fn.value.name}:${index}`;
  // the cache argument: a load of a cache's holder, or a phi / select of such loads
  const cacheNames: string[] = [];
  if (alloc.cache !== undefined && call.args[alloc.cache]) {
    let all = true;
    for (const o of origins(call.args[alloc.cache]!)) {
      const src = stripCasts(o);
      const holder = src.kind === 'instruction' && src.opcode === 'load' ? globalLocation(src.pointer, fn.module, program) : undefined;
      const c = holder && caches.get(holder);
      if (c) {
        if (!cacheNames.includes(c.name)) cacheNames.push(c.name);
      } else all = false;
    }
    if (!all) cacheNames.length = 0;
    cacheNames.sort();
  }
  const cache = cacheNames[0];
  // the size the allocator receives, over this call's arguments (through a wrapper's parameters)
  const expr = wrapper ? wrapper.size : tableSizeExpr(alloc);
  const at =
    expr &&
    substitute(expr, (i) => {
      const a = call.args[i];
      if (!a) return undefined;
      return a.kind === 'int' ? { k: 'const', v: BigInt.asUintN(a.type.kind === 'int' ? a.type.bits : 64, a.value) } : { k: 'arg', i };
    });
  let size: AllocationSite['size'];
  if (at?.k === 'const' && at.v <= BigInt(Number.MAX_SAFE_INTEGER)) size = { constant: Number(at.v) };
  else if (at) {
    // the element size of an array (`kmalloc_array(n, sizeof(struct list_head))`): it tells an
    // array of a container's first member from the container allocated at a run-time size
    const multiple = factorOfSize(at, (i) => (call.args[i] ? factorOf(call.args[i]!) : 1n));
    size = {
      expression: renderSize(at),
      ...(multiple > 1n && multiple <= BigInt(Number.MAX_SAFE_INTEGER) ? { multipleOf: Number(multiple) } : {}),
    };
  }
  const w = writtenCallFrame(location);
  const key = w?.line ? `${w.file}:${w.line}:${w.column}:${calleeName}` : `id:${id}`;
  return {
    site: {
      id,
      kind: alloc.kind,
      allocator: calleeName,
      caller: fn.value.name,
      module: fn.module.name,
      location,
      ...(cache ? { cache } : {}),
      ...(cacheNames.length > 1 ? { caches: cacheNames } : {}),
      ...(size ? { size } : {}),
    },
    evidence: recoverType(call, facts, program),
    key,
    wrapper,
    fn,
    contents: alloc.contents,
  };
}
