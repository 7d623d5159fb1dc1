// Local SSA data flow used by the passes: where a value comes from (through
// casts, phis, selects, GEPs) and where it goes (its users), and what a call
// calls once casts and aliases are looked through.
import type { CallBase, Instruction } from '../ir/instructions.js';
import { isCallBase } from '../ir/instructions.js';
import type { Function, Value } from '../ir/values.js';

/**
 * True for integer arithmetic whose result fits in 32 bits however wide its type: an `and` with a
 * mask below 2^32, a logical shift right by 32 or more (`hashval & 0xffffffff` in
 * `ptr_to_hashval`, a hash's top bits). Such a value holds no address, on the assumption the
 * analysis already makes for a truncation (escape.ts `canCarryAddress`): no kernel code rebuilds
 * an address from half of one.
 */
export function fitsInHalfWord(i: Instruction): boolean {
  const halfMask = (v: Value | undefined): boolean => v?.kind === 'int' && v.value >= 0n && v.value < 1n << 32n;
  if (i.opcode === 'and') return halfMask(i.operands[0]) || halfMask(i.operands[1]);
  if (i.opcode === 'lshr') return i.operands[1]?.kind === 'int' && i.operands[1].value >= 32n;
  return false;
}

/** A value with casts and all-zero GEPs looked through. */
export function stripCasts(v: Value): Value {
  let cur = v;
  for (let i = 0; i < 64; i++) {
    if (cur.kind === 'instruction') {
      if (cur.opcode === 'bitcast' || cur.opcode === 'addrspacecast' || cur.opcode === 'freeze') {
        cur = cur.operands[0]!;
        continue;
      }
      if (cur.opcode === 'getelementptr' && cur.operands.slice(1).every((o) => o.kind === 'int' && o.value === 0n)) {
        cur = cur.operands[0]!;
        continue;
      }
    } else if (cur.kind === 'expr' && (cur.opcode === 'bitcast' || cur.opcode === 'addrspacecast')) {
      cur = cur.operands[0]!;
      continue;
    } else if (cur.kind === 'alias' && cur.aliasee) {
      cur = cur.aliasee;
      continue;
    }
    break;
  }
  return cur;
}

/** The function a call calls, looking through casts and aliases (unlike `calledFunction`). */
export function calleeOf(call: CallBase): Function | undefined {
  const c = stripCasts(call.callee);
  return c.kind === 'function' ? c : undefined;
}

/**
 * The values `v` may be, through phi / select / casts / GEPs, stopping at
 * anything else (calls, loads, arguments, constants). Bounded.
 */
export function origins(v: Value, limit = 256): Value[] {
  return walkOrigins(v, limit).out;
}

/**
 * {@link origins}, stopping also at the values `stop` accepts (listed with the others), or
 * undefined when more than `limit` values lie behind `v` (some would be missing).
 */
export function originsUntil(v: Value, stop: (v: Value) => boolean, limit = 256): Value[] | undefined {
  const r = walkOrigins(v, limit, stop);
  return r.complete ? r.out : undefined;
}

function walkOrigins(v: Value, limit: number, stop?: (v: Value) => boolean): { out: Value[]; complete: boolean } {
  const out: Value[] = [];
  const seen = new Set<Value>();
  const work: Value[] = [v];
  while (work.length) {
    const cur = work.pop()!;
    if (seen.has(cur)) continue;
    if (seen.size >= limit) return { out, complete: false };
    seen.add(cur);
    if (stop?.(cur)) {
      out.push(cur);
      continue;
    }
    if (cur.kind === 'instruction') {
      switch (cur.opcode) {
        case 'phi':
          work.push(...cur.operands);
          continue;
        case 'select':
          work.push(cur.operands[1]!, cur.operands[2]!);
          continue;
        case 'bitcast':
        case 'addrspacecast':
        case 'freeze':
        case 'getelementptr':
          work.push(cur.operands[0]!);
          continue;
        default:
          break;
      }
    } else if (cur.kind === 'expr' && (cur.opcode === 'bitcast' || cur.opcode === 'addrspacecast' || cur.opcode === 'getelementptr')) {
      work.push(cur.operands[0]!);
      continue;
    }
    out.push(cur);
  }
  return { out, complete: true };
}

/** Users of each instruction / argument of a function (built once per function). */
export class UseMap {
  private readonly users = new Map<Value, Instruction[]>();
  constructor(f: Function) {
    for (const b of f.blocks) {
      for (const i of b.instructions) {
        for (const o of i.operands) {
          if (o.kind !== 'instruction' && o.kind !== 'argument') continue;
          let list = this.users.get(o);
          if (!list) {
            list = [];
            this.users.set(o, list);
          }
          list.push(i);
        }
      }
    }
  }
  of(v: Value): readonly Instruction[] {
    return this.users.get(v) ?? [];
  }
}

/** A constant that points at no object: `null`, `undef`, `poison`, `zeroinitializer`. */
export function isNullConstant(v: Value): boolean {
  return v.kind === 'null' || v.kind === 'undef' || v.kind === 'poison' || v.kind === 'zeroinitializer';
}

/** The values a function returns (the operands of its `ret`s). */
export function returnedValues(f: Function): Value[] {
  const out: Value[] = [];
  for (const b of f.blocks) for (const i of b.instructions) if (i.opcode === 'ret' && i.operands[0]) out.push(i.operands[0]);
  return out;
}

/** Every call instruction of a function. */
export function* callsIn(f: Function): Iterable<CallBase> {
  for (const b of f.blocks) for (const i of b.instructions) if (isCallBase(i)) yield i;
}
