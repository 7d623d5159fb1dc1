// Owns whether the pointer a parameter receives may escape its function, by a
// walk over its uses (def-use), for the parameters points-to cannot mark (an
// untyped `void *`, `char *` or `unsigned long`: there "unknown" stands for the
// caller's object and absorbs it). The per-TU summary lists the parameters
// that escape (summary/summarize.ts); the whole program then knows which
// objects passed to them escape with them (summary/escape.ts). Also owns the
// deallocator table: freeing an object hands its address back to the allocator,
// not to code that could write through it later.
import type { CallBase, Instruction } from '../ir/instructions.js';
import type { Type } from '../ir/types.js';
import type { Function, Value } from '../ir/values.js';
import { stripCasts } from './flow.js';
import { asmOperands } from './writes.js';

/**
 * Functions that free the object one argument points to, by name → that argument. What a block
 * holds after it is freed belongs to its next allocation, a call site of its own: the run time
 * records it there (Linux 6.1 names; `kvfree_call_rcu` takes the object's `rcu_head`).
 */
export const DEALLOCATORS: ReadonlyMap<string, number> = new Map([
  ['kfree', 0],
  ['kvfree', 0],
  ['kfree_sensitive', 0],
  ['kvfree_sensitive', 0],
  ['kfree_const', 0],
  ['kmem_cache_free', 1],
  ['vfree', 0],
  ['vfree_atomic', 0],
  ['free_pages', 0],
  ['__free_pages', 0],
  ['free_pages_exact', 0],
  ['free_percpu', 0],
  ['page_frag_free', 0],
  ['kvfree_call_rcu', 0],
]);

/** Bound on the values one walk visits; past it the parameter escapes. */
const WALK_LIMIT = 4096;
/** Bound on the calls deep a walk follows into the TU's own functions; past it the parameter escapes. */
const DEPTH_LIMIT = 8;

/** Where a walk from a parameter (or a call's result) found the pointer goes. */
export interface ParameterFlow {
  /** It may go where no summary follows it (stored other than into a typed field, handed to an asm statement that may write memory, past a bound). */
  readonly escapes: boolean;
  /**
   * The function walked returns it or an address derived from it. Its callers decide: a caller's
   * walk goes on in the call's result, and the summary of an exported function says so (`param:`
   * in its returns) for the callers elsewhere, whose own walks follow the result.
   */
  readonly returned: boolean;
  /**
   * The calls out of the TU (to a function it only declares, or indirect) it is passed to, with
   * the argument positions: the summary records them as passed on there (`passed:`, `result:`),
   * and the whole program decides whether it escapes in the callee.
   */
  readonly passes: ReadonlyMap<CallBase, ReadonlySet<number>>;
  /**
   * The shared cells (`T:struct urb@96`) it is stored into, where the store writes no other: the
   * summary records them as field stores, and the whole program decides whether some TU loads them.
   */
  readonly cells: ReadonlySet<string>;
}

const ESCAPES: ParameterFlow = { escapes: true, returned: true, passes: new Map(), cells: new Set() };

/**
 * The shared cells a store through this pointer writes, when it writes no other; undefined when
 * it may write elsewhere (points-to's `storeCells`).
 */
export type StoreCells = (pointer: Value) => readonly string[] | undefined;

/**
 * True when a value of this type can hold an address: a pointer, an integer as wide as one, an
 * aggregate or vector with such a member, or a floating-point or MMX value (bit patterns). A
 * narrower integer (`int n = vsnprintf(buf, …)`, a truncation, a flag) cannot, so the walk stops
 * there. Assumed: no kernel code rebuilds an address from its low half.
 */
export function canCarryAddress(t: Type): boolean {
  switch (t.kind) {
    case 'pointer':
      return true;
    case 'int':
      return t.bits >= 64;
    case 'array':
    case 'vector':
      return canCarryAddress(t.element);
    case 'struct':
      return t.elements?.some(canCarryAddress) ?? true;
    // a bit pattern may pass through them (a bitcast): kept, as the kernel barely uses them
    case 'float':
    case 'x86_mmx':
      return true;
    default:
      return false;
  }
}

/**
 * Where the pointer each parameter of a module's functions receives, or a call's result, may go:
 * whether it escapes (stored into memory other than a typed object's field, handed to an asm
 * statement that may write memory, passed to a variadic function of the TU), whether the function
 * returns it, to which calls out of the TU it is passed on, and into which fields it is stored. Walks the uses through casts, GEPs, phis, selects, integer arithmetic
 * wide enough to hold an address, and calls into the TU's own functions (a helper of the TU that
 * returns it moved on is followed back into its caller: `str = number(str, end, …)` in
 * `vsnprintf`).
 */
export class ParameterEscapes {
  private readonly users = new Map<Function, Map<Value, Instruction[]>>();
  private readonly memo = new Map<string, ParameterFlow>();
  private readonly inProgress = new Set<string>();
  private cycle = false;

  /** Without `storeCells`, every store of the pointer lets it escape. */
  constructor(private readonly storeCells?: StoreCells) {}

  /** True when the pointer parameter `index` of `f` receives may escape where no summary follows it. */
  escapes(f: Function, index: number): boolean {
    return this.flow(f, index).escapes;
  }

  /** Where the pointer parameter `index` of `f` receives goes. */
  flow(f: Function, index: number, depth = 0): ParameterFlow {
    const id = `${f.name}:${index}`;
    const m = this.memo.get(id);
    if (m !== undefined) return m;
    if (depth > DEPTH_LIMIT) return ESCAPES;
    // a recursive call adds no way out the outer walk does not see; what is found inside it is not kept
    if (this.inProgress.has(id)) {
      this.cycle = true;
      return { escapes: false, returned: false, passes: new Map(), cells: new Set() };
    }
    const a = f.arguments[index];
    if (!a) return ESCAPES;
    this.inProgress.add(id);
    const out = this.walk(f, a, depth);
    this.inProgress.delete(id);
    if (!this.inProgress.size) this.cycle = false;
    if (!this.cycle || out.escapes) this.memo.set(id, out);
    return out;
  }

  /** Where the pointer `call` (in `f`, to a function another TU defines or an exported one) returns goes in `f` (`p = strchr(buf, c)`). */
  resultFlow(f: Function, call: CallBase): ParameterFlow {
    return this.walk(f, call, 0);
  }

  private usersIn(f: Function): Map<Value, Instruction[]> {
    let m = this.users.get(f);
    if (m) return m;
    m = new Map();
    for (const b of f.blocks)
      for (const i of b.instructions)
        for (const o of i.operands) {
          if (o.kind !== 'instruction' && o.kind !== 'argument') continue;
          const l = m.get(o);
          if (l) l.push(i);
          else m.set(o, [i]);
        }
    this.users.set(f, m);
    return m;
  }

  private walk(f: Function, start: Value, depth: number): ParameterFlow {
    const users = this.usersIn(f);
    const seen = new Set<Value>([start]);
    const work: Value[] = [start];
    const derived = (u: Value): void => {
      if (!seen.has(u) && canCarryAddress(u.type)) {
        seen.add(u);
        work.push(u);
      }
    };
    const passes = new Map<CallBase, Set<number>>();
    const cells = new Set<string>();
    let returned = false;
    const differences: Instruction[] = [];
    for (;;) {
      if (!work.length) {
        // a difference with one side outside the object is an address moved: walked on
        for (const d of differences.splice(0)) if (!(seen.has(d.operands[0]!) && seen.has(d.operands[1]!))) derived(d);
        if (!work.length) break;
      }
      if (seen.size > WALK_LIMIT) return ESCAPES;
      const v = work.pop()!;
      for (const u of users.get(v) ?? []) {
        switch (u.opcode) {
          case 'icmp':
          case 'fcmp':
          // what is read out of the caller's object is its content, not its address: the whole
          // program counts an object's own cells as read by any callee in another TU
          case 'load':
            continue;
          case 'sub':
            // the distance between two addresses into the object (`sc - s` in strlen) is a length:
            // decided once every other use is walked, when both sides may be known
            differences.push(u);
            continue;
          case 'store': {
            if (u.value !== v) continue;
            // into a field of a typed object: the whole program decides whether some TU loads it
            const into = this.storeCells?.(u.pointer);
            if (!into) return ESCAPES;
            for (const c of into) cells.add(c);
            continue;
          }
          case 'atomicrmw':
            if (u.operands[1] === v) return ESCAPES;
            continue;
          case 'cmpxchg':
            if (u.operands[1] === v || u.operands[2] === v) return ESCAPES;
            continue;
          case 'ret':
            returned = true;
            continue;
          case 'resume':
            return ESCAPES;
          case 'call':
          case 'invoke':
          case 'callbr': {
            const r = this.call(u as CallBase, v, depth, passes, cells);
            if (r === 'escapes') return ESCAPES;
            if (r === 'returned') derived(u);
            continue;
          }
          case 'br':
          case 'switch':
          case 'indirectbr':
            continue;
          default:
            // casts, GEPs, phi, select, integer arithmetic, aggregates: the value goes on in the result
            if (u.type.kind === 'void') return ESCAPES;
            derived(u);
        }
      }
    }
    return { escapes: false, returned, passes, cells };
  }

  /**
   * What passing `v` to this call does with it: lets it escape, may hand it back in the call's
   * result, or neither. Calls out of the TU are noted in `passes`.
   */
  private call(
    call: CallBase,
    v: Value,
    depth: number,
    passes: Map<CallBase, Set<number>>,
    cells: Set<string>,
  ): 'escapes' | 'returned' | 'kept' {
    const args = call.args;
    const positions = args.flatMap((a, k) => (a === v ? [k] : []));
    if (!positions.length) return 'kept'; // only the callee: a call through it
    const passOn = (ks: readonly number[]): void => {
      let on = passes.get(call);
      if (!on) passes.set(call, (on = new Set()));
      for (const k of ks) on.add(k);
    };
    const callee = stripCasts(call.callee);
    if (callee.kind === 'asm') {
      const ops = asmOperands(callee.constraints);
      // an output register may hold it
      return ops.writesMemory && positions.some((k) => !ops.args[k]?.indirect) ? 'escapes' : 'returned';
    }
    // an indirect call: the whole program's matching follows it into the functions it may call,
    // which may hand it back
    if (callee.kind !== 'function') {
      passOn(positions);
      return 'returned';
    }
    // an intrinsic reads or writes through the pointer (memcpy, memset) or returns it moved (ptrmask): the walk goes on in its result
    if (callee.name.startsWith('llvm.')) return 'returned';
    // a function another TU defines: what it returns is walked as its own (`result:` in the
    // summary), which the whole program joins to what the callee returns of its parameters
    if (!callee.isDefinition) {
      const freed = DEALLOCATORS.get(callee.name);
      passOn(positions.filter((k) => k !== freed));
      return 'kept';
    }
    let returned = false;
    for (const k of positions) {
      // a variadic argument of the TU's own function: read back through `va_arg`, not followed
      if (k >= callee.arguments.length) return 'escapes';
      const r = this.flow(callee, k, depth + 1);
      if (r.escapes) return 'escapes';
      returned ||= r.returned;
      for (const c of r.cells) cells.add(c);
      for (const [c, ks] of r.passes) {
        let on = passes.get(c);
        if (!on) passes.set(c, (on = new Set()));
        for (const x of ks) on.add(x);
      }
    }
    return returned ? 'returned' : 'kept';
  }
}
