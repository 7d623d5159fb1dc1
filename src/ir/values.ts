// Values that are not instructions (LangRef "Global Values", "Constants",
// "Inline Assembler Expressions"): arguments, basic blocks, global variables,
// functions, aliases, ifuncs, comdats, simple / aggregate / expression
// constants, block addresses and inline asm.
import type { Attribute } from './attributes.js';
import type { DILocation } from './debuginfo.js';
import type { Instruction } from './instructions.js';
import type { Metadata } from './metadata.js';
import type { FunctionType, PointerType, Type } from './types.js';

/** Any value an operand can be. Narrow on `kind`. */
export type Value = Argument | BasicBlock | Instruction | GlobalValue | Constant | InlineAsm | MetadataAsValue;

export type GlobalValue = GlobalVariable | Function | GlobalAlias | GlobalIFunc;

export type Constant =
  | ConstantInt
  | ConstantFP
  | ConstantPointerNull
  | UndefValue
  | PoisonValue
  | ConstantAggregateZero
  | ConstantTokenNone
  | ConstantArray
  | ConstantStruct
  | ConstantVector
  | ConstantDataArray
  | ConstantExpr
  | BlockAddress
  | DSOLocalEquivalent
  | NoCFIValue
  | GlobalValue;

/** A metadata operand of a call (`metadata !12`, `metadata i32 %x`), as in `call @llvm.dbg.value`. */
export class MetadataAsValue {
  readonly kind = 'metadata' as const;
  constructor(
    readonly type: Type,
    public metadata: Metadata | null,
  ) {}
}

export class Argument {
  readonly kind = 'argument' as const;
  constructor(
    readonly type: Type,
    readonly name: string | undefined,
    readonly index: number,
    readonly attributes: readonly Attribute[],
    public parent: Function,
  ) {}
}

export class BasicBlock {
  readonly kind = 'block' as const;
  readonly type: Type;
  readonly instructions: Instruction[] = [];
  constructor(
    type: Type,
    /** The label (named or numbered), as written. */
    readonly name: string,
    public parent: Function,
  ) {
    this.type = type;
  }
  /** The last instruction, if the block is complete. */
  get terminator(): Instruction | undefined {
    return this.instructions[this.instructions.length - 1];
  }
}

export type Linkage =
  | 'external'
  | 'private'
  | 'internal'
  | 'available_externally'
  | 'linkonce'
  | 'weak'
  | 'common'
  | 'appending'
  | 'extern_weak'
  | 'linkonce_odr'
  | 'weak_odr';
export type Visibility = 'default' | 'hidden' | 'protected';

/** What global variables, functions, aliases and ifuncs share. */
export interface GlobalValueCommon {
  /** Name without `@`; numbered globals have their number as name. */
  readonly name: string;
  linkage: Linkage;
  /** `dso_local` / `dso_preemptable`. */
  dsoLocal: boolean;
  visibility: Visibility;
  dllStorage: 'dllimport' | 'dllexport' | undefined;
  threadLocal: string | undefined;
  unnamedAddr: 'unnamed_addr' | 'local_unnamed_addr' | undefined;
  partition: string | undefined;
  /** Attached metadata (`!dbg !N`, `!type !N`…), in order. */
  metadata: [string, Metadata | null][];
}

/** The fields every global value has, with LLVM's defaults. */
abstract class GlobalValueBase implements GlobalValueCommon {
  linkage: Linkage = 'external';
  dsoLocal = false;
  visibility: Visibility = 'default';
  dllStorage: 'dllimport' | 'dllexport' | undefined = undefined;
  threadLocal: string | undefined = undefined;
  unnamedAddr: 'unnamed_addr' | 'local_unnamed_addr' | undefined = undefined;
  partition: string | undefined = undefined;
  metadata: [string, Metadata | null][] = [];
  constructor(
    readonly name: string,
    /** The pointer type of the global value itself. */
    readonly type: PointerType,
  ) {}
}

export class GlobalVariable extends GlobalValueBase {
  readonly kind = 'global' as const;
  /** `constant` rather than `global`. */
  isConstant = false;
  externallyInitialized = false;
  /** Undefined for a declaration. */
  initializer: Constant | undefined = undefined;
  section: string | undefined = undefined;
  comdat: string | undefined = undefined;
  align: number | undefined = undefined;
  codeModel: string | undefined = undefined;
  attributes: Attribute[] = [];
  sanitizer: string[] = [];
  constructor(
    name: string,
    type: PointerType,
    /** The type of what it holds. */
    readonly valueType: Type,
  ) {
    super(name, type);
  }
  get isDeclaration(): boolean {
    return this.initializer === undefined;
  }
}

export class Function extends GlobalValueBase {
  readonly kind = 'function' as const;
  callingConv: string | undefined = undefined;
  returnAttributes: Attribute[] = [];
  attributes: Attribute[] = [];
  arguments: Argument[] = [];
  /** Empty for a declaration. */
  blocks: BasicBlock[] = [];
  section: string | undefined = undefined;
  comdat: string | undefined = undefined;
  align: number | undefined = undefined;
  gc: string | undefined = undefined;
  prefix: Constant | undefined = undefined;
  prologue: Constant | undefined = undefined;
  personality: Constant | undefined = undefined;
  addrSpace = 0;
  /** Set once the body has been read (a definition). */
  isDefinition = false;
  constructor(
    name: string,
    type: PointerType,
    readonly functionType: FunctionType,
  ) {
    super(name, type);
  }
  get isDeclaration(): boolean {
    return !this.isDefinition;
  }
  /** LLVM intrinsics are the functions named `llvm.*`. */
  get isIntrinsic(): boolean {
    return this.name.startsWith('llvm.');
  }
  /** The `!dbg` attachment (a DISubprogram), if any. */
  get subprogram(): Metadata | null | undefined {
    for (const [k, v] of this.metadata) if (k === 'dbg') return v;
    return undefined;
  }
}

export class GlobalAlias extends GlobalValueBase {
  readonly kind = 'alias' as const;
  aliasee: Constant | undefined = undefined;
  constructor(
    name: string,
    type: PointerType,
    readonly valueType: Type,
  ) {
    super(name, type);
  }
}

export class GlobalIFunc extends GlobalValueBase {
  readonly kind = 'ifunc' as const;
  resolver: Constant | undefined = undefined;
  constructor(
    name: string,
    type: PointerType,
    readonly valueType: Type,
  ) {
    super(name, type);
  }
}

/** `$name = comdat any`. */
export class Comdat {
  constructor(
    readonly name: string,
    readonly selection: 'any' | 'exactmatch' | 'largest' | 'nodeduplicate' | 'noduplicates' | 'samesize',
  ) {}
}

export class ConstantInt {
  readonly kind = 'int' as const;
  constructor(
    readonly type: Type,
    /** Signed value as written (`true` is 1, `-1` stays negative). */
    readonly value: bigint,
  ) {}
}
export class ConstantFP {
  readonly kind = 'fp' as const;
  constructor(
    readonly type: Type,
    /** As written: `1.000000e+00`, `0x3FF0000000000000`, `0xK…`. */
    readonly text: string,
  ) {}
}
export class ConstantPointerNull {
  readonly kind = 'null' as const;
  constructor(readonly type: Type) {}
}
export class UndefValue {
  readonly kind = 'undef' as const;
  constructor(readonly type: Type) {}
}
export class PoisonValue {
  readonly kind = 'poison' as const;
  constructor(readonly type: Type) {}
}
export class ConstantAggregateZero {
  readonly kind = 'zeroinitializer' as const;
  constructor(readonly type: Type) {}
}
export class ConstantTokenNone {
  readonly kind = 'none' as const;
  constructor(readonly type: Type) {}
}
export class ConstantArray {
  readonly kind = 'array' as const;
  constructor(
    readonly type: Type,
    readonly elements: Constant[],
  ) {}
}
export class ConstantStruct {
  readonly kind = 'struct' as const;
  constructor(
    readonly type: Type,
    readonly elements: Constant[],
  ) {}
}
export class ConstantVector {
  readonly kind = 'vector' as const;
  constructor(
    readonly type: Type,
    readonly elements: Constant[],
  ) {}
}
/** `c"…"`: the raw bytes. */
export class ConstantDataArray {
  readonly kind = 'data' as const;
  constructor(
    readonly type: Type,
    readonly bytes: Uint8Array,
  ) {}
}
/** A constant expression: `getelementptr (…)`, `bitcast (…)`, `ptrtoint (…)`, `add (…)`… */
export class ConstantExpr {
  readonly kind = 'expr' as const;
  /** For GEPs, the source element type. */
  sourceElementType: Type | undefined = undefined;
  /** Flags as written: `inbounds`, `nuw`, `nsw`, `exact`, `inrange(…)`… */
  flags: string[] = [];
  /** Predicate of an `icmp`/`fcmp` expression (older IR). */
  predicate: string | undefined = undefined;
  /** Indices of `extractvalue`/`insertvalue` (older IR). */
  indices: number[] | undefined = undefined;
  constructor(
    readonly type: Type,
    readonly opcode: string,
    readonly operands: Constant[],
  ) {}
}
/** `blockaddress(@f, %bb)`. */
export class BlockAddress {
  readonly kind = 'blockaddress' as const;
  /** Resolved once the function body has been read. */
  block: BasicBlock | undefined = undefined;
  /** The function whose block is addressed. */
  readonly function: Function;
  constructor(
    readonly type: Type,
    fn: Function,
    readonly blockName: string,
  ) {
    this.function = fn;
  }
}
/** `dso_local_equivalent @f`. */
export class DSOLocalEquivalent {
  readonly kind = 'dso_local_equivalent' as const;
  constructor(
    readonly type: Type,
    readonly global: GlobalValue,
  ) {}
}
/** `no_cfi @f`. */
export class NoCFIValue {
  readonly kind = 'no_cfi' as const;
  constructor(
    readonly type: Type,
    readonly global: GlobalValue,
  ) {}
}

/** `asm [sideeffect] [alignstack] [inteldialect] [unwind] "code", "constraints"` as a callee. */
export class InlineAsm {
  readonly kind = 'asm' as const;
  constructor(
    readonly type: Type,
    readonly functionType: FunctionType,
    readonly asm: string,
    readonly constraints: string,
    readonly sideEffect: boolean,
    readonly alignStack: boolean,
    readonly intelDialect: boolean,
    readonly canThrow: boolean,
  ) {}
}

/** A source location view of an instruction's `!dbg`. */
export type DebugLoc = DILocation | undefined;

/** True for the constant kinds (including global values, which are constants in LLVM). */
export function isConstant(v: Value): v is Constant {
  switch (v.kind) {
    case 'argument':
    case 'block':
    case 'instruction':
    case 'asm':
    case 'metadata':
      return false;
    default:
      return true;
  }
}
