// Metadata that is not debug-info specific (LangRef "Metadata"): strings,
// tuples, values wrapped as metadata, DIArgList, and the generic node kept for
// any specialized node this reader does not know. Typed DI nodes live in
// debuginfo.ts.
import type { Value } from './values.js';
import type { DINode } from './debuginfo.js';

/** Any metadata operand. `null` in operand lists stands for LLVM's `null`. */
export type Metadata = MDString | MDTuple | ValueAsMetadata | DIArgList | DINode | UnknownSpecializedNode;

/** `!"text"`. */
export class MDString {
  readonly kind = 'string' as const;
  constructor(readonly value: string) {}
}

/** `!{…}` or `distinct !{…}`. */
export class MDTuple {
  readonly kind = 'tuple' as const;
  constructor(
    readonly operands: (Metadata | null)[],
    readonly distinct: boolean,
  ) {}
}

/** A value used as metadata: `i32 0`, `ptr %x` in a debug record or `metadata ptr %x` in a call. */
export class ValueAsMetadata {
  readonly kind = 'value' as const;
  constructor(readonly value: Value) {}
}

/** `!DIArgList(ptr %a, i64 %b)`: several SSA values feeding one DIExpression. */
export class DIArgList {
  readonly kind = 'DIArgList' as const;
  constructor(readonly args: ValueAsMetadata[]) {}
}

/** A raw field value of a specialized node, before typing. */
export type FieldValue =
  | Metadata
  | null
  | number
  | bigint
  | boolean
  | string
  /** Enumerated keywords joined by `|`: `DIFlagPrivate | DIFlagArtificial`. */
  | readonly string[];

/** A specialized node (`!Name(field: value, …)`) this reader has no class for: kept as written. */
export class UnknownSpecializedNode {
  readonly kind = 'unknown' as const;
  constructor(
    /** The node's name, e.g. `DIFutureThing`. */
    readonly name: string,
    readonly fields: ReadonlyMap<string, FieldValue>,
    readonly distinct: boolean,
  ) {}
}

/** A named metadata list: `!llvm.dbg.cu = !{!0}`. */
export class NamedMetadata {
  constructor(
    readonly name: string,
    readonly operands: (Metadata | null)[],
  ) {}
}
