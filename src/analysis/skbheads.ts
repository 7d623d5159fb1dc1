// Owns the analysis side of the run-time class "the head buffer of an sk_buff" (`skb-head`, issue
// 12): which pointers of the analyzed code can only point into some skb's head buffer, and which
// functions return such a pointer.
//
// Why a class: a write through `skb->data` (an `ipv6hdr *`, a `u8 *` option cursor) is, to the
// points-to, a load of a field that every driver and protocol stores into; in the whole kernel
// that field holds "unknown" (drivers hand `build_skb` buffers whose pointers their own TUs lose),
// so the write got the typed fallback of its header type, which admits every escaping typeless
// buffer of the kernel (~870 sites), or "any". What the kernel guarantees is narrower: `skb->head`
// is only ever set by the skb code itself, to a buffer it allocated or that `build_skb` was given,
// and `skb->data` points into that buffer. The run time registers those buffers as the skb code
// makes or installs them (runtime/bpf/track.bpf.h); a write whose pointer comes only from
// `skb->head` / `skb->data` is legal exactly inside one of them.
//
// A pointer is a head pointer when every value it may be (through phis, selects, casts and GEPs:
// `flow.ts` origins) is a load of `head` or `data` of a `struct sk_buff` (the record and members
// named by debug info, so the offsets are the kernel's own), a call of a function known to return a
// head pointer, a null pointer (a write through it faults before it lands anywhere), or a parameter
// of a never address-taken function whose every caller passes a head pointer there (a static
// function's callers in its TU; in the closed world, any function whose callers are all in the
// program's IR).
import type { CallBase, Function, Value } from '../ir/index.js';
import { isCallBase } from '../ir/instructions.js';
import { signatureTypes } from './debugvars.js';
import { isRecord, membersAt, pointeeOf, typeName } from './ditypes.js';
import { calleeOf, callsIn, isNullConstant, originsUntil, returnedValues } from './flow.js';
import { gepOffset, UNKNOWN } from './layout.js';
import type { PointsTo } from './pointsto.js';
import { Program, type ProgramModule } from './program.js';

/** The record whose members point into the head buffer, and those members (Linux's `struct sk_buff`). */
export const SKB_HEAD_RECORD = 'struct sk_buff';
const HEAD_MEMBERS: ReadonlySet<string> = new Set(['head', 'data']);

/** How deep the walk follows a static function's parameter into its callers. */
const CALLER_DEPTH = 3;

/**
 * When a function returns a head pointer: undefined when some returned value is not one; else the
 * functions (program keys) whose results it returns, all of which must return head pointers too
 * (empty: unconditionally). Summaries carry this for the TUs read as summaries.
 */
export type HeadReturn = readonly string[] | undefined;

/** The head-pointer facts of one analysis (compartment and context read as IR, context summaries). */
export class SkbHeads {
  private readonly memo = new Map<Value, boolean>();
  private readonly headLoads = new Map<Value, boolean>();
  /** Program keys of the functions that return head pointers. */
  readonly returning: ReadonlySet<string>;
  /** {@link HeadReturn} of each function the program defines in IR (by key), where it is one. */
  readonly ownConditions = new Map<string, readonly string[]>();

  /**
   * @param external what the context's summaries say of their functions (`skbHead` of each):
   *   key → the functions whose results it returns.
   */
  constructor(
    private readonly program: Program,
    private readonly pts: PointsTo,
    external: ReadonlyMap<string, readonly string[]> = new Map(),
    /**
     * True for a function (program key) every caller of which is a direct call in the program's IR
     * (the closed world's known callers, none of them context read as summaries): its parameters
     * are followed into those calls like a static function's.
     */
    private readonly callersAllInIr: (key: string) => boolean = () => false,
  ) {
    for (const fn of program.definedFunctions()) {
      const c = this.returnConditions(fn.value, fn.module);
      if (c) this.ownConditions.set(Program.keyOf(fn.module, fn.value), c);
    }
    this.returning = leastFixpoint(new Map([...external, ...this.ownConditions]));
  }

  /** {@link HeadReturn} of one function from its IR alone: the keys of the callees its returned values come from, or undefined. */
  private returnConditions(f: Function, module: ProgramModule): HeadReturn {
    if (!f.isDefinition) return undefined;
    const needs = new Set<string>();
    let pointers = 0;
    for (const value of returnedValues(f)) {
      const roots = originsUntil(value, (v) => this.isHeadLoad(v) || (v.kind === 'instruction' && isCallBase(v)));
      if (!roots) return undefined;
      for (const r of roots) {
        if (isNullConstant(r)) continue;
        pointers++;
        if (this.isHeadLoad(r)) continue;
        const callee = r.kind === 'instruction' && isCallBase(r) ? calleeOf(r) : undefined;
        if (!callee) return undefined;
        needs.add(Program.keyOf(module, callee));
      }
    }
    // a function returning only null returns no head pointer
    return pointers ? [...needs].sort() : undefined;
  }

  /** True when every value `p` may be is a head pointer (see the file's comment). */
  isHeadPointer(p: Value, module: ProgramModule, depth = 0): boolean {
    const known = this.memo.get(p);
    if (known !== undefined) return known;
    // a cycle through callers' arguments: assume false while deciding
    this.memo.set(p, false);
    const roots = originsUntil(p, (v) => this.isHeadLoad(v) || (v.kind === 'instruction' && isCallBase(v)));
    const ok =
      !!roots?.length &&
      roots.some((r) => !isNullConstant(r)) &&
      roots.every((r) => isNullConstant(r) || this.isHeadLoad(r) || this.isHeadCall(r, module) || this.isHeadParameter(r, module, depth));
    this.memo.set(p, ok);
    return ok;
  }

  /** A load of `skb->head` or `skb->data`: its address a constant offset into a value debug info types `struct sk_buff *`. */
  isHeadLoad(v: Value): boolean {
    if (v.kind !== 'instruction' || v.opcode !== 'load') return false;
    let known = this.headLoads.get(v);
    if (known === undefined) this.headLoads.set(v, (known = this.isHeadMember(v.operands[0]!)));
    return known;
  }

  /** True when `address` is the address of `head` or `data` of a `struct sk_buff` (see {@link isHeadLoad}). */
  isHeadMember(address: Value): boolean {
    let cur = address;
    let offset = 0;
    for (let i = 0; i < 16 && offset !== UNKNOWN; i++) {
      const record = pointeeOf(this.declaredType(cur) ?? null);
      if (record && isRecord(record)) {
        if (typeName(record) !== SKB_HEAD_RECORD) return false;
        // the member's first byte (through anonymous structs or unions around it), not a byte inside it
        const chain = membersAt(record, offset);
        const last = chain.at(-1);
        return !!last && HEAD_MEMBERS.has(last.name) && chain.reduce((at, m) => at + m.offset, 0) === offset;
      }
      const c = cur.kind === 'instruction' && (cur.opcode === 'bitcast' || cur.opcode === 'addrspacecast') ? cur.operands[0]! : cur;
      if (c.kind === 'instruction' && c.opcode === 'getelementptr') {
        const d = gepOffset(c.operands, c.sourceElementType);
        offset = d === UNKNOWN ? UNKNOWN : offset + d;
        cur = c.operands[0]!;
        continue;
      }
      if (c === cur) return false;
      cur = c;
    }
    return false;
  }

  /** A value's declared type: its variable's, or for a parameter its debug signature's. */
  private declaredType(v: Value): ReturnType<PointsTo['debugTypeOf']> {
    const own = this.pts.debugTypeOf(v);
    if (own !== undefined || v.kind !== 'argument') return own;
    return signatureTypes(v.parent)?.[v.index + 1];
  }

  private isHeadCall(v: Value, module: ProgramModule): boolean {
    if (v.kind !== 'instruction' || !isCallBase(v)) return false;
    const callee = calleeOf(v);
    return !!callee && this.returning.has(Program.keyOf(module, callee));
  }

  /**
   * A parameter of a function whose every caller is a direct call that passes a head pointer there:
   * a static function's callers in its module, or, where {@link callersAllInIr} says the program's IR
   * holds every caller, those anywhere in it. Never an address-taken function.
   */
  private isHeadParameter(v: Value, module: ProgramModule, depth: number): boolean {
    if (v.kind !== 'argument' || depth >= CALLER_DEPTH) return false;
    const f = v.parent;
    if (this.pts.addressTakenNames.has(f.name)) return false;
    const local = f.linkage === 'internal' || f.linkage === 'private';
    const key = Program.keyOf(module, f);
    if (!local && !this.callersAllInIr(key)) return false;
    const calls = this.callersByKey().get(key) ?? [];
    return (
      calls.length > 0 &&
      calls.every(({ call, module: m }) => call.args[v.index] !== undefined && this.isHeadPointer(call.args[v.index]!, m, depth + 1))
    );
  }

  /** Direct calls of the whole program by callee key (a static function's key names its module, so its callers are its TU's). */
  private callersByKey(): Map<string, { call: CallBase; module: ProgramModule }[]> {
    if (this.byKey) return this.byKey;
    const map = new Map<string, { call: CallBase; module: ProgramModule }[]>();
    for (const module of this.program.modules) {
      for (const f of module.module.functions) {
        for (const call of callsIn(f)) {
          const callee = calleeOf(call);
          if (!callee) continue;
          const key = Program.keyOf(module, callee);
          const l = map.get(key);
          if (l) l.push({ call, module });
          else map.set(key, [{ call, module }]);
        }
      }
    }
    return (this.byKey = map);
  }
  private byKey?: Map<string, { call: CallBase; module: ProgramModule }[]>;
}

/** The keys whose conditions hold when only keys proven so far count (no cycle proves itself). */
function leastFixpoint(conditions: ReadonlyMap<string, readonly string[]>): Set<string> {
  const out = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const [k, needs] of conditions) {
      if (out.has(k) || !needs.every((n) => out.has(n))) continue;
      out.add(k);
      changed = true;
    }
  }
  return out;
}
