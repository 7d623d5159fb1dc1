// Debug information and metadata: typed DI nodes with their fields, debug
// records attached to the instruction that follows them, inlinedAt chains,
// unknown specialized nodes kept generically, forward references resolved.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DICompositeType,
  DIDerivedType,
  enclosingSubprogram,
  filePathOf,
  inlineChain,
  parseModule,
  UnknownSpecializedNode,
} from '../../src/index.js';

const m = parseModule(readFileSync(join(import.meta.dirname, '../fixtures/ir/debuginfo.ll')), { filename: 'debuginfo.ll' });
const f = m.getFunction('store_it')!;
const md = (n: number) => m.metadata[n]!;

describe('typed debug info', () => {
  it('links a function to its DISubprogram and the unit', () => {
    const sp = f.subprogram!;
    expect(sp.kind).toBe('DISubprogram');
    if (sp.kind !== 'DISubprogram') throw new Error();
    expect([sp.name, sp.line, sp.spFlags, sp.flags]).toEqual([
      'store_it',
      10,
      ['DISPFlagDefinition', 'DISPFlagOptimized'],
      ['DIFlagPrototyped'],
    ]);
    expect(sp.unit).toBe(md(0));
    expect(sp.unit?.kind === 'DICompileUnit' && sp.unit.producer).toBe('clang version 19.1.7');
    expect(filePathOf(sp)).toBe('/build/linux/net/ipv6/demo.c');
  });
  it('reads composite types with members at bit offsets', () => {
    const holder = md(18) as DICompositeType;
    expect(holder).toBeInstanceOf(DICompositeType);
    expect([holder.tag, holder.name, holder.size, holder.identifier, holder.distinct]).toEqual([
      'DW_TAG_structure_type',
      'holder',
      64,
      'holder',
      true,
    ]);
    const members = holder.elements?.kind === 'tuple' ? holder.elements.operands : [];
    expect(members.map((x) => x instanceof DIDerivedType && [x.name, x.offset, x.size])).toEqual([
      ['a', 0, 32],
      ['b', 32, 8],
    ]);
    const b = members[1] as DIDerivedType;
    expect(b.flags).toEqual(['DIFlagBitField']);
    expect(b.extraData?.kind === 'value' && b.extraData.value.kind === 'int' && b.extraData.value.value).toBe(32n);
  });
  it('reads pointer, typedef, const and volatile chains', () => {
    const p = md(13) as DIDerivedType;
    expect([p.tag, p.size, p.baseType]).toEqual(['DW_TAG_pointer_type', 64, md(18)]);
    const td = md(23) as DIDerivedType;
    const chain: string[] = [];
    for (let t: unknown = td; t instanceof DIDerivedType; t = t.baseType) chain.push(t.tag);
    expect(chain).toEqual(['DW_TAG_typedef', 'DW_TAG_const_type', 'DW_TAG_volatile_type']);
  });
  it('reads enumerators beyond 2^53 exactly', () => {
    const e = md(7);
    expect(e.kind === 'DIEnumerator' && [e.name, e.value, e.isUnsigned]).toEqual(['MODE_BIG', 18446744073709551615n, true]);
  });
  it('reads subranges, global variable expressions, labels, imported entities, macros', () => {
    expect(md(29).kind === 'DISubrange' && (md(29) as { count: unknown }).count).toBe(4);
    const gve = md(35);
    expect(gve.kind === 'DIGlobalVariableExpression' && gve.var?.kind === 'DIGlobalVariable' && gve.var.name).toBe('table');
    expect(gve.kind === 'DIGlobalVariableExpression' && gve.expr?.kind).toBe('DIExpression');
    expect(md(45).kind === 'DILabel' && (md(45) as { name: string }).name).toBe('out');
    expect(md(42).kind).toBe('DIImportedEntity');
    expect(md(51).kind === 'DIMacro' && [(md(51) as { name: string }).name, (md(51) as { value: string }).value]).toEqual(['DEMO', '1']);
    expect(md(48).kind).toBe('DIMacroFile');
  });
});

describe('debug records and locations', () => {
  const insts = f.blocks[0]!.instructions;
  it('attaches records to the instruction that follows them', () => {
    expect(insts.map((i) => i.debugRecords?.map((r) => r.kind) ?? [])).toEqual([
      [],
      ['assign', 'declare', 'value', 'value'],
      ['label'],
      [],
    ]);
  });
  it('reads #dbg_assign with its DIAssignID and address', () => {
    const a = insts[1]!.debugRecords![0]!;
    expect(a.assignId).toBe(md(40));
    expect(a.assignId?.kind).toBe('DIAssignID');
    expect(a.address?.kind === 'value' && a.address.value).toBe(insts[0]);
    expect(insts[0]!.attachment('DIAssignID')).toBe(md(40));
  });
  it('reads DIArgList locations and DIExpression operations', () => {
    const v = insts[1]!.debugRecords![3]!;
    expect(v.location?.kind).toBe('DIArgList');
    if (v.location?.kind !== 'DIArgList') throw new Error();
    expect(v.location.args.map((a) => a.value)).toEqual([f.arguments[0], f.arguments[1]]);
    expect(v.expression?.kind === 'DIExpression' && v.expression.elements).toEqual([
      'DW_OP_LLVM_arg',
      0,
      'DW_OP_LLVM_arg',
      1,
      'DW_OP_plus',
      'DW_OP_stack_value',
    ]);
  });
  it('follows inlinedAt chains through lexical blocks and files', () => {
    const store = insts[1]!;
    const chain = inlineChain(store.debugLoc!);
    expect(chain.map((l) => [l.line, l.column])).toEqual([
      [20, 5],
      [13, 9],
    ]);
    expect(enclosingSubprogram(chain[0]!.scope)?.name).toBe('helper');
    expect(enclosingSubprogram(chain[1]!.scope)?.name).toBe('store_it');
  });
  it('exposes module flags and named metadata', () => {
    expect(m.moduleFlags.map((x) => x.key)).toEqual(['Dwarf Version', 'Debug Info Version']);
    expect([...m.namedMetadata.keys()]).toEqual(['llvm.dbg.cu', 'llvm.module.flags', 'llvm.ident']);
  });
});

describe('forward compatibility', () => {
  it('keeps an unknown specialized node and unknown fields of known nodes', () => {
    const src = `
!named = !{!0, !1, !2}
!0 = !DIFutureThing(tag: DW_TAG_future, name: "x", ref: !1, flags: DIFlagA | DIFlagB, count: 3)
!1 = !DIBasicType(name: "int", size: 32, encoding: DW_ATE_signed, newField: 7)
!2 = distinct !{!0, null, !"s", i32 5}
`;
    const mm = parseModule(src);
    const u = mm.metadata[0]!;
    expect(u).toBeInstanceOf(UnknownSpecializedNode);
    if (!(u instanceof UnknownSpecializedNode)) throw new Error();
    expect(u.name).toBe('DIFutureThing');
    expect(u.fields.get('ref')).toBe(mm.metadata[1]);
    expect(u.fields.get('flags')).toEqual(['DIFlagA', 'DIFlagB']);
    expect(
      mm.metadata[1]!.kind === 'DIBasicType' && (mm.metadata[1] as { extraFields?: Map<string, unknown> }).extraFields?.get('newField'),
    ).toBe(7);
    const t = mm.metadata[2]!;
    expect(t.kind === 'tuple' && [t.distinct, t.operands.length, t.operands[1]]).toEqual([true, 4, null]);
  });
});

describe('named metadata', () => {
  it('appends a second definition of the same name, resolving forward references', () => {
    const mm = parseModule('!n = !{!0}\n!n = !{!1}\n!0 = !{}\n!1 = !{i32 1}\n');
    expect([...mm.namedMetadata.keys()]).toEqual(['n']);
    expect(mm.namedMetadata.get('n')!.operands).toEqual([mm.metadata[0], mm.metadata[1]]);
  });
});

describe('attachments', () => {
  it('resolves several forward attachments of a function and an instruction each to its own node', () => {
    const mm = parseModule(`define void @f() !dbg !1 !prof !0 {
  ret void, !dbg !2, !annotation !0
}
!0 = !{!"function_entry_count", i64 1}
!1 = distinct !DISubprogram(name: "f")
!2 = !DILocation(line: 3, column: 1, scope: !1)
`);
    const f = mm.getFunction('f')!;
    expect(f.metadata.map(([k, v]) => [k, v?.kind])).toEqual([
      ['dbg', 'DISubprogram'],
      ['prof', 'tuple'],
    ]);
    const ret = f.blocks[0]!.instructions[0]!;
    expect(ret.debugLoc?.line).toBe(3);
    expect(ret.attachment('annotation')).toBe(mm.metadata[0]);
  });
});
