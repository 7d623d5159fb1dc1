// Owns global values (LangRef "Global Variables", "Aliases", "IFuncs"):
// `@g = [linkage] [visibility] … global|constant <ty> [<init>], section …,
// align …, comdat …, !attachments`, `@a = … alias <ty>, <ty> <aliasee>`,
// `@i = … ifunc <ty>, <ty> <resolver>`; and the linkage, visibility, DLL
// storage, thread-local and unnamed_addr qualifiers that functions share.
import { Tok } from '../lexer.js';
import { type GlobalValue, GlobalAlias, GlobalIFunc, GlobalVariable, type Linkage } from '../values.js';
import { parseAttributes } from './attributes.js';
import { parseConstant } from './constants.js';
import { parseAttachment } from './metadata.js';
import type { Holder, ParserState } from './state.js';
import { parseAddrSpace, parseType } from './types.js';

const LINKAGES = new Set<string>([
  'private',
  'internal',
  'available_externally',
  'linkonce',
  'weak',
  'common',
  'appending',
  'extern_weak',
  'linkonce_odr',
  'weak_odr',
  'external',
]);

/** What a global's or function's header says before its kind (`global`, `alias`, `define`'s return type…). */
export interface GlobalQualifiers {
  linkage: Linkage | undefined;
  dsoLocal: boolean;
  visibility: GlobalVariable['visibility'];
  dll: GlobalVariable['dllStorage'];
  threadLocal: string | undefined;
  unnamedAddr: GlobalVariable['unnamedAddr'];
}

/** `[linkage] [dso_local] [visibility] [dll storage] [thread_local(…)] [unnamed_addr]`, in any order. */
export function parseQualifiers(p: ParserState): GlobalQualifiers {
  let linkage: Linkage | undefined;
  let dsoLocal = false;
  let visibility: GlobalVariable['visibility'] = 'default';
  let dll: GlobalVariable['dllStorage'];
  let threadLocal: string | undefined;
  let unnamedAddr: GlobalVariable['unnamedAddr'];
  for (;;) {
    if (p.tk() !== Tok.Keyword) break;
    const w = p.lx.text;
    if (LINKAGES.has(w)) {
      linkage = w as Linkage;
      p.next();
      continue;
    }
    if (w === 'dso_local') {
      dsoLocal = true;
      p.next();
      continue;
    }
    if (w === 'dso_preemptable') {
      p.next();
      continue;
    }
    if (w === 'default' || w === 'hidden' || w === 'protected') {
      visibility = w;
      p.next();
      continue;
    }
    if (w === 'dllimport' || w === 'dllexport') {
      dll = w;
      p.next();
      continue;
    }
    if (w === 'thread_local') {
      p.next();
      threadLocal = 'generaldynamic';
      if (p.eat(Tok.LParen)) {
        threadLocal = p.keyword('a TLS model');
        p.expect(Tok.RParen, "')'");
      }
      continue;
    }
    if (w === 'unnamed_addr' || w === 'local_unnamed_addr') {
      unnamedAddr = w;
      p.next();
      continue;
    }
    break;
  }
  return { linkage, dsoLocal, visibility, dll, threadLocal, unnamedAddr };
}

/** Stores the qualifiers into a global value. */
export function applyQualifiers(gv: GlobalValue, q: GlobalQualifiers): void {
  gv.linkage = q.linkage ?? 'external';
  gv.dsoLocal = q.dsoLocal;
  gv.visibility = q.visibility;
  gv.dllStorage = q.dll;
  gv.threadLocal = q.threadLocal;
  gv.unnamedAddr = q.unnamedAddr;
}

/** `@name = …` or `@N = …`: a global variable, an alias or an ifunc. */
export function parseGlobalEntity(p: ParserState): void {
  const numbered = p.tk() === Tok.GlobalId;
  const name = p.lx.text;
  const nameAt = p.lx.start;
  p.next();
  p.expect(Tok.Equal, "'='");
  const q = parseQualifiers(p);
  let addrSpace = 0;
  if (p.isKw('addrspace')) addrSpace = parseAddrSpace(p);
  let externallyInitialized = false;
  if (p.eatKw('externally_initialized')) externallyInitialized = true;
  if (p.isKw('alias') || p.isKw('ifunc')) {
    const isAlias = p.lx.text === 'alias';
    p.next();
    const valueType = parseType(p);
    p.expect(Tok.Comma, "','");
    const ptrTy = parseType(p);
    const target = parseConstant(p, ptrTy);
    const ptr = ptrTy.kind === 'pointer' ? ptrTy : p.types.pointer(addrSpace);
    const gv = isAlias ? new GlobalAlias(name, ptr, valueType) : new GlobalIFunc(name, ptr, valueType);
    applyQualifiers(gv, q);
    if (gv instanceof GlobalAlias) gv.aliasee = target;
    else gv.resolver = target;
    p.setHolderMaybeForward(gv as unknown as Holder, isAlias ? 'aliasee' : 'resolver', target);
    while (p.eat(Tok.Comma)) {
      if (p.eatKw('partition')) gv.partition = p.string();
      else if (p.tk() === Tok.MetadataVar) parseAttachment(p, gv.metadata);
      else p.error("'partition' or metadata");
    }
    p.defineGlobal(name, numbered, gv, nameAt);
    (isAlias ? p.m.aliases : p.m.ifuncs).push(gv as GlobalAlias & GlobalIFunc);
    return;
  }
  let isConstant: boolean;
  if (p.eatKw('global')) isConstant = false;
  else if (p.eatKw('constant')) isConstant = true;
  else return p.error("'global', 'constant', 'alias' or 'ifunc'");
  const valueType = parseType(p);
  const ptr = p.pointerTo(valueType, addrSpace);
  const gv = new GlobalVariable(name, ptr, valueType);
  applyQualifiers(gv, q);
  gv.isConstant = isConstant;
  gv.externallyInitialized = externallyInitialized;
  const linkage = q.linkage;
  if (linkage === undefined || (linkage !== 'external' && linkage !== 'extern_weak')) {
    gv.initializer = parseConstant(p, valueType);
    p.setHolderMaybeForward(gv as unknown as Holder, 'initializer', gv.initializer);
  }
  while (p.eat(Tok.Comma)) {
    if (p.tk() === Tok.MetadataVar) {
      parseAttachment(p, gv.metadata);
      continue;
    }
    const w = p.keyword("'section', 'align', 'comdat' or metadata");
    switch (w) {
      case 'section':
        gv.section = p.string();
        break;
      case 'partition':
        gv.partition = p.string();
        break;
      case 'align':
        gv.align = p.uint();
        break;
      case 'code_model':
        gv.codeModel = p.string();
        break;
      case 'comdat':
        gv.comdat = parseComdatRef(p, name);
        break;
      case 'no_sanitize_address':
      case 'no_sanitize_hwaddress':
      case 'sanitize_memtag':
      case 'sanitize_address_dyninit':
        gv.sanitizer.push(w);
        break;
      default:
        p.errorAt(p.lx.start, "'section', 'align', 'comdat' or metadata", JSON.stringify(w));
    }
  }
  parseAttributes(p, gv.attributes);
  p.defineGlobal(name, numbered, gv, nameAt);
  p.m.globals.push(gv);
}

/** `comdat` with an optional `($name)`; without one, the comdat named as the global. */
export function parseComdatRef(p: ParserState, selfName: string): string {
  if (p.eat(Tok.LParen)) {
    if (p.tk() !== Tok.ComdatVar) p.error('a comdat name');
    const c = p.lx.text;
    p.next();
    p.expect(Tok.RParen, "')'");
    return c;
  }
  return selfName;
}
