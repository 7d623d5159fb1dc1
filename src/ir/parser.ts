// The recursive-descent reader of textual LLVM IR (as LLParser in LLVM):
// top-level entities, types, constants, function bodies, instructions, debug
// records and metadata. Forward references (values, globals, metadata) are
// left as placeholders and patched when their definition is read; anything
// still undefined at the end is a ParseError at its first use.
import {
  type Attribute, AttributeGroup, ENUM_ATTRIBUTES, INT_ATTRIBUTES, TYPE_ATTRIBUTES,
} from './attributes.js';
import { DIExpression, diNodeClasses, type DILocation, type DINode } from './debuginfo.js';
import { ParseError } from './errors.js';
import * as I from './instructions.js';
import { bytesToText, Lexer, Tok } from './lexer.js';
import {
  DIArgList, type FieldValue, MDString, MDTuple, type Metadata, NamedMetadata, UnknownSpecializedNode,
  ValueAsMetadata,
} from './metadata.js';
import { Module } from './module.js';
import {
  type FunctionType, type PointerType, type Type, type FloatKind, TypeContext, typeToString,
} from './types.js';
import {
  Argument, BasicBlock, BlockAddress, Comdat, type Constant, ConstantAggregateZero, ConstantArray,
  ConstantDataArray, ConstantExpr, ConstantFP, ConstantInt, ConstantPointerNull, ConstantStruct,
  ConstantTokenNone, ConstantVector, DSOLocalEquivalent, Function, GlobalAlias, GlobalIFunc,
  type GlobalValue, GlobalVariable, InlineAsm, type Linkage, MetadataAsValue, NoCFIValue, PoisonValue,
  UndefValue, type Value,
} from './values.js';

/** Options of {@link parseModule}. */
export interface ParseOptions {
  /** Name used in error messages and kept as `Module.filename`. */
  filename?: string;
}

/** How deep types, constants and metadata may nest before the reader refuses (stack safety). */
export const MAX_NESTING = 200;

/** A use of a value or metadata node not defined yet. */
class ForwardRef {
  readonly kind = 'forward' as const;
  constructor(
    readonly name: string,
    readonly numbered: boolean,
    readonly type: Type | undefined,
    readonly offset: number,
  ) {}
}

type Holder = Record<string | number, unknown>;

/** Placeholder for a metadata node used before its definition; see `mdRef`. */
const MD_PENDING = new ForwardRef('!pending', true, undefined, 0);

const LINKAGES = new Set<string>([
  'private', 'internal', 'available_externally', 'linkonce', 'weak', 'common', 'appending',
  'extern_weak', 'linkonce_odr', 'weak_odr', 'external',
]);
const CALLING_CONVS = new Set<string>([
  'ccc', 'fastcc', 'coldcc', 'cfguard_checkcc', 'x86_stdcallcc', 'x86_fastcallcc', 'x86_thiscallcc',
  'x86_vectorcallcc', 'arm_apcscc', 'arm_aapcscc', 'arm_aapcs_vfpcc', 'aarch64_vector_pcs',
  'aarch64_sve_vector_pcs', 'aarch64_sme_preservemost_from_x0', 'aarch64_sme_preservemost_from_x1',
  'aarch64_sme_preservemost_from_x2', 'msp430_intrcc', 'avr_intrcc', 'avr_signalcc', 'ptx_kernel',
  'ptx_device', 'spir_kernel', 'spir_func', 'intel_ocl_bicc', 'x86_64_sysvcc', 'win64cc',
  'anyregcc', 'preserve_mostcc', 'preserve_allcc', 'preserve_nonecc', 'ghccc', 'swiftcc',
  'swifttailcc', 'x86_intrcc', 'hhvmcc', 'hhvm_ccc', 'cxx_fast_tlscc', 'amdgpu_vs', 'amdgpu_ls',
  'amdgpu_hs', 'amdgpu_es', 'amdgpu_gs', 'amdgpu_ps', 'amdgpu_cs', 'amdgpu_cs_chain',
  'amdgpu_cs_chain_preserve', 'amdgpu_kernel', 'amdgpu_gfx', 'tailcc', 'm68k_rtdcc', 'graalcc',
  'riscv_vector_cc', 'm68k_intrcc', 'x86_regcallcc', 'webkit_jscc',
]);
const FAST_MATH = new Set(['fast', 'nnan', 'ninf', 'nsz', 'arcp', 'contract', 'reassoc', 'afn']);
const ORDERINGS = new Set(['unordered', 'monotonic', 'acquire', 'release', 'acq_rel', 'seq_cst']);
const BINARY_OPS = new Set<string>([
  'add', 'fadd', 'sub', 'fsub', 'mul', 'fmul', 'udiv', 'sdiv', 'fdiv', 'urem', 'srem', 'frem',
  'shl', 'lshr', 'ashr', 'and', 'or', 'xor',
]);
const CAST_OPS = new Set<string>([
  'trunc', 'zext', 'sext', 'fptrunc', 'fpext', 'fptoui', 'fptosi', 'uitofp', 'sitofp', 'ptrtoint',
  'inttoptr', 'bitcast', 'addrspacecast',
]);
const ICMP_PREDS = new Set(['eq', 'ne', 'ugt', 'uge', 'ult', 'ule', 'sgt', 'sge', 'slt', 'sle']);
const FCMP_PREDS = new Set([
  'false', 'oeq', 'ogt', 'oge', 'olt', 'ole', 'one', 'ord', 'ueq', 'ugt', 'uge', 'ult', 'ule', 'une',
  'uno', 'true',
]);
const FLOAT_KINDS = new Set<string>(['half', 'bfloat', 'float', 'double', 'x86_fp80', 'fp128', 'ppc_fp128']);
const TERMINATORS = new Set<string>([
  'ret', 'br', 'switch', 'indirectbr', 'invoke', 'resume', 'unreachable', 'cleanupret', 'catchret',
  'catchswitch', 'callbr',
]);

/**
 * Reads one module of textual LLVM IR.
 *
 * Accepts clang 14–19 output: typed and opaque pointers, debug records and
 * `llvm.dbg.*` calls, and every instruction of LangRef.
 *
 * @param source - The IR text, as a string or the file's bytes.
 * @param options - `filename` for error messages.
 * @returns The module.
 * @throws {@link ParseError} for any input that is not valid IR; never any other error.
 */
export function parseModule(source: string | Uint8Array, options: ParseOptions = {}): Module {
  const text = typeof source === 'string'
    ? (/[^\x00-\xff]/.test(source) ? Buffer.from(source, 'utf8').toString('latin1') : source)
    : Buffer.from(source.buffer, source.byteOffset, source.byteLength).toString('latin1');
  const p = new Parser(text, options.filename ?? '<input>');
  try {
    return p.run();
  } catch (e) {
    if (e instanceof ParseError) throw e;
    if (e instanceof RangeError) {
      // a stack overflow on pathological nesting the depth guard did not catch
      p.lx.fail(p.lx.start, 'less deeply nested input', p.lx.tokenText());
    }
    throw e;
  }
}

class Parser {
  readonly lx: Lexer;
  readonly types = new TypeContext();
  readonly m: Module;
  private depth = 0;
  // globals
  private readonly globalFwd: [Holder, string | number, ForwardRef][] = [];
  private readonly numberedGlobals = new Map<number, GlobalValue>();
  // metadata
  private readonly mdById: (Metadata | undefined)[];
  private pendingMdId = -1;
  private pendingMdAt = 0;
  private readonly mdFixHolder: Holder[] = [];
  private readonly mdFixKey: (string | number)[] = [];
  private readonly mdFixId: number[] = [];
  private readonly mdFixOffset: number[] = [];
  private readonly blockAddresses: [BlockAddress, number][] = [];
  private readonly definedTypes = new Set<string>();
  private readonly typeUses = new Map<string, number>();
  // function-local state
  private fn: Function | undefined;
  private localByName = new Map<string, Value>();
  private localById = new Map<number, Value>();
  private localFwd: [Holder, string | number, ForwardRef][] = [];
  private blocksByName = new Map<string, BasicBlock>();
  private blocksById = new Map<number, BasicBlock>();
  private definedBlocks = new Set<BasicBlock>();
  private blockRefOffset = new Map<BasicBlock, number>();
  private nextId = 0;

  constructor(text: string, filename: string) {
    this.lx = new Lexer(text, filename);
    this.m = new Module(this.types);
    this.m.filename = filename;
    this.mdById = this.m.metadata;
  }

  // ---------------------------------------------------------------- helpers

  private tk(): Tok { return this.lx.kind; }
  private next(): Tok { return this.lx.next(); }

  private error(expected: string): never {
    return this.lx.fail(this.lx.start, expected, this.lx.tokenText());
  }
  private errorAt(offset: number, expected: string, found: string): never {
    return this.lx.fail(offset, expected, found);
  }
  private expect(kind: Tok, what: string): void {
    if (this.lx.kind !== kind) this.error(what);
    this.lx.next();
  }
  private eat(kind: Tok): boolean {
    if (this.lx.kind === kind) { this.lx.next(); return true; }
    return false;
  }
  private isKw(word: string): boolean {
    return this.lx.kind === Tok.Keyword && this.lx.text === word;
  }
  private eatKw(word: string): boolean {
    if (this.lx.kind === Tok.Keyword && this.lx.text === word) { this.lx.next(); return true; }
    return false;
  }
  private expectKw(word: string): void {
    if (!this.eatKw(word)) this.error(`'${word}'`);
  }
  private keyword(what: string): string {
    if (this.lx.kind !== Tok.Keyword) this.error(what);
    const t = this.lx.text;
    this.lx.next();
    return t;
  }
  private string(what = 'a string'): string {
    if (this.lx.kind !== Tok.String) this.error(what);
    const t = bytesToText(this.lx.text);
    this.lx.next();
    return t;
  }
  private uint(what = 'an unsigned integer'): number {
    if (this.lx.kind !== Tok.Integer) this.error(what);
    const v = this.lx.num;
    if (!(v >= 0) || Object.is(v, -0)) this.error(what);
    this.lx.next();
    return v;
  }
  private enter(): void {
    if (++this.depth > MAX_NESTING) this.error(`nesting of at most ${MAX_NESTING} levels`);
  }
  private leave(): void { this.depth--; }

  /** Type compatibility as the reader enforces it (typed and opaque pointers mix, as LLVM ≥ 15 reads them). */
  private sameType(a: Type, b: Type): boolean {
    if (a === b) return true;
    return a.kind === 'pointer' && b.kind === 'pointer' && a.addrSpace === b.addrSpace &&
      (a.pointee === undefined || b.pointee === undefined);
  }
  private checkType(v: Value | ForwardRef, expected: Type, offset: number, name: string): void {
    const t = v.kind === 'forward' ? v.type : v.type;
    if (t && !this.sameType(t, expected)) {
      this.errorAt(offset, `a value of type ${typeToString(expected)}`, `${name} of type ${typeToString(t)}`);
    }
  }

  // ---------------------------------------------------------------- module

  run(): Module {
    this.next();
    while (this.tk() !== Tok.Eof) this.parseTopLevel();
    this.finishModule();
    return this.m;
  }

  private parseTopLevel(): void {
    switch (this.tk()) {
      case Tok.Keyword: {
        const w = this.lx.text;
        switch (w) {
          case 'source_filename':
            this.next(); this.expect(Tok.Equal, "'='");
            this.m.sourceFilename = this.string();
            return;
          case 'target':
            this.next();
            if (this.eatKw('datalayout')) { this.expect(Tok.Equal, "'='"); this.m.dataLayout = this.string(); return; }
            if (this.eatKw('triple')) { this.expect(Tok.Equal, "'='"); this.m.targetTriple = this.string(); return; }
            return this.error("'datalayout' or 'triple'");
          case 'module':
            this.next(); this.expectKw('asm');
            {
              const s = this.string();
              this.m.moduleAsm = this.m.moduleAsm ? `${this.m.moduleAsm}\n${s}` : s;
            }
            return;
          case 'deplibs':
            this.next(); this.expect(Tok.Equal, "'='"); this.expect(Tok.LSquare, "'['");
            if (!this.eat(Tok.RSquare)) {
              do this.string(); while (this.eat(Tok.Comma));
              this.expect(Tok.RSquare, "']'");
            }
            return;
          case 'attributes': return this.parseAttributeGroup();
          case 'define': return this.parseFunction(true);
          case 'declare': return this.parseFunction(false);
          case 'uselistorder': case 'uselistorder_bb': return this.skipUseListOrder();
          default: return this.error('a top-level entity');
        }
      }
      case Tok.LocalVar: case Tok.LocalVarId: return this.parseTypeDef();
      case Tok.GlobalVar: case Tok.GlobalId: return this.parseGlobalEntity();
      case Tok.ComdatVar: return this.parseComdat();
      case Tok.MetadataVar: return this.parseNamedMetadata();
      case Tok.Exclaim: return this.parseNumberedMetadata();
      case Tok.SummaryId: return this.error('a top-level entity (module summary entries are not supported)');
      default: return this.error('a top-level entity');
    }
  }

  private skipUseListOrder(): void {
    // uselistorder <ty> <value>, { i, j… } | uselistorder_bb @f, %bb, { … } — order of uses only
    this.next();
    for (let guard = 0; this.tk() !== Tok.LBrace; guard++) {
      if (this.tk() === Tok.Eof) this.error("'{'");
      this.next();
    }
    this.next();
    while (this.tk() !== Tok.RBrace) {
      if (this.tk() === Tok.Eof) this.error("'}'");
      this.next();
    }
    this.next();
  }

  private parseTypeDef(): void {
    const numbered = this.tk() === Tok.LocalVarId;
    const name = this.lx.text;
    const at = this.lx.start;
    this.next();
    this.expect(Tok.Equal, "'='");
    this.expectKw('type');
    if (this.definedTypes.has(name)) this.errorAt(at, 'a new type name', `redefinition of type %${name}`);
    this.definedTypes.add(name);
    const st = this.types.namedStruct(name, numbered);
    if (this.eatKw('opaque')) {
      this.m.structTypes.push(st);
      return;
    }
    if (this.tk() === Tok.LBrace || this.tk() === Tok.Less) {
      const packed = this.tk() === Tok.Less;
      if (packed) { this.next(); if (this.tk() !== Tok.LBrace) this.error("'{'"); }
      const elems = this.parseStructBody();
      if (packed) this.expect(Tok.Greater, "'>'");
      st.elements = elems;
      st.packed = packed;
      this.m.structTypes.push(st);
      return;
    }
    // `%T = type <non-struct>`: a type alias (old IR); record nothing as a struct
    const t = this.parseType();
    if (t.kind === 'struct' && t.name !== undefined) this.error('a type body');
    this.definedTypes.delete(name);
    this.types.namedStructs.delete(name);
    this.aliasTypes.set(name, t);
  }
  private readonly aliasTypes = new Map<string, Type>();

  private parseComdat(): void {
    const name = this.lx.text;
    this.next();
    this.expect(Tok.Equal, "'='");
    this.expectKw('comdat');
    const sel = this.keyword('a comdat selection kind');
    if (!['any', 'exactmatch', 'largest', 'nodeduplicate', 'noduplicates', 'samesize'].includes(sel)) {
      this.errorAt(this.lx.start, 'a comdat selection kind', JSON.stringify(sel));
    }
    this.m.comdats.set(name, new Comdat(name, sel as Comdat['selection']));
  }

  private parseAttributeGroup(): void {
    this.next();
    if (this.tk() !== Tok.AttrGrpId) this.error('an attribute group id');
    const id = this.lx.num;
    this.next();
    this.expect(Tok.Equal, "'='");
    this.expect(Tok.LBrace, "'{'");
    const attrs: Attribute[] = [];
    while (this.tk() !== Tok.RBrace) {
      if (!this.parseOneAttribute(attrs, true)) this.error('an attribute');
    }
    this.next();
    this.m.attributeGroups.set(id, new AttributeGroup(id, attrs));
  }

  /** Parses one attribute if the current token starts one. */
  private parseOneAttribute(out: Attribute[], inGroup: boolean): boolean {
    const k = this.tk();
    if (k === Tok.AttrGrpId) { out.push({ kind: 'group', id: this.lx.num }); this.next(); return true; }
    if (k === Tok.String) {
      const key = bytesToText(this.lx.text);
      this.next();
      let value: string | undefined;
      if (this.eat(Tok.Equal)) value = this.string();
      out.push({ kind: 'string', key, value });
      return true;
    }
    if (k !== Tok.Keyword) return false;
    const name = this.lx.text;
    if (!ENUM_ATTRIBUTES.has(name)) return false;
    this.next();
    if (INT_ATTRIBUTES.has(name)) {
      if (this.eat(Tok.LParen)) {
        const v = this.uint();
        this.expect(Tok.RParen, "')'");
        out.push({ kind: 'int', name, value: v });
      } else if (inGroup && this.eat(Tok.Equal)) {
        out.push({ kind: 'int', name, value: this.uint() });
      } else if (name === 'align' || name === 'alignstack') {
        out.push({ kind: 'int', name, value: this.uint() });
      } else {
        this.error("'('");
      }
      return true;
    }
    if (TYPE_ATTRIBUTES.has(name)) {
      if (this.eat(Tok.LParen)) {
        const t = this.parseType();
        this.expect(Tok.RParen, "')'");
        out.push({ kind: 'type', name, type: t });
      } else {
        out.push({ kind: 'type', name, type: undefined });
      }
      return true;
    }
    if (this.tk() === Tok.LParen) {
      out.push({ kind: 'text', name, text: this.rawParens() });
      return true;
    }
    out.push({ kind: 'enum', name });
    return true;
  }

  /** Captures a balanced `( … )` group as written. */
  private rawParens(): string {
    const start = this.lx.start;
    let depth = 0;
    do {
      if (this.tk() === Tok.LParen) depth++;
      else if (this.tk() === Tok.RParen) depth--;
      else if (this.tk() === Tok.Eof) this.error("')'");
      this.next();
    } while (depth > 0);
    return bytesToText(this.lx.src.slice(start + 1, this.lx.prevEnd - 1));
  }

  private parseAttributes(out: Attribute[]): void {
    while (this.parseOneAttribute(out, false)) { /* more */ }
  }

  // ---------------------------------------------------------------- global values

  private parseLinkageEtc(): {
    linkage: Linkage | undefined; dsoLocal: boolean; visibility: GlobalVariable['visibility'];
    dll: GlobalVariable['dllStorage']; threadLocal: string | undefined;
    unnamedAddr: GlobalVariable['unnamedAddr'];
  } {
    let linkage: Linkage | undefined;
    let dsoLocal = false;
    let visibility: GlobalVariable['visibility'] = 'default';
    let dll: GlobalVariable['dllStorage'];
    let threadLocal: string | undefined;
    let unnamedAddr: GlobalVariable['unnamedAddr'];
    for (;;) {
      if (this.tk() !== Tok.Keyword) break;
      const w = this.lx.text;
      if (LINKAGES.has(w)) { linkage = w as Linkage; this.next(); continue; }
      if (w === 'dso_local') { dsoLocal = true; this.next(); continue; }
      if (w === 'dso_preemptable') { this.next(); continue; }
      if (w === 'default' || w === 'hidden' || w === 'protected') { visibility = w; this.next(); continue; }
      if (w === 'dllimport' || w === 'dllexport') { dll = w; this.next(); continue; }
      if (w === 'thread_local') {
        this.next();
        threadLocal = 'generaldynamic';
        if (this.eat(Tok.LParen)) { threadLocal = this.keyword('a TLS model'); this.expect(Tok.RParen, "')'"); }
        continue;
      }
      if (w === 'unnamed_addr' || w === 'local_unnamed_addr') { unnamedAddr = w; this.next(); continue; }
      break;
    }
    return { linkage, dsoLocal, visibility, dll, threadLocal, unnamedAddr };
  }

  private parseGlobalEntity(): void {
    const numbered = this.tk() === Tok.GlobalId;
    const name = this.lx.text;
    const nameAt = this.lx.start;
    this.next();
    this.expect(Tok.Equal, "'='");
    const q = this.parseLinkageEtc();
    let addrSpace = 0;
    if (this.isKw('addrspace')) addrSpace = this.parseAddrSpace();
    let externallyInitialized = false;
    if (this.eatKw('externally_initialized')) externallyInitialized = true;
    if (this.isKw('alias') || this.isKw('ifunc')) {
      const isAlias = this.lx.text === 'alias';
      this.next();
      const valueType = this.parseType();
      this.expect(Tok.Comma, "','");
      const ptrTy = this.parseType();
      const target = this.parseConstant(ptrTy);
      const ptr = ptrTy.kind === 'pointer' ? ptrTy : this.types.pointer(addrSpace);
      const gv = isAlias ? new GlobalAlias(name, ptr, valueType) : new GlobalIFunc(name, ptr, valueType);
      this.applyCommon(gv, q);
      if (gv instanceof GlobalAlias) gv.aliasee = target; else gv.resolver = target;
      this.setHolderMaybeForward(gv as unknown as Holder, isAlias ? 'aliasee' : 'resolver', target);
      while (this.eat(Tok.Comma)) {
        if (this.eatKw('partition')) gv.partition = this.string();
        else if (this.tk() === Tok.MetadataVar) this.parseAttachment(gv.metadata);
        else this.error("'partition' or metadata");
      }
      this.defineGlobal(name, numbered, gv, nameAt);
      (isAlias ? this.m.aliases : this.m.ifuncs).push(gv as GlobalAlias & GlobalIFunc);
      return;
    }
    let isConstant: boolean;
    if (this.eatKw('global')) isConstant = false;
    else if (this.eatKw('constant')) isConstant = true;
    else return this.error("'global', 'constant', 'alias' or 'ifunc'");
    const valueType = this.parseType();
    const ptr = this.pointerTo(valueType, addrSpace);
    const gv = new GlobalVariable(name, ptr, valueType);
    this.applyCommon(gv, q);
    gv.isConstant = isConstant;
    gv.externallyInitialized = externallyInitialized;
    const linkage = q.linkage;
    if (linkage === undefined || (linkage !== 'external' && linkage !== 'extern_weak')) {
      gv.initializer = this.parseConstant(valueType);
      this.setHolderMaybeForward(gv as unknown as Holder, 'initializer', gv.initializer);
    }
    while (this.eat(Tok.Comma)) {
      if (this.tk() === Tok.MetadataVar) { this.parseAttachment(gv.metadata); continue; }
      const w = this.keyword("'section', 'align', 'comdat' or metadata");
      switch (w) {
        case 'section': gv.section = this.string(); break;
        case 'partition': gv.partition = this.string(); break;
        case 'align': gv.align = this.uint(); break;
        case 'code_model': gv.codeModel = this.string(); break;
        case 'comdat': gv.comdat = this.parseComdatRef(name); break;
        case 'no_sanitize_address': case 'no_sanitize_hwaddress': case 'sanitize_memtag':
        case 'sanitize_address_dyninit':
          gv.sanitizer.push(w);
          break;
        default: this.errorAt(this.lx.start, "'section', 'align', 'comdat' or metadata", JSON.stringify(w));
      }
    }
    this.parseAttributes(gv.attributes);
    this.defineGlobal(name, numbered, gv, nameAt);
    this.m.globals.push(gv);
  }

  private parseComdatRef(selfName: string): string {
    if (this.eat(Tok.LParen)) {
      if (this.tk() !== Tok.ComdatVar) this.error('a comdat name');
      const c = this.lx.text;
      this.next();
      this.expect(Tok.RParen, "')'");
      return c;
    }
    return selfName;
  }

  private applyCommon(gv: GlobalValue, q: ReturnType<Parser['parseLinkageEtc']>): void {
    gv.linkage = q.linkage ?? 'external';
    gv.dsoLocal = q.dsoLocal;
    gv.visibility = q.visibility;
    gv.dllStorage = q.dll;
    gv.threadLocal = q.threadLocal;
    gv.unnamedAddr = q.unnamedAddr;
  }

  private pointerTo(t: Type, addrSpace: number): PointerType {
    return this.sawTypedPointer ? this.types.typedPointer(t, addrSpace) : this.types.pointer(addrSpace);
  }
  private sawTypedPointer = false;

  private defineGlobal(name: string, numbered: boolean, gv: GlobalValue, at: number): void {
    if (numbered) {
      const id = Number(name);
      if (this.numberedGlobals.has(id)) this.errorAt(at, 'a new global number', `redefinition of @${name}`);
      this.numberedGlobals.set(id, gv);
    } else if (this.m.symbols.has(name)) {
      this.errorAt(at, 'a new global name', `redefinition of @${name}`);
    }
    this.m.symbols.set(name, gv);
  }

  private parseAddrSpace(): number {
    this.expectKw('addrspace');
    this.expect(Tok.LParen, "'('");
    let n: number;
    if (this.tk() === Tok.String) {
      // named address spaces "A", "G", "P" of the datalayout
      this.next();
      n = 0;
    } else n = this.uint('an address space number');
    this.expect(Tok.RParen, "')'");
    return n;
  }

  // ---------------------------------------------------------------- functions

  private parseFunction(isDefine: boolean): void {
    this.next();
    const md: [string, Metadata | null][] = [];
    if (!isDefine) while (this.tk() === Tok.MetadataVar) this.parseAttachment(md);
    const q = this.parseLinkageEtc();
    let cc: string | undefined;
    if (this.tk() === Tok.Keyword && (CALLING_CONVS.has(this.lx.text) || this.lx.text === 'cc')) cc = this.parseCallingConv();
    const retAttrs: Attribute[] = [];
    this.parseAttributes(retAttrs);
    const retType = this.parseType(true);
    if (this.tk() !== Tok.GlobalVar && this.tk() !== Tok.GlobalId) this.error('a function name');
    const numbered = this.tk() === Tok.GlobalId;
    const name = this.lx.text;
    const nameAt = this.lx.start;
    this.next();
    // arguments
    this.expect(Tok.LParen, "'('");
    const argTypes: Type[] = [];
    const argInfo: { name: string | undefined; numbered: boolean; attrs: Attribute[]; at: number }[] = [];
    let varArg = false;
    if (!this.eat(Tok.RParen)) {
      for (;;) {
        if (this.eat(Tok.DotDotDot)) { varArg = true; break; }
        const at = this.lx.start;
        const t = this.parseType();
        if (t.kind === 'void' || t.kind === 'function' || t.kind === 'label') this.errorAt(at, 'an argument type', typeToString(t));
        const attrs: Attribute[] = [];
        this.parseAttributes(attrs);
        let an: string | undefined;
        let anum = false;
        if (this.tk() === Tok.LocalVar || this.tk() === Tok.LocalVarId) {
          an = this.lx.text; anum = this.tk() === Tok.LocalVarId; this.next();
        }
        argTypes.push(t);
        argInfo.push({ name: an, numbered: anum, attrs, at });
        if (!this.eat(Tok.Comma)) break;
      }
      this.expect(Tok.RParen, "')'");
    }
    const fty = this.types.function(retType, argTypes, varArg);
    let addrSpace = 0;
    let unnamedAddr = q.unnamedAddr;
    const fnAttrs: Attribute[] = [];
    let section: string | undefined, partition: string | undefined, comdat: string | undefined;
    let align: number | undefined, gc: string | undefined;
    let prefix: Constant | undefined, prologue: Constant | undefined, personality: Constant | undefined;
    for (;;) {
      if (this.tk() === Tok.Keyword) {
        const w = this.lx.text;
        if (w === 'unnamed_addr' || w === 'local_unnamed_addr') { unnamedAddr = w; this.next(); continue; }
        if (w === 'addrspace') { addrSpace = this.parseAddrSpace(); continue; }
        if (w === 'section') { this.next(); section = this.string(); continue; }
        if (w === 'partition') { this.next(); partition = this.string(); continue; }
        if (w === 'comdat') { this.next(); comdat = this.parseComdatRef(name); continue; }
        if (w === 'align') { this.next(); align = this.uint(); continue; }
        if (w === 'gc') { this.next(); gc = this.string(); continue; }
        if (w === 'prefix') { this.next(); prefix = this.parseTypeAndConstant(); continue; }
        if (w === 'prologue') { this.next(); prologue = this.parseTypeAndConstant(); continue; }
        if (w === 'personality') { this.next(); personality = this.parseTypeAndConstant(); continue; }
      }
      // a declaration's attachments precede its return type; what follows it is the next entity
      if (isDefine && this.tk() === Tok.MetadataVar) { this.parseAttachment(md); continue; }
      if (this.parseOneAttribute(fnAttrs, false)) continue;
      break;
    }
    const f = new Function(name, this.pointerTo(fty, addrSpace), fty);
    this.applyCommon(f, { ...q, unnamedAddr });
    f.callingConv = cc;
    f.returnAttributes = retAttrs;
    f.attributes = fnAttrs;
    f.section = section; f.partition = partition; f.comdat = comdat; f.align = align; f.gc = gc;
    f.prefix = prefix; f.prologue = prologue; f.personality = personality; f.addrSpace = addrSpace;
    f.metadata = md;
    if (prefix) this.setHolderMaybeForward(f as unknown as Holder, 'prefix', prefix);
    if (prologue) this.setHolderMaybeForward(f as unknown as Holder, 'prologue', prologue);
    if (personality) this.setHolderMaybeForward(f as unknown as Holder, 'personality', personality);
    f.arguments = argInfo.map((a, i) => new Argument(argTypes[i]!, a.name, i, a.attrs, f));
    this.defineGlobal(name, numbered, f, nameAt);
    this.m.functions.push(f);
    if (isDefine) {
      if (this.tk() !== Tok.LBrace) this.error("'{'");
      this.parseFunctionBody(f, argInfo);
    } else if (this.tk() === Tok.LBrace) {
      this.error('no body for a declaration');
    }
  }

  private parseCallingConv(): string {
    const w = this.lx.text;
    this.next();
    if (w === 'cc') return `cc ${this.uint('a calling convention number')}`;
    return w;
  }

  private parseTypeAndConstant(): Constant {
    const t = this.parseType();
    return this.parseConstant(t);
  }

  private parseFunctionBody(
    f: Function,
    argInfo: { name: string | undefined; numbered: boolean; at: number }[],
  ): void {
    this.fn = f;
    this.localByName = new Map();
    this.localById = new Map();
    this.localFwd = [];
    this.blocksByName = new Map();
    this.blocksById = new Map();
    this.definedBlocks = new Set();
    this.blockRefOffset = new Map();
    this.nextId = 0;
    for (let i = 0; i < argInfo.length; i++) {
      const a = argInfo[i]!;
      const arg = f.arguments[i]!;
      if (a.name === undefined) {
        this.localById.set(this.nextId++, arg);
      } else if (a.numbered) {
        const id = Number(a.name);
        if (id !== this.nextId) this.errorAt(a.at, `argument numbered %${this.nextId}`, `%${a.name}`);
        this.localById.set(id, arg);
        this.nextId = id + 1;
      } else {
        if (this.localByName.has(a.name)) this.errorAt(a.at, 'a new argument name', `redefinition of %${a.name}`);
        this.localByName.set(a.name, arg);
      }
    }
    this.next(); // {
    f.isDefinition = true;
    if (this.tk() === Tok.RBrace) this.error('a basic block');
    while (this.tk() !== Tok.RBrace) {
      if (this.tk() === Tok.Eof) this.error("'}'");
      if (this.isKw('uselistorder')) { this.skipUseListOrder(); continue; }
      this.parseBasicBlock(f);
    }
    this.next();
    // resolve forward references
    for (const [holder, key, ref] of this.localFwd) {
      const v = ref.numbered ? this.localById.get(Number(ref.name)) : this.localByName.get(ref.name);
      if (!v) this.errorAt(ref.offset, 'a defined value', `use of undefined value '%${ref.name}'`);
      if (ref.type) this.checkType(v, ref.type, ref.offset, `'%${ref.name}'`);
      holder[key] = v;
    }
    for (const b of this.blocksByName.values()) this.checkBlockDefined(b);
    for (const b of this.blocksById.values()) this.checkBlockDefined(b);
    this.fn = undefined;
  }

  private checkBlockDefined(b: BasicBlock): void {
    if (!this.definedBlocks.has(b)) {
      this.errorAt(this.blockRefOffset.get(b) ?? this.lx.start, 'a defined basic block', `use of undefined label '%${b.name}'`);
    }
  }

  private parseBasicBlock(f: Function): void {
    let bb: BasicBlock;
    const at = this.lx.start;
    if (this.tk() === Tok.LabelStr) {
      bb = this.getBlock(this.lx.text, false, at);
      this.next();
    } else if (this.tk() === Tok.LabelId) {
      const id = this.lx.num;
      if (!Number.isSafeInteger(id)) this.error('a block number');
      if (id < this.nextId) this.errorAt(at, `a label numbered %${this.nextId} or more`, `${id}:`);
      bb = this.getBlock(String(id), true, at);
      this.localById.set(id, bb);
      this.nextId = id + 1;
      this.next();
    } else {
      const id = this.nextId++;
      bb = this.getBlock(String(id), true, at);
      this.localById.set(id, bb);
    }
    if (this.definedBlocks.has(bb)) this.errorAt(at, 'a new block label', `redefinition of label '%${bb.name}'`);
    if (this.blocksByName.get(bb.name) === bb) {
      const prior = this.localByName.get(bb.name);
      if (prior && prior !== bb) this.errorAt(at, 'a new name', `redefinition of '%${bb.name}'`);
      this.localByName.set(bb.name, bb);
    }
    this.definedBlocks.add(bb);
    f.blocks.push(bb);
    let records: I.DebugRecord[] | undefined;
    for (;;) {
      if (this.tk() === Tok.DbgRecord) {
        (records ??= []).push(this.parseDebugRecord());
        continue;
      }
      const inst = this.parseInstruction();
      inst.parent = bb;
      if (records) { inst.debugRecords = records; records = undefined; }
      bb.instructions.push(inst);
      if (TERMINATORS.has(inst.opcode)) break;
      if (this.tk() === Tok.RBrace || this.tk() === Tok.LabelStr || this.tk() === Tok.LabelId || this.tk() === Tok.Eof) {
        this.error('a terminator instruction before the end of the block');
      }
    }
  }

  private getBlock(name: string, numbered: boolean, at: number): BasicBlock {
    const f = this.fn!;
    if (numbered) {
      const id = Number(name);
      let b = this.blocksById.get(id);
      if (!b) {
        b = new BasicBlock(this.types.label, name, f);
        this.blocksById.set(id, b);
        this.blockRefOffset.set(b, at);
      }
      return b;
    }
    let b = this.blocksByName.get(name);
    if (!b) {
      b = new BasicBlock(this.types.label, name, f);
      this.blocksByName.set(name, b);
      this.blockRefOffset.set(b, at);
    }
    return b;
  }

  /** `label %bb`. */
  private parseBlockRef(): BasicBlock {
    if (this.tk() === Tok.Keyword && this.lx.text === 'label') this.next();
    else this.error("'label'");
    return this.parseBareBlockRef();
  }
  private parseBareBlockRef(): BasicBlock {
    const at = this.lx.start;
    if (this.tk() === Tok.LocalVar) {
      const name = this.lx.text;
      this.next();
      const existing = this.localByName.get(name);
      if (existing && existing.kind !== 'block') this.errorAt(at, 'a basic block', `'%${name}' which is not a label`);
      return this.getBlock(name, false, at);
    }
    if (this.tk() === Tok.LocalVarId) {
      const id = this.lx.num;
      this.next();
      const existing = this.localById.get(id);
      if (existing && existing.kind !== 'block') this.errorAt(at, 'a basic block', `'%${id}' which is not a label`);
      return this.getBlock(String(id), true, at);
    }
    return this.error('a basic block label');
  }

  private defineLocal(name: string, numbered: boolean, v: Value, at: number): void {
    if (numbered) {
      const id = Number(name);
      if (id < this.nextId) this.errorAt(at, `a value numbered %${this.nextId} or more`, `%${name}`);
      if (this.localById.has(id)) this.errorAt(at, 'a new value number', `redefinition of %${name}`);
      this.localById.set(id, v);
      this.nextId = id + 1;
    } else {
      if (this.localByName.has(name) || this.blocksByName.has(name)) {
        this.errorAt(at, 'a new value name', `redefinition of '%${name}'`);
      }
      this.localByName.set(name, v);
    }
  }

  // ---------------------------------------------------------------- instructions

  private parseInstruction(): I.Instruction {
    let name: string | undefined;
    let numbered = false;
    const at = this.lx.start;
    if (this.tk() === Tok.LocalVar || this.tk() === Tok.LocalVarId) {
      numbered = this.tk() === Tok.LocalVarId;
      name = this.lx.text;
      this.next();
      this.expect(Tok.Equal, "'='");
    }
    if (this.tk() !== Tok.Keyword) this.error('an instruction opcode');
    const opAt = this.lx.start;
    const op = this.lx.text;
    this.next();
    const r = this.parseInstructionBody(op, opAt);
    const inst = r.inst;
    if (name !== undefined) {
      if (inst.type.kind === 'void') this.errorAt(at, 'no name for an instruction that returns void', `%${name}`);
      inst.name = name;
      this.defineLocal(name, numbered, inst, at);
    } else if (inst.type.kind !== 'void') {
      inst.name = String(this.nextId);
      this.localById.set(this.nextId++, inst);
    }
    // trailing `, !kind !N` attachments
    if (r.ateComma || this.eat(Tok.Comma)) {
      do {
        if (this.tk() !== Tok.MetadataVar) this.error('a metadata attachment');
        this.parseInstAttachment(inst);
      } while (this.eat(Tok.Comma));
    }
    return inst;
  }

  private parseInstAttachment(inst: I.Instruction): void {
    const kind = this.lx.text;
    this.next();
    const md = this.parseMetadata(false);
    if (kind === 'dbg') {
      if (md === null || (md.kind !== 'DILocation' && !(md instanceof ForwardRef))) {
        this.error('a DILocation for !dbg');
      }
      inst.debugLoc = md as DILocation;
      this.mdFixIfForward(inst as unknown as Holder, 'debugLoc', md);
      return;
    }
    const list = (inst.metadata ??= []);
    const pair: [string, Metadata | null] = [kind, md];
    list.push(pair);
    this.mdFixIfForward(pair as unknown as Holder, 1, md);
  }

  private parseAttachment(list: [string, Metadata | null][]): void {
    const kind = this.lx.text;
    this.next();
    const md = this.parseMetadata(false);
    const pair: [string, Metadata | null] = [kind, md];
    list.push(pair);
    this.mdFixIfForward(pair as unknown as Holder, 1, md);
  }

  private parseFastMath(): string[] | undefined {
    let out: string[] | undefined;
    while (this.tk() === Tok.Keyword && FAST_MATH.has(this.lx.text)) {
      (out ??= []).push(this.lx.text);
      this.next();
    }
    return out;
  }

  /** `T v` */
  private parseTypeAndValue(): Value {
    const t = this.parseType();
    return this.parseValue(t);
  }


  /** Registers forward-referenced operands of a freshly built instruction. */
  private track(inst: I.Instruction): void {
    const ops = inst.operands;
    for (let i = 0; i < ops.length; i++) {
      if ((ops[i] as unknown) instanceof ForwardRef) this.noteForward(ops as unknown as Holder, i, ops[i] as unknown as ForwardRef);
    }
  }

  private noteForward(holder: Holder, key: string | number, ref: ForwardRef): void {
    if (ref.name.startsWith('@')) this.globalFwd.push([holder, key, ref]);
    else this.localFwd.push([holder, key, ref]);
  }

  private parseInstructionBody(op: string, opAt: number): { inst: I.Instruction; ateComma: boolean } {
    const T = this.types;
    let ateComma = false;
    let inst: I.Instruction;
    switch (op) {
      case 'ret': {
        const t = this.parseType(true);
        if (t.kind === 'void') inst = new I.ReturnInst(T.void, []);
        else inst = new I.ReturnInst(T.void, [this.parseValue(t)]);
        break;
      }
      case 'br': {
        const t = this.parseType();
        if (t.kind === 'label') {
          inst = new I.BranchInst(T.void, [], [this.parseBareBlockRef()]);
        } else {
          if (t !== T.i1) this.error('i1 branch condition');
          const c = this.parseValue(t);
          this.expect(Tok.Comma, "','");
          const a = this.parseBlockRef();
          this.expect(Tok.Comma, "','");
          const b = this.parseBlockRef();
          inst = new I.BranchInst(T.void, [c], [a, b]);
        }
        break;
      }
      case 'switch': {
        const cond = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        const def = this.parseBlockRef();
        this.expect(Tok.LSquare, "'['");
        const ops: Value[] = [cond];
        const dests: BasicBlock[] = [];
        while (this.tk() !== Tok.RSquare) {
          const t = this.parseType();
          ops.push(this.parseConstant(t));
          this.expect(Tok.Comma, "','");
          dests.push(this.parseBlockRef());
        }
        this.next();
        inst = new I.SwitchInst(T.void, ops, def, dests);
        break;
      }
      case 'indirectbr': {
        const addr = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        this.expect(Tok.LSquare, "'['");
        const dests: BasicBlock[] = [];
        if (this.tk() !== Tok.RSquare) {
          do dests.push(this.parseBlockRef()); while (this.eat(Tok.Comma));
        }
        this.expect(Tok.RSquare, "']'");
        inst = new I.IndirectBrInst(T.void, [addr], dests);
        break;
      }
      case 'unreachable': inst = new I.UnreachableInst(T.void, []); break;
      case 'resume': inst = new I.ResumeInst(T.void, [this.parseTypeAndValue()]); break;
      case 'call': case 'tail': case 'musttail': case 'notail': {
        let tailKind: I.CallInst['tailKind'];
        if (op !== 'call') { tailKind = op as I.CallInst['tailKind']; this.expectKw('call'); }
        const c = this.parseCallCommon('call') as I.CallInst;
        c.tailKind = tailKind;
        inst = c;
        break;
      }
      case 'invoke': {
        const c = this.parseCallCommon('invoke') as I.InvokeInst;
        this.expectKw('to');
        c.normalDest = this.parseBlockRef();
        this.expectKw('unwind');
        c.unwindDest = this.parseBlockRef();
        inst = c;
        break;
      }
      case 'callbr': {
        const c = this.parseCallCommon('callbr') as I.CallBrInst;
        this.expectKw('to');
        c.defaultDest = this.parseBlockRef();
        this.expect(Tok.LSquare, "'['");
        if (this.tk() !== Tok.RSquare) {
          do c.indirectDests.push(this.parseBlockRef()); while (this.eat(Tok.Comma));
        }
        this.expect(Tok.RSquare, "']'");
        inst = c;
        break;
      }
      case 'fneg': {
        const fmf = this.parseFastMath();
        const v = this.parseTypeAndValue();
        if (!isFPOrFPVector(v.type)) this.errorAt(opAt, 'a floating-point operand', typeToString(v.type));
        const u = new I.UnaryOperator(v.type, [v]);
        u.fastMath = fmf;
        inst = u;
        break;
      }
      case 'icmp': case 'fcmp': {
        let samesign = false;
        let fmf: string[] | undefined;
        if (op === 'icmp' && this.eatKw('samesign')) samesign = true;
        if (op === 'fcmp') fmf = this.parseFastMath();
        const pred = this.keyword('a comparison predicate');
        if (!(op === 'icmp' ? ICMP_PREDS : FCMP_PREDS).has(pred)) this.errorAt(this.lx.start, 'a comparison predicate', JSON.stringify(pred));
        const a = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        const b = this.parseValue(a.type);
        const rt = a.type.kind === 'vector' ? T.vector(a.type.length, T.i1, a.type.scalable) : T.i1;
        const c = new I.CmpInst(rt, [a, b], op, pred);
        c.samesign = samesign;
        c.fastMath = fmf;
        inst = c;
        break;
      }
      case 'phi': {
        const fmf = this.parseFastMath();
        const t = this.parseType();
        const vals: Value[] = [];
        const blocks: BasicBlock[] = [];
        do {
          this.expect(Tok.LSquare, "'['");
          vals.push(this.parseValue(t));
          this.expect(Tok.Comma, "','");
          blocks.push(this.parseBareBlockRef());
          this.expect(Tok.RSquare, "']'");
          if (!this.eat(Tok.Comma)) break;
          if (this.tk() === Tok.MetadataVar) { ateComma = true; break; }
        } while (true); // eslint-disable-line no-constant-condition
        const p = new I.PHINode(t, vals, blocks);
        p.fastMath = fmf;
        inst = p;
        break;
      }
      case 'select': {
        const fmf = this.parseFastMath();
        const c = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        const a = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        const b = this.parseTypeAndValue();
        if (!this.sameType(a.type, b.type)) this.errorAt(opAt, 'select operands of one type', `${typeToString(a.type)} and ${typeToString(b.type)}`);
        const s = new I.SelectInst(a.type, [c, a, b]);
        s.fastMath = fmf;
        inst = s;
        break;
      }
      case 'freeze': { const v = this.parseTypeAndValue(); inst = new I.FreezeInst(v.type, [v]); break; }
      case 'va_arg': {
        const v = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        inst = new I.VAArgInst(this.parseType(), [v]);
        break;
      }
      case 'extractelement': {
        const v = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        const i = this.parseTypeAndValue();
        if (v.type.kind !== 'vector') this.errorAt(opAt, 'a vector operand', typeToString(v.type));
        inst = new I.ExtractElementInst(v.type.element, [v, i]);
        break;
      }
      case 'insertelement': {
        const v = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        const e = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        const i = this.parseTypeAndValue();
        inst = new I.InsertElementInst(v.type, [v, e, i]);
        break;
      }
      case 'shufflevector': {
        const a = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        const b = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        const mask = this.parseTypeAndValue();
        if (a.type.kind !== 'vector' || mask.type.kind !== 'vector') this.errorAt(opAt, 'vector operands', typeToString(a.type));
        inst = new I.ShuffleVectorInst(T.vector(mask.type.length, a.type.element, mask.type.scalable), [a, b, mask]);
        break;
      }
      case 'extractvalue': {
        const v = this.parseTypeAndValue();
        const r = this.parseIndexList();
        ateComma = r.ateComma;
        inst = new I.ExtractValueInst(this.aggregateMember(v.type, r.indices, opAt), [v], r.indices);
        break;
      }
      case 'insertvalue': {
        const v = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        const e = this.parseTypeAndValue();
        const r = this.parseIndexList();
        ateComma = r.ateComma;
        this.aggregateMember(v.type, r.indices, opAt);
        inst = new I.InsertValueInst(v.type, [v, e], r.indices);
        break;
      }
      case 'alloca': {
        let inalloca = false, swifterror = false;
        for (;;) {
          if (this.eatKw('inalloca')) inalloca = true;
          else if (this.eatKw('swifterror')) swifterror = true;
          else break;
        }
        const t = this.parseType();
        const ops: Value[] = [];
        let align: number | undefined;
        let as = 0;
        while (this.eat(Tok.Comma)) {
          if (this.tk() === Tok.MetadataVar) { ateComma = true; break; }
          if (this.eatKw('align')) { align = this.uint(); continue; }
          if (this.isKw('addrspace')) { as = this.parseAddrSpace(); continue; }
          if (ops.length) this.error("'align' or 'addrspace'");
          ops.push(this.parseTypeAndValue());
        }
        const a = new I.AllocaInst(this.pointerTo(t, as), ops, t);
        a.align = align; a.addrSpace = as; a.inalloca = inalloca; a.swifterror = swifterror;
        inst = a;
        break;
      }
      case 'load': {
        const atomic = this.eatKw('atomic');
        const vol = this.eatKw('volatile');
        const t = this.parseType();
        this.expect(Tok.Comma, "','");
        const p = this.parseTypeAndValue();
        if (p.type.kind !== 'pointer') this.errorAt(opAt, 'a pointer operand', typeToString(p.type));
        const l = new I.LoadInst(t, [p]);
        l.atomic = atomic; l.volatile = vol;
        if (atomic) { l.syncScope = this.parseSyncScope(); l.ordering = this.parseOrdering(); }
        const r = this.parseOptionalAlign();
        l.align = r.align; ateComma = r.ateComma;
        inst = l;
        break;
      }
      case 'store': {
        const atomic = this.eatKw('atomic');
        const vol = this.eatKw('volatile');
        const v = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        const p = this.parseTypeAndValue();
        if (p.type.kind !== 'pointer') this.errorAt(opAt, 'a pointer operand', typeToString(p.type));
        const s = new I.StoreInst(T.void, [v, p]);
        s.atomic = atomic; s.volatile = vol;
        if (atomic) { s.syncScope = this.parseSyncScope(); s.ordering = this.parseOrdering(); }
        const r = this.parseOptionalAlign();
        s.align = r.align; ateComma = r.ateComma;
        inst = s;
        break;
      }
      case 'fence': {
        const f = new I.FenceInst(T.void, []);
        f.syncScope = this.parseSyncScope();
        f.ordering = this.parseOrdering();
        inst = f;
        break;
      }
      case 'cmpxchg': {
        const weak = this.eatKw('weak');
        const vol = this.eatKw('volatile');
        const p = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        const cmp = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        const nv = this.parseTypeAndValue();
        const x = new I.AtomicCmpXchgInst(T.literalStruct([cmp.type, T.i1], false), [p, cmp, nv]);
        x.weak = weak; x.volatile = vol;
        x.syncScope = this.parseSyncScope();
        x.successOrdering = this.parseOrdering();
        x.failureOrdering = this.parseOrdering();
        const r = this.parseOptionalAlign();
        x.align = r.align; ateComma = r.ateComma;
        inst = x;
        break;
      }
      case 'atomicrmw': {
        const vol = this.eatKw('volatile');
        const operation = this.keyword('an atomicrmw operation');
        const p = this.parseTypeAndValue();
        this.expect(Tok.Comma, "','");
        const v = this.parseTypeAndValue();
        const x = new I.AtomicRMWInst(v.type, [p, v], operation);
        x.volatile = vol;
        x.syncScope = this.parseSyncScope();
        x.ordering = this.parseOrdering();
        const r = this.parseOptionalAlign();
        x.align = r.align; ateComma = r.ateComma;
        inst = x;
        break;
      }
      case 'getelementptr': {
        let inbounds = false, nusw = false, nuw = false;
        let inrange: string | undefined;
        for (;;) {
          if (this.eatKw('inbounds')) inbounds = true;
          else if (this.eatKw('nusw')) nusw = true;
          else if (this.eatKw('nuw')) nuw = true;
          else if (this.isKw('inrange')) { this.next(); inrange = this.rawParens(); }
          else break;
        }
        const srcTy = this.parseType();
        this.expect(Tok.Comma, "','");
        const base = this.parseTypeAndValue();
        const ops: Value[] = [base];
        let vecLen = base.type.kind === 'vector' ? base.type : undefined;
        while (this.eat(Tok.Comma)) {
          if (this.tk() === Tok.MetadataVar) { ateComma = true; break; }
          if (this.eatKw('inrange')) inrange = 'index';
          const idx = this.parseTypeAndValue();
          if (idx.type.kind === 'vector') vecLen ??= idx.type;
          ops.push(idx);
        }
        const baseTy = base.type.kind === 'vector' ? base.type.element : base.type;
        if (baseTy.kind !== 'pointer') this.errorAt(opAt, 'a pointer base', typeToString(base.type));
        let rt: Type;
        if (baseTy.pointee) {
          const resultElem = this.gepResultElement(srcTy, ops.slice(2), opAt);
          rt = T.typedPointer(resultElem, baseTy.addrSpace);
        } else rt = baseTy;
        if (vecLen) rt = T.vector(vecLen.length, rt, vecLen.scalable);
        const g = new I.GetElementPtrInst(rt, ops, srcTy);
        g.inbounds = inbounds; g.nusw = nusw; g.nuw = nuw; g.inrange = inrange;
        inst = g;
        break;
      }
      case 'landingpad': {
        const t = this.parseType();
        const lp = new I.EHInst(t, [], 'landingpad', []);
        if (this.eatKw('cleanup')) lp.cleanup = true;
        while (this.tk() === Tok.Keyword && (this.lx.text === 'catch' || this.lx.text === 'filter')) {
          lp.clauses.push(this.lx.text as 'catch' | 'filter');
          this.next();
          lp.operands.push(this.parseTypeAndValue());
        }
        inst = lp;
        break;
      }
      case 'catchpad': case 'cleanuppad': {
        this.expectKw('within');
        const ops: Value[] = [this.parseEHPadParent()];
        this.expect(Tok.LSquare, "'['");
        if (this.tk() !== Tok.RSquare) { do ops.push(this.parseTypeAndValue()); while (this.eat(Tok.Comma)); }
        this.expect(Tok.RSquare, "']'");
        inst = new I.EHInst(T.token, ops, op, []);
        break;
      }
      case 'catchswitch': {
        this.expectKw('within');
        const parent = this.parseEHPadParent();
        this.expect(Tok.LSquare, "'['");
        const succ: BasicBlock[] = [];
        do succ.push(this.parseBlockRef()); while (this.eat(Tok.Comma));
        this.expect(Tok.RSquare, "']'");
        this.expectKw('unwind');
        if (!this.eatKw('to')) succ.push(this.parseBlockRef()); else this.expectKw('caller');
        inst = new I.EHInst(T.token, [parent], 'catchswitch', succ);
        break;
      }
      case 'catchret': {
        this.expectKw('from');
        const pad = this.parseTypeAndValue();
        this.expectKw('to');
        inst = new I.EHInst(T.void, [pad], 'catchret', [this.parseBlockRef()]);
        break;
      }
      case 'cleanupret': {
        this.expectKw('from');
        const pad = this.parseTypeAndValue();
        this.expectKw('unwind');
        const succ: BasicBlock[] = [];
        if (!this.eatKw('to')) succ.push(this.parseBlockRef()); else this.expectKw('caller');
        inst = new I.EHInst(T.void, [pad], 'cleanupret', succ);
        break;
      }
      default: {
        if (BINARY_OPS.has(op)) {
          let nuw = false, nsw = false, exact = false, disjoint = false;
          for (;;) {
            if (this.eatKw('nuw')) nuw = true;
            else if (this.eatKw('nsw')) nsw = true;
            else if (this.eatKw('exact')) exact = true;
            else if (this.eatKw('disjoint')) disjoint = true;
            else break;
          }
          const fmf = this.parseFastMath();
          const a = this.parseTypeAndValue();
          this.expect(Tok.Comma, "','");
          const b = this.parseValue(a.type);
          const isFloatOp = op.charCodeAt(0) === 102; // f…
          if (isFloatOp ? !isFPOrFPVector(a.type) : !isIntOrIntVector(a.type)) {
            this.errorAt(opAt, `${isFloatOp ? 'floating-point' : 'integer'} operands for '${op}'`, typeToString(a.type));
          }
          const bo = new I.BinaryOperator(a.type, [a, b], op as I.BinaryOpcode);
          bo.nuw = nuw; bo.nsw = nsw; bo.exact = exact; bo.disjoint = disjoint; bo.fastMath = fmf;
          inst = bo;
          break;
        }
        if (CAST_OPS.has(op)) {
          let nneg = false, nuw = false, nsw = false;
          for (;;) {
            if (this.eatKw('nneg')) nneg = true;
            else if (this.eatKw('nuw')) nuw = true;
            else if (this.eatKw('nsw')) nsw = true;
            else break;
          }
          const v = this.parseTypeAndValue();
          this.expectKw('to');
          const to = this.parseType();
          const c = new I.CastInst(to, [v], op as I.CastOpcode);
          c.nneg = nneg; c.nuw = nuw; c.nsw = nsw;
          inst = c;
          break;
        }
        return this.errorAt(opAt, 'an instruction opcode', JSON.stringify(op));
      }
    }
    this.track(inst);
    return { inst, ateComma };
  }

  private parseEHPadParent(): Value {
    if (this.eatKw('none')) return new ConstantTokenNone(this.types.token);
    return this.parseValue(this.types.token);
  }

  private parseSyncScope(): string | undefined {
    if (!this.eatKw('syncscope')) return undefined;
    this.expect(Tok.LParen, "'('");
    const s = this.string('a sync scope name');
    this.expect(Tok.RParen, "')'");
    return s;
  }
  private parseOrdering(): I.AtomicOrdering {
    if (this.tk() !== Tok.Keyword || !ORDERINGS.has(this.lx.text)) this.error('an atomic ordering');
    const o = this.lx.text as I.AtomicOrdering;
    this.next();
    return o;
  }
  private parseOptionalAlign(): { align: number | undefined; ateComma: boolean } {
    let align: number | undefined;
    while (this.eat(Tok.Comma)) {
      if (this.tk() === Tok.MetadataVar) return { align, ateComma: true };
      this.expectKw('align');
      align = this.uint();
    }
    return { align, ateComma: false };
  }
  private parseIndexList(): { indices: number[]; ateComma: boolean } {
    const indices: number[] = [];
    while (this.eat(Tok.Comma)) {
      if (this.tk() === Tok.MetadataVar) {
        if (!indices.length) this.error('an index');
        return { indices, ateComma: true };
      }
      indices.push(this.uint('an index'));
    }
    if (!indices.length) this.error('an index');
    return { indices, ateComma: false };
  }
  private aggregateMember(t: Type, indices: number[], at: number): Type {
    let cur = t;
    for (const i of indices) {
      if (cur.kind === 'struct' && cur.elements && i < cur.elements.length) cur = cur.elements[i]!;
      else if (cur.kind === 'array' && i < cur.length) cur = cur.element;
      else this.errorAt(at, 'a valid aggregate index', `index ${i} into ${typeToString(cur)}`);
    }
    return cur;
  }
  private gepResultElement(srcTy: Type, indices: Value[], at: number): Type {
    let cur = srcTy;
    for (const idx of indices) {
      if (cur.kind === 'struct') {
        const c = idx.kind === 'int' ? Number(idx.value) : NaN;
        if (!cur.elements || !(c >= 0 && c < cur.elements.length)) this.errorAt(at, 'a constant struct index in range', typeToString(cur));
        cur = cur.elements[c]!;
      } else if (cur.kind === 'array' || cur.kind === 'vector') cur = cur.element;
      else this.errorAt(at, 'an index into an aggregate', typeToString(cur));
    }
    return cur;
  }

  /** `call`/`invoke`/`callbr` up to the end of the operand bundles. */
  private parseCallCommon(op: 'call' | 'invoke' | 'callbr'): I.CallBase {
    const T = this.types;
    const fmf = op === 'call' ? this.parseFastMath() : undefined;
    let cc: string | undefined;
    if (this.tk() === Tok.Keyword && (CALLING_CONVS.has(this.lx.text) || this.lx.text === 'cc')) cc = this.parseCallingConv();
    const retAttrs: Attribute[] = [];
    this.parseAttributes(retAttrs);
    let as = 0;
    if (this.isKw('addrspace')) as = this.parseAddrSpace();
    const tyAt = this.lx.start;
    const retOrFnTy = this.parseType(true);
    // callee
    const calleeAt = this.lx.start;
    let callee: Value | undefined;
    let asm: { s: string; c: string; se: boolean; al: boolean; intel: boolean; unw: boolean } | undefined;
    if (this.isKw('asm')) {
      this.next();
      let se = false, al = false, intel = false, unw = false;
      for (;;) {
        if (this.eatKw('sideeffect')) se = true;
        else if (this.eatKw('alignstack')) al = true;
        else if (this.eatKw('inteldialect')) intel = true;
        else if (this.eatKw('unwind')) unw = true;
        else break;
      }
      const s = this.string('the asm string');
      this.expect(Tok.Comma, "','");
      const c = this.string('the asm constraints');
      asm = { s, c, se, al, intel, unw };
    } else {
      callee = undefined;
    }
    const calleeTok = asm ? undefined : this.captureCalleeStart();
    // arguments
    this.expect(Tok.LParen, "'('");
    const args: Value[] = [];
    const argAttrs: Attribute[][] = [];
    if (!this.eat(Tok.RParen)) {
      for (;;) {
        if (this.eat(Tok.DotDotDot)) break;
        const t = this.parseType();
        const attrs: Attribute[] = [];
        this.parseAttributes(attrs);
        let v: Value;
        if (t.kind === 'metadata') v = this.parseMetadataAsValue(t);
        else v = this.parseValue(t);
        args.push(v);
        argAttrs.push(attrs);
        if (!this.eat(Tok.Comma)) break;
      }
      this.expect(Tok.RParen, "')'");
    }
    let fty: FunctionType;
    if (retOrFnTy.kind === 'function') {
      fty = retOrFnTy;
      if (args.length < fty.params.length || (!fty.varArg && args.length !== fty.params.length)) {
        this.errorAt(tyAt, `${fty.params.length} arguments`, `${args.length} arguments`);
      }
      for (let i = 0; i < fty.params.length; i++) {
        if (!this.sameType(args[i]!.type, fty.params[i]!)) {
          this.errorAt(tyAt, `argument ${i} of type ${typeToString(fty.params[i]!)}`, typeToString(args[i]!.type));
        }
      }
    } else {
      fty = T.function(retOrFnTy, args.map((a) => a.type), false);
    }
    if (asm) {
      callee = new InlineAsm(this.pointerTo(fty, as), fty, asm.s, asm.c, asm.se, asm.al, asm.intel, asm.unw);
    } else {
      callee = this.resolveCallee(calleeTok!, this.pointerTo(fty, as), calleeAt);
    }
    const fnAttrs: Attribute[] = [];
    this.parseAttributes(fnAttrs);
    let bundles: { tag: string; inputs: Value[] }[] | undefined;
    if (this.tk() === Tok.LSquare) {
      this.next();
      bundles = [];
      do {
        const tag = this.string('an operand bundle tag');
        this.expect(Tok.LParen, "'('");
        const inputs: Value[] = [];
        if (this.tk() !== Tok.RParen) {
          do inputs.push(this.parseTypeAndValue()); while (this.eat(Tok.Comma));
        }
        this.expect(Tok.RParen, "')'");
        bundles.push({ tag, inputs });
        for (let i = 0; i < inputs.length; i++) {
          if ((inputs[i] as unknown) instanceof ForwardRef) this.noteForward(inputs as unknown as Holder, i, inputs[i] as unknown as ForwardRef);
        }
      } while (this.eat(Tok.Comma));
      this.expect(Tok.RSquare, "']'");
    }
    const rt = fty.returnType;
    const operands = [...args, callee];
    const c = op === 'call' ? new I.CallInst(rt, operands, fty)
      : op === 'invoke' ? new I.InvokeInst(rt, operands, fty)
      : new I.CallBrInst(rt, operands, fty);
    c.callingConv = cc;
    c.returnAttributes = retAttrs;
    c.argAttributes = argAttrs;
    c.functionAttributes = fnAttrs;
    c.bundles = bundles;
    c.fastMath = fmf;
    return c;
  }

  /**
   * The callee is written before the arguments but its type depends on them,
   * so only its token is read here and the value is built afterwards.
   */
  private captureCalleeStart(): { kind: Tok; text: string; num: number; start: number; constant?: () => Value } {
    const kind = this.tk();
    const text = this.lx.text;
    const num = this.lx.num;
    const start = this.lx.start;
    if (kind === Tok.LocalVar || kind === Tok.LocalVarId || kind === Tok.GlobalVar || kind === Tok.GlobalId) {
      this.next();
      return { kind, text, num, start };
    }
    // a constant expression callee (`bitcast (… @f to …)`) carries its own type
    const t = this.sawTypedPointer ? undefined : this.types.pointer(0);
    const v = this.parseValue(t ?? this.types.pointer(0), true);
    return { kind, text, num, start, constant: () => v };
  }

  private resolveCallee(
    tok: { kind: Tok; text: string; num: number; start: number; constant?: () => Value },
    expected: PointerType,
    at: number,
  ): Value {
    if (tok.constant) return tok.constant();
    if (tok.kind === Tok.GlobalVar || tok.kind === Tok.GlobalId) {
      return this.globalRef(tok.text, tok.kind === Tok.GlobalId, expected, at);
    }
    return this.localRef(tok.text, tok.kind === Tok.LocalVarId, expected, at);
  }

  // ---------------------------------------------------------------- debug records

  private parseDebugRecord(): I.DebugRecord {
    const kindText = this.lx.text;
    const at = this.lx.start;
    this.next();
    let kind: I.DebugRecord['kind'];
    switch (kindText) {
      case 'value': case 'declare': case 'assign': case 'label': kind = kindText; break;
      default: return this.errorAt(at, 'a debug record kind (#dbg_value, #dbg_declare, #dbg_assign, #dbg_label)', `#dbg_${kindText}`);
    }
    this.expect(Tok.LParen, "'('");
    const rec: I.DebugRecord = {
      kind, location: undefined, variable: null, expression: undefined, assignId: undefined,
      address: undefined, addressExpression: undefined, debugLoc: null,
    };
    const h = rec as unknown as Holder;
    if (kind === 'label') {
      rec.variable = this.parseMetadata(false);
      this.mdFixIfForward(h, 'variable', rec.variable);
    } else {
      rec.location = this.parseMetadata(true);
      this.mdFixIfForward(h, 'location', rec.location);
      this.expect(Tok.Comma, "','");
      rec.variable = this.parseMetadata(false);
      this.mdFixIfForward(h, 'variable', rec.variable);
      this.expect(Tok.Comma, "','");
      rec.expression = this.parseMetadata(false);
      this.mdFixIfForward(h, 'expression', rec.expression);
      if (kind === 'assign') {
        this.expect(Tok.Comma, "','");
        rec.assignId = this.parseMetadata(false);
        this.mdFixIfForward(h, 'assignId', rec.assignId);
        this.expect(Tok.Comma, "','");
        rec.address = this.parseMetadata(true);
        this.mdFixIfForward(h, 'address', rec.address);
        this.expect(Tok.Comma, "','");
        rec.addressExpression = this.parseMetadata(false);
        this.mdFixIfForward(h, 'addressExpression', rec.addressExpression);
      }
    }
    this.expect(Tok.Comma, "','");
    rec.debugLoc = this.parseMetadata(false);
    this.mdFixIfForward(h, 'debugLoc', rec.debugLoc);
    this.expect(Tok.RParen, "')'");
    return rec;
  }

  // ---------------------------------------------------------------- types

  parseType(allowVoid = false): Type {
    this.enter();
    const at = this.lx.start;
    let t = this.parseBaseType();
    for (;;) {
      if (this.tk() === Tok.Star) {
        if (t.kind === 'void' || t.kind === 'label' || t.kind === 'metadata' || t.kind === 'token') this.error('a pointee type');
        this.next();
        this.sawTypedPointer = true;
        t = this.types.typedPointer(t, 0);
        continue;
      }
      if (this.isKw('addrspace')) {
        const as = this.parseAddrSpace();
        this.expect(Tok.Star, "'*'");
        this.sawTypedPointer = true;
        t = this.types.typedPointer(t, as);
        continue;
      }
      if (this.tk() === Tok.LParen) {
        t = this.parseFunctionTypeTail(t);
        continue;
      }
      break;
    }
    if (t.kind === 'void' && !allowVoid) this.errorAt(at, 'a non-void type', 'void');
    this.leave();
    return t;
  }

  private parseFunctionTypeTail(ret: Type): FunctionType {
    if (ret.kind === 'label' || ret.kind === 'metadata' || ret.kind === 'function') this.error('a valid return type');
    this.next();
    const params: Type[] = [];
    let varArg = false;
    if (!this.eat(Tok.RParen)) {
      for (;;) {
        if (this.eat(Tok.DotDotDot)) { varArg = true; break; }
        const p = this.parseType();
        const ignored: Attribute[] = [];
        this.parseAttributes(ignored);
        if (this.tk() === Tok.LocalVar || this.tk() === Tok.LocalVarId) this.next();
        params.push(p);
        if (!this.eat(Tok.Comma)) break;
      }
      this.expect(Tok.RParen, "')'");
    }
    return this.types.function(ret, params, varArg);
  }

  private parseBaseType(): Type {
    const T = this.types;
    switch (this.tk()) {
      case Tok.IntType: { const n = this.lx.num; this.next(); return T.int(n); }
      case Tok.Keyword: {
        const w = this.lx.text;
        switch (w) {
          case 'void': this.next(); return T.void;
          case 'ptr': {
            this.next();
            if (this.isKw('addrspace')) return T.pointer(this.parseAddrSpace());
            return T.ptr;
          }
          case 'label': this.next(); return T.label;
          case 'metadata': this.next(); return T.metadata;
          case 'token': this.next(); return T.token;
          case 'x86_mmx': this.next(); return T.x86Mmx;
          case 'x86_amx': this.next(); return T.x86Amx;
          case 'target': return this.parseTargetExtType();
          default:
            if (FLOAT_KINDS.has(w)) { this.next(); return T.float(w as FloatKind); }
            return this.error('a type');
        }
      }
      case Tok.LocalVar: case Tok.LocalVarId: {
        const name = this.lx.text;
        const alias = this.aliasTypes.get(name);
        if (alias) { this.next(); return alias; }
        const st = T.namedStruct(name, this.tk() === Tok.LocalVarId);
        if (!this.definedTypes.has(name) && !this.typeUses.has(name)) this.typeUses.set(name, this.lx.start);
        this.next();
        return st;
      }
      case Tok.LBrace: {
        const elems = this.parseStructBody();
        return T.literalStruct(elems, false);
      }
      case Tok.Less: {
        this.next();
        if (this.tk() === Tok.LBrace) {
          const elems = this.parseStructBody();
          this.expect(Tok.Greater, "'>'");
          return T.literalStruct(elems, true);
        }
        let scalable = false;
        if (this.eatKw('vscale')) { this.expectKw('x'); scalable = true; }
        const n = this.uint('a vector length');
        this.expectKw('x');
        const e = this.parseType();
        this.expect(Tok.Greater, "'>'");
        if (n === 0 && !scalable) this.error('a non-zero vector length');
        if (e.kind !== 'int' && e.kind !== 'float' && e.kind !== 'pointer') this.error('a vector element type');
        return T.vector(n, e, scalable);
      }
      case Tok.LSquare: {
        this.next();
        const n = this.uint('an array length');
        this.expectKw('x');
        const e = this.parseType();
        this.expect(Tok.RSquare, "']'");
        if (e.kind === 'function' || e.kind === 'label' || e.kind === 'metadata' || e.kind === 'token') this.error('an array element type');
        return T.array(n, e);
      }
      default:
        return this.error('a type');
    }
  }

  private parseStructBody(): Type[] {
    this.next(); // {
    const elems: Type[] = [];
    if (this.eat(Tok.RBrace)) return elems;
    do {
      const e = this.parseType();
      if (e.kind === 'function' || e.kind === 'label' || e.kind === 'metadata') this.error('a struct element type');
      elems.push(e);
    } while (this.eat(Tok.Comma));
    this.expect(Tok.RBrace, "'}'");
    return elems;
  }

  private parseTargetExtType(): Type {
    this.next();
    this.expect(Tok.LParen, "'('");
    const name = this.string('a target type name');
    const tps: Type[] = [];
    const ips: number[] = [];
    while (this.eat(Tok.Comma)) {
      if (this.tk() === Tok.Integer) ips.push(this.uint());
      else { if (ips.length) this.error('an integer parameter'); tps.push(this.parseType()); }
    }
    this.expect(Tok.RParen, "')'");
    return this.types.targetExt(name, tps, ips);
  }

  // ---------------------------------------------------------------- values and constants

  private localRef(name: string, numbered: boolean, t: Type, at: number): Value {
    if (!this.fn) this.errorAt(at, 'a constant (no local values outside a function)', `%${name}`);
    const v = numbered ? this.localById.get(Number(name)) : this.localByName.get(name);
    if (v) {
      this.checkType(v, t, at, `'%${name}'`);
      return v;
    }
    return new ForwardRef(name, numbered, t, at) as unknown as Value;
  }

  private globalRef(name: string, numbered: boolean, t: Type, at: number): Value {
    const g = numbered ? this.numberedGlobals.get(Number(name)) : this.m.symbols.get(name);
    if (g) {
      this.checkType(g, t, at, `'@${name}'`);
      return g;
    }
    if (t.kind !== 'pointer') this.errorAt(at, `a value of type ${typeToString(t)}`, `global '@${name}' (a pointer)`);
    return new ForwardRef('@' + (numbered ? '#' : '') + name, numbered, t, at) as unknown as Value;
  }

  /** Remembers a fix-up if `v` is a forward reference stored at holder[key]. */
  private setHolderMaybeForward(holder: Holder, key: string | number, v: unknown): void {
    if (v instanceof ForwardRef) this.noteForward(holder, key, v);
  }

  /**
   * A value of type `t`. With `calleeMode`, a constant expression is read with its own type
   * (it is a callee whose type is only known later).
   */
  parseValue(t: Type, calleeMode = false): Value {
    const at = this.lx.start;
    switch (this.tk()) {
      case Tok.LocalVar: case Tok.LocalVarId: {
        const numbered = this.tk() === Tok.LocalVarId;
        const name = this.lx.text;
        this.next();
        const v = this.localRef(name, numbered, t, at);
        return v;
      }
      case Tok.Keyword:
        if (this.lx.text === 'asm') this.error('inline asm only as a callee');
        break;
      default: break;
    }
    const c = this.parseConstant(t, calleeMode);
    return c;
  }

  parseConstant(t: Type, calleeMode = false): Constant {
    this.enter();
    const c = this.parseConstantInner(t, calleeMode);
    this.leave();
    return c;
  }

  private parseConstantInner(t: Type, calleeMode: boolean): Constant {
    const T = this.types;
    const at = this.lx.start;
    switch (this.tk()) {
      case Tok.GlobalVar: case Tok.GlobalId: {
        const numbered = this.tk() === Tok.GlobalId;
        const name = this.lx.text;
        this.next();
        return this.globalRef(name, numbered, t, at) as Constant;
      }
      case Tok.Integer: {
        const num = this.lx.num;
        const text = this.lx.tokenSource();
        this.next();
        if (t.kind !== 'int') {
          if (t.kind === 'float') return new ConstantFP(t, text);
          this.errorAt(at, `a constant of type ${typeToString(t)}`, `integer ${text}`);
        }
        const value = num === num ? BigInt(num) : parseIntLiteral(text);
        if (value === undefined) this.errorAt(at, 'an integer literal', JSON.stringify(text));
        return new ConstantInt(t, value);
      }
      case Tok.Float: {
        const text = this.lx.text;
        this.next();
        if (t.kind !== 'float') this.errorAt(at, `a constant of type ${typeToString(t)}`, `floating-point ${text}`);
        return new ConstantFP(t, text);
      }
      case Tok.LSquare: {
        this.next();
        if (t.kind !== 'array') this.errorAt(at, `a constant of type ${typeToString(t)}`, 'an array constant');
        const elems = this.parseConstantList(Tok.RSquare, t.element);
        if (elems.length !== t.length) this.errorAt(at, `${t.length} array elements`, `${elems.length}`);
        return this.aggregate(new ConstantArray(t, elems));
      }
      case Tok.LBrace: {
        this.next();
        if (t.kind !== 'struct' || !t.elements || t.packed) this.errorAt(at, `a constant of type ${typeToString(t)}`, 'a struct constant');
        const elems = this.parseStructConstantElems(Tok.RBrace, t.elements, at);
        return this.aggregate(new ConstantStruct(t, elems));
      }
      case Tok.Less: {
        this.next();
        if (this.tk() === Tok.LBrace) {
          this.next();
          if (t.kind !== 'struct' || !t.elements || !t.packed) this.errorAt(at, `a constant of type ${typeToString(t)}`, 'a packed struct constant');
          const elems = this.parseStructConstantElems(Tok.RBrace, t.elements, at);
          this.expect(Tok.Greater, "'>'");
          return this.aggregate(new ConstantStruct(t, elems));
        }
        if (t.kind !== 'vector') this.errorAt(at, `a constant of type ${typeToString(t)}`, 'a vector constant');
        const elems = this.parseConstantList(Tok.Greater, t.element);
        if (elems.length !== t.length) this.errorAt(at, `${t.length} vector elements`, `${elems.length}`);
        return this.aggregate(new ConstantVector(t, elems));
      }
      case Tok.Keyword: {
        const w = this.lx.text;
        switch (w) {
          case 'true': case 'false':
            this.next();
            if (t !== T.i1) this.errorAt(at, `a constant of type ${typeToString(t)}`, w);
            return new ConstantInt(t, w === 'true' ? 1n : 0n);
          case 'null':
            this.next();
            if (t.kind !== 'pointer') this.errorAt(at, `a constant of type ${typeToString(t)}`, 'null');
            return new ConstantPointerNull(t);
          case 'undef': this.next(); this.checkFirstClass(t, at, w); return new UndefValue(t);
          case 'poison': this.next(); this.checkFirstClass(t, at, w); return new PoisonValue(t);
          case 'zeroinitializer': this.next(); this.checkFirstClass(t, at, w); return new ConstantAggregateZero(t);
          case 'none':
            this.next();
            if (t.kind !== 'token') this.errorAt(at, `a constant of type ${typeToString(t)}`, 'none');
            return new ConstantTokenNone(t);
          case 'c': {
            this.next();
            if (this.tk() !== Tok.String) this.error('a string after c');
            const bytes = this.lx.text;
            this.next();
            if (t.kind !== 'array' || t.element !== T.i8 || t.length !== bytes.length) {
              this.errorAt(at, `a constant of type ${typeToString(t)}`, `c"…" of ${bytes.length} bytes`);
            }
            return new ConstantDataArray(t, Uint8Array.from(Buffer.from(bytes, 'latin1')));
          }
          case 'blockaddress': {
            this.next();
            this.expect(Tok.LParen, "'('");
            if (this.tk() !== Tok.GlobalVar && this.tk() !== Tok.GlobalId) this.error('a function name');
            const fname = this.lx.text;
            const fAt = this.lx.start;
            const fnum = this.tk() === Tok.GlobalId;
            this.next();
            this.expect(Tok.Comma, "','");
            if (this.tk() !== Tok.LocalVar && this.tk() !== Tok.LocalVarId) this.error('a basic block');
            const bname = this.lx.text;
            this.next();
            this.expect(Tok.RParen, "')'");
            if (t.kind !== 'pointer') this.errorAt(at, `a constant of type ${typeToString(t)}`, 'blockaddress');
            const ba = new BlockAddress(t, undefined as unknown as Function, bname);
            const fref = this.globalRef(fname, fnum, this.anyPointerLike(), fAt);
            (ba as unknown as Holder)['function'] = fref;
            this.setHolderMaybeForward(ba as unknown as Holder, 'function', fref);
            this.blockAddresses.push([ba, fAt]);
            return ba;
          }
          case 'dso_local_equivalent': case 'no_cfi': {
            this.next();
            if (this.tk() !== Tok.GlobalVar && this.tk() !== Tok.GlobalId) this.error('a global name');
            const gname = this.lx.text;
            const gnum = this.tk() === Tok.GlobalId;
            const gAt = this.lx.start;
            this.next();
            const g = this.globalRef(gname, gnum, t, gAt);
            const c = w === 'no_cfi' ? new NoCFIValue(t, g as GlobalValue) : new DSOLocalEquivalent(t, g as GlobalValue);
            this.setHolderMaybeForward(c as unknown as Holder, 'global', g);
            return c;
          }
          case 'splat': {
            this.next();
            this.expect(Tok.LParen, "'('");
            const v = this.parseTypeAndConstantNested();
            this.expect(Tok.RParen, "')'");
            if (t.kind !== 'vector') this.errorAt(at, `a constant of type ${typeToString(t)}`, 'splat');
            return this.aggregate(new ConstantVector(t, new Array(Math.min(t.length, 1 << 16)).fill(v)));
          }
          default:
            return this.parseConstantExpr(w, t, at, calleeMode);
        }
      }
      default:
        return this.error(`a constant of type ${typeToString(t)}`);
    }
  }

  private anyPointerLike(): PointerType {
    return this.types.pointer(0);
  }

  private checkFirstClass(t: Type, at: number, what: string): void {
    if (t.kind === 'void' || t.kind === 'label' || t.kind === 'function' || t.kind === 'metadata') {
      this.errorAt(at, `a constant of type ${typeToString(t)}`, what);
    }
  }

  /** Registers fix-ups for forward references among aggregate elements. */
  private aggregate<C extends ConstantArray | ConstantStruct | ConstantVector>(c: C): C {
    const e = c.elements;
    for (let i = 0; i < e.length; i++) {
      if ((e[i] as unknown) instanceof ForwardRef) this.noteForward(e as unknown as Holder, i, e[i] as unknown as ForwardRef);
    }
    return c;
  }

  private parseConstantList(close: Tok, elemTy: Type): Constant[] {
    const out: Constant[] = [];
    if (this.eat(close)) return out;
    do {
      const at = this.lx.start;
      const t = this.parseType();
      if (!this.sameType(t, elemTy)) this.errorAt(at, `element type ${typeToString(elemTy)}`, typeToString(t));
      out.push(this.parseConstant(t));
    } while (this.eat(Tok.Comma));
    this.expect(close, close === Tok.RSquare ? "']'" : "'>'");
    return out;
  }

  private parseStructConstantElems(close: Tok, types: Type[], at: number): Constant[] {
    const out: Constant[] = [];
    if (this.tk() !== close) {
      do {
        const eAt = this.lx.start;
        const t = this.parseType();
        const want = types[out.length];
        if (!want || !this.sameType(t, want)) this.errorAt(eAt, want ? `element type ${typeToString(want)}` : 'no more struct elements', typeToString(t));
        out.push(this.parseConstant(t));
      } while (this.eat(Tok.Comma));
    }
    this.expect(close, "'}'");
    if (out.length !== types.length) this.errorAt(at, `${types.length} struct elements`, `${out.length}`);
    return out;
  }

  private parseTypeAndConstantNested(): Constant {
    const t = this.parseType();
    return this.parseConstant(t);
  }

  private parseConstantExpr(op: string, t: Type, at: number, calleeMode: boolean): Constant {
    const T = this.types;
    this.next();
    let e: ConstantExpr;
    const flags: string[] = [];
    const check = (rt: Type): void => {
      if (!calleeMode && !this.sameType(rt, t)) this.errorAt(at, `a constant of type ${typeToString(t)}`, `${op} of type ${typeToString(rt)}`);
    };
    if (CAST_OPS.has(op)) {
      while (this.tk() === Tok.Keyword && (this.lx.text === 'nuw' || this.lx.text === 'nsw' || this.lx.text === 'nneg')) { flags.push(this.lx.text); this.next(); }
      this.expect(Tok.LParen, "'('");
      const v = this.parseTypeAndConstantNested();
      this.expectKw('to');
      const to = this.parseType();
      this.expect(Tok.RParen, "')'");
      check(to);
      e = new ConstantExpr(to, op, [v]);
    } else if (op === 'getelementptr') {
      let inrangeIdx = false;
      for (;;) {
        if (this.tk() === Tok.Keyword && (this.lx.text === 'inbounds' || this.lx.text === 'nusw' || this.lx.text === 'nuw')) { flags.push(this.lx.text); this.next(); }
        else if (this.isKw('inrange')) { this.next(); flags.push(`inrange(${this.rawParens()})`); }
        else break;
      }
      this.expect(Tok.LParen, "'('");
      const src = this.parseType();
      this.expect(Tok.Comma, "','");
      const ops: Constant[] = [];
      do {
        if (this.eatKw('inrange')) inrangeIdx = true;
        ops.push(this.parseTypeAndConstantNested());
      } while (this.eat(Tok.Comma));
      this.expect(Tok.RParen, "')'");
      if (inrangeIdx) flags.push('inrange');
      const base = ops[0]!.type;
      const baseTy = base.kind === 'vector' ? base.element : base;
      if (baseTy.kind !== 'pointer') this.errorAt(at, 'a pointer base', typeToString(base));
      let rt: Type = baseTy;
      if (baseTy.pointee) rt = T.typedPointer(this.gepResultElement(src, ops.slice(2), at), baseTy.addrSpace);
      const vec = ops.find((o) => o.type.kind === 'vector')?.type;
      if (vec && vec.kind === 'vector') rt = T.vector(vec.length, rt, vec.scalable);
      check(rt);
      e = new ConstantExpr(rt, op, ops);
      e.sourceElementType = src;
    } else if (BINARY_OPS.has(op)) {
      while (this.tk() === Tok.Keyword && ['nuw', 'nsw', 'exact', 'disjoint'].includes(this.lx.text)) { flags.push(this.lx.text); this.next(); }
      this.expect(Tok.LParen, "'('");
      const a = this.parseTypeAndConstantNested();
      this.expect(Tok.Comma, "','");
      const b = this.parseTypeAndConstantNested();
      this.expect(Tok.RParen, "')'");
      check(a.type);
      e = new ConstantExpr(a.type, op, [a, b]);
    } else if (op === 'icmp' || op === 'fcmp') {
      const pred = this.keyword('a predicate');
      this.expect(Tok.LParen, "'('");
      const a = this.parseTypeAndConstantNested();
      this.expect(Tok.Comma, "','");
      const b = this.parseTypeAndConstantNested();
      this.expect(Tok.RParen, "')'");
      const rt = a.type.kind === 'vector' ? T.vector(a.type.length, T.i1, a.type.scalable) : T.i1;
      check(rt);
      e = new ConstantExpr(rt, op, [a, b]);
      e.predicate = pred;
    } else if (op === 'select' || op === 'extractelement' || op === 'insertelement' || op === 'shufflevector' || op === 'fneg') {
      this.expect(Tok.LParen, "'('");
      const ops: Constant[] = [];
      do ops.push(this.parseTypeAndConstantNested()); while (this.eat(Tok.Comma));
      this.expect(Tok.RParen, "')'");
      const n = op === 'fneg' ? 1 : op === 'extractelement' ? 2 : 3;
      if (ops.length !== n) this.errorAt(at, `${n} operands`, `${ops.length}`);
      let rt: Type;
      if (op === 'select') rt = ops[1]!.type;
      else if (op === 'extractelement') {
        const v = ops[0]!.type;
        if (v.kind !== 'vector') this.errorAt(at, 'a vector', typeToString(v));
        rt = v.element;
      } else if (op === 'shufflevector') {
        const v = ops[0]!.type, m = ops[2]!.type;
        if (v.kind !== 'vector' || m.kind !== 'vector') this.errorAt(at, 'vectors', typeToString(v));
        rt = T.vector(m.length, v.element, m.scalable);
      } else rt = ops[0]!.type;
      check(rt);
      e = new ConstantExpr(rt, op, ops);
    } else if (op === 'extractvalue' || op === 'insertvalue') {
      this.expect(Tok.LParen, "'('");
      const ops: Constant[] = [this.parseTypeAndConstantNested()];
      if (op === 'insertvalue') { this.expect(Tok.Comma, "','"); ops.push(this.parseTypeAndConstantNested()); }
      const idx: number[] = [];
      while (this.eat(Tok.Comma)) idx.push(this.uint('an index'));
      this.expect(Tok.RParen, "')'");
      const member = this.aggregateMember(ops[0]!.type, idx, at);
      const rt = op === 'extractvalue' ? member : ops[0]!.type;
      check(rt);
      e = new ConstantExpr(rt, op, ops);
      e.indices = idx;
    } else {
      return this.errorAt(at, `a constant of type ${typeToString(t)}`, JSON.stringify(op));
    }
    e.flags = flags;
    const ops = e.operands;
    for (let i = 0; i < ops.length; i++) {
      if ((ops[i] as unknown) instanceof ForwardRef) this.noteForward(ops as unknown as Holder, i, ops[i] as unknown as ForwardRef);
    }
    return e;
  }

  /** A `metadata …` call argument. */
  private parseMetadataAsValue(t: Type): Value {
    const md = this.parseMetadata(true);
    const v = new MetadataAsValue(t, md);
    this.mdFixIfForward(v as unknown as Holder, 'metadata', md);
    return v;
  }

  // ---------------------------------------------------------------- metadata

  private mdRef(id: number, at: number): Metadata {
    const m = this.mdById[id];
    if (m) return m;
    // the caller stores the placeholder and registers it at once (mdFixIfForward);
    // one placeholder at a time, so a second one before the first is registered is a bug
    if (this.pendingMdId !== -1) throw new Error(`internal: metadata placeholder !${this.pendingMdId} not registered`);
    this.pendingMdId = id;
    this.pendingMdAt = at;
    return MD_PENDING as unknown as Metadata;
  }

  private mdFixIfForward(holder: Holder, key: string | number, md: unknown): void {
    if (md === MD_PENDING) {
      if (this.pendingMdId === -1) throw new Error('internal: metadata placeholder registered twice');
      this.mdFixHolder.push(holder);
      this.mdFixKey.push(key);
      this.mdFixId.push(this.pendingMdId);
      this.mdFixOffset.push(this.pendingMdAt);
      this.pendingMdId = -1;
    }
  }

  /**
   * A metadata operand: `!N`, `!{…}`, `!"…"`, `!DINode(…)`, `distinct …`, `null`
   * (in tuples / fields) or, with `allowValue`, a typed value (`ptr %x`) wrapped as metadata.
   */
  private parseMetadata(allowValue: boolean): Metadata | null {
    this.enter();
    const r = this.parseMetadataInner(allowValue);
    this.leave();
    return r;
  }

  private parseMetadataInner(allowValue: boolean): Metadata | null {
    const at = this.lx.start;
    if (this.tk() === Tok.Exclaim) {
      this.next();
      switch (this.tk()) {
        case Tok.Integer: {
          const id = this.uint('a metadata number');
          return this.mdRef(id, at);
        }
        case Tok.String: {
          const s = bytesToText(this.lx.text);
          this.next();
          return new MDString(s);
        }
        case Tok.LBrace: return this.parseMDTuple(false);
        default: return this.error('metadata after !');
      }
    }
    if (this.tk() === Tok.MetadataVar) {
      return this.parseSpecializedNode(false);
    }
    if (this.isKw('distinct')) {
      this.next();
      if (this.tk() === Tok.MetadataVar) return this.parseSpecializedNode(true);
      this.expect(Tok.Exclaim, "'!'");
      if (this.tk() !== Tok.LBrace) this.error("'{'");
      return this.parseMDTuple(true);
    }
    if (allowValue) {
      const t = this.parseType();
      if (t.kind === 'metadata') this.error('a value type');
      const v = this.parseValue(t);
      const vam = new ValueAsMetadata(v);
      if ((v as unknown) instanceof ForwardRef) this.noteForward(vam as unknown as Holder, 'value', v as unknown as ForwardRef);
      return vam;
    }
    return this.error('metadata');
  }

  private parseMDTuple(distinct: boolean): MDTuple {
    this.next(); // {
    const ops: (Metadata | null)[] = [];
    const tuple = new MDTuple(ops, distinct);
    if (this.eat(Tok.RBrace)) return tuple;
    do {
      let md: Metadata | null;
      if (this.eatKw('null')) md = null;
      else md = this.parseMetadata(true);
      ops.push(md);
      this.mdFixIfForward(ops as unknown as Holder, ops.length - 1, md);
    } while (this.eat(Tok.Comma));
    this.expect(Tok.RBrace, "'}'");
    return tuple;
  }

  private parseSpecializedNode(distinct: boolean): Metadata {
    const name = this.lx.text;
    const at = this.lx.start;
    this.next();
    this.expect(Tok.LParen, "'('");
    if (name === 'DIExpression') {
      const e = new DIExpression();
      e.distinct = distinct;
      if (this.tk() !== Tok.RParen) {
        do {
          if (this.tk() === Tok.Keyword) { e.elements.push(this.lx.text); this.next(); }
          else if (this.tk() === Tok.Integer) {
            e.elements.push(this.integerField());
          } else this.error('a DWARF operation or integer');
        } while (this.eat(Tok.Comma));
      }
      this.expect(Tok.RParen, "')'");
      return e;
    }
    if (name === 'DIArgList') {
      const args: ValueAsMetadata[] = [];
      if (this.tk() !== Tok.RParen) {
        do {
          const t = this.parseType();
          const v = this.parseValue(t);
          const vam = new ValueAsMetadata(v);
          if ((v as unknown) instanceof ForwardRef) this.noteForward(vam as unknown as Holder, 'value', v as unknown as ForwardRef);
          args.push(vam);
        } while (this.eat(Tok.Comma));
      }
      this.expect(Tok.RParen, "')'");
      return new DIArgList(args);
    }
    const Ctor = diNodeClasses.get(name);
    const node: DINode | undefined = Ctor ? new Ctor() : undefined;
    const generic = node ? undefined : new Map<string, FieldValue>();
    if (node) node.distinct = distinct;
    // field names seen so far in this node; one reusable list per nesting depth
    const seen = (this.seenFields[this.depth] ??= []);
    seen.length = 0;
    const kinds = node ? fieldKindsOf(node) : undefined;
    if (this.tk() !== Tok.RParen) {
      do {
        if (this.tk() !== Tok.LabelStr) this.error('a field name');
        const field = this.lx.text;
        const fAt = this.lx.start;
        if (seen.includes(field)) this.errorAt(fAt, 'each field once', `field '${field}' again`);
        seen.push(field);
        this.next();
        const v = this.parseFieldValue();
        if (node) this.setField(node, kinds!, field, v, fAt);
        else {
          generic!.set(field, v);
          if (v instanceof ForwardRef) this.mdFixIfForwardMap(generic!, field, v);
        }
      } while (this.eat(Tok.Comma));
    }
    this.expect(Tok.RParen, "')'");
    if (node) {
      if (node.kind === 'DILocation' && node.scope === null) this.errorAt(at, "a 'scope' field in DILocation", 'none');
      return node;
    }
    return new UnknownSpecializedNode(name, generic!, distinct);
  }

  private readonly seenFields: string[][] = [];
  private readonly mapFixups: [Map<string, FieldValue>, string, number, number][] = [];
  private mdFixIfForwardMap(map: Map<string, FieldValue>, key: string, ref: ForwardRef): void {
    if (ref !== MD_PENDING) return;
    if (this.pendingMdId === -1) throw new Error('internal: metadata placeholder registered twice');
    this.mapFixups.push([map, key, this.pendingMdId, this.pendingMdAt]);
    this.pendingMdId = -1;
  }

  /** An integer token as a number, or a bigint beyond 2^53. */
  private integerField(): number | bigint {
    const num = this.lx.num;
    if (num === num) { this.next(); return num; }
    const n = parseIntLiteral(this.lx.tokenSource());
    if (n === undefined) this.error('an integer literal');
    this.next();
    return n >= -(2n ** 53n) && n <= 2n ** 53n ? Number(n) : n;
  }

  private parseFieldValue(): FieldValue {
    switch (this.tk()) {
      case Tok.Integer:
        return this.integerField();
      case Tok.String: {
        const s = bytesToText(this.lx.text);
        this.next();
        return s;
      }
      case Tok.Keyword: {
        const w = this.lx.text;
        if (w === 'null') { this.next(); return null; }
        if (w === 'true') { this.next(); return true; }
        if (w === 'false') { this.next(); return false; }
        if (w === 'distinct') return this.parseMetadata(false);
        if (w === 'ptr') return this.parseMetadata(true);
        this.next();
        if (this.tk() !== Tok.Bar) return w;
        const parts = [w];
        while (this.eat(Tok.Bar)) parts.push(this.keyword('a flag'));
        return parts;
      }
      case Tok.Exclaim: case Tok.MetadataVar:
        return this.parseMetadata(false);
      case Tok.IntType:
        // a constant as metadata: `extraData: i64 32`
        return this.parseMetadata(true);
      default:
        return this.error('a field value');
    }
  }

  /** Stores a parsed field into a typed node, checking it has the kind of value the field takes. */
  private setField(node: DINode, kinds: Map<string, FieldKind>, field: string, v: FieldValue, at: number): void {
    const rec = node as unknown as Record<string, unknown>;
    const kind = kinds.get(field);
    if (kind === undefined) {
      (node.extraFields ??= new Map()).set(field, v);
      if (v instanceof ForwardRef) this.mdFixIfForwardMap(node.extraFields, field, v);
      return;
    }
    if (kind === FieldKind.Number) {
      if (typeof v === 'number') rec[field] = v;
      else if (typeof v === 'bigint') rec[field] = Number(v);
      else this.badField(at, field, v, 'an integer');
    } else if (kind === FieldKind.BigInt) {
      if (typeof v === 'number') rec[field] = BigInt(v);
      else if (typeof v === 'bigint') rec[field] = v;
      else this.badField(at, field, v, 'an integer');
    } else if (kind === FieldKind.Boolean) {
      if (typeof v === 'boolean') rec[field] = v;
      else this.badField(at, field, v, 'true or false');
    } else if (kind === FieldKind.String) {
      if (typeof v === 'string') rec[field] = v;
      else this.badField(at, field, v, field === 'tag' || field === 'encoding' || field === 'emissionKind' ? 'a keyword' : 'a string');
    } else if (kind === FieldKind.Flags) {
      if (typeof v === 'string') rec[field] = [v];
      else if (Array.isArray(v)) rec[field] = v;
      else if (typeof v === 'number' && v === 0) rec[field] = [];
      else this.badField(at, field, v, 'flags');
    } else {
      // metadata or free-form field
      rec[field] = v;
      if (v instanceof ForwardRef) this.mdFixIfForward(rec as Holder, field, v);
    }
  }

  private badField(at: number, field: string, v: FieldValue, what: string): never {
    return this.errorAt(at, `${what} for '${field}'`, describeField(v));
  }

  private parseNamedMetadata(): void {
    const name = this.lx.text;
    this.next();
    this.expect(Tok.Equal, "'='");
    this.expect(Tok.Exclaim, "'!'");
    this.expect(Tok.LBrace, "'{'");
    // a second definition of the same name appends to the first, as in LLVM
    let node = this.m.namedMetadata.get(name);
    if (!node) {
      node = new NamedMetadata(name, []);
      this.m.namedMetadata.set(name, node);
    }
    const ops = node.operands;
    if (this.tk() !== Tok.RBrace) {
      do {
        const md = this.parseMetadata(false);
        ops.push(md);
        this.mdFixIfForward(ops as unknown as Holder, ops.length - 1, md);
      } while (this.eat(Tok.Comma));
    }
    this.expect(Tok.RBrace, "'}'");
  }

  private parseNumberedMetadata(): void {
    const at = this.lx.start;
    this.next();
    const id = this.uint('a metadata number');
    this.expect(Tok.Equal, "'='");
    let distinct = false;
    if (this.eatKw('distinct')) distinct = true;
    let md: Metadata;
    if (this.tk() === Tok.MetadataVar) md = this.parseSpecializedNode(distinct);
    else {
      this.expect(Tok.Exclaim, "'!'");
      if (this.tk() !== Tok.LBrace) this.error("'{' or a specialized node");
      md = this.parseMDTuple(distinct);
    }
    if (id > 0x7fffffff) this.errorAt(at, 'a metadata number below 2^31', `!${id}`);
    if (this.mdById[id]) this.errorAt(at, 'a new metadata number', `redefinition of !${id}`);
    this.mdById[id] = md;
  }

  // ---------------------------------------------------------------- end of module

  private finishModule(): void {
    // metadata forward references
    const H = this.mdFixHolder, K = this.mdFixKey, N = this.mdFixId, O = this.mdFixOffset;
    for (let i = 0; i < H.length; i++) {
      const md = this.mdById[N[i]!];
      if (!md) this.errorAt(O[i]!, 'defined metadata', `use of undefined metadata '!${N[i]}'`);
      H[i]![K[i]!] = md;
    }
    for (const [map, key, id, at] of this.mapFixups) {
      const md = this.mdById[id];
      if (!md) this.errorAt(at, 'defined metadata', `use of undefined metadata '!${id}'`);
      map.set(key, md);
    }
    // !dbg on instructions must be a DILocation once resolved
    for (let i = 0; i < H.length; i++) {
      if (K[i] === 'debugLoc' && (H[i] as { kind?: string }).kind === 'instruction') {
        const v = H[i]!['debugLoc'] as Metadata;
        if (v.kind !== 'DILocation') this.errorAt(O[i]!, 'a DILocation for !dbg', `!${N[i]} (${v.kind})`);
      }
    }
    // global forward references
    for (const [holder, key, ref] of this.globalFwd) {
      const name = ref.name.slice(1);
      const g = name.startsWith('#') ? this.numberedGlobals.get(Number(name.slice(1))) : this.m.symbols.get(name);
      const shown = name.startsWith('#') ? name.slice(1) : name;
      if (!g) this.errorAt(ref.offset, 'a defined global', `use of undefined value '@${shown}'`);
      if (ref.type) this.checkType(g, ref.type, ref.offset, `'@${shown}'`);
      holder[key] = g;
    }
    for (const [ba, at] of this.blockAddresses) {
      const f = ba.function as unknown as Value;
      if (f.kind !== 'function' || !f.isDefinition) this.errorAt(at, 'a defined function in blockaddress', `@${(f as { name?: string }).name ?? '?'}`);
      const b = f.blocks.find((x) => x.name === ba.blockName);
      if (!b) this.errorAt(at, 'a block of that function', `%${ba.blockName}`);
      ba.block = b;
    }
    for (const [name, at] of this.typeUses) {
      if (!this.definedTypes.has(name)) this.errorAt(at, 'a defined type', `use of undefined type '%${name}'`);
    }
  }
}

const enum FieldKind { Number, BigInt, Boolean, String, Flags, Any }
const fieldKindCache = new Map<string, Map<string, FieldKind>>();
/** What kind of value each field of a DI node class takes, read off a fresh instance's defaults. */
function fieldKindsOf(node: DINode): Map<string, FieldKind> {
  let kinds = fieldKindCache.get(node.kind);
  if (kinds) return kinds;
  kinds = new Map();
  const fresh = new (node.constructor as new () => DINode)() as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(fresh)) {
    if (k === 'kind' || k === 'distinct' || k === 'extraFields') continue;
    kinds.set(k, typeof v === 'number' ? FieldKind.Number : typeof v === 'bigint' ? FieldKind.BigInt
      : typeof v === 'boolean' ? FieldKind.Boolean : typeof v === 'string' ? FieldKind.String
      : Array.isArray(v) ? FieldKind.Flags : FieldKind.Any);
  }
  fieldKindCache.set(node.kind, kinds);
  return kinds;
}

function describeField(v: FieldValue): string {
  if (v === null) return 'null';
  if (typeof v === 'object' && !Array.isArray(v)) return `metadata ${(v as { kind: string }).kind}`;
  return JSON.stringify(typeof v === 'bigint' ? String(v) : v);
}

/** An integer literal's value; undefined if it is not one (`s0xZZ`). */
function parseIntLiteral(text: string): bigint | undefined {
  const c = text.charCodeAt(0);
  if (c === 115 || c === 117) {
    // s0x… (signed, two's complement of 4 bits a digit) / u0x… (unsigned) hex
    const hex = text.slice(3);
    if (!/^[0-9a-fA-F]+$/.test(hex)) return undefined;
    const v = BigInt('0x' + hex);
    return c === 115 ? BigInt.asIntN(hex.length * 4, v) : v;
  }
  if (!/^-?[0-9]+$/.test(text)) return undefined;
  return BigInt(text);
}

function isIntOrIntVector(t: Type): boolean {
  return t.kind === 'int' || (t.kind === 'vector' && t.element.kind === 'int');
}
function isFPOrFPVector(t: Type): boolean {
  return t.kind === 'float' || (t.kind === 'vector' && t.element.kind === 'float');
}
