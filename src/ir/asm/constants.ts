// Owns values and constants (LangRef "Constants", "Constant Expressions"):
// a typed operand is a local (`%x`, possibly a forward reference) or a
// constant: integers, floats, `null`/`undef`/`poison`/`zeroinitializer`/`none`,
// arrays, `c"…"` strings, structs, vectors, `splat`, globals, `blockaddress`,
// `dso_local_equivalent`, `no_cfi`, and constant expressions (casts, GEPs,
// binary operators, compares, vector and aggregate operations).
import { Tok } from '../lexer.js';
import { opcodesIn } from '../opcodes.js';
import { type Type, typeToString } from '../types.js';
import {
  BlockAddress,
  type Constant,
  ConstantAggregateZero,
  ConstantArray,
  ConstantDataArray,
  ConstantExpr,
  ConstantFP,
  ConstantInt,
  ConstantPointerNull,
  ConstantStruct,
  ConstantTokenNone,
  ConstantVector,
  DSOLocalEquivalent,
  type Function,
  type GlobalValue,
  NoCFIValue,
  PoisonValue,
  UndefValue,
  type Value,
} from '../values.js';
import type { Holder, ParserState } from './state.js';
import { aggregateMember, gepResultElement, parseType } from './types.js';

const BINARY_OPS = opcodesIn('binary');
const CAST_OPS = opcodesIn('cast');
// the flags each kind of constant expression may carry before its `(`
const CAST_FLAGS = new Set(['nuw', 'nsw', 'nneg']);
const GEP_FLAGS = new Set(['inbounds', 'nusw', 'nuw']);
const BINARY_FLAGS = new Set(['nuw', 'nsw', 'exact', 'disjoint']);

/**
 * A value of type `t`. With `calleeMode`, a constant expression is read with its own type
 * (it is a callee whose type is only known later).
 */
export function parseValue(p: ParserState, t: Type, calleeMode = false): Value {
  const at = p.lx.start;
  switch (p.tk()) {
    case Tok.LocalVar:
    case Tok.LocalVarId: {
      const numbered = p.tk() === Tok.LocalVarId;
      const name = p.lx.text;
      p.next();
      const v = p.localRef(name, numbered, t, at);
      return v;
    }
    case Tok.Keyword:
      if (p.lx.text === 'asm') p.error('inline asm only as a callee');
      break;
    default:
      break;
  }
  const c = parseConstant(p, t, calleeMode);
  return c;
}

/** `<ty> <value>`. */
export function parseTypeAndValue(p: ParserState): Value {
  const t = parseType(p);
  return parseValue(p, t);
}

/** `T c`: a constant with its type written before it. */
export function parseTypeAndConstant(p: ParserState): Constant {
  const t = parseType(p);
  return parseConstant(p, t);
}

/** A constant of type `t` (nesting-guarded: aggregates and expressions recurse). */
export function parseConstant(p: ParserState, t: Type, calleeMode = false): Constant {
  p.enter();
  const c = parseConstantInner(p, t, calleeMode);
  p.leave();
  return c;
}

function parseConstantInner(p: ParserState, t: Type, calleeMode: boolean): Constant {
  const T = p.types;
  const at = p.lx.start;
  switch (p.tk()) {
    case Tok.GlobalVar:
    case Tok.GlobalId: {
      const numbered = p.tk() === Tok.GlobalId;
      const name = p.lx.text;
      p.next();
      return p.globalRef(name, numbered, t, at) as Constant;
    }
    case Tok.Integer: {
      const num = p.lx.num;
      const text = p.lx.tokenSource();
      p.next();
      if (t.kind !== 'int') {
        if (t.kind === 'float') return new ConstantFP(t, text);
        p.errorAt(at, `a constant of type ${typeToString(t)}`, `integer ${text}`);
      }
      const value = !Number.isNaN(num) ? BigInt(num) : parseIntLiteral(text);
      if (value === undefined) p.errorAt(at, 'an integer literal', JSON.stringify(text));
      return new ConstantInt(t, value);
    }
    case Tok.Float: {
      const text = p.lx.text;
      p.next();
      if (t.kind !== 'float') p.errorAt(at, `a constant of type ${typeToString(t)}`, `floating-point ${text}`);
      return new ConstantFP(t, text);
    }
    case Tok.LSquare: {
      p.next();
      if (t.kind !== 'array') p.errorAt(at, `a constant of type ${typeToString(t)}`, 'an array constant');
      const elems = parseConstantList(p, Tok.RSquare, t.element);
      if (elems.length !== t.length) p.errorAt(at, `${t.length} array elements`, `${elems.length}`);
      return aggregate(p, new ConstantArray(t, elems));
    }
    case Tok.LBrace: {
      p.next();
      if (t.kind !== 'struct' || !t.elements || t.packed) p.errorAt(at, `a constant of type ${typeToString(t)}`, 'a struct constant');
      const elems = parseStructConstantElems(p, Tok.RBrace, t.elements, at);
      return aggregate(p, new ConstantStruct(t, elems));
    }
    case Tok.Less: {
      p.next();
      if (p.tk() === Tok.LBrace) {
        p.next();
        if (t.kind !== 'struct' || !t.elements || !t.packed)
          p.errorAt(at, `a constant of type ${typeToString(t)}`, 'a packed struct constant');
        const elems = parseStructConstantElems(p, Tok.RBrace, t.elements, at);
        p.expect(Tok.Greater, "'>'");
        return aggregate(p, new ConstantStruct(t, elems));
      }
      if (t.kind !== 'vector') p.errorAt(at, `a constant of type ${typeToString(t)}`, 'a vector constant');
      const elems = parseConstantList(p, Tok.Greater, t.element);
      if (elems.length !== t.length) p.errorAt(at, `${t.length} vector elements`, `${elems.length}`);
      return aggregate(p, new ConstantVector(t, elems));
    }
    case Tok.Keyword: {
      const w = p.lx.text;
      switch (w) {
        case 'true':
        case 'false':
          p.next();
          if (t !== T.i1) p.errorAt(at, `a constant of type ${typeToString(t)}`, w);
          return new ConstantInt(t, w === 'true' ? 1n : 0n);
        case 'null':
          p.next();
          if (t.kind !== 'pointer') p.errorAt(at, `a constant of type ${typeToString(t)}`, 'null');
          return new ConstantPointerNull(t);
        case 'undef':
          p.next();
          checkFirstClass(p, t, at, w);
          return new UndefValue(t);
        case 'poison':
          p.next();
          checkFirstClass(p, t, at, w);
          return new PoisonValue(t);
        case 'zeroinitializer':
          p.next();
          checkFirstClass(p, t, at, w);
          return new ConstantAggregateZero(t);
        case 'none':
          p.next();
          if (t.kind !== 'token') p.errorAt(at, `a constant of type ${typeToString(t)}`, 'none');
          return new ConstantTokenNone(t);
        case 'c': {
          p.next();
          if (p.tk() !== Tok.String) p.error('a string after c');
          const bytes = p.lx.text;
          p.next();
          if (t.kind !== 'array' || t.element !== T.i8 || t.length !== bytes.length) {
            p.errorAt(at, `a constant of type ${typeToString(t)}`, `c"…" of ${bytes.length} bytes`);
          }
          return new ConstantDataArray(t, Uint8Array.from(Buffer.from(bytes, 'latin1')));
        }
        case 'blockaddress': {
          p.next();
          p.expect(Tok.LParen, "'('");
          if (p.tk() !== Tok.GlobalVar && p.tk() !== Tok.GlobalId) p.error('a function name');
          const fname = p.lx.text;
          const fAt = p.lx.start;
          const fnum = p.tk() === Tok.GlobalId;
          p.next();
          p.expect(Tok.Comma, "','");
          if (p.tk() !== Tok.LocalVar && p.tk() !== Tok.LocalVarId) p.error('a basic block');
          const bname = p.lx.text;
          p.next();
          p.expect(Tok.RParen, "')'");
          if (t.kind !== 'pointer') p.errorAt(at, `a constant of type ${typeToString(t)}`, 'blockaddress');
          const ba = new BlockAddress(t, undefined as unknown as Function, bname);
          const fref = p.globalRef(fname, fnum, p.types.pointer(0), fAt);
          (ba as unknown as Holder)['function'] = fref;
          p.setHolderMaybeForward(ba as unknown as Holder, 'function', fref);
          p.blockAddresses.push([ba, fAt]);
          return ba;
        }
        case 'dso_local_equivalent':
        case 'no_cfi': {
          p.next();
          if (p.tk() !== Tok.GlobalVar && p.tk() !== Tok.GlobalId) p.error('a global name');
          const gname = p.lx.text;
          const gnum = p.tk() === Tok.GlobalId;
          const gAt = p.lx.start;
          p.next();
          const g = p.globalRef(gname, gnum, t, gAt);
          const c = w === 'no_cfi' ? new NoCFIValue(t, g as GlobalValue) : new DSOLocalEquivalent(t, g as GlobalValue);
          p.setHolderMaybeForward(c as unknown as Holder, 'global', g);
          return c;
        }
        case 'splat': {
          p.next();
          p.expect(Tok.LParen, "'('");
          const v = parseTypeAndConstant(p);
          p.expect(Tok.RParen, "')'");
          if (t.kind !== 'vector') p.errorAt(at, `a constant of type ${typeToString(t)}`, 'splat');
          return aggregate(p, new ConstantVector(t, new Array(Math.min(t.length, 1 << 16)).fill(v)));
        }
        default:
          return parseConstantExpr(p, w, t, at, calleeMode);
      }
    }
    default:
      return p.error(`a constant of type ${typeToString(t)}`);
  }
}

function checkFirstClass(p: ParserState, t: Type, at: number, what: string): void {
  if (t.kind === 'void' || t.kind === 'label' || t.kind === 'function' || t.kind === 'metadata') {
    p.errorAt(at, `a constant of type ${typeToString(t)}`, what);
  }
}

/** Registers fix-ups for forward references among aggregate elements. */
function aggregate<C extends ConstantArray | ConstantStruct | ConstantVector>(p: ParserState, c: C): C {
  p.trackList(c.elements);
  return c;
}

function parseConstantList(p: ParserState, close: Tok, elemTy: Type): Constant[] {
  const out: Constant[] = [];
  if (p.eat(close)) return out;
  do {
    const at = p.lx.start;
    const t = parseType(p);
    if (!p.sameType(t, elemTy)) p.errorAt(at, `element type ${typeToString(elemTy)}`, typeToString(t));
    out.push(parseConstant(p, t));
  } while (p.eat(Tok.Comma));
  p.expect(close, close === Tok.RSquare ? "']'" : "'>'");
  return out;
}

function parseStructConstantElems(p: ParserState, close: Tok, types: Type[], at: number): Constant[] {
  const out: Constant[] = [];
  if (p.tk() !== close) {
    do {
      const eAt = p.lx.start;
      const t = parseType(p);
      const want = types[out.length];
      if (!want || !p.sameType(t, want))
        p.errorAt(eAt, want ? `element type ${typeToString(want)}` : 'no more struct elements', typeToString(t));
      out.push(parseConstant(p, t));
    } while (p.eat(Tok.Comma));
  }
  p.expect(close, "'}'");
  if (out.length !== types.length) p.errorAt(at, `${types.length} struct elements`, `${out.length}`);
  return out;
}

function parseConstantExpr(p: ParserState, op: string, t: Type, at: number, calleeMode: boolean): Constant {
  const T = p.types;
  p.next();
  let e: ConstantExpr;
  const flags: string[] = [];
  if (CAST_OPS.has(op)) {
    while (p.tk() === Tok.Keyword && CAST_FLAGS.has(p.lx.text)) {
      flags.push(p.lx.text);
      p.next();
    }
    p.expect(Tok.LParen, "'('");
    const v = parseTypeAndConstant(p);
    p.expectKw('to');
    const to = parseType(p);
    p.expect(Tok.RParen, "')'");
    if (!calleeMode) checkExprType(p, to, t, op, at);
    e = new ConstantExpr(to, op, [v]);
  } else if (op === 'getelementptr') {
    let inrangeIdx = false;
    for (;;) {
      if (p.tk() === Tok.Keyword && GEP_FLAGS.has(p.lx.text)) {
        flags.push(p.lx.text);
        p.next();
      } else if (p.isKw('inrange')) {
        p.next();
        flags.push(`inrange(${p.rawParens()})`);
      } else break;
    }
    p.expect(Tok.LParen, "'('");
    const src = parseType(p);
    p.expect(Tok.Comma, "','");
    const ops: Constant[] = [];
    do {
      if (p.eatKw('inrange')) inrangeIdx = true;
      ops.push(parseTypeAndConstant(p));
    } while (p.eat(Tok.Comma));
    p.expect(Tok.RParen, "')'");
    if (inrangeIdx) flags.push('inrange');
    const base = ops[0]!.type;
    const baseTy = base.kind === 'vector' ? base.element : base;
    if (baseTy.kind !== 'pointer') p.errorAt(at, 'a pointer base', typeToString(base));
    let rt: Type = baseTy;
    if (baseTy.pointee) rt = T.typedPointer(gepResultElement(p, src, ops.slice(2), at), baseTy.addrSpace);
    const vec = ops.find((o) => o.type.kind === 'vector')?.type;
    if (vec && vec.kind === 'vector') rt = T.vector(vec.length, rt, vec.scalable);
    if (!calleeMode) checkExprType(p, rt, t, op, at);
    e = new ConstantExpr(rt, op, ops);
    e.sourceElementType = src;
  } else if (BINARY_OPS.has(op)) {
    while (p.tk() === Tok.Keyword && BINARY_FLAGS.has(p.lx.text)) {
      flags.push(p.lx.text);
      p.next();
    }
    p.expect(Tok.LParen, "'('");
    const a = parseTypeAndConstant(p);
    p.expect(Tok.Comma, "','");
    const b = parseTypeAndConstant(p);
    p.expect(Tok.RParen, "')'");
    if (!calleeMode) checkExprType(p, a.type, t, op, at);
    e = new ConstantExpr(a.type, op, [a, b]);
  } else if (op === 'icmp' || op === 'fcmp') {
    const pred = p.keyword('a predicate');
    p.expect(Tok.LParen, "'('");
    const a = parseTypeAndConstant(p);
    p.expect(Tok.Comma, "','");
    const b = parseTypeAndConstant(p);
    p.expect(Tok.RParen, "')'");
    const rt = a.type.kind === 'vector' ? T.vector(a.type.length, T.i1, a.type.scalable) : T.i1;
    if (!calleeMode) checkExprType(p, rt, t, op, at);
    e = new ConstantExpr(rt, op, [a, b]);
    e.predicate = pred;
  } else if (op === 'select' || op === 'extractelement' || op === 'insertelement' || op === 'shufflevector' || op === 'fneg') {
    p.expect(Tok.LParen, "'('");
    const ops: Constant[] = [];
    do ops.push(parseTypeAndConstant(p));
    while (p.eat(Tok.Comma));
    p.expect(Tok.RParen, "')'");
    const n = op === 'fneg' ? 1 : op === 'extractelement' ? 2 : 3;
    if (ops.length !== n) p.errorAt(at, `${n} operands`, `${ops.length}`);
    let rt: Type;
    if (op === 'select') rt = ops[1]!.type;
    else if (op === 'extractelement') {
      const v = ops[0]!.type;
      if (v.kind !== 'vector') p.errorAt(at, 'a vector', typeToString(v));
      rt = v.element;
    } else if (op === 'shufflevector') {
      const v = ops[0]!.type,
        m = ops[2]!.type;
      if (v.kind !== 'vector' || m.kind !== 'vector') p.errorAt(at, 'vectors', typeToString(v));
      rt = T.vector(m.length, v.element, m.scalable);
    } else rt = ops[0]!.type;
    if (!calleeMode) checkExprType(p, rt, t, op, at);
    e = new ConstantExpr(rt, op, ops);
  } else if (op === 'extractvalue' || op === 'insertvalue') {
    p.expect(Tok.LParen, "'('");
    const ops: Constant[] = [parseTypeAndConstant(p)];
    if (op === 'insertvalue') {
      p.expect(Tok.Comma, "','");
      ops.push(parseTypeAndConstant(p));
    }
    const idx: number[] = [];
    while (p.eat(Tok.Comma)) idx.push(p.uint('an index'));
    p.expect(Tok.RParen, "')'");
    const member = aggregateMember(p, ops[0]!.type, idx, at);
    const rt = op === 'extractvalue' ? member : ops[0]!.type;
    if (!calleeMode) checkExprType(p, rt, t, op, at);
    e = new ConstantExpr(rt, op, ops);
    e.indices = idx;
  } else {
    return p.errorAt(at, `a constant of type ${typeToString(t)}`, JSON.stringify(op));
  }
  e.flags = flags;
  p.trackList(e.operands);
  return e;
}

/** A constant expression's type must be the one its use expects (except a callee's, checked later). */
function checkExprType(p: ParserState, rt: Type, expected: Type, op: string, at: number): void {
  if (!p.sameType(rt, expected)) p.errorAt(at, `a constant of type ${typeToString(expected)}`, `${op} of type ${typeToString(rt)}`);
}

/** An integer literal's value; undefined if it is not one (`s0xZZ`). */
export function parseIntLiteral(text: string): bigint | undefined {
  const c = text.charCodeAt(0);
  if (c === 115 || c === 117) {
    // s0x… (signed, two's complement of 4 bits a digit) / u0x… (unsigned) hex
    const hex = text.slice(3);
    if (!/^[0-9a-fA-F]+$/.test(hex)) return undefined;
    const v = BigInt(`0x${hex}`);
    return c === 115 ? BigInt.asIntN(hex.length * 4, v) : v;
  }
  if (!/^-?[0-9]+$/.test(text)) return undefined;
  return BigInt(text);
}
