// Owns whether the pointer a parameter receives may escape its function, by a
// walk over its uses (def-use), for the parameters points-to cannot mark (an
// untyped `void *`, `char *` or `unsigned long`: there "unknown" stands for the
// caller's object and absorbs it). The per-TU summary lists the parameters
// that escape (summary/summarize.ts); the whole program then knows which
// objects passed to them escape with them (summary/escape.ts). Also owns the
// deallocator table: freeing an object hands its address back to the allocator,
// not to code that could write through it later.
import type { CallBase, Instruction } from '../ir/instructions.js';
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

/** What a walk asks of the TU it runs in. */
export interface EscapeContext {
  /**
   * True when the summary records this argument of a call to code outside the TU as the caller's
   * own parameter passed on (`passed:`): the whole program then decides whether it escapes there.
   */
  passedOn(call: CallBase, index: number): boolean;
}

/**
 * Which parameters of a module's functions let what they receive escape: stored into memory,
 * returned by the function asked about (a helper of the TU that returns it moved on is followed
 * back into its caller), handed to an asm statement that may write memory, or to a call (direct or indirect)
 * outside the TU at which the summary cannot name it as the caller's own parameter passed on.
 * Walks the uses from the parameter through casts, GEPs, phis, selects, integer arithmetic and
 * calls into the TU's own functions.
 */
export class ParameterEscapes {
  private readonly users = new Map<Function, Map<Value, Instruction[]>>();
  private readonly memo = new Map<string, boolean>();
  private readonly inProgress = new Set<string>();
  private cycle = false;

  constructor(private readonly context: EscapeContext) {}

  /**
   * True when the pointer parameter `index` of `f` receives may escape. Returned, it escapes only
   * for a walk that starts at `f` (its callers are elsewhere); a walk that follows a call into `f`
   * goes on in the call's result instead (`str = number(str, end, …)` in `vsnprintf`).
   */
  escapes(f: Function, index: number, depth = 0): boolean {
    const entry = depth === 0;
    const id = `${f.name}:${index}:${entry ? 'entry' : 'callee'}`;
    const m = this.memo.get(id);
    if (m !== undefined) return m;
    if (depth > DEPTH_LIMIT) return true;
    // a recursive call adds no way out the outer walk does not see; what is found inside it is not kept
    if (this.inProgress.has(id)) {
      this.cycle = true;
      return false;
    }
    const a = f.arguments[index];
    if (!a) return true;
    this.inProgress.add(id);
    const out = this.walk(f, a, depth, entry);
    this.inProgress.delete(id);
    if (!this.inProgress.size) this.cycle = false;
    if (!this.cycle || out) this.memo.set(id, out);
    return out;
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

  private walk(f: Function, start: Value, depth: number, returnEscapes: boolean): boolean {
    const users = this.usersIn(f);
    const seen = new Set<Value>([start]);
    const work: Value[] = [start];
    const derived = (u: Value): void => {
      if (!seen.has(u)) {
        seen.add(u);
        work.push(u);
      }
    };
    const differences: Instruction[] = [];
    for (;;) {
      if (!work.length) {
        // a difference with one side outside the object is an address moved: walked on
        for (const d of differences.splice(0)) if (!(seen.has(d.operands[0]!) && seen.has(d.operands[1]!))) derived(d);
        if (!work.length) break;
      }
      if (seen.size > WALK_LIMIT) return true;
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
          case 'store':
            if (u.value === v) return true;
            continue;
          case 'atomicrmw':
            if (u.operands[1] === v) return true;
            continue;
          case 'cmpxchg':
            if (u.operands[1] === v || u.operands[2] === v) return true;
            continue;
          case 'ret':
            if (returnEscapes) return true;
            continue;
          case 'resume':
            return true;
          case 'call':
          case 'invoke':
          case 'callbr':
            if (this.call(u as CallBase, v, depth)) return true;
            if (u.type.kind !== 'void') derived(u);
            continue;
          case 'br':
          case 'switch':
          case 'indirectbr':
            continue;
          default:
            // casts, GEPs, phi, select, integer arithmetic, aggregates: the value goes on in the result
            if (u.type.kind === 'void') return true;
            derived(u);
        }
      }
    }
    return false;
  }

  /** True when passing `v` to this call lets it escape. */
  private call(call: CallBase, v: Value, depth: number): boolean {
    const args = call.args;
    const positions = args.flatMap((a, k) => (a === v ? [k] : []));
    if (!positions.length) return false; // only the callee: a call through it
    const callee = stripCasts(call.callee);
    if (callee.kind === 'asm') {
      const ops = asmOperands(callee.constraints);
      return ops.writesMemory && positions.some((k) => !ops.args[k]?.indirect);
    }
    // an indirect call: its summary records the caller's own parameter passed on, for the whole
    // program's matching to follow into the functions it may call
    if (callee.kind !== 'function') return positions.some((k) => !this.context.passedOn(call, k));
    // an intrinsic reads or writes through the pointer (memcpy, memset) or returns it moved (ptrmask): the walk goes on in its result
    if (callee.name.startsWith('llvm.')) return false;
    const freed = DEALLOCATORS.get(callee.name);
    if (!callee.isDefinition) return positions.some((k) => k !== freed && !this.context.passedOn(call, k));
    return positions.some((k) => k >= callee.arguments.length || this.escapes(callee, k, depth + 1));
  }
}
