// Owns the reader's shared state, which every grammar file of asm/ takes as
// its first argument `p`: the token cursor over the lexer and its error
// helpers, the nesting guard, the symbol tables (globals for the module,
// values and blocks for the function being read), and the forward-reference
// bookkeeping: a use before its definition is left as a placeholder, recorded
// with where it was stored, and patched when the function (locals) or the
// module (globals, metadata, blockaddress) ends. Anything still undefined then
// is a ParseError at its first use, as in LLParser.
//
// It imports no grammar file. The one call that goes back up the grammar
// (a function type's parameter attributes, whose `byval(<ty>)` needs the type
// grammar) goes through `p.grammar`, wired by ../parser.ts.
import type { Attribute } from '../attributes.js';
import type { Instruction } from '../instructions.js';
import { bytesToText, Lexer, Tok } from '../lexer.js';
import type { FieldValue, Metadata } from '../metadata.js';
import { Module } from '../module.js';
import { type PointerType, type Type, TypeContext, typeToString } from '../types.js';
import { BasicBlock, type BlockAddress, type Function, type GlobalValue, type Value } from '../values.js';

/** How deep types, constants and metadata may nest before the reader refuses (stack safety). */
export const MAX_NESTING = 200;

/** A use of a value or metadata node not defined yet. */
export class ForwardRef {
  readonly kind = 'forward' as const;
  constructor(
    readonly name: string,
    readonly numbered: boolean,
    readonly type: Type | undefined,
    readonly offset: number,
  ) {}
}

/** Where a forward reference was stored: `holder[key]` is patched once it is defined. */
export type Holder = Record<string | number, unknown>;

/** Placeholder for a metadata node used before its definition; see `mdRef`. */
export const MD_PENDING = new ForwardRef('!pending', true, undefined, 0);

/** Grammar entry points that a lower grammar file needs but cannot import without a cycle. */
export interface GrammarHooks {
  /** Attributes up to the first token that does not start one (asm/attributes.ts). */
  parseAttributes(p: ParserState, out: Attribute[]): void;
}

/** A function argument as the header wrote it, before the body's numbering checks. */
export interface ArgumentInfo {
  name: string | undefined;
  numbered: boolean;
  at: number;
}

export class ParserState {
  readonly lx: Lexer;
  readonly types = new TypeContext();
  readonly m: Module;
  depth = 0;
  /**
   * Set by an instruction whose optional trailing list (`, align 4`, GEP
   * indices, phi pairs…) ate the comma that turned out to start the
   * `, !kind !N` attachments; read and cleared by the instruction line.
   */
  ateAttachmentComma = false;
  /** The module wrote a typed pointer (`i8*`): globals' and functions' pointer types are typed too. */
  sawTypedPointer = false;
  // globals
  private readonly globalFwd: [Holder, string | number, ForwardRef][] = [];
  private readonly numberedGlobals = new Map<number, GlobalValue>();
  readonly blockAddresses: [BlockAddress, number][] = [];
  // types
  readonly definedTypes = new Set<string>();
  readonly typeUses = new Map<string, number>();
  /** `%T = type <non-struct>` of old IR. */
  readonly aliasTypes = new Map<string, Type>();
  // metadata
  readonly mdById: (Metadata | undefined)[];
  private pendingMdId = -1;
  private pendingMdAt = 0;
  private readonly mdFixHolder: Holder[] = [];
  private readonly mdFixKey: (string | number)[] = [];
  private readonly mdFixId: number[] = [];
  private readonly mdFixOffset: number[] = [];
  private readonly mapFixups: [Map<string, FieldValue>, string, number, number][] = [];
  /** Field names seen so far in a specialized node; one reusable list per nesting depth. */
  readonly seenFields: string[][] = [];
  // function-local state
  fn: Function | undefined;
  private localByName = new Map<string, Value>();
  private localById = new Map<number, Value>();
  private localFwd: [Holder, string | number, ForwardRef][] = [];
  private blocksByName = new Map<string, BasicBlock>();
  private blocksById = new Map<number, BasicBlock>();
  private definedBlocks = new Set<BasicBlock>();
  private blockRefOffset = new Map<BasicBlock, number>();
  private nextId = 0;

  constructor(
    text: string,
    filename: string,
    readonly grammar: GrammarHooks,
  ) {
    this.lx = new Lexer(text, filename);
    this.m = new Module(this.types);
    this.m.filename = filename;
    this.mdById = this.m.metadata;
  }

  // ---------------------------------------------------------------- cursor

  tk(): Tok {
    return this.lx.kind;
  }
  next(): Tok {
    return this.lx.next();
  }

  error(expected: string): never {
    return this.lx.fail(this.lx.start, expected, this.lx.tokenText());
  }
  errorAt(offset: number, expected: string, found: string): never {
    return this.lx.fail(offset, expected, found);
  }
  expect(kind: Tok, what: string): void {
    if (this.lx.kind !== kind) this.error(what);
    this.lx.next();
  }
  eat(kind: Tok): boolean {
    if (this.lx.kind === kind) {
      this.lx.next();
      return true;
    }
    return false;
  }
  isKw(word: string): boolean {
    return this.lx.kind === Tok.Keyword && this.lx.text === word;
  }
  eatKw(word: string): boolean {
    if (this.lx.kind === Tok.Keyword && this.lx.text === word) {
      this.lx.next();
      return true;
    }
    return false;
  }
  expectKw(word: string): void {
    if (!this.eatKw(word)) this.error(`'${word}'`);
  }
  keyword(what: string): string {
    if (this.lx.kind !== Tok.Keyword) this.error(what);
    const t = this.lx.text;
    this.lx.next();
    return t;
  }
  string(what = 'a string'): string {
    if (this.lx.kind !== Tok.String) this.error(what);
    const t = bytesToText(this.lx.text);
    this.lx.next();
    return t;
  }
  uint(what = 'an unsigned integer'): number {
    if (this.lx.kind !== Tok.Integer) this.error(what);
    const v = this.lx.num;
    if (!(v >= 0) || Object.is(v, -0)) this.error(what);
    this.lx.next();
    return v;
  }
  enter(): void {
    if (++this.depth > MAX_NESTING) this.error(`nesting of at most ${MAX_NESTING} levels`);
  }
  leave(): void {
    this.depth--;
  }

  /**
   * After a comma in an instruction's optional trailing list: true if what
   * follows is a `!kind` attachment, which the comma belonged to.
   */
  attachmentsFollow(): boolean {
    if (this.lx.kind !== Tok.MetadataVar) return false;
    this.ateAttachmentComma = true;
    return true;
  }

  /** Captures a balanced `( … )` group as written. */
  rawParens(): string {
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

  /**
   * Skips `uselistorder <ty> <value>, { i, j… }` / `uselistorder_bb @f, %bb, { … }`:
   * they only order uses, which the model does not keep.
   */
  skipUseListOrder(): void {
    this.next();
    while (this.tk() !== Tok.LBrace) {
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

  // ---------------------------------------------------------------- types of values

  /** Type compatibility as the reader enforces it (typed and opaque pointers mix, as LLVM ≥ 15 reads them). */
  sameType(a: Type, b: Type): boolean {
    if (a === b) return true;
    return (
      a.kind === 'pointer' && b.kind === 'pointer' && a.addrSpace === b.addrSpace && (a.pointee === undefined || b.pointee === undefined)
    );
  }
  checkType(v: Value | ForwardRef, expected: Type, offset: number, name: string): void {
    const t = v.type;
    if (t && !this.sameType(t, expected)) {
      this.errorAt(offset, `a value of type ${typeToString(expected)}`, `${name} of type ${typeToString(t)}`);
    }
  }
  /** The type of a pointer to `t`: typed in typed-pointer modules, `ptr` otherwise. */
  pointerTo(t: Type, addrSpace: number): PointerType {
    return this.sawTypedPointer ? this.types.typedPointer(t, addrSpace) : this.types.pointer(addrSpace);
  }

  // ---------------------------------------------------------------- globals

  defineGlobal(name: string, numbered: boolean, gv: GlobalValue, at: number): void {
    if (numbered) {
      const id = Number(name);
      if (this.numberedGlobals.has(id)) this.errorAt(at, 'a new global number', `redefinition of @${name}`);
      this.numberedGlobals.set(id, gv);
    } else if (this.m.symbols.has(name)) {
      this.errorAt(at, 'a new global name', `redefinition of @${name}`);
    }
    this.m.symbols.set(name, gv);
  }

  globalRef(name: string, numbered: boolean, t: Type, at: number): Value {
    const g = numbered ? this.numberedGlobals.get(Number(name)) : this.m.symbols.get(name);
    if (g) {
      this.checkType(g, t, at, `'@${name}'`);
      return g;
    }
    if (t.kind !== 'pointer') this.errorAt(at, `a value of type ${typeToString(t)}`, `global '@${name}' (a pointer)`);
    return new ForwardRef(`@${numbered ? '#' : ''}${name}`, numbered, t, at) as unknown as Value;
  }

  // ---------------------------------------------------------------- function-local values and blocks

  /** Starts the body of `f`: a fresh local scope holding its arguments. */
  beginFunction(f: Function, argInfo: ArgumentInfo[]): void {
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
  }

  /** Ends the body: patches forward references to locals and checks every used block was defined. */
  endFunction(): void {
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

  /** Reads a block's label (`name:`, `12:` or none) and defines the block. */
  defineBlock(): BasicBlock {
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
    return bb;
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
  parseBlockRef(): BasicBlock {
    if (this.tk() === Tok.Keyword && this.lx.text === 'label') this.next();
    else this.error("'label'");
    return this.parseBareBlockRef();
  }
  /** `%bb` (phi incoming blocks). */
  parseBareBlockRef(): BasicBlock {
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

  /** Names an instruction's result: `%name =`, `%N =`, or the next number for an unnamed non-void result. */
  defineLocal(name: string, numbered: boolean, v: Value, at: number): void {
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
  /** Gives an unnamed non-void instruction the next number. */
  numberLocal(inst: Instruction): void {
    inst.name = String(this.nextId);
    this.localById.set(this.nextId++, inst);
  }

  localRef(name: string, numbered: boolean, t: Type, at: number): Value {
    if (!this.fn) this.errorAt(at, 'a constant (no local values outside a function)', `%${name}`);
    const v = numbered ? this.localById.get(Number(name)) : this.localByName.get(name);
    if (v) {
      this.checkType(v, t, at, `'%${name}'`);
      return v;
    }
    return new ForwardRef(name, numbered, t, at) as unknown as Value;
  }

  // ---------------------------------------------------------------- forward references to values

  /** Registers forward-referenced operands of a freshly built instruction. */
  track(inst: Instruction): void {
    this.trackList(inst.operands);
  }
  /** Registers the forward references among `values` (operands, aggregate elements, bundle inputs). */
  trackList(values: readonly unknown[]): void {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v instanceof ForwardRef) this.noteForward(values as unknown as Holder, i, v);
    }
  }

  noteForward(holder: Holder, key: string | number, ref: ForwardRef): void {
    if (ref.name.startsWith('@')) this.globalFwd.push([holder, key, ref]);
    else this.localFwd.push([holder, key, ref]);
  }

  /** Remembers a fix-up if `v` is a forward reference stored at holder[key]. */
  setHolderMaybeForward(holder: Holder, key: string | number, v: unknown): void {
    if (v instanceof ForwardRef) this.noteForward(holder, key, v);
  }

  // ---------------------------------------------------------------- forward references to metadata

  mdRef(id: number, at: number): Metadata {
    const m = this.mdById[id];
    if (m) return m;
    // the caller stores the placeholder and registers it at once (mdFixIfForward);
    // one placeholder at a time, so a second one before the first is registered is a bug
    if (this.pendingMdId !== -1) throw new Error(`internal: metadata placeholder !${this.pendingMdId} not registered`);
    this.pendingMdId = id;
    this.pendingMdAt = at;
    return MD_PENDING as unknown as Metadata;
  }

  mdFixIfForward(holder: Holder, key: string | number, md: unknown): void {
    if (md === MD_PENDING) {
      if (this.pendingMdId === -1) throw new Error('internal: metadata placeholder registered twice');
      this.mdFixHolder.push(holder);
      this.mdFixKey.push(key);
      this.mdFixId.push(this.pendingMdId);
      this.mdFixOffset.push(this.pendingMdAt);
      this.pendingMdId = -1;
    }
  }

  mdFixIfForwardMap(map: Map<string, FieldValue>, key: string, ref: ForwardRef): void {
    if (ref !== MD_PENDING) return;
    if (this.pendingMdId === -1) throw new Error('internal: metadata placeholder registered twice');
    this.mapFixups.push([map, key, this.pendingMdId, this.pendingMdAt]);
    this.pendingMdId = -1;
  }

  // ---------------------------------------------------------------- end of module

  /** Patches every module-level forward reference; the first one still undefined is the error. */
  finishModule(): void {
    // metadata forward references
    const H = this.mdFixHolder,
      K = this.mdFixKey,
      N = this.mdFixId,
      O = this.mdFixOffset;
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
      if (f.kind !== 'function' || !f.isDefinition)
        this.errorAt(at, 'a defined function in blockaddress', `@${(f as { name?: string }).name ?? '?'}`);
      const b = f.blocks.find((x) => x.name === ba.blockName);
      if (!b) this.errorAt(at, 'a block of that function', `%${ba.blockName}`);
      ba.block = b;
    }
    for (const [name, at] of this.typeUses) {
      if (!this.definedTypes.has(name)) this.errorAt(at, 'a defined type', `use of undefined type '%${name}'`);
    }
  }
}
