// Owns the memory instructions (LangRef "Memory Access and Addressing
// Operations"): alloca, load, store, fence, cmpxchg, atomicrmw and
// getelementptr. load, store, cmpxchg and atomicrmw end the same way —
// `[syncscope("…")] <ordering>[, align N]` then the attachments — so that
// ending is read by one helper, parseAccessEnding.
import * as I from '../instructions.js';
import { Tok } from '../lexer.js';
import { ATOMIC_ORDERINGS, type AtomicOrdering } from '../opcodes.js';
import { type Type, typeToString } from '../types.js';
import type { Value } from '../values.js';
import { parseTypeAndValue } from './constants.js';
import type { ParserState } from './state.js';
import { gepResultElement, parseAddrSpace, parseType } from './types.js';

const ORDERINGS: ReadonlySet<string> = new Set(ATOMIC_ORDERINGS);

/** A memory instruction, after its opcode. */
export function parseMemoryInstruction(p: ParserState, op: string, opAt: number): I.Instruction {
  switch (op) {
    case 'load': {
      const atomic = p.eatKw('atomic');
      const vol = p.eatKw('volatile');
      const t = parseType(p);
      p.expect(Tok.Comma, "','");
      const ptr = parsePointerOperand(p, opAt);
      const l = new I.LoadInst(t, [ptr]);
      l.atomic = atomic;
      l.volatile = vol;
      parseAccessEnding(p, l, atomic);
      return l;
    }
    case 'store': {
      const atomic = p.eatKw('atomic');
      const vol = p.eatKw('volatile');
      const v = parseTypeAndValue(p);
      p.expect(Tok.Comma, "','");
      const ptr = parsePointerOperand(p, opAt);
      const s = new I.StoreInst(p.types.void, [v, ptr]);
      s.atomic = atomic;
      s.volatile = vol;
      parseAccessEnding(p, s, atomic);
      return s;
    }
    case 'cmpxchg': {
      const weak = p.eatKw('weak');
      const vol = p.eatKw('volatile');
      const ptr = parseTypeAndValue(p);
      p.expect(Tok.Comma, "','");
      const cmp = parseTypeAndValue(p);
      p.expect(Tok.Comma, "','");
      const nv = parseTypeAndValue(p);
      const x = new I.AtomicCmpXchgInst(p.types.literalStruct([cmp.type, p.types.i1], false), [ptr, cmp, nv]);
      x.weak = weak;
      x.volatile = vol;
      parseAccessEnding(p, x, true);
      return x;
    }
    case 'atomicrmw': {
      const vol = p.eatKw('volatile');
      const operation = p.keyword('an atomicrmw operation');
      const ptr = parseTypeAndValue(p);
      p.expect(Tok.Comma, "','");
      const v = parseTypeAndValue(p);
      const x = new I.AtomicRMWInst(v.type, [ptr, v], operation);
      x.volatile = vol;
      parseAccessEnding(p, x, true);
      return x;
    }
    case 'fence': {
      const f = new I.FenceInst(p.types.void, []);
      f.syncScope = parseSyncScope(p);
      f.ordering = parseOrdering(p);
      return f;
    }
    case 'alloca':
      return parseAlloca(p);
    case 'getelementptr':
      return parseGetElementPtr(p, opAt);
    default:
      return p.errorAt(opAt, 'an instruction opcode', JSON.stringify(op));
  }
}

/**
 * The ending of load, store, cmpxchg and atomicrmw: when `atomic`, the sync
 * scope and the ordering (cmpxchg: success then failure ordering); then
 * `, align N` (any number of times, the last wins, as LLParser) up to the
 * comma of the first attachment.
 */
function parseAccessEnding(p: ParserState, inst: I.LoadInst | I.StoreInst | I.AtomicCmpXchgInst | I.AtomicRMWInst, atomic: boolean): void {
  if (atomic) {
    inst.syncScope = parseSyncScope(p);
    if (inst.opcode === 'cmpxchg') {
      inst.successOrdering = parseOrdering(p);
      inst.failureOrdering = parseOrdering(p);
    } else {
      inst.ordering = parseOrdering(p);
    }
  }
  let align: number | undefined;
  while (p.eat(Tok.Comma)) {
    if (p.attachmentsFollow()) break;
    p.expectKw('align');
    align = p.uint();
  }
  inst.align = align;
}

/** `<ty> <ptr>`: the address of a load or store, which must be a pointer (not a vector of them). */
function parsePointerOperand(p: ParserState, opAt: number): Value {
  const ptr = parseTypeAndValue(p);
  if (ptr.type.kind !== 'pointer') p.errorAt(opAt, 'a pointer operand', typeToString(ptr.type));
  return ptr;
}

/** `syncscope("name")`, if written. */
function parseSyncScope(p: ParserState): string | undefined {
  if (!p.eatKw('syncscope')) return undefined;
  p.expect(Tok.LParen, "'('");
  const s = p.string('a sync scope name');
  p.expect(Tok.RParen, "')'");
  return s;
}

function parseOrdering(p: ParserState): AtomicOrdering {
  if (p.tk() !== Tok.Keyword || !ORDERINGS.has(p.lx.text)) p.error('an atomic ordering');
  const o = p.lx.text as AtomicOrdering;
  p.next();
  return o;
}

/** `alloca [inalloca] [swifterror] <ty>[, <ty> <count>][, align N][, addrspace(N)]`. */
function parseAlloca(p: ParserState): I.AllocaInst {
  let inalloca = false,
    swifterror = false;
  for (;;) {
    if (p.eatKw('inalloca')) inalloca = true;
    else if (p.eatKw('swifterror')) swifterror = true;
    else break;
  }
  const t = parseType(p);
  const ops: Value[] = [];
  let align: number | undefined;
  let as = 0;
  while (p.eat(Tok.Comma)) {
    if (p.attachmentsFollow()) break;
    if (p.eatKw('align')) {
      align = p.uint();
      continue;
    }
    if (p.isKw('addrspace')) {
      as = parseAddrSpace(p);
      continue;
    }
    if (ops.length) p.error("'align' or 'addrspace'");
    ops.push(parseTypeAndValue(p));
  }
  const a = new I.AllocaInst(p.pointerTo(t, as), ops, t);
  a.align = align;
  a.addrSpace = as;
  a.inalloca = inalloca;
  a.swifterror = swifterror;
  return a;
}

/** `getelementptr [inbounds] [nusw] [nuw] [inrange(a, b)] <ty>, <ptr>[, <idx>]*`. */
function parseGetElementPtr(p: ParserState, opAt: number): I.GetElementPtrInst {
  const T = p.types;
  let inbounds = false,
    nusw = false,
    nuw = false;
  let inrange: string | undefined;
  for (;;) {
    if (p.eatKw('inbounds')) inbounds = true;
    else if (p.eatKw('nusw')) nusw = true;
    else if (p.eatKw('nuw')) nuw = true;
    else if (p.isKw('inrange')) {
      p.next();
      inrange = p.rawParens();
    } else break;
  }
  const srcTy = parseType(p);
  p.expect(Tok.Comma, "','");
  const base = parseTypeAndValue(p);
  const ops: Value[] = [base];
  let vecLen = base.type.kind === 'vector' ? base.type : undefined;
  while (p.eat(Tok.Comma)) {
    if (p.attachmentsFollow()) break;
    if (p.eatKw('inrange')) inrange = 'index';
    const idx = parseTypeAndValue(p);
    if (idx.type.kind === 'vector') vecLen ??= idx.type;
    ops.push(idx);
  }
  const baseTy = base.type.kind === 'vector' ? base.type.element : base.type;
  if (baseTy.kind !== 'pointer') p.errorAt(opAt, 'a pointer base', typeToString(base.type));
  let rt: Type;
  if (baseTy.pointee) {
    const resultElem = gepResultElement(p, srcTy, ops.slice(2), opAt);
    rt = T.typedPointer(resultElem, baseTy.addrSpace);
  } else rt = baseTy;
  if (vecLen) rt = T.vector(vecLen.length, rt, vecLen.scalable);
  const g = new I.GetElementPtrInst(rt, ops, srcTy);
  g.inbounds = inbounds;
  g.nusw = nusw;
  g.nuw = nuw;
  g.inrange = inrange;
  return g;
}
