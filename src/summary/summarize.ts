// Owns computing the summary of ONE translation unit (issue 12 item 4): parse
// the .ll, run the analysis's own passes on that module alone (allocation
// sites and caches, points-to, the indirect-call typing), and keep only what
// other TUs' analyses and the whole-program call graph need. The module is
// dropped when this returns: a caller summarizing thousands of TUs holds one
// module at a time.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  type AllocatorTable,
  allocatorTable,
  constantPointers,
  findAllocationSites,
  globalDebugType,
  indirectCallContext,
  indirectCallsOf,
  recordFacts,
  isRecord,
  stripQualifiers,
  irSignatureOf,
  isNullConstant,
  PointsTo,
  Program,
  type ProgramModule,
  prototypeOf,
  returnedValues,
  signatureTypes,
  stripCasts,
  typeName,
} from '../analysis/index.js';
import { canCarryAddress, DEALLOCATORS, type ParameterFlow, ParameterEscapes } from '../analysis/escape.js';
import { gepOffset, UNKNOWN } from '../analysis/layout.js';
import { isPointerish } from '../analysis/pointsto.js';
import { SkbHeads } from '../analysis/skbheads.js';
import { filePathOf } from '../ir/debuginfo.js';
import { type CallBase, isCallBase } from '../ir/instructions.js';
import type { Module } from '../ir/module.js';
import { parseModuleBytes } from '../ir/read.js';
import type { Function, GlobalValue, Value } from '../ir/values.js';
import type { Cache } from '../policy/schema.js';
import { viewsOfSummaries } from './escape.js';
import { SUMMARY_VERSION, type SummaryFunction, type SummaryGlobal, type TuSummary } from './schema.js';

/**
 * Declared functions a module's defined functions call directly (intrinsics left out), sorted:
 * the summary's `externals` (linksOfModule uses this too, so the two cannot disagree).
 */
export function externalCallees(module: Module): string[] {
  const externals = new Set<string>();
  for (const f of module.functions) {
    if (!f.isDefinition) continue;
    for (const b of f.blocks)
      for (const i of b.instructions) {
        if (!isCallBase(i)) continue;
        const c = stripCasts(i.callee);
        if (c.kind === 'function' && !c.name.startsWith('llvm.') && !c.isDefinition) externals.add(c.name);
      }
  }
  return [...externals].sort();
}

/**
 * A constant pointer that points at no object: null, undef, poison, or an integer in the page at 0
 * or among the error pointers (`ERR_PTR(-ENOMEM)`, `(void *)offsetof(…)` for `kfree_rcu`): the
 * kernel maps neither. Any other constant address (a fixmap) is memory, lost to the analysis.
 */
function pointsNowhere(v: Value): boolean {
  const c = stripCasts(v);
  if (isNullConstant(c)) return true;
  if (c.kind !== 'expr' || c.opcode !== 'inttoptr' || c.operands[0]?.kind !== 'int') return false;
  const n = BigInt.asIntN(64, c.operands[0].value);
  return n > -MAX_ERRNO - 1n && n < PAGE_SIZE;
}
const MAX_ERRNO = 4095n;
const PAGE_SIZE = 4096n;

/** True when some `ret` of `f` returns a value other than a constant that points nowhere. */
function returnsSomething(f: Function): boolean {
  return returnedValues(f).some((v) => !pointsNowhere(v));
}

/**
 * The parameter of `caller` a value is, through casts and GEPs (`&p->field`, offset undefined when
 * not constant), or undefined.
 */
function passedParameter(v: Value, caller: Function): { index: number; offset: number | undefined } | undefined {
  let cur = stripCasts(v);
  let offset: number | undefined = 0;
  for (let k = 0; k < 16; k++) {
    if (cur.kind === 'argument') return cur.parent === caller ? { index: cur.index, offset } : undefined;
    if (cur.kind !== 'instruction' || cur.opcode !== 'getelementptr') return undefined;
    const o = gepConstant(cur.operands, cur.sourceElementType);
    offset = o === undefined || offset === undefined ? undefined : offset + o;
    cur = stripCasts(cur.operands[0]!);
  }
  return undefined;
}

/** sha256 (hex) of a TU's bytes: with {@link SUMMARY_VERSION}, the identity of its summary. */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface SummarizeOptions {
  /** The allocator table (default: `allocatorTable()`); part of what a summary depends on. */
  allocators?: AllocatorTable;
  /** Caches other TUs create whose holders this TU loads (see `summarizeProgram`); part of what a summary depends on. */
  caches?: Cache[];
}

const sourceFileOf = (f: Function): string | undefined => {
  const sp = f.subprogram;
  if (sp?.kind !== 'DISubprogram') return undefined;
  return sp.file?.kind === 'DIFile' ? sp.file.filename : filePathOf(sp);
};

/** A constant pointer's target as a symbol key and byte offset (through casts and constant GEPs). */
function pointerTarget(pm: ProgramModule, v: Value): { target: string; targetOffset?: number } {
  let cur = stripCasts(v);
  let off = 0;
  for (let k = 0; k < 8 && cur.kind === 'expr' && cur.opcode === 'getelementptr'; k++) {
    const base = cur.operands[0]!;
    const e = cur;
    const o = gepConstant(e.operands, e.sourceElementType);
    if (o === undefined) return { target: '?' };
    off += o;
    cur = stripCasts(base);
  }
  if (cur.kind === 'global' || cur.kind === 'function' || cur.kind === 'alias' || cur.kind === 'ifunc')
    return { target: Program.keyOf(pm, cur as GlobalValue), ...(off ? { targetOffset: off } : {}) };
  return { target: `?${cur.kind === 'expr' ? cur.opcode : cur.kind}` };
}

function gepConstant(ops: readonly Value[], src: Parameters<typeof gepOffset>[1]): number | undefined {
  const o = gepOffset(ops, src);
  return o === UNKNOWN ? undefined : o;
}

/** The record types of a module's debug info, each name once, with containment's relations (merged over same-named types). */
export function recordsOf(module: Module): TuSummary['records'] {
  const byName = new Map<string, { size: number; sets: Set<string>[]; at: Map<string, [string, number]> }>();
  const seen = new Set<unknown>();
  for (const md of module.metadata) {
    if (md?.kind !== 'DICompositeType' || seen.has(md) || !isRecord(md)) continue;
    seen.add(md);
    const r = recordFacts(md);
    let e = byName.get(r.name);
    if (!e) byName.set(r.name, (e = { size: 0, sets: [new Set(), new Set(), new Set()], at: new Map() }));
    if (r.size) e.size = r.size;
    for (const x of r.embeds) e.sets[0]!.add(x);
    for (const x of r.startsWith) e.sets[1]!.add(x);
    for (const x of r.headOf) e.sets[2]!.add(x);
    for (const x of r.embedsAt ?? []) e.at.set(`${x[0]}@${x[1]}`, x);
  }
  return [...byName]
    .filter(([, e]) => e.size || e.sets.some((x) => x.size))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([name, e]) => [
      name,
      e.size,
      [...e.sets[0]!].sort(),
      [...e.sets[1]!].sort(),
      [...e.sets[2]!].sort(),
      [...e.at.values()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
    ]);
}

/**
 * Summarizes a parsed module. `file` and `sha256` identify the input; `parseSeconds` is carried
 * into the stats.
 */
export function summarizeModule(
  module: Module,
  input: { file: string; sha256: string; bytes: number; parseSeconds?: number },
  options: SummarizeOptions = {},
): TuSummary {
  const t0 = performance.now();
  const pm: ProgramModule = { module, name: module.sourceFilename ?? input.file, role: 'context' };
  const program = new Program([pm]);
  const { sites, caches, wrappers, siteCalls } = findAllocationSites(program, options.allocators ?? allocatorTable(), options.caches);
  // a store under one key of some bytes is read by this TU's loads under the others
  const records = recordsOf(module);
  const views = viewsOfSummaries([], [records]);
  // parameters marked: the summary says where each exported function's callers' arguments go
  const pts = new PointsTo(program, sites, siteCalls, undefined, true, views.otherKeys);
  const isExported = (f: Function): boolean => f.linkage !== 'internal' && f.linkage !== 'private';
  /** Exported or address-taken: code outside this TU may call it (directly, or through a pointer). */
  const calledFromOutside = (f: Function): boolean => isExported(f) || pts.addressTakenNames.has(f.name);
  pts.solve();
  const icx = indirectCallContext(program, pts);
  const keyByName = new Map<string, string>();
  for (const f of module.functions) keyByName.set(f.name, Program.keyOf(pm, f));

  const functions: SummaryFunction[] = [];
  const functionOf = new Map<Function, SummaryFunction>();
  const calls = new Set<string>();
  const indirectCalls: TuSummary['indirectCalls'] = [];
  const indirectCallAt = new Map<CallBase, TuSummary['indirectCalls'][number]>();
  // callee key → parameter index → what this TU passes there (the union over its calls)
  const args = new Map<string, Map<number, Set<string>>>();
  const addArgs = (callee: string, index: number, refs: readonly string[]): void => {
    if (!refs.length) return;
    let byIndex = args.get(callee);
    if (!byIndex) args.set(callee, (byIndex = new Map()));
    let set = byIndex.get(index);
    if (!set) byIndex.set(index, (set = new Set()));
    for (const r of refs) set.add(r);
  };
  /** `freed`: the argument a deallocator frees, left out (where it goes no summary reader asks). */
  const pointerArgs = (call: CallBase, caller: Function, freed?: number): [number, string[]][] =>
    call.args.flatMap((a, k): [number, string[]][] => {
      if (!isPointerish(a) || k === freed) return [];
      let refs = pts.refsOf(a, pm);
      // a pointer nothing in this TU reaches is one its analysis lost, not one that points nowhere:
      // left out, the closed world would bind the callee's parameter to the other callers' objects only
      if (!refs.length && a.type.kind === 'pointer' && !pointsNowhere(a)) refs = ['unknown@*'];
      // the caller's own parameter, passed on: "unknown" here only because a caller outside may
      // pass anything (a `char *`, an `int *`); say whose parameter, for the whole program to resolve
      if (refs.length === 1 && refs[0] === 'unknown@*') {
        const p = passedParameter(a, caller);
        if (p && calledFromOutside(caller)) {
          refs = [`passed:${Program.keyOf(pm, caller)}:${p.index}@${p.offset === undefined ? '*' : p.offset}`];
        }
      }
      return refs.length ? [[k, refs]] : [];
    });
  let instructions = 0;
  const skbHeads = new SkbHeads(program, pts);
  for (const f of module.functions) {
    const key = Program.keyOf(pm, f);
    const sig = signatureTypes(f);
    const proto = prototypeOf(f);
    const file = sourceFileOf(f);
    let returns = f.isDefinition ? pts.returnObjects(f) : undefined;
    // likewise a returned pointer nothing reaches (unless every `ret` returns null)
    if (returns?.length === 0 && returnsSomething(f)) returns = ['unknown@*'];
    const record: SummaryFunction = {
      name: f.name,
      key,
      linkage: f.linkage,
      defined: f.isDefinition,
      signature: irSignatureOf(f),
      ...(proto ? { prototype: proto } : {}),
      ...(sig ? { debugSignature: sig.map((t, i) => (t === null && i > 0 ? '...' : typeName(t))) } : {}),
      ...(file ? { file } : {}),
      addressTaken: pts.addressTakenNames.has(f.name),
      ...(returns ? { returns } : {}),
    };
    const skbHead = skbHeads.ownConditions.get(key);
    if (skbHead) record.skbHead = [...skbHead];
    functions.push(record);
    functionOf.set(f, record);
    if (!f.isDefinition) continue;
    // call instructions in order: an indirect call's id numbers it among them (`…:icallN`)
    const callInsts: CallBase[] = [];
    for (const b of f.blocks) {
      for (const i of b.instructions) {
        instructions++;
        if (!isCallBase(i)) continue;
        callInsts.push(i);
        const c = stripCasts(i.callee);
        if (c.kind !== 'function' || c.name.startsWith('llvm.')) continue;
        const calleeKey = Program.keyOf(pm, c);
        calls.add(`${key}\0${calleeKey}`);
        // what a callee another TU defines receives from here, and one of this TU that callers
        // outside may call too (whose parameter other TUs may see passed on)
        // and a variadic one: its variadic arguments are followed through its va_start
        if (!c.isDefinition || calledFromOutside(c) || c.functionType.varArg)
          for (const [k, refs] of pointerArgs(i, f, DEALLOCATORS.get(c.name))) addArgs(calleeKey, k, refs);
      }
    }
    for (const ic of indirectCallsOf({ module: pm, value: f }, icx)) {
      const n = /:icall(\d+)$/.exec(ic.id);
      const inst = n ? callInsts[Number(n[1])] : undefined;
      const record: TuSummary['indirectCalls'][number] = {
        caller: key,
        id: ic.id,
        signature: ic.signature,
        ...(ic.prototype ? { prototype: ic.prototype } : {}),
        fields: (ic.fields ?? []).map((x) => `${x.type}+${x.offset}`),
        // targets this TU proves; a set widened by signature matching inside the TU alone is left
        // to the whole-program graph, which matches over every TU's setters and functions
        localTargets: ic.reasons.some((r) => r.kind === 'signature-only' || r.kind === 'signature-added')
          ? []
          : ic.targets.map((t) => keyByName.get(t.symbol) ?? t.symbol),
        arguments: inst ? pointerArgs(inst, f) : [],
      };
      indirectCalls.push(record);
      if (inst) indirectCallAt.set(inst, record);
    }
  }

  const fieldStores = pts.fieldStores();
  // what escapes: from points-to (after its last portable output), and for the exported functions' parameters it does not mark
  // (untyped: "unknown" there stands for the caller's object), from a walk over their uses
  const escapes = new Set(pts.escapingObjects());
  // Untyped pointers points-to cannot tell apart from "unknown", followed by def-use walks: the
  // parameters of exported functions (what their callers elsewhere pass), the results of calls to
  // exported functions (what the callee may return of what other callers passed: `p = strchr(buf,
  // c)` is `buf` moved), and variadic arguments (through va_start, and behind `va_list`
  // parameters). A call out of the TU the walk reaches is recorded as the pointer passed on there
  // (`passed:`, `result:`, `va:` arguments): the whole program decides whether it escapes there.
  const walk = new ParameterEscapes((pointer) => pts.storeCells(pointer));
  const cellStores = new Map<string, Set<string>>(fieldStores.map(([cell, refs]) => [cell, new Set(refs)]));
  const vaPasses = new Map<string, Set<string>>();
  const vaLists: [string, number][] = [];
  const returning = (f: Function, ref: string): void => {
    const r = functionOf.get(f)!;
    if (!r.returns?.includes(ref)) r.returns = [...(r.returns ?? []), ref].sort();
  };
  /** Records where `flow` takes the pointer `object` names (`param:f:i`, `result:g`); `ref` is it passed on. */
  const record = (flow: ParameterFlow, object: string, ref: string): void => {
    if (flow.escapes) {
      escapes.add(object);
      return;
    }
    for (const cell of flow.cells) {
      let refs = cellStores.get(cell);
      if (!refs) cellStores.set(cell, (refs = new Set()));
      refs.add(ref);
    }
    for (const [call, positions] of flow.vaPasses) {
      const callee = stripCasts(call.callee);
      if (callee.kind !== 'function') continue; // the walk records direct calls only
      for (const k of positions) {
        const at = `${Program.keyOf(pm, callee)}\0${k}`;
        let refs = vaPasses.get(at);
        if (!refs) vaPasses.set(at, (refs = new Set()));
        refs.add(ref);
      }
    }
    // where a call passes the parameter itself, its own argument already says so (with the offset)
    const prefix = ref.slice(0, ref.lastIndexOf('@') + 1);
    const named = (refs: Iterable<string> | undefined): boolean => [...(refs ?? [])].some((r) => r.startsWith(prefix));
    for (const [call, positions] of flow.passes) {
      const callee = stripCasts(call.callee);
      if (callee.kind === 'function') {
        const calleeKey = Program.keyOf(pm, callee);
        for (const k of positions) if (!named(args.get(calleeKey)?.get(k))) addArgs(calleeKey, k, [ref]);
        continue;
      }
      const ic = indirectCallAt.get(call);
      // an indirect call the summary does not list: nothing follows it there
      if (!ic) {
        escapes.add(object);
        return;
      }
      for (const k of positions) {
        const at = ic.arguments.find((x) => x[0] === k);
        if (!at) ic.arguments.push([k, [ref]]);
        else if (!named(at[1])) at[1] = [...at[1], ref].sort();
      }
      ic.arguments.sort((x, y) => x[0] - y[0]);
    }
  };
  for (const f of module.functions) {
    if (!f.isDefinition) continue;
    const key = Program.keyOf(pm, f);
    // what its callers pass as variadic arguments, through va_start
    if (f.functionType.varArg) record(walk.variadicFlow(f), `va:${key}`, `va:${key}@*`);
    // the parameters of exported functions, and of static ones called indirectly (from other TUs
    // too); a static function called only here receives this TU's objects, which points-to follows
    if (!calledFromOutside(f)) continue;
    const exported = isExported(f);
    const sig = signatureTypes(f);
    f.arguments.forEach((a, i) => {
      // a va_list: what is behind it
      if (exported && sig && typeName(sig[i + 1] ?? null) === 'struct __va_list_tag *') {
        record(walk.vaListFlow(f, i), `va:${key}:${i}`, `va:${key}:${i}@*`);
        vaLists.push([key, i]);
        return;
      }
      if (!isPointerish(a) || pts.marksParameter(key, i)) return;
      const flow = walk.flow(f, i);
      record(flow, `param:${key}:${i}`, `passed:${key}:${i}@*`);
      // returned: its callers' walks follow the result (`param:` in returns, as for a marked parameter)
      if (!flow.escapes && flow.returned) returning(f, `param:${key}:${i}@*`);
    });
  }
  // an allocation site's result is its own object, which points-to follows
  const allocationCalls = new Set<CallBase>(siteCalls.values());
  for (const f of module.functions) {
    if (!f.isDefinition) continue;
    // returned by a static function nothing calls indirectly: its callers here are not walked
    const returnsFollowed = calledFromOutside(f);
    for (const b of f.blocks)
      for (const i of b.instructions) {
        if (!isCallBase(i) || !canCarryAddress(i.type) || allocationCalls.has(i)) continue;
        // a call to code another TU may define, or to an exported function of this one: the whole
        // program follows what it returns only where every call is walked (summary/escape.ts)
        const c = stripCasts(i.callee);
        if (c.kind !== 'function' || c.name.startsWith('llvm.') || (c.isDefinition && !isExported(c))) continue;
        const object = `result:${Program.keyOf(pm, c)}`;
        if (escapes.has(object)) continue;
        const flow = walk.resultFlow(f, i);
        if (flow.returned && !returnsFollowed) {
          escapes.add(object);
          continue;
        }
        record(flow, object, `${object}@*`);
        if (!flow.escapes && flow.returned) returning(f, `${object}@*`);
      }
  }

  const globals: SummaryGlobal[] = module.globals.map((g) => {
    const t = globalDebugType(g);
    const rec = stripQualifiers(t);
    return {
      name: g.name,
      key: Program.keyOf(pm, g),
      linkage: g.linkage,
      defined: !g.isDeclaration,
      ...(t ? { type: typeName(t) } : {}),
      ...(rec && isRecord(rec) ? { record: typeName(rec) } : {}),
      ...(g.section ? { section: g.section } : {}),
      percpu: (g.section ?? '').startsWith('.data..percpu'),
      pointers: g.initializer ? constantPointers(g.initializer).map(({ offset, value }) => ({ offset, ...pointerTarget(pm, value) })) : [],
    };
  });

  const sortedEntries = <V>(m: Map<string, V>, f: (v: V) => string[]): [string, string[]][] =>
    [...m].map(([k, v]): [string, string[]] => [k, f(v).sort()]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

  return {
    schema: 'kcompart.tu-summary',
    version: SUMMARY_VERSION,
    file: input.file,
    module: pm.name,
    sha256: input.sha256,
    functions,
    globals,
    calls: [...calls].sort().map((c) => c.split('\0') as [string, string]),
    arguments: [...args]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .flatMap(([callee, byIndex]) =>
        [...byIndex].sort((a, b) => a[0] - b[0]).map(([k, refs]): [string, number, string[]] => [callee, k, [...refs].sort()]),
      ),
    indirectCalls,
    sites,
    caches,
    wrappers: [...wrappers].map(([key, w]) => ({ key, wraps: w.wraps, allocator: w.allocator })),
    setters: sortedEntries(icx.setters, (m) => [...m.keys()]),
    fieldCopies: sortedEntries(icx.copies, (s) => [...s]),
    opaqueFields: [...icx.opaque].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
    fieldStores: [...cellStores]
      .map(([cell, refs]): [string, string[]] => [cell, [...refs].sort()])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
    records,
    fieldLoads: pts.loadedFieldCells(),
    privateAreas: pts.privateAreaFacts(),
    escapes: [...escapes].sort(),
    vaLists,
    vaPasses: [...vaPasses]
      .map(([at, refs]): [string, number, string[]] => {
        const [callee, k] = at.split('\0') as [string, string];
        return [callee, Number(k), [...refs].sort()];
      })
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1])),
    holds: pts.ownCellContents(),
    externals: externalCallees(module),
    stats: {
      bytes: input.bytes,
      instructions,
      parseSeconds: input.parseSeconds ?? 0,
      summarizeSeconds: (performance.now() - t0) / 1e3,
    },
  };
}

/** Summarizes IR bytes (`.ll`, or gzip-compressed). @throws ParseError with file, line and column for bad IR. */
export function summarizeBytes(bytes: Uint8Array, file: string, options: SummarizeOptions = {}): TuSummary {
  const t0 = performance.now();
  const sha256 = contentHash(bytes);
  const module = parseModuleBytes(bytes, file);
  const parseSeconds = (performance.now() - t0) / 1e3;
  return summarizeModule(module, { file, sha256, bytes: bytes.length, parseSeconds }, options);
}

/** Reads and summarizes one `.ll` file in this thread. */
export async function summarizeFile(file: string, options: SummarizeOptions = {}): Promise<TuSummary> {
  return summarizeBytes(await readFile(file), file, options);
}
