// Owns metadata (LangRef "Metadata"): operands `!N` (possibly forward),
// `!"string"`, `!{…}` tuples, `distinct`, specialized nodes — the DI nodes of
// ../debuginfo.ts typed field by field, DIExpression and DIArgList, any other
// `!Name(field: …)` kept generically —, values as metadata (`ptr %x`),
// attachments (`!dbg !7`, `!tbaa !9`), and the debug records of LLVM 19+
// (LangRef "Debug Records": `#dbg_value(…)`, `#dbg_declare`, `#dbg_assign`,
// `#dbg_label`, and LLVM 22's `#dbg_declare_value`).
import { DIExpression, diNodeClasses, type DILocation, type DINode } from '../debuginfo.js';
import type { DebugRecord, Instruction } from '../instructions.js';
import { bytesToText, Tok } from '../lexer.js';
import { DIArgList, type FieldValue, MDString, MDTuple, type Metadata, UnknownSpecializedNode, ValueAsMetadata } from '../metadata.js';
import type { Type } from '../types.js';
import { MetadataAsValue, type Value } from '../values.js';
import { parseIntLiteral, parseValue } from './constants.js';
import { ForwardRef, type Holder, type ParserState } from './state.js';
import { parseType } from './types.js';

/** `!kind !N` after an instruction; `!dbg` goes to `debugLoc` and must be a DILocation. */
export function parseInstAttachment(p: ParserState, inst: Instruction): void {
  if (p.lx.text !== 'dbg') return parseAttachment(p, (inst.metadata ??= []));
  p.next();
  const md = parseMetadata(p, false);
  if (md === null || (md.kind !== 'DILocation' && !(md instanceof ForwardRef))) {
    p.error('a DILocation for !dbg');
  }
  inst.debugLoc = md as DILocation;
  p.mdFixIfForward(inst as unknown as Holder, 'debugLoc', md);
}

/** `!kind !N` on a global, a function or (through parseInstAttachment) an instruction. */
export function parseAttachment(p: ParserState, list: [string, Metadata | null][]): void {
  const kind = p.lx.text;
  p.next();
  const md = parseMetadata(p, false);
  const pair: [string, Metadata | null] = [kind, md];
  list.push(pair);
  p.mdFixIfForward(pair as unknown as Holder, 1, md);
}

/** A `metadata …` call argument. */
export function parseMetadataAsValue(p: ParserState, t: Type): Value {
  const md = parseMetadata(p, true);
  const v = new MetadataAsValue(t, md);
  p.mdFixIfForward(v as unknown as Holder, 'metadata', md);
  return v;
}

/**
 * `#dbg_value(…)`, `#dbg_declare(…)`, `#dbg_assign(…)`, `#dbg_label(…)`, and
 * LLVM 22's `#dbg_declare_value(…)` (the operands of `#dbg_value`), before an instruction.
 */
export function parseDebugRecord(p: ParserState): DebugRecord {
  const kindText = p.lx.text;
  const at = p.lx.start;
  p.next();
  let kind: DebugRecord['kind'];
  switch (kindText) {
    case 'value':
    case 'declare':
    case 'assign':
    case 'label':
    case 'declare_value':
      kind = kindText;
      break;
    default:
      return p.errorAt(
        at,
        'a debug record kind (#dbg_value, #dbg_declare, #dbg_assign, #dbg_label, #dbg_declare_value)',
        `#dbg_${kindText}`,
      );
  }
  p.expect(Tok.LParen, "'('");
  const rec: DebugRecord = {
    kind,
    location: undefined,
    variable: null,
    expression: undefined,
    assignId: undefined,
    address: undefined,
    addressExpression: undefined,
    debugLoc: null,
  };
  const h = rec as unknown as Holder;
  if (kind === 'label') {
    rec.variable = parseMetadata(p, false);
    p.mdFixIfForward(h, 'variable', rec.variable);
  } else {
    rec.location = parseMetadata(p, true);
    p.mdFixIfForward(h, 'location', rec.location);
    p.expect(Tok.Comma, "','");
    rec.variable = parseMetadata(p, false);
    p.mdFixIfForward(h, 'variable', rec.variable);
    p.expect(Tok.Comma, "','");
    rec.expression = parseMetadata(p, false);
    p.mdFixIfForward(h, 'expression', rec.expression);
    if (kind === 'assign') {
      p.expect(Tok.Comma, "','");
      rec.assignId = parseMetadata(p, false);
      p.mdFixIfForward(h, 'assignId', rec.assignId);
      p.expect(Tok.Comma, "','");
      rec.address = parseMetadata(p, true);
      p.mdFixIfForward(h, 'address', rec.address);
      p.expect(Tok.Comma, "','");
      rec.addressExpression = parseMetadata(p, false);
      p.mdFixIfForward(h, 'addressExpression', rec.addressExpression);
    }
  }
  p.expect(Tok.Comma, "','");
  rec.debugLoc = parseMetadata(p, false);
  p.mdFixIfForward(h, 'debugLoc', rec.debugLoc);
  p.expect(Tok.RParen, "')'");
  return rec;
}

/**
 * A metadata operand: `!N`, `!{…}`, `!"…"`, `!DINode(…)`, `distinct …`, `null`
 * (in tuples / fields) or, with `allowValue`, a typed value (`ptr %x`) wrapped as metadata.
 */
export function parseMetadata(p: ParserState, allowValue: boolean): Metadata | null {
  p.enter();
  const r = parseMetadataInner(p, allowValue);
  p.leave();
  return r;
}

function parseMetadataInner(p: ParserState, allowValue: boolean): Metadata | null {
  const at = p.lx.start;
  if (p.tk() === Tok.Exclaim) {
    p.next();
    switch (p.tk()) {
      case Tok.Integer: {
        const id = p.uint('a metadata number');
        return p.mdRef(id, at);
      }
      case Tok.String: {
        const s = bytesToText(p.lx.text);
        p.next();
        return new MDString(s);
      }
      case Tok.LBrace:
        return parseMDTuple(p, false);
      default:
        return p.error('metadata after !');
    }
  }
  if (p.tk() === Tok.MetadataVar) {
    return parseSpecializedNode(p, false);
  }
  if (p.isKw('distinct')) {
    p.next();
    if (p.tk() === Tok.MetadataVar) return parseSpecializedNode(p, true);
    p.expect(Tok.Exclaim, "'!'");
    if (p.tk() !== Tok.LBrace) p.error("'{'");
    return parseMDTuple(p, true);
  }
  if (allowValue) {
    const t = parseType(p);
    if (t.kind === 'metadata') p.error('a value type');
    return valueAsMetadata(p, parseValue(p, t));
  }
  return p.error('metadata');
}

/** Wraps a value as metadata, registering the wrapper if the value is a forward reference. */
function valueAsMetadata(p: ParserState, v: Value): ValueAsMetadata {
  const vam = new ValueAsMetadata(v);
  p.setHolderMaybeForward(vam as unknown as Holder, 'value', v);
  return vam;
}

/** `!{…}` after the `!`. */
export function parseMDTuple(p: ParserState, distinct: boolean): MDTuple {
  p.next(); // {
  const ops: (Metadata | null)[] = [];
  const tuple = new MDTuple(ops, distinct);
  if (p.eat(Tok.RBrace)) return tuple;
  do {
    let md: Metadata | null;
    if (p.eatKw('null')) md = null;
    else md = parseMetadata(p, true);
    ops.push(md);
    p.mdFixIfForward(ops as unknown as Holder, ops.length - 1, md);
  } while (p.eat(Tok.Comma));
  p.expect(Tok.RBrace, "'}'");
  return tuple;
}

/** `!DIName(field: value, …)`, `!DIExpression(…)`, `!DIArgList(…)` or any other `!Name(…)`. */
export function parseSpecializedNode(p: ParserState, distinct: boolean): Metadata {
  const name = p.lx.text;
  const at = p.lx.start;
  p.next();
  p.expect(Tok.LParen, "'('");
  if (name === 'DIExpression') {
    const e = new DIExpression();
    e.distinct = distinct;
    if (p.tk() !== Tok.RParen) {
      do {
        if (p.tk() === Tok.Keyword) {
          e.elements.push(p.lx.text);
          p.next();
        } else if (p.tk() === Tok.Integer) {
          e.elements.push(integerField(p));
        } else p.error('a DWARF operation or integer');
      } while (p.eat(Tok.Comma));
    }
    p.expect(Tok.RParen, "')'");
    return e;
  }
  if (name === 'DIArgList') {
    const args: ValueAsMetadata[] = [];
    if (p.tk() !== Tok.RParen) {
      do {
        const t = parseType(p);
        args.push(valueAsMetadata(p, parseValue(p, t)));
      } while (p.eat(Tok.Comma));
    }
    p.expect(Tok.RParen, "')'");
    return new DIArgList(args);
  }
  const Ctor = diNodeClasses.get(name);
  const node: DINode | undefined = Ctor ? new Ctor() : undefined;
  const generic = node ? undefined : new Map<string, FieldValue>();
  if (node) node.distinct = distinct;
  // field names seen so far in this node; one reusable list per nesting depth
  const seen = (p.seenFields[p.depth] ??= []);
  seen.length = 0;
  const kinds = node ? fieldKindsOf(node) : undefined;
  if (p.tk() !== Tok.RParen) {
    do {
      if (p.tk() !== Tok.LabelStr) p.error('a field name');
      const field = p.lx.text;
      const fAt = p.lx.start;
      if (seen.includes(field)) p.errorAt(fAt, 'each field once', `field '${field}' again`);
      seen.push(field);
      p.next();
      const v = parseFieldValue(p);
      if (node) setField(p, node, kinds!, field, v, fAt);
      else {
        generic!.set(field, v);
        if (v instanceof ForwardRef) p.mdFixIfForwardMap(generic!, field, v);
      }
    } while (p.eat(Tok.Comma));
  }
  p.expect(Tok.RParen, "')'");
  if (node) {
    if (node.kind === 'DILocation' && node.scope === null) p.errorAt(at, "a 'scope' field in DILocation", 'none');
    return node;
  }
  return new UnknownSpecializedNode(name, generic!, distinct);
}

/** An integer token as a number, or a bigint beyond 2^53. */
function integerField(p: ParserState): number | bigint {
  const num = p.lx.num;
  if (!Number.isNaN(num)) {
    p.next();
    return num;
  }
  const n = parseIntLiteral(p.lx.tokenSource());
  if (n === undefined) p.error('an integer literal');
  p.next();
  return n >= -(2n ** 53n) && n <= 2n ** 53n ? Number(n) : n;
}

function parseFieldValue(p: ParserState): FieldValue {
  switch (p.tk()) {
    case Tok.Integer:
      return integerField(p);
    case Tok.String: {
      const s = bytesToText(p.lx.text);
      p.next();
      return s;
    }
    case Tok.Keyword: {
      const w = p.lx.text;
      if (w === 'null') {
        p.next();
        return null;
      }
      if (w === 'true') {
        p.next();
        return true;
      }
      if (w === 'false') {
        p.next();
        return false;
      }
      if (w === 'distinct') return parseMetadata(p, false);
      if (w === 'ptr') return parseMetadata(p, true);
      p.next();
      if (p.tk() !== Tok.Bar) return w;
      const parts = [w];
      while (p.eat(Tok.Bar)) parts.push(p.keyword('a flag'));
      return parts;
    }
    case Tok.Exclaim:
    case Tok.MetadataVar:
      return parseMetadata(p, false);
    case Tok.IntType:
      // a constant as metadata: `extraData: i64 32`
      return parseMetadata(p, true);
    default:
      return p.error('a field value');
  }
}

/** Stores a parsed field into a typed node, checking it has the kind of value the field takes. */
function setField(p: ParserState, node: DINode, kinds: Map<string, FieldKind>, field: string, v: FieldValue, at: number): void {
  const rec = node as unknown as Record<string, unknown>;
  const kind = kinds.get(field);
  if (kind === undefined) {
    (node.extraFields ??= new Map()).set(field, v);
    if (v instanceof ForwardRef) p.mdFixIfForwardMap(node.extraFields, field, v);
    return;
  }
  if (kind === FieldKind.Number) {
    if (typeof v === 'number') rec[field] = v;
    else if (typeof v === 'bigint') rec[field] = Number(v);
    else badField(p, at, field, v, 'an integer');
  } else if (kind === FieldKind.BigInt) {
    if (typeof v === 'number') rec[field] = BigInt(v);
    else if (typeof v === 'bigint') rec[field] = v;
    else badField(p, at, field, v, 'an integer');
  } else if (kind === FieldKind.Boolean) {
    if (typeof v === 'boolean') rec[field] = v;
    else badField(p, at, field, v, 'true or false');
  } else if (kind === FieldKind.String) {
    if (typeof v === 'string') rec[field] = v;
    else badField(p, at, field, v, field === 'tag' || field === 'encoding' || field === 'emissionKind' ? 'a keyword' : 'a string');
  } else if (kind === FieldKind.Flags) {
    if (typeof v === 'string') rec[field] = [v];
    else if (Array.isArray(v)) rec[field] = v;
    else if (typeof v === 'number' && v === 0) rec[field] = [];
    else badField(p, at, field, v, 'flags');
  } else {
    // metadata or free-form field
    rec[field] = v;
    if (v instanceof ForwardRef) p.mdFixIfForward(rec as Holder, field, v);
  }
}

function badField(p: ParserState, at: number, field: string, v: FieldValue, what: string): never {
  return p.errorAt(at, `${what} for '${field}'`, describeField(v));
}

const enum FieldKind {
  Number,
  BigInt,
  Boolean,
  String,
  Flags,
  Any,
}
const fieldKindCache = new Map<string, Map<string, FieldKind>>();
/** What kind of value each field of a DI node class takes, read off a fresh instance's defaults. */
function fieldKindsOf(node: DINode): Map<string, FieldKind> {
  let kinds = fieldKindCache.get(node.kind);
  if (kinds) return kinds;
  kinds = new Map();
  const fresh = new (node.constructor as new () => DINode)() as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(fresh)) {
    if (k === 'kind' || k === 'distinct' || k === 'extraFields') continue;
    kinds.set(
      k,
      typeof v === 'number'
        ? FieldKind.Number
        : typeof v === 'bigint'
          ? FieldKind.BigInt
          : typeof v === 'boolean'
            ? FieldKind.Boolean
            : typeof v === 'string'
              ? FieldKind.String
              : Array.isArray(v)
                ? FieldKind.Flags
                : FieldKind.Any,
    );
  }
  fieldKindCache.set(node.kind, kinds);
  return kinds;
}

function describeField(v: FieldValue): string {
  if (v === null) return 'null';
  if (typeof v === 'object' && !Array.isArray(v)) return `metadata ${(v as { kind: string }).kind}`;
  return JSON.stringify(typeof v === 'bigint' ? String(v) : v);
}
