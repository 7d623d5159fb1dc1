// Allocation sites (DESIGN.md §3): every call of an allocator — from the table,
// or a wrapper found to a fixpoint — with its kind, cache, size and the type
// of the object it returns, and the evidence for that type. Named caches:
// `kmem_cache_create*` results stored to a global or a global's field name
// that cache; allocations from a load of that location are from it.
import type { DILocation } from '../ir/debuginfo.js';
import { locationChain } from '../ir/debuginfo.js';
import type { CallBase, Instruction } from '../ir/instructions.js';
import { isCallBase } from '../ir/instructions.js';
import type { Metadata } from '../ir/metadata.js';
import type { Function, Value } from '../ir/values.js';
import type { AllocationSite, Cache, ObjectType, SourceFrame, TypeEvidence } from '../policy/schema.js';
import type { Allocator, AllocatorTable } from './allocators.js';
import { isRecord, pointeeOf, sizeOf, stripQualifiers, typeName, membersAt } from './ditypes.js';
import { type BoundVariable, boundVariables, globalDebugType, signatureTypes } from './debugvars.js';
import { calleeOf, origins, stripCasts, UseMap } from './flow.js';
import { gepOffset, UNKNOWN } from './layout.js';
import { type Located, Program, type ProgramModule } from './program.js';
import type { Type } from '../ir/types.js';

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
  readonly allocator: Allocator;
  /** The allocator (or inner wrapper) whose result it returns. */
  readonly wraps: string;
}

/** Finds wrappers to a fixpoint: a function returning a wrapper's result is a wrapper too. */
export function findWrappers(program: Program, table: AllocatorTable): Map<string, Wrapper> {
  const wrappers = new Map<string, Wrapper>();
  const allocatorFor = (call: CallBase, pm: ProgramModule): { a: Allocator; name: string } | undefined => {
    const f = calleeOf(call);
    if (!f) return undefined;
    const direct = table.get(f.name);
    if (direct) return { a: direct, name: f.name };
    const def = program.definitionOf(pm, f);
    const w = def && wrappers.get(Program.keyOf(def.module, def.value));
    return w ? { a: w.allocator, name: def!.value.name } : undefined;
  };
  for (let changed = true, rounds = 0; changed && rounds < 64; rounds++) {
    changed = false;
    for (const fn of program.definedFunctions()) {
      const key = Program.keyOf(fn.module, fn.value);
      if (wrappers.has(key) || table.has(fn.value.name)) continue;
      if (fn.value.functionType.returnType.kind !== 'pointer' && fn.value.functionType.returnType.kind !== 'int') continue;
      // a wrapper returns fresh memory only: every origin of every returned value is an
      // allocation (or a constant such as NULL / ERR_PTR); a lookup that may return an
      // existing object is not a wrapper, else the run time would record old objects as new
      let found: { a: Allocator; name: string } | undefined;
      let fresh = true;
      for (const b of fn.value.blocks) {
        const t = b.terminator;
        if (t?.opcode !== 'ret' || !t.returnValue) continue;
        for (const o of origins(t.returnValue)) {
          const a = o.kind === 'instruction' && isCallBase(o) ? allocatorFor(o, fn.module) : undefined;
          if (a) found ??= a;
          else if (!isConstantOrigin(o)) fresh = false;
        }
      }
      if (!fresh) continue;
      if (found) {
        // an `unsigned long` returned is only an allocation for page-address allocators
        if (fn.value.functionType.returnType.kind === 'int' && found.a.returns !== 'address') continue;
        wrappers.set(key, {
          function: fn,
          allocator: { ...found.a, name: fn.value.name, note: `wrapper of ${found.name}` },
          wraps: found.name,
        });
        changed = true;
      }
    }
  }
  return wrappers;
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

function unsignedOf(c: Value & { kind: 'int' }): number {
  const bits = c.type.kind === 'int' ? c.type.bits : 64;
  return Number(BigInt.asUintN(bits, c.value));
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
  name: string; size: number | undefined; kind: ObjectType['kind']; evidence: TypeEvidence[];
  /** The debug type, when the evidence came from debug info. */
  di?: Metadata;
}

function diKind(t: Metadata | null): ObjectType['kind'] {
  const s = stripQualifiers(t);
  if (!s) return 'unknown';
  if (s.kind === 'DICompositeType') return s.tag === 'DW_TAG_union_type' ? 'union' : s.tag === 'DW_TAG_array_type' ? 'array' : 'struct';
  if (s.kind === 'DIDerivedType' && s.tag === 'DW_TAG_pointer_type') return 'pointer';
  if (s.kind === 'DIBasicType') return 'scalar';
  return 'unknown';
}

/** Per-function facts the type recovery reuses across the sites of one function. */
class FunctionFacts {
  readonly uses: UseMap;
  readonly vars: Map<Value, BoundVariable[]>;
  constructor(readonly fn: Located<Function>) {
    this.uses = new UseMap(fn.value);
    this.vars = boundVariables(fn.value);
  }
}

/** Values that are `v` under another name: casts, all-zero GEPs, phis/selects merging it with constants. */
function aliasesOf(v: Value, uses: UseMap): Value[] {
  const out: Value[] = [v];
  const seen = new Set<Value>([v]);
  for (let k = 0; k < out.length && out.length < 64; k++) {
    for (const u of uses.of(out[k]!)) {
      if (seen.has(u)) continue;
      const isAlias = u.opcode === 'bitcast' || u.opcode === 'addrspacecast' || u.opcode === 'freeze'
        || (u.opcode === 'getelementptr' && u.operands[0] === out[k] && u.operands.slice(1).every((o) => o.kind === 'int' && o.value === 0n))
        || ((u.opcode === 'phi' || u.opcode === 'select') && (u.opcode === 'select' ? [u.operands[1]!, u.operands[2]!] : u.operands)
          .every((o) => seen.has(o) || o.kind === 'null' || o.kind === 'undef' || o.kind === 'poison' || o.kind === 'int' || o.kind === 'expr'));
      if (isAlias) { seen.add(u); out.push(u); }
    }
  }
  return out;
}

/** Collects type evidence for the object a call returns. */
function recoverType(call: CallBase, facts: FunctionFacts, program: Program): TypeCandidate[] {
  const cands = new Map<string, TypeCandidate>();
  const add = (t: Metadata | null | undefined, ev: Omit<TypeEvidence, 'type'>): void => {
    const s = t === undefined ? undefined : stripQualifiers(t);
    if (!s || !isRecord(s)) return; // void *, char *: no struct type
    const name = typeName(s);
    let c = cands.get(name);
    if (!c) { c = { name, size: sizeOf(s), kind: diKind(s), evidence: [], di: s }; cands.set(name, c); }
    c.evidence.push({ ...ev, type: name });
  };
  const addByName = (name: string | undefined, ev: Omit<TypeEvidence, 'type'>): void => {
    if (!name) return;
    let c = cands.get(name);
    if (!c) { c = { name, size: undefined, kind: name.startsWith('union') ? 'union' : 'struct', evidence: [] }; cands.set(name, c); }
    c.evidence.push({ ...ev, type: name });
  };
  const fn = facts.fn;
  for (const a of aliasesOf(call, facts.uses)) {
    for (const v of facts.vars.get(a) ?? []) add(pointeeOf(v.type), { kind: 'debug-variable', detail: v.name });
    if (a.type.kind === 'pointer' && a.type.pointee?.kind === 'struct') {
      addByName(irStructName(a.type.pointee.name), { kind: 'typed-pointer' });
    }
    for (const u of facts.uses.of(a)) {
      if (u.opcode === 'getelementptr' && u.operands[0] === a && u.sourceElementType.kind === 'struct') {
        addByName(irStructName(u.sourceElementType.name), { kind: 'gep-source', location: framesOf(u.debugLoc) });
      } else if (u.opcode === 'store' && u.value === a) {
        const g = stripCasts(u.pointer);
        const field = fieldTypeOf(g, facts);
        if (field) add(pointeeOf(field.type), { kind: 'stored-to-field', detail: field.detail, location: framesOf(u.debugLoc) });
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
            if (last && last.offset + 0 <= off) add(pointeeOf(last.type), { kind: 'stored-to-field', detail: `@${base.name}+${off}`, location: framesOf(u.debugLoc) });
          }
        }
      } else if (isCallBase(u) && u !== call) {
        const callee = calleeOf(u);
        if (!callee) continue;
        const def = program.definitionOf(fn.module, callee)?.value ?? callee;
        const sig = signatureTypes(def);
        if (!sig) continue;
        u.args.forEach((arg, k) => {
          if (arg === a) add(pointeeOf(sig[k + 1] ?? null), { kind: 'passed-as-parameter', detail: `${callee.name} argument ${k}`, location: framesOf(u.debugLoc) });
        });
      } else if (u.opcode === 'ret') {
        const sig = signatureTypes(fn.value);
        if (sig) add(pointeeOf(sig[0] ?? null), { kind: 'returned-as', detail: fn.value.name });
      }
    }
  }
  return [...cands.values()];
}

/**
 * The debug type of the field a pointer addresses, when it is a constant byte
 * offset from a value bound to a `T *` variable (`&obj->field`).
 */
function fieldTypeOf(p: Value, facts: FunctionFacts): { type: Metadata | null; detail: string } | undefined {
  let off = 0;
  let base = p;
  if (p.kind === 'instruction' && p.opcode === 'getelementptr') {
    const o = constantGepOffset(p.operands, p.sourceElementType);
    if (o === undefined) return undefined;
    off = o;
    base = p.operands[0]!;
  }
  for (const v of facts.vars.get(base) ?? []) {
    const t = pointeeOf(v.type);
    if (!t || !isRecord(t)) continue;
    // the innermost member starting exactly at the offset that is a pointer (at offset 0 the
    // object itself is the base: `gcells->cells = alloc_percpu(…)` stores through `gcells`)
    const chain = membersAt(t, off);
    for (let k = chain.length; k > 0; k--) {
      const sub = chain.slice(0, k);
      const m = sub[k - 1]!;
      if (sub.reduce((a, x) => a + x.offset, 0) !== off || !pointeeOf(m.type)) continue;
      return { type: m.type, detail: `${typeName(t)}.${sub.map((x) => x.name).join('.')}` };
    }
  }
  return undefined;
}

const EVIDENCE_RANK: Record<TypeEvidence['kind'], number> = {
  'debug-variable': 0, 'typed-pointer': 1, 'gep-source': 2, 'stored-to-field': 3, 'passed-as-parameter': 4,
  'returned-as': 5, 'size-match': 6, 'container-of': 7, cache: 8, 'synthetic-buffer': 9,
};

/** The allocation sites of a program, with their types. */
export function findAllocationSites(
  program: Program,
  table: AllocatorTable,
): { sites: AllocationSite[]; caches: Cache[]; wrappers: Map<string, Wrapper>; siteCalls: Map<string, CallBase> } {
  const wrappers = findWrappers(program, table);
  const caches = findCaches(program);
  const sites: AllocationSite[] = [];
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
        if (!alloc) {
          const def = program.definitionOf(fn.module, callee);
          alloc = def && wrappers.get(Program.keyOf(def.module, def.value))?.allocator;
        }
        if (!alloc) continue;
        facts ??= new FunctionFacts(fn);
        const site = makeSite(i, index - 1, alloc, callee.name, fn, facts, program, caches);
        sites.push(site);
        siteCalls.set(site.id, i);
      }
    }
  }
  inheritWrapperCaches(sites, wrappers, siteCalls, program);
  return { sites, caches: [...caches.values()], wrappers, siteCalls };
}

/**
 * A wrapper's call site allocates from the caches its inner allocation uses
 * (`sk_alloc` → `sk_prot_alloc` → `kmem_cache_alloc(slab)`), when every inner
 * allocation of the wrapped allocator names its cache.
 */
function inheritWrapperCaches(
  sites: AllocationSite[], wrappers: Map<string, Wrapper>, siteCalls: Map<string, CallBase>, program: Program,
): void {
  const byFunction = new Map<string, AllocationSite[]>();
  for (const s of sites) {
    const key = `${s.module}::${s.caller}`;
    let l = byFunction.get(key);
    if (!l) { l = []; byFunction.set(key, l); }
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

function makeSite(
  call: CallBase, index: number, alloc: Allocator, calleeName: string, fn: Located<Function>, facts: FunctionFacts,
  program: Program, caches: Map<string, Cache>,
): AllocationSite {
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
      if (c) { if (!cacheNames.includes(c.name)) cacheNames.push(c.name); } else all = false;
    }
    if (!all) cacheNames.length = 0;
    cacheNames.sort();
  }
  const cache = cacheNames[0];
  const sizeArg = alloc.size !== undefined ? call.args[alloc.size] : undefined;
  const countArg = alloc.count !== undefined ? call.args[alloc.count] : undefined;
  let size: AllocationSite['size'];
  if (sizeArg?.kind === 'int' && (!countArg || countArg.kind === 'int')) {
    // sizes are unsigned: `i32 -1` is 4294967295
    size = { constant: unsignedOf(sizeArg) * (countArg?.kind === 'int' ? unsignedOf(countArg) : 1) };
  } else if (sizeArg) {
    size = { expression: countArg ? `arg${alloc.count} * arg${alloc.size}` : `arg${alloc.size}` };
  } else if (alloc.order !== undefined) {
    const o = call.args[alloc.order];
    size = o?.kind === 'int' ? { constant: 4096 << Number(o.value) } : { expression: `4096 << arg${alloc.order}` };
  } else if (alloc.kind === 'buddy') {
    size = { constant: 4096 };
  }
  const cands = recoverType(call, facts, program).sort(
    (a, b) => Math.min(...a.evidence.map((e) => EVIDENCE_RANK[e.kind])) - Math.min(...b.evidence.map((e) => EVIDENCE_RANK[e.kind]))
      || b.evidence.length - a.evidence.length,
  );
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
  let type: ObjectType;
  if (cands.length) {
    const [best, ...rest] = cands;
    const evidence = [...best!.evidence];
    if (size && 'constant' in size && best!.size === size.constant) {
      evidence.push({ kind: 'size-match', type: best!.name, detail: `${size.constant} bytes` });
    }
    type = {
      name: best!.name, kind: best!.kind, ...(best!.size !== undefined ? { size: best!.size } : {}), evidence,
      ...(rest.length ? { conflicts: rest.map((c) => ({ type: c.name, evidence: c.evidence })) } : {}),
    };
  } else {
    const at = writtenCallFrame(location);
    const name = `buf@${fn.value.name}:${at?.line ?? 0}:${at?.column ?? 0}`;
    type = {
      name, kind: 'buffer', ...(size && 'constant' in size ? { size: size.constant } : {}),
      evidence: [{ kind: 'synthetic-buffer', type: name, detail: size ? ('constant' in size ? `${size.constant} bytes` : size.expression) : 'size unknown' }],
    };
  }
  return {
    id,
    kind: alloc.kind,
    allocator: calleeName,
    caller: fn.value.name,
    module: fn.module.name,
    location,
    ...(cache ? { cache } : {}),
    ...(cacheNames.length > 1 ? { caches: cacheNames } : {}),
    ...(size ? { size } : {}),
    type,
  };
}

