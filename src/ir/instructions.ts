// Instructions (LangRef "Instruction Reference"), one class per family:
// terminators, unary and binary operators, vector and aggregate operations,
// memory access and addressing, conversions, and the rest (compare, phi,
// select, call, …); plus the debug records that precede an instruction.
// `operands` holds every value operand in LLVM's order; typed getters name them.
import type { Attribute } from './attributes.js';
import type { DILocation } from './debuginfo.js';
import type { Metadata } from './metadata.js';
import type { AtomicOrdering, BinaryOpcode, CastOpcode, CompareOpcode, ExceptionOpcode, Opcode } from './opcodes.js';
import type { FunctionType, Type } from './types.js';
import type { BasicBlock, Function, Value } from './values.js';

// The opcode unions are derived from the one table in opcodes.ts.
export type { AtomicOrdering, BinaryOpcode, CastOpcode };

/** A `#dbg_value` / `#dbg_declare` / `#dbg_assign` / `#dbg_label` record (LLVM 19+). */
export interface DebugRecord {
  /** `declare_value` (LLVM 22): like `declare`, one per variable, but describes the value, not its address. */
  readonly kind: 'value' | 'declare' | 'assign' | 'label' | 'declare_value';
  /** The described location: `ValueAsMetadata`, `DIArgList`, or an empty tuple. Undefined for labels. */
  location: Metadata | null | undefined;
  /** DILocalVariable, or DILabel for `#dbg_label`. */
  variable: Metadata | null;
  expression: Metadata | null | undefined;
  /** `#dbg_assign` only: the DIAssignID, the address and its expression. */
  assignId: Metadata | null | undefined;
  address: Metadata | null | undefined;
  addressExpression: Metadata | null | undefined;
  debugLoc: Metadata | null;
}

abstract class InstructionBase {
  readonly kind = 'instruction' as const;
  abstract readonly opcode: string;
  /** Named or numbered result (`%x`, `%3`); undefined for void instructions. */
  name: string | undefined = undefined;
  /** Filled by the reader once the block is known. */
  parent!: BasicBlock;
  /** The `!dbg` attachment. */
  debugLoc: DILocation | undefined = undefined;
  /** Other attachments (`!tbaa`, `!srcloc`, `!DIAssignID`…), in order. */
  metadata: [string, Metadata | null][] | undefined = undefined;
  /** Debug records written before this instruction. */
  debugRecords: DebugRecord[] | undefined = undefined;
  constructor(
    readonly type: Type,
    readonly operands: Value[],
  ) {}
  /** Looks up an attachment by kind name (`dbg` included). */
  attachment(name: string): Metadata | null | undefined {
    if (name === 'dbg') return this.debugLoc;
    if (this.metadata) for (const [k, v] of this.metadata) if (k === name) return v;
    return undefined;
  }
}

// ---- terminators ----
export class ReturnInst extends InstructionBase {
  readonly opcode = 'ret' as const;
  get returnValue(): Value | undefined {
    return this.operands[0];
  }
}
export class BranchInst extends InstructionBase {
  readonly opcode = 'br' as const;
  /** One target (unconditional) or [true, false] targets. */
  constructor(
    type: Type,
    operands: Value[],
    readonly targets: BasicBlock[],
  ) {
    super(type, operands);
  }
  get condition(): Value | undefined {
    return this.operands[0];
  }
}
export class SwitchInst extends InstructionBase {
  readonly opcode = 'switch' as const;
  constructor(
    type: Type,
    operands: Value[],
    readonly defaultDest: BasicBlock,
    /** Case values are operands[1..]; destinations in the same order. */
    readonly caseDests: BasicBlock[],
  ) {
    super(type, operands);
  }
  get condition(): Value {
    return this.operands[0]!;
  }
}
export class IndirectBrInst extends InstructionBase {
  readonly opcode = 'indirectbr' as const;
  constructor(
    type: Type,
    operands: Value[],
    readonly destinations: BasicBlock[],
  ) {
    super(type, operands);
  }
}
export class UnreachableInst extends InstructionBase {
  readonly opcode = 'unreachable' as const;
}
export class ResumeInst extends InstructionBase {
  readonly opcode = 'resume' as const;
}

/** What `call`, `invoke` and `callbr` share. Operands are the arguments, then the callee. */
abstract class CallBaseInst extends InstructionBase {
  callingConv: string | undefined = undefined;
  returnAttributes: Attribute[] = [];
  /** Per-argument attributes, parallel to `args`. */
  argAttributes: Attribute[][] = [];
  functionAttributes: Attribute[] = [];
  /** Operand bundles: `[ "deopt"(i32 0) ]`. */
  bundles: { tag: string; inputs: Value[] }[] | undefined = undefined;
  fastMath: string[] | undefined = undefined;
  constructor(
    type: Type,
    operands: Value[],
    /** The callee's function type as the call site states it. */
    readonly functionType: FunctionType,
  ) {
    super(type, operands);
  }
  get callee(): Value {
    return this.operands[this.operands.length - 1]!;
  }
  get args(): Value[] {
    return this.operands.slice(0, this.operands.length - 1);
  }
  /**
   * The function called directly, as LLVM's `CallBase::getCalledFunction`:
   * undefined for indirect calls, inline asm, calls through an alias or a cast,
   * and calls whose stated type differs from the callee's.
   */
  get calledFunction(): Function | undefined {
    const c = this.callee;
    return c.kind === 'function' && c.functionType === this.functionType ? c : undefined;
  }
}
export class CallInst extends CallBaseInst {
  readonly opcode = 'call' as const;
  tailKind: 'tail' | 'musttail' | 'notail' | undefined = undefined;
}
export class InvokeInst extends CallBaseInst {
  readonly opcode = 'invoke' as const;
  normalDest!: BasicBlock;
  unwindDest!: BasicBlock;
}
/** `callbr`: the kernel's `asm goto`. */
export class CallBrInst extends CallBaseInst {
  readonly opcode = 'callbr' as const;
  defaultDest!: BasicBlock;
  indirectDests: BasicBlock[] = [];
}

// ---- operators ----
export class UnaryOperator extends InstructionBase {
  readonly opcode = 'fneg' as const;
  fastMath: string[] | undefined = undefined;
}
export class BinaryOperator extends InstructionBase {
  constructor(
    type: Type,
    operands: Value[],
    readonly opcode: BinaryOpcode,
  ) {
    super(type, operands);
  }
  nuw = false;
  nsw = false;
  exact = false;
  disjoint = false;
  fastMath: string[] | undefined = undefined;
}
export class CastInst extends InstructionBase {
  constructor(
    type: Type,
    operands: Value[],
    readonly opcode: CastOpcode,
  ) {
    super(type, operands);
  }
  nneg = false;
  nuw = false;
  nsw = false;
}
export class CmpInst extends InstructionBase {
  constructor(
    type: Type,
    operands: Value[],
    readonly opcode: CompareOpcode,
    readonly predicate: string,
  ) {
    super(type, operands);
  }
  samesign = false;
  fastMath: string[] | undefined = undefined;
}

// ---- vector and aggregate ----
export class ExtractElementInst extends InstructionBase {
  readonly opcode = 'extractelement' as const;
}
export class InsertElementInst extends InstructionBase {
  readonly opcode = 'insertelement' as const;
}
export class ShuffleVectorInst extends InstructionBase {
  readonly opcode = 'shufflevector' as const;
}
export class ExtractValueInst extends InstructionBase {
  readonly opcode = 'extractvalue' as const;
  constructor(
    type: Type,
    operands: Value[],
    readonly indices: number[],
  ) {
    super(type, operands);
  }
}
export class InsertValueInst extends InstructionBase {
  readonly opcode = 'insertvalue' as const;
  constructor(
    type: Type,
    operands: Value[],
    readonly indices: number[],
  ) {
    super(type, operands);
  }
}

// ---- memory ----
export class AllocaInst extends InstructionBase {
  readonly opcode = 'alloca' as const;
  constructor(
    type: Type,
    operands: Value[],
    readonly allocatedType: Type,
  ) {
    super(type, operands);
  }
  align: number | undefined = undefined;
  addrSpace = 0;
  inalloca = false;
  swifterror = false;
  /** Element count operand, if given. */
  get arraySize(): Value | undefined {
    return this.operands[0];
  }
}
interface AtomicInfo {
  atomic: boolean;
  volatile: boolean;
  syncScope: string | undefined;
}
export class LoadInst extends InstructionBase implements AtomicInfo {
  readonly opcode = 'load' as const;
  atomic = false;
  volatile = false;
  syncScope: string | undefined = undefined;
  ordering: AtomicOrdering | undefined = undefined;
  align: number | undefined = undefined;
  get pointer(): Value {
    return this.operands[0]!;
  }
}
export class StoreInst extends InstructionBase implements AtomicInfo {
  readonly opcode = 'store' as const;
  atomic = false;
  volatile = false;
  syncScope: string | undefined = undefined;
  ordering: AtomicOrdering | undefined = undefined;
  align: number | undefined = undefined;
  get value(): Value {
    return this.operands[0]!;
  }
  get pointer(): Value {
    return this.operands[1]!;
  }
}
export class FenceInst extends InstructionBase {
  readonly opcode = 'fence' as const;
  syncScope: string | undefined = undefined;
  ordering!: AtomicOrdering;
}
export class AtomicCmpXchgInst extends InstructionBase {
  readonly opcode = 'cmpxchg' as const;
  weak = false;
  volatile = false;
  syncScope: string | undefined = undefined;
  successOrdering!: AtomicOrdering;
  failureOrdering!: AtomicOrdering;
  align: number | undefined = undefined;
  get pointer(): Value {
    return this.operands[0]!;
  }
}
export class AtomicRMWInst extends InstructionBase {
  readonly opcode = 'atomicrmw' as const;
  constructor(
    type: Type,
    operands: Value[],
    readonly operation: string,
  ) {
    super(type, operands);
  }
  volatile = false;
  syncScope: string | undefined = undefined;
  ordering!: AtomicOrdering;
  align: number | undefined = undefined;
  get pointer(): Value {
    return this.operands[0]!;
  }
}
export class GetElementPtrInst extends InstructionBase {
  readonly opcode = 'getelementptr' as const;
  constructor(
    type: Type,
    operands: Value[],
    readonly sourceElementType: Type,
  ) {
    super(type, operands);
  }
  inbounds = false;
  nusw = false;
  nuw = false;
  /** `inrange(a, b)` or, in older IR, the index marked `inrange`. */
  inrange: string | undefined = undefined;
  get pointer(): Value {
    return this.operands[0]!;
  }
  get indices(): Value[] {
    return this.operands.slice(1);
  }
}

// ---- other ----
export class PHINode extends InstructionBase {
  readonly opcode = 'phi' as const;
  constructor(
    type: Type,
    operands: Value[],
    readonly incomingBlocks: BasicBlock[],
  ) {
    super(type, operands);
  }
  fastMath: string[] | undefined = undefined;
}
export class SelectInst extends InstructionBase {
  readonly opcode = 'select' as const;
  fastMath: string[] | undefined = undefined;
}
export class FreezeInst extends InstructionBase {
  readonly opcode = 'freeze' as const;
}
export class VAArgInst extends InstructionBase {
  readonly opcode = 'va_arg' as const;
}
/** Exception-handling pads and returns (`landingpad`, `catchpad`, `cleanuppad`, `catchswitch`, `catchret`, `cleanupret`). */
export class EHInst extends InstructionBase {
  constructor(
    type: Type,
    operands: Value[],
    readonly opcode: ExceptionOpcode,
    /** Successor blocks (handlers, unwind destination), in textual order. */
    readonly successors: BasicBlock[],
  ) {
    super(type, operands);
  }
  /** `landingpad`: `cleanup` and the clause kinds. */
  cleanup = false;
  clauses: ('catch' | 'filter')[] = [];
}

/** Every instruction. Narrow on `opcode`. */
export type Instruction =
  | ReturnInst
  | BranchInst
  | SwitchInst
  | IndirectBrInst
  | UnreachableInst
  | ResumeInst
  | CallInst
  | InvokeInst
  | CallBrInst
  | UnaryOperator
  | BinaryOperator
  | CastInst
  | CmpInst
  | ExtractElementInst
  | InsertElementInst
  | ShuffleVectorInst
  | ExtractValueInst
  | InsertValueInst
  | AllocaInst
  | LoadInst
  | StoreInst
  | FenceInst
  | AtomicCmpXchgInst
  | AtomicRMWInst
  | GetElementPtrInst
  | PHINode
  | SelectInst
  | FreezeInst
  | VAArgInst
  | EHInst;

export type CallBase = CallInst | InvokeInst | CallBrInst;

/** Compiles only while the classes above and the table in opcodes.ts name the same opcodes. */
type SameUnion<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const classesCoverTheOpcodeTable: SameUnion<Instruction['opcode'], Opcode> = true;
void classesCoverTheOpcodeTable;

/** True for `call`, `invoke`, `callbr`. */
export function isCallBase(i: Instruction): i is CallBase {
  return i.opcode === 'call' || i.opcode === 'invoke' || i.opcode === 'callbr';
}
