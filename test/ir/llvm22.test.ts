// The syntax LLVM 20–22 added, one construct at a time (test/fixtures/ir22):
// what the model keeps of it, the errors bad forms get, and the oracle: every
// fixture, old (fixtures/ir) and new, is read as LLVM 22 reads it — the
// summary equals what irstats built against libLLVM-22 (scripts/setup.sh
// builds .cache/irstats-22) prints, run live.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Attribute,
  type Instruction,
  type Module,
  parseModule,
  readModule,
  summarizeModule,
  type Function as IRFunction,
} from '../../src/index.js';
import { errorOf } from './support/errors.js';

const root = join(import.meta.dirname, '../..');
const irstats22 = join(root, '.cache/irstats-22');
const ir22 = join(root, 'test/fixtures/ir22');
const ir = join(root, 'test/fixtures/ir');
const load = (name: string): Module => parseModule(readFileSync(join(ir22, name)), { filename: name });
function inst(f: IRFunction, name: string): Instruction {
  for (const b of f.blocks) for (const i of b.instructions) if (i.name === name) return i;
  throw new Error(`no %${name} in @${f.name}`);
}
const text = (a: Attribute | undefined): string | undefined => (a?.kind === 'text' ? `${a.name}(${a.text})` : undefined);

describe('LLVM 20–22 syntax in the model', () => {
  const m = load('syntax.ll');
  it('keeps captures(...) as written, per parameter (LLVM 21)', () => {
    const f = m.getFunction('caps')!;
    expect(f.arguments.map((a) => text(a.attributes.find((x) => x.kind === 'text' && x.name === 'captures')))).toEqual([
      'captures(none)',
      'captures(address_is_null)',
      'captures(address, read_provenance)',
      'captures(ret: address, provenance)',
    ]);
  });
  it('keeps initializes(...) ranges and the LLVM 20–22 enum attributes', () => {
    const f = m.getFunction('inits')!;
    const [p, q, x] = f.arguments;
    expect(text(p!.attributes.find((a) => a.kind === 'text'))).toBe('initializes((0, 8), (16, 24))');
    expect(p!.attributes.some((a) => a.kind === 'enum' && a.name === 'writable')).toBe(true);
    expect(q!.attributes).toEqual([{ kind: 'enum', name: 'dead_on_return' }]);
    expect(x!.attributes).toEqual([{ kind: 'enum', name: 'noext' }]);
    expect(f.attributes.map((a) => a.kind === 'enum' && a.name)).toEqual([
      'nocreateundeforpoison',
      'nodivergencesource',
      'sanitize_type',
      'sanitize_alloc_token',
    ]);
  });
  it('reads icmp samesign (LLVM 20) and tells it from a plain icmp', () => {
    const f = m.getFunction('cmp')!;
    const c = inst(f, 'c');
    const n = inst(f, 'n');
    expect(c.opcode === 'icmp' && [c.samesign, c.predicate]).toEqual([true, 'ult']);
    expect(n.opcode === 'icmp' && n.samesign).toBe(false);
  });
  it('reads ptrtoaddr as an instruction and as a constant expression (LLVM 22)', () => {
    const f = m.getFunction('addr_of')!;
    const a = inst(f, 'a');
    expect(a.opcode).toBe('ptrtoaddr');
    expect(a.type.kind === 'int' && a.type.bits).toBe(64);
    expect(a.operands[0]).toBe(f.arguments[0]);
    const b = inst(f, 'b');
    const e = b.operands[1]!;
    expect(e.kind === 'expr' && [e.opcode, e.operands[0]]).toEqual(['ptrtoaddr', m.getGlobal('g')]);
    const init = m.getGlobal('addr')!.initializer!;
    expect(init.kind === 'expr' && init.opcode).toBe('ptrtoaddr');
  });
  it('reads the atomicrmw operations of LLVM 20–21', () => {
    const f = m.getFunction('rmw')!;
    expect(['x', 'y', 'z', 'w'].map((n) => inst(f, n)).map((i) => i.opcode === 'atomicrmw' && i.operation)).toEqual([
      'usub_cond',
      'usub_sat',
      'fmaximum',
      'fminimum',
    ]);
  });
  it('keeps memory(...) with the errnomem and target_mem locations as written', () => {
    expect(text(m.getFunction('errno_writer')!.attributes[0])).toBe('memory(errnomem: write, argmem: read)');
    expect(text(m.getFunction('target_mem')!.attributes[0])).toBe('memory(target_mem0: read, target_mem1: write)');
  });
  it('reads the calling conventions of LLVM 21–22, riscv_vls_cc with its vector length', () => {
    expect(m.getFunction('cc_whole_wave')!.callingConv).toBe('amdgpu_gfx_whole_wave');
    expect(m.getFunction('cc_vls')!.callingConv).toBe('riscv_vls_cc(256)');
    const f = m.getFunction('cc_vls_128')!;
    expect(f.callingConv).toBe('riscv_vls_cc(128)');
    const call = f.blocks[0]!.instructions[0]!;
    expect(call.opcode === 'call' && call.callingConv).toBe('riscv_vls_cc(256)');
  });
  it('reads splat vector constants as one element repeated', () => {
    const f = m.getFunction('splats')!;
    const s = inst(f, 'm').operands[1]!;
    expect(s.kind).toBe('vector');
    if (s.kind !== 'vector') throw new Error();
    expect(s.elements.map((e) => e.kind === 'int' && e.value)).toEqual([2n, 2n, 2n, 2n]);
  });
});

describe('LLVM 21–22 debug information in the model', () => {
  const m = load('debuginfo.ll');
  const f = m.getFunction('f')!;
  const [add, ret] = f.blocks[0]!.instructions;
  it('reads #dbg_declare_value with the operands of #dbg_value', () => {
    const r = add!.debugRecords![0]!;
    expect(r.kind).toBe('declare_value');
    expect(r.location?.kind === 'value' && r.location.value).toBe(f.arguments[0]);
    expect(r.variable?.kind === 'DILocalVariable' && r.variable.name).toBe('x');
    expect(ret!.debugRecords!.map((d) => d.kind)).toEqual(['value', 'label']);
  });
  it('types Key Instructions fields: atomGroup / atomRank, keyInstructions', () => {
    const l = add!.debugLoc!;
    expect([l.line, l.atomGroup, l.atomRank, l.extraFields]).toEqual([2, 1, 2, undefined]);
    const r = ret!.debugLoc!;
    expect([r.atomGroup, r.atomRank]).toEqual([2, 1]);
    const sp = f.subprogram!;
    expect(sp.kind === 'DISubprogram' && [sp.keyInstructions, sp.extraFields]).toEqual([true, undefined]);
  });
  it('types the DWARF 6 language name of a compile unit and a label column', () => {
    const cu = m.metadata[0]!;
    expect(cu.kind === 'DICompileUnit' && [cu.language, cu.sourceLanguageName, cu.sourceLanguageVersion]).toEqual([
      '',
      'DW_LNAME_C',
      201112,
    ]);
    const label = m.metadata[19]!;
    expect(label.kind === 'DILabel' && [label.name, label.line, label.column]).toEqual(['out', 3, 1]);
  });
  it('counts a declare_value record as LLVM does', () => {
    expect(summarizeModule(m).totals.debugRecords).toBe(3);
  });
});

describe('bad LLVM 22 forms get a ParseError', () => {
  const cases: [string, string, number, number, RegExp][] = [
    [
      'unknown debug record',
      'define void @f() {\n    #dbg_frob(!0)\n  ret void\n}',
      2,
      5,
      /expected a debug record kind \(.*#dbg_declare_value\), found #dbg_frob/,
    ],
    ['riscv_vls_cc without its length', 'declare riscv_vls_cc void @a()', 1, 22, /'\(' and the ABI vector length/],
    ['riscv_vls_cc with a bad length', 'declare riscv_vls_cc(100) void @a()', 1, 22, /power of two from 32 to 65536/],
    [
      'ptrtoaddr of a non-value',
      'define i64 @f() {\n  %a = ptrtoaddr ptr to i64\n  ret i64 %a\n}',
      2,
      22,
      /expected a constant of type ptr, found "to"/,
    ],
  ];
  for (const [what, src, line, column, msg] of cases) {
    it(what, () => {
      const e = errorOf(src);
      expect([e.line, e.column]).toEqual([line, column]);
      expect(e.message).toMatch(msg);
    });
  }
});

describe('fixtures agree with LLVM 22 (irstats-22, run live)', () => {
  it('has the oracle binary (scripts/setup.sh builds it)', () => {
    expect(existsSync(irstats22), `${irstats22} is missing: run scripts/setup.sh`).toBe(true);
  });
  const files = [ir22, ir].flatMap((dir) =>
    readdirSync(dir)
      .filter((n) => n.endsWith('.ll'))
      .sort()
      .map((n) => join(dir, n)),
  );
  it('finds the fixtures', () => {
    expect(files.filter((f) => f.startsWith(ir22)).length).toBe(2);
    expect(files.length).toBeGreaterThan(10);
  });
  for (const file of files) {
    it(file.slice(root.length + 1), async () => {
      const want = JSON.parse(execFileSync(irstats22, [file], { encoding: 'utf8' }));
      expect(summarizeModule(await readModule(file))).toEqual(want);
    });
  }
});
