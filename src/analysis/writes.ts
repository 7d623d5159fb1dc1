// The writes of a compartment (DESIGN.md §3 "Accesses"): stores, atomicrmw,
// cmpxchg, memory intrinsics, calls to known kernel writers (table-driven:
// which argument is the destination and which the length), and inline asm with indirect memory
// outputs (`=*m`: the kernel's atomics and per-cpu operations).
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { CallBase, Instruction } from '../ir/instructions.js';
import { isCallBase } from '../ir/instructions.js';
import type { Function, Value } from '../ir/values.js';
import { calleeOf, stripCasts } from './flow.js';
import { sizeOfType } from './layout.js';

/**
 * Where a kernel writer writes: its destination argument, and the bytes it may write — another
 * argument (`memcpy(dst, src, n)`: n) or a constant (`clear_page`: a page). No length means the
 * callee decides (`strcpy`, `sprintf`): only the destination's first byte can be checked at the call.
 */
export interface WriterArguments {
  readonly destination: number;
  readonly lengthArgument?: number;
  readonly length?: number;
}

const w = (destination: number, lengthArgument?: number): WriterArguments =>
  lengthArgument === undefined ? { destination } : { destination, lengthArgument };

/** Kernel functions that write through an argument: name → the destination and length arguments. */
export const KERNEL_WRITERS: ReadonlyMap<string, WriterArguments> = new Map([
  ['memcpy', w(0, 2)],
  ['memmove', w(0, 2)],
  ['memset', w(0, 2)],
  ['__memcpy', w(0, 2)],
  ['__memset', w(0, 2)],
  ['__memmove', w(0, 2)],
  ['memcpy_fromio', w(0, 2)],
  ['memset_io', w(0, 2)],
  ['memcpy_and_pad', w(0, 1)],
  ['strcpy', w(0)],
  ['strncpy', w(0, 2)],
  ['strscpy', w(0, 2)],
  ['strscpy_pad', w(0, 2)],
  ['strlcpy', w(0, 2)],
  ['strcat', w(0)],
  ['strncat', w(0)],
  ['strlcat', w(0, 2)],
  ['sprintf', w(0)],
  ['snprintf', w(0, 1)],
  ['scnprintf', w(0, 1)],
  ['vsnprintf', w(0, 1)],
  ['vscnprintf', w(0, 1)],
  ['_copy_from_user', w(0, 2)],
  ['copy_from_user', w(0, 2)],
  ['__copy_from_user', w(0, 2)],
  ['raw_copy_from_user', w(0, 2)],
  ['__copy_from_user_inatomic', w(0, 2)],
  ['copy_from_user_nofault', w(0, 2)],
  ['copy_from_kernel_nofault', w(0, 2)],
  ['strncpy_from_user', w(0, 2)],
  ['_copy_from_iter', w(0, 1)],
  ['copy_from_iter', w(0, 1)],
  ['_copy_from_iter_nocache', w(0, 1)],
  ['csum_partial_copy_nocheck', w(1, 2)],
  ['csum_and_copy_from_user', w(1, 2)],
  ['skb_copy_bits', w(2, 3)],
  ['copy_page', { destination: 0, length: 4096 }],
  ['clear_page', { destination: 0, length: 4096 }],
  ['clear_user', w(0, 1)],
  ['__clear_user', w(0, 1)],
]);

/** One writer of a user writer file: the function, its destination argument, and its length (an argument or a constant). */
export const WriterSchema = z
  .object({
    name: z.string().min(1),
    /** Index of the argument the function writes through. */
    destination: z.number().int().nonnegative(),
    /** Index of the argument holding the bytes written. */
    lengthArgument: z.number().int().nonnegative().optional(),
    /** The bytes written when constant (`clear_page`: 4096). */
    length: z.number().int().positive().optional(),
    note: z.string().optional(),
  })
  .strict();
export type Writer = z.infer<typeof WriterSchema>;

/** A user writer file (`--writers FILE`): writers added (same name replaces) and names removed from the default table. */
export const WriterFileSchema = z
  .object({
    writers: z.array(WriterSchema),
    remove: z.array(z.string()).optional(),
  })
  .strict();

/** The writer table as a map by function name. */
export type WriterTable = ReadonlyMap<string, WriterArguments>;

/** A user writer file that does not match the schema (the field is named). */
export class WriterFileError extends Error {
  override readonly name = 'WriterFileError';
  constructor(
    readonly file: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${file}: ${path || '(root)'}: ${problem}`);
  }
}

/** The default kernel writers, extended by `extra` (same name replaces), without `remove`. */
export function writerTable(extra: readonly Writer[] = [], remove: readonly string[] = []): WriterTable {
  const m = new Map(KERNEL_WRITERS);
  for (const r of remove) m.delete(r);
  for (const x of extra) {
    m.set(x.name, {
      destination: x.destination,
      ...(x.lengthArgument !== undefined ? { lengthArgument: x.lengthArgument } : {}),
      ...(x.length !== undefined ? { length: x.length } : {}),
    });
  }
  return m;
}

/** Parses a user writer file's content. @throws {@link WriterFileError} naming the bad field. */
export function parseWriterFile(text: string, file = '<writers>'): WriterTable {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new WriterFileError(file, '', `not JSON: ${(e as Error).message}`);
  }
  const r = WriterFileSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const path = i.path.map((p, k) => (typeof p === 'number' ? `[${p}]` : `${k ? '.' : ''}${String(p)}`)).join('');
    throw new WriterFileError(file, path, i.message);
  }
  return writerTable(r.data.writers, r.data.remove);
}

/** Reads a user writer file. @throws {@link WriterFileError} */
export async function readWriterFile(path: string): Promise<WriterTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new WriterFileError(path, '', `cannot read: ${(e as Error).message}`);
  }
  return parseWriterFile(text, path);
}

/** The memory intrinsics' arguments (`llvm.memcpy(dst, src, len, volatile)`), lowered to calls of memcpy and friends. */
const INTRINSIC_WRITER = w(0, 2);

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
  /** For calls and intrinsics: where the callee writes (checked at the call when it stays a call). */
  readonly writer?: WriterArguments;
}

/** An inline asm statement's argument operands, and whether it may write memory. */
export interface AsmOperands {
  /** Per argument: a memory operand (`*`: its address, read or written through) and an output (`=*m`). */
  readonly args: { readonly indirect: boolean; readonly output: boolean }[];
  /** A `~{memory}` clobber or a memory output: the asm may write memory. */
  readonly writesMemory: boolean;
}

/**
 * Reads a constraint string (LangRef, "Inline Asm Constraint String"): outputs come first and only
 * indirect (`=*`) ones take an argument; every input takes one; clobbers and labels take none.
 */
export function asmOperands(constraints: string): AsmOperands {
  const args: { indirect: boolean; output: boolean }[] = [];
  let writesMemory = false;
  for (const raw of splitConstraints(constraints)) {
    const c = raw.trim();
    if (c === '~{memory}') writesMemory = true;
    if (c.startsWith('~') || c.startsWith('!') || !c) continue; // clobbers, labels
    const output = c.startsWith('=');
    const indirect = c.includes('*');
    if (output && !indirect) continue; // a returned value, not an argument
    if (output) writesMemory = true;
    args.push({ indirect, output });
  }
  return { args, writesMemory };
}

/**
 * Assembly routines (no IR) that only move bytes through the pointers they get and keep none of
 * them, Linux 6.1 on x86-64: `copy_user_generic`'s alternatives (arch/x86/lib/copy_user_64.S),
 * `clear_page`'s (clear_page_64.S), `copy_page` (copy_page_64.S) and the string routines
 * (memcpy_64.S, memmove_64.S, memset_64.S). A pointer handed to them does not escape.
 */
export const BYTE_ROUTINES: ReadonlySet<string> = new Set([
  'copy_user_generic_unrolled',
  'copy_user_generic_string',
  'copy_user_enhanced_fast_string',
  '__copy_user_nocache',
  'clear_page_rep',
  'clear_page_orig',
  'clear_page_erms',
  'copy_page',
  'memcpy',
  '__memcpy',
  'memmove',
  '__memmove',
  'memset',
  '__memset',
]);

/**
 * The functions an inline asm statement calls, when calling one of them is all it does
 * (`alternative_call_2(copy_user_generic_unrolled, …)`): every line of its template a `call
 * ${N:P}` of a function operand, an assembler directive, a label or a comment. Undefined for any
 * other asm.
 */
export function asmCallees(asm: { readonly asm: string; readonly constraints: string }, args: readonly Value[]): Function[] | undefined {
  // operand N: the Nth constraint that is not a clobber; outputs in registers take no argument
  const argOf: (number | undefined)[] = [];
  let k = 0;
  for (const raw of splitConstraints(asm.constraints)) {
    const c = raw.trim();
    if (!c || c.startsWith('~') || c.startsWith('!')) continue;
    argOf.push(c.startsWith('=') && !c.includes('*') ? undefined : k++);
  }
  const callees: Function[] = [];
  for (const raw of asm.asm.split(/[\n;]/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('.') || /^\w+:$/.test(line)) continue;
    const m = /^call\s+\$\{(\d+):P\}$/.exec(line);
    const a = m ? argOf[Number(m[1])] : undefined;
    const f = a === undefined ? undefined : stripCasts(args[a]!);
    if (f?.kind !== 'function') return undefined;
    callees.push(f);
  }
  return callees.length ? callees : undefined;
}

/** True when an asm statement only calls {@link BYTE_ROUTINES}: it keeps no pointer it gets. */
export function asmOnlyMovesBytes(asm: { readonly asm: string; readonly constraints: string }, args: readonly Value[]): boolean {
  return asmCallees(asm, args)?.every((f) => BYTE_ROUTINES.has(f.name)) ?? false;
}

/** Positions of the arguments an inline asm statement writes through (`=*m` outputs). */
export function asmWrittenArgs(constraints: string): number[] {
  return asmOperands(constraints).args.flatMap((a, k) => (a.output ? [k] : []));
}

function splitConstraints(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}

function callWrites(call: CallBase, index: number, writers: WriterTable): WriteSite[] {
  const c = stripCasts(call.callee);
  if (c.kind === 'asm') {
    return asmWrittenArgs(c.constraints)
      .map((k) => ({ inst: call, index, op: 'call' as const, pointer: call.args[k]!, callee: 'asm' }))
      .filter((w) => w.pointer && w.pointer.type.kind === 'pointer');
  }
  const f = calleeOf(call);
  if (!f) return [];
  const m = /^llvm\.(memcpy|memmove|memset)(\.inline)?\./.exec(f.name);
  if (m) {
    const len = call.args[2];
    return [
      {
        inst: call,
        index,
        op: m[1] as 'memcpy' | 'memmove' | 'memset',
        pointer: call.args[0]!,
        callee: f.name,
        writer: INTRINSIC_WRITER,
        ...(len?.kind === 'int' ? { width: Number(len.value) } : {}),
      },
    ];
  }
  const writer = writers.get(f.name);
  const pointer = writer && call.args[writer.destination];
  if (pointer) return [{ inst: call, index, op: 'call', pointer, callee: f.name, writer }];
  return [];
}

/** Every write of a function; calls are writes when `writers` (default: the kernel writers) names their callee. */
export function writesOf(f: Function, writers: WriterTable = KERNEL_WRITERS): WriteSite[] {
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
          if (isCallBase(i)) out.push(...callWrites(i, at, writers));
      }
    }
  }
  return out;
}
