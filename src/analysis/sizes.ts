// Allocation sizes as the allocator really receives them (issue 14): a small
// expression over the arguments of a call, carried through wrappers by
// substituting each wrapper parameter with what its caller passes. Anything
// not built from constants and parameters is unknown (no size), never a guess:
// a wrong small size would drop a buffer from the fallback sets of bigger types.
import { isCallBase } from '../ir/instructions.js';
import type { Function, Value } from '../ir/values.js';
import type { Allocator } from './allocators.js';

/** A size over the arguments of a call (`arg` k). */
export type SizeExpr =
  | { readonly k: 'const'; readonly v: bigint }
  | { readonly k: 'arg'; readonly i: number }
  | { readonly k: 'bin'; readonly op: BinOp; readonly a: SizeExpr; readonly b: SizeExpr }
  | { readonly k: 'select'; readonly c: SizeExpr; readonly a: SizeExpr; readonly b: SizeExpr };

type BinOp = 'add' | 'sub' | 'mul' | 'shl' | 'lshr' | 'udiv' | 'and' | 'or';
const BIN_OPS = new Set<string>(['add', 'sub', 'mul', 'shl', 'lshr', 'udiv', 'and', 'or']);
const SYMBOL: Record<BinOp, string> = { add: '+', sub: '-', mul: '*', shl: '<<', lshr: '>>', udiv: '/', and: '&', or: '|' };
const MASK = (1n << 64n) - 1n;

const cnst = (v: bigint): SizeExpr => ({ k: 'const', v: v & MASK });

/** The size expression of an allocator of the table, over its call's arguments; undefined when it has none. */
export function tableSizeExpr(a: Allocator): SizeExpr | undefined {
  if (a.size !== undefined) {
    const s: SizeExpr = { k: 'arg', i: a.size };
    return a.count !== undefined ? { k: 'bin', op: 'mul', a: { k: 'arg', i: a.count }, b: s } : s;
  }
  if (a.order !== undefined) return { k: 'bin', op: 'shl', a: cnst(4096n), b: { k: 'arg', i: a.order } };
  if (a.kind === 'buddy') return cnst(4096n);
  return undefined;
}

/**
 * A value of `fn` as an expression over `fn`'s parameters (integers, casts, arithmetic, selects);
 * undefined for anything else (a load, a call, a value of another function).
 */
export function exprOfValue(v: Value, fn: Function, depth = 0): SizeExpr | undefined {
  if (depth > 16) return undefined;
  if (v.kind === 'int') {
    const bits = v.type.kind === 'int' ? v.type.bits : 64;
    return cnst(BigInt.asUintN(bits, v.value));
  }
  if (v.kind === 'argument') {
    const i = fn.arguments.indexOf(v);
    return i >= 0 ? { k: 'arg', i } : undefined;
  }
  if (v.kind !== 'instruction') return undefined;
  if (v.opcode === 'zext' || v.opcode === 'sext' || v.opcode === 'trunc') return exprOfValue(v.operands[0]!, fn, depth + 1);
  if (BIN_OPS.has(v.opcode)) {
    const a = exprOfValue(v.operands[0]!, fn, depth + 1);
    const b = a && exprOfValue(v.operands[1]!, fn, depth + 1);
    return a && b ? fold({ k: 'bin', op: v.opcode as BinOp, a, b }) : undefined;
  }
  if (v.opcode === 'select') {
    const c = exprOfValue(v.operands[0]!, fn, depth + 1);
    const a = c && exprOfValue(v.operands[1]!, fn, depth + 1);
    const b = a && exprOfValue(v.operands[2]!, fn, depth + 1);
    return c && a && b ? fold({ k: 'select', c, a, b }) : undefined;
  }
  return undefined;
}

/**
 * A number every value of `v` is a whole multiple of (an array's element size: the size
 * `kmalloc_array(n, 16)` passes on is `n << 4`), from the arithmetic that makes it: products,
 * shifts left, `llvm.umul.with.overflow`, sums of multiples, selects and phis of them. 1 when
 * nothing is known; 0 for the constant 0. A wrapped product stays a multiple of a power of two only,
 * so a truncation keeps that part.
 */
export function factorOf(v: Value, depth = 0, seen = new Set<Value>()): bigint {
  // a constant's divisors are its magnitude's: `n * 24 - 16` is a multiple of 8, not of 24
  if (v.kind === 'int') return magnitude(BigInt.asIntN(v.type.kind === 'int' ? v.type.bits : 64, v.value));
  if (v.kind !== 'instruction' || depth > 16 || seen.has(v)) return 1n;
  const of = (x: Value | undefined): bigint => (x ? factorOf(x, depth + 1, seen) : 1n);
  switch (v.opcode) {
    case 'zext':
    case 'sext':
      return of(v.operands[0]);
    case 'trunc': {
      const f = of(v.operands[0]);
      return f & -f;
    }
    case 'mul':
      return of(v.operands[0]) * of(v.operands[1]);
    case 'shl': {
      const by = v.operands[1];
      return by?.kind === 'int' && by.value >= 0n && by.value < 64n ? of(v.operands[0]) << by.value : 1n;
    }
    case 'add':
    case 'sub':
      return gcd(of(v.operands[0]), of(v.operands[1]));
    case 'select':
      return gcd(of(v.operands[1]), of(v.operands[2]));
    case 'phi': {
      seen.add(v);
      return v.operands.reduce((f, x) => gcd(f, of(x)), 0n) || 1n;
    }
    case 'extractvalue': {
      // the product of `llvm.umul.with.overflow` (its overflow bit is index 1)
      const agg = v.operands[0];
      if (v.indices.length !== 1 || v.indices[0] !== 0 || !agg || agg.kind !== 'instruction' || !isCallBase(agg)) return 1n;
      const callee = agg.callee;
      if (callee.kind !== 'function' || !callee.name.startsWith('llvm.umul.with.overflow.')) return 1n;
      return of(agg.args[0]) * of(agg.args[1]);
    }
    default:
      return 1n;
  }
}

/** The {@link factorOf} a size over a call's arguments is a multiple of, given each argument's. */
export function factorOfSize(e: SizeExpr, argFactor: (i: number) => bigint): bigint {
  switch (e.k) {
    case 'const':
      return magnitude(BigInt.asIntN(64, e.v));
    case 'arg':
      return argFactor(e.i);
    case 'bin': {
      const a = factorOfSize(e.a, argFactor);
      if (e.op === 'mul') return a * factorOfSize(e.b, argFactor);
      if (e.op === 'shl') return e.b.k === 'const' && e.b.v < 64n ? a << e.b.v : 1n;
      if (e.op === 'add' || e.op === 'sub') return gcd(a, factorOfSize(e.b, argFactor));
      return 1n;
    }
    case 'select':
      return gcd(factorOfSize(e.a, argFactor), factorOfSize(e.b, argFactor));
  }
}

const magnitude = (v: bigint): bigint => (v < 0n ? -v : v);

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** `e` with each `arg` i replaced by `args(i)`; undefined when an argument is unknown. */
export function substitute(e: SizeExpr, args: (i: number) => SizeExpr | undefined): SizeExpr | undefined {
  switch (e.k) {
    case 'const':
      return e;
    case 'arg':
      return args(e.i);
    case 'bin': {
      const a = substitute(e.a, args);
      const b = a && substitute(e.b, args);
      return a && b ? fold({ k: 'bin', op: e.op, a, b }) : undefined;
    }
    case 'select': {
      const c = substitute(e.c, args);
      const a = c && substitute(e.a, args);
      const b = a && substitute(e.b, args);
      return c && a && b ? fold({ k: 'select', c, a, b }) : undefined;
    }
  }
}

/** Folds constant operands. */
export function fold(e: SizeExpr): SizeExpr {
  if (e.k === 'select') return e.c.k === 'const' ? (e.c.v ? e.a : e.b) : e;
  if (e.k !== 'bin' || e.a.k !== 'const' || e.b.k !== 'const') return e;
  const a = e.a.v,
    b = e.b.v;
  switch (e.op) {
    case 'add':
      return cnst(a + b);
    case 'sub':
      return cnst(a - b);
    case 'mul':
      return cnst(a * b);
    case 'shl':
      return b < 64n ? cnst(a << b) : e;
    case 'lshr':
      return cnst(a >> b);
    case 'udiv':
      return b ? cnst(a / b) : e;
    case 'and':
      return cnst(a & b);
    case 'or':
      return cnst(a | b);
  }
}

/** `arg0 * 24 + 8`, `arg1 ? 256 : 168`. */
export function renderSize(e: SizeExpr): string {
  switch (e.k) {
    case 'const':
      return e.v.toString();
    case 'arg':
      return `arg${e.i}`;
    case 'bin':
      return `${paren(e.a)} ${SYMBOL[e.op]} ${paren(e.b)}`;
    case 'select':
      return `${paren(e.c)} ? ${paren(e.a)} : ${paren(e.b)}`;
  }
}

function paren(e: SizeExpr): string {
  return e.k === 'const' || e.k === 'arg' ? renderSize(e) : `(${renderSize(e)})`;
}

/** True when two expressions are the same. */
export function sameSize(a: SizeExpr | undefined, b: SizeExpr | undefined): boolean {
  return renderSize(a ?? cnst(-1n)) === renderSize(b ?? cnst(-1n)) && !!a === !!b;
}
