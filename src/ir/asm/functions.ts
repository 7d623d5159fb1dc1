// Owns functions (LangRef "Functions"): `declare` and `define` headers
// (qualifiers, calling convention, return and parameter attributes, the
// argument list, section/comdat/align/gc/prefix/prologue/personality,
// function attributes, attachments) and bodies: basic blocks, each a label,
// then debug records and instructions up to its terminator.
import type { Attribute } from '../attributes.js';
import type { DebugRecord } from '../instructions.js';
import { Tok } from '../lexer.js';
import type { Metadata } from '../metadata.js';
import { BLOCK_ENDERS } from '../opcodes.js';
import { type Type, typeToString } from '../types.js';
import { Argument, type Constant, Function } from '../values.js';
import { parseAttributes, parseOneAttribute, parseOptionalCallingConv } from './attributes.js';
import { parseTypeAndConstant } from './constants.js';
import { applyQualifiers, parseComdatRef, parseQualifiers } from './globals.js';
import { parseInstruction } from './instruction.js';
import { parseAttachment, parseDebugRecord } from './metadata.js';
import type { ArgumentInfo, Holder, ParserState } from './state.js';
import { parseAddrSpace, parseType } from './types.js';

/** `declare …` or `define … { … }`, from the keyword on. */
export function parseFunction(p: ParserState, isDefine: boolean): void {
  p.next();
  const md: [string, Metadata | null][] = [];
  if (!isDefine) while (p.tk() === Tok.MetadataVar) parseAttachment(p, md);
  const q = parseQualifiers(p);
  const cc = parseOptionalCallingConv(p);
  const retAttrs: Attribute[] = [];
  parseAttributes(p, retAttrs);
  const retType = parseType(p, true);
  if (p.tk() !== Tok.GlobalVar && p.tk() !== Tok.GlobalId) p.error('a function name');
  const numbered = p.tk() === Tok.GlobalId;
  const name = p.lx.text;
  const nameAt = p.lx.start;
  p.next();
  // arguments
  p.expect(Tok.LParen, "'('");
  const argTypes: Type[] = [];
  const argInfo: (ArgumentInfo & { attrs: Attribute[] })[] = [];
  let varArg = false;
  if (!p.eat(Tok.RParen)) {
    for (;;) {
      if (p.eat(Tok.DotDotDot)) {
        varArg = true;
        break;
      }
      const at = p.lx.start;
      const t = parseType(p);
      if (t.kind === 'void' || t.kind === 'function' || t.kind === 'label') p.errorAt(at, 'an argument type', typeToString(t));
      const attrs: Attribute[] = [];
      parseAttributes(p, attrs);
      let an: string | undefined;
      let anum = false;
      if (p.tk() === Tok.LocalVar || p.tk() === Tok.LocalVarId) {
        an = p.lx.text;
        anum = p.tk() === Tok.LocalVarId;
        p.next();
      }
      argTypes.push(t);
      argInfo.push({ name: an, numbered: anum, attrs, at });
      if (!p.eat(Tok.Comma)) break;
    }
    p.expect(Tok.RParen, "')'");
  }
  const fty = p.types.function(retType, argTypes, varArg);
  let addrSpace = 0;
  let unnamedAddr = q.unnamedAddr;
  const fnAttrs: Attribute[] = [];
  let section: string | undefined, partition: string | undefined, comdat: string | undefined;
  let align: number | undefined, gc: string | undefined;
  let prefix: Constant | undefined, prologue: Constant | undefined, personality: Constant | undefined;
  for (;;) {
    if (p.tk() === Tok.Keyword) {
      const w = p.lx.text;
      if (w === 'unnamed_addr' || w === 'local_unnamed_addr') {
        unnamedAddr = w;
        p.next();
        continue;
      }
      if (w === 'addrspace') {
        addrSpace = parseAddrSpace(p);
        continue;
      }
      if (w === 'section') {
        p.next();
        section = p.string();
        continue;
      }
      if (w === 'partition') {
        p.next();
        partition = p.string();
        continue;
      }
      if (w === 'comdat') {
        p.next();
        comdat = parseComdatRef(p, name);
        continue;
      }
      if (w === 'align') {
        p.next();
        align = p.uint();
        continue;
      }
      if (w === 'gc') {
        p.next();
        gc = p.string();
        continue;
      }
      if (w === 'prefix') {
        p.next();
        prefix = parseTypeAndConstant(p);
        continue;
      }
      if (w === 'prologue') {
        p.next();
        prologue = parseTypeAndConstant(p);
        continue;
      }
      if (w === 'personality') {
        p.next();
        personality = parseTypeAndConstant(p);
        continue;
      }
    }
    // a declaration's attachments precede its return type; what follows it is the next entity
    if (isDefine && p.tk() === Tok.MetadataVar) {
      parseAttachment(p, md);
      continue;
    }
    if (parseOneAttribute(p, fnAttrs, false)) continue;
    break;
  }
  const f = new Function(name, p.pointerTo(fty, addrSpace), fty);
  applyQualifiers(f, { ...q, unnamedAddr });
  f.callingConv = cc;
  f.returnAttributes = retAttrs;
  f.attributes = fnAttrs;
  f.section = section;
  f.partition = partition;
  f.comdat = comdat;
  f.align = align;
  f.gc = gc;
  f.prefix = prefix;
  f.prologue = prologue;
  f.personality = personality;
  f.addrSpace = addrSpace;
  f.metadata = md;
  if (prefix) p.setHolderMaybeForward(f as unknown as Holder, 'prefix', prefix);
  if (prologue) p.setHolderMaybeForward(f as unknown as Holder, 'prologue', prologue);
  if (personality) p.setHolderMaybeForward(f as unknown as Holder, 'personality', personality);
  f.arguments = argInfo.map((a, i) => new Argument(argTypes[i]!, a.name, i, a.attrs, f));
  p.defineGlobal(name, numbered, f, nameAt);
  p.m.functions.push(f);
  if (isDefine) {
    if (p.tk() !== Tok.LBrace) p.error("'{'");
    parseFunctionBody(p, f, argInfo);
  } else if (p.tk() === Tok.LBrace) {
    p.error('no body for a declaration');
  }
}

function parseFunctionBody(p: ParserState, f: Function, argInfo: ArgumentInfo[]): void {
  p.beginFunction(f, argInfo);
  p.next(); // {
  f.isDefinition = true;
  if (p.tk() === Tok.RBrace) p.error('a basic block');
  while (p.tk() !== Tok.RBrace) {
    if (p.tk() === Tok.Eof) p.error("'}'");
    if (p.isKw('uselistorder')) {
      p.skipUseListOrder();
      continue;
    }
    parseBasicBlock(p, f);
  }
  p.next();
  p.endFunction();
}

/** A label (or none), debug records and instructions, up to the terminator. */
function parseBasicBlock(p: ParserState, f: Function): void {
  const bb = p.defineBlock();
  f.blocks.push(bb);
  let records: DebugRecord[] | undefined;
  for (;;) {
    if (p.tk() === Tok.DbgRecord) {
      (records ??= []).push(parseDebugRecord(p));
      continue;
    }
    const inst = parseInstruction(p);
    inst.parent = bb;
    if (records) {
      inst.debugRecords = records;
      records = undefined;
    }
    bb.instructions.push(inst);
    if (BLOCK_ENDERS.has(inst.opcode)) break;
    if (p.tk() === Tok.RBrace || p.tk() === Tok.LabelStr || p.tk() === Tok.LabelId || p.tk() === Tok.Eof) {
      p.error('a terminator instruction before the end of the block');
    }
  }
}
