// Typed debug-information nodes (LangRef "Specialized Metadata Nodes").
// Property names are exactly the field names of the textual form
// (`!DILocation(line: 3, column: 7, scope: !12)` → `line`, `column`, `scope`),
// so the parser fills any node generically and a reader of the IR text finds
// the same names here. Fields this reader does not know stay in `extraFields`.
import type { FieldValue, Metadata } from './metadata.js';

type MD = Metadata | null;
type Flags = readonly string[];

/** Common part of every typed DI node. */
export abstract class DINodeBase {
  abstract get kind(): string;
  /** Written as `distinct !DI…`. */
  distinct = false;
  /** Fields present in the text but unknown to this class (newer LLVM): kept, never dropped. */
  extraFields: Map<string, FieldValue> | undefined = undefined;
}

/** `!DILocation`: a source position, its scope and the call site it was inlined into. */
export class DILocation extends DINodeBase {
  get kind(): 'DILocation' {
    return 'DILocation';
  }
  line = 0;
  column = 0;
  scope: MD = null;
  inlinedAt: MD = null;
  isImplicitCode = false;
  /**
   * Key Instructions (LLVM 21+, clang 22 writes them by default): the source
   * atom this location belongs to and its rank in it (1 = the key
   * instruction); 0 when not written.
   */
  atomGroup = 0;
  atomRank = 0;
}
/** `!DIExpression(DW_OP_…, …)`: a DWARF expression; operations by name, operands as numbers. */
export class DIExpression extends DINodeBase {
  get kind(): 'DIExpression' {
    return 'DIExpression';
  }
  elements: (string | number | bigint)[] = [];
}
export class DIGlobalVariableExpression extends DINodeBase {
  get kind(): 'DIGlobalVariableExpression' {
    return 'DIGlobalVariableExpression';
  }
  var: MD = null;
  expr: MD = null;
}
/** What `!DISubrange` and `!DIGenericSubrange` share: bounds as integers or expressions. */
abstract class SubrangeBase extends DINodeBase {
  count: FieldValue = null;
  lowerBound: FieldValue = null;
  upperBound: FieldValue = null;
  stride: FieldValue = null;
}
export class DISubrange extends SubrangeBase {
  get kind(): 'DISubrange' {
    return 'DISubrange';
  }
}
export class DIGenericSubrange extends SubrangeBase {
  get kind(): 'DIGenericSubrange' {
    return 'DIGenericSubrange';
  }
}
export class DIEnumerator extends DINodeBase {
  get kind(): 'DIEnumerator' {
    return 'DIEnumerator';
  }
  name = '';
  value = 0n;
  isUnsigned = false;
}
export class DIBasicType extends DINodeBase {
  get kind(): 'DIBasicType' {
    return 'DIBasicType';
  }
  tag = 'DW_TAG_base_type';
  name = '';
  size = 0;
  align = 0;
  encoding = '';
  flags: Flags = [];
}
export class DIStringType extends DINodeBase {
  get kind(): 'DIStringType' {
    return 'DIStringType';
  }
  tag = 'DW_TAG_string_type';
  name = '';
  stringLength: MD = null;
  stringLengthExpression: MD = null;
  stringLocationExpression: MD = null;
  size = 0;
  align = 0;
  encoding = '';
}
/** What derived and composite types share (LLVM's DIType, plus the base type). */
abstract class DITypeBase extends DINodeBase {
  tag = '';
  name = '';
  file: MD = null;
  line = 0;
  scope: MD = null;
  baseType: MD = null;
  /** Size in bits. */
  size = 0;
  align = 0;
  /** Bit offset (of a member within its composite). */
  offset = 0;
  flags: Flags = [];
}

/**
 * Pointers, typedefs, members (with `offset` in bits), const/volatile, inheritance.
 * Pointer-authentication fields (`ptrAuthKey`…, arm64e only) land in `extraFields`.
 */
export class DIDerivedType extends DITypeBase {
  get kind(): 'DIDerivedType' {
    return 'DIDerivedType';
  }
  extraData: MD = null;
  dwarfAddressSpace: FieldValue = null;
  annotations: MD = null;
}
/** Structs, unions, enums, arrays: `elements` lists members / enumerators / subranges. */
export class DICompositeType extends DITypeBase {
  get kind(): 'DICompositeType' {
    return 'DICompositeType';
  }
  elements: MD = null;
  runtimeLang: FieldValue = null;
  vtableHolder: MD = null;
  templateParams: MD = null;
  identifier = '';
  discriminator: MD = null;
  dataLocation: FieldValue = null;
  associated: FieldValue = null;
  allocated: FieldValue = null;
  rank: FieldValue = null;
  annotations: MD = null;
}
export class DISubroutineType extends DINodeBase {
  get kind(): 'DISubroutineType' {
    return 'DISubroutineType';
  }
  flags: Flags = [];
  cc: FieldValue = null;
  /** Return type then parameter types (`null` for void). */
  types: MD = null;
}
export class DIFile extends DINodeBase {
  get kind(): 'DIFile' {
    return 'DIFile';
  }
  filename = '';
  directory = '';
  checksumkind = '';
  checksum = '';
  source: FieldValue = null;
}
export class DICompileUnit extends DINodeBase {
  get kind(): 'DICompileUnit' {
    return 'DICompileUnit';
  }
  language = '';
  file: MD = null;
  producer = '';
  isOptimized = false;
  flags = '';
  runtimeVersion = 0;
  splitDebugFilename = '';
  emissionKind = '';
  enums: MD = null;
  retainedTypes: MD = null;
  globals: MD = null;
  imports: MD = null;
  macros: MD = null;
  dwoId: FieldValue = null;
  splitDebugInlining = true;
  debugInfoForProfiling = false;
  nameTableKind = '';
  rangesBaseAddress = false;
  sysroot = '';
  sdk = '';
  /** LLVM 22: a DWARF 6 language name (`DW_LNAME_C`) and version, written instead of `language`. */
  sourceLanguageName = '';
  sourceLanguageVersion = 0;
}
export class DISubprogram extends DINodeBase {
  get kind(): 'DISubprogram' {
    return 'DISubprogram';
  }
  scope: MD = null;
  name = '';
  linkageName = '';
  file: MD = null;
  line = 0;
  type: MD = null;
  isLocal = false;
  isDefinition = true;
  scopeLine = 0;
  containingType: MD = null;
  spFlags: Flags = [];
  virtuality: FieldValue = null;
  virtualIndex = 0;
  thisAdjustment = 0;
  flags: Flags = [];
  isOptimized = false;
  unit: MD = null;
  templateParams: MD = null;
  declaration: MD = null;
  retainedNodes: MD = null;
  thrownTypes: MD = null;
  annotations: MD = null;
  targetFuncName = '';
  /** LLVM 21+: the function's locations carry Key Instructions atoms (`atomGroup`). */
  keyInstructions = false;
}
export class DILexicalBlock extends DINodeBase {
  get kind(): 'DILexicalBlock' {
    return 'DILexicalBlock';
  }
  scope: MD = null;
  file: MD = null;
  line = 0;
  column = 0;
}
export class DILexicalBlockFile extends DINodeBase {
  get kind(): 'DILexicalBlockFile' {
    return 'DILexicalBlockFile';
  }
  scope: MD = null;
  file: MD = null;
  discriminator = 0;
}
export class DINamespace extends DINodeBase {
  get kind(): 'DINamespace' {
    return 'DINamespace';
  }
  scope: MD = null;
  name = '';
  exportSymbols = false;
}
export class DICommonBlock extends DINodeBase {
  get kind(): 'DICommonBlock' {
    return 'DICommonBlock';
  }
  scope: MD = null;
  declaration: MD = null;
  name = '';
  file: MD = null;
  line = 0;
}
export class DIModule extends DINodeBase {
  get kind(): 'DIModule' {
    return 'DIModule';
  }
  scope: MD = null;
  name = '';
  configMacros = '';
  includePath = '';
  apinotes = '';
  file: MD = null;
  line = 0;
  isDecl = false;
}
export class DIMacro extends DINodeBase {
  get kind(): 'DIMacro' {
    return 'DIMacro';
  }
  type = '';
  line = 0;
  name = '';
  value = '';
}
export class DIMacroFile extends DINodeBase {
  get kind(): 'DIMacroFile' {
    return 'DIMacroFile';
  }
  type = 'DW_MACINFO_start_file';
  line = 0;
  file: MD = null;
  nodes: MD = null;
}
export class DITemplateTypeParameter extends DINodeBase {
  get kind(): 'DITemplateTypeParameter' {
    return 'DITemplateTypeParameter';
  }
  name = '';
  type: MD = null;
  defaulted = false;
}
export class DITemplateValueParameter extends DINodeBase {
  get kind(): 'DITemplateValueParameter' {
    return 'DITemplateValueParameter';
  }
  tag = 'DW_TAG_template_value_parameter';
  name = '';
  type: MD = null;
  defaulted = false;
  value: MD = null;
}
export class DIGlobalVariable extends DINodeBase {
  get kind(): 'DIGlobalVariable' {
    return 'DIGlobalVariable';
  }
  name = '';
  scope: MD = null;
  linkageName = '';
  file: MD = null;
  line = 0;
  type: MD = null;
  isLocal = false;
  isDefinition = true;
  templateParams: MD = null;
  declaration: MD = null;
  align = 0;
  annotations: MD = null;
}
/** A local variable or (with `arg:` > 0) a parameter. */
export class DILocalVariable extends DINodeBase {
  get kind(): 'DILocalVariable' {
    return 'DILocalVariable';
  }
  name = '';
  arg = 0;
  scope: MD = null;
  file: MD = null;
  line = 0;
  type: MD = null;
  flags: Flags = [];
  align = 0;
  annotations: MD = null;
}
export class DILabel extends DINodeBase {
  get kind(): 'DILabel' {
    return 'DILabel';
  }
  scope: MD = null;
  name = '';
  file: MD = null;
  line = 0;
  /** LLVM 21+. */
  column = 0;
  isArtificial = false;
  coroSuspendIdx = 0;
}
export class DIObjCProperty extends DINodeBase {
  get kind(): 'DIObjCProperty' {
    return 'DIObjCProperty';
  }
  name = '';
  file: MD = null;
  line = 0;
  setter = '';
  getter = '';
  attributes = 0;
  type: MD = null;
}
export class DIImportedEntity extends DINodeBase {
  get kind(): 'DIImportedEntity' {
    return 'DIImportedEntity';
  }
  tag = '';
  scope: MD = null;
  entity: MD = null;
  file: MD = null;
  line = 0;
  name = '';
  elements: MD = null;
}
/** `distinct !DIAssignID()`: links `#dbg_assign` records to the stores they describe. */
export class DIAssignID extends DINodeBase {
  get kind(): 'DIAssignID' {
    return 'DIAssignID';
  }
}
export class GenericDINode extends DINodeBase {
  get kind(): 'GenericDINode' {
    return 'GenericDINode';
  }
  tag = '';
  header = '';
  operands: MD = null;
}

/** Every typed DI node. Narrow on `kind`. */
export type DINode =
  | DILocation
  | DIExpression
  | DIGlobalVariableExpression
  | DISubrange
  | DIGenericSubrange
  | DIEnumerator
  | DIBasicType
  | DIStringType
  | DIDerivedType
  | DICompositeType
  | DISubroutineType
  | DIFile
  | DICompileUnit
  | DISubprogram
  | DILexicalBlock
  | DILexicalBlockFile
  | DINamespace
  | DICommonBlock
  | DIModule
  | DIMacro
  | DIMacroFile
  | DITemplateTypeParameter
  | DITemplateValueParameter
  | DIGlobalVariable
  | DILocalVariable
  | DILabel
  | DIObjCProperty
  | DIImportedEntity
  | DIAssignID
  | GenericDINode;

type DINodeClass = new () => DINode;

/** Specialized node name → class. `DIExpression` and `DIArgList` have their own syntax. */
export const diNodeClasses: ReadonlyMap<string, DINodeClass> = new Map<string, DINodeClass>([
  ['DILocation', DILocation],
  ['DIGlobalVariableExpression', DIGlobalVariableExpression],
  ['DISubrange', DISubrange],
  ['DIGenericSubrange', DIGenericSubrange],
  ['DIEnumerator', DIEnumerator],
  ['DIBasicType', DIBasicType],
  ['DIStringType', DIStringType],
  ['DIDerivedType', DIDerivedType],
  ['DICompositeType', DICompositeType],
  ['DISubroutineType', DISubroutineType],
  ['DIFile', DIFile],
  ['DICompileUnit', DICompileUnit],
  ['DISubprogram', DISubprogram],
  ['DILexicalBlock', DILexicalBlock],
  ['DILexicalBlockFile', DILexicalBlockFile],
  ['DINamespace', DINamespace],
  ['DICommonBlock', DICommonBlock],
  ['DIModule', DIModule],
  ['DIMacro', DIMacro],
  ['DIMacroFile', DIMacroFile],
  ['DITemplateTypeParameter', DITemplateTypeParameter],
  ['DITemplateValueParameter', DITemplateValueParameter],
  ['DIGlobalVariable', DIGlobalVariable],
  ['DILocalVariable', DILocalVariable],
  ['DILabel', DILabel],
  ['DIObjCProperty', DIObjCProperty],
  ['DIImportedEntity', DIImportedEntity],
  ['DIAssignID', DIAssignID],
  ['GenericDINode', GenericDINode],
]);

/** The chain of a location: the location itself, then each `inlinedAt` outwards. */
export function inlineChain(loc: DILocation): DILocation[] {
  const chain: DILocation[] = [];
  let cur: Metadata | null = loc;
  const seen = new Set<Metadata>();
  while (cur && cur.kind === 'DILocation' && !seen.has(cur)) {
    seen.add(cur);
    chain.push(cur);
    cur = cur.inlinedAt;
  }
  return chain;
}

/** The subprogram enclosing a scope (walking lexical blocks outwards). */
export function enclosingSubprogram(scope: Metadata | null): DISubprogram | undefined {
  let cur = scope;
  for (let i = 0; cur && i < 10_000; i++) {
    if (cur.kind === 'DISubprogram') return cur;
    if (cur.kind === 'DILexicalBlock' || cur.kind === 'DILexicalBlockFile') cur = cur.scope;
    else return undefined;
  }
  return undefined;
}

/** File path of a scope or file node (`directory/filename` unless absolute). */
export function filePathOf(node: Metadata | null): string | undefined {
  let cur = node;
  for (let i = 0; cur && i < 10_000; i++) {
    if (cur.kind === 'DIFile') {
      if (cur.filename.startsWith('/') || !cur.directory) return cur.filename;
      return `${cur.directory}/${cur.filename}`;
    }
    if ('file' in cur && cur.file) cur = cur.file as Metadata;
    else if ('scope' in cur && cur.scope) cur = cur.scope as Metadata;
    else return undefined;
  }
  return undefined;
}

/** One frame of a source location chain. */
export interface DebugFrame {
  file: string | undefined;
  line: number;
  column: number;
  /** The C function whose code this frame is in (inlined callee first). */
  function: string | undefined;
}

/**
 * A location and every `inlinedAt` outwards as source frames: the innermost
 * (inlined) function first, the function the code was inlined into last.
 */
export function locationChain(loc: DILocation): DebugFrame[] {
  return inlineChain(loc).map((l) => ({
    file: filePathOf(l.scope),
    line: l.line,
    column: l.column,
    function: enclosingSubprogram(l.scope)?.name,
  }));
}
