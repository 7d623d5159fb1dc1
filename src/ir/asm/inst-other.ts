// Owns the instructions that compute values (LangRef "Unary Operations",
// "Binary Operations", "Bitwise Binary Operations", "Vector Operations",
// "Aggregate Operations", "Conversion Operations", and from "Other
// Operations": icmp, fcmp, phi, select, freeze, va_arg), with their flags
// (nuw/nsw/exact/disjoint, nneg, samesign) and fast-math flags (LangRef
// "Fast-Math Flags"), which calls share.
import * as I from '../instructions.js';
import { Tok } from '../lexer.js';
import { opcodesIn } from '../opcodes.js';
import { type Type, typeToString } from '../types.js';
import type { BasicBlock, Value } from '../values.js';
import { parseTypeAndValue, parseValue } from './constants.js';
import type { ParserState } from './state.js';
import { aggregateMember, isFPOrFPVector, isIntOrIntVector, parseType } from './types.js';

const BINARY_OPS = opcodesIn('binary');
const CAST_OPS = opcodesIn('cast');
const FAST_MATH = new Set(['fast', 'nnan', 'ninf', 'nsz', 'arcp', 'contract', 'reassoc', 'afn']);
const ICMP_PREDS = new Set(['eq', 'ne', 'ugt', 'uge', 'ult', 'ule', 'sgt', 'sge', 'slt', 'sle']);
const FCMP_PREDS = new Set([
  'false',
  'oeq',
  'ogt',
  'oge',
  'olt',
  'ole',
  'one',
  'ord',
  'ueq',
  'ugt',
  'uge',
  'ult',
  'ule',
  'une',
  'uno',
  'true',
]);

/** A value-computing instruction, after its opcode. */
export function parseOtherInstruction(p: ParserState, op: string, opAt: number): I.Instruction {
  if (BINARY_OPS.has(op)) return parseBinaryOperator(p, op as I.BinaryOpcode, opAt);
  if (CAST_OPS.has(op)) return parseCast(p, op as I.CastOpcode);
  const T = p.types;
  switch (op) {
    case 'icmp':
    case 'fcmp':
      return parseCompare(p, op);
    case 'fneg': {
      const fmf = parseFastMath(p);
      const v = parseTypeAndValue(p);
      if (!isFPOrFPVector(v.type)) p.errorAt(opAt, 'a floating-point operand', typeToString(v.type));
      const u = new I.UnaryOperator(v.type, [v]);
      u.fastMath = fmf;
      return u;
    }
    case 'phi':
      return parsePhi(p);
    case 'select': {
      const fmf = parseFastMath(p);
      const c = parseTypeAndValue(p);
      p.expect(Tok.Comma, "','");
      const a = parseTypeAndValue(p);
      p.expect(Tok.Comma, "','");
      const b = parseTypeAndValue(p);
      if (!p.sameType(a.type, b.type))
        p.errorAt(opAt, 'select operands of one type', `${typeToString(a.type)} and ${typeToString(b.type)}`);
      const s = new I.SelectInst(a.type, [c, a, b]);
      s.fastMath = fmf;
      return s;
    }
    case 'freeze': {
      const v = parseTypeAndValue(p);
      return new I.FreezeInst(v.type, [v]);
    }
    case 'va_arg': {
      const v = parseTypeAndValue(p);
      p.expect(Tok.Comma, "','");
      return new I.VAArgInst(parseType(p), [v]);
    }
    case 'extractelement': {
      const v = parseTypeAndValue(p);
      p.expect(Tok.Comma, "','");
      const i = parseTypeAndValue(p);
      if (v.type.kind !== 'vector') p.errorAt(opAt, 'a vector operand', typeToString(v.type));
      return new I.ExtractElementInst(v.type.element, [v, i]);
    }
    case 'insertelement': {
      const v = parseTypeAndValue(p);
      p.expect(Tok.Comma, "','");
      const e = parseTypeAndValue(p);
      p.expect(Tok.Comma, "','");
      const i = parseTypeAndValue(p);
      return new I.InsertElementInst(v.type, [v, e, i]);
    }
    case 'shufflevector': {
      const a = parseTypeAndValue(p);
      p.expect(Tok.Comma, "','");
      const b = parseTypeAndValue(p);
      p.expect(Tok.Comma, "','");
      const mask = parseTypeAndValue(p);
      if (a.type.kind !== 'vector' || mask.type.kind !== 'vector') p.errorAt(opAt, 'vector operands', typeToString(a.type));
      return new I.ShuffleVectorInst(T.vector(mask.type.length, a.type.element, mask.type.scalable), [a, b, mask]);
    }
    case 'extractvalue': {
      const v = parseTypeAndValue(p);
      const indices = parseIndexList(p);
      return new I.ExtractValueInst(aggregateMember(p, v.type, indices, opAt), [v], indices);
    }
    case 'insertvalue': {
      const v = parseTypeAndValue(p);
      p.expect(Tok.Comma, "','");
      const e = parseTypeAndValue(p);
      const indices = parseIndexList(p);
      aggregateMember(p, v.type, indices, opAt);
      return new I.InsertValueInst(v.type, [v, e], indices);
    }
    default:
      return p.errorAt(opAt, 'an instruction opcode', JSON.stringify(op));
  }
}

/** Fast-math flags (`fast`, `nnan`, …), undefined if none. */
export function parseFastMath(p: ParserState): string[] | undefined {
  let out: string[] | undefined;
  while (p.tk() === Tok.Keyword && FAST_MATH.has(p.lx.text)) {
    (out ??= []).push(p.lx.text);
    p.next();
  }
  return out;
}

/** `<op> [nuw] [nsw] [exact] [disjoint] [fast-math] <ty> <a>, <b>`; `f…` opcodes take floating-point operands. */
function parseBinaryOperator(p: ParserState, op: I.BinaryOpcode, opAt: number): I.BinaryOperator {
  let nuw = false,
    nsw = false,
    exact = false,
    disjoint = false;
  for (;;) {
    if (p.eatKw('nuw')) nuw = true;
    else if (p.eatKw('nsw')) nsw = true;
    else if (p.eatKw('exact')) exact = true;
    else if (p.eatKw('disjoint')) disjoint = true;
    else break;
  }
  const fmf = parseFastMath(p);
  const a = parseTypeAndValue(p);
  p.expect(Tok.Comma, "','");
  const b = parseValue(p, a.type);
  const isFloatOp = op.charCodeAt(0) === 102; // f…
  if (isFloatOp ? !isFPOrFPVector(a.type) : !isIntOrIntVector(a.type)) {
    p.errorAt(opAt, `${isFloatOp ? 'floating-point' : 'integer'} operands for '${op}'`, typeToString(a.type));
  }
  const bo = new I.BinaryOperator(a.type, [a, b], op);
  bo.nuw = nuw;
  bo.nsw = nsw;
  bo.exact = exact;
  bo.disjoint = disjoint;
  bo.fastMath = fmf;
  return bo;
}

/** `<cast> [nneg] [nuw] [nsw] <ty> <v> to <ty2>`. */
function parseCast(p: ParserState, op: I.CastOpcode): I.CastInst {
  let nneg = false,
    nuw = false,
    nsw = false;
  for (;;) {
    if (p.eatKw('nneg')) nneg = true;
    else if (p.eatKw('nuw')) nuw = true;
    else if (p.eatKw('nsw')) nsw = true;
    else break;
  }
  const v = parseTypeAndValue(p);
  p.expectKw('to');
  const to = parseType(p);
  const c = new I.CastInst(to, [v], op);
  c.nneg = nneg;
  c.nuw = nuw;
  c.nsw = nsw;
  return c;
}

/** `icmp [samesign] <pred> <ty> <a>, <b>` / `fcmp [fast-math] <pred> <ty> <a>, <b>`. */
function parseCompare(p: ParserState, op: 'icmp' | 'fcmp'): I.CmpInst {
  const T = p.types;
  let samesign = false;
  let fmf: string[] | undefined;
  if (op === 'icmp' && p.eatKw('samesign')) samesign = true;
  if (op === 'fcmp') fmf = parseFastMath(p);
  const pred = p.keyword('a comparison predicate');
  if (!(op === 'icmp' ? ICMP_PREDS : FCMP_PREDS).has(pred)) p.errorAt(p.lx.start, 'a comparison predicate', JSON.stringify(pred));
  const a = parseTypeAndValue(p);
  p.expect(Tok.Comma, "','");
  const b = parseValue(p, a.type);
  const rt: Type = a.type.kind === 'vector' ? T.vector(a.type.length, T.i1, a.type.scalable) : T.i1;
  const c = new I.CmpInst(rt, [a, b], op, pred);
  c.samesign = samesign;
  c.fastMath = fmf;
  return c;
}

/** `phi [fast-math] <ty> [ <v>, %bb ], …`. */
function parsePhi(p: ParserState): I.PHINode {
  const fmf = parseFastMath(p);
  const t = parseType(p);
  const vals: Value[] = [];
  const blocks: BasicBlock[] = [];
  do {
    p.expect(Tok.LSquare, "'['");
    vals.push(parseValue(p, t));
    p.expect(Tok.Comma, "','");
    blocks.push(p.parseBareBlockRef());
    p.expect(Tok.RSquare, "']'");
  } while (p.eat(Tok.Comma) && !p.attachmentsFollow());
  const phi = new I.PHINode(t, vals, blocks);
  phi.fastMath = fmf;
  return phi;
}

/** `, i, j, …` after an aggregate operand: at least one index, up to the comma of the first attachment. */
function parseIndexList(p: ParserState): number[] {
  const indices: number[] = [];
  while (p.eat(Tok.Comma)) {
    if (p.attachmentsFollow()) break;
    indices.push(p.uint('an index'));
  }
  if (!indices.length) p.error('an index');
  return indices;
}
