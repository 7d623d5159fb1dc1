// Owns whether the pointer a parameter receives may escape its function, by a
// walk over its uses (def-use), for the parameters points-to cannot mark (an
// untyped `void *`, `char *` or `unsigned long`: there "unknown" stands for the
// caller's object and absorbs it). The per-TU summary lists the parameters
// that escape (summary/summarize.ts); the whole program then knows which
// objects passed to them escape with them (summary/escape.ts). Also owns the
// deallocator table: freeing an object hands its address back to the allocator,
// not to code that could write through it later.
import { type CallBase, type Instruction, isCallBase } from '../ir/instructions.js';
import type { Type } from '../ir/types.js';
import type { Function, Value } from '../ir/values.js';
import { fitsInHalfWord, stripCasts } from './flow.js';
import { asmOnlyMovesBytes, asmOperands } from './writes.js';

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
  /**
   * For a walk of variadic arguments: the calls out of the TU a `va_list` that holds them is
   * passed to, with the positions (`vprintk(fmt, args)`): the summary records them, and the whole
   * program decides whether the callee lets what is behind its `va_list` parameter escape.
   */
  readonly vaPasses: ReadonlyMap<CallBase, ReadonlySet<number>>;
}

const ESCAPES: ParameterFlow = { escapes: true, returned: true, passes: new Map(), cells: new Set(), vaPasses: new Map() };
const none = (): ParameterFlow => ({ escapes: false, returned: false, passes: new Map(), cells: new Set(), vaPasses: new Map() });

/** Adds `positions` of `call` to a map of calls passed to. */
function noteCall(into: Map<CallBase, Set<number>>, call: CallBase, positions: Iterable<number>): void {
  let on = into.get(call);
  if (!on) into.set(call, (on = new Set()));
  for (const k of positions) on.add(k);
}

/** Adds what a walk found (`from`) to the sets of the walk that started it; false when it escapes. */
function joinFlow(
  from: ParameterFlow,
  passes: Map<CallBase, Set<number>>,
  cells: Set<string>,
  vaPasses: Map<CallBase, Set<number>>,
): boolean {
  if (from.escapes) return false;
  for (const [c, ks] of from.passes) noteCall(passes, c, ks);
  for (const c of from.cells) cells.add(c);
  for (const [c, ks] of from.vaPasses) noteCall(vaPasses, c, ks);
  return true;
}

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
    return this.memoized(`${f.name}:${index}`, f, index, depth, (a) => this.walk(f, a, depth));
  }

  /**
   * A walk from parameter `index` of `f`, once per `id`. A recursive call adds no way out the
   * outer walk does not see: inside a cycle it gives nothing, and what is found meanwhile is not kept.
   */
  private memoized(id: string, f: Function, index: number, depth: number, walk: (a: Value) => ParameterFlow): ParameterFlow {
    const m = this.memo.get(id);
    if (m !== undefined) return m;
    if (depth > DEPTH_LIMIT) return ESCAPES;
    if (this.inProgress.has(id)) {
      this.cycle = true;
      return none();
    }
    const a = f.arguments[index];
    if (!a) return ESCAPES;
    this.inProgress.add(id);
    const out = walk(a);
    this.inProgress.delete(id);
    if (!this.inProgress.size) this.cycle = false;
    if (!this.cycle || out.escapes) this.memo.set(id, out);
    return out;
  }

  /**
   * Where the variadic arguments of `f` go: through the `va_list` each `va_start` fills, into the
   * words `va_arg` reads (`_printk(fmt, ...)` hands its list to `vprintk`). Nothing, without a `va_start`.
   */
  variadicFlow(f: Function): ParameterFlow {
    const lists: Value[] = [];
    for (const b of f.blocks)
      for (const i of b.instructions) {
        if (!isCallBase(i)) continue;
        const c = stripCasts(i.callee);
        if (c.kind === 'function' && c.name.startsWith('llvm.va_start') && i.args[0]) lists.push(i.args[0]);
      }
    return lists.length ? this.walkVaList(f, lists, 0) : none();
  }

  /** Where the arguments behind the `va_list` parameter `index` of `f` go (`vsnprintf(buf, size, fmt, args)`). */
  vaListFlow(f: Function, index: number, depth = 0): ParameterFlow {
    return this.memoized(`${f.name}:${index}:va_list`, f, index, depth, (a) => this.walkVaList(f, [a], depth));
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
    const vaPasses = new Map<CallBase, Set<number>>();
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
            const r = this.call(u as CallBase, v, depth, passes, cells, vaPasses);
            if (r === 'escapes') return ESCAPES;
            if (r === 'returned') derived(u);
            continue;
          }
          case 'br':
          case 'switch':
          case 'indirectbr':
            continue;
          default:
            // casts, GEPs, phi, select, integer arithmetic, aggregates: the value goes on in the
            // result, unless the arithmetic leaves half a word (`hash & 0xffffffff`)
            if (u.type.kind === 'void') return ESCAPES;
            if (!fitsInHalfWord(u)) derived(u);
        }
      }
    }
    return { escapes: false, returned, passes, cells, vaPasses };
  }

  /**
   * A walk from the `va_list`s that hold variadic arguments. A `va_list` (a `struct __va_list_tag`)
   * holds the addresses of the save areas (its fields loaded: `reg_save_area`,
   * `overflow_arg_area`); an area's words are the arguments (loaded: walked as any pointer). Both
   * may move by GEPs, phis and integer arithmetic; an area's next address may be stored back into
   * the `va_list` (`va_arg` advancing it), and a copy (`va_copy`, memcpy) is one more `va_list`.
   * A `va_list` passed to a TU function is followed into its parameter; to one of another TU,
   * recorded (`vaPasses`). Anything else done with a `va_list` or an area's address escapes.
   */
  private walkVaList(f: Function, lists: readonly Value[], depth: number): ParameterFlow {
    const users = this.usersIn(f);
    const seen: [Set<Value>, Set<Value>] = [new Set(lists), new Set()];
    const work: [Value, 0 | 1][] = lists.map((v) => [v, 0]);
    // level 0: a va_list's address; level 1: a save area's address
    const add = (v: Value, level: 0 | 1): void => {
      if (!seen[level].has(v) && canCarryAddress(v.type)) {
        seen[level].add(v);
        work.push([v, level]);
      }
    };
    const passes = new Map<CallBase, Set<number>>();
    const cells = new Set<string>();
    const vaPasses = new Map<CallBase, Set<number>>();
    const advances: Instruction[] = [];
    while (work.length) {
      if (seen[0].size + seen[1].size > WALK_LIMIT) return ESCAPES;
      const [v, level] = work.pop()!;
      for (const u of users.get(v) ?? []) {
        switch (u.opcode) {
          case 'icmp':
          case 'br':
          case 'switch':
            continue;
          case 'load':
            if (level === 0) add(u, 1);
            // an argument: walked as any pointer (one a function returns is not followed)
            else if (canCarryAddress(u.type)) {
              const r = this.walk(f, u, depth);
              if (r.returned || !joinFlow(r, passes, cells, vaPasses)) return ESCAPES;
            }
            continue;
          case 'store':
            // written through: the va_list's own fields, an area's words
            if (u.value !== v) continue;
            if (level === 1) {
              advances.push(u);
              continue;
            }
            return ESCAPES;
          case 'call':
          case 'invoke':
          case 'callbr': {
            const call = u as CallBase;
            const positions = call.args.flatMap((a, k) => (a === v ? [k] : []));
            const callee = stripCasts(call.callee);
            if (level === 1 || !positions.length || callee.kind !== 'function') return ESCAPES;
            if (callee.name.startsWith('llvm.')) {
              // va_start, va_end, lifetime, memset: nothing taken; va_copy or a memcpy out of it: a copy
              if (/^llvm\.(va_copy|memcpy|memmove)/.test(callee.name) && call.args[1] === v && call.args[0]) add(call.args[0], 0);
              continue;
            }
            if (!callee.isDefinition) {
              noteCall(vaPasses, call, positions);
              continue;
            }
            for (const k of positions) {
              if (k >= callee.arguments.length) return ESCAPES;
              if (!joinFlow(this.vaListFlow(callee, k, depth + 1), passes, cells, vaPasses)) return ESCAPES;
            }
            continue;
          }
          default:
            // GEPs, casts, phis, selects, integer arithmetic: the same level in the result
            if (u.type.kind === 'void') return ESCAPES;
            if (!fitsInHalfWord(u)) add(u, level);
        }
      }
    }
    // an area's next address goes back into a va_list only
    for (const s of advances) if (!seen[0].has(s.operands[1]!)) return ESCAPES;
    return { escapes: false, returned: false, passes, cells, vaPasses };
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
    vaPasses: Map<CallBase, Set<number>>,
  ): 'escapes' | 'returned' | 'kept' {
    const args = call.args;
    const positions = args.flatMap((a, k) => (a === v ? [k] : []));
    if (!positions.length) return 'kept'; // only the callee: a call through it
    const passOn = (ks: readonly number[]): void => noteCall(passes, call, ks);
    const callee = stripCasts(call.callee);
    if (callee.kind === 'asm') {
      // `copy_user_generic`: a call to a routine that moves bytes; an output register may hold it
      if (asmOnlyMovesBytes(callee, call.args)) return 'returned';
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
      if (!joinFlow(r, passes, cells, vaPasses)) return 'escapes';
      returned ||= r.returned;
    }
    return returned ? 'returned' : 'kept';
  }
}
