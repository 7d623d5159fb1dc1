// Owns the call sites (LangRef "call", "invoke", "callbr" Instructions):
// `[tail|musttail|notail] call`, `invoke … to label %a unwind label %b`,
// `callbr … to label %a [label %b, …]`, with their fast-math flags,
// calling convention, return/argument/function attributes, `metadata`
// arguments, inline asm callees (LangRef "Inline Assembler Expressions") and
// operand bundles (LangRef "Operand Bundles").
import type { Attribute } from '../attributes.js';
import * as I from '../instructions.js';
import { Tok } from '../lexer.js';
import { type FunctionType, typeToString } from '../types.js';
import { InlineAsm, type Value } from '../values.js';
import { parseAttributes, parseOptionalCallingConv } from './attributes.js';
import { parseTypeAndValue, parseValue } from './constants.js';
import { parseFastMath } from './inst-other.js';
import { parseMetadataAsValue } from './metadata.js';
import type { ParserState } from './state.js';
import { parseAddrSpace, parseType } from './types.js';

/** A call site, after its opcode (`call`, `invoke`, `callbr`, or a tail marker before `call`). */
export function parseCallInstruction(p: ParserState, op: string): I.CallBase {
  switch (op) {
    case 'invoke': {
      const c = parseCallSite(p, 'invoke') as I.InvokeInst;
      p.expectKw('to');
      c.normalDest = p.parseBlockRef();
      p.expectKw('unwind');
      c.unwindDest = p.parseBlockRef();
      return c;
    }
    case 'callbr': {
      const c = parseCallSite(p, 'callbr') as I.CallBrInst;
      p.expectKw('to');
      c.defaultDest = p.parseBlockRef();
      p.expect(Tok.LSquare, "'['");
      if (p.tk() !== Tok.RSquare) {
        do c.indirectDests.push(p.parseBlockRef());
        while (p.eat(Tok.Comma));
      }
      p.expect(Tok.RSquare, "']'");
      return c;
    }
    default: {
      // `call`, or `tail`/`musttail`/`notail` then `call`
      let tailKind: I.CallInst['tailKind'];
      if (op !== 'call') {
        tailKind = op as I.CallInst['tailKind'];
        p.expectKw('call');
      }
      const c = parseCallSite(p, 'call') as I.CallInst;
      c.tailKind = tailKind;
      return c;
    }
  }
}

/** What `asm [sideeffect] [alignstack] [inteldialect] [unwind] "…", "…"` says before the arguments. */
interface InlineAsmHead {
  asm: string;
  constraints: string;
  sideEffect: boolean;
  alignStack: boolean;
  intelDialect: boolean;
  canUnwind: boolean;
}

/**
 * What `call`, `invoke` and `callbr` share, up to the end of the operand
 * bundles: the instruction of class `op`, its destinations still to be read.
 */
function parseCallSite(p: ParserState, op: 'call' | 'invoke' | 'callbr'): I.CallBase {
  const T = p.types;
  const fmf = op === 'call' ? parseFastMath(p) : undefined;
  const cc = parseOptionalCallingConv(p);
  const retAttrs: Attribute[] = [];
  parseAttributes(p, retAttrs);
  let as = 0;
  if (p.isKw('addrspace')) as = parseAddrSpace(p);
  const tyAt = p.lx.start;
  const retOrFnTy = parseType(p, true);
  // The callee is written before the arguments but its type depends on them:
  // a named callee is only read here (its token) and looked up afterwards;
  // a constant expression callee (`bitcast (… @f to …)`) carries its own type.
  const calleeAt = p.lx.start;
  const calleeTok = p.tk();
  const calleeName = p.lx.text;
  let asmHead: InlineAsmHead | undefined;
  let constantCallee: Value | undefined;
  if (p.isKw('asm')) {
    asmHead = parseInlineAsmHead(p);
  } else if (calleeTok === Tok.LocalVar || calleeTok === Tok.LocalVarId || calleeTok === Tok.GlobalVar || calleeTok === Tok.GlobalId) {
    p.next();
  } else {
    constantCallee = parseValue(p, T.pointer(0), true);
  }
  // arguments
  p.expect(Tok.LParen, "'('");
  const args: Value[] = [];
  const argAttrs: Attribute[][] = [];
  if (!p.eat(Tok.RParen)) {
    for (;;) {
      if (p.eat(Tok.DotDotDot)) break;
      const t = parseType(p);
      const attrs: Attribute[] = [];
      parseAttributes(p, attrs);
      let v: Value;
      if (t.kind === 'metadata') v = parseMetadataAsValue(p, t);
      else v = parseValue(p, t);
      args.push(v);
      argAttrs.push(attrs);
      if (!p.eat(Tok.Comma)) break;
    }
    p.expect(Tok.RParen, "')'");
  }
  let fty: FunctionType;
  if (retOrFnTy.kind === 'function') {
    fty = retOrFnTy;
    if (args.length < fty.params.length || (!fty.varArg && args.length !== fty.params.length)) {
      p.errorAt(tyAt, `${fty.params.length} arguments`, `${args.length} arguments`);
    }
    for (let i = 0; i < fty.params.length; i++) {
      if (!p.sameType(args[i]!.type, fty.params[i]!)) {
        p.errorAt(tyAt, `argument ${i} of type ${typeToString(fty.params[i]!)}`, typeToString(args[i]!.type));
      }
    }
  } else {
    fty = T.function(
      retOrFnTy,
      args.map((a) => a.type),
      false,
    );
  }
  const calleeType = p.pointerTo(fty, as);
  let callee: Value;
  if (asmHead) {
    const h = asmHead;
    callee = new InlineAsm(calleeType, fty, h.asm, h.constraints, h.sideEffect, h.alignStack, h.intelDialect, h.canUnwind);
  } else if (constantCallee) {
    callee = constantCallee;
  } else if (calleeTok === Tok.GlobalVar || calleeTok === Tok.GlobalId) {
    callee = p.globalRef(calleeName, calleeTok === Tok.GlobalId, calleeType, calleeAt);
  } else {
    callee = p.localRef(calleeName, calleeTok === Tok.LocalVarId, calleeType, calleeAt);
  }
  const fnAttrs: Attribute[] = [];
  parseAttributes(p, fnAttrs);
  const bundles = p.tk() === Tok.LSquare ? parseOperandBundles(p) : undefined;
  const rt = fty.returnType;
  const operands = args;
  operands.push(callee);
  const c =
    op === 'call'
      ? new I.CallInst(rt, operands, fty)
      : op === 'invoke'
        ? new I.InvokeInst(rt, operands, fty)
        : new I.CallBrInst(rt, operands, fty);
  c.callingConv = cc;
  c.returnAttributes = retAttrs;
  c.argAttributes = argAttrs;
  c.functionAttributes = fnAttrs;
  c.bundles = bundles;
  c.fastMath = fmf;
  return c;
}

function parseInlineAsmHead(p: ParserState): InlineAsmHead {
  p.next(); // asm
  let sideEffect = false,
    alignStack = false,
    intelDialect = false,
    canUnwind = false;
  for (;;) {
    if (p.eatKw('sideeffect')) sideEffect = true;
    else if (p.eatKw('alignstack')) alignStack = true;
    else if (p.eatKw('inteldialect')) intelDialect = true;
    else if (p.eatKw('unwind')) canUnwind = true;
    else break;
  }
  const asm = p.string('the asm string');
  p.expect(Tok.Comma, "','");
  const constraints = p.string('the asm constraints');
  return { asm, constraints, sideEffect, alignStack, intelDialect, canUnwind };
}

/** `[ "tag"(<ty> <v>, …), … ]`. */
function parseOperandBundles(p: ParserState): { tag: string; inputs: Value[] }[] {
  p.next(); // [
  const bundles: { tag: string; inputs: Value[] }[] = [];
  do {
    const tag = p.string('an operand bundle tag');
    p.expect(Tok.LParen, "'('");
    const inputs: Value[] = [];
    if (p.tk() !== Tok.RParen) {
      do inputs.push(parseTypeAndValue(p));
      while (p.eat(Tok.Comma));
    }
    p.expect(Tok.RParen, "')'");
    bundles.push({ tag, inputs });
    p.trackList(inputs);
  } while (p.eat(Tok.Comma));
  p.expect(Tok.RSquare, "']'");
  return bundles;
}
