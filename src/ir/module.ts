// The module: everything one `.ll` file defines, in the order LLVM keeps it.
import type { AttributeGroup } from './attributes.js';
import type { Metadata, NamedMetadata } from './metadata.js';
import type { TypeContext, StructType } from './types.js';
import type { Comdat, Function, GlobalAlias, GlobalIFunc, GlobalValue, GlobalVariable } from './values.js';

export class Module {
  /** The file name given to the reader. */
  filename = '<input>';
  sourceFilename: string | undefined = undefined;
  dataLayout: string | undefined = undefined;
  targetTriple: string | undefined = undefined;
  /** `module asm` lines, joined with newlines as LLVM does. */
  moduleAsm = '';
  /** Functions, defined and declared, in textual order. */
  readonly functions: Function[] = [];
  readonly globals: GlobalVariable[] = [];
  readonly aliases: GlobalAlias[] = [];
  readonly ifuncs: GlobalIFunc[] = [];
  readonly comdats = new Map<string, Comdat>();
  readonly attributeGroups = new Map<number, AttributeGroup>();
  readonly namedMetadata = new Map<string, NamedMetadata>();
  /** Numbered metadata `!N`, indexed by N (a sparse array: holes where a number is unused). */
  readonly metadata: (Metadata | undefined)[] = [];
  /** Identified struct types (`%struct.sk_buff = type …`), in textual order of definition. */
  readonly structTypes: StructType[] = [];
  /** All global values by name (without `@`). */
  readonly symbols = new Map<string, GlobalValue>();

  constructor(readonly types: TypeContext) {}

  /** A function by name. */
  getFunction(name: string): Function | undefined {
    const g = this.symbols.get(name);
    return g && g.kind === 'function' ? g : undefined;
  }
  /** A global variable by name. */
  getGlobal(name: string): GlobalVariable | undefined {
    const g = this.symbols.get(name);
    return g && g.kind === 'global' ? g : undefined;
  }
  /** Functions with a body. */
  get definedFunctions(): Function[] {
    return this.functions.filter((f) => f.isDefinition);
  }
  /** Module flags `!llvm.module.flags` as [behavior, key, value]. */
  get moduleFlags(): { behavior: number; key: string; value: Metadata | null }[] {
    const nm = this.namedMetadata.get('llvm.module.flags');
    const out: { behavior: number; key: string; value: Metadata | null }[] = [];
    for (const op of nm?.operands ?? []) {
      if (op?.kind !== 'tuple' || op.operands.length < 3) continue;
      const [b, k, v] = op.operands;
      const bv = b?.kind === 'value' && b.value.kind === 'int' ? Number(b.value.value) : NaN;
      if (k?.kind === 'string') out.push({ behavior: bv, key: k.value, value: v ?? null });
    }
    return out;
  }
}
