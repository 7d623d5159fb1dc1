// The LLVM type system (LangRef "Type System"): first-class, aggregate, function
// and pointer types, both typed (`i8*`, clang ≤ 14) and opaque (`ptr`).
// Types are uniqued by a TypeContext, so two types are equal iff they are the
// same object — as in LLVM, where `==` on Type* is type equality.

/** Every IR type. Narrow on `kind`. */
export type Type =
  | VoidType
  | LabelType
  | MetadataType
  | TokenType
  | X86MmxType
  | X86AmxType
  | FloatType
  | IntType
  | PointerType
  | FunctionType
  | StructType
  | ArrayType
  | VectorType
  | TargetExtType;

export interface VoidType {
  readonly kind: 'void';
}
export interface LabelType {
  readonly kind: 'label';
}
export interface MetadataType {
  readonly kind: 'metadata';
}
export interface TokenType {
  readonly kind: 'token';
}
export interface X86MmxType {
  readonly kind: 'x86_mmx';
}
export interface X86AmxType {
  readonly kind: 'x86_amx';
}

/** Floating-point kinds, by their IR keyword. */
export type FloatKind = 'half' | 'bfloat' | 'float' | 'double' | 'x86_fp80' | 'fp128' | 'ppc_fp128';
export interface FloatType {
  readonly kind: 'float';
  readonly float: FloatKind;
}
export interface IntType {
  readonly kind: 'int';
  readonly bits: number;
}

/**
 * `ptr addrspace(N)` (opaque) or `T addrspace(N)*` (typed). `pointee` is set
 * only for typed pointers; with opaque pointers the IR does not say.
 */
export interface PointerType {
  readonly kind: 'pointer';
  readonly addrSpace: number;
  readonly pointee: Type | undefined;
}
export interface FunctionType {
  readonly kind: 'function';
  readonly returnType: Type;
  readonly params: readonly Type[];
  readonly varArg: boolean;
}
/**
 * A struct. Literal structs (`{ i32, ptr }`) are uniqued by structure;
 * identified structs (`%struct.sk_buff`) by name and may be opaque (no body).
 */
export interface StructType {
  readonly kind: 'struct';
  /** Name without the `%` (numbered structs have their number as name); undefined for literal structs. */
  readonly name: string | undefined;
  /** True for `%0 = type {…}` style identified structs that have a number, not a name. */
  readonly numbered: boolean;
  packed: boolean;
  /** Member types; undefined while opaque. */
  elements: Type[] | undefined;
}
export interface ArrayType {
  readonly kind: 'array';
  readonly length: number;
  readonly element: Type;
}
export interface VectorType {
  readonly kind: 'vector';
  readonly length: number;
  readonly scalable: boolean;
  readonly element: Type;
}
export interface TargetExtType {
  readonly kind: 'target';
  readonly name: string;
  readonly typeParams: readonly Type[];
  readonly intParams: readonly number[];
}

/** Uniques types the way LLVMContext does. One per module. */
export class TypeContext {
  readonly void: VoidType = { kind: 'void' };
  readonly label: LabelType = { kind: 'label' };
  readonly metadata: MetadataType = { kind: 'metadata' };
  readonly token: TokenType = { kind: 'token' };
  readonly x86Mmx: X86MmxType = { kind: 'x86_mmx' };
  readonly x86Amx: X86AmxType = { kind: 'x86_amx' };
  readonly i1: IntType;
  readonly i8: IntType;
  readonly i32: IntType;
  readonly i64: IntType;
  readonly ptr: PointerType;
  private readonly ints = new Map<number, IntType>();
  private readonly floats = new Map<FloatKind, FloatType>();
  private readonly opaquePtrs = new Map<number, PointerType>();
  private readonly typedPtrs = new Map<Type, Map<number, PointerType>>();
  private readonly arrays = new Map<Type, Map<number, ArrayType>>();
  private readonly vectors = new Map<string, VectorType>();
  private readonly composite = new Map<string, FunctionType | StructType | TargetExtType>();
  private readonly ids = new Map<Type, number>();
  /** Identified structs by name, in order of first mention. */
  readonly namedStructs = new Map<string, StructType>();

  constructor() {
    this.i1 = this.int(1);
    this.i8 = this.int(8);
    this.i32 = this.int(32);
    this.i64 = this.int(64);
    this.ptr = this.pointer(0);
  }

  int(bits: number): IntType {
    let t = this.ints.get(bits);
    if (!t) {
      t = { kind: 'int', bits };
      this.ints.set(bits, t);
    }
    return t;
  }
  float(kind: FloatKind): FloatType {
    let t = this.floats.get(kind);
    if (!t) {
      t = { kind: 'float', float: kind };
      this.floats.set(kind, t);
    }
    return t;
  }
  /** Opaque pointer `ptr addrspace(N)`. */
  pointer(addrSpace = 0): PointerType {
    let t = this.opaquePtrs.get(addrSpace);
    if (!t) {
      t = { kind: 'pointer', addrSpace, pointee: undefined };
      this.opaquePtrs.set(addrSpace, t);
    }
    return t;
  }
  /** Typed pointer `T addrspace(N)*` (pre-opaque-pointer IR). */
  typedPointer(pointee: Type, addrSpace = 0): PointerType {
    let m = this.typedPtrs.get(pointee);
    if (!m) {
      m = new Map();
      this.typedPtrs.set(pointee, m);
    }
    let t = m.get(addrSpace);
    if (!t) {
      t = { kind: 'pointer', addrSpace, pointee };
      m.set(addrSpace, t);
    }
    return t;
  }
  array(length: number, element: Type): ArrayType {
    let m = this.arrays.get(element);
    if (!m) {
      m = new Map();
      this.arrays.set(element, m);
    }
    let t = m.get(length);
    if (!t) {
      t = { kind: 'array', length, element };
      m.set(length, t);
    }
    return t;
  }
  vector(length: number, element: Type, scalable: boolean): VectorType {
    const key = `${scalable ? 'v' : ''}${length}:${this.idOf(element)}`;
    let t = this.vectors.get(key);
    if (!t) {
      t = { kind: 'vector', length, element, scalable };
      this.vectors.set(key, t);
    }
    return t;
  }
  function(returnType: Type, params: readonly Type[], varArg: boolean): FunctionType {
    let key = `f${this.idOf(returnType)}${varArg ? '...' : ''}(`;
    for (const p of params) key += `${this.idOf(p)},`;
    let t = this.composite.get(key) as FunctionType | undefined;
    if (!t) {
      t = { kind: 'function', returnType, params: params.slice(), varArg };
      this.composite.set(key, t);
    }
    return t;
  }
  /** Literal (structurally uniqued) struct. */
  literalStruct(elements: readonly Type[], packed: boolean): StructType {
    let key = packed ? 's<' : 's{';
    for (const e of elements) key += `${this.idOf(e)},`;
    let t = this.composite.get(key) as StructType | undefined;
    if (!t) {
      t = { kind: 'struct', name: undefined, numbered: false, packed, elements: elements.slice() };
      this.composite.set(key, t);
    }
    return t;
  }
  /** The identified struct of this name, created opaque on first mention. */
  namedStruct(name: string, numbered = false): StructType {
    let t = this.namedStructs.get(name);
    if (!t) {
      t = { kind: 'struct', name, numbered, packed: false, elements: undefined };
      this.namedStructs.set(name, t);
    }
    return t;
  }
  targetExt(name: string, typeParams: readonly Type[], intParams: readonly number[]): TargetExtType {
    let key = `t${JSON.stringify(name)}(`;
    for (const p of typeParams) key += `${this.idOf(p)},`;
    key += `;${intParams.join(',')}`;
    let t = this.composite.get(key) as TargetExtType | undefined;
    if (!t) {
      t = { kind: 'target', name, typeParams: typeParams.slice(), intParams: intParams.slice() };
      this.composite.set(key, t);
    }
    return t;
  }
  private idOf(t: Type): number {
    let id = this.ids.get(t);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(t, id);
    }
    return id;
  }
}

/** Prints a type as LLVM writes it (for messages and debugging). */
export function typeToString(t: Type, depth = 0): string {
  if (depth > 64) return '…';
  switch (t.kind) {
    case 'void':
    case 'label':
    case 'metadata':
    case 'token':
    case 'x86_mmx':
    case 'x86_amx':
      return t.kind;
    case 'float':
      return t.float;
    case 'int':
      return `i${t.bits}`;
    case 'pointer': {
      const as = t.addrSpace ? ` addrspace(${t.addrSpace})` : '';
      return t.pointee ? `${typeToString(t.pointee, depth + 1)}${as}*` : `ptr${as}`;
    }
    case 'function':
      return `${typeToString(t.returnType, depth + 1)} (${[
        ...t.params.map((p) => typeToString(p, depth + 1)),
        ...(t.varArg ? ['...'] : []),
      ].join(', ')})`;
    case 'struct':
      if (t.name !== undefined) return t.numbered ? `%${t.name}` : `%${quoteNameIfNeeded(t.name)}`;
      return literalBody(t, depth);
    case 'array':
      return `[${t.length} x ${typeToString(t.element, depth + 1)}]`;
    case 'vector':
      return `<${t.scalable ? 'vscale x ' : ''}${t.length} x ${typeToString(t.element, depth + 1)}>`;
    case 'target':
      return `target(${JSON.stringify(t.name)}${t.typeParams.map((p) => `, ${typeToString(p, depth + 1)}`).join('')}${t.intParams.map((i) => `, ${i}`).join('')})`;
  }
}

function literalBody(t: StructType, depth: number): string {
  if (!t.elements) return 'opaque';
  const inner = t.elements.map((e) => typeToString(e, depth + 1)).join(', ');
  const body = t.elements.length ? `{ ${inner} }` : '{}';
  return t.packed ? `<${body}>` : body;
}

/** Body of an identified struct as in `%T = type …`. */
export function structBodyToString(t: StructType): string {
  return literalBody(t, 0);
}

function quoteNameIfNeeded(name: string): string {
  return /^[-a-zA-Z$._][-a-zA-Z$._0-9]*$/.test(name) ? name : JSON.stringify(name);
}

/** True for types a value can have (not void, label, metadata, function). */
export function isFirstClass(t: Type): boolean {
  return t.kind !== 'void' && t.kind !== 'function';
}
