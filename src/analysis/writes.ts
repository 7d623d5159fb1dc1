// The writes of a compartment (DESIGN.md §3 "Accesses"): stores, atomicrmw,
// cmpxchg, memory intrinsics, calls to known kernel writers (table-driven:
// which argument is the destination), and inline asm with indirect memory
// outputs (`=*m`: the kernel's atomics and per-cpu operations).
import type { CallBase, Instruction } from '../ir/instructions.js';
import { isCallBase } from '../ir/instructions.js';
import type { Function, Value } from '../ir/values.js';
import { calleeOf, stripCasts } from './flow.js';
import { sizeOfType } from './layout.js';

/** Kernel functions that write through an argument: name → destination argument. */
export const KERNEL_WRITERS: ReadonlyMap<string, number> = new Map([
  ['memcpy', 0], ['memmove', 0], ['memset', 0], ['__memcpy', 0], ['__memset', 0], ['__memmove', 0],
  ['memcpy_fromio', 0], ['memset_io', 0], ['memcpy_and_pad', 0],
  ['strcpy', 0], ['strncpy', 0], ['strscpy', 0], ['strscpy_pad', 0], ['strlcpy', 0], ['strcat', 0], ['strncat', 0], ['strlcat', 0],
  ['sprintf', 0], ['snprintf', 0], ['scnprintf', 0], ['vsnprintf', 0], ['vscnprintf', 0],
  ['_copy_from_user', 0], ['copy_from_user', 0], ['__copy_from_user', 0], ['raw_copy_from_user', 0],
  ['__copy_from_user_inatomic', 0], ['copy_from_user_nofault', 0], ['copy_from_kernel_nofault', 0],
  ['strncpy_from_user', 0], ['_copy_from_iter', 0], ['copy_from_iter', 0], ['_copy_from_iter_nocache', 0],
  ['csum_partial_copy_nocheck', 1], ['csum_and_copy_from_user', 1], ['skb_copy_bits', 2],
  ['copy_page', 0], ['clear_page', 0], ['clear_user', 0], ['__clear_user', 0],
]);

/** One write instruction and the pointer it writes through. */
export interface WriteSite {
  readonly inst: Instruction;
  /** Instruction index within the function (over all blocks): part of the access id. */
  readonly index: number;
  readonly op: 'store' | 'atomicrmw' | 'cmpxchg' | 'memcpy' | 'memmove' | 'memset' | 'call';
  readonly pointer: Value;
  readonly callee?: string;
  /** Bytes written when constant. */
  readonly width?: number;
}

/** Positions of the arguments an inline asm statement writes through (`=*m` outputs). */
export function asmWrittenArgs(constraints: string): number[] {
  const out: number[] = [];
  let arg = 0;
  for (const c of splitConstraints(constraints)) {
    if (c.startsWith('~') || c.startsWith('!')) continue; // clobbers, labels
    const isOutput = c.startsWith('=');
    const indirect = c.includes('*');
    if (isOutput && !indirect) continue; // a returned value, not an argument
    if (isOutput && indirect) out.push(arg);
    arg++;
  }
  return out;
}

function splitConstraints(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; continue; }
    cur += ch;
  }
  out.push(cur);
  return out;
}

function callWrites(call: CallBase, index: number): WriteSite[] {
  const c = stripCasts(call.callee);
  if (c.kind === 'asm') {
    return asmWrittenArgs(c.constraints).map((k) => ({ inst: call, index, op: 'call' as const, pointer: call.args[k]!, callee: 'asm' }))
      .filter((w) => w.pointer && w.pointer.type.kind === 'pointer');
  }
  const f = calleeOf(call);
  if (!f) return [];
  const m = /^llvm\.(memcpy|memmove|memset)(\.inline)?\./.exec(f.name);
  if (m) {
    const len = call.args[2];
    return [{
      inst: call, index, op: m[1] as 'memcpy' | 'memmove' | 'memset', pointer: call.args[0]!, callee: f.name,
      ...(len?.kind === 'int' ? { width: Number(len.value) } : {}),
    }];
  }
  const k = KERNEL_WRITERS.get(f.name);
  if (k !== undefined && call.args[k]) return [{ inst: call, index, op: 'call', pointer: call.args[k], callee: f.name }];
  return [];
}

/** Every write of a function. */
export function writesOf(f: Function): WriteSite[] {
  const out: WriteSite[] = [];
  let index = 0;
  for (const b of f.blocks) {
    for (const i of b.instructions) {
      const at = index++;
      switch (i.opcode) {
        case 'store':
          out.push({ inst: i, index: at, op: 'store', pointer: i.pointer, width: sizeOfType(i.value.type) });
          break;
        case 'atomicrmw':
          out.push({ inst: i, index: at, op: 'atomicrmw', pointer: i.pointer, width: sizeOfType(i.type) });
          break;
        case 'cmpxchg':
          out.push({ inst: i, index: at, op: 'cmpxchg', pointer: i.pointer, width: sizeOfType(i.operands[1]!.type) });
          break;
        default:
          if (isCallBase(i)) out.push(...callWrites(i, at));
      }
    }
  }
  return out;
}
