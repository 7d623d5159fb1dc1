// Owns the instruction vocabulary, written once: every opcode of LangRef's
// "Instruction Reference" with the family it belongs to and whether it ends a
// basic block, and the atomic orderings. The model's opcode unions
// (instructions.ts) and the reader's dispatch sets (asm/) are both derived
// from these tables, so a new opcode is added in exactly one place.

/**
 * The family of an opcode: which grammar file of the reader parses it and,
 * for `binary`, `cast`, `compare` and `exception`, which model class holds it.
 */
export type OpcodeFamily =
  | 'terminator'
  | 'exception'
  | 'call'
  | 'memory'
  | 'unary'
  | 'binary'
  | 'cast'
  | 'compare'
  | 'vector'
  | 'aggregate'
  | 'other';

interface OpcodeInfo {
  readonly family: OpcodeFamily;
  /** A terminator: the last instruction of its block. */
  readonly endsBlock: boolean;
}

/** Every instruction opcode, in LangRef's order. */
export const OPCODES = {
  // Terminator Instructions
  ret: { family: 'terminator', endsBlock: true },
  br: { family: 'terminator', endsBlock: true },
  switch: { family: 'terminator', endsBlock: true },
  indirectbr: { family: 'terminator', endsBlock: true },
  invoke: { family: 'call', endsBlock: true },
  callbr: { family: 'call', endsBlock: true },
  resume: { family: 'terminator', endsBlock: true },
  catchswitch: { family: 'exception', endsBlock: true },
  catchret: { family: 'exception', endsBlock: true },
  cleanupret: { family: 'exception', endsBlock: true },
  unreachable: { family: 'terminator', endsBlock: true },
  // Unary Operations
  fneg: { family: 'unary', endsBlock: false },
  // Binary Operations, then Bitwise Binary Operations
  add: { family: 'binary', endsBlock: false },
  fadd: { family: 'binary', endsBlock: false },
  sub: { family: 'binary', endsBlock: false },
  fsub: { family: 'binary', endsBlock: false },
  mul: { family: 'binary', endsBlock: false },
  fmul: { family: 'binary', endsBlock: false },
  udiv: { family: 'binary', endsBlock: false },
  sdiv: { family: 'binary', endsBlock: false },
  fdiv: { family: 'binary', endsBlock: false },
  urem: { family: 'binary', endsBlock: false },
  srem: { family: 'binary', endsBlock: false },
  frem: { family: 'binary', endsBlock: false },
  shl: { family: 'binary', endsBlock: false },
  lshr: { family: 'binary', endsBlock: false },
  ashr: { family: 'binary', endsBlock: false },
  and: { family: 'binary', endsBlock: false },
  or: { family: 'binary', endsBlock: false },
  xor: { family: 'binary', endsBlock: false },
  // Vector Operations
  extractelement: { family: 'vector', endsBlock: false },
  insertelement: { family: 'vector', endsBlock: false },
  shufflevector: { family: 'vector', endsBlock: false },
  // Aggregate Operations
  extractvalue: { family: 'aggregate', endsBlock: false },
  insertvalue: { family: 'aggregate', endsBlock: false },
  // Memory Access and Addressing Operations
  alloca: { family: 'memory', endsBlock: false },
  load: { family: 'memory', endsBlock: false },
  store: { family: 'memory', endsBlock: false },
  fence: { family: 'memory', endsBlock: false },
  cmpxchg: { family: 'memory', endsBlock: false },
  atomicrmw: { family: 'memory', endsBlock: false },
  getelementptr: { family: 'memory', endsBlock: false },
  // Conversion Operations
  trunc: { family: 'cast', endsBlock: false },
  zext: { family: 'cast', endsBlock: false },
  sext: { family: 'cast', endsBlock: false },
  fptrunc: { family: 'cast', endsBlock: false },
  fpext: { family: 'cast', endsBlock: false },
  fptoui: { family: 'cast', endsBlock: false },
  fptosi: { family: 'cast', endsBlock: false },
  uitofp: { family: 'cast', endsBlock: false },
  sitofp: { family: 'cast', endsBlock: false },
  ptrtoint: { family: 'cast', endsBlock: false },
  // LLVM 22: the address part of a pointer, without capturing its provenance
  ptrtoaddr: { family: 'cast', endsBlock: false },
  inttoptr: { family: 'cast', endsBlock: false },
  bitcast: { family: 'cast', endsBlock: false },
  addrspacecast: { family: 'cast', endsBlock: false },
  // Other Operations
  icmp: { family: 'compare', endsBlock: false },
  fcmp: { family: 'compare', endsBlock: false },
  phi: { family: 'other', endsBlock: false },
  select: { family: 'other', endsBlock: false },
  freeze: { family: 'other', endsBlock: false },
  call: { family: 'call', endsBlock: false },
  va_arg: { family: 'other', endsBlock: false },
  landingpad: { family: 'exception', endsBlock: false },
  catchpad: { family: 'exception', endsBlock: false },
  cleanuppad: { family: 'exception', endsBlock: false },
} as const satisfies Record<string, OpcodeInfo>;

/** Any instruction opcode. */
export type Opcode = keyof typeof OPCODES;

/** The opcodes of one family, as a union of string literals. */
export type OpcodeIn<F extends OpcodeFamily> = {
  [K in Opcode]: (typeof OPCODES)[K]['family'] extends F ? K : never;
}[Opcode];

export type BinaryOpcode = OpcodeIn<'binary'>;
export type CastOpcode = OpcodeIn<'cast'>;
export type CompareOpcode = OpcodeIn<'compare'>;
export type ExceptionOpcode = OpcodeIn<'exception'>;

/** The opcodes of one family, for the reader's membership tests. */
export function opcodesIn<F extends OpcodeFamily>(family: F): ReadonlySet<string> {
  const out = new Set<string>();
  for (const op of Object.keys(OPCODES) as Opcode[]) if (OPCODES[op].family === family) out.add(op);
  return out;
}

/** The terminators (opcodes that end a block). */
export const BLOCK_ENDERS: ReadonlySet<string> = new Set((Object.keys(OPCODES) as Opcode[]).filter((op) => OPCODES[op].endsBlock));

/** LangRef "Atomic Memory Ordering Constraints", weakest first. */
export const ATOMIC_ORDERINGS = ['unordered', 'monotonic', 'acquire', 'release', 'acq_rel', 'seq_cst'] as const;
export type AtomicOrdering = (typeof ATOMIC_ORDERINGS)[number];
