// Owns the module level (LangRef "Module Structure"): the sequence of
// top-level entities and what each one is — `source_filename`, `target
// datalayout`/`triple`, `module asm`, `deplibs`, attribute groups
// (`attributes #N = { … }`), comdats (`$c = comdat any`), named and numbered
// metadata definitions (`!llvm.dbg.cu = !{…}`, `!7 = !DI…(…)`), `uselistorder`
// directives, and the hand-off of type definitions, globals and functions to
// their grammar files; then the end-of-module resolution of forward references.
import { type Attribute, AttributeGroup } from '../attributes.js';
import { Tok } from '../lexer.js';
import { type Metadata, NamedMetadata } from '../metadata.js';
import type { Module } from '../module.js';
import { Comdat } from '../values.js';
import { parseOneAttribute } from './attributes.js';
import { parseFunction } from './functions.js';
import { parseGlobalEntity } from './globals.js';
import { parseMDTuple, parseMetadata, parseSpecializedNode } from './metadata.js';
import type { Holder, ParserState } from './state.js';
import { parseTypeDef } from './types.js';

const COMDAT_KINDS = new Set(['any', 'exactmatch', 'largest', 'nodeduplicate', 'noduplicates', 'samesize']);

/** The whole module, up to the end of the input. */
export function parseModuleBody(p: ParserState): Module {
  p.next();
  while (p.tk() !== Tok.Eof) parseTopLevel(p);
  p.finishModule();
  return p.m;
}

/** One top-level entity, dispatched on its first token. */
function parseTopLevel(p: ParserState): void {
  switch (p.tk()) {
    case Tok.Keyword: {
      const w = p.lx.text;
      switch (w) {
        case 'source_filename':
          p.next();
          p.expect(Tok.Equal, "'='");
          p.m.sourceFilename = p.string();
          return;
        case 'target':
          p.next();
          if (p.eatKw('datalayout')) {
            p.expect(Tok.Equal, "'='");
            p.m.dataLayout = p.string();
            return;
          }
          if (p.eatKw('triple')) {
            p.expect(Tok.Equal, "'='");
            p.m.targetTriple = p.string();
            return;
          }
          return p.error("'datalayout' or 'triple'");
        case 'module':
          p.next();
          p.expectKw('asm');
          {
            const s = p.string();
            p.m.moduleAsm = p.m.moduleAsm ? `${p.m.moduleAsm}\n${s}` : s;
          }
          return;
        case 'deplibs':
          p.next();
          p.expect(Tok.Equal, "'='");
          p.expect(Tok.LSquare, "'['");
          if (!p.eat(Tok.RSquare)) {
            do p.string();
            while (p.eat(Tok.Comma));
            p.expect(Tok.RSquare, "']'");
          }
          return;
        case 'attributes':
          return parseAttributeGroup(p);
        case 'define':
          return parseFunction(p, true);
        case 'declare':
          return parseFunction(p, false);
        case 'uselistorder':
        case 'uselistorder_bb':
          return p.skipUseListOrder();
        default:
          return p.error('a top-level entity');
      }
    }
    case Tok.LocalVar:
    case Tok.LocalVarId:
      return parseTypeDef(p);
    case Tok.GlobalVar:
    case Tok.GlobalId:
      return parseGlobalEntity(p);
    case Tok.ComdatVar:
      return parseComdat(p);
    case Tok.MetadataVar:
      return parseNamedMetadata(p);
    case Tok.Exclaim:
      return parseNumberedMetadata(p);
    case Tok.SummaryId:
      return p.error('a top-level entity (module summary entries are not supported)');
    default:
      return p.error('a top-level entity');
  }
}

/** `$name = comdat <selection kind>`. */
function parseComdat(p: ParserState): void {
  const name = p.lx.text;
  p.next();
  p.expect(Tok.Equal, "'='");
  p.expectKw('comdat');
  const sel = p.keyword('a comdat selection kind');
  if (!COMDAT_KINDS.has(sel)) {
    p.errorAt(p.lx.start, 'a comdat selection kind', JSON.stringify(sel));
  }
  p.m.comdats.set(name, new Comdat(name, sel as Comdat['selection']));
}

/** `attributes #N = { … }`. */
function parseAttributeGroup(p: ParserState): void {
  p.next();
  if (p.tk() !== Tok.AttrGrpId) p.error('an attribute group id');
  const id = p.lx.num;
  p.next();
  p.expect(Tok.Equal, "'='");
  p.expect(Tok.LBrace, "'{'");
  const attrs: Attribute[] = [];
  while (p.tk() !== Tok.RBrace) {
    if (!parseOneAttribute(p, attrs, true)) p.error('an attribute');
  }
  p.next();
  p.m.attributeGroups.set(id, new AttributeGroup(id, attrs));
}

/** `!name = !{…}`. */
function parseNamedMetadata(p: ParserState): void {
  const name = p.lx.text;
  p.next();
  p.expect(Tok.Equal, "'='");
  p.expect(Tok.Exclaim, "'!'");
  p.expect(Tok.LBrace, "'{'");
  // a second definition of the same name appends to the first, as in LLVM
  let node = p.m.namedMetadata.get(name);
  if (!node) {
    node = new NamedMetadata(name, []);
    p.m.namedMetadata.set(name, node);
  }
  const ops = node.operands;
  if (p.tk() !== Tok.RBrace) {
    do {
      const md = parseMetadata(p, false);
      ops.push(md);
      p.mdFixIfForward(ops as unknown as Holder, ops.length - 1, md);
    } while (p.eat(Tok.Comma));
  }
  p.expect(Tok.RBrace, "'}'");
}

/** `!N = [distinct] !{…}` or `!N = [distinct] !DIName(…)`. */
function parseNumberedMetadata(p: ParserState): void {
  const at = p.lx.start;
  p.next();
  const id = p.uint('a metadata number');
  p.expect(Tok.Equal, "'='");
  let distinct = false;
  if (p.eatKw('distinct')) distinct = true;
  let md: Metadata;
  if (p.tk() === Tok.MetadataVar) md = parseSpecializedNode(p, distinct);
  else {
    p.expect(Tok.Exclaim, "'!'");
    if (p.tk() !== Tok.LBrace) p.error("'{' or a specialized node");
    md = parseMDTuple(p, distinct);
  }
  if (id > 0x7fffffff) p.errorAt(at, 'a metadata number below 2^31', `!${id}`);
  if (p.mdById[id]) p.errorAt(at, 'a new metadata number', `redefinition of !${id}`);
  p.mdById[id] = md;
}
