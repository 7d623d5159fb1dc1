// The model of each instruction family, read from the hand-written fixtures:
// flags, operands, types, successors, and forward references resolved.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Instruction, type Module, parseModule, typeToString, type Function as IRFunction } from '../../src/index.js';

const fixtures = join(import.meta.dirname, '../fixtures/ir');
const load = (name: string): Module => parseModule(readFileSync(join(fixtures, name)), { filename: name });
function inst(f: IRFunction, name: string): Instruction {
  for (const b of f.blocks) for (const i of b.instructions) if (i.name === name) return i;
  throw new Error(`no %${name} in @${f.name}`);
}
const ofOpcode = (f: IRFunction, op: string): Instruction[] => f.blocks.flatMap((b) => b.instructions.filter((i) => i.opcode === op));

describe('terminators', () => {
  const m = load('terminators.ll');
  const f = m.getFunction('terms')!;
  it('reads blocks in order with their terminators', () => {
    expect(f.blocks.map((b) => b.name)).toEqual(['entry', 'a', 'b', 'd', 'ft', 'ok', 'lp', 'e']);
    expect(f.blocks.map((b) => b.terminator!.opcode)).toEqual([
      'br',
      'switch',
      'indirectbr',
      'callbr',
      'invoke',
      'ret',
      'resume',
      'unreachable',
    ]);
  });
  it('links branch targets to the block objects', () => {
    const br = f.blocks[0]!.terminator!;
    if (br.opcode !== 'br') throw new Error();
    expect(br.targets.map((b) => b.name)).toEqual(['a', 'b']);
    expect(br.targets[0]).toBe(f.blocks[1]);
    expect(br.condition).toBe(inst(f, 'c'));
  });
  it('reads switch cases', () => {
    const sw = f.blocks[1]!.terminator!;
    if (sw.opcode !== 'switch') throw new Error();
    expect(sw.defaultDest.name).toBe('d');
    expect(sw.operands.slice(1).map((c) => (c.kind === 'int' ? c.value : -1n))).toEqual([1n, 2n]);
    expect(sw.caseDests.map((b) => b.name)).toEqual(['b', 'd']);
  });
  it('resolves blockaddress to the block, even before the block is read', () => {
    const ib = f.blocks[2]!.terminator!;
    const ba = ib.operands[0]!;
    expect(ba.kind).toBe('blockaddress');
    if (ba.kind !== 'blockaddress') throw new Error();
    expect(ba.function).toBe(f);
    expect(ba.block).toBe(f.blocks[3]);
  });
  it('reads callbr (asm goto) with default and indirect destinations', () => {
    const cb = f.blocks[3]!.terminator!;
    if (cb.opcode !== 'callbr') throw new Error();
    expect(cb.defaultDest.name).toBe('ft');
    expect(cb.indirectDests.map((b) => b.name)).toEqual(['e']);
    expect(cb.callee.kind).toBe('asm');
  });
  it('reads invoke, landingpad, resume and the personality', () => {
    const iv = inst(f, 'r');
    if (iv.opcode !== 'invoke') throw new Error();
    expect([iv.normalDest.name, iv.unwindDest.name]).toEqual(['ok', 'lp']);
    expect(iv.calledFunction?.name).toBe('may_throw');
    const lp = inst(f, 'p');
    expect(lp.opcode).toBe('landingpad');
    expect(f.personality?.kind).toBe('function');
  });
});

describe('operators, compares, select, freeze, phi', () => {
  const f = load('operators.ll').getFunction('ops')!;
  it('keeps integer flags', () => {
    const add = inst(f, 'add');
    if (add.opcode !== 'add') throw new Error();
    expect([add.nuw, add.nsw]).toEqual([true, true]);
    const ud = inst(f, 'ud');
    expect(ud.opcode === 'udiv' && ud.exact).toBe(true);
    const or = inst(f, 'or');
    expect(or.opcode === 'or' && or.disjoint).toBe(true);
    const sub = inst(f, 'sub');
    expect(sub.opcode === 'sub' && !sub.nuw && sub.nsw).toBe(true);
  });
  it('keeps fast-math flags', () => {
    const fa = inst(f, 'fa');
    expect(fa.opcode === 'fadd' && fa.fastMath).toEqual(['fast']);
    const fs = inst(f, 'fs');
    expect(fs.opcode === 'fsub' && fs.fastMath).toEqual(['nnan', 'ninf']);
    const fnn = inst(f, 'fn');
    expect(fnn.opcode).toBe('fneg');
  });
  it('types vector operations and compares', () => {
    expect(typeToString(inst(f, 'vadd').type)).toBe('<4 x i32>');
    const ic = inst(f, 'ic');
    expect(ic.opcode === 'icmp' && ic.predicate).toBe('ult');
    expect(typeToString(ic.type)).toBe('i1');
    const fc = inst(f, 'fc');
    expect(fc.opcode === 'fcmp' && fc.predicate).toBe('ogt');
  });
  it('reads constants of every literal form', () => {
    const sd = inst(f, 'sd');
    const c = sd.operands[1]!;
    expect(c.kind === 'int' && c.value).toBe(-3n);
    const fs = inst(f, 'fs');
    expect(fs.operands[1]!.kind === 'fp' && (fs.operands[1] as { text: string }).text).toBe('0x3FF0000000000000');
  });
  it('links phi incoming values and blocks, and select/freeze operands', () => {
    const ph = inst(f, 'ph');
    if (ph.opcode !== 'phi') throw new Error();
    expect(ph.incomingBlocks.map((b) => b.name)).toEqual(['l1', 'l2']);
    expect(ph.operands[0]).toBe(inst(f, 'fz'));
    expect(inst(f, 'fz').operands[0]).toBe(inst(f, 'sel'));
  });
});

describe('memory and addressing', () => {
  const m = load('memory.ll');
  const f = m.getFunction('mem')!;
  it('reads allocas with counts, alignment and types', () => {
    const arr = inst(f, 'arr');
    if (arr.opcode !== 'alloca') throw new Error();
    expect(arr.align).toBe(16);
    expect(arr.arraySize).toBe(f.arguments[1]);
    const two = inst(f, 'two');
    expect(two.opcode === 'alloca' && typeToString(two.allocatedType)).toBe('[2 x %struct.node]');
  });
  it('reads stores: value, pointer, volatile, atomic ordering, alignment', () => {
    const stores = ofOpcode(f, 'store');
    expect(stores).toHaveLength(6);
    const [s1, s2, s3] = stores;
    if (s1!.opcode !== 'store' || s2!.opcode !== 'store' || s3!.opcode !== 'store') throw new Error();
    expect(s1.pointer).toBe(inst(f, 'slot'));
    expect(s1.value.kind === 'int' && s1.value.value).toBe(1n);
    expect([s1.volatile, s2.volatile, s3.atomic, s3.ordering, s3.align]).toEqual([false, true, true, 'seq_cst', 4]);
  });
  it('reads atomic loads with sync scopes, fences, cmpxchg and atomicrmw', () => {
    const va = inst(f, 'va');
    expect(va.opcode === 'load' && [va.atomic, va.volatile, va.syncScope, va.ordering]).toEqual([true, true, 'singlethread', 'acquire']);
    const fences = ofOpcode(f, 'fence');
    expect(fences.map((x) => x.opcode === 'fence' && [x.ordering, x.syncScope])).toEqual([
      ['release', undefined],
      ['seq_cst', 'singlethread'],
    ]);
    const cx = inst(f, 'cx');
    expect(cx.opcode === 'cmpxchg' && [cx.weak, cx.volatile, cx.successOrdering, cx.failureOrdering]).toEqual([
      true,
      true,
      'acq_rel',
      'monotonic',
    ]);
    expect(typeToString(cx.type)).toBe('{ i32, i1 }');
    const old = inst(f, 'old');
    expect(old.opcode === 'atomicrmw' && [old.operation, old.ordering]).toEqual(['add', 'seq_cst']);
  });
  it('reads GEP source types, flags and indices', () => {
    const g1 = inst(f, 'g1');
    if (g1.opcode !== 'getelementptr') throw new Error();
    expect(typeToString(g1.sourceElementType)).toBe('%struct.node');
    expect(g1.inbounds).toBe(true);
    expect(g1.indices).toHaveLength(3);
    const g2 = inst(f, 'g2');
    expect(g2.opcode === 'getelementptr' && [g2.inbounds, g2.nuw]).toEqual([true, true]);
    const g3 = inst(f, 'g3');
    expect(g3.opcode === 'getelementptr' && g3.nusw).toBe(true);
  });
  it('knows the named struct layout', () => {
    const st = m.structTypes.find((s) => s.name === 'struct.node')!;
    expect(st.elements!.map((e) => typeToString(e))).toEqual(['i32', '[4 x i16]', 'ptr']);
  });
});

describe('conversions, vectors, aggregates', () => {
  it('keeps cast flags and result types', () => {
    const f = load('conversions.ll').getFunction('conv')!;
    const t = inst(f, 't');
    expect(t.opcode === 'trunc' && [t.nuw, t.nsw, typeToString(t.type)]).toEqual([true, true, 'i32']);
    const z = inst(f, 'z');
    expect(z.opcode === 'zext' && z.nneg).toBe(true);
    expect(typeToString(inst(f, 'as').type)).toBe('ptr addrspace(1)');
    expect(inst(f, 'ip').opcode).toBe('inttoptr');
  });
  it('types vector and aggregate results', () => {
    const f = load('vectors.ll').getFunction('vec')!;
    expect(typeToString(inst(f, 'e').type)).toBe('i32');
    expect(typeToString(inst(f, 's').type)).toBe('<2 x i32>');
    const x = inst(f, 'x');
    expect(x.opcode === 'extractvalue' && x.indices).toEqual([1, 0]);
    expect(typeToString(x.type)).toBe('ptr');
    expect(typeToString(inst(f, 'y').type)).toBe('{ i32, [2 x ptr] }');
    expect(inst(f, 'va').opcode).toBe('va_arg');
  });
});

describe('calls', () => {
  const m = load('calls.ll');
  const calls = m.getFunction('calls')!;
  const more = m.getFunction('more')!;
  it('reads tail kinds, calling conventions and attributes', () => {
    const b = inst(calls, 'b');
    if (b.opcode !== 'call') throw new Error();
    expect([b.tailKind, b.callingConv]).toEqual(['tail', 'fastcc']);
    expect(b.returnAttributes).toEqual([{ kind: 'enum', name: 'noundef' }]);
    expect(b.argAttributes[0]).toEqual([
      { kind: 'enum', name: 'noundef' },
      { kind: 'enum', name: 'signext' },
    ]);
    expect(b.functionAttributes).toEqual([{ kind: 'group', id: 0 }]);
    expect(m.attributeGroups.get(0)!.attributes).toContainEqual({ kind: 'string', key: 'frame-pointer', value: 'none' });
    expect(m.attributeGroups.get(1)!.attributes).toContainEqual({ kind: 'text', name: 'memory', text: 'none' });
  });
  it('tells direct calls from indirect, alias, mismatched and asm calls (as LLVM does)', () => {
    const call = (n: string) => {
      const i = inst(more, n);
      if (i.opcode !== 'call') throw new Error();
      return i;
    };
    expect(call('n').calledFunction?.name).toBe('printf');
    expect(call('n').functionType.varArg).toBe(true);
    expect(call('ind').calledFunction).toBeUndefined();
    expect(call('al').calledFunction).toBeUndefined();
    expect(call('al').callee.kind).toBe('alias');
    expect(call('mm').calledFunction).toBeUndefined();
    expect(call('mm').callee).toBe(m.getFunction('callee'));
    const asm = call('asm');
    expect(asm.callee.kind).toBe('asm');
    if (asm.callee.kind !== 'asm') throw new Error();
    expect([asm.callee.asm, asm.callee.sideEffect, asm.callee.intelDialect]).toEqual(['mov $0, $1', true, true]);
    expect(asm.attachment('srcloc')?.kind).toBe('tuple');
  });
  it('reads operand bundles and intrinsic calls', () => {
    const cs = ofOpcode(more, 'call');
    const withBundle = cs.find((c) => c.opcode === 'call' && c.bundles)!;
    if (withBundle.opcode !== 'call') throw new Error();
    expect(withBundle.bundles!.map((b) => b.tag)).toEqual(['deopt', 'unknown']);
    expect(withBundle.bundles![0]!.inputs[0]).toBe(more.arguments[0]);
    const memset = cs.find((c) => c.opcode === 'call' && c.calledFunction?.isIntrinsic)!;
    expect(memset.opcode === 'call' && memset.calledFunction!.name).toBe('llvm.memset.p0.i64');
  });
  it('resolves a global initializer that names a function defined later', () => {
    expect(m.getGlobal('fptr')!.initializer).toBe(m.getFunction('callee'));
  });
  it('attaches debug locations with inlinedAt chains', () => {
    const a = inst(calls, 'a');
    expect(a.debugLoc?.line).toBe(4);
    const at = a.debugLoc!.inlinedAt;
    expect(at?.kind === 'DILocation' && [at.line, at.column]).toEqual([9, 2]);
  });
});

describe('globals', () => {
  const m = load('globals.ll');
  it('reads module-level strings', () => {
    expect(m.sourceFilename).toBe('globals.c');
    expect(m.targetTriple).toBe('x86_64-unknown-linux-gnu');
    expect(m.moduleAsm).toBe('.globl marker\nmarker: .long 0');
    expect(m.comdats.get('grp')?.selection).toBe('any');
  });
  it('reads linkage, visibility, TLS, sections, comdats', () => {
    const str = m.getGlobal('.str')!;
    expect([str.linkage, str.unnamedAddr, str.isConstant, str.section, str.align]).toEqual([
      'private',
      'unnamed_addr',
      true,
      '.rodata.str',
      1,
    ]);
    expect(str.initializer?.kind === 'data' && Buffer.from(str.initializer.bytes).toString()).toBe('hello\0');
    expect(m.getGlobal('tls')!.threadLocal).toBe('initialexec');
    const weak = m.getGlobal('weakv')!;
    expect([weak.linkage, weak.visibility, weak.comdat]).toEqual(['weak', 'hidden', 'grp']);
    expect(m.getGlobal('ext')!.isDeclaration).toBe(true);
    expect(m.getFunction('withblock')!.section).toBe('.text.hot');
  });
  it('reads constant expressions, blockaddress, dso_local_equivalent and no_cfi', () => {
    const arr = m.getGlobal('arr')!.initializer!;
    if (arr.kind !== 'array') throw new Error();
    const gep = arr.elements[1]!;
    expect(gep.kind === 'expr' && [gep.opcode, gep.flags]).toEqual(['getelementptr', ['inbounds']]);
    const ce = m.getGlobal('ce')!.initializer!;
    expect(ce.kind === 'expr' && ce.opcode).toBe('sub');
    const ba = m.getGlobal('ba')!.initializer!;
    expect(ba.kind === 'blockaddress' && ba.block?.name).toBe('target');
    expect(m.getGlobal('dle')!.initializer!.kind).toBe('dso_local_equivalent');
    expect(m.getGlobal('nocfi')!.initializer!.kind).toBe('no_cfi');
    expect(m.getGlobal('late')!.initializer).toBe(m.getFunction('defined_later'));
  });
  it('reads aliases and ifuncs', () => {
    expect(m.aliases.map((a) => [a.name, a.aliasee])).toEqual([['ali', m.getGlobal('counter')]]);
    expect(m.ifuncs[0]!.resolver).toBe(m.getFunction('resolver'));
  });
  it('keeps numbered, opaque and packed struct types', () => {
    expect(m.structTypes.map((s) => [s.name, s.numbered, s.packed, s.elements?.length])).toEqual([
      ['struct.pair', false, false, 2],
      ['0', true, false, 2],
      ['struct.opaque_t', false, false, undefined],
      ['struct.packed', false, true, 2],
    ]);
  });
});

describe('typed pointers (clang 14 IR)', () => {
  const src = `
%struct.sk_buff = type { %struct.sk_buff*, i8*, i32 }
@head = global %struct.sk_buff* null
define void @f(%struct.sk_buff* %skb, i8* %d) !dbg !3 {
entry:
  %len = getelementptr inbounds %struct.sk_buff, %struct.sk_buff* %skb, i64 0, i32 2
  call void @llvm.dbg.value(metadata %struct.sk_buff* %skb, metadata !7, metadata !DIExpression()), !dbg !8
  store i32 0, i32* %len, align 4, !dbg !8
  %c = bitcast %struct.sk_buff* %skb to i8*
  call void bitcast (void (i8*)* @g to void (%struct.sk_buff*)*)(%struct.sk_buff* %skb), !dbg !8
  store %struct.sk_buff* %skb, %struct.sk_buff** @head, align 8
  ret void
}
declare void @g(i8*)
declare void @llvm.dbg.value(metadata, metadata, metadata)
!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!9}
!0 = distinct !DICompileUnit(language: DW_LANG_C89, file: !1, isOptimized: true, runtimeVersion: 0, emissionKind: FullDebug)
!1 = !DIFile(filename: "t.c", directory: "/")
!3 = distinct !DISubprogram(name: "f", scope: !1, file: !1, line: 1, type: !4, unit: !0)
!4 = !DISubroutineType(types: !5)
!5 = !{null}
!7 = !DILocalVariable(name: "skb", arg: 1, scope: !3, file: !1, line: 1, type: null)
!8 = !DILocation(line: 2, column: 3, scope: !3)
!9 = !{i32 2, !"Debug Info Version", i32 3}
`;
  const m = parseModule(src);
  const f = m.getFunction('f')!;
  it('keeps pointee types and computes GEP result types', () => {
    expect(typeToString(f.arguments[0]!.type)).toBe('%struct.sk_buff*');
    expect(typeToString(inst(f, 'len').type)).toBe('i32*');
    expect(typeToString(m.getGlobal('head')!.type)).toBe('%struct.sk_buff**');
  });
  it('reads llvm.dbg.value calls with metadata arguments', () => {
    const dv = ofOpcode(f, 'call')[0]!;
    if (dv.opcode !== 'call') throw new Error();
    expect(dv.calledFunction?.name).toBe('llvm.dbg.value');
    const a0 = dv.args[0]!;
    expect(a0.kind === 'metadata' && a0.metadata?.kind === 'value' && a0.metadata.value).toBe(f.arguments[0]);
    expect(dv.args[1]!.kind === 'metadata' && dv.args[1]!.metadata?.kind).toBe('DILocalVariable');
  });
  it('treats a call through a bitcast as not direct', () => {
    const c = ofOpcode(f, 'call')[1]!;
    expect(c.opcode === 'call' && c.calledFunction).toBeUndefined();
    expect(c.opcode === 'call' && c.callee.kind).toBe('expr');
  });
});

describe('function-level syntax', () => {
  const m = load('functions.ll');
  it('reads gc, prefix, prologue, partition, section, align and comdat', () => {
    const f = m.getFunction('gcfn')!;
    expect([f.gc, f.partition, f.section, f.align, f.comdat]).toEqual(['statepoint-example', 'part1', '.text.gc', 32, 'cd']);
    expect(f.prefix?.kind === 'int' && f.prefix.value).toBe(123n);
    expect(f.prologue?.kind === 'int' && f.prologue.value).toBe(144n);
    expect(f.returnAttributes).toEqual([{ kind: 'text', name: 'range', text: 'i32 0, 10' }]);
  });
  it('reads parameter attributes with type and integer arguments', () => {
    const f = m.getFunction('params')!;
    expect(f.arguments[0]!.attributes).toEqual([{ kind: 'type', name: 'sret', type: m.structTypes[0] }]);
    expect(f.arguments[1]!.attributes).toEqual([
      { kind: 'enum', name: 'noalias' },
      { kind: 'enum', name: 'nocapture' },
      { kind: 'int', name: 'align', value: 8 },
      { kind: 'int', name: 'dereferenceable', value: 64 },
    ]);
    expect(f.attributes).toEqual([{ kind: 'text', name: 'memory', text: 'argmem: readwrite' }]);
  });
  it('numbers unnamed arguments, the implicit entry block and values as LLVM does', () => {
    const f = m.getFunction('unnamed')!;
    expect(f.callingConv).toBe('coldcc');
    expect(f.blocks.map((b) => b.name)).toEqual(['2', '4', '8']);
    const phi = f.blocks[1]!.instructions[0]!;
    if (phi.opcode !== 'phi') throw new Error();
    expect(phi.incomingBlocks).toEqual([f.blocks[0], f.blocks[1]]);
    expect(phi.operands[1]).toBe(f.blocks[1]!.instructions[1]);
    expect(m.getFunction('numbered_cc')!.callingConv).toBe('cc 10');
  });
});
