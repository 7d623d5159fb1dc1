// Owns the type grammar (LangRef "Type System"): first-class, aggregate,
// vector, function, pointer (typed `T*` and opaque `ptr`, with `addrspace`),
// target extension types, and named struct definitions `%T = type { … }`;
// plus the type arithmetic the instructions and constant expressions share
// (the member an aggregate index selects, the element a GEP reaches).
import type { Attribute } from '../attributes.js';
import { Tok } from '../lexer.js';
import { type FloatKind, type FunctionType, type Type, typeToString } from '../types.js';
import type { Value } from '../values.js';
import type { ParserState } from './state.js';

const FLOAT_KINDS = new Set<string>(['half', 'bfloat', 'float', 'double', 'x86_fp80', 'fp128', 'ppc_fp128']);

/** A type, with its `*`, `addrspace(N)*` and function-type suffixes. */
export function parseType(p: ParserState, allowVoid = false): Type {
  p.enter();
  const at = p.lx.start;
  let t = parseBaseType(p);
  for (;;) {
    if (p.tk() === Tok.Star) {
      if (t.kind === 'void' || t.kind === 'label' || t.kind === 'metadata' || t.kind === 'token') p.error('a pointee type');
      p.next();
      p.sawTypedPointer = true;
      t = p.types.typedPointer(t, 0);
      continue;
    }
    if (p.isKw('addrspace')) {
      const as = parseAddrSpace(p);
      p.expect(Tok.Star, "'*'");
      p.sawTypedPointer = true;
      t = p.types.typedPointer(t, as);
      continue;
    }
    if (p.tk() === Tok.LParen) {
      t = parseFunctionTypeTail(p, t);
      continue;
    }
    break;
  }
  if (t.kind === 'void' && !allowVoid) p.errorAt(at, 'a non-void type', 'void');
  p.leave();
  return t;
}

function parseFunctionTypeTail(p: ParserState, ret: Type): FunctionType {
  if (ret.kind === 'label' || ret.kind === 'metadata' || ret.kind === 'function') p.error('a valid return type');
  p.next();
  const params: Type[] = [];
  let varArg = false;
  if (!p.eat(Tok.RParen)) {
    for (;;) {
      if (p.eat(Tok.DotDotDot)) {
        varArg = true;
        break;
      }
      const param = parseType(p);
      const ignored: Attribute[] = []; // a function type keeps no parameter attributes
      p.grammar.parseAttributes(p, ignored);
      if (p.tk() === Tok.LocalVar || p.tk() === Tok.LocalVarId) p.next();
      params.push(param);
      if (!p.eat(Tok.Comma)) break;
    }
    p.expect(Tok.RParen, "')'");
  }
  return p.types.function(ret, params, varArg);
}

function parseBaseType(p: ParserState): Type {
  const T = p.types;
  switch (p.tk()) {
    case Tok.IntType: {
      const n = p.lx.num;
      p.next();
      return T.int(n);
    }
    case Tok.Keyword: {
      const w = p.lx.text;
      switch (w) {
        case 'void':
          p.next();
          return T.void;
        case 'ptr': {
          p.next();
          if (p.isKw('addrspace')) return T.pointer(parseAddrSpace(p));
          return T.ptr;
        }
        case 'label':
          p.next();
          return T.label;
        case 'metadata':
          p.next();
          return T.metadata;
        case 'token':
          p.next();
          return T.token;
        case 'x86_mmx':
          p.next();
          return T.x86Mmx;
        case 'x86_amx':
          p.next();
          return T.x86Amx;
        case 'target':
          return parseTargetExtType(p);
        default:
          if (FLOAT_KINDS.has(w)) {
            p.next();
            return T.float(w as FloatKind);
          }
          return p.error('a type');
      }
    }
    case Tok.LocalVar:
    case Tok.LocalVarId: {
      const name = p.lx.text;
      const alias = p.aliasTypes.get(name);
      if (alias) {
        p.next();
        return alias;
      }
      const st = T.namedStruct(name, p.tk() === Tok.LocalVarId);
      if (!p.definedTypes.has(name) && !p.typeUses.has(name)) p.typeUses.set(name, p.lx.start);
      p.next();
      return st;
    }
    case Tok.LBrace: {
      const elems = parseStructBody(p);
      return T.literalStruct(elems, false);
    }
    case Tok.Less: {
      p.next();
      if (p.tk() === Tok.LBrace) {
        const elems = parseStructBody(p);
        p.expect(Tok.Greater, "'>'");
        return T.literalStruct(elems, true);
      }
      let scalable = false;
      if (p.eatKw('vscale')) {
        p.expectKw('x');
        scalable = true;
      }
      const n = p.uint('a vector length');
      p.expectKw('x');
      const e = parseType(p);
      p.expect(Tok.Greater, "'>'");
      if (n === 0 && !scalable) p.error('a non-zero vector length');
      if (e.kind !== 'int' && e.kind !== 'float' && e.kind !== 'pointer') p.error('a vector element type');
      return T.vector(n, e, scalable);
    }
    case Tok.LSquare: {
      p.next();
      const n = p.uint('an array length');
      p.expectKw('x');
      const e = parseType(p);
      p.expect(Tok.RSquare, "']'");
      if (e.kind === 'function' || e.kind === 'label' || e.kind === 'metadata' || e.kind === 'token') p.error('an array element type');
      return T.array(n, e);
    }
    default:
      return p.error('a type');
  }
}

function parseStructBody(p: ParserState): Type[] {
  p.next(); // {
  const elems: Type[] = [];
  if (p.eat(Tok.RBrace)) return elems;
  do {
    const e = parseType(p);
    if (e.kind === 'function' || e.kind === 'label' || e.kind === 'metadata') p.error('a struct element type');
    elems.push(e);
  } while (p.eat(Tok.Comma));
  p.expect(Tok.RBrace, "'}'");
  return elems;
}

function parseTargetExtType(p: ParserState): Type {
  p.next();
  p.expect(Tok.LParen, "'('");
  const name = p.string('a target type name');
  const tps: Type[] = [];
  const ips: number[] = [];
  while (p.eat(Tok.Comma)) {
    if (p.tk() === Tok.Integer) ips.push(p.uint());
    else {
      if (ips.length) p.error('an integer parameter');
      tps.push(parseType(p));
    }
  }
  p.expect(Tok.RParen, "')'");
  return p.types.targetExt(name, tps, ips);
}

export function parseAddrSpace(p: ParserState): number {
  p.expectKw('addrspace');
  p.expect(Tok.LParen, "'('");
  let n: number;
  if (p.tk() === Tok.String) {
    // named address spaces "A", "G", "P" of the datalayout
    p.next();
    n = 0;
  } else n = p.uint('an address space number');
  p.expect(Tok.RParen, "')'");
  return n;
}

export function parseTypeDef(p: ParserState): void {
  const numbered = p.tk() === Tok.LocalVarId;
  const name = p.lx.text;
  const at = p.lx.start;
  p.next();
  p.expect(Tok.Equal, "'='");
  p.expectKw('type');
  if (p.definedTypes.has(name)) p.errorAt(at, 'a new type name', `redefinition of type %${name}`);
  p.definedTypes.add(name);
  const st = p.types.namedStruct(name, numbered);
  if (p.eatKw('opaque')) {
    p.m.structTypes.push(st);
    return;
  }
  if (p.tk() === Tok.LBrace || p.tk() === Tok.Less) {
    const packed = p.tk() === Tok.Less;
    if (packed) {
      p.next();
      if (p.tk() !== Tok.LBrace) p.error("'{'");
    }
    const elems = parseStructBody(p);
    if (packed) p.expect(Tok.Greater, "'>'");
    st.elements = elems;
    st.packed = packed;
    p.m.structTypes.push(st);
    return;
  }
  // `%T = type <non-struct>`: a type alias (old IR); record nothing as a struct
  const t = parseType(p);
  if (t.kind === 'struct' && t.name !== undefined) p.error('a type body');
  p.definedTypes.delete(name);
  p.types.namedStructs.delete(name);
  p.aliasTypes.set(name, t);
}

export function aggregateMember(p: ParserState, t: Type, indices: number[], at: number): Type {
  let cur = t;
  for (const i of indices) {
    if (cur.kind === 'struct' && cur.elements && i < cur.elements.length) cur = cur.elements[i]!;
    else if (cur.kind === 'array' && i < cur.length) cur = cur.element;
    else p.errorAt(at, 'a valid aggregate index', `index ${i} into ${typeToString(cur)}`);
  }
  return cur;
}

export function gepResultElement(p: ParserState, srcTy: Type, indices: Value[], at: number): Type {
  let cur = srcTy;
  for (const idx of indices) {
    if (cur.kind === 'struct') {
      const c = idx.kind === 'int' ? Number(idx.value) : NaN;
      if (!cur.elements || !(c >= 0 && c < cur.elements.length)) p.errorAt(at, 'a constant struct index in range', typeToString(cur));
      cur = cur.elements[c]!;
    } else if (cur.kind === 'array' || cur.kind === 'vector') cur = cur.element;
    else p.errorAt(at, 'an index into an aggregate', typeToString(cur));
  }
  return cur;
}

export function isIntOrIntVector(t: Type): boolean {
  return t.kind === 'int' || (t.kind === 'vector' && t.element.kind === 'int');
}

export function isFPOrFPVector(t: Type): boolean {
  return t.kind === 'float' || (t.kind === 'vector' && t.element.kind === 'float');
}
